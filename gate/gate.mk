# The gate PC: its programs (passgated, passgatectl, passgate-uplink), the
# BPF policy with its loader (gate/policy/), and what only they use
# (gate/core/: config, install, state, the journal, wedge maps).
GATE_CORE_SRC := $(wildcard gate/core/*.c) $(wildcard gate/policy/*.c)
GATE_CORE := $(BUILD)/gate/libpassgate-gate.a
# The policy twice: the compact layout passgate runs, and the hash
# layout before it, kept loadable as the bench's baseline.
POLICY_SKEL := $(BUILD)/gate/policy/policy.skel.h \
	$(BUILD)/gate/policy/policy_hash.skel.h
GATE_ARCHIVES := $(GATE_CORE) $(COMMON) $(LIB)
GATE_LDLIBS = -lbpf -lelf -lz -lsqlite3 $(COMMON_LDLIBS) $(LIB_LDLIBS) \
	$(NL_LIBS) $(SYSTEMD_LIBS)
# sd_notify (gate/core/service.c) and sd_journal_sendv (gate/core/log.c);
# = so that pkg-config runs in a recipe, after setup installed it.
SYSTEMD_LIBS = $(shell $(PKG_CONFIG) --libs libsystemd)
GATE_HDR := $(wildcard gate/core/*.h gate/policy/*.h common/*.h lib/*.h) \
	uapi/linux/passgate.h

$(BUILD)/gate/core/%.o: gate/core/%.c $(GATE_HDR) | $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<
$(BUILD)/gate/policy/%.o: gate/policy/%.c $(GATE_HDR) $(POLICY_SKEL)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -I$(BUILD)/gate/policy $(CFLAGS) $(WARN) -c -o $@ $<
$(GATE_CORE): $(patsubst %.c,$(BUILD)/%.o,$(GATE_CORE_SRC))
	$(AR) rcs $@ $^

POLICY_BPF_SRC := gate/policy/policy.bpf.c gate/policy/policy_maps.h \
	common/allowlist.h common/compactlist.h uapi/linux/passgate.h
$(BUILD)/gate/policy/policy.bpf.o: $(POLICY_BPF_SRC) | $(STAMP)
	@mkdir -p $(@D)
	clang $(BPF_CFLAGS) -c -o $@ $<
$(BUILD)/gate/policy/policy_hash.bpf.o: $(POLICY_BPF_SRC) | $(STAMP)
	@mkdir -p $(@D)
	clang $(BPF_CFLAGS) -DPOLICY_LAYOUT_HASH -c -o $@ $<
$(BUILD)/gate/policy/%.skel.h: $(BUILD)/gate/policy/%.bpf.o
	bpftool gen skeleton $< name $* > $@
.SECONDARY: $(POLICY_SKEL) $(POLICY_SKEL:.skel.h=.bpf.o)

PROGRAMS += $(addprefix $(BUILD)/bin/,passgated passgatectl)
PROG_DIR_passgated := gate/passgated
PROG_DIR_passgatectl := gate/passgatectl
PROG_DIR_passgate-uplink := gate/passgate-uplink
PROG_SRC_passgate-uplink = $(MQTT_TLS_SRC)
PROG_ARCHIVES_passgated := $(GATE_ARCHIVES)
PROG_ARCHIVES_passgatectl := $(GATE_ARCHIVES)
PROG_ARCHIVES_passgate-uplink := $(GATE_ARCHIVES)
# top draws with ncurses (its wide-character build, as Debian ships it).
CURSES_CFLAGS = $(shell $(PKG_CONFIG) --cflags ncursesw)
CURSES_LIBS = $(shell $(PKG_CONFIG) --libs ncursesw)
$(BUILD)/bin/passgatectl: PROG_CPPFLAGS = $(NL_CFLAGS) $(CURSES_CFLAGS)
$(BUILD)/bin/passgatectl: PROG_LDLIBS = $(GATE_LDLIBS) $(CURSES_LIBS)

# passgated's wedge bridge (passgated/wedge.c) reads input devices with
# libevdev and builds SCAN frames with the module's own encoder.
EVDEV_CFLAGS = $(shell $(PKG_CONFIG) --cflags libevdev)
EVDEV_LIBS = $(shell $(PKG_CONFIG) --libs libevdev)
$(BUILD)/bin/passgated: driver/scanframe.c driver/scanframe.h
$(BUILD)/bin/passgated: PROG_CPPFLAGS = -Idriver $(EVDEV_CFLAGS)
$(BUILD)/bin/passgated: PROG_LDLIBS = $(GATE_LDLIBS) $(EVDEV_LIBS)

# The uplink carries the gate's events up and its lists down over MQTT:
# built with the station programs (STATION_BIN).
MQTT_CFLAGS = $(shell $(PKG_CONFIG) --cflags libmosquitto libcurl)
MQTT_LIBS = $(shell $(PKG_CONFIG) --libs libmosquitto libcurl)
PROGRAMS += $(if $(filter passgate-uplink,$(STATION_BIN)),$(BUILD)/bin/passgate-uplink)
$(BUILD)/bin/passgate-uplink: PROG_CPPFLAGS = $(MQTT_CFLAGS)
$(BUILD)/bin/passgate-uplink: PROG_LDLIBS = $(GATE_LDLIBS) $(MQTT_LIBS) -pthread
