# The tests: kselftests that run in the QEMU guest against the test gate
# (selftests/*_test.c, the test board in selftests/testboard/), host tests
# (selftests/host/), and the test gate's firmware (selftests/testgate.asl).
TEST_CPPFLAGS := $(CPPFLAGS) -isystem $(KSRC)/tools/testing/selftests \
	-Iselftests -Idriver -Iselftests/bpf -I$(BUILD)/selftests
# 6.1's kselftest_harness.h itself is not -Wextra clean: its macros leave
# parameters unused and compare with mixed signedness.
TEST_WARN := $(WARN) -Wno-unused-parameter -Wno-sign-compare

GUEST_TESTS := lane_test turnstile_test fire_test events_test scan_test \
	policy_test ticket_test netlink_test daemon_test wedge_test \
	fault_test soak_test \
	outage_test vectors_test gates_test hostile_test egress_test \
	upgrade_test readers_test compact_test \
	factory_test
HOST_TESTS := uapi_layout_test scanframe_test allowlist_test journal_test \
	journal_seal_test wedge_test ticket_state_test \
	event_format_test samframe_test qrframe_test compactlist_test
GUEST_BIN := $(addprefix $(BUILD)/selftests/,$(GUEST_TESTS))
HOST_BIN := $(addprefix $(BUILD)/host/,$(HOST_TESTS))
# Not tests: tools the host test scripts run (batch_tool: a gate's sealed
# batches for collector_test.sh).
HOST_TOOLS := $(BUILD)/host/batch_tool
# The station (Mosquitto, PostgreSQL, the station programs), in both guests
# (the arm64 rootfs has the servers: scripts/setup-arm64.sh).
STATION_TEST_BIN := $(BUILD)/selftests/station_test
# Metrics through a real node_exporter and Prometheus (both from the
# host's root): x86 guest only, since the arm64 rootfs has no Prometheus
# (scripts/setup-arm64.sh names no such package).
METRICS_TEST_BIN := $(BUILD)/selftests/metrics_test
# The gate PC's users, folders and udev rule (qemu/guest-privileges.sh):
# x86 guest only for now.  The arm64 guest is a gate PC too, but its root
# has busybox where this test runs coreutils' install (there
# turnstile_test and scan_test check the kernel's half).
PRIVILEGE_TEST_BIN := $(BUILD)/selftests/privilege_test
# passgatectl top in a real tmux (selftests/top_test.c), in both guests
# (the arm64 rootfs has tmux: scripts/setup-arm64.sh).
TOP_TEST_BIN := $(BUILD)/selftests/top_test
# Run by selftests/powercut.sh in two boots of their own, not in the list.
POWERCUT_BIN := $(BUILD)/selftests/powercut_test
AML := $(BUILD)/selftests/testgate.aml

TEST_BPF := $(BUILD)/selftests/decide_test.skel.h \
	$(BUILD)/selftests/card_dates.skel.h
$(BUILD)/selftests/%.bpf.o: selftests/bpf/%.bpf.c selftests/bpf/%.h \
		uapi/linux/passgate.h | $(STAMP)
	@mkdir -p $(@D)
	clang $(BPF_CFLAGS) -c -o $@ $<
$(BUILD)/selftests/%.skel.h: $(BUILD)/selftests/%.bpf.o
	bpftool gen skeleton $< > $@
# Kept: the tests depend on them, and make would delete them as intermediate.
.SECONDARY: $(TEST_BPF) $(TEST_BPF:.skel.h=.bpf.o)
# The compact list's lookup (common/compactlist.h) compiled for BPF with
# every build, so that the header stays something the policy can use.
COMPACT_BPF := $(BUILD)/selftests/compact_lookup.bpf.o
$(COMPACT_BPF): common/compactlist.h common/allowlist.h

