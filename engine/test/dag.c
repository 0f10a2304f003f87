/* test_dag - dependence analysis: versions, edges, regions, lifetimes. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "base/test/cunit_main.h"
#include "engine/dag.h"

static dag_t *dag;
static int freed_versions;

static void on_version_free(void *ctx, dag_version_t *v)
{
    (void)ctx;
    (void)v;
    freed_versions++;
}

static int setup(void)
{
    dag_hooks_t h = {.version_free = on_version_free};
    freed_versions = 0;
    dag = dag_create(&h);
    return dag ? 0 : 1;
}

static int teardown(void)
{
    ASSERT_DESTROY_KEEPS_ERRNO(dag_destroy, dag);
    return 0;
}

static dag_data_t *array2(const char *name, int64_t rows, int64_t cols)
{
    int64_t shape[2] = {rows, cols};
    dag_data_t *d = dag_array(dag, name, TESS_F64, 2, shape, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    return d;
}

#define SUBMIT(flags, ...)                                                   \
    dag_submit(dag, 0, "k", (flags),                                         \
               (int)(sizeof((tess_param_t[]){__VA_ARGS__}) /                 \
                     sizeof(tess_param_t)),                                  \
               (tess_param_t[]){__VA_ARGS__}, NULL)

static tess_param_t rows(tess_dir_t dir, dag_data_t *d, int64_t a, int64_t b)
{
    return tess_rows(dir, d->id, a, b);
}

/* Pop the next ready task; NULL if none. */
static dag_task_t *next_ready(void)
{
    return dag_pop_ready(dag);
}

static void test_raw_edge(void)
{
    setup();
    dag_data_t *a = array2("A", 4, 4);
    dag_task_t *w = SUBMIT(0, tess_out(a->id));
    dag_task_t *r = SUBMIT(0, tess_in(a->id));
    CU_ASSERT_EQUAL(r->npending, 1);
    CU_ASSERT_EQUAL(w->nsucc, 1);
    CU_ASSERT_PTR_EQUAL(r->params[0].src[0].v, w->params[0].out);
    CU_ASSERT_PTR_EQUAL(next_ready(), w);
    CU_ASSERT_PTR_NULL(next_ready()); /* the reader waits */
    dag_complete(dag, w, 1);
    CU_ASSERT_PTR_EQUAL(next_ready(), r);
    dag_complete(dag, r, 1);
    dag_stats_t st;
    dag_get_stats(dag, &st);
    CU_ASSERT_EQUAL(st.edges, 1);
    CU_ASSERT_EQUAL(st.live_tasks, 0);
    teardown();
}

static void test_war_waw_rename(void)
{
    setup();
    dag_data_t *a = array2("A", 4, 4);
    dag_task_t *r1 = SUBMIT(0, tess_in(a->id));
    dag_task_t *w1 = SUBMIT(0, tess_out(a->id)); /* WAR: no edge */
    dag_task_t *w2 = SUBMIT(0, tess_out(a->id)); /* WAW: no edge */
    dag_task_t *r2 = SUBMIT(0, tess_in(a->id));
    CU_ASSERT_EQUAL(r1->npending, 0);
    CU_ASSERT_EQUAL(w1->npending, 0);
    CU_ASSERT_EQUAL(w2->npending, 0);
    CU_ASSERT_EQUAL(r2->npending, 1); /* only on the last writer */
    CU_ASSERT_EQUAL(w1->params[0].out->number, 1);
    CU_ASSERT_EQUAL(w2->params[0].out->number, 2);
    CU_ASSERT_EQUAL(r1->params[0].src[0].v->number, 0);
    CU_ASSERT_PTR_EQUAL(r2->params[0].src[0].v, w2->params[0].out);
    CU_ASSERT_EQUAL(w1->nsucc, 0);
    /* all three independent tasks are ready at once */
    dag_task_t *t1 = next_ready(), *t2 = next_ready(), *t3 = next_ready();
    CU_ASSERT_PTR_EQUAL(t1, r1);
    CU_ASSERT_PTR_EQUAL(t2, w1);
    CU_ASSERT_PTR_EQUAL(t3, w2);
    CU_ASSERT_PTR_NULL(next_ready());
    /* completing out of program order is fine: r2 waits for w2 only */
    dag_complete(dag, w2, 1);
    CU_ASSERT_PTR_EQUAL(next_ready(), r2);
    dag_complete(dag, w1, 1);
    dag_complete(dag, r1, 1);
    dag_complete(dag, r2, 1);
    teardown();
}

