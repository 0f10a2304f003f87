/* test_submit - `tessera submit` without a cluster: its options, time
 * limits, what may pass through to sbatch, and the checks of a request
 * against a cluster described in memory (partitions, features, named
 * nodes, which architectures the workers may have and are sure to have). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/test/cunit_main.h"
#include "launcher/submit.h"

static void test_minutes(void)
{
    CU_ASSERT_EQUAL(submit_opts_minutes("5"), 5);
    CU_ASSERT_EQUAL(submit_opts_minutes("0"), 0);
    CU_ASSERT_EQUAL(submit_opts_minutes("10:00"), 10);
    CU_ASSERT_EQUAL(submit_opts_minutes("10:30"), 11); /* seconds round up */
    CU_ASSERT_EQUAL(submit_opts_minutes("01:00:00"), 60);
    CU_ASSERT_EQUAL(submit_opts_minutes("00:05:00"), 5);
    CU_ASSERT_EQUAL(submit_opts_minutes("00:00:01"), 1);
    CU_ASSERT_EQUAL(submit_opts_minutes("1-0"), 1440);
    CU_ASSERT_EQUAL(submit_opts_minutes("1-2:3"), 1440 + 120 + 3);
    CU_ASSERT_EQUAL(submit_opts_minutes("1-2:3:4"), 1440 + 120 + 4);
    const char *bad[] = {"", "x", "-5", "1:2:3:4", "1:x", "1:2-3", "5 ",
                         "+5", "1-", ":5", "1::2", "1-2-3"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CU_ASSERT_EQUAL(submit_opts_minutes(bad[i]), -1);
}

static void test_sbatch_options(void)
{
    submit_opts_t o;
    tess_error_t err;
    memset(&o, 0, sizeof(o));
    const char *ok[] = {"--comment=hi", "--mail-type=END", "--hold",
                        "--mail-user me@example.org", "-c 4", "--exclusive=user",
                        "--nodelist=n[1-2]", "--export=ALL", "--parsable",
                        "--acctg-freq=30", "--no-requeue", "--dependency=afterok:4"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        CU_ASSERT_EQUAL(submit_opts_sbatch(ok[i], &o, &err), 0);
    CU_ASSERT_STRING_EQUAL(o.nodelist, "n[1-2]");
    /* tessera submit's own options, and their abbreviations */
    const char *refused[] = {"--time=5", "-t5", "-t 5", "--tim=5", "--nodes=3",
                             "-N 3", "--partition=x", "-p x", "--constraint=mic",
                             "--const=mic", "--output=x", "-o x", "--error=x",
                             "--chdir=/", "-D /", "--job-name=x", "-J x",
                             "--array=1-3", "--wrap=true", "--account=a",
                             "--qos=q", "--test-only", "comment",
                             "--comment=a\nb", "-", "--reservation"};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        CU_ASSERT_EQUAL(submit_opts_sbatch(refused[i], &o, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "--reservation=VALUE"));
    CU_ASSERT_EQUAL(submit_opts_sbatch("--tim=5", &o, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "use tessera submit --time"));
    CU_ASSERT_EQUAL(submit_opts_sbatch("-w n4", &o, &err), 0);
    CU_ASSERT_STRING_EQUAL(o.nodelist, "n4"); /* the last one wins */
    CU_ASSERT_EQUAL(submit_opts_sbatch("--exclude=n1", &o, &err), 0);
    CU_ASSERT_STRING_EQUAL(o.exclude, "n1");
    CU_ASSERT_EQUAL(submit_opts_sbatch("--reservation=r", &o, &err), 0);
    CU_ASSERT_STRING_EQUAL(o.reservation, "r");
    CU_ASSERT_EQUAL(o.other_cluster, 0);
    CU_ASSERT_EQUAL(submit_opts_sbatch("-M other", &o, &err), 0);
    CU_ASSERT_EQUAL(o.other_cluster, 1);
    submit_opts_free(&o);
}

static int parse(submit_opts_t *o, char **argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    return submit_opts_parse(argc, argv, o);
}

static void test_parse(void)
{
    submit_opts_t o;
    char *ok[] = {"submit", "wf.xml", "--nodes", "3", "--time", "1:00:00",
                  "-n", "6", "--sbatch", "--comment=a", "--setup",
                  "module load x", "--sbatch", "--hold", "-p", "n=2",
                  "--dry-run", "--job-name", "j1", "--run-dir", "R", NULL};
    CU_ASSERT_EQUAL(parse(&o, ok), 0);
    CU_ASSERT_EQUAL(o.nodes, 3);
    CU_ASSERT_EQUAL(o.minutes, 60);
    CU_ASSERT_EQUAL(o.wf.workers, 6);
    CU_ASSERT_EQUAL(o.nsbatch, 2);
    CU_ASSERT_STRING_EQUAL(o.sbatch[1], "--hold");
    CU_ASSERT_EQUAL(o.nsetup, 1);
    CU_ASSERT_EQUAL(o.dry_run, 1);
    CU_ASSERT_STRING_EQUAL(o.job_name, "j1");
    CU_ASSERT_STRING_EQUAL(o.wf.workflow, "wf.xml");
    CU_ASSERT_STRING_EQUAL(o.wf.run_dir, "R");
    CU_ASSERT_EQUAL(o.wf.nparams, 1);
    submit_opts_free(&o);

    char *bad[][10] = {
        {"submit", "wf.xml", "--nodes", "3", NULL},               /* time */
        {"submit", "wf.xml", "--time", "5", NULL},                /* nodes */
        {"submit", "wf.xml", "--nodes", "0", "--time", "5", NULL},
        {"submit", "wf.xml", "--nodes", "2", "--time", "5:x", NULL},
        {"submit", "wf.xml", "--nodes", "2", "--time", "5", "--bogus", NULL},
        {"submit", "wf.xml", "--nodes", "2", "--time", "5", "--sbatch", NULL},
        {"submit", "wf.xml", "--nodes", "2", "--time", "5", "--job-name",
         "a b", NULL},
        {"submit", "wf.xml", "--nodes", "2", "--time", "5", "--sbatch",
         "-N3", NULL},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CU_ASSERT_EQUAL(parse(&o, bad[i]), -1);
        submit_opts_free(&o);
    }
}

static void test_abspath(void)
{
    char buf[4096], cwd[4096], want[4200];
    CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwd, sizeof(cwd)));
    CU_ASSERT_EQUAL(submit_script_abspath("/a/b", buf, sizeof(buf)), 0);
    CU_ASSERT_STRING_EQUAL(buf, "/a/b");
    CU_ASSERT_EQUAL(submit_script_abspath("./x/y", buf, sizeof(buf)), 0);
    snprintf(want, sizeof(want), "%s/x/y", cwd);
    CU_ASSERT_STRING_EQUAL(buf, want);
    CU_ASSERT_EQUAL(submit_script_abspath(".", buf, sizeof(buf)), 0);
    CU_ASSERT_STRING_EQUAL(buf, cwd);
    CU_ASSERT_EQUAL(submit_script_abspath("x", buf, 2), -1);
}

