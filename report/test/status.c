/* test_status: status.txt as the views see it (read by io/runstatus.c):
 * every key, unknowns as -1, unknown keys ignored, the message unescaped,
 * a file that is no status refused. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/status.h"
#include "base/test/tmpdir.h"
#include "report/test/fixture.h"

#include "base/test/cunit_main.h"

static char *dir;

static int setup(void)
{
    return (dir = tmpdir_create()) ? 0 : -1;
}

static int teardown(void)
{
    tmpdir_remove(dir);
    free(dir);
    return 0;
}

static void test_full(void)
{
    status_t st;
    tess_error_t err;
    fixture_put(dir, "status.txt",
        "format: 1\nworkflow: cc_surrogates\nrun_dir: /abs/run\n"
        "state: running\nhost: node1\npid: 4242\njob: 77\n"
        "started: 2026-11-30T12:00:00Z\nupdated: 2026-11-30T12:00:05Z\n"
        "ended: -\nelapsed_s: 5.5\ntasks_submitted: 100\ntasks_total: -\n"
        "tasks_done: 40\ntasks_running: 4\ntasks_ready: 6\n"
        "tasks_waiting: 50\ntasks_failed: 1\ntasks_cancelled: 2\n"
        "tasks_not_run: 0\ntasks_per_s: 7.25\nsomething_new: 12\n"
        "workers: 2\nworker: 1 node1 default 2 2 20\n"
        "worker: 2 node2 mic 4 1 20\nexit_status: -\n"
        "message: a \"quoted\" word\\nline two \\\\ \\t tab\n");
    CU_ASSERT_EQUAL_FATAL(status_load(dir, &st, &err), 0);
    CU_ASSERT_STRING_EQUAL(st.workflow, "cc_surrogates");
    CU_ASSERT_STRING_EQUAL(st.run_dir, "/abs/run");
    CU_ASSERT_STRING_EQUAL(st.state, "running");
    CU_ASSERT_FALSE(status_finished(&st));
    CU_ASSERT_STRING_EQUAL(st.host, "node1");
    CU_ASSERT_EQUAL(st.pid, 4242);
    CU_ASSERT_STRING_EQUAL(st.job, "77");
    CU_ASSERT_EQUAL(st.updated - st.started, 5);
    CU_ASSERT_EQUAL(st.ended, -1);
    CU_ASSERT_DOUBLE_EQUAL(st.elapsed_s, 5.5, 1e-9); /* elapsed_s, finer */
    CU_ASSERT_EQUAL(st.tasks_submitted, 100);
    CU_ASSERT_EQUAL(st.tasks_total, -1);
    CU_ASSERT_EQUAL(st.tasks_done, 40);
    CU_ASSERT_EQUAL(st.tasks_running, 4);
    CU_ASSERT_EQUAL(st.tasks_ready, 6);
    CU_ASSERT_EQUAL(st.tasks_waiting, 50);
    CU_ASSERT_EQUAL(st.tasks_failed, 1);
    CU_ASSERT_EQUAL(st.tasks_cancelled, 2);
    CU_ASSERT_EQUAL(st.tasks_not_run, 0);
    CU_ASSERT_DOUBLE_EQUAL(st.tasks_per_s, 7.25, 1e-9);
    CU_ASSERT_EQUAL(st.workers, 2);
    CU_ASSERT_EQUAL_FATAL(st.nworker, 2);
    CU_ASSERT_EQUAL(st.worker[0].rank, 1);
    CU_ASSERT_STRING_EQUAL(st.worker[0].node, "node1");
    CU_ASSERT_EQUAL(st.worker[0].running, 2);
    CU_ASSERT_EQUAL(st.worker[0].done, 20);
    CU_ASSERT_STRING_EQUAL(st.worker[1].arch, "mic");
    CU_ASSERT_EQUAL(st.worker[1].slots, 4);
    CU_ASSERT_EQUAL(st.exit_status, -1);
    CU_ASSERT_STRING_EQUAL(st.message,
                           "a \"quoted\" word\nline two \\ \t tab");
    status_clear(&st);
    CU_ASSERT_PTR_NULL(st.message);
}

static void test_finished(void)
{
    status_t st;
    tess_error_t err;
    fixture_put(dir, "status.txt",
        "format: 1\nworkflow: pipeline\nstate: failed\npid: 0\njob: -\n"
        "started: 2026-11-30T12:00:00Z\nupdated: 2026-11-30T12:00:09Z\n"
        "ended: 2026-11-30T12:00:08Z\ntasks_submitted: 5\ntasks_total: 5\n"
        "tasks_done: 3\nexit_status: 1\nmessage: task 4 failed\n");
    CU_ASSERT_EQUAL_FATAL(status_load(dir, &st, &err), 0);
    CU_ASSERT_TRUE(status_finished(&st));
    CU_ASSERT_DOUBLE_EQUAL(st.elapsed_s, 8, 1e-9); /* to the end */
    CU_ASSERT_EQUAL(st.exit_status, 1);
    CU_ASSERT_EQUAL(st.pid, -1);
    CU_ASSERT_STRING_EQUAL(st.job, "");
    CU_ASSERT_STRING_EQUAL(st.host, "");
    CU_ASSERT_EQUAL(st.nworker, 0);
    status_clear(&st);
}

static void test_bad(void)
{
    status_t st;
    tess_error_t err;
    fixture_put(dir, "status.txt", "hello world\nno: state here\n");
    errno = 0;
    CU_ASSERT_EQUAL(status_load(dir, &st, &err), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "not a run status file"));
    status_clear(&st);
    char path[4200];
    snprintf(path, sizeof(path), "%s/status.txt", dir);
    remove(path);
    CU_ASSERT_EQUAL(status_load(dir, &st, &err), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "status.txt"));
    status_clear(&st);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("status", setup, teardown);
    if (!s || !CU_add_test(s, "every key", test_full) ||
        !CU_add_test(s, "a finished run", test_finished) ||
        !CU_add_test(s, "bad files", test_bad))
        return -1;
    return 0;
}
