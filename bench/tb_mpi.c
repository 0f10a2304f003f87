/*
 * tb_mpi - plain MPI versions of the benchmarks: the physical limit the
 * runtimes are compared with (no runtime, the communication written by
 * hand; waiting ranks poll, as MPI does).
 *
 *   mpirun -np W tb_mpi serve
 *       a server like tb_tessera's (commands on rank 0's standard input,
 *       answers "tb ok ..."): `graph PATTERN WIDTH STEPS ITERS` runs a Task
 *       Bench graph with one point per rank (WIDTH = W), Task Bench's MPI
 *       nonblocking scheme: per step, Irecv the inputs, Isend the previous
 *       output to the points that read it, Waitall, run the kernel.
 *       -> tb ok WALL_S TASKS. Between commands the ranks wait without
 *       spinning (a probe every 2 ms), so they do not slow the runtime
 *       measured in between.
 *   mpirun -np K tb_mpi farm N
 *       rank 0 hands N no-op tasks to K-1 workers, one message each way per
 *       task, one task outstanding per worker -> tb ok WALL_S TASKS_PER_S
 *   mpirun -np 3 tb_mpi ping N spin|sleep US
 *       the message pattern of a dependence between tasks on two workers:
 *       ranks 1 and 2 run tasks alternately (spinning or sleeping US us);
 *       each end goes to rank 0 (the engine), which forwards it to the
 *       other rank, whose next task starts on receipt
 *       -> tb ok N GAP_NS:1 ...  (start - predecessor's end, CLOCK_REALTIME)
 */
#include "config.h"

#include <inttypes.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/tb_core.h"

enum { TAG_DATA = 1, TAG_CMD, TAG_TASK, TAG_DONE, TAG_STOP, TAG_GAPS };
#define CMD_LEN 512

