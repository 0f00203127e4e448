/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rust_binder: helpers for the binder driver-interface kselftests.
 *
 * The tests define the target behaviour of a binder driver: they assert
 * exactly what the C driver (drivers/android/binder.c, Linux 6.12) does.
 * Helpers return 0 (or a value >= 0) on success and -errno on failure.
 *
 * This file does not include kselftest_harness.h (binder_test_lib.c is
 * linked into every test binary and the harness defines global symbols).
 * Harness ASSERT_*() must only be used in the test process itself: in
 * forked children and extra threads use BT_CHECK(), which prints and
 * _exit()s / records the failure.
 */
#ifndef BINDER_TEST_LIB_H
#define BINDER_TEST_LIB_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/android/binder.h>
#include <linux/android/binderfs.h>

/* Default size of the binder mapping (the C driver caps it at 4 MiB). */
#define BT_MAP_SIZE (128 * 1024)
#define BT_MAX_MAP (4 * 1024 * 1024)
/* Default limit for one blocking BINDER_WRITE_READ read (QEMU TCG is slow). */
#define BT_TIMEOUT_MS 10000
/* Size of the read buffer bt_read() uses. */
#define BT_READ_SIZE 4096

/* A binder device to test: a fresh binderfs instance + device, or $BINDER_TEST_DEVICE. */
struct bt_dev {
	char mnt[64];		/* binderfs mount point ("" if not mounted by us) */
	char path[192];		/* the device node */
};

int bt_dev_create(struct bt_dev *d);
/* Another device in the same binderfs instance (path: PATH_LEN bytes). */
int bt_dev_add(struct bt_dev *d, const char *name, char *path, size_t len);
void bt_dev_destroy(struct bt_dev *d);
/*
 * Like bt_dev_create() (never $BINDER_TEST_DEVICE), with binderfs mount
 * options, e.g. "stats=global".
 */
int bt_dev_create_opts(struct bt_dev *d, const char *opts);

/* An open binder fd ("binder_proc") and its mapping. */
struct bt_proc {
	int fd;
	void *map;
	size_t map_size;
};

/* Open path O_RDWR|O_CLOEXEC; mmap map_size bytes PROT_READ (0: no mmap). */
int bt_open(const char *path, size_t map_size, struct bt_proc *p);
void bt_close(struct bt_proc *p);
/* Open + mmap + BINDER_SET_CONTEXT_MGR + BC_ENTER_LOOPER. */
int bt_open_cm(const char *path, size_t map_size, struct bt_proc *p);

/* ioctl() returning 0 or -errno. */
int bt_ioctl(int fd, unsigned long req, void *arg);
int bt_version(int fd);		/* protocol version or -errno */
int bt_set_cm(int fd);
int bt_set_cm_ext(int fd, uint64_t ptr, uint64_t cookie, uint32_t flags);
int bt_set_max_threads(int fd, uint32_t n);
int bt_thread_exit(int fd);
int bt_get_ee(int fd, struct binder_extended_error *ee);
int bt_set_nonblock(int fd, bool on);

/*
 * One BINDER_WRITE_READ. wcons/rcons (may be NULL) receive the consumed
 * counts the driver wrote back (also on failure). timeout_ms > 0 bounds a
 * blocking read: the ioctl is interrupted by a signal, giving -EINTR.
 */
int bt_wr(int fd, const void *wbuf, size_t wsize, size_t *wcons,
	  void *rbuf, size_t rsize, size_t *rcons, int timeout_ms);

/* ---- command (write) buffers -------------------------------------- */
struct bt_cmds {
	size_t len;
	uint8_t buf[8192];
};

void bt_cmds_init(struct bt_cmds *c);
void bt_cmd(struct bt_cmds *c, uint32_t cmd);
void bt_cmd_u32(struct bt_cmds *c, uint32_t cmd, uint32_t v);
void bt_cmd_u64(struct bt_cmds *c, uint32_t cmd, uint64_t v);
void bt_cmd_ptr_cookie(struct bt_cmds *c, uint32_t cmd, uint64_t ptr,
		       uint64_t cookie);
