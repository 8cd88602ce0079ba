# passgate: the module, the test board, the programs and the tests.
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
#   make deb      the Debian packages, amd64 and arm64 (build/deb)
#   make check-install  the packages installed in a Debian guest with systemd
#   make check-install-arm64  the same in an arm64 guest (slow; not in CI)
#   make clean    remove build output
#
# Each folder brings its own rules in a FOLDER.mk included below; this
# file holds what they share and the commands that run the tests.  Build
# output goes to $(BUILD), except what kbuild writes beside the module
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
# Includes name their folder from the top: "common/listfile.h".
# The one version number (common/version.h): cat is in every root.
PASSGATE_VERSION := $(shell cat VERSION)
CPPFLAGS := -Iuapi -I. -DPASSGATE_VERSION='"$(PASSGATE_VERSION)"'
PKG_CONFIG := pkg-config
NL_CFLAGS = $(shell $(PKG_CONFIG) --cflags libnl-genl-3.0 2>/dev/null)
NL_LIBS = $(shell $(PKG_CONFIG) --libs libnl-genl-3.0 2>/dev/null)
# Recursive (=), and so expanded in the recipe: gcc may not be installed
# before scripts/setup.sh has run in this very make.
BPF_CFLAGS = -O2 -g -target bpf -I/usr/include/$(shell gcc -dumpmachine) \
	-Iuapi -I. -Iselftests/bpf -Wall -Werror

# Cross-building (make arm64, debian/rules for arm64): CROSS_TRIPLE, and
# CROSS_SYSROOT with the target's libraries and headers, unpacked from
# Debian's packages by scripts/setup-arm64.sh.
ifdef CROSS_TRIPLE
CROSS_LIB := $(CROSS_SYSROOT)/usr/lib/$(CROSS_TRIPLE)
CC := $(CROSS_TRIPLE)-gcc -I$(CROSS_SYSROOT)/usr/include -L$(CROSS_LIB) \
	-Wl,-rpath-link,$(CROSS_LIB)
AR := $(CROSS_TRIPLE)-ar
# In the command itself: make 4.3 does not export to $(shell).
PKG_CONFIG := PKG_CONFIG_LIBDIR=$(CROSS_LIB)/pkgconfig:$(CROSS_SYSROOT)/usr/share/pkgconfig \
	PKG_CONFIG_SYSROOT_DIR=$(CROSS_SYSROOT) pkg-config
BPF_CFLAGS = -O2 -g -target bpf -I/usr/$(CROSS_TRIPLE)/include \
	-I$(CROSS_SYSROOT)/usr/include -Iuapi -I. -Iselftests/bpf -Wall -Werror
endif

# The station side (MQTT, HTTP, PostgreSQL), for x86 and arm64 alike;
# STATION_BIN= on the command line builds the rest without its libraries.
STATION_BIN ?= passgate-uplink passgate-publish passgate-collector \
	passgate-overview

.PHONY: all man setup module testboard userspace tests check demo shell bench bench-readers \
	clean install deb fuzz fuzz-build soak reliability station arm64 arm64-module \
	check-arm64 fresh-check check-install check-install-arm64

# The first target, and so the default; its parts come with the fragments.
all:

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

