/* test_launcher - option parsing of the workflow commands, the local launch
 * backend's view of the workers, Slurm node features and cpu binding. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/test/cunit_main.h"
#include "launcher/cmd.h"
#include "launcher/launch.h"
#ifdef HAVE_SLURM
#include "launcher/slurm_alloc.h"
#endif

static int parse(wfopts_t *o, int allow_run, char **argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    return wfopts_parse(argc, argv, allow_run, o);
}

static void test_wfopts(void)
{
    wfopts_t o;
    char *ok[] = {"run", "wf.xml", "-n", "3", "--slots", "2", "--param",
                  "maxlag=40", "-p", "seed=1", "--run-dir", "R", NULL};
    CU_ASSERT_EQUAL(parse(&o, 1, ok), 0);
    CU_ASSERT_STRING_EQUAL(o.workflow, "wf.xml");
    CU_ASSERT_EQUAL(o.workers, 3);
    CU_ASSERT_EQUAL(o.slots, 2);
    CU_ASSERT_EQUAL(o.nparams, 2);
    CU_ASSERT_STRING_EQUAL(o.params[0].name, "maxlag");
    CU_ASSERT_STRING_EQUAL(o.params[0].value, "40");
    CU_ASSERT_STRING_EQUAL(o.run_dir, "R");
    /* argv stays intact: it is handed on to the MPI ranks */
    CU_ASSERT_STRING_EQUAL(ok[7], "maxlag=40");
    wfopts_free(&o);

    char *no_wf[] = {"run", "-n", "2", NULL};
    CU_ASSERT_EQUAL(parse(&o, 1, no_wf), -1);
    wfopts_free(&o);
    char *bad_n[] = {"run", "wf.xml", "-n", "two", NULL};
    CU_ASSERT_EQUAL(parse(&o, 1, bad_n), -1);
    wfopts_free(&o);
    char *no_val[] = {"run", "wf.xml", "--param", NULL};
    CU_ASSERT_EQUAL(parse(&o, 1, no_val), -1);
    wfopts_free(&o);
    char *bad_param[] = {"run", "wf.xml", "--param", "novalue", NULL};
    CU_ASSERT_EQUAL(parse(&o, 1, bad_param), -1);
    wfopts_free(&o);
    /* run-only options are refused by validate */
    char *run_only[] = {"validate", "wf.xml", "-n", "2", NULL};
    CU_ASSERT_EQUAL(parse(&o, 0, run_only), -1);
    wfopts_free(&o);
    char *two_wf[] = {"validate", "a.xml", "b.xml", NULL};
    CU_ASSERT_EQUAL(parse(&o, 0, two_wf), -1);
    wfopts_free(&o);
}

static void test_local_backend(void)
{
    char archs[64];
    int slots = 0;
    int64_t mem = 0;
    tess_error_t err;
    launch_req_t req = {.slots = 0};
    unsetenv("SLURM_JOB_ID");
    CU_ASSERT_PTR_EQUAL(launch_select(), &launch_local);
    unsetenv("TESS_ARCH");
    CU_ASSERT_EQUAL(launch_local.resources(&req, archs, sizeof(archs), &slots,
                                           &mem, &err), 0);
    CU_ASSERT_STRING_EQUAL(archs, "default");
    CU_ASSERT(slots >= 1);
    CU_ASSERT(mem > 0); /* this machine's memory */
    setenv("TESS_ARCH", "mic", 1);
    req.slots = 5;
    launch_local.resources(&req, archs, sizeof(archs), &slots, &mem, &err);
    CU_ASSERT_STRING_EQUAL(archs, "mic");
    CU_ASSERT_EQUAL(slots, 5);
    unsetenv("TESS_ARCH");
    setenv("TESS_IN_JOB", "1", 1);
    CU_ASSERT_EQUAL(launch_in_job(), 1);
    unsetenv("TESS_IN_JOB");
    CU_ASSERT_EQUAL(launch_in_job(), 0);
}

#ifdef HAVE_SLURM
static void test_features(void)
{
    slurm_alloc_node_t n;
    memset(&n, 0, sizeof(n));
    strcpy(n.features, "mic,bigmem");
    CU_ASSERT_EQUAL(slurm_alloc_node_has(&n, "mic"), 1);
    CU_ASSERT_EQUAL(slurm_alloc_node_has(&n, "bigmem"), 1);
    CU_ASSERT_EQUAL(slurm_alloc_node_has(&n, "mi"), 0);
    CU_ASSERT_EQUAL(slurm_alloc_node_has(&n, "bigmemory"), 0);
    n.features[0] = '\0';
    CU_ASSERT_EQUAL(slurm_alloc_node_has(&n, "mic"), 0);

    slurm_alloc_node_t nodes[3];
    memset(nodes, 0, sizeof(nodes));
    nodes[0].cpus = 4;
    strcpy(nodes[1].features, "mic");
    nodes[1].cpus = 48;
    strcpy(nodes[2].features, "mic,knl");
    nodes[2].cpus = 8;
    slurm_alloc_t a = {.nnodes = 3, .nodes = nodes};
    char archs[64];
    int max = 0;
    slurm_alloc_archs(&a, archs, sizeof(archs), &max);
    CU_ASSERT_STRING_EQUAL(archs, "default,mic");
    CU_ASSERT_EQUAL(max, 48);
    char arch[16];
    CU_ASSERT_STRING_EQUAL(slurm_alloc_node_arch(&nodes[0], arch,
                                                 sizeof(arch)), "default");
    CU_ASSERT_STRING_EQUAL(slurm_alloc_node_arch(&nodes[2], arch,
                                                 sizeof(arch)), "mic");
}

/* srun binds tasks under every TaskPlugin but exactly task/none */
static void test_binds_cpus(void)
{
    CU_ASSERT_EQUAL(slurm_alloc_binds_cpus("task/none"), 0);
    CU_ASSERT_EQUAL(slurm_alloc_binds_cpus("task/affinity"), 1);
    CU_ASSERT_EQUAL(slurm_alloc_binds_cpus("task/cgroup,task/affinity"), 1);
    CU_ASSERT_EQUAL(slurm_alloc_binds_cpus("task/cgroup"), 1);
    CU_ASSERT_EQUAL(slurm_alloc_binds_cpus(NULL), 1);
}
#endif

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("launcher", NULL, NULL);
    if (!s)
        return -1;
    CU_add_test(s, "workflow command options", test_wfopts);
    CU_add_test(s, "local backend", test_local_backend);
#ifdef HAVE_SLURM
    CU_add_test(s, "node features and architectures", test_features);
    CU_add_test(s, "cpu binding by TaskPlugin", test_binds_cpus);
#endif
    return 0;
}
