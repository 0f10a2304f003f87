/*
 * launch_slurm.c - the Slurm backend: inside an allocation (SLURM_JOB_ID),
 * learn the nodes from libslurm and start the engine and the workers as one
 * job step with `srun --mpi=pmix`: rank 0 (the engine) and the first worker
 * on the first node, then one worker per node by default, each with as
 * many compute threads as its node has CPUs (a 48-core node: one worker,
 * 48 slots). Ranks are placed with an arbitrary distribution (a host file)
 * and started MPMD (--multi-prog), so each worker learns its node's
 * architecture (TESS_ARCH, from the node features). The end of the job
 * becomes the engine's deadline (TESS_DEADLINE).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/namelist.h"
#include "launcher/launch.h"
#include "launcher/slurm_alloc.h"


static int slurm_detect(void)
{
    return getenv("SLURM_JOB_ID") != NULL;
}

/* The worker program built for arch (--enable-arch-builds): installed
 * beside tessera, or in the build tree's mpi_worker/. 1 if found. */
static int arch_worker(const char *self, const char *arch, char *path,
                       size_t len)
{
    static const char *const where[] = {"%s/tessera-worker-%s",
                                        "%s/../mpi_worker/tessera-worker-%s"};
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", self);
    char *slash = strrchr(dir, '/');
    if (!slash || !arch[0])
        return 0;
    *slash = '\0';
    for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
        int n = snprintf(path, len, where[i], dir, arch);
        if (n > 0 && (size_t)n < len && access(path, X_OK) == 0)
            return 1;
    }
    return 0;
}

/* srun's --multi-prog parser keeps single-quoted words whole, and knows
 * no escape for a quote inside them. */
static void put_word(FILE *f, const char *w)
{
    fprintf(f, " '%s'", w);
}

/* One line of the --multi-prog file: "RANK env TESS_ARCH=A PROGRAM ARGS":
 * a worker of an architecture with its own build runs that build (MPMD),
 * every other rank runs tessera itself. */
static void prog_line(FILE *f, int rank, const launch_req_t *req,
                      const char *arch, int slots, long memory_mb)
{
    char prog[4096];
    fprintf(f, "%d env TESS_ARCH=%s", rank, arch[0] ? arch : "default");
    if (memory_mb > 0)
        fprintf(f, " TESS_MEMORY_MB=%ld", memory_mb);
    if (rank > 0 && arch_worker(req->self, arch, prog, sizeof(prog))) {
        put_word(f, prog);
        fprintf(f, " --slots %d", slots > 0 ? slots : 1);
    } else {
        put_word(f, req->self);
        for (int i = 0; i < req->argc; i++)
            put_word(f, req->argv[i]);
        if (slots > 0)
            fprintf(f, " --slots %d", slots);
    }
    fputc('\n', f);
}

static int slurm_resources(const launch_req_t *req, char *archs, size_t len,
                           int *max_slots, int64_t *max_memory_mb,
                           tess_error_t *err)
{
    slurm_alloc_t a;
    if (slurm_alloc_load(strtoul(getenv("SLURM_JOB_ID"), NULL, 10), &a,
                         err) < 0)
        return -1;
    slurm_alloc_archs(&a, archs, len, max_slots);
    *max_memory_mb = 0;
    for (size_t i = 0; i < a.nnodes; i++)
        if (a.nodes[i].memory_mb > *max_memory_mb)
            *max_memory_mb = a.nodes[i].memory_mb;
    if (req->slots > 0)
        *max_slots = req->slots;
    slurm_alloc_free(&a);
    return 0;
}

