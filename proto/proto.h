/*
 * proto.h - the engine <-> worker wire format (see docs/design.md,
 * "Protocol"): the record types and the codec of every record.
 *
 * A message is a byte buffer of records; each record is
 *   u8 type | u32 length | payload (length bytes)
 * and one MPI message (MPI_BYTE, tag PROTO_TAG) carries as many records as
 * the sender batched. Integers are in the host's byte order: all ranks of
 * one job share an architecture's endianness (x86-64 hosts and MIC cards
 * alike); a HELLO record carries a byte-order mark so a mismatch is caught.
 *
 * Every record has one encoder (proto_put_*) and one decoder (proto_get_*)
 * here, so the two sides cannot drift. Encoders append a whole record to a
 * pbuf_t (allocation failures are sticky in the buffer, see pbuf.h).
 * Decoders read one record's payload and return 0, or -1 if it is short or
 * malformed (never reading past its end); strings and inline bytes they
 * return are borrowed from the message (valid while its buffer is).
 * This module never calls MPI.
 */
#ifndef TESS_PROTO_PROTO_H
#define TESS_PROTO_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "proto/pbuf.h"
#include "tessera.h"

#define PROTO_TAG 7
#define PROTO_BOM 0x01020304u

enum proto_type {
    PROTO_HELLO = 1,    /* worker -> engine: who I am */
    PROTO_KERNEL = 2,   /* engine -> worker: kernel index, name */
    PROTO_TASK = 3,     /* engine -> worker: a task descriptor */
    PROTO_DONE = 4,     /* worker -> engine: a task ended */
    PROTO_DROP = 5,     /* engine -> worker: forget cached versions */
    PROTO_SHUTDOWN = 6, /* engine -> worker: no more work */
    PROTO_BYE = 7,      /* worker -> engine: statistics, then exit */
    PROTO_CONFIG = 8,   /* engine -> worker: run directory, settings */
    PROTO_FATAL = 9,    /* worker -> engine: I cannot serve (why) */
    PROTO_CANCEL = 10,  /* engine -> worker: stop: tasks not started are
                           given back as not run, running ones killed */
    PROTO_WAKE = 11,    /* engine -> worker: work may come at a predicted
                           time: be polling then (not asleep) */
};

/* Where a worker finds a piece of a version it must read. */
enum proto_loc {
    PROTO_LOC_ZERO = 0,   /* implicit zeros */
    PROTO_LOC_INLINE = 1, /* the piece's elements follow, dense */
    PROTO_LOC_FRAG = 2,   /* the version's fragment file (or the cache) */
};

/* What a worker does with a version it wrote. */
enum proto_out {
    PROTO_OUT_INLINE = 1, /* send the elements back in the completion */
    PROTO_OUT_FRAG = 2,   /* write the fragment file, keep it cached */
};

/* Kinds of data parameters. */
enum proto_dkind {
    PROTO_DATA_ARRAY = 1,
    PROTO_DATA_FILE = 2,
};

/* How a task ended on a worker (DONE). */
enum proto_state {
    PROTO_ST_OK = 1,      /* the kernel returned 0, outputs stored */
    PROTO_ST_FAILED = 2,  /* the kernel returned non-zero */
    PROTO_ST_CRASHED = 3, /* its executor died: signal or exit() */
    PROTO_ST_TIMEOUT = 4, /* killed after the task's time limit */
    PROTO_ST_ERROR = 5,   /* the runtime could not run it (inputs, outputs,
                             kernel not found, out of memory) */
    PROTO_ST_NOT_RUN = 6, /* given back without starting (CANCEL) */
};

/* Task flags on the wire (u8). */
#define PROTO_TASK_ISOLATE 0x1u /* run in an executor process */
#define PROTO_TASK_INPROC 0x2u  /* run on the worker's thread, no process */

/* ---- HELLO, CONFIG, KERNEL, FATAL, BYE ------------------------------------ */

