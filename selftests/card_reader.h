/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The test's ID-card reader: which cards carry which validity dates
 * (selftests/bpf/card_dates.bpf.c, a stand-in for the SAM reader).  Attach
 * it before the policy is loaded, so that it runs first.
 */
#ifndef PASSGATE_CARD_READER_H
#define PASSGATE_CARD_READER_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <bpf/bpf.h>

#include "card_dates.h"
#include "card_dates.skel.h"
#include "common/digest.h"

/* The reader for @gate's scans, attached; NULL on failure. */
static inline struct card_dates_bpf *card_reader_attach(unsigned int gate)
{
	struct card_dates_bpf *skel = card_dates_bpf__open();

	if (!skel)
		return NULL;
	skel->rodata->gate = gate;
	if (card_dates_bpf__load(skel) || card_dates_bpf__attach(skel)) {
		card_dates_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

static inline void card_reader_key(const char *id, const char *id_key,
				   struct card_dates_key *key)
{
	passgate_digest_compute(PASSGATE_CRED_ID_CARD, id, strlen(id),
				(const uint8_t *)id_key, key->digest);
}

/* Card @id reads as valid from @from until @until (0: long-term). */
static inline int card_reader_set(struct card_dates_bpf *skel,
				  const char *id_key, const char *id,
				  uint32_t from, uint32_t until)
{
	struct card_dates dates = { .valid_from = from, .valid_until = until };
	struct card_dates_key key;

	card_reader_key(id, id_key, &key);
	return bpf_map_update_elem(bpf_map__fd(skel->maps.cards), &key, &dates,
				   BPF_ANY);
}

/* Card @id reads without dates again (an old reader, say). */
static inline int card_reader_forget(struct card_dates_bpf *skel,
				     const char *id_key, const char *id)
{
	struct card_dates_key key;

	card_reader_key(id, id_key, &key);
	if (bpf_map_delete_elem(bpf_map__fd(skel->maps.cards), &key) &&
	    errno != ENOENT)
		return -1;
	return 0;
}

#endif