# What the guest tests, the demo and the bench share.
GUEST_TEST_LIB := selftests/gate_fixture.c selftests/factory_gate.c \
	selftests/board.c selftests/policy_env.c driver/scanframe.c \
	selftests/readersim.c driver/samframe.c
GUEST_TEST_HDR := selftests/gate_fixture.h selftests/factory_gate.h \
	selftests/board.h selftests/readersim.h driver/samframe.h \
	selftests/policy_env.h driver/scanframe.h selftests/bpf/decide_test.h \
	selftests/card_reader.h selftests/bpf/card_dates.h \
	$(GATE_HDR)
TEST_LDLIBS = $(GATE_ARCHIVES) $(GATE_LDLIBS)

# board-scan: one scan from lane 0's board, for the Debian guest's
# install test (qemu/install-test.sh), which has no harness.
BOARD_SCAN := $(BUILD)/selftests/board-scan
$(BOARD_SCAN): selftests/board_scan.c selftests/board.c selftests/board.h \
		driver/scanframe.c driver/scanframe.h | $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iselftests -Idriver $(CFLAGS) $(WARN) -o $@ \
		selftests/board_scan.c selftests/board.c driver/scanframe.c \
		-lsodium

tests: $(GUEST_BIN) $(POWERCUT_BIN) $(HOST_BIN) $(HOST_TOOLS) \
	$(PRIVILEGE_TEST_BIN) $(TOP_TEST_BIN) $(METRICS_TEST_BIN) \
	$(BOARD_SCAN) $(COMPACT_BPF) \
	$(if $(STATION_BIN),$(STATION_TEST_BIN))
$(BUILD)/selftests/%: selftests/%.c $(GUEST_TEST_LIB) $(GUEST_TEST_HDR) \
		$(TEST_BPF) $(GATE_ARCHIVES) $(HARNESS)
	@mkdir -p $(@D)
	$(CC) $(TEST_CPPFLAGS) $(NL_CFLAGS) $(CFLAGS) $(TEST_WARN) -pthread \
		-o $@ $< $(GUEST_TEST_LIB) $(TEST_LDLIBS)
# The wedge test drives passgated's wedge bridge itself, no daemon.
WEDGE_TEST_SRC := gate/passgated/wedge.c
$(BUILD)/selftests/wedge_test: selftests/wedge_test.c $(WEDGE_TEST_SRC) \
		gate/passgated/daemon.h $(GUEST_TEST_LIB) $(GUEST_TEST_HDR) \
		$(GATE_ARCHIVES) $(HARNESS)
	@mkdir -p $(@D)
	$(CC) $(TEST_CPPFLAGS) $(EVDEV_CFLAGS) $(CFLAGS) $(TEST_WARN) -o $@ \
		$< $(WEDGE_TEST_SRC) $(GUEST_TEST_LIB) $(TEST_LDLIBS) \
		$(EVDEV_LIBS)
# Host tests may use the sources that build both into the module and
# into userspace, and HOST_SRC_<test> more.
HOST_SRC_samframe_test := driver/samframe.c selftests/readersim.c \
	selftests/board.c
HOST_SRC_qrframe_test := driver/qrframe.c
# common/compactlist.c comes with the common archive; the random lists'
# gaps are exponential (log1p).
$(BUILD)/host/compactlist_test: TEST_LDLIBS += -lm
$(BUILD)/host/%: selftests/host/%.c driver/scanframe.c driver/scanframe.h \
		$$(HOST_SRC_$$*) $(GATE_HDR) $(GATE_ARCHIVES) $(HARNESS)
	@mkdir -p $(@D)
	$(CC) $(TEST_CPPFLAGS) $(CFLAGS) $(TEST_WARN) -o $@ $< \
		driver/scanframe.c $(HOST_SRC_$*) $(TEST_LDLIBS)

$(AML): selftests/testgate.asl | $(STAMP)
	@mkdir -p $(@D)
	iasl -p $(basename $@) $< >/dev/null
