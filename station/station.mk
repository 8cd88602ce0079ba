# The station server: passgate-publish (lists down), passgate-collector
# (events up into PostgreSQL) and passgate-overview (the gates at a
# glance, over https), all in STATION_BIN.  Every MQTT client of the
# station network speaks TLS the same way.
MQTT_TLS_SRC := station/mqtt_tls.c station/mqtt_tls.h
STATION_ARGS_SRC := station/station_args.c station/station_args.h
PROG_DIR_passgate-publish := station/passgate-publish
PROG_SRC_passgate-publish := $(MQTT_TLS_SRC)
# It logs as the other programs do (gate/core/log.c: journald or stderr).
PROG_ARCHIVES_passgate-publish := $(GATE_CORE) $(COMMON)
$(BUILD)/bin/passgate-publish: PROG_CPPFLAGS = $(MQTT_CFLAGS)
$(BUILD)/bin/passgate-publish: PROG_LDLIBS = $(COMMON_LDLIBS) $(MQTT_LIBS) \
	$(SYSTEMD_LIBS)

# The collector checks sealed batches (common/batch.c), names event
# types (lib/names.c) and speaks to systemd (gate/core/service.c,
# gate/core/log.c).
PROG_DIR_passgate-collector := station/passgate-collector
PROG_SRC_passgate-collector := $(MQTT_TLS_SRC) $(STATION_ARGS_SRC)
PROG_ARCHIVES_passgate-collector := $(GATE_CORE) $(COMMON) $(LIB)
$(BUILD)/bin/passgate-collector: PROG_CPPFLAGS = \
	$(shell $(PKG_CONFIG) --cflags libmosquitto libpq)
$(BUILD)/bin/passgate-collector: PROG_LDLIBS = $(COMMON_LDLIBS) \
	$(SYSTEMD_LIBS) $(shell $(PKG_CONFIG) --libs libmosquitto libpq)

# The overview reads what the collector stored (libpq), the gates'
# status topics (libmosquitto) and serves its page with libmicrohttpd
# (GnuTLS inside it).  libmicrohttpd without pkg-config: its .pc asks
# for gnutls.pc, which only its headers' -dev package brings, and the
# overview includes none of them.
PROG_DIR_passgate-overview := station/passgate-overview
PROG_SRC_passgate-overview := $(MQTT_TLS_SRC) $(STATION_ARGS_SRC)
PROG_ARCHIVES_passgate-overview := $(GATE_CORE) $(COMMON) $(LIB)
$(BUILD)/bin/passgate-overview: PROG_CPPFLAGS = \
	$(shell $(PKG_CONFIG) --cflags libmosquitto libpq)
$(BUILD)/bin/passgate-overview: PROG_LDLIBS = $(COMMON_LDLIBS) \
	$(SYSTEMD_LIBS) $(shell $(PKG_CONFIG) --libs libmosquitto libpq) \
	-lmicrohttpd -ljson-c -pthread
# Its page: static files written here, installed beside the program.
OVERVIEW_STATIC := $(wildcard station/passgate-overview/static/*)

PROGRAMS += $(addprefix $(BUILD)/bin/,$(filter passgate-publish \
	passgate-collector passgate-overview,$(STATION_BIN)))
