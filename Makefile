# SPDX-License-Identifier: GPL-2.0
# rust_binder: build the module against a kernel tree (KDIR), and the
# project's own workflows (check, demo). See README.md.
#
#   make [KDIR=/path/to/kernel/build]   build rust_binder.ko
#   make modules_install                install it into KDIR's module dir
#   make install                        modules_install + depmod (DKMS-style;
#                                       INSTALL_MOD_PATH=DIR for a staging root)
#   make toolchain-check                stop unless rustc, bindgen and clang are
#                                       the ones that built KDIR (every build
#                                       runs it first)
#   make kselftest-install INSTALL_PATH=DIR
#                                       the tests laid out as the kernel's
#                                       kselftest install (tests/kselftest/install.sh)
#   make clean                          remove build products
#   make check                          set up, build, run every test in QEMU
#   make demo                           boot QEMU and show rust_binder at work
#   make bench [QUICK=1] [RECORD=1]     benchmark matrix, both drivers: rust/C ratios
#   make trace [DRIVER=rust|c] [SCENARIO=name] [ALL=1]
#                                       record binder trace events in QEMU and
#                                       print a per-transaction timeline
#   make stress                         stress suite (kill storms, fail-nth,
#                                       leak oracle, fuzzer, userfaultfd, unload) on both drivers
#
# Without KDIR the project's own test kernel is used (built and cached
# outside the checkout on first use, see scripts/build-kernel.sh).

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
SHELL := /bin/bash

ifeq ($(origin KDIR),undefined)
KDIR = $(eval KDIR := $(shell bash $(ROOT)/scripts/build-kernel.sh | tail -n1))$(KDIR)
endif

LLVM ?= 1
RUSTC ?= /usr/bin/rustc
RUSTDOC ?= /usr/bin/rustdoc
BINDGEN ?= $(HOME)/.cargo/bin/bindgen
RUST_LIB_SRC ?= $(lastword $(sort $(wildcard /usr/src/rustc-*/library)))
KMAKE = $(MAKE) -C $(KDIR) M=$(ROOT) LLVM=$(LLVM) RUSTC=$(RUSTC) RUSTDOC=$(RUSTDOC) \
	BINDGEN=$(BINDGEN) RUST_LIB_SRC=$(RUST_LIB_SRC)
export PATH := /usr/lib/llvm-19/bin:$(PATH)

.PHONY: all modules modules_install install toolchain-check kselftest-install clean setup \
	kernel check demo bench stress rustfmt trace

all: modules

# The kernel's own clang when kbuild would pick one: an explicit CC= wins (DKMS
# passes CC=clang), else scripts/check-toolchain.sh derives it from LLVM.
RB_CC = $(if $(filter command line environment environment override,$(origin CC)),$(CC))

toolchain-check:
	@RUSTC='$(RUSTC)' BINDGEN='$(BINDGEN)' LLVM='$(LLVM)' CC='$(RB_CC)' \
	  bash $(ROOT)/scripts/check-toolchain.sh '$(KDIR)'

# Kbuild repeats the check for builds that don't come through this Makefile.
export RB_TOOLCHAIN_OK := 1

modules: toolchain-check
	+$(KMAKE) modules

modules_install: toolchain-check
	+$(KMAKE) modules_install

# modules_install, then depmod for KDIR's release (into INSTALL_MOD_PATH if
# given), so that `modprobe rust_binder` / `modprobe binder_linux` find it.
DEPMOD ?= depmod
install: modules
	+$(KMAKE) modules_install
	$(DEPMOD) -a $(if $(INSTALL_MOD_PATH),-b '$(INSTALL_MOD_PATH)') \
	  "$$(cat '$(KDIR)/include/config/kernel.release')"

# tests/kselftest laid out as `make -C tools/testing/selftests install` does.
kselftest-install:
	@test -n '$(INSTALL_PATH)' || { echo 'usage: make kselftest-install INSTALL_PATH=DIR' >&2; exit 2; }
	KDIR='$(KDIR)' bash $(ROOT)/tests/kselftest/install.sh '$(INSTALL_PATH)'

clean:
	+$(KMAKE) clean
	rm -rf $(ROOT)/build

setup:
	bash $(ROOT)/scripts/setup.sh

kernel: setup
	bash $(ROOT)/scripts/build-kernel.sh

check:
	bash $(ROOT)/scripts/check.sh

demo:
	bash $(ROOT)/scripts/demo.sh

# The benchmark matrix (benchmarks/) on both drivers, perf kernel: rust/C
# ratios. make bench [QUICK=1] [ROUNDS=N] [RECORD=1] [CELLS="prefix..."] [SECS=S]
bench:
	QUICK="$(QUICK)" ROUNDS="$(ROUNDS)" RECORD="$(RECORD)" CELLS="$(CELLS)" SECS="$(SECS)" \
	  bash $(ROOT)/scripts/bench.sh

# binder trace events of a few scenarios, recorded in QEMU (scripts/trace.sh).
trace:
	DRIVER="$(DRIVER)" SCENARIO="$(SCENARIO)" ALL="$(ALL)" MODULE="$(MODULE)" \
	  bash $(ROOT)/scripts/trace.sh

# The stress suite (tests/stress, issue 8) against both drivers on the debug
# kernel: kill storms, fail-nth, leak oracle, fuzzer, userfaultfd, unload
# loop (about 25 minutes per driver). SEED=N replays a run.
stress:
	bash $(ROOT)/scripts/setup.sh
	bash $(ROOT)/scripts/build-kernel.sh debug >/dev/null
	$(MAKE) -s -C $(ROOT) KDIR=$$(bash $(ROOT)/scripts/build-kernel.sh debug | tail -n1) modules
	KDIR=$$(bash $(ROOT)/scripts/build-kernel.sh debug | tail -n1) \
	  bash $(ROOT)/tests/stress/run-stress.sh $(if $(SEED),--seed $(SEED)) both

# Formats the crate (rustfmt follows `mod` declarations from the root),
# with the kernel's settings.
rustfmt:
	rustfmt --edition 2021 --config-path $(KDIR)/source/.rustfmt.toml $(ROOT)/rust_binder_main.rs