void bt_cmd_handle_cookie(struct bt_cmds *c, uint32_t cmd, uint32_t handle,
			  uint64_t cookie);
void bt_cmd_raw(struct bt_cmds *c, const void *data, size_t len);
void bt_cmd_txn(struct bt_cmds *c, uint32_t cmd,
		const struct binder_transaction_data *tr);
void bt_cmd_txn_sg(struct bt_cmds *c, uint32_t cmd,
		   const struct binder_transaction_data *tr,
		   uint64_t buffers_size);
/* Write-only BINDER_WRITE_READ of all of c; -EPROTO if not all consumed. */
int bt_send(int fd, const struct bt_cmds *c);
/* Single-command conveniences (write-only ioctl). */
int bt_send_cmd(int fd, uint32_t cmd);
int bt_send_u32(int fd, uint32_t cmd, uint32_t v);
int bt_send_u64(int fd, uint32_t cmd, uint64_t v);
int bt_send_ptr_cookie(int fd, uint32_t cmd, uint64_t ptr, uint64_t cookie);
int bt_send_handle_cookie(int fd, uint32_t cmd, uint32_t h, uint64_t cookie);
int bt_free_buffer(int fd, binder_uintptr_t buf);
int bt_enter_looper(int fd);

/* ---- transaction payloads ("parcels") ----------------------------- */
struct bt_parcel {
	size_t len;
	size_t noffs;
	uint8_t data[4096] __attribute__((aligned(8)));
	binder_size_t offs[64];
};

void bt_parcel_init(struct bt_parcel *p);
void bt_p_u32(struct bt_parcel *p, uint32_t v);
void bt_p_u64(struct bt_parcel *p, uint64_t v);
void bt_p_bytes(struct bt_parcel *p, const void *b, size_t n);
/* Append an object and record its offset. */
void bt_p_obj(struct bt_parcel *p, const void *obj, size_t size);
void bt_p_binder(struct bt_parcel *p, uint32_t type, uint64_t ptr,
		 uint64_t cookie, uint32_t flags);	/* (WEAK_)BINDER */
void bt_p_handle(struct bt_parcel *p, uint32_t type, uint32_t handle);
void bt_p_fd(struct bt_parcel *p, int fd);
void bt_p_ptr(struct bt_parcel *p, const void *buf, uint64_t len,
	      uint32_t flags, uint64_t parent, uint64_t parent_off);
/* A binder_transaction_data pointing into p. */
void bt_tr(struct binder_transaction_data *tr, uint32_t handle,
	   uint32_t code, uint32_t flags, const struct bt_parcel *p);
/* A binder_transaction_data for raw buffers. */
void bt_tr_raw(struct binder_transaction_data *tr, uint32_t handle,
	       uint32_t code, uint32_t flags, const void *data,
	       size_t data_size, const void *offs, size_t offs_size);

/* ---- return (read) streams ---------------------------------------- */
struct bt_ret {
	uint32_t cmd;
	union {
		struct binder_transaction_data tr;	/* (SEC_CTX) TRANSACTION, REPLY */
		struct binder_ptr_cookie pc;		/* INCREFS..DECREFS */
		binder_uintptr_t cookie;		/* DEAD_BINDER, CLEAR_*_DONE */
		struct binder_frozen_state_info frozen;	/* FROZEN_BINDER */
		int32_t error;				/* ERROR */
	};
	binder_uintptr_t secctx;			/* TRANSACTION_SEC_CTX */
};

#define BT_MAX_RETS 256
struct bt_rets {
	int n;
	int reads;		/* number of read ioctls that added to it */
	size_t last_consumed;	/* read_consumed of the last read */
	struct bt_ret r[BT_MAX_RETS];
};