static void pause_ms(long ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* Run graph @p g with point = rank; 0, or -1 if an input was wrong. */
static int run_graph(const tb_graph_t *g, int rank, double *wall)
{
    tb_out_t mine = {-1, -1}, sendbuf, inbuf[TB_MAX_DEPS];
    const void *inptr[TB_MAX_DEPS];
    MPI_Request req[2 * TB_MAX_DEPS + 64];
    int64_t deps[TB_MAX_DEPS], qdeps[TB_MAX_DEPS];
    int bad = 0, anybad = 0;

    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (int64_t s = 0; s < g->steps; s++) {
        int nreq = 0, nd = 0;
        int active = rank < tb_width_at(g, s);
        if (active) {
            nd = tb_deps(g, s, rank, deps);
            for (int i = 0; i < nd; i++) {
                inptr[i] = &inbuf[i];
                if (deps[i] == rank)
                    inbuf[i] = mine;
                else
                    MPI_Irecv(&inbuf[i], TB_BYTES, MPI_BYTE, (int)deps[i],
                              TAG_DATA, MPI_COMM_WORLD, &req[nreq++]);
            }
        }
        if (s > 0 && rank < tb_width_at(g, s - 1)) {
            sendbuf = mine;
            for (int64_t q = 0; q < tb_width_at(g, s) && nreq < 64; q++) {
                if (q == rank)
                    continue;
                int nq = tb_deps(g, s, q, qdeps);
                for (int i = 0; i < nq; i++)
                    if (qdeps[i] == rank)
                        MPI_Isend(&sendbuf, TB_BYTES, MPI_BYTE, (int)q,
                                  TAG_DATA, MPI_COMM_WORLD, &req[nreq++]);
            }
        }
        MPI_Waitall(nreq, req, MPI_STATUSES_IGNORE);
        if (active && tb_task(g, s, rank, inptr, nd, &mine) < 0)
            bad = 1;
    }
    MPI_Barrier(MPI_COMM_WORLD);
    *wall = MPI_Wtime() - t0;
    if (rank < tb_width_at(g, g->steps - 1) &&
        (mine.step != g->steps - 1 || mine.point != rank))
        bad = 1;
    MPI_Allreduce(&bad, &anybad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return anybad ? -1 : 0;
}

static int serve(int rank, int size)
{
    char line[CMD_LEN];
    if (rank == 0) {
        printf("tb ready\n");
        fflush(stdout);
    }
    for (;;) {
        memset(line, 0, sizeof(line));
        if (rank == 0) {
            if (!fgets(line, sizeof(line), stdin))
                strcpy(line, "quit");
            for (int r = 1; r < size; r++)
                MPI_Send(line, CMD_LEN, MPI_CHAR, r, TAG_CMD, MPI_COMM_WORLD);
        } else {
            int flag = 0;
            while (MPI_Iprobe(0, TAG_CMD, MPI_COMM_WORLD, &flag,
                              MPI_STATUS_IGNORE) == MPI_SUCCESS && !flag)
                pause_ms(2);
            MPI_Recv(line, CMD_LEN, MPI_CHAR, 0, TAG_CMD, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
        }
        char cmd[16] = "", name[32] = "";
        tb_graph_t g;
        if (sscanf(line, "%15s", cmd) < 1 || strcmp(cmd, "quit") == 0)
            return 0;
        if (strcmp(cmd, "graph") != 0 ||
            sscanf(line, "%*s %31s %" SCNd64 " %" SCNd64 " %" SCNd64, name,
                   &g.width, &g.steps, &g.iters) != 4 ||
            (g.pattern = tb_pattern_parse(name)) < 0 || g.width != size ||
            g.steps < 1) {
            if (rank == 0) {
                printf("tb error usage: graph PATTERN %d STEPS ITERS\n", size);
                fflush(stdout);
            }
            continue;
        }
        double wall;
        int rc = run_graph(&g, rank, &wall);
        if (rank == 0) {
            if (rc < 0)
                printf("tb error a task read a wrong input\n");
            else
                printf("tb ok %.9f %" PRId64 "\n", wall, tb_tasks(&g));
            fflush(stdout);
        }
        if (rc < 0)
            return 1;
    }
}

static int farm(int rank, int size, int64_t n)
{
    char buf[64] = "";
    if (size < 2)
        return 2;
    if (rank == 0) {
        int64_t sent = 0, done = 0;
        MPI_Status st;
        double t0 = MPI_Wtime();
        for (int w = 1; w < size && sent < n; w++, sent++)
            MPI_Send(buf, sizeof(buf), MPI_BYTE, w, TAG_TASK, MPI_COMM_WORLD);
        while (done < n) {
            MPI_Recv(buf, sizeof(buf), MPI_BYTE, MPI_ANY_SOURCE, TAG_DONE,
                     MPI_COMM_WORLD, &st);
            done++;
            if (sent < n) {
                MPI_Send(buf, sizeof(buf), MPI_BYTE, st.MPI_SOURCE, TAG_TASK,
                         MPI_COMM_WORLD);
                sent++;
            }
        }
        double wall = MPI_Wtime() - t0;
        for (int w = 1; w < size; w++)
            MPI_Send(buf, 0, MPI_BYTE, w, TAG_STOP, MPI_COMM_WORLD);
        printf("tb ok %.9f %.1f\n", wall, (double)n / wall);
        return 0;
    }
    for (;;) {
        MPI_Status st;
        MPI_Recv(buf, sizeof(buf), MPI_BYTE, 0, MPI_ANY_TAG, MPI_COMM_WORLD,
                 &st);
        if (st.MPI_TAG == TAG_STOP)
            return 0;
        MPI_Send(buf, sizeof(buf), MPI_BYTE, 0, TAG_DONE, MPI_COMM_WORLD);
    }
}

static int ping(int rank, int size, int64_t n, int sleep, int64_t us)
{
    int64_t msg[2];
    if (size != 3 || n < 2)
        return 2;
    if (rank == 0) {
        /* the engine: forward each end to the owner of the next task */
        for (int64_t k = 0; k + 1 < n; k++) {
            MPI_Recv(msg, 2, MPI_INT64_T, 1 + (int)(k % 2), TAG_DONE,
                     MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Send(msg, 2, MPI_INT64_T, 1 + (int)((k + 1) % 2), TAG_TASK,
                     MPI_COMM_WORLD);
        }
        MPI_Recv(msg, 2, MPI_INT64_T, 1 + (int)((n - 1) % 2), TAG_DONE,
                 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        printf("tb ok %" PRId64, n - 1);
        for (int r = 1; r <= 2; r++) {
            int64_t gaps[4096];
            int cnt = 0;
            MPI_Status st;
            MPI_Recv(gaps, 4096, MPI_INT64_T, r, TAG_GAPS, MPI_COMM_WORLD, &st);
            MPI_Get_count(&st, MPI_INT64_T, &cnt);
            for (int i = 0; i < cnt; i++)
                printf(" %" PRId64 ":1", gaps[i]);
        }
        printf("\n");
        return 0;
    }
    int64_t gaps[4096];
    int ng = 0;
    for (int64_t k = rank - 1; k < n; k += 2) {
        if (k > 0) {
            MPI_Recv(msg, 2, MPI_INT64_T, 0, TAG_TASK, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
            int64_t start = tb_now_ns();
            if (ng < 4096)
                gaps[ng++] = start - msg[0];
        }
        tb_busy_or_sleep(sleep, us);
        msg[0] = tb_now_ns();
        msg[1] = k;
        MPI_Send(msg, 2, MPI_INT64_T, 0, TAG_DONE, MPI_COMM_WORLD);
    }
    MPI_Send(gaps, ng, MPI_INT64_T, 0, TAG_GAPS, MPI_COMM_WORLD);
    return 0;
}

int main(int argc, char **argv)
{
    int rank, size, rc = 2;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "serve") == 0)
        rc = serve(rank, size);
    else if (strcmp(mode, "farm") == 0 && argc > 2)
        rc = farm(rank, size, atoll(argv[2]));
    else if (strcmp(mode, "ping") == 0 && argc > 4)
        rc = ping(rank, size, atoll(argv[2]), strcmp(argv[3], "sleep") == 0,
                  atoll(argv[4]));
    if (rc == 2 && rank == 0)
        fprintf(stderr, "usage: tb_mpi serve | farm N | ping N spin|sleep US "
                        "(ping: 3 ranks, N <= 4096)\n");
    fflush(stdout);
    MPI_Finalize();
    return rc;
}
