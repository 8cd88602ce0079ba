# The ARM gate PCs (issue 10).
#
# The same sources cross-built for arm64 into $(A64) by this Makefile
# itself (BUILD=$(A64), the cross compiler pointed at the sysroot that
# scripts/setup-arm64.sh unpacks), the module against Debian's arm64
# headers, and the kselftests run in qemu-system-aarch64 -M virt with the
# test gate as a device-tree overlay (dts/passgate-testgate-virt.dtso).
A64 := $(BUILD)/arm64
A64_STAMP := $(A64)/.setup-done
A64_TRIPLE := aarch64-linux-gnu
A64_SYSROOT := $(abspath $(A64))/sysroot
A64_KERNEL = $(A64)/kernel/$(ABI)
A64_KDIR = $(abspath $(A64_KERNEL))/usr/src/linux-headers-$(ABI)-arm64
A64_KBUILD = $(MAKE) -C $(A64_KDIR) ARCH=arm64 CROSS_COMPILE=$(A64_TRIPLE)- W=1
# Kbuild writes beside the sources: the arm64 module gets its own copy.
A64_MOD := $(A64)/module
A64_MOD_SRC := Kbuild $(wildcard driver/*.[ch]) uapi/linux/passgate.h \
	selftests/testboard/Kbuild \
	$(filter-out %.mod.c,$(wildcard selftests/testboard/*.[ch]))
A64_DTBO := $(A64)/dt/passgate-testgate-virt.dtbo
# The cross settings are the top Makefile's (CROSS_TRIPLE); the x86 STAMP
# and KSRC are shared (the host's setup, one harness).
A64_MAKE = $(MAKE) BUILD=$(A64) STAMP=$(STAMP) KSRC=$(KSRC) \
	CROSS_TRIPLE=$(A64_TRIPLE) CROSS_SYSROOT=$(A64_SYSROOT)

# What the arm64 guest runs (absolute: from the arm64 module's folder).
A64_TESTS = $(addprefix $(abspath $(A64))/selftests/,$(GUEST_TESTS) station_test \
	top_test) \
	$(addprefix $(abspath $(A64))/host/,$(HOST_TESTS))

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

# From the arm64 module's folder: qemu/guest-gate.sh and outage_test
# load ./passgate.ko.  The repository is at the same path in the guest.
check-arm64: arm64
	qemu/run-qemu-arm64.sh --kernel-dir $(A64_KERNEL) --dtbo $(A64_DTBO) \
		--rootfs $(A64)/rootfs --out $(A64)/guest --timeout 1500 -- \
		sh -c 'cd $(abspath $(A64_MOD)) && exec "$$0" "$$@"' \
		$(CURDIR)/qemu/guest-gate.sh $(CURDIR)/selftests/run-tests.sh \
		$(A64_TESTS)

