/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Binder's user ABI, as the kernel's uapi headers define it. bindgen turns
 * this into uapi/uapi_generated.rs at build time (scripts/gen-bindings.sh).
 * Ioctl numbers that are macros bindgen can't evaluate are exported here as
 * constants.
 */
#include <linux/android/binder.h>
#include <linux/android/binderfs.h>

/* binder.h gives its ioctls as enum values; binderfs.h only as a macro. */
const unsigned int RUST_CONST_HELPER_BINDER_CTL_ADD = BINDER_CTL_ADD;
