/* test_status: status.txt read back: every key, unknown keys ignored,
 * worker lines, the message unescaped, the first format, bad files. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/status.h"

#include "base/test/cunit_main.h"

static char path[64];

static int setup(void)
{
    snprintf(path, sizeof(path), "/tmp/tess-status-%ld.txt", (long)getpid());
    return 0;
}

static int teardown(void)
{
    unlink(path);
    return 0;
}

static void put(const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void test_full(void)
{
    status_t st;
    tess_error_t err;
    put("format: 1\nworkflow: cc_surrogates\nrun_dir: /abs/run\n"
        "state: running\nhost: node1\npid: 4242\njob: 77\n"
        "started: 2026-11-30T12:00:00Z\nupdated: 2026-11-30T12:00:05Z\n"
        "ended: -\nelapsed_s: 5.5\ntasks_submitted: 100\ntasks_total: -\n"
        "tasks_done: 40\ntasks_running: 4\ntasks_ready: 6\n"
        "tasks_waiting: 50\ntasks_failed: 1\ntasks_cancelled: 2\n"
        "tasks_not_run: 0\ntasks_per_s: 7.25\nsomething_new: 12\n"
        "workers: 2\nworker: 1 node1 default 2 2 20 cc (task 41), gather (task 38)\n"
        "worker: 2 node2 mic 4 1 20\nexit_status: -\n"
        "message: a \\\"quoted\\\" word\\nline two \\\\ \\t tab \\q kept\n");
    CU_ASSERT_EQUAL_FATAL(status_load(path, &st, &err), 0);
    CU_ASSERT_EQUAL(st.format, 1);
    CU_ASSERT_STRING_EQUAL(st.workflow, "cc_surrogates");
    CU_ASSERT_STRING_EQUAL(st.run_dir, "/abs/run");
    CU_ASSERT_STRING_EQUAL(st.state, "running");
    CU_ASSERT_FALSE(status_finished(&st));
    CU_ASSERT_STRING_EQUAL(st.host, "node1");
    CU_ASSERT_EQUAL(st.pid, 4242);
    CU_ASSERT_STRING_EQUAL(st.job, "77");
    CU_ASSERT_EQUAL(st.updated - st.started, 5);
    CU_ASSERT_EQUAL(st.ended, -1);
    CU_ASSERT_DOUBLE_EQUAL(st.elapsed_s, 5.5, 1e-9);
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
    CU_ASSERT_STRING_EQUAL(st.worker[0].now, "cc (task 41), gather (task 38)");
    CU_ASSERT_STRING_EQUAL(st.worker[1].arch, "mic");
    CU_ASSERT_EQUAL(st.worker[1].slots, 4);
    CU_ASSERT_STRING_EQUAL(st.worker[1].now, "");
    CU_ASSERT_EQUAL(st.exit_status, -1);
    CU_ASSERT_STRING_EQUAL(st.message,
                           "a \\\"quoted\\\" word\nline two \\ \t tab \\q kept");
    status_clear(&st);
    CU_ASSERT_PTR_NULL(st.message);
}

static void test_first_format(void)
{
    status_t st;
    tess_error_t err;
    put("workflow: pipeline\nstate: failed\ntasks_submitted: 5\n"
        "tasks_completed: 3\nexit_status: 1\nmessage: task 4 failed\n");
    CU_ASSERT_EQUAL_FATAL(status_load(path, &st, &err), 0);
    CU_ASSERT_EQUAL(st.format, 0);
    CU_ASSERT_EQUAL(st.tasks_done, 3);
    CU_ASSERT_EQUAL(st.exit_status, 1);
    CU_ASSERT_TRUE(status_finished(&st));
    CU_ASSERT_STRING_EQUAL(st.host, ""); /* absent strings are "" */
    CU_ASSERT_EQUAL(st.pid, -1);
    CU_ASSERT_EQUAL(st.nworker, 0);
    status_clear(&st);
}

static void test_bad(void)
{
    status_t st;
    tess_error_t err;
    put("hello world\nno: state here\r\n");
    errno = 0;
    CU_ASSERT_EQUAL(status_load(path, &st, &err), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "not a run status file"));
    status_clear(&st);
    unlink(path);
    CU_ASSERT_EQUAL(status_load(path, &st, &err), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, path));
    status_clear(&st);
    CU_ASSERT_EQUAL(status_parse_time("2026-11-30T12:00:00Z") % 86400, 43200);
    CU_ASSERT_EQUAL(status_parse_time("-"), -1);
    CU_ASSERT_EQUAL(status_parse_time("2026-11-30T12:00:00Zjunk"), -1);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("status", setup, teardown);
    if (!s || !CU_add_test(s, "every key", test_full) ||
        !CU_add_test(s, "first format", test_first_format) ||
        !CU_add_test(s, "bad files", test_bad))
        return -1;
    return 0;
}
