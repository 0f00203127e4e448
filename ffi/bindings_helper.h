/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel APIs that rust_binder needs and the 6.12 `kernel` crate does not
 * bind. bindgen turns this into ffi/bindings_generated.rs at build time,
 * with the kernel's own bindgen flags (scripts/gen-bindings.sh).
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/debugfs.h>
#include <linux/errno.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/fsnotify.h>
#include <linux/ipc_namespace.h>
#include <linux/kdev_t.h>
#include <linux/magic.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/sched/mm.h>
#include <linux/security.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/namei.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/statfs.h>
#include <linux/task_work.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>

const unsigned long RUST_CONST_HELPER_PAGE_SIZE = PAGE_SIZE;
