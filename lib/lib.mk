# libpassgate: the public library (lib/libpassgate.h), the gate and its
# lanes as opaque objects over the module's character devices.
LIB_SRC := $(wildcard lib/*.c)
LIB := $(BUILD)/lib/libpassgate.a
# Events as JSON (lib/event.c).
LIB_LDLIBS := -ljson-c

$(BUILD)/lib/%.o: lib/%.c $(wildcard lib/*.h) uapi/linux/passgate.h | $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<
$(LIB): $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRC))
	$(AR) rcs $@ $^
