/*
 * pmpi_count.c - counts the MPI calls of a process (PMPI interposition),
 * for bench/profile.py: LD_PRELOAD it into every rank; at MPI_Finalize it
 * appends one line per rank to $PMPI_COUNT_OUT (or stderr):
 *   pmpi rank R isend N send N irecv N recv N iprobe N iprobe_hits N
 *        test N test_hits N
 * Not thread-safe counting: Tessera calls MPI from one thread per rank.
 */
#include "config.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static long n_isend, n_send, n_irecv, n_recv, n_iprobe, n_iprobe_hits, n_test,
    n_test_hits;

int MPI_Isend(const void *buf, int count, MPI_Datatype type, int dest, int tag,
              MPI_Comm comm, MPI_Request *req)
{
    n_isend++;
    return PMPI_Isend(buf, count, type, dest, tag, comm, req);
}

int MPI_Send(const void *buf, int count, MPI_Datatype type, int dest, int tag,
             MPI_Comm comm)
{
    n_send++;
    return PMPI_Send(buf, count, type, dest, tag, comm);
}

int MPI_Irecv(void *buf, int count, MPI_Datatype type, int src, int tag,
              MPI_Comm comm, MPI_Request *req)
{
    n_irecv++;
    return PMPI_Irecv(buf, count, type, src, tag, comm, req);
}

int MPI_Recv(void *buf, int count, MPI_Datatype type, int src, int tag,
             MPI_Comm comm, MPI_Status *st)
{
    n_recv++;
    return PMPI_Recv(buf, count, type, src, tag, comm, st);
}

int MPI_Iprobe(int src, int tag, MPI_Comm comm, int *flag, MPI_Status *st)
{
    int rc = PMPI_Iprobe(src, tag, comm, flag, st);
    n_iprobe++;
    n_iprobe_hits += *flag != 0;
    return rc;
}

int MPI_Test(MPI_Request *req, int *flag, MPI_Status *st)
{
    int rc = PMPI_Test(req, flag, st);
    n_test++;
    n_test_hits += *flag != 0;
    return rc;
}

int MPI_Finalize(void)
{
    int rank = -1;
    const char *path = getenv("PMPI_COUNT_OUT");
    FILE *f = path ? fopen(path, "a") : NULL;
    PMPI_Comm_rank(MPI_COMM_WORLD, &rank);
    fprintf(f ? f : stderr,
            "pmpi rank %d isend %ld send %ld irecv %ld recv %ld iprobe %ld "
            "iprobe_hits %ld test %ld test_hits %ld\n",
            rank, n_isend, n_send, n_irecv, n_recv, n_iprobe, n_iprobe_hits,
            n_test, n_test_hits);
    if (f)
        fclose(f);
    return PMPI_Finalize();
}
