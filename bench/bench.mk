# make bench: what the gate costs, measured on the test gate in QEMU and
# on the host's disk (scripts/bench.sh); the table goes to stdout and, with
# the method and the machine, into docs/PERFORMANCE.md.  Not part of make
# check.
BENCH_BIN := $(addprefix $(BUILD)/bench/,passgate_bench sqlite_peer \
	journal_bench readers_bench)
# The collector's goal: make station's host part runs first.
bench: all $(BENCH_BIN) $(BUILD)/bench/station_load
	BUILD=$(BUILD) GUEST_KERNEL=$(GUEST_KERNEL) scripts/bench.sh
# The readers' section of docs/PERFORMANCE.md alone (a few minutes).
bench-readers: all $(BENCH_BIN)
	BUILD=$(BUILD) GUEST_KERNEL=$(GUEST_KERNEL) BENCH_ONLY=readers \
		scripts/bench.sh
# passgate_bench: its pieces (bench/bench.h).
BENCH_SRC := $(addprefix bench/,passgate_bench.c bench_util.c bench_lists.c \
	bench_scan.c bench_report.c)
$(BUILD)/bench/passgate_bench: $(BENCH_SRC) bench/bench.h $(GUEST_TEST_LIB) \
		$(GUEST_TEST_HDR) $(GATE_ARCHIVES)
	@mkdir -p $(@D)
	$(CC) $(TEST_CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $(BENCH_SRC) \
		$(GUEST_TEST_LIB) $(TEST_LDLIBS)
$(BUILD)/bench/%: bench/%.c $(GUEST_TEST_LIB) $(GUEST_TEST_HDR) \
		$(GATE_ARCHIVES)
	@mkdir -p $(@D)
	$(CC) $(TEST_CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< $(GUEST_TEST_LIB) \
		$(TEST_LDLIBS)

# make station: the station at scale (scripts/station.sh): simulated gates
# against a real broker, collector and PostgreSQL, then the station test in
# the guest with more scans; figures into docs/PERFORMANCE.md.
station: all $(BUILD)/bench/station_load
	BUILD=$(BUILD) GUEST_KERNEL=$(GUEST_KERNEL) scripts/station.sh
$(BUILD)/bench/station_load: bench/station_load.c $(MQTT_TLS_SRC) \
		$(GATE_ARCHIVES) | $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(shell $(PKG_CONFIG) --cflags libmosquitto libpq) \
		$(CFLAGS) $(WARN) -o $@ $< station/mqtt_tls.c $(GATE_ARCHIVES) \
		$(GATE_LDLIBS) $(shell $(PKG_CONFIG) --libs libmosquitto libpq) \
		-pthread
