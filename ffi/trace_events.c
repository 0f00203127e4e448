// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder's trace events: the C driver's `binder` events (see
 * rust_binder_trace.h), defined here because the 6.12 kernel crate has no
 * tracepoint glue. Nothing else lives in this file: for every event one
 * out-of-line wrapper that Rust calls (ffi/trace.rs) once it has seen the
 * tracepoint enabled, so a disabled event costs Rust one load and a branch.
 * The binder_lock/binder_locked/binder_unlock events are defined as in C,
 * which never fires them either.
 */
#include <linux/kernel.h>
#include <linux/types.h>

/* The names binder_command/binder_return print, as binder.c has them. */
static const char * const binder_return_strings[] = {
	"BR_ERROR",
	"BR_OK",
	"BR_TRANSACTION",
	"BR_REPLY",
	"BR_ACQUIRE_RESULT",
	"BR_DEAD_REPLY",
	"BR_TRANSACTION_COMPLETE",
	"BR_INCREFS",
	"BR_ACQUIRE",
	"BR_RELEASE",
	"BR_DECREFS",
	"BR_ATTEMPT_ACQUIRE",
	"BR_NOOP",
	"BR_SPAWN_LOOPER",
	"BR_FINISHED",
	"BR_DEAD_BINDER",
	"BR_CLEAR_DEATH_NOTIFICATION_DONE",
	"BR_FAILED_REPLY",
	"BR_FROZEN_REPLY",
	"BR_ONEWAY_SPAM_SUSPECT",
	"BR_TRANSACTION_PENDING_FROZEN",
	"BR_FROZEN_BINDER",
	"BR_CLEAR_FREEZE_NOTIFICATION_DONE",
};

static const char * const binder_command_strings[] = {
	"BC_TRANSACTION",
	"BC_REPLY",
	"BC_ACQUIRE_RESULT",
	"BC_FREE_BUFFER",
	"BC_INCREFS",
	"BC_ACQUIRE",
	"BC_RELEASE",
	"BC_DECREFS",
	"BC_INCREFS_DONE",
	"BC_ACQUIRE_DONE",
	"BC_ATTEMPT_ACQUIRE",
	"BC_REGISTER_LOOPER",
	"BC_ENTER_LOOPER",
	"BC_EXIT_LOOPER",
	"BC_REQUEST_DEATH_NOTIFICATION",
	"BC_CLEAR_DEATH_NOTIFICATION",
	"BC_DEAD_BINDER_DONE",
	"BC_TRANSACTION_SG",
	"BC_REPLY_SG",
	"BC_REQUEST_FREEZE_NOTIFICATION",
	"BC_CLEAR_FREEZE_NOTIFICATION",
	"BC_FREEZE_NOTIFICATION_DONE",
};

#define CREATE_TRACE_POINTS
#include "rust_binder_trace.h"

/*
 * Without CONFIG_TRACEPOINTS the events compile to nothing: each one Rust
 * checks gets a tracepoint whose key is never enabled.
 */
#ifdef CONFIG_TRACEPOINTS
#define RB_NO_TRACEPOINT(name)
#else
#define RB_NO_TRACEPOINT(name) struct tracepoint __tracepoint_binder_##name;
#endif

/* Wrappers: one per event fired, with the event's TP_PROTO. */
#define RB_WRAP(name, proto, args)			\
	RB_NO_TRACEPOINT(name)				\
	void rust_binder_trace_##name proto;		\
	void rust_binder_trace_##name proto		\
	{						\
		trace_binder_##name args;		\
	}

RB_WRAP(ioctl, (unsigned int cmd, unsigned long arg), (cmd, arg))
RB_WRAP(ioctl_done, (int ret), (ret))
RB_WRAP(write_done, (int ret), (ret))
RB_WRAP(read_done, (int ret), (ret))
RB_WRAP(wait_for_work, (bool proc_work, bool transaction_stack, bool thread_todo),
	(proc_work, transaction_stack, thread_todo))
RB_WRAP(txn_latency_free, (int debug_id, int from_proc, int from_thread, int to_proc,
			   int to_thread, unsigned int code, unsigned int flags),
	(debug_id, from_proc, from_thread, to_proc, to_thread, code, flags))
RB_WRAP(transaction, (bool reply, int debug_id, int target_node, int to_proc, int to_thread,
		      unsigned int code, unsigned int flags),
	(reply, debug_id, target_node, to_proc, to_thread, code, flags))
RB_WRAP(transaction_received, (int debug_id), (debug_id))
RB_WRAP(transaction_node_to_ref, (int debug_id, int node_debug_id, u64 node_ptr,
				  int ref_debug_id, u32 ref_desc),
	(debug_id, node_debug_id, node_ptr, ref_debug_id, ref_desc))
RB_WRAP(transaction_ref_to_node, (int debug_id, int node_debug_id, u64 node_ptr,
				  int ref_debug_id, u32 ref_desc),
	(debug_id, node_debug_id, node_ptr, ref_debug_id, ref_desc))
RB_WRAP(transaction_ref_to_ref, (int debug_id, int node_debug_id, int src_ref_debug_id,
				 u32 src_ref_desc, int dest_ref_debug_id, u32 dest_ref_desc),
	(debug_id, node_debug_id, src_ref_debug_id, src_ref_desc, dest_ref_debug_id,
	 dest_ref_desc))
RB_WRAP(transaction_fd_send, (int debug_id, int fd, size_t offset), (debug_id, fd, offset))
RB_WRAP(transaction_fd_recv, (int debug_id, int fd, size_t offset), (debug_id, fd, offset))

#define RB_WRAP_BUFFER(name)							\
	RB_WRAP(name, (int debug_id, size_t data_size, size_t offsets_size,	\
		       size_t extra_buffers_size),				\
		(debug_id, data_size, offsets_size, extra_buffers_size))
RB_WRAP_BUFFER(transaction_alloc_buf)
RB_WRAP_BUFFER(transaction_buffer_release)
RB_WRAP_BUFFER(transaction_failed_buffer_release)
RB_WRAP_BUFFER(transaction_update_buffer_release)

RB_WRAP(update_page_range, (int pid, bool allocate, size_t offset, size_t size),
	(pid, allocate, offset, size))

#define RB_WRAP_PAGE(name) RB_WRAP(name, (int pid, size_t index), (pid, index))
RB_WRAP_PAGE(alloc_lru_start)
RB_WRAP_PAGE(alloc_lru_end)
RB_WRAP_PAGE(free_lru_start)
RB_WRAP_PAGE(free_lru_end)
RB_WRAP_PAGE(alloc_page_start)
RB_WRAP_PAGE(alloc_page_end)
RB_WRAP_PAGE(unmap_user_start)
RB_WRAP_PAGE(unmap_user_end)
RB_WRAP_PAGE(unmap_kernel_start)
RB_WRAP_PAGE(unmap_kernel_end)

RB_WRAP(command, (u32 cmd), (cmd))
RB_WRAP(return, (u32 cmd), (cmd))
