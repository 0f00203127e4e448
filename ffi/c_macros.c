// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel APIs that exist only as C macros or static inlines, which Rust
 * can't call: one out-of-line function each. ffi/node_keys.rs and
 * ffi/uaccess.rs wrap them.
 *
 * Node keys: small numbers, each held by one live node, that key the trees
 * of references by node (a 32-byte tree entry where a pointer-sized key
 * takes 64). The IDA is defined by a macro (DEFINE_IDA). It frees its
 * memory as keys are freed: once every node is gone it holds none, so
 * module exit has nothing to destroy.
 *
 * spin_lock(), spin_unlock() and mutex_lock(): ffi/sync.rs's lock
 * backends, one call each where the kernel crate's locks make three to lock
 * and two to unlock (spin_unlock() is inline in C; mutex_lock() is a macro
 * with lockdep). Where a spinlock is a bare queued spinlock, ffi/sync.rs
 * inlines spin_lock() and spin_unlock() itself and the two go unused.
 *
 * put_user(): the read path's 4- and 8-byte writes (BR_NOOP, and the
 * commands copied out before a read sleeps), where copy_to_user() costs a
 * call chain and a copy loop for a single word.
 */
#include <linux/gfp.h>
#include <linux/idr.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uaccess.h>

static DEFINE_IDA(rust_binder_node_keys);

/* Called from Rust only (ffi/node_keys.rs and ffi/uaccess.rs declare them). */
int rust_binder_node_key_alloc(void);
void rust_binder_node_key_free(unsigned int key);
int rust_binder_put_u32(u32 __user *p, u32 v);
int rust_binder_put_u64(u64 __user *p, u64 v);
void rust_binder_spin_lock(spinlock_t *lock);
void rust_binder_spin_unlock(spinlock_t *lock);
void rust_binder_mutex_lock(struct mutex *lock);

/* A free key (1 and up) or a negative errno (ENOMEM, ENOSPC). */
int rust_binder_node_key_alloc(void)
{
	return ida_alloc_min(&rust_binder_node_keys, 1, GFP_KERNEL);
}

void rust_binder_node_key_free(unsigned int key)
{
	ida_free(&rust_binder_node_keys, key);
}

/* 0, or -EFAULT (put_user() checks the address, as copy_to_user()). */
int rust_binder_put_u32(u32 __user *p, u32 v)
{
	return put_user(v, p);
}

int rust_binder_put_u64(u64 __user *p, u64 v)
{
	return put_user(v, p);
}

void rust_binder_spin_lock(spinlock_t *lock)
{
	spin_lock(lock);
}

void rust_binder_spin_unlock(spinlock_t *lock)
{
	spin_unlock(lock);
}

void rust_binder_mutex_lock(struct mutex *lock)
{
	mutex_lock(lock);
}