static void test_disjoint_regions_independent(void)
{
    setup();
    dag_data_t *a = array2("cc", 10, 3);
    dag_task_t *g1 = SUBMIT(0, rows(TESS_OUT, a, 0, 5));
    dag_task_t *g2 = SUBMIT(0, rows(TESS_OUT, a, 5, 10));
    dag_task_t *rd = SUBMIT(0, tess_in(a->id));
    CU_ASSERT_EQUAL(g1->npending, 0);
    CU_ASSERT_EQUAL(g2->npending, 0);
    CU_ASSERT_EQUAL(rd->npending, 2); /* spans both pieces */
    CU_ASSERT_EQUAL(rd->params[0].nsrc, 2);
    dag_complete(dag, next_ready(), 1);
    CU_ASSERT_PTR_EQUAL(next_ready(), g2);
    CU_ASSERT_PTR_NULL(next_ready());
    dag_complete(dag, g2, 1);
    CU_ASSERT_PTR_EQUAL(next_ready(), rd);
    dag_complete(dag, rd, 1);
    teardown();
}

static void test_overlapping_regions_ordered(void)
{
    setup();
    dag_data_t *a = array2("A", 10, 2);
    dag_task_t *w1 = SUBMIT(0, rows(TESS_OUT, a, 0, 6));
    dag_task_t *u = SUBMIT(0, rows(TESS_INOUT, a, 4, 10));
    CU_ASSERT_EQUAL(u->npending, 1); /* reads rows 4..6 of w1 */
    CU_ASSERT_EQUAL(u->params[0].nsrc, 2);
    /* a pure write over the same rows does not wait (renaming) */
    dag_task_t *w2 = SUBMIT(0, rows(TESS_OUT, a, 4, 10));
    CU_ASSERT_EQUAL(w2->npending, 0);
    /* a read of rows 3..5 takes row 3 from w1 and row 4 from w2 */
    dag_task_t *r = SUBMIT(0, rows(TESS_IN, a, 3, 5));
    CU_ASSERT_EQUAL(r->npending, 2);
    CU_ASSERT_EQUAL(r->params[0].nsrc, 2);
    for (uint32_t s = 0; s < r->params[0].nsrc; s++) {
        dag_src_t *src = &r->params[0].src[s];
        if (src->box[0] == 3)
            CU_ASSERT_PTR_EQUAL(src->v, w1->params[0].out)
        else
            CU_ASSERT_PTR_EQUAL(src->v, w2->params[0].out)
        CU_ASSERT_EQUAL(src->box[2], 1); /* one row each */
    }
    dag_task_t *t;
    int n = 0;
    while (n < 4) {
        t = next_ready();
        CU_ASSERT_PTR_NOT_NULL_FATAL(t);
        dag_complete(dag, t, 1);
        n++;
    }
    teardown();
}