typedef struct proto_hello {
    uint32_t slots;
    int64_t memory_mb;   /* what tasks may use on this worker, 0 unknown */
    int64_t pid;
    char host[64], arch[32], node[64], exe[256];
    uint32_t bom;        /* decode: PROTO_BOM if the byte order matches */
} proto_hello_t;

void proto_put_hello(pbuf_t *b, const proto_hello_t *h);
int proto_get_hello(preader_t *p, proto_hello_t *h);

typedef struct proto_config {
    char run_dir[4096];
    uint32_t spin_us;     /* how long an idle worker polls before sleeping */
    uint32_t flags;       /* PROTO_CONFIG_* */
} proto_config_t;

#define PROTO_CONFIG_NOSYNC 0x1u /* fragment files without fsync */

void proto_put_config(pbuf_t *b, const proto_config_t *c);
int proto_get_config(preader_t *p, proto_config_t *c);

void proto_put_kernel(pbuf_t *b, uint32_t index, const char *name);
/* name: borrowed, name_len bytes, not NUL-terminated. */
int proto_get_kernel(preader_t *p, uint32_t *index, const char **name,
                     uint32_t *name_len);

void proto_put_fatal(pbuf_t *b, const char *msg);
int proto_get_fatal(preader_t *p, char *msg, size_t len);

typedef struct proto_bye {
    uint64_t tasks, frag_bytes, inline_bytes, cache_peak, cache_reads,
        frag_reads, crashes;
} proto_bye_t;

void proto_put_bye(pbuf_t *b, const proto_bye_t *y);
int proto_get_bye(preader_t *p, proto_bye_t *y);

/* DROP: pairs (data id, version); an empty record is allowed. */
void proto_put_drops(pbuf_t *b, const pbuf_t *pairs);
/* pairs: append one (id, version) pair to a buffer of pairs. */
void proto_drop_pair(pbuf_t *pairs, uint64_t data_id, uint32_t version);
/* The next pair, 1; 0 at the end; -1 if malformed. */
int proto_get_drop(preader_t *p, uint64_t *data_id, uint32_t *version);

void proto_put_empty(pbuf_t *b, uint8_t type); /* SHUTDOWN, CANCEL */

/* WAKE: poll without sleeping from in_us microseconds after its arrival
 * for spin_us microseconds (a task the engine expects to end then may
 * make work for this worker). A later WAKE replaces an earlier one. */
void proto_put_wake(pbuf_t *b, uint32_t in_us, uint32_t spin_us);
int proto_get_wake(preader_t *p, uint32_t *in_us, uint32_t *spin_us);

/* ---- TASK ---------------------------------------------------------------- */

typedef struct proto_task {
    uint64_t cookie;      /* the engine's handle, echoed in DONE */
    uint64_t id;          /* task sequence number */
    uint32_t kernel;      /* index announced by a KERNEL record */
    uint16_t nparams;
    uint8_t flags;        /* PROTO_TASK_* */
    uint8_t attempt;      /* 1, 2, ... (retries) */
    uint32_t timeout_ms;  /* 0: none */
    int64_t memory_mb;    /* memory limit of the task (0: the worker's) */
} proto_task_t;

/* One piece of a version an array parameter reads. */
typedef struct proto_src {
    uint32_t version;
    int64_t piece[2 * TESS_MAX_RANK]; /* start[rank], count[rank] */
    uint8_t loc;                      /* enum proto_loc */
    const void *bytes;                /* LOC_INLINE: dense piece (decode:
                                         borrowed from the message) */
} proto_src_t;

