/*
 * journal.h - RUN_DIR/journal: which tasks completed and what they
 * produced, so that a stopped run continues where it stopped.
 *
 * Format (docs/design.md, "Journal"): a 16-byte header ("TESSJNL", format
 * version), then records `u32 length | u32 crc32 | payload`:
 *   BEGIN  u64 time, str what ("run", "resume")
 *   TASK   u64 task id, u64 identity hash, u8 attempt, u16 nouts, outs:
 *          u16 param, u64 data id, u32 version, u8 kind, then
 *          INLINE: u64 length + the bytes; FILE: str path; FRAG, ZERO: -
 *   DROP   u64 data id, u32 version: that version's file was removed
 *          (every reader completed before, so none needs it again)
 *
 * Durability (what is fsynced when, and why it is enough): records are
 * appended with write() in batches as completions arrive, so they survive
 * the death of any process at once (the page cache keeps them); every
 * JOURNAL_COMMIT_S one syncfs() of the run directory's file system makes
 * the journal and the names of the fragment files written since durable
 * together, so after an operating-system crash a durable record never
 * names a fragment whose name was lost (fragment files are complete before
 * their name exists: temp + fsync + rename). A version's file is removed
 * only after its DROP record is durable. A torn last record (a crash inside
 * a write) fails its length or CRC and is cut off at open.
 *
 * A resumed run holds the removal of dropped files (journal_hold) until
 * every task of the earlier run's journal has been matched: a program that
 * turns out to be another one (a task's identity differs) must not remove
 * files the earlier run still needs; its records are then taken back
 * (journal_rewind), so the journal is the earlier run's again.
 *
 * Engine thread only.
 */
#ifndef TESS_RUNTIME_JOURNAL_H
#define TESS_RUNTIME_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tessera.h"

#define JOURNAL_COMMIT_S 1.0

enum journal_kind {
    JOURNAL_ZERO = 0,   /* no payload: zeros (an ignored failure) */
    JOURNAL_FRAG = 1,   /* RUN_DIR/frags/d<data>/v<version>.h5 */
    JOURNAL_INLINE = 2, /* the bytes are in the record */
    JOURNAL_FILE = 3,   /* a file version: its path */
};

typedef struct journal_out {
    uint16_t param;
    uint64_t data_id;
    uint32_t version;
    uint8_t kind;        /* enum journal_kind */
    const void *bytes;   /* INLINE (borrowed) */
    uint64_t len;
    const char *path;    /* FILE (NUL-terminated, borrowed) */
} journal_out_t;

/* A completed task as the journal recorded it (replay). Borrowed until the
 * next journal call. */
typedef struct journal_task {
    uint64_t id, hash;
    uint8_t attempt;
    uint16_t nouts;
    journal_out_t *outs;
} journal_task_t;

typedef struct journal_stats {
    uint64_t records, tasks, drops, begins;
    uint64_t duplicates;   /* TASK records of an id seen before: a task
                              that completed twice */
    uint64_t torn_bytes;   /* cut off at open */
} journal_stats_t;

typedef struct journal journal_t;

/* Open RUN_DIR/journal: resume 0 starts a new one (an existing journal is
 * replaced); resume 1 reads the existing one (indexing its tasks and
 * drops, cutting a torn tail) and appends to it. A BEGIN record is added.
 * NULL with err. */
journal_t *journal_open(const char *run_dir, int resume, tess_error_t *err);

/* Write what is buffered, commit, close. -1 if a write failed. Accepts
 * NULL. */
int journal_close(journal_t *j);

/* Record that task id (identity hash) completed with these outputs. */
void journal_task(journal_t *j, uint64_t id, uint64_t hash, uint8_t attempt,
                  int nouts, const journal_out_t *outs);

/* Record that the file of (data id, version) is about to go; path (may be
 * NULL) is removed once the record is durable. */
void journal_drop(journal_t *j, uint64_t data_id, uint32_t version,
                  const char *path);

/* Write the buffered records now; commit (fsync, then remove dropped
 * files) if JOURNAL_COMMIT_S passed since the last one or force. -1 if
 * writing failed (err). */
int journal_flush(journal_t *j, int force, tess_error_t *err);

/* The record of task id if the journal has one (resume): 1 with *t, 0 if
 * none, -1 if it cannot be read. */
int journal_lookup(journal_t *j, uint64_t id, journal_task_t *t);

/* on 1: commits write DROP records but keep the files; on 0 the files
 * held so far go at the next commit. Off at open. */
void journal_hold(journal_t *j, int on);

/* Take back everything written since journal_open (the earlier run's
 * journal stays as it was); files held are kept. Nothing more is
 * written. -1 if the journal could not be cut. */
int journal_rewind(journal_t *j);

/* 1 if (data id, version) was dropped in an earlier run. */
int journal_dropped(const journal_t *j, uint64_t data_id, uint32_t version);

void journal_stats(const journal_t *j, journal_stats_t *st);

/* Read-only scan of RUN_DIR/journal (for tools and tests): stats only,
 * nothing cut. -1 with err. */
int journal_inspect(const char *run_dir, journal_stats_t *st,
                    tess_error_t *err);

#endif
