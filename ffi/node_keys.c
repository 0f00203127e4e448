// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder's node keys: small numbers, each held by one live node, that
 * key the trees of references by node (a 32-byte tree entry where a
 * pointer-sized key takes 64). The kernel's IDA is initialised by a C
 * macro (DEFINE_IDA), so it lives here; ffi/node_keys.rs wraps these two
 * functions. The IDA frees its memory as keys are freed: once every node
 * is gone it holds none, so module exit has nothing to destroy.
 */
#include <linux/gfp.h>
#include <linux/idr.h>

static DEFINE_IDA(rust_binder_node_keys);

/* Called from Rust only (ffi/node_keys.rs declares them). */
int rust_binder_node_key_alloc(void);
void rust_binder_node_key_free(unsigned int key);

/* A free key (1 and up) or a negative errno (ENOMEM, ENOSPC). */
int rust_binder_node_key_alloc(void)
{
	return ida_alloc_min(&rust_binder_node_keys, 1, GFP_KERNEL);
}

void rust_binder_node_key_free(unsigned int key)
{
	ida_free(&rust_binder_node_keys, key);
}