#ifdef HAVE_SLURM
/* n1..n3 plain, n4 "mic", n5 "bigmem,mic" (architecture bigmem);
 * partitions all (default: n1-n4), short (n1-n3, MaxTime 10, MaxNodes 2),
 * wide (n1-n5); reservation r: n3, n4. */
static slurm_alloc_node_t nodes[5];
static unsigned char in_all[5] = {1, 1, 1, 1, 0}, in_short[5] = {1, 1, 1, 0, 0},
                     in_wide[5] = {1, 1, 1, 1, 1}, in_r[5] = {0, 0, 1, 1, 0};
static slurm_alloc_part_t parts[3];
static slurm_alloc_resv_t resvs[1];
static slurm_alloc_cluster_t cluster;

static void make_cluster(void)
{
    memset(nodes, 0, sizeof(nodes));
    for (int i = 0; i < 5; i++) {
        snprintf(nodes[i].name, sizeof(nodes[i].name), "n%d", i + 1);
        nodes[i].cpus = i == 3 ? 8 : 4;
        nodes[i].memory_mb = 1024;
    }
    strcpy(nodes[3].features, "mic");
    strcpy(nodes[4].features, "bigmem,mic");
    parts[0] = (slurm_alloc_part_t){.name = "all", .is_default = 1,
                                    .max_time = SLURM_ALLOC_UNLIMITED,
                                    .max_nodes = SLURM_ALLOC_UNLIMITED,
                                    .member = in_all};
    parts[1] = (slurm_alloc_part_t){.name = "short", .max_time = 10,
                                    .max_nodes = 2, .member = in_short};
    parts[2] = (slurm_alloc_part_t){.name = "wide",
                                    .max_time = SLURM_ALLOC_UNLIMITED,
                                    .max_nodes = SLURM_ALLOC_UNLIMITED,
                                    .member = in_wide};
    resvs[0] = (slurm_alloc_resv_t){.name = "r", .member = in_r};
    cluster = (slurm_alloc_cluster_t){.nnodes = 5, .nodes = nodes,
                                      .nparts = 3, .parts = parts,
                                      .nresvs = 1, .resvs = resvs};
}