void bt_rets_init(struct bt_rets *r);
/* Payload size of a BR_* code (-1 if unknown). */
int bt_br_size(uint32_t cmd);
const char *bt_br_name(uint32_t cmd);
/* Parse a raw read buffer, appending to r; -EPROTO on garbage. */
int bt_parse(const void *buf, size_t len, struct bt_rets *r);
/*
 * One read (BT_READ_SIZE bytes) appended to r. Blocking (bounded by
 * timeout_ms) unless the fd is O_NONBLOCK.
 */
int bt_read(int fd, struct bt_rets *r, int timeout_ms);
/* One read with O_NONBLOCK set for its duration (-EAGAIN if nothing). */
int bt_read_nb(int fd, struct bt_rets *r);
/*
 * 0 if nothing is pending for the calling thread (O_NONBLOCK read gives
 * EAGAIN); reads that only return BR_NOOP (a thread that still has to
 * "return to user space", e.g. after a flush) are retried. 1 if something
 * was read into r (if r != NULL), -errno on other errors.
 */
int bt_idle(int fd, struct bt_rets *r);

/* Flags for bt_read_until(). */
#define BT_ACK_REFS	0x1	/* answer BR_INCREFS/BR_ACQUIRE with *_DONE */
#define BT_ANY_TERMINAL	0x2	/* also stop at any BR_*_REPLY/ERROR */

/*
 * Read (blocking, each read bounded by timeout_ms) until an entry with
 * command cmd was added to r; returns its index, or -errno (-EINTR on
 * timeout). With BT_ANY_TERMINAL it stops at REPLY, DEAD_REPLY,
 * FAILED_REPLY, FROZEN_REPLY, ERROR too.
 */
int bt_read_until(int fd, struct bt_rets *r, uint32_t cmd, int flags,
		  int timeout_ms);
/* Index of the first entry >= from with command cmd, or -1. */
int bt_find(const struct bt_rets *r, uint32_t cmd, int from);
/* Space-separated names of r's commands from index from, without NOOPs. */
const char *bt_seq(const struct bt_rets *r, int from);
/* Same, of the raw stream including NOOP and SPAWN_LOOPER. */
const char *bt_seq_all(const struct bt_rets *r, int from);

