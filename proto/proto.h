/*
 * proto.h - the engine <-> worker wire format (see docs/design.md,
 * "Protocol").
 *
 * A message is a byte buffer of records; each record is
 *   u8 type | u32 length | payload (length bytes)
 * and one MPI message (MPI_BYTE, tag PROTO_TAG) carries as many records as
 * the sender batched. Integers are in the host's byte order: all ranks of
 * one job share an architecture's endianness (x86-64 hosts and MIC cards
 * alike); a HELLO record carries a byte-order mark so a mismatch is caught.
 *
 * Records are built and read with pbuf_t / preader_t (pbuf.h); this
 * module never calls MPI.
 */
#ifndef TESS_PROTO_PROTO_H
#define TESS_PROTO_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "proto/pbuf.h"

#define PROTO_TAG 7
#define PROTO_BOM 0x01020304u

enum proto_type {
    PROTO_HELLO = 1,    /* worker -> engine: bom, slots, host, arch, node,
                           executable, memory (MiB) */
    PROTO_KERNEL = 2,   /* engine -> worker: kernel index, name */
    PROTO_TASK = 3,     /* engine -> worker: a task descriptor */
    PROTO_DONE = 4,     /* worker -> engine: a completion */
    PROTO_DROP = 5,     /* engine -> worker: forget cached versions */
    PROTO_SHUTDOWN = 6, /* engine -> worker: no more work */
    PROTO_BYE = 7,      /* worker -> engine: statistics, then exit */
    PROTO_CONFIG = 8,   /* engine -> worker: run directory, limits */
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

#endif
