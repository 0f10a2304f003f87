/*
 * tb_starpu - the Task Bench graphs on StarPU (shared memory), a peer the
 * suite compares Tessera with. A server like tb_tessera's: commands on
 * standard input, `graph PATTERN WIDTH STEPS ITERS` -> tb ok WALL_S TASKS.
 *
 * One 16-byte variable per point and step (registered before the clock
 * starts), each task inserted with starpu_task_insert(): STARPU_W on its
 * own variable, STARPU_R on its dependences' (so StarPU infers exactly the
 * graph's edges, as the other runtimes do). The workers are StarPU's CPU
 * workers (STARPU_NCPU, set by the driver); between commands they are
 * paused (starpu_pause), since idle StarPU workers poll at full speed and
 * would slow whatever the driver measures in between.
 */
#include "config.h"

#include <inttypes.h>
#include <starpu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/tb_core.h"

struct targs {
    int64_t step, point;
    tb_graph_t g;
};

static int bad; /* a task read a wrong input (set by workers, read after) */

static void cpu_task(void *buffers[], void *cl_arg)
{
    struct targs a;
    const void *in[TB_MAX_DEPS];
    int n = STARPU_TASK_GET_NBUFFERS(starpu_task_get_current()) - 1;
    starpu_codelet_unpack_args(cl_arg, &a);
    for (int i = 0; i < n && i < TB_MAX_DEPS; i++)
        in[i] = (const void *)STARPU_VARIABLE_GET_PTR(buffers[1 + i]);
    if (tb_task(&a.g, a.step, a.point, in, n,
                (void *)STARPU_VARIABLE_GET_PTR(buffers[0])) < 0)
        __atomic_store_n(&bad, 1, __ATOMIC_RELAXED);
}

static struct starpu_codelet cl = {
    .cpu_funcs = {cpu_task},
    .nbuffers = STARPU_VARIABLE_NBUFFERS,
    .name = "tb",
};

static int run_graph(const tb_graph_t *g)
{
    size_t n = (size_t)(g->steps * g->width);
    tb_out_t *val = calloc(n, sizeof(*val));
    starpu_data_handle_t *h = calloc(n, sizeof(*h));
    struct starpu_data_descr d[1 + TB_MAX_DEPS];
    int64_t deps[TB_MAX_DEPS];
    if (!val || !h) {
        free(val);
        free(h);
        printf("tb error out of memory\n");
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        starpu_variable_data_register(&h[i], STARPU_MAIN_RAM,
                                      (uintptr_t)&val[i], sizeof(tb_out_t));
    bad = 0;
    double t0 = tb_seconds();
    for (int64_t s = 0; s < g->steps; s++)
        for (int64_t p = 0; p < tb_width_at(g, s); p++) {
            struct targs a = {s, p, *g};
            int nd = tb_deps(g, s, p, deps);
            d[0].handle = h[s * g->width + p];
            d[0].mode = STARPU_W;
            for (int i = 0; i < nd; i++) {
                d[1 + i].handle = h[(s - 1) * g->width + deps[i]];
                d[1 + i].mode = STARPU_R;
            }
            int rc = starpu_task_insert(&cl, STARPU_DATA_MODE_ARRAY, d, nd + 1,
                                        STARPU_VALUE, &a, sizeof(a), 0);
            if (rc != 0) {
                printf("tb error starpu_task_insert: %s\n", strerror(-rc));
                return -1;
            }
        }
    starpu_task_wait_for_all();
    double wall = tb_seconds() - t0;
    for (size_t i = 0; i < n; i++)
        starpu_data_unregister(h[i]);
    int64_t last = g->steps - 1;
    for (int64_t p = 0; p < tb_width_at(g, last); p++) {
        const tb_out_t *o = &val[last * g->width + p];
        if (o->step != last || o->point != p)
            bad = 1;
    }
    free(val);
    free(h);
    if (bad) {
        printf("tb error a task read a wrong input\n");
        return -1;
    }
    printf("tb ok %.9f %" PRId64 "\n", wall, tb_tasks(g));
    return 0;
}

int main(void)
{
    char line[512];
    int rc = 0;
    if (starpu_init(NULL) != 0) {
        fprintf(stderr, "tb_starpu: starpu_init failed\n");
        return 2;
    }
    printf("tb ready %u workers\n", starpu_worker_get_count());
    fflush(stdout);
    starpu_pause();
    while (rc == 0 && fgets(line, sizeof(line), stdin)) {
        char cmd[16] = "", name[32];
        tb_graph_t g;
        if (sscanf(line, "%15s", cmd) < 1)
            continue;
        if (strcmp(cmd, "quit") == 0)
            break;
        if (strcmp(cmd, "graph") != 0 ||
            sscanf(line, "%*s %31s %" SCNd64 " %" SCNd64 " %" SCNd64, name,
                   &g.width, &g.steps, &g.iters) != 4 ||
            (g.pattern = tb_pattern_parse(name)) < 0 || g.width < 1 ||
            g.steps < 1) {
            printf("tb error usage: graph PATTERN WIDTH STEPS ITERS\n");
        } else {
            starpu_resume();
            rc = run_graph(&g);
            starpu_pause();
        }
        fflush(stdout);
    }
    starpu_resume();
    starpu_shutdown();
    return rc < 0 ? 1 : 0;
}
