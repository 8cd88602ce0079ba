# passgate: the module, the test board, userspace and the tests.
#
#   make          build everything (runs scripts/setup.sh first when needed)
#   make check    host tests, checkpatch, then the kselftests in a QEMU guest
#   make demo     a station exit replayed on the test gate in QEMU
#   make bench    measure the gate in QEMU; writes docs/PERFORMANCE.md
#   make fuzz     the fuzzers, 300 s each
#   make shell    a shell in the guest with the gate loaded
#   make arm64    everything cross-built for the ARM gate PCs (build/arm64)
#   make check-arm64  the kselftests on arm64, in qemu-system-aarch64
#   make fresh-check  make demo and make check on a brand-new bookworm root
#   make clean    remove build output
#
# Build output goes to $(BUILD), except what kbuild writes beside the module
# sources (git-ignored).

BUILD ?= build
STAMP := $(BUILD)/.setup-done
# Read when a recipe runs, so that setup in the same make run is seen.
ABI = $(shell cat $(STAMP) 2>/dev/null)
KDIR = /usr/src/linux-headers-$(ABI)-amd64
GUEST_KERNEL = $(BUILD)/kernel/$(ABI)

KSRC := $(BUILD)/ksrc
KSRC_TARBALL := /usr/src/linux-source-6.1.tar.xz
KSRC_FILES := tools/testing/selftests/kselftest_harness.h \
	tools/testing/selftests/kselftest.h scripts/checkpatch.pl \
	scripts/spelling.txt scripts/const_structs.checkpatch
HARNESS := $(KSRC)/tools/testing/selftests/kselftest_harness.h

CC := gcc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror
CPPFLAGS := -Iuapi
TEST_CPPFLAGS := $(CPPFLAGS) -isystem $(KSRC)/tools/testing/selftests -Iselftests
# 6.1's kselftest_harness.h itself is not -Wextra clean: its macros leave
# parameters unused and compare with mixed signedness.
TEST_WARN := $(WARN) -Wno-unused-parameter -Wno-sign-compare

GUEST_TESTS := lane_test turnstile_test fire_test events_test scan_test \
	policy_test netlink_test daemon_test wedge_test fault_test soak_test \
	outage_test vectors_test gates_test hostile_test egress_test
HOST_TESTS := uapi_layout_test scanframe_test allowlist_test journal_test wedge_test

# The station side (MQTT, HTTP, PostgreSQL): x86 only until the arm64
# sysroot has libmosquitto, libcurl and libpq (A64_MAKE empties it).  The
# collector runs at the station, not on the gate PC.
STATION_BIN ?= passgate-uplink passgate-publish passgate-collector
USERSPACE_BIN := $(addprefix $(BUILD)/bin/,passgatectl passgate-issuer passgated \
	$(STATION_BIN))
GUEST_BIN := $(addprefix $(BUILD)/selftests/,$(GUEST_TESTS))
# The station (Mosquitto, PostgreSQL, the station programs): x86 guest only.
STATION_TEST_BIN := $(BUILD)/selftests/station_test
# Run by selftests/powercut.sh in two boots of their own, not in the list.
POWERCUT_BIN := $(BUILD)/selftests/powercut_test
HOST_BIN := $(addprefix $(BUILD)/host/,$(HOST_TESTS))
AML := $(BUILD)/selftests/testgate.aml

.PHONY: all setup module testboard userspace tests check demo shell bench \
	clean install fuzz fuzz-build soak reliability station arm64 arm64-module \
	check-arm64 fresh-check

all: module testboard userspace tests $(AML)

setup: $(STAMP)
$(STAMP): scripts/setup.sh scripts/kernel-abi.sh
	scripts/setup.sh $(BUILD)

module: $(STAMP)
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

testboard: $(STAMP)
	$(MAKE) -C $(KDIR) M=$(CURDIR)/selftests/testboard W=1 modules

$(HARNESS): | $(STAMP)
	mkdir -p $(KSRC)
	tar -xJf $(KSRC_TARBALL) -C $(KSRC) --strip-components=1 \
		$(addprefix linux-source-6.1/,$(KSRC_FILES))
	touch $(addprefix $(KSRC)/,$(KSRC_FILES))