typedef struct proto_param {
    uint8_t kind;          /* tess_param_kind_t */
    uint8_t dir;           /* tess_dir_t (data parameters) */
    int64_t i;             /* TESS_P_INT */
    double d;              /* TESS_P_DOUBLE */
    const char *str;       /* TESS_P_STRING (str_len bytes, borrowed) */
    uint32_t str_len;
    /* TESS_P_DATA */
    uint64_t data_id;
    uint8_t dkind;         /* enum proto_dkind */
    uint8_t type;          /* tess_type_t (arrays) */
    uint8_t rank;          /* 0 for files */
    int64_t box[2 * TESS_MAX_RANK];
    const char *path_in;   /* files: the version read (unless OUT) */
    const char *path_out;  /* files: the version written (unless IN) */
    uint32_t path_in_len, path_out_len;
    uint32_t nsrc;         /* arrays read (unless OUT): pieces */
    preader_t srcs;        /* decode: reader over the pieces, for
                              proto_get_src() */
    uint32_t out_version;  /* arrays written (unless IN) */
    uint8_t out_mode;      /* enum proto_out */
} proto_param_t;

/* Encode a TASK record: the header, then each parameter with
 * proto_put_param() in order, each read piece of an array parameter with
 * proto_put_src() (nsrc of them, declared in the parameter), then
 * proto_put_task_end(). begin returns the record offset for end. */
size_t proto_put_task_begin(pbuf_t *b, const proto_task_t *t);
void proto_put_param(pbuf_t *b, const proto_param_t *p);
/* A piece read by the last array parameter put. For PROTO_LOC_INLINE, the
 * piece's elements are copied from the dense array `whole` whose box (in
 * the array's coordinates) is whole_box (start[rank], count[rank]). */
void proto_put_src(pbuf_t *b, const proto_param_t *p, const proto_src_t *s,
                   const void *whole, const int64_t *whole_box);
/* After the sources: what the parameter writes (arrays, unless IN). */
void proto_put_out(pbuf_t *b, const proto_param_t *p);
void proto_put_task_end(pbuf_t *b, size_t rec);

/* Decode a TASK: the header into t, then the parameters into params
 * (room for at most maxparams; -1 with errno E2BIG if t->nparams is
 * larger). Every piece is checked (location, inside the parameter's box,
 * inline byte count) and left to iterate with proto_get_src(). */
int proto_get_task(preader_t *p, proto_task_t *t, proto_param_t *params,
                   size_t maxparams);
/* Only the header (to learn nparams before allocating). */
int proto_peek_task(const preader_t *p, proto_task_t *t);
/* The next piece of array parameter pp (nsrc times). */
int proto_get_src(proto_param_t *pp, proto_src_t *s);

/* ---- DONE ---------------------------------------------------------------- */

typedef struct proto_done {
    uint64_t cookie;
    uint8_t state;        /* enum proto_state */
    int32_t code;         /* CRASHED: signal (> 0) or exit status (<= 0,
                             negated); FAILED: the kernel's return value */
    const char *msg;      /* why it failed; "" if ok (encode: NUL-terminated;
                             decode: msg_len bytes, borrowed) */
    uint32_t msg_len;
    uint64_t start_ns, end_ns;
    uint16_t slot;
    uint64_t bytes_in, bytes_out;
    uint32_t cache_hits;
    uint16_t nouts;
    preader_t outs;       /* decode: reader over the outputs */
} proto_done_t;

/* One output of a successful task. */
typedef struct proto_outval {
    uint16_t param;
    uint8_t mode;         /* enum proto_out */
    const void *bytes;    /* PROTO_OUT_INLINE: the elements (borrowed) */
    uint64_t len;
} proto_outval_t;

/* Encode a DONE record with its outputs (nouts of them; only when ok). */
void proto_put_done(pbuf_t *b, const proto_done_t *d,
                    const proto_outval_t *outs);
int proto_get_done(preader_t *p, proto_done_t *d);
/* The next output of a decoded DONE (nouts times). */
int proto_get_outval(proto_done_t *d, proto_outval_t *o);

/* "kernel returned 3", "killed by signal 11 (Segmentation fault)", ... for
 * a state and code, into buf. Returns buf. */
const char *proto_state_text(uint8_t state, int32_t code, char *buf,
                             size_t len);

#endif