static int slurm_run(const launch_req_t *req, job_result_t *r,
                     tess_error_t *err)
{
    slurm_alloc_t a;
    for (int i = 0; i < req->argc; i++)
        if (strchr(req->argv[i], '\'') || strchr(req->argv[i], '\n'))
            return tess_errprintf(err, "argument %s: a quote or a newline "
                                  "cannot pass through srun --multi-prog",
                                  req->argv[i]);
    unsigned long job = strtoul(getenv("SLURM_JOB_ID"), NULL, 10);
    if (slurm_alloc_load(job, &a, err) < 0)
        return -1;
    int workers = req->workers > 0 ? req->workers : (int)a.nnodes;
    int *per_node = calloc(a.nnodes, sizeof(int));
    char hosts[4096], conf[4096], deadline[32];
    snprintf(hosts, sizeof(hosts), "%s/srun.hosts", req->run_dir);
    snprintf(conf, sizeof(conf), "%s/srun.conf", req->run_dir);
    FILE *hf = fopen(hosts, "w"), *cf = fopen(conf, "w");
    if (!per_node || !hf || !cf) {
        free(per_node);
        if (hf)
            fclose(hf);
        if (cf)
            fclose(cf);
        slurm_alloc_free(&a);
        return tess_errprintf(err, "%s: cannot write the launch files: %s",
                              req->run_dir, strerror(errno));
    }
    for (int w = 0; w < workers; w++)
        per_node[(size_t)w % a.nnodes]++;
    /* rank 0, the engine, mostly sleeps: it shares the first node */
    fprintf(hf, "%s\n", a.nodes[0].name);
    prog_line(cf, 0, req, "", 0, 0);
    for (int w = 0; w < workers; w++) {
        const slurm_alloc_node_t *n = &a.nodes[(size_t)w % a.nnodes];
        char arch[sizeof(n->features)];
        namelist_first(n->features, arch, sizeof(arch));
        int slots = req->slots > 0 ? req->slots
                                   : n->cpus / per_node[(size_t)w % a.nnodes];
        fprintf(hf, "%s\n", n->name);
        /* the node's memory, shared among its workers */
        prog_line(cf, w + 1, req, arch, slots > 0 ? slots : 1,
                  n->memory_mb / per_node[(size_t)w % a.nnodes]);
    }
    fclose(hf);
    fclose(cf);
    free(per_node);

    char np[32];
    snprintf(np, sizeof(np), "%d", workers + 1);
    snprintf(deadline, sizeof(deadline), "%lld", (long long)a.end_time);
    setenv("SLURM_HOSTFILE", hosts, 1);
    setenv("TESS_IN_JOB", "1", 1);
    if (a.end_time > 0)
        setenv("TESS_DEADLINE", deadline, 1);
    /* Workers run a thread per slot over their node's CPUs: no binding to
     * one CPU per task. Only said where srun can bind (else it warns). */
    if (a.binds_cpus)
        setenv("SLURM_CPU_BIND", "none", 1);
    if (req->kernel_path)
        setenv("TESS_KERNEL_PATH", req->kernel_path, 1);
    char *argv[] = {(char *)"srun",          (char *)"--mpi=pmix",
                    (char *)"--kill-on-bad-exit=1",
                    (char *)"--distribution=arbitrary", (char *)"-n", np,
                    (char *)"--multi-prog", conf, NULL};
    fprintf(stderr, "tessera: Slurm job %lu (%s): %zu node%s, engine + %d "
            "worker%s, ends %s", job, a.partition, a.nnodes,
            a.nnodes == 1 ? "" : "s", workers, workers == 1 ? "" : "s",
            a.end_time ? ctime(&a.end_time) : "never\n");
    slurm_alloc_free(&a);

    char log[4096 + 32];
    snprintf(log, sizeof(log), "%s/logs/launch.log", req->run_dir);
    job_spec_t spec = {.argv = argv, .what = "srun", .log_path = log,
                       .tick = req->tick, .tick_arg = req->tick_arg};
    return job_run(&spec, r, err);
}

const launch_ops_t launch_slurm = {
    .name = "slurm",
    .detect = slurm_detect,
    .resources = slurm_resources,
    .run = slurm_run,
};