# libpassgate: device access, names, list files and signatures, the
# policy's BPF state.  Every program links all of it.
LIB_SRC := $(addprefix userspace/lib/,gate.c lane.c names.c policy.c \
	minisign.c listfile.c digest.c state.c install.c config.c journal.c wedge.c)
LIB_OBJ := $(patsubst userspace/lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRC))
LIB := $(BUILD)/lib/libpassgate.a
NL_CFLAGS = $(shell pkg-config --cflags libnl-genl-3.0 2>/dev/null)
NL_LIBS = $(shell pkg-config --libs libnl-genl-3.0 2>/dev/null)
LIB_LDLIBS = -lbpf -lelf -lz -lsodium -lsqlite3 $(NL_LIBS)
USERSPACE_CPPFLAGS = $(CPPFLAGS) -Iuserspace -I$(BUILD)/userspace $(NL_CFLAGS)
POLICY_SKEL := $(BUILD)/userspace/policy.skel.h

userspace: $(USERSPACE_BIN) $(BUILD)/userspace/policy.bpf.o
$(BUILD)/lib/%.o: userspace/lib/%.c $(wildcard userspace/lib/*.h) \
		uapi/linux/passgate.h userspace/bpf/policy.h $(POLICY_SKEL)
	@mkdir -p $(@D)
	$(CC) $(USERSPACE_CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<
$(LIB): $(LIB_OBJ)
	$(AR) rcs $@ $^
# A program is userspace/NAME.c or the folder userspace/NAME/.
.SECONDEXPANSION:

# libFuzzer targets (docs/fuzzing.md), built with clang and the sanitizers
# from the very sources they test; selftests/fuzz/run.sh runs them.
FUZZ_TARGETS := fuzz_scanframe fuzz_listfile fuzz_config fuzz_wedge \
	fuzz_wedge_config
FUZZ_BIN := $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all $(WARN)
FUZZ_CPPFLAGS := $(CPPFLAGS) -Iuserspace -Idriver -Iselftests/fuzz
FUZZ_SRC_fuzz_scanframe := driver/scanframe.c
FUZZ_SRC_fuzz_listfile := userspace/lib/listfile.c userspace/lib/minisign.c
FUZZ_SRC_fuzz_config := userspace/lib/config.c userspace/lib/wedge.c
FUZZ_SRC_fuzz_wedge := userspace/lib/wedge.c
FUZZ_SRC_fuzz_wedge_config := userspace/lib/wedge.c
FUZZ_LIBS_fuzz_listfile := -lsodium

fuzz-build: $(FUZZ_BIN)
$(BUILD)/fuzz/%: selftests/fuzz/%.c selftests/fuzz/fuzz_common.h \
		$$(FUZZ_SRC_$$*) $(wildcard userspace/lib/*.h) driver/scanframe.h \
		userspace/bpf/policy.h uapi/linux/passgate.h | $(STAMP)
	@mkdir -p $(@D)
	clang $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRC_$*) \
		$(FUZZ_LIBS_$*)
fuzz: $(FUZZ_BIN)
	@mkdir -p $(BUILD)/logs
	{ selftests/fuzz/run.sh $(BUILD) 300; echo $$? >$(BUILD)/logs/fuzz.rc; } | \
		tee $(BUILD)/logs/fuzz.log
	@exit $$(cat $(BUILD)/logs/fuzz.rc)
$(BUILD)/bin/%: $$(wildcard userspace/$$*.c userspace/$$*/*.c userspace/$$*/*.h) \
		$(LIB) $(wildcard userspace/lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(USERSPACE_CPPFLAGS) $(PROG_CPPFLAGS) $(CFLAGS) $(WARN) -o $@ \
		$(filter %.c,$^) $(LIB) $(LIB_LDLIBS) $(PROG_LDLIBS)
# passgated's wedge bridge (passgated/wedge.c) reads input devices with
# libevdev and builds SCAN frames with the module's own encoder.
EVDEV_CFLAGS = $(shell pkg-config --cflags libevdev)
EVDEV_LIBS = $(shell pkg-config --libs libevdev)
$(BUILD)/bin/passgated: driver/scanframe.c driver/scanframe.h
$(BUILD)/bin/passgated: PROG_CPPFLAGS = -Idriver $(EVDEV_CFLAGS)
$(BUILD)/bin/passgated: PROG_LDLIBS = $(EVDEV_LIBS)
MQTT_CFLAGS = $(shell pkg-config --cflags libmosquitto libcurl)
MQTT_LIBS = $(shell pkg-config --libs libmosquitto libcurl)
$(BUILD)/bin/passgate-uplink: PROG_CPPFLAGS = $(MQTT_CFLAGS)
$(BUILD)/bin/passgate-uplink: PROG_LDLIBS = $(MQTT_LIBS) -pthread
$(BUILD)/bin/passgate-publish: PROG_CPPFLAGS = $(MQTT_CFLAGS)
$(BUILD)/bin/passgate-publish: PROG_LDLIBS = $(MQTT_LIBS)
# The collector needs none of libpassgate: its own rule, its own libraries.
COLLECTOR_SRC := $(wildcard userspace/passgate-collector/*.c)
COLLECTOR_CFLAGS = $(shell pkg-config --cflags libmosquitto libpq)
COLLECTOR_LIBS = $(shell pkg-config --libs libmosquitto libpq)
$(BUILD)/bin/passgate-collector: $(COLLECTOR_SRC) \
		$(wildcard userspace/passgate-collector/*.h) | $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(COLLECTOR_CFLAGS) $(CFLAGS) $(WARN) -o $@ $(COLLECTOR_SRC) \
		$(COLLECTOR_LIBS)

$(BUILD)/userspace/%.bpf.o: userspace/bpf/%.bpf.c userspace/bpf/%.h userspace/lib/allowlist.h \
		uapi/linux/passgate.h | $(STAMP)
	@mkdir -p $(@D)
	clang $(BPF_CFLAGS) -Iuserspace/bpf -c -o $@ $<
$(BUILD)/userspace/%.skel.h: $(BUILD)/userspace/%.bpf.o
	bpftool gen skeleton $< name $* > $@
.SECONDARY: $(POLICY_SKEL) $(BUILD)/userspace/policy.bpf.o

# Recursive (=), and so expanded in the recipe: gcc may not be installed
# before scripts/setup.sh has run in this very make.
BPF_CFLAGS = -O2 -g -target bpf -I/usr/include/$(shell gcc -dumpmachine) \
	-Iuapi -Iselftests/bpf -Wall -Werror
TEST_BPF := $(BUILD)/selftests/decide_test.skel.h

$(BUILD)/selftests/%.bpf.o: selftests/bpf/%.bpf.c selftests/bpf/%.h \
		uapi/linux/passgate.h | $(STAMP)
	@mkdir -p $(@D)
	clang $(BPF_CFLAGS) -c -o $@ $<
$(BUILD)/selftests/%.skel.h: $(BUILD)/selftests/%.bpf.o
	bpftool gen skeleton $< > $@
# Kept: the tests depend on them, and make would delete them as intermediate.
.SECONDARY: $(TEST_BPF) $(TEST_BPF:.skel.h=.bpf.o)

GUEST_TEST_LIB := selftests/gate_fixture.c selftests/board.c \
	selftests/policy_env.c driver/scanframe.c
GUEST_TEST_HDR := selftests/gate_fixture.h selftests/board.h selftests/policy_env.h \
	driver/scanframe.h selftests/bpf/decide_test.h
DEMO_BIN := $(BUILD)/selftests/station_exit
tests: $(GUEST_BIN) $(POWERCUT_BIN) $(HOST_BIN) $(DEMO_BIN) \
	$(if $(STATION_BIN),$(STATION_TEST_BIN))
$(DEMO_BIN): selftests/demo/station_exit.c $(GUEST_TEST_LIB) $(GUEST_TEST_HDR) \
		$(LIB) uapi/linux/passgate.h
	@mkdir -p $(@D)
	$(CC) $(TEST_CPPFLAGS) -Idriver -Iuserspace -I$(BUILD)/userspace \
		$(CFLAGS) $(WARN) -o $@ $< $(GUEST_TEST_LIB) $(LIB) $(LIB_LDLIBS)
$(BUILD)/selftests/%: selftests/%.c $(GUEST_TEST_LIB) $(GUEST_TEST_HDR) \
		$(TEST_BPF) $(LIB) uapi/linux/passgate.h $(HARNESS)
	@mkdir -p $(@D)
	$(CC) $(TEST_CPPFLAGS) -Idriver -Iselftests/bpf -I$(BUILD)/selftests \
		-Iuserspace -I$(BUILD)/userspace $(NL_CFLAGS) $(CFLAGS) \
		$(TEST_WARN) -pthread -o $@ $< $(GUEST_TEST_LIB) $(LIB) \
		$(LIB_LDLIBS)
# The wedge test drives passgated's wedge bridge itself, no daemon.
WEDGE_TEST_SRC := userspace/passgated/wedge.c
$(BUILD)/selftests/wedge_test: selftests/wedge_test.c $(WEDGE_TEST_SRC) \
		userspace/passgated/daemon.h $(GUEST_TEST_LIB) $(GUEST_TEST_HDR) \
		$(LIB) uapi/linux/passgate.h $(HARNESS)
	@mkdir -p $(@D)
	$(CC) $(TEST_CPPFLAGS) -Idriver -Iuserspace -I$(BUILD)/userspace \
		$(NL_CFLAGS) $(EVDEV_CFLAGS) $(CFLAGS) $(TEST_WARN) -o $@ $< \
		$(WEDGE_TEST_SRC) $(GUEST_TEST_LIB) $(LIB) $(LIB_LDLIBS) \
		$(EVDEV_LIBS)
# Host tests may use the sources that build both into the module and
# into userspace.
HOST_TEST_LIB := driver/scanframe.c
$(BUILD)/host/%: selftests/host/%.c $(HOST_TEST_LIB) driver/scanframe.h \
		$(LIB) uapi/linux/passgate.h $(HARNESS)
	@mkdir -p $(@D)
	$(CC) $(TEST_CPPFLAGS) -Idriver -Iuserspace -I$(BUILD)/userspace \
		$(CFLAGS) $(TEST_WARN) -o $@ $< $(HOST_TEST_LIB) $(LIB) \
		$(LIB_LDLIBS)

$(AML): selftests/testgate.asl | $(STAMP)
	@mkdir -p $(@D)
	iasl -p $(basename $@) $< >/dev/null

check: all fuzz-build arm64
	BUILD=$(BUILD) GUEST_KERNEL=$(GUEST_KERNEL) \
	A64=$(A64) A64_KERNEL=$(A64_KERNEL) \
	DT_INCLUDE=/usr/src/linux-headers-$(ABI)-common/include \
	KERNEL_RELEASE=$(ABI)-amd64 scripts/check.sh \
		$(HOST_BIN) selftests/host/minisign_interop.sh \
		selftests/host/collector_test.sh selftests/fuzz/run.sh \
		-- $(GUEST_BIN) $(STATION_TEST_BIN) \
		-- $(addprefix $(abspath $(A64))/selftests/,$(GUEST_TESTS)) \
		$(addprefix $(abspath $(A64))/host/,$(HOST_TESTS))

# make soak: the long reliability runs (scripts/soak.sh); make reliability
# turns the tallies of the last check, soak and fuzz into
# docs/RELIABILITY.md.
SOAK_SECONDS ?= 300
soak: all
	BUILD=$(BUILD) GUEST_KERNEL=$(GUEST_KERNEL) \
	SOAK_SECONDS=$(SOAK_SECONDS) scripts/soak.sh
reliability:
	scripts/reliability.sh --publish $(BUILD) docs/RELIABILITY.md

# make station: the station at scale (scripts/station.sh): simulated gates
# against a real broker, collector and PostgreSQL, then the station test in
# the guest with more scans; figures into docs/PERFORMANCE.md.
station: all $(BUILD)/bench/station_load
	BUILD=$(BUILD) GUEST_KERNEL=$(GUEST_KERNEL) scripts/station.sh
$(BUILD)/bench/station_load: selftests/bench/station_load.c | $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(shell pkg-config --cflags libmosquitto libpq) $(CFLAGS) $(WARN) \
		-o $@ $< $(shell pkg-config --libs libmosquitto libpq) -pthread

# make fresh-check: make demo and make check on a brand-new bookworm root
# (scripts/fresh-check.sh), to catch an install step that a used machine
# hides.  .ci/run runs it after make check.
fresh-check:
	scripts/fresh-check.sh $(BUILD)

demo: all
	BUILD=$(BUILD) GUEST_KERNEL=$(GUEST_KERNEL) scripts/demo.sh

# make bench: what the gate costs, measured on the test gate in QEMU
# (scripts/bench.sh); the table goes to stdout and, with the method and
# the machine, into docs/PERFORMANCE.md.  Not part of make check.
BENCH_BIN := $(addprefix $(BUILD)/bench/,passgate_bench sqlite_peer \
	journal_bench)
bench: all $(BENCH_BIN)
	BUILD=$(BUILD) GUEST_KERNEL=$(GUEST_KERNEL) scripts/bench.sh
	@# The journal on the host's disk, where a gate keeps it.
	{ printf '\n## The audit journal (item 4)\n\n%s\n\n%s\n%s\n' \
		'On the host disk (the build folder), with selftests/bench/journal_bench; appended by make bench.' \
		'| # | measurement | result | note |' '|---|---|---|---|'; \
	  $(BUILD)/bench/journal_bench $(BUILD) 20000; } | tee -a docs/PERFORMANCE.md
$(BUILD)/bench/%: selftests/bench/%.c $(GUEST_TEST_LIB) $(GUEST_TEST_HDR) \
		$(LIB) uapi/linux/passgate.h
	@mkdir -p $(@D)
	$(CC) $(TEST_CPPFLAGS) -Idriver -Iuserspace -I$(BUILD)/userspace \
		$(CFLAGS) $(WARN) -o $@ $< $(GUEST_TEST_LIB) $(LIB) $(LIB_LDLIBS)

# An interactive shell in the guest with the gate loaded.
shell: all
	PASSGATE_INTERACTIVE=1 selftests/run-qemu.sh \
		--kernel-dir $(GUEST_KERNEL) --acpi $(AML) --out $(BUILD)/shell \
		--timeout 86400 -- scripts/guest-gate.sh scripts/guest-shell.sh $(BUILD)

# Install as a gate PC expects it (DESTDIR for packaging): programs, the
# daemon's unit and config (kept if present), docs, and the module's
# sources for DKMS, which then builds it for every kernel.
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
install: userspace
	install -d $(DESTDIR)/usr/bin $(DESTDIR)/usr/sbin \
		$(DESTDIR)/lib/systemd/system $(DESTDIR)/etc/passgate/trust \
		$(DESTDIR)/usr/share/doc/passgate $(DESTDIR)/usr/src/passgate-$(VERSION)
	install -m 755 $(BUILD)/bin/passgatectl $(BUILD)/bin/passgate-issuer \
		$(DESTDIR)/usr/bin/
	install -m 755 $(BUILD)/bin/passgated $(DESTDIR)/usr/sbin/
	install -m 644 dist/passgated.service $(DESTDIR)/lib/systemd/system/
	[ -e $(DESTDIR)/etc/passgate/passgated.conf ] || \
		install -m 644 dist/passgated.conf $(DESTDIR)/etc/passgate/
	install -m 644 README.md docs/*.md $(DESTDIR)/usr/share/doc/passgate/
	cp -r Kbuild dkms.conf driver uapi $(DESTDIR)/usr/src/passgate-$(VERSION)/
	find $(DESTDIR)/usr/src/passgate-$(VERSION) \( -name '*.o' -o -name '*.ko' \
		-o -name '*.mod*' -o -name '.*.cmd' \) -delete
	@echo "now: dkms install -m passgate -v $(VERSION); systemctl enable --now passgated"

# --- ARM gate PCs (issue 10) -------------------------------------------
# The same sources cross-built for arm64 into $(A64) by this Makefile
# itself (BUILD=$(A64), the cross compiler pointed at the sysroot that
# scripts/setup-arm64.sh unpacks), the module against Debian's arm64
# headers, and the kselftests run in qemu-system-aarch64 -M virt with the
# test gate as a device-tree overlay (dts/passgate-testgate-virt.dtso).
A64 := $(BUILD)/arm64
A64_STAMP := $(A64)/.setup-done
A64_TRIPLE := aarch64-linux-gnu
A64_SYSROOT := $(abspath $(A64))/sysroot
A64_LIB := $(A64_SYSROOT)/usr/lib/$(A64_TRIPLE)
A64_KERNEL = $(A64)/kernel/$(ABI)
A64_KDIR = $(abspath $(A64_KERNEL))/usr/src/linux-headers-$(ABI)-arm64
A64_KBUILD = $(MAKE) -C $(A64_KDIR) ARCH=arm64 CROSS_COMPILE=$(A64_TRIPLE)- W=1
# Kbuild writes beside the sources: the arm64 module gets its own copy.
A64_MOD := $(A64)/module
A64_MOD_SRC := Kbuild $(wildcard driver/*.[ch]) uapi/linux/passgate.h \
	selftests/testboard/Kbuild selftests/testboard/passgate-testboard.c
A64_DTBO := $(A64)/dt/passgate-testgate-virt.dtbo
# Command-line variables override CC, AR and BPF_CFLAGS in the sub-make;
# the x86 STAMP and KSRC are shared (the host's setup, one harness).
A64_MAKE = PKG_CONFIG_LIBDIR=$(A64_LIB)/pkgconfig:$(A64_SYSROOT)/usr/share/pkgconfig \
	PKG_CONFIG_SYSROOT_DIR=$(A64_SYSROOT) $(MAKE) BUILD=$(A64) STAMP=$(STAMP) \
	STATION_BIN= \
	KSRC=$(KSRC) AR=$(A64_TRIPLE)-ar \
	CC="$(A64_TRIPLE)-gcc -I$(A64_SYSROOT)/usr/include -L$(A64_LIB) \
		-Wl,-rpath-link,$(A64_LIB)" \
	BPF_CFLAGS="-O2 -g -target bpf -I/usr/$(A64_TRIPLE)/include \
		-I$(A64_SYSROOT)/usr/include -Iuapi -Iselftests/bpf -Wall -Werror"

$(A64_STAMP): scripts/setup-arm64.sh scripts/kernel-abi.sh | $(STAMP)
	scripts/setup-arm64.sh $(A64)

arm64: arm64-module $(A64_DTBO) | $(STAMP) $(A64_STAMP)
	+$(A64_MAKE) userspace tests

arm64-module: $(A64_STAMP)
	@mkdir -p $(A64_MOD)
	cp -p --parents $(A64_MOD_SRC) $(A64_MOD)/
	+$(A64_KBUILD) M=$(abspath $(A64_MOD)) modules
	+$(A64_KBUILD) M=$(abspath $(A64_MOD))/selftests/testboard modules

$(A64_DTBO): dts/passgate-testgate-virt.dtso dts/passgate-testgate.dtso | $(A64_STAMP)
	@mkdir -p $(@D)
	cpp -nostdinc -undef -x assembler-with-cpp \
		-I /usr/src/linux-headers-$(ABI)-common/include $< | \
		dtc -@ -q -I dts -O dtb -o $@ -

# From the arm64 module's folder: scripts/guest-gate.sh and outage_test
# load ./passgate.ko.  The repository is at the same path in the guest.
check-arm64: arm64
	selftests/run-qemu-arm64.sh --kernel-dir $(A64_KERNEL) --dtbo $(A64_DTBO) \
		--rootfs $(A64)/rootfs --out $(A64)/guest --timeout 1500 -- \
		sh -c 'cd $(abspath $(A64_MOD)) && exec "$$0" "$$@"' \
		$(CURDIR)/scripts/guest-gate.sh $(CURDIR)/selftests/run-tests.sh \
		$(addprefix $(abspath $(A64))/selftests/,$(GUEST_TESTS)) \
		$(addprefix $(abspath $(A64))/host/,$(HOST_TESTS))

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/selftests/testboard clean
	rm -rf $(filter-out $(BUILD)/kernel $(BUILD)/.setup-done $(A64),$(wildcard $(BUILD)/*)) \
		$(filter-out $(addprefix $(A64)/,kernel debs sysroot rootfs .setup-done), \
			$(wildcard $(A64)/*))
