// SPDX-License-Identifier: GPL-2.0
/*
 * Binder devices named by the driver's module parameter, outside any
 * binderfs instance the test makes: rust_binder's legacy /dev/<name> char
 * devices (legacy_devices=binder,hwbinder), or, for the C driver built with
 * binderfs, the same names from its devices= parameter in a binderfs
 * instance. $BINDER_LEGACY_DIR names the directory (default /dev).
 */
#include <stdlib.h>
#include <sys/stat.h>
#include "binder_test_lib.h"
#include "kselftest_harness.h"

static void dev_path(char *buf, size_t len, const char *name)
{
	const char *dir = getenv("BINDER_LEGACY_DIR");

	snprintf(buf, len, "%s/%s", dir ? dir : "/dev", name);
}

/* The devices exist as character devices and speak protocol 8. */
TEST(legacy_devices_exist)
{
	static const char *const names[] = { "binder", "hwbinder" };
	char path[256];
	struct stat st;

	for (int i = 0; i < 2; i++) {
		struct bt_proc p;

		dev_path(path, sizeof(path), names[i]);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s", path);
		ASSERT_TRUE(S_ISCHR(st.st_mode));
		ASSERT_EQ(0, bt_open(path, BT_MAP_SIZE, &p));
		ASSERT_EQ(BINDER_CURRENT_PROTOCOL_VERSION, bt_version(p.fd));
		bt_close(&p);
	}
}

/* Each device is its own context: one context manager each. */
TEST(legacy_contexts_independent)
{
	struct bt_proc a, b, c;
	char pa[256], pb[256];

	dev_path(pa, sizeof(pa), "binder");
	dev_path(pb, sizeof(pb), "hwbinder");
	ASSERT_EQ(0, bt_open(pa, BT_MAP_SIZE, &a));
	ASSERT_EQ(0, bt_open(pb, BT_MAP_SIZE, &b));
	ASSERT_EQ(0, bt_open(pa, BT_MAP_SIZE, &c));
	ASSERT_EQ(0, bt_set_cm(a.fd));
	ASSERT_EQ(0, bt_set_cm(b.fd));
	ASSERT_EQ(-EBUSY, bt_set_cm(c.fd));
	bt_close(&c);
	bt_close(&b);
	bt_close(&a);
}

/* A call through the device reaches its context manager and is answered. */
TEST(legacy_call_and_reply)
{
	struct bt_report rep;
	struct bt_rets r;
	struct bt_proc p;
	char path[256];
	pid_t srv;

	dev_path(path, sizeof(path), "binder");
	srv = bt_start_server(path, NULL);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(path, BT_MAP_SIZE, &p));
	bt_rets_init(&r);
	ASSERT_EQ(BR_REPLY, bt_call_report(p.fd, 0, 7, 0, NULL, &rep, NULL, 0, &r));
	ASSERT_EQ(7, rep.code);
	ASSERT_EQ(0, bt_stop_server(p.fd, srv));
	bt_close(&p);
}

TEST_HARNESS_MAIN