static void test_read_spanning_many_writers(void)
{
    setup();
    int64_t shape[3] = {8, 8, 2};
    dag_data_t *a = dag_array(dag, "T", TESS_F64, 3, shape, NULL, NULL);
    dag_task_t *w[4];
    /* four 4x4 tiles */
    for (int i = 0; i < 4; i++) {
        int64_t st[3] = {(i / 2) * 4, (i % 2) * 4, 0}, ct[3] = {4, 4, 2};
        w[i] = SUBMIT(0, tess_region(TESS_OUT, a->id, 3, st, ct));
        CU_ASSERT_EQUAL(w[i]->npending, 0);
    }
    /* a window in the middle touching all four tiles */
    int64_t st[3] = {2, 2, 0}, ct[3] = {4, 4, 1};
    dag_task_t *r = SUBMIT(0, tess_region(TESS_IN, a->id, 3, st, ct));
    CU_ASSERT_EQUAL(r->npending, 4);
    CU_ASSERT_EQUAL(r->params[0].nsrc, 4);
    /* a window inside one tile depends on that writer only */
    int64_t st2[3] = {5, 1, 0}, ct2[3] = {2, 2, 2};
    dag_task_t *r2 = SUBMIT(0, tess_region(TESS_IN, a->id, 3, st2, ct2));
    CU_ASSERT_EQUAL(r2->npending, 1);
    CU_ASSERT_PTR_EQUAL(r2->params[0].src[0].v, w[2]->params[0].out);
    dag_task_t *t;
    while ((t = next_ready()) != NULL)
        dag_complete(dag, t, 1);
    dag_stats_t stt;
    dag_get_stats(dag, &stt);
    CU_ASSERT_EQUAL(stt.live_tasks, 0);
    CU_ASSERT_EQUAL(stt.completed, 6);
    teardown();
}

static void test_edge_dedup_and_self(void)
{
    setup();
    dag_data_t *a = array2("A", 4, 4);
    dag_task_t *w = SUBMIT(0, tess_out(a->id));
    /* two reads of the same writer: one edge */
    dag_task_t *r = SUBMIT(0, rows(TESS_IN, a, 0, 2), rows(TESS_IN, a, 2, 4));
    CU_ASSERT_EQUAL(r->npending, 1);
    CU_ASSERT_EQUAL(w->nsucc, 1);
    /* INOUT never depends on itself */
    dag_task_t *u = SUBMIT(0, tess_inout(a->id), tess_in(a->id));
    CU_ASSERT_EQUAL(u->npending, 1);
    dag_task_t *t;
    while ((t = next_ready()) != NULL)
        dag_complete(dag, t, 1);
    teardown();
}

static void test_failure_dooms_readers(void)
{
    setup();
    dag_data_t *a = array2("A", 2, 2);
    dag_data_t *b = array2("B", 2, 2);
    dag_task_t *w = SUBMIT(0, tess_out(a->id));
    dag_task_t *r = SUBMIT(0, tess_in(a->id), tess_out(b->id));
    dag_task_t *other = SUBMIT(0, tess_in(b->id));
    CU_ASSERT_PTR_EQUAL(next_ready(), w);
    dag_complete(dag, w, 0);
    CU_ASSERT_PTR_EQUAL(next_ready(), r);
    CU_ASSERT(r->flags & DAG_TASK_DOOMED);
    dag_complete(dag, r, 0);
    CU_ASSERT_PTR_EQUAL(next_ready(), other);
    CU_ASSERT(other->flags & DAG_TASK_DOOMED);
    dag_complete(dag, other, 0);
    /* a task submitted after the failure is doomed at once */
    dag_task_t *late = SUBMIT(0, tess_in(a->id));
    CU_ASSERT(late->flags & DAG_TASK_DOOMED);
    CU_ASSERT_PTR_EQUAL(next_ready(), late);
    dag_complete(dag, late, 0);
    teardown();
}

static void test_priority_first(void)
{
    setup();
    dag_data_t *a = array2("A", 2, 2);
    dag_task_t *n1 = SUBMIT(0, tess_in(a->id));
    dag_task_t *p1 = SUBMIT(TESS_PRIORITY, tess_in(a->id));
    dag_task_t *n2 = SUBMIT(0, tess_in(a->id));
    CU_ASSERT_PTR_EQUAL(next_ready(), p1);
    CU_ASSERT_PTR_EQUAL(next_ready(), n1);
    CU_ASSERT_PTR_EQUAL(next_ready(), n2);
    dag_complete(dag, n1, 1);
    dag_complete(dag, p1, 1);
    dag_complete(dag, n2, 1);
    teardown();
}

