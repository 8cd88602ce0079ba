/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sealed batches: journal rows as they travel from a gate to the station
 * (docs/station.md, "Sealed batches").  A batch is a run of consecutive
 * chain rows in their canonical encodings (docs/journal.md, "The chain"),
 * the hash of the row before the first, and the gate's Ed25519 seal over
 * the last row's position and hash.  Whoever holds the gate's public key
 * and the hash before the batch checks every row of it: the rows hash to
 * the sealed head or the batch is refused.
 *
 * Layout, numbers little-endian:
 *
 *   "PGB1" gate:u32 first_pos:u64 count:u32 prev_hash[32] seal[64]
 *   then @count row encodings back to back (93, 41 or 105 bytes by kind)
 *
 * seal = Ed25519(sk, "passgate/seal/v1" gate:u32 last_pos:u64 hash[32]).
 */
#ifndef PASSGATE_COMMON_BATCH_H
#define PASSGATE_COMMON_BATCH_H

#include <stddef.h>
#include <stdint.h>

#define PASSGATE_BATCH_MAGIC "PGB1"
#define PASSGATE_BATCH_HEADER_SIZE 116
#define PASSGATE_BATCH_ROWS_MAX 4096
#define PASSGATE_CHAIN_HASH_SIZE 32
#define PASSGATE_SEAL_SIZE 64
#define PASSGATE_SEAL_PUBLIC_SIZE 32
#define PASSGATE_SEAL_SECRET_SIZE 64
#define PASSGATE_SEAL_DOMAIN "passgate/seal/v1"

/* Row kinds and the size of their encodings. */
#define PASSGATE_ROW_EVENT 1
#define PASSGATE_ROW_STREAM 2
#define PASSGATE_ROW_CHECKPOINT 3
#define PASSGATE_ROW_EVENT_SIZE 93
#define PASSGATE_ROW_STREAM_SIZE 41
#define PASSGATE_ROW_CHECKPOINT_SIZE 105
#define PASSGATE_ROW_SIZE_MAX PASSGATE_ROW_CHECKPOINT_SIZE
#define PASSGATE_BATCH_SIZE_MAX (PASSGATE_BATCH_HEADER_SIZE + \
	PASSGATE_BATCH_ROWS_MAX * PASSGATE_ROW_SIZE_MAX)

/**
 * struct passgate_chain_row - one decoded row of a batch
 * @kind: PASSGATE_ROW_*
 * @pos: chain position
 * @gate: the gate's number
 * @stored_ns: when the gate journaled it (CLOCK_REALTIME)
 * @stream: its stream (a checkpoint: the stream it continues)
 * @seq, @time_ns, @type, @lane, @arg, @value, @data: an event's fields
 * @hash: the chain hash, computed over @enc
 * @enc: the encoding inside the batch; @len its size
 */
struct passgate_chain_row {
	unsigned int kind;
	uint64_t pos;
	uint32_t gate;
	int64_t stored_ns;
	uint32_t stream;
	uint64_t seq;
	uint64_t time_ns;
	uint32_t type;
	uint32_t lane;
	uint32_t arg;
	uint64_t value;
	uint8_t data[32];
	uint8_t hash[PASSGATE_CHAIN_HASH_SIZE];
	const uint8_t *enc;
	size_t len;
};

/* The hash before a gate's first row: SHA-256(GENESIS || gate:u32). */
#define PASSGATE_CHAIN_GENESIS "passgate/journal/v1"
void passgate_chain_genesis(uint32_t gate,
			    uint8_t out[PASSGATE_CHAIN_HASH_SIZE]);

/* hash = SHA-256(prev || enc): one link of the chain. */
void passgate_chain_hash(const uint8_t prev[PASSGATE_CHAIN_HASH_SIZE],
			 const void *enc, size_t len,
			 uint8_t out[PASSGATE_CHAIN_HASH_SIZE]);

/* Seal the row at @pos whose hash is @hash; 0, or -1 (EINVAL). */
int passgate_seal_sign(const uint8_t sk[PASSGATE_SEAL_SECRET_SIZE],
		       uint32_t gate, uint64_t pos,
		       const uint8_t hash[PASSGATE_CHAIN_HASH_SIZE],
		       uint8_t seal[PASSGATE_SEAL_SIZE]);
/* 0 if @seal is the gate's over (@gate, @pos, @hash); -1 otherwise. */
int passgate_seal_verify(const uint8_t pk[PASSGATE_SEAL_PUBLIC_SIZE],
			 uint32_t gate, uint64_t pos,
			 const uint8_t hash[PASSGATE_CHAIN_HASH_SIZE],
			 const uint8_t seal[PASSGATE_SEAL_SIZE]);

/*
 * The collector's word to a gate, signed with the collector's own key so
 * that nobody else (not the broker) can move a gate's delivered mark:
 * Ed25519 over "passgate/stored/v1" (or ".../resend/v1"), then the
 * station's and the gate's names (each a length byte and the bytes),
 * the position (u64), and for "stored" the chain hash there.
 */
enum passgate_confirm_kind { PASSGATE_CONFIRM_STORED, PASSGATE_CONFIRM_RESEND };
int passgate_confirm_sign(const uint8_t sk[PASSGATE_SEAL_SECRET_SIZE],
			  enum passgate_confirm_kind kind, const char *station,
			  const char *gate, uint64_t pos,
			  const uint8_t hash[PASSGATE_CHAIN_HASH_SIZE],
			  uint8_t sig[PASSGATE_SEAL_SIZE]);
int passgate_confirm_verify(const uint8_t pk[PASSGATE_SEAL_PUBLIC_SIZE],
			    enum passgate_confirm_kind kind,
			    const char *station, const char *gate,
			    uint64_t pos,
			    const uint8_t hash[PASSGATE_CHAIN_HASH_SIZE],
			    const uint8_t sig[PASSGATE_SEAL_SIZE]);

/*
 * Write a batch's header into @buf (PASSGATE_BATCH_HEADER_SIZE bytes);
 * the caller puts @count encodings after it.
 */
void passgate_batch_header(uint8_t *buf, uint32_t gate, uint64_t first,
			   uint32_t count,
			   const uint8_t prev[PASSGATE_CHAIN_HASH_SIZE],
			   const uint8_t seal[PASSGATE_SEAL_SIZE]);

/**
 * struct passgate_batch - a parsed batch
 * @gate, @first, @count, @prev, @seal: its header
 * @last: @first + @count - 1
 * @rows: @count rows, decoded and hashed (the caller's array)
 */
struct passgate_batch {
	uint32_t gate;
	uint64_t first;
	uint64_t last;
	uint32_t count;
	uint8_t prev[PASSGATE_CHAIN_HASH_SIZE];
	uint8_t seal[PASSGATE_SEAL_SIZE];
	struct passgate_chain_row *rows;
};

/*
 * Parse @len bytes at @buf into @b, whose @rows must hold
 * PASSGATE_BATCH_ROWS_MAX rows: the header, every row's kind, size,
 * position (@first, @first + 1, ...) and gate, nothing left over; then
 * each row's hash from @prev on.  The seal is not checked here:
 * passgate_batch_verify() does.  0, or -1 with a reason in @why.
 */
int passgate_batch_parse(const void *buf, size_t len, struct passgate_batch *b,
			 char *why, size_t whylen);
/* 0 if the last row's hash carries the gate's seal under @pk. */
int passgate_batch_verify(const struct passgate_batch *b,
			  const uint8_t pk[PASSGATE_SEAL_PUBLIC_SIZE]);

#endif