/* A request of n nodes, minutes, -n workers (-1: default). */
static submit_opts_t req(int n, long minutes, int workers)
{
    submit_opts_t o;
    memset(&o, 0, sizeof(o));
    o.nodes = n;
    o.minutes = minutes;
    o.time_arg = "T";
    o.wf.workers = workers;
    return o;
}

static int check(submit_opts_t *o, submit_fit_t *f, tess_error_t *err)
{
    return submit_check(&cluster, o, f, err);
}

static void test_check_limits(void)
{
    submit_opts_t o;
    submit_fit_t f;
    tess_error_t err;
    make_cluster();
    o = req(5, 5, -1); /* the default partition has 4 nodes */
    CU_ASSERT_EQUAL(check(&o, &f, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "only 4 nodes of partition 'all'"));
    o = req(4, 5, -1);
    CU_ASSERT_EQUAL(check(&o, &f, &err), 0);
    o.partition = "short";
    CU_ASSERT_EQUAL(check(&o, &f, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "MaxNodes 2"));
    o = req(1, 11, -1);
    o.partition = "short";
    CU_ASSERT_EQUAL(check(&o, &f, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "MaxTime 00:10:00"));
    o.minutes = 0; /* no limit asked: above any MaxTime */
    CU_ASSERT_EQUAL(check(&o, &f, &err), -1);
    o.minutes = 10;
    CU_ASSERT_EQUAL(check(&o, &f, &err), 0);
    CU_ASSERT_STRING_EQUAL(f.archs, "default");
    o.partition = "nope";
    CU_ASSERT_EQUAL(check(&o, &f, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "no partition 'nope'"));
    /* several partitions: any that fits */
    o = req(2, 20, -1);
    o.partition = "short,all";
    CU_ASSERT_EQUAL(check(&o, &f, &err), 0);
    CU_ASSERT_STRING_EQUAL(f.archs, "default,mic");
    CU_ASSERT_EQUAL(f.max_cpus, 8);
    o.nodes = 5;
    CU_ASSERT_EQUAL(check(&o, &f, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "MaxTime"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "; --nodes 5"));
}

static void test_check_features(void)
{
    submit_opts_t o;
    submit_fit_t f;
    tess_error_t err;
    make_cluster();
    o = req(1, 5, -1);
    o.constraint = "gpu";
    CU_ASSERT_EQUAL(check(&o, &f, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "no node of the cluster has "
                                            "feature 'gpu'"));
    o.constraint = "mic";
    CU_ASSERT_EQUAL(check(&o, &f, &err), 0);
    CU_ASSERT_STRING_EQUAL(f.archs, "mic");
    CU_ASSERT_STRING_EQUAL(f.sure, "mic");
    o.nodes = 2; /* one mic node in the default partition */
    CU_ASSERT_EQUAL(check(&o, &f, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "only 1 node of partition 'all' "
                                            "with --constraint mic (n4)"));
    o.partition = "wide"; /* n4 and n5 */
    CU_ASSERT_EQUAL(check(&o, &f, &err), 0);
    CU_ASSERT_STRING_EQUAL(f.archs, "mic,bigmem");
    CU_ASSERT_STRING_EQUAL(f.sure, "mic,bigmem");
    o.constraint = "mic&bigmem";
    CU_ASSERT_EQUAL(check(&o, &f, &err), -1);
    /* counts: at least K nodes with the feature */
    o = req(3, 5, -1);
    o.constraint = "mic*1";
    CU_ASSERT_EQUAL(check(&o, &f, &err), 0);
    CU_ASSERT_STRING_EQUAL(f.archs, "default,mic");
    CU_ASSERT_STRING_EQUAL(f.sure, "default,mic");
    o.constraint = "mic*2";
    CU_ASSERT_EQUAL(check(&o, &f, &err), -1);
    o.constraint = "[mic*1&bigmem*1]";
    o.partition = "wide";
    CU_ASSERT_EQUAL(check(&o, &f, &err), 0);
    CU_ASSERT_EQUAL(f.sure_known, 1);
    /* mic*1 in wide may be n5, whose architecture is bigmem */
    o.constraint = "mic*1";
    CU_ASSERT_EQUAL(check(&o, &f, &err), 0);
    CU_ASSERT_FALSE(strstr(f.sure, "mic") != NULL);
    o.constraint = "mic*4";
    CU_ASSERT_EQUAL(check(&o, &f, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "--nodes is 3"));
    /* OR and groups are not modelled: only node counts, nothing sure */
    o.constraint = "mic|gpu";
    o.partition = NULL;
    CU_ASSERT_EQUAL(check(&o, &f, &err), 0);
    CU_ASSERT_EQUAL(f.sure_known, 0);
}