static void test_bad_params(void)
{
    setup();
    tess_error_t err;
    dag_data_t *a = array2("A", 4, 4);
    int64_t st[2] = {2, 0}, ct[2] = {3, 4};
    tess_param_t p = tess_region(TESS_IN, a->id, 2, st, ct);
    CU_ASSERT_PTR_NULL(dag_submit(dag, 0, "k", 0, 1, &p, &err));
    CU_ASSERT_EQUAL(errno, ERANGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "parameter 0 (A): region [2:5, 0:4] is outside"));
    p = tess_region(TESS_IN, a->id, 1, st, ct);
    CU_ASSERT_PTR_NULL(dag_submit(dag, 0, "k", 0, 1, &p, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "region of rank 1 on data of rank 2"));
    p = tess_in(999);
    CU_ASSERT_PTR_NULL(dag_submit(dag, 0, "k", 0, 1, &p, &err));
    CU_ASSERT_EQUAL(errno, ENOENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "no such data"));
    p = tess_rows(TESS_OUT, a->id, -1, 2);
    CU_ASSERT_PTR_NULL(dag_submit(dag, 0, "k", 0, 1, &p, &err));
    CU_ASSERT_EQUAL(errno, ERANGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "parameter 0 (A): rows [-1:2, 0:4] "
                                  "are outside the array"));
    int64_t neg[1] = {-3};
    CU_ASSERT_PTR_NULL(dag_array(dag, "N", TESS_F64, 1, neg, NULL, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "dimension 0 is negative"));
    dag_stats_t s;
    dag_get_stats(dag, &s);
    CU_ASSERT_EQUAL(s.submitted, 0); /* nothing was added */
    teardown();
}

/* A long chain keeps O(1) records alive: task records go at completion,
 * superseded versions when their last reader is done. */
static void test_memory_release(void)
{
    setup();
    dag_data_t *a = array2("A", 1, 1);
    dag_stats_t st;
    for (int i = 0; i < 100000; i++) {
        dag_task_t *t = SUBMIT(0, tess_inout(a->id));
        CU_ASSERT_EQUAL_FATAL(t->npending, i == 0 ? 0 : 1);
        if (i > 0) {
            dag_task_t *prev = next_ready();
            dag_complete(dag, prev, 1);
        }
    }
    dag_complete(dag, next_ready(), 1);
    dag_get_stats(dag, &st);
    CU_ASSERT_EQUAL(st.live_tasks, 0);
    CU_ASSERT_EQUAL(st.peak_live_tasks, 2);
    CU_ASSERT_EQUAL(st.live_versions, 1); /* only the current one */
    CU_ASSERT_EQUAL(freed_versions, 100000);
    CU_ASSERT(st.bytes < 1024 * 1024);
    teardown();
}

static void test_delete(void)
{
    setup();
    dag_data_t *a = array2("A", 2, 2);
    CU_ASSERT_PTR_NOT_NULL(SUBMIT(0, tess_out(a->id)));
    dag_task_t *r = SUBMIT(0, tess_in(a->id));
    uint64_t id = a->id;
    CU_ASSERT_EQUAL(dag_delete(dag, a), 0);
    CU_ASSERT_PTR_NULL(dag_data_get(dag, id));
    tess_param_t p = tess_in(id);
    CU_ASSERT_PTR_NULL(dag_submit(dag, 0, "k", 0, 1, &p, NULL));
    /* the reader still gets its version */
    CU_ASSERT_EQUAL(freed_versions, 1); /* v0 only: nobody reads it */
    dag_complete(dag, next_ready(), 1);
    CU_ASSERT_PTR_EQUAL(next_ready(), r);
    CU_ASSERT_EQUAL(freed_versions, 1);
    dag_complete(dag, r, 1);
    CU_ASSERT_EQUAL(freed_versions, 2);
    teardown();
}