/* ---- plain TAP (programs that don't use kselftest_harness.h) ------ */
/* Test points printed so far, and how many were "not ok". */
extern int bt_ntests, bt_nfail;
/* Prints "ok N - ..." or "not ok N - ..." (printf format) and counts it. */
void bt_tap(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- calls and replies -------------------------------------------- */
/*
 * Functions returning "a BR code or -errno" return the BR code cast to
 * int: _IOR codes (BR_REPLY, ...) are negative then. BT_IS_ERR() tells
 * them apart from -errno.
 */
#define BT_IS_ERR(ret) ((ret) < 0 && (ret) >= -4095)

/*
 * Send a transaction and read until its outcome: for a synchronous call
 * BR_REPLY / BR_DEAD_REPLY / BR_FAILED_REPLY / BR_FROZEN_REPLY; for
 * TF_ONE_WAY BR_TRANSACTION_COMPLETE or an error. All returns are in r.
 * Returns the terminal BR code, or -errno.
 */
int bt_call(int fd, uint32_t handle, uint32_t code, uint32_t flags,
	    const struct bt_parcel *p, struct bt_rets *r);
int bt_call_tr(int fd, uint32_t cmd, const struct binder_transaction_data *tr,
	       uint64_t buffers_size, struct bt_rets *r);
/* Send BC_REPLY with p (NULL: empty) and flags (write-only). */
int bt_reply(int fd, const struct bt_parcel *p, uint32_t flags);
/* BC_FREE_BUFFER(buf) + BC_REPLY in one write, like libbinder. */
int bt_free_and_reply(int fd, binder_uintptr_t buf, const struct bt_parcel *p,
		      uint32_t flags);
/* The last BR_TRANSACTION/BR_REPLY entry of r (or NULL). */
struct binder_transaction_data *bt_last_tr(struct bt_rets *r);
/* The data of a received transaction as a pointer. */
static inline void *bt_data(const struct binder_transaction_data *tr)
{
	return (void *)(uintptr_t)tr->data.ptr.buffer;
}
static inline binder_size_t *bt_offs(const struct binder_transaction_data *tr)
{
	return (binder_size_t *)(uintptr_t)tr->data.ptr.offsets;
}

/* ---- processes, threads, synchronisation --------------------------- */
/*
 * fork() for helper processes: the child dies with its parent
 * (PR_SET_PDEATHSIG) and gets an alarm() of 60 s.
 */
pid_t bt_fork(void);
/* Lifetime of forked helpers in seconds (default 60; slow suites raise it). */
extern unsigned int bt_child_alarm_s;
/*
 * Wait for a child: its exit status, 128 + signal number if it was
 * killed, or -ETIMEDOUT (after killing it) when timeout_ms passed.
 */
int bt_wait(pid_t pid, int timeout_ms);
/* kill(SIGKILL) + wait. */
int bt_kill(pid_t pid);
pid_t bt_gettid(void);
/* Number of open fds of process pid (0: this process), from /proc/PID/fd; -errno. */
int bt_count_fds(pid_t pid);
/* The lowest fd number not open in this process. */
int bt_lowest_free_fd(void);
/* true if fd is open in this process (fcntl(F_GETFD) works). */
bool bt_fd_is_open(int fd);

/* Bidirectional pipe pair for parent <-> child messages. */
struct bt_chan {
	int p2c[2];
	int c2p[2];
};

int bt_chan_init(struct bt_chan *c);
/* Call in the child / parent after fork: closes the unused ends. */
void bt_chan_child(struct bt_chan *c);
void bt_chan_parent(struct bt_chan *c);
void bt_chan_close(struct bt_chan *c);
/* Parent side. */
int bt_tell_child(struct bt_chan *c, uint64_t v);
int bt_hear_child(struct bt_chan *c, uint64_t *v, int timeout_ms);
/* Child side. */
int bt_tell_parent(struct bt_chan *c, uint64_t v);
int bt_hear_parent(struct bt_chan *c, uint64_t *v, int timeout_ms);
/* Plain fds. */
int bt_pipe_send(int fd, uint64_t v);
int bt_pipe_recv(int fd, uint64_t *v, int timeout_ms);

/*
 * Wait until thread tid of this process sleeps (state S in
 * /proc/self/task/TID/stat), then a little more. For "the thread is
 * blocked in its binder read" preconditions.
 */
int bt_wait_sleeping(pid_t tid, int timeout_ms);
void bt_msleep(int ms);
long bt_now_ms(void);

/*
 * Check for forked children and helper threads: print and _exit(1). The
 * message lines start with '#' so that they are TAP comments.
 */
#define BT_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "# [pid %d] %s:%d: check failed: %s (errno %d)\n", \
			(int)getpid(), __FILE__, __LINE__, #cond, errno); \
		fflush(stderr);						\
		_exit(1);						\
	}								\
} while (0)

#define BT_CHECK_EQ(a, b) do {						\
	__typeof__(a) __a = (a);					\
	__typeof__(b) __b = (b);					\
	if (!(__a == __b)) {						\
		fprintf(stderr, "# [pid %d] %s:%d: check failed: %s == %s (%lld != %lld)\n", \
			(int)getpid(), __FILE__, __LINE__, #a, #b,	\
			(long long)__a, (long long)__b);		\
		fflush(stderr);						\
		_exit(1);						\
	}								\
} while (0)