static void test_check_sure(void)
{
    submit_opts_t o;
    submit_fit_t f;
    tess_error_t err;
    char advice[512];
    make_cluster();
    /* 3 of 4 nodes: Slurm may leave n4 (mic) out */
    o = req(3, 5, -1);
    CU_ASSERT_EQUAL(check(&o, &f, &err), 0);
    CU_ASSERT_STRING_EQUAL(f.archs, "default,mic");
    CU_ASSERT_STRING_EQUAL(f.sure, "default");
    submit_check_advice(&cluster, &o, "mic", advice, sizeof(advice));
    CU_ASSERT_PTR_NOT_NULL(strstr(advice, "Slurm may choose 3 nodes none of "
                                          "which is 'mic'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(advice, "--constraint 'mic*1'"));
    /* all 4 nodes: n4 is in */
    o.nodes = 4;
    CU_ASSERT_EQUAL(check(&o, &f, &err), 0);
    CU_ASSERT_STRING_EQUAL(f.sure, "default,mic");
    /* ... but with 2 workers only the first 2 nodes get one */
    o.wf.workers = 2;
    CU_ASSERT_EQUAL(check(&o, &f, &err), 0);
    CU_ASSERT_STRING_EQUAL(f.sure, "default");
    submit_check_advice(&cluster, &o, "mic", advice, sizeof(advice));
    CU_ASSERT_PTR_NOT_NULL(strstr(advice, "-n 4 or more"));
    /* -n 0: the tasks run in the tessera process */
    o.wf.workers = 0;
    CU_ASSERT_EQUAL(check(&o, &f, &err), 0);
    CU_ASSERT_STRING_EQUAL(f.archs, "default");
    /* a named node is in the job */
    o = req(3, 5, -1);
    o.nodelist = "n4";
    CU_ASSERT_EQUAL(check(&o, &f, &err), 0);
    CU_ASSERT_STRING_EQUAL(f.sure, "default,mic");
    o.nodelist = "n5";
    CU_ASSERT_EQUAL(check(&o, &f, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "n5 is not in the partition"));
    o.nodelist = "n9";
    CU_ASSERT_EQUAL(check(&o, &f, &err), -1);
    o.nodelist = "n[1-4]";
    CU_ASSERT_EQUAL(check(&o, &f, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "more than --nodes 3"));
    /* excluded nodes and reservations narrow the choice */
    o = req(3, 5, -1);
    o.exclude = "n4";
    CU_ASSERT_EQUAL(check(&o, &f, &err), 0);
    CU_ASSERT_STRING_EQUAL(f.archs, "default");
    o.nodes = 4;
    CU_ASSERT_EQUAL(check(&o, &f, &err), -1);
    o = req(2, 5, -1);
    o.reservation = "r";
    CU_ASSERT_EQUAL(check(&o, &f, &err), 0);
    CU_ASSERT_STRING_EQUAL(f.sure, "default,mic");
    o.reservation = "q";
    CU_ASSERT_EQUAL(check(&o, &f, &err), -1);
    /* a feature that is not the architecture of all its nodes: name one */
    o = req(4, 5, -1);
    o.partition = "wide";
    CU_ASSERT_EQUAL(check(&o, &f, &err), 0);
    CU_ASSERT_STRING_EQUAL(f.sure, "default");
    submit_check_advice(&cluster, &o, "mic", advice, sizeof(advice));
    CU_ASSERT_PTR_NOT_NULL(strstr(advice, "--sbatch --nodelist=n4"));
}
#endif

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("submit", NULL, NULL);
    if (!s)
        return -1;
    CU_add_test(s, "time limits", test_minutes);
    CU_add_test(s, "options passed to sbatch", test_sbatch_options);
    CU_add_test(s, "option parsing", test_parse);
    CU_add_test(s, "absolute paths", test_abspath);
#ifdef HAVE_SLURM
    CU_add_test(s, "partition limits", test_check_limits);
    CU_add_test(s, "constraints", test_check_features);
    CU_add_test(s, "sure architectures", test_check_sure);
#endif
    return 0;
}
