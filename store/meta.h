/*
 * meta.h - the metadata file of a store object, OBJECT_DIR/meta.
 *
 * A text file of "key: value" lines, like RUN_DIR/status.txt and with
 * its escapes (io/runstatus.h: \\ \n \r \t, other control bytes \xHH),
 * so a value is always one line; unknown keys are ignored
 * (the format grows); "-" is "none". Written once when the object is
 * created (state: building) and replaced atomically (temp + fsync +
 * rename) when it is completed. Keys:
 *
 *   format: 1                     the object format version
 *   name: NeuronData              the object's name
 *   id: 32 hex digits             this incarnation (also the directory)
 *   state: building | complete
 *   type: u8 | i32 | i64 | f32 | f64
 *   rank: R
 *   shape: 100x500 | -            the whole array, if any
 *   nblocks_expected: N | -
 *   sync: yes | no                blocks fsynced before they are visible
 *   lock: yes | no                the creator holds the producer lock
 *   user: NAME   uid: N   host: NAME   pid: N      the creator
 *   created: 2026-11-30T12:00:00Z
 *   workflow: NAME | -   run: DIR | -   params: TEXT | -
 *   completed: TIME | -           (complete objects)
 *   blocks: N | -                 number of blocks in the index
 *   bytes: N | -                  bytes of their elements
 */
#ifndef TESS_STORE_META_H
#define TESS_STORE_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera.h"

/* Version of the object format this code writes and the newest it reads. */
#define META_FORMAT 1

/* File names inside an object directory. */
#define META_FILE "meta"
#define META_LOCK "lock"
#define META_INDEX "index"
#define META_BLOCKS "blocks"

typedef struct meta {
    int format;
    char name[TESS_STORE_NAME_MAX + 1];
    char id[33];
    bool complete;
    tess_type_t type;
    int rank;
    bool has_shape;
    int64_t shape[TESS_MAX_RANK];
    int64_t nblocks_expected; /* 0: unknown */
    bool sync;
    bool lock;               /* the creator holds the producer lock */
    char user[64];
    long uid;
    char host[256];
    long pid;
    char created[32];
    char completed[32];      /* "" unless complete */
    int64_t nblocks;         /* -1 unless complete */
    int64_t bytes;           /* -1 unless complete */
    char *workflow;          /* malloc'd, "" if none */
    char *run;
    char *params;
} meta_t;

/* Fill @p m for a new object @p name with id @p id from @p spec (copied)
 * and this process as creator, state building. -1, errno ENOMEM. */
int meta_init(meta_t *m, const char *name, const char *id,
              const tess_store_spec_t *spec);

/* Free the strings of @p m (not @p m). Accepts a zeroed meta. */
void meta_free(meta_t *m);

/* Write @p m as OBJECT_DIR/meta atomically (fsops_write_file). */
int meta_write(const meta_t *m, const char *objdir, bool sync);

/* Read OBJECT_DIR/meta into @p m, replacing what it held (@p m is zeroed
 * or holds an earlier read; on failure it is zeroed). -1 with errno: as
 * open(2) (ENOENT: no meta), EPROTO malformed or of a newer format, with
 * @p err naming the file and line. */
int meta_read(meta_t *m, const char *objdir, tess_error_t *err);

/* The current UTC time as "YYYY-mm-ddTHH:MM:SSZ" into @p buf (>= 21
 * bytes). Returns @p buf. */
char *meta_utc_now(char *buf, size_t len);

#endif
