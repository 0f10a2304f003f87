/*
 * sendq.h - non-blocking sends that cannot deadlock.
 *
 * Engine and workers both send while the other side may be sending: two
 * blocking MPI_Send of messages above the eager limit wait for each other's
 * receive forever. Every message therefore goes out with MPI_Isend; the
 * queue owns the buffers until the sends complete, and the owner's polling
 * loop calls sendq_progress() beside its MPI_Iprobe.
 */
#ifndef TESS_PROTO_SENDQ_H
#define TESS_PROTO_SENDQ_H

#include <mpi.h>

#include "proto/proto.h"

typedef struct sendq sendq_t;

sendq_t *sendq_create(MPI_Comm comm);
/* Waits for pending sends (the peers must be receiving), frees. */
void sendq_destroy(sendq_t *q);

/* Send the content of b to dest; the queue takes b's buffer (b is left
 * empty, ready for reuse). -1 with an MPI error string in err on failure. */
int sendq_post(sendq_t *q, pbuf_t *b, int dest, char *err, size_t errlen);

/* Free the buffers of completed sends. Returns the number still pending. */
int sendq_progress(sendq_t *q);

/* Complete every pending send (blocking, with backoff). */
void sendq_drain(sendq_t *q);

#endif