# A program is $(BUILD)/bin/NAME, built from the folder PROG_DIR_NAME (and
# the files PROG_SRC_NAME) and linked with the archives PROG_ARCHIVES_NAME
# (each fragment sets them).
.SECONDEXPANSION:
$(BUILD)/bin/%: $$(wildcard $$(PROG_DIR_$$*)/*.c $$(PROG_DIR_$$*)/*.h) \
		$$(PROG_SRC_$$*) \
		$$(PROG_ARCHIVES_$$*) $(wildcard lib/*.h common/*.h gate/core/*.h) \
		VERSION
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(PROG_CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ \
		$(filter %.c,$^) $(PROG_ARCHIVES_$*) $(PROG_LDLIBS)

include lib/lib.mk
include common/common.mk
include gate/gate.mk
include station/station.mk
include issuer/issuer.mk
include selftests/selftests.mk
include demo/demo.mk
include fuzz/fuzz.mk
include bench/bench.mk
include scripts/arm64.mk

# Man pages, written in scdoc (man/*.scd): build/man/NAME.SECTION.
MAN_PAGES := $(patsubst man/%.scd,$(BUILD)/man/%,$(wildcard man/*.scd))
$(BUILD)/man/%: man/%.scd | $(STAMP)
	@mkdir -p $(@D)
	scdoc <$< >$@.tmp && mv $@.tmp $@
man: $(MAN_PAGES)

all: module testboard userspace tests $(AML) man
userspace: $(PROGRAMS)

check: all fuzz-build arm64
	BUILD=$(BUILD) GUEST_KERNEL=$(GUEST_KERNEL) \
	A64=$(A64) A64_KERNEL=$(A64_KERNEL) \
	DT_INCLUDE=/usr/src/linux-headers-$(ABI)-common/include \
	KERNEL_RELEASE=$(ABI)-amd64 scripts/check.sh \
		$(HOST_BIN) selftests/host/minisign_interop.sh \
		selftests/host/units_test.sh selftests/host/station_tls_test.sh \
		selftests/host/cli_test.sh selftests/host/notify_test.sh \
		selftests/host/completion_test.sh selftests/host/man_test.sh \
		selftests/host/collector_test.sh selftests/host/overview_test.sh \
		selftests/host/log_test.sh selftests/host/alerts_test.sh \
		fuzz/run.sh \
		-- $(GUEST_BIN) $(PRIVILEGE_TEST_BIN) $(TOP_TEST_BIN) \
		$(STATION_TEST_BIN) $(METRICS_TEST_BIN) \
		-- $(A64_TESTS)

# make soak: the long reliability runs (scripts/soak.sh); make reliability
# turns the tallies of the last check, soak and fuzz into
# docs/RELIABILITY.md.
SOAK_SECONDS ?= 300
soak: all
	BUILD=$(BUILD) GUEST_KERNEL=$(GUEST_KERNEL) \
	SOAK_SECONDS=$(SOAK_SECONDS) scripts/soak.sh
reliability:
	scripts/reliability.sh --publish $(BUILD) docs/RELIABILITY.md

# make fresh-check: make demo and make check on a brand-new bookworm root
# (scripts/fresh-check.sh), to catch an install step that a used machine
# hides.  .ci/run runs it after make check.
fresh-check:
	scripts/fresh-check.sh $(BUILD)

demo: all
	BUILD=$(BUILD) GUEST_KERNEL=$(GUEST_KERNEL) scripts/demo.sh

# An interactive shell in the guest with the gate loaded.
shell: all
	PASSGATE_INTERACTIVE=1 qemu/run-qemu.sh \
		--kernel-dir $(GUEST_KERNEL) --acpi $(AML) --out $(BUILD)/shell \
		--timeout 86400 -- qemu/guest-gate.sh qemu/guest-shell.sh $(BUILD)

# Install (DESTDIR for packaging; debian/rules splits it into the three
# packages, docs/packaging.md): the gate PC's programs, hardened units,
# users, folders, udev rule, example config, man pages and completion;
# the station's programs, units and the overview's page; and the
# module's sources for DKMS, which then builds it for every kernel.  The
# version is VERSION's.
STATION_CA := $(BUILD)/bin/passgate-station-ca
$(STATION_CA): station/passgate-station-ca VERSION
	@mkdir -p $(@D)
	sed 's/@PASSGATE_VERSION@/$(PASSGATE_VERSION)/' $< >$@.tmp
	chmod 755 $@.tmp && mv $@.tmp $@
userspace: $(STATION_CA)

DKMS_SRC := $(DESTDIR)/usr/src/passgate-$(PASSGATE_VERSION)
install: userspace man
	install -d $(DESTDIR)/usr/bin $(DESTDIR)/usr/sbin \
		$(DESTDIR)/lib/systemd/system $(DESTDIR)/etc/passgate/trust \
		$(DESTDIR)/usr/lib/sysusers.d $(DESTDIR)/usr/lib/tmpfiles.d \
		$(DESTDIR)/usr/lib/udev/rules.d $(DESTDIR)/usr/lib/modules-load.d \
		$(DESTDIR)/usr/share/man/man1 $(DESTDIR)/usr/share/man/man5 \
		$(DESTDIR)/usr/share/man/man8 \
		$(DESTDIR)/usr/share/bash-completion/completions \
		$(DESTDIR)/usr/share/doc/passgate/examples \
		$(DESTDIR)/usr/share/passgate/prometheus \
		$(DESTDIR)/usr/share/passgate/overview $(DKMS_SRC)
	install -m 755 $(BUILD)/bin/passgatectl $(STATION_CA) \
		$(BUILD)/bin/passgate-issuer \
		$(addprefix $(BUILD)/bin/,$(STATION_BIN)) $(DESTDIR)/usr/bin/
	install -m 755 $(BUILD)/bin/passgated $(DESTDIR)/usr/sbin/
	install -m 644 dist/passgated@.service dist/passgate-uplink@.service \
		dist/passgate-collector.service dist/passgate-overview.service \
		$(DESTDIR)/lib/systemd/system/
	install -m 644 $(OVERVIEW_STATIC) $(DESTDIR)/usr/share/passgate/overview/
	install -m 644 dist/passgate.sysusers \
		$(DESTDIR)/usr/lib/sysusers.d/passgate.conf
	install -m 644 dist/passgate.tmpfiles \
		$(DESTDIR)/usr/lib/tmpfiles.d/passgate.conf
	install -m 644 dist/60-passgate.rules $(DESTDIR)/usr/lib/udev/rules.d/
	install -m 644 dist/passgate-modules-load.conf \
		$(DESTDIR)/usr/lib/modules-load.d/passgate.conf
	[ -e $(DESTDIR)/etc/passgate/gate0.conf ] || \
		install -m 644 dist/passgated.conf $(DESTDIR)/etc/passgate/gate0.conf
	for m in $(MAN_PAGES); do \
		install -m 644 $$m $(DESTDIR)/usr/share/man/man$${m##*.}/; done
	install -m 644 dist/bash-completion/* \
		$(DESTDIR)/usr/share/bash-completion/completions/
	install -m 644 README.md docs/*.md $(DESTDIR)/usr/share/doc/passgate/
	install -d $(DESTDIR)/usr/share/doc/passgate/img
	install -m 644 docs/img/*.png $(DESTDIR)/usr/share/doc/passgate/img/
	install -m 644 dist/passgated-wedge.conf \
		$(DESTDIR)/usr/share/doc/passgate/examples/
	install -m 644 dist/prometheus/passgate-alerts.yml \
		$(DESTDIR)/usr/share/passgate/prometheus/
	cp -r Kbuild driver uapi $(DKMS_SRC)/
	sed 's/@PASSGATE_VERSION@/$(PASSGATE_VERSION)/' dkms.conf >$(DKMS_SRC)/dkms.conf
	find $(DKMS_SRC) \( -name '*.o' -o -name '*.ko' -o -name '*.mod*' \
		-o -name '.*.cmd' -o -name '*.a' -o -name 'modules.order' \) -delete

# The Debian packages for amd64 and arm64 (debian/, docs/packaging.md)
# into $(BUILD)/deb/, each checked by lintian.
deb: $(STAMP) $(A64_STAMP)
	scripts/make-deb.sh $(BUILD)/deb $(A64)

# The amd64 packages installed, run, upgraded and purged in a Debian guest
# with systemd (scripts/install-check.sh, qemu/install-test.sh).
check-install: deb testboard $(AML) $(BOARD_SCAN) $(BUILD)/bin/passgate-issuer
	scripts/install-check.sh $(BUILD)

# The same for arm64, in qemu-system-aarch64 (not in CI: the module is
# compiled twice under emulation; docs/packaging.md says how long).
check-install-arm64: deb arm64 $(BUILD)/bin/passgate-issuer
	scripts/install-check.sh $(BUILD) arm64

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/selftests/testboard clean
	rm -rf $(filter-out $(BUILD)/kernel $(BUILD)/.setup-done $(A64),$(wildcard $(BUILD)/*)) \
		$(filter-out $(addprefix $(A64)/,kernel debs sysroot rootfs .setup-done), \
			$(wildcard $(A64)/*))
