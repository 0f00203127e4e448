// SPDX-License-Identifier: GPL-2.0
/*
 * The C compiler's view of the kernel structures rust_binder touches.
 *
 * bindgen's layout of some large kernel structs differs from the compiler's
 * (task_struct, seen on 6.12 with clang 19). Kbuild compiles this file to
 * assembly and turns the values into ffi/layout_generated.rs, as the kernel
 * does for asm-offsets: ffi/ reads fields at these offsets, and checks at
 * compile time that every operations table it builds has the C layout.
 */
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/fsnotify.h>
#include <linux/ipc_namespace.h>
#include <linux/kbuild.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/cred.h>
#include <linux/moduleparam.h>
#include <linux/nsproxy.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/shrinker.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/tracepoint-defs.h>
#include <linux/wait.h>

#define F(str, mem) OFFSET(str##__OF__##mem, str, mem)
#define S(str) DEFINE(size__OF__##str, sizeof(struct str))

void rb_layout(void);
void rb_layout(void)
{
	F(task_struct, nsproxy);
	F(nsproxy, ipc_ns);
	F(ipc_namespace, ns);
	F(ns_common, count);

	F(task_struct, mm);
	F(task_struct, cred);
	F(task_struct, pid);
	F(task_struct, tgid);
	F(task_struct, group_leader);
	F(task_struct, files);
	F(task_struct, static_prio);
	F(task_struct, signal);
	F(signal_struct, rlim);
	F(cred, usage);
	F(cred, euid);
	F(cred, user_ns);

	F(mm_struct, mm_count);
	F(mm_struct, mm_users);
	F(mm_struct, mmap_lock);
	F(vm_area_struct, vm_start);
	F(vm_area_struct, vm_end);
	F(vm_area_struct, vm_mm);
	F(vm_area_struct, vm_flags);
	F(vm_area_struct, vm_ops);
	F(vm_area_struct, vm_private_data);
	F(vm_area_struct, vm_file);
	S(vm_operations_struct);
	F(vm_operations_struct, close);
	F(vm_operations_struct, fault);

	F(shrinker, count_objects);
	F(shrinker, scan_objects);
	F(shrinker, seeks);
	F(shrinker, private_data);
	F(shrink_control, nr_to_scan);

	F(poll_table_struct, _qproc);
	F(wait_queue_head, head);

	F(file, private_data);
	F(file, f_cred);
	F(file, f_inode);
	F(file, f_flags);

	/* A tracepoint's static key count (static_key_count()), read by ffi/trace.rs. */
	OFFSET(tracepoint__OF__enabled, tracepoint, key.enabled);
	F(seq_file, private);

	F(inode, i_mode);
	F(inode, i_op);
	F(inode, i_sb);
	F(inode, i_ino);
	F(inode, i_uid);
	F(inode, i_gid);
	F(inode, i_rwsem);
	F(inode, i_fop);
	F(inode, i_private);

	F(super_block, s_blocksize_bits);
	F(super_block, s_blocksize);
	F(super_block, s_op);
	F(super_block, s_iflags);
	F(super_block, s_magic);
	F(super_block, s_root);
	F(super_block, s_fs_info);
	F(super_block, s_time_gran);
	F(super_block, s_user_ns);

	F(dentry, d_inode);
	F(dentry, d_sb);
	F(dentry, d_name);

	F(fs_context, ops);
	F(fs_context, fs_type);
	F(fs_context, fs_private);
	F(fs_context, root);

	F(fs_parameter, key);
	F(fs_parameter, string);

	S(file_system_type);
	F(file_system_type, name);
	F(file_system_type, fs_flags);
	F(file_system_type, init_fs_context);
	F(file_system_type, kill_sb);
	F(file_system_type, owner);

	S(super_operations);
	F(super_operations, evict_inode);
	F(super_operations, show_options);
	F(super_operations, statfs);

	S(fs_context_operations);
	F(fs_context_operations, free);
	F(fs_context_operations, parse_param);
	F(fs_context_operations, get_tree);
	F(fs_context_operations, reconfigure);

	S(inode_operations);
	F(inode_operations, lookup);
	F(inode_operations, unlink);
	F(inode_operations, rename);

	S(file_operations);
	F(file_operations, owner);
	F(file_operations, llseek);
	F(file_operations, read);
	F(file_operations, poll);
	F(file_operations, mmap);
	F(file_operations, flush);
	F(file_operations, unlocked_ioctl);
	F(file_operations, compat_ioctl);
	F(file_operations, open);
	F(file_operations, release);

	S(kernel_param);
	F(kernel_param, name);
	F(kernel_param, mod);
	F(kernel_param, ops);
	F(kernel_param, perm);
	F(kernel_param, level);
	F(kernel_param, flags);
	F(kernel_param, arg);
}
