/*
 * comm.h - the MPI transport of engine and workers: non-blocking sends
 * that cannot deadlock, a receive that never blocks, MPI error text.
 *
 * Engine and workers both send while the other side may be sending: two
 * blocking MPI_Send of messages above the eager limit wait for each other's
 * receive forever. Every message therefore goes out with MPI_Isend; the
 * comm owns the buffers until the sends complete, and the owner's polling
 * loop calls comm_recv() (which progresses the sends too).
 *
 * One thread uses a comm (the engine thread, a worker's MPI thread): it is
 * the only code of Tessera that calls MPI point-to-point functions, and the
 * only place MPI error codes become text.
 */
#ifndef TESS_PROTO_COMM_H
#define TESS_PROTO_COMM_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/pbuf.h"
#include "tessera.h"

typedef struct comm comm_t;

/* A transport on comm (borrowed). NULL/ENOMEM. */
comm_t *comm_create(MPI_Comm comm);
/* Waits (bounded by timeout_s, 0: 10 s) for pending sends to complete (the
 * peers must be receiving), frees. Accepts NULL; preserves errno. */
void comm_destroy(comm_t *c, double timeout_s);

/* Send the content of b to rank dest; the comm takes b's buffer (b is left
 * empty, ready for reuse). -1 with err ("MPI send to rank N: ...") on
 * failure. */
int comm_send(comm_t *c, pbuf_t *b, int dest, tess_error_t *err);

/* Free the buffers of completed sends. Returns the number still pending. */
int comm_progress(comm_t *c);

/* Complete every pending send, waiting at most timeout_s (0: no limit).
 * 0, or -1 with errno ETIMEDOUT if sends are still pending. */
int comm_drain(comm_t *c, double timeout_s);

/* Receive one message from rank `from` (MPI_ANY_SOURCE: any) if one is
 * there: 1 with *src, *buf and *len (the buffer is the comm's, valid until
 * the next comm_recv); 0 if none; -1 with err. Progresses sends first. */
int comm_recv(comm_t *c, int from, int *src, const uint8_t **buf,
              size_t *len, tess_error_t *err);

/* "MPI <what>: <MPI's text for rc>" into err; returns -1. */
int comm_error(tess_error_t *err, int rc, const char *what);

#endif
