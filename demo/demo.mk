# make demo: a station exit replayed on the test gate (scripts/demo.sh
# runs demo/station_exit in the guest).
DEMO_BIN := $(BUILD)/demo/station_exit
tests: $(DEMO_BIN)
$(DEMO_BIN): demo/station_exit.c $(GUEST_TEST_LIB) $(GUEST_TEST_HDR) \
		$(GATE_ARCHIVES)
	@mkdir -p $(@D)
	$(CC) $(TEST_CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< $(GUEST_TEST_LIB) \
		$(TEST_LDLIBS)