#define BT_CHECK_STR(a, b) do {						\
	const char *__a = (a), *__b = (b);				\
	if (strcmp(__a, __b)) {						\
		fprintf(stderr, "# [pid %d] %s:%d: check failed: %s == %s (\"%s\" != \"%s\")\n", \
			(int)getpid(), __FILE__, __LINE__, #a, #b, __a, __b); \
		fflush(stderr);						\
		_exit(1);						\
	}								\
} while (0)

/* ---- a generic "report" service ----------------------------------- */
/*
 * bt_report_server(): the body of a forked service process. It opens
 * path, maps map_size, becomes context manager (with ptr/cookie via
 * BINDER_SET_CONTEXT_MGR_EXT when ptr != 0), BC_ENTER_LOOPER, tells
 * the parent its pid on ch, then serves transactions until a BT_CODE_EXIT
 * call (or, with max_txns > 0, that many transactions). Every
 * BR_INCREFS/BR_ACQUIRE is acknowledged. For each transaction it answers
 * (unless one-way) with a struct bt_report followed by a copy of the
 * received data (bt_report.data_copied bytes), so that the caller can
 * assert what the service saw. Codes:
 */
enum {
	BT_CODE_REPORT = 1,	/* reply with a report, free the buffer */
	BT_CODE_EXIT,		/* reply with a report, then exit(0) */
	BT_CODE_HOLD,		/* reply with a report but keep the buffer */
	BT_CODE_FREE_HELD,	/* free the oldest held buffer, reply */
	BT_CODE_STATUS,		/* reply TF_STATUS_CODE with the u32 sent */
	BT_CODE_NO_REPLY,	/* do not reply (the caller stays blocked) */
	BT_CODE_ACQUIRE_HANDLES, /* BC_ACQUIRE every handle received, reply */
	BT_CODE_ECHO_OBJS,	/* reply with the received data and objects */
	BT_CODE_GET_LAST_ONEWAY, /* reply with the report of the last one-way */
};

struct bt_report {
	uint32_t cmd;		/* BR_TRANSACTION or BR_TRANSACTION_SEC_CTX */
	uint32_t code;
	uint32_t flags;
	int32_t sender_pid;
	uint32_t sender_euid;
	uint32_t txn_count;	/* transactions served so far (incl. this) */
	uint64_t target_ptr;
	uint64_t cookie;
	uint64_t data_size;
	uint64_t offsets_size;
	uint64_t offsets_delta;	/* data.ptr.offsets - data.ptr.buffer */
	uint64_t buffer_in_map;	/* 1 if the buffer lies in the mapping */
	uint64_t held;		/* buffers held (BT_CODE_HOLD) after this */
	uint64_t data_copied;
};

struct bt_server_opts {
	size_t map_size;	/* 0: BT_MAP_SIZE */
	uint64_t ptr, cookie;	/* != 0: SET_CONTEXT_MGR_EXT */
	uint32_t cm_flags;
	int max_txns;		/* 0: unlimited */
	bool no_cm;		/* don't become context manager */
};

void bt_report_server(const char *path, const struct bt_server_opts *o,
		      struct bt_chan *ch) __attribute__((noreturn));
/*
 * Fork a report server, wait until it is ready. Returns its pid or
 * -errno. o may be NULL.
 */
pid_t bt_start_server(const char *path, const struct bt_server_opts *o);
/*
 * Call the report server (handle, code, flags, parcel p) and copy its
 * report (+ up to data_len bytes of the data copy) out; the reply buffer
 * is freed. Returns the terminal BR code, or -errno.
 */
int bt_call_report(int fd, uint32_t handle, uint32_t code, uint32_t flags,
		   const struct bt_parcel *p, struct bt_report *rep,
		   void *data, size_t data_len, struct bt_rets *r);
/* BT_CODE_EXIT to handle 0, then wait for the server process. */
int bt_stop_server(int fd, pid_t pid);

/* Send BC_INCREFS_DONE/BC_ACQUIRE_DONE for the BR_INCREFS/BR_ACQUIRE in r from index from. */
int bt_ack_refs(int fd, const struct bt_rets *r, int from);