static void test_files(void)
{
    setup();
    dag_data_t *f = dag_file(dag, "/tmp/x.txt", NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    dag_task_t *w = SUBMIT(0, tess_out(f->id));
    dag_task_t *r = SUBMIT(0, tess_in(f->id));
    dag_task_t *u = SUBMIT(0, tess_inout(f->id));
    CU_ASSERT_EQUAL(r->npending, 1);
    CU_ASSERT_EQUAL(u->npending, 1); /* reads w's version, not after r */
    CU_ASSERT_PTR_EQUAL(u->params[0].src[0].v, w->params[0].out);
    CU_ASSERT_EQUAL(u->params[0].out->number, 2);
    tess_param_t p = tess_rows(TESS_IN, f->id, 0, 1);
    tess_error_t err;
    CU_ASSERT_PTR_NULL(dag_submit(dag, 0, "k", 0, 1, &p, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "a file has no rows"));
    dag_task_t *t;
    while ((t = next_ready()) != NULL)
        dag_complete(dag, t, 1);
    teardown();
}

/* A value put without a writer (a store block): readers submitted after
 * dag_put_commit() read it with no edge and are ready at once; readers
 * submitted before keep the earlier version; a rejected or dropped put
 * changes nothing. */
static void test_put(void)
{
    setup();
    dag_data_t *a = array2("A", 4, 4);
    region_t box = {.rank = 2, .start = {2, 0}, .count = {2, 4}};
    dag_task_t *before = SUBMIT(0, rows(TESS_IN, a, 2, 4));
    dag_version_t *v = dag_put(dag, a, &box, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL(v->state, DAG_V_DONE);
    CU_ASSERT_EQUAL(v->writer_id, 0);
    CU_ASSERT_EQUAL(v->number, 1);
    CU_ASSERT_EQUAL(dag_put_commit(dag, v), 0);
    dag_task_t *after = SUBMIT(0, rows(TESS_IN, a, 2, 4));
    CU_ASSERT_EQUAL(after->npending, 0);
    CU_ASSERT_PTR_EQUAL(after->params[0].src[0].v, v);
    CU_ASSERT_EQUAL(before->params[0].src[0].v->number, 0);
    CU_ASSERT_PTR_EQUAL(next_ready(), before);
    CU_ASSERT_PTR_EQUAL(next_ready(), after);
    dag_complete(dag, before, 1);
    dag_complete(dag, after, 1);
    /* dropped before its commit: freed, the map unchanged */
    int freed = freed_versions;
    v = dag_put(dag, a, &box, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    dag_version_release(dag, v);
    CU_ASSERT_EQUAL(freed_versions, freed + 1);
    dag_task_t *r = SUBMIT(0, rows(TESS_IN, a, 2, 4));
    CU_ASSERT_EQUAL(r->params[0].src[0].v->number, 1);
    CU_ASSERT_PTR_EQUAL(next_ready(), r);
    dag_complete(dag, r, 1);
    /* outside the array, empty, or a file: refused */
    tess_error_t err;
    region_t out = {.rank = 2, .start = {3, 0}, .count = {2, 4}};
    errno = 0;
    CU_ASSERT_PTR_NULL(dag_put(dag, a, &out, &err));
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "outside the array"));
    region_t empty = {.rank = 2, .start = {0, 0}, .count = {0, 4}};
    CU_ASSERT_PTR_NULL(dag_put(dag, a, &empty, NULL));
    dag_data_t *f = dag_file(dag, "f.txt", NULL, NULL);
    region_t none = {.rank = 0};
    CU_ASSERT_PTR_NULL(dag_put(dag, f, &none, NULL));
    teardown();
}

static const cunit_test_t tests[] = {
    {"RAW creates an edge", test_raw_edge},
    {"WAR/WAW rename, no edge", test_war_waw_rename},
    {"disjoint region writes independent", test_disjoint_regions_independent},
    {"overlapping regions ordered", test_overlapping_regions_ordered},
    {"read spanning several writers", test_read_spanning_many_writers},
    {"edges deduplicated, no self edge", test_edge_dedup_and_self},
    {"failure dooms readers", test_failure_dooms_readers},
    {"priority tasks first", test_priority_first},
    {"bad parameters rejected, nothing added", test_bad_params},
    {"memory released as tasks complete", test_memory_release},
    {"delete keeps versions for pending readers", test_delete},
    {"files versioned like arrays", test_files},
    {"values put without a writer", test_put},
    {NULL, NULL},
};

static int register_tests(void)
{
    return cunit_add_suite("dag", NULL, NULL, tests);
}
