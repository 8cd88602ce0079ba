/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The far ends of gate 0 lane 1's reader cables (selftests/testgate.asl,
 * dts/passgate-testgate-virt.dtso): an ID-card SAM module simulator that
 * answers the gate's polls on /dev/passgate-far-sam from a thread, with
 * the faults a real module shows, and a QR engine that writes codes on
 * /dev/passgate-far-qr in the framing the test gate's firmware sets.
 * Used by readers_test, the bench and the demo.
 */
#ifndef PASSGATE_READERSIM_H
#define PASSGATE_READERSIM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SAM_FAR_TTY "/dev/passgate-far-sam"
#define QR_FAR_TTY "/dev/passgate-far-qr"

/**
 * struct sam_card - a resident ID card
 * @number: 18 characters
 * @valid_from: YYYYMMDD
 * @valid_until: YYYYMMDD, or "" for a long-term card
 * @name: UTF-8, encoded UCS-2 on the card (15 characters at most)
 * @address: UTF-8 likewise (35 characters at most)
 * @photo: the compressed photo's bytes
 */
struct sam_card {
	char number[19];
	char valid_from[9];
	char valid_until[9];
	char name[64];
	char address[160];
	uint8_t photo[1024];
};

enum sam_mode {
	SAM_NORMAL,		/* answers as a module does */
	SAM_SILENT,		/* answers nothing */
	SAM_GARBAGE,		/* answers with random bytes */
	SAM_BAD_CHECKSUM,	/* answers with the last byte wrong */
	SAM_FAULT,		/* every answer SW3 0x60, self-test failed */
};

/**
 * struct sam_counts - what the simulator answered
 * @polls: find-card commands
 * @absent: "no card" answers
 * @reads: base information answers with a card
 * @other: commands it does not know
 */
struct sam_counts {
	uint64_t polls;
	uint64_t absent;
	uint64_t reads;
	uint64_t other;
};

struct sam_sim {
	int fd;
	int stop[2];
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct sam_card card;
	bool present;
	enum sam_mode mode;
	unsigned int delay_ms;
	unsigned int baud;
	struct sam_counts counts;
	/* CLOCK_BOOTTIME of the last sam_sim_place() */
	uint64_t placed_ns;
};

/* Open the far end and answer from a thread; 0 or -errno. */
int sam_sim_start(struct sam_sim *s, const char *tty);
void sam_sim_stop(struct sam_sim *s);
/* Put @card on the reader (copied); take it off. */
void sam_sim_place(struct sam_sim *s, const struct sam_card *card);
void sam_sim_remove(struct sam_sim *s);
void sam_sim_set_mode(struct sam_sim *s, enum sam_mode mode);
/* Answer each command @ms late (a slow module). */
void sam_sim_set_delay(struct sam_sim *s, unsigned int ms);
/* Pace answers at @baud as a real line would; 0: as fast as QEMU goes. */
void sam_sim_set_baud(struct sam_sim *s, unsigned int baud);
struct sam_counts sam_sim_counts(struct sam_sim *s);
/*
 * Wait until the count at @offset (offsetof(struct sam_counts, ...))
 * reaches @at_least: 0, or -ETIMEDOUT after GATE_WAIT_MS.
 */
int sam_sim_wait(struct sam_sim *s, size_t offset, uint64_t at_least);
/* A well-formed ID number: @first17 digits and their check character. */
void sam_id_number(char out[19], const char *first17);
/* A card with @number, valid from @from until @until ("" long-term). */
void sam_card_make(struct sam_card *c, const char *number, const char *from,
		   const char *until, const char *name, const char *address);
/* The base information text block as the card holds it (256 bytes). */
void sam_card_text(const struct sam_card *c, uint8_t text[256]);

/**
 * struct qr_framing - how the far-end engine frames its codes
 * @suffix: bytes after the code
 * @prefix: bytes before the AIM identifier
 * @aim: the AIM identifier, "" for none
 */
struct qr_framing {
	const char *suffix;
	const char *prefix;
	const char *aim;
};

/* The framing the test gate's firmware sets for this architecture. */
extern const struct qr_framing qr_test_gate_framing;

/* Open the engine's far end raw; fd or -errno. */
int qr_open(const char *tty);
/*
 * Write @code framed by @f (NULL: the test gate's) at @baud pacing (0:
 * none); 0 or -errno.
 */
int qr_send(int fd, const struct qr_framing *f, const char *code,
	    unsigned int baud);
/*
 * Write @len bytes as a line at @baud delivers them (10 bits a byte, 16
 * bytes at a time; 0: as fast as the tty takes them); 0 or -errno.
 */
int line_write(int fd, const void *buf, size_t len, unsigned int baud);

#endif
