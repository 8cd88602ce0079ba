# What the gate PC, the station and the issuer share: list files and
# their signatures, credential digests.
COMMON_SRC := $(wildcard common/*.c)
COMMON := $(BUILD)/common/libpassgate-common.a
COMMON_LDLIBS := -lsodium

$(BUILD)/common/%.o: common/%.c $(wildcard common/*.h) uapi/linux/passgate.h \
		| $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<
$(COMMON): $(patsubst %.c,$(BUILD)/%.o,$(COMMON_SRC))
	$(AR) rcs $@ $^
