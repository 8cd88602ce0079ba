# The issuer's tool: keys, signed lists (runs wherever lists are made).
PROG_DIR_passgate-issuer := issuer/passgate-issuer
PROG_ARCHIVES_passgate-issuer := $(COMMON)
$(BUILD)/bin/passgate-issuer: PROG_LDLIBS = $(COMMON_LDLIBS) -ljson-c
PROGRAMS += $(BUILD)/bin/passgate-issuer
