# libFuzzer targets (docs/fuzzing.md), built with clang and the sanitizers
# from the very sources they test; fuzz/run.sh runs them.
FUZZ_TARGETS := fuzz_scanframe fuzz_listfile fuzz_config fuzz_wedge \
	fuzz_wedge_config fuzz_batch fuzz_samframe fuzz_qrframe
FUZZ_BIN := $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all $(WARN)
FUZZ_CPPFLAGS := $(CPPFLAGS) -Idriver -Ifuzz
FUZZ_SRC_fuzz_scanframe := driver/scanframe.c
FUZZ_SRC_fuzz_samframe := driver/samframe.c
FUZZ_SRC_fuzz_qrframe := driver/qrframe.c
FUZZ_SRC_fuzz_listfile := common/listfile.c common/ticketentry.c \
	common/minisign.c common/file.c \
	common/fail.c
FUZZ_SRC_fuzz_config := gate/core/config.c gate/core/wedge.c
FUZZ_SRC_fuzz_wedge := gate/core/wedge.c
FUZZ_SRC_fuzz_wedge_config := gate/core/wedge.c
FUZZ_LIBS_fuzz_listfile := -lsodium
FUZZ_SRC_fuzz_batch := common/batch.c
FUZZ_LIBS_fuzz_batch := -lsodium

fuzz-build: $(FUZZ_BIN)
$(BUILD)/fuzz/%: fuzz/%.c fuzz/fuzz_common.h $$(FUZZ_SRC_$$*) $(GATE_HDR) \
		driver/scanframe.h | $(STAMP)
	@mkdir -p $(@D)
	clang $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRC_$*) \
		$(FUZZ_LIBS_$*)
fuzz: $(FUZZ_BIN)
	@mkdir -p $(BUILD)/logs
	{ fuzz/run.sh $(BUILD) 300; echo $$? >$(BUILD)/logs/fuzz.rc; } | \
		tee $(BUILD)/logs/fuzz.log
	@exit $$(cat $(BUILD)/logs/fuzz.rc)