/* ---- a scripted service process ------------------------------------ */
/*
 * A forked process with its own binder fd that executes one operation
 * per request from the test and answers each with a u64. It holds the
 * buffers of the transactions it reads until told to free them.
 */
enum {
	BT_SC_READ = 1,		/* read until a BR_TRANSACTION; answer: its first object */
	BT_SC_REPLY,		/* empty BC_REPLY; answer: the replier's BR (TRANSACTION_COMPLETE) */
	BT_SC_REPLY_HANDLE,	/* BC_REPLY with a HANDLE object (arg); answer as BT_SC_REPLY */
	BT_SC_FREE,		/* BC_FREE_BUFFER of the oldest held buffer; answer 0 */
	BT_SC_ACQUIRE,		/* BC_ACQUIRE arg; answer 0 */
	BT_SC_RELEASE,		/* BC_RELEASE arg */
	BT_SC_INCREFS,		/* BC_INCREFS arg */
	BT_SC_DECREFS,		/* BC_DECREFS arg */
	BT_SC_CALL_ONEWAY,	/* one-way call to handle arg; answer: terminal BR */
	BT_SC_CALL_SYNC,	/* sync call to handle arg; answer: terminal BR */
	BT_SC_REQUEST_DEATH,	/* BC_REQUEST_DEATH_NOTIFICATION arg, cookie BT_SC_COOKIE(arg) */
	BT_SC_READ_DEATH,	/* read until BR_DEAD_BINDER; answer its cookie (BC_DEAD_BINDER_DONE sent) */
	BT_SC_PID,		/* answer: getpid() */
	BT_SC_CALL_GET_OBJ,	/* sync call to handle arg, hold the reply; answer: its first object */
	BT_SC_SEND_NODE,	/* sync call to handle 0 with BINDER(arg, arg + 1); answer: terminal BR */
	BT_SC_EXIT,		/* close the fd and exit(0) (no answer) */
	BT_SC_READ_CODE,	/* like BT_SC_READ; answer: code << 32 | first u32 of the data (0 if shorter) */
	BT_SC_IDLE,		/* nothing pending (bt_idle): answer 0; else the first non-NOOP BR read (a transaction's buffer is held) */
};

#define BT_SC_COOKIE(h) (0xdead0000ULL | (h))
/* BT_SC_READ answer: object kind in bits 32..39, handle/binder low 32 bits. */
enum { BT_OBJ_NONE, BT_OBJ_HANDLE, BT_OBJ_WEAK_HANDLE, BT_OBJ_BINDER,
       BT_OBJ_WEAK_BINDER, BT_OBJ_OTHER };
#define BT_SC_KIND(v) ((int)(((v) >> 32) & 0xff))
#define BT_SC_HANDLE(v) ((uint32_t)(v))

struct bt_script {
	pid_t pid;
	struct bt_chan ch;
};

struct bt_script_opts {
	bool cm;		/* become context manager (plain) */
	size_t map_size;	/* 0: BT_MAP_SIZE */
	uint32_t cm_flags;	/* with cm: != 0 uses SET_CONTEXT_MGR_EXT (ptr/cookie 0) with these node flags */
};

int bt_script_start(struct bt_script *s, const char *path,
		    const struct bt_script_opts *o);
/* Run one operation; the answer, or -errno (as int64_t). */
int64_t bt_script(struct bt_script *s, uint32_t op, uint32_t arg);
/* Send an operation without waiting; bt_script_result() collects the answer. */
int bt_script_async(struct bt_script *s, uint32_t op, uint32_t arg);
int64_t bt_script_result(struct bt_script *s);
/* BT_SC_EXIT and wait: the exit status. */
int bt_script_stop(struct bt_script *s);
/* SIGKILL it and wait. */
int bt_script_kill(struct bt_script *s);

#endif /* BINDER_TEST_LIB_H */
