/* test_runstatus - status.txt: escaping round trips and cannot forge
 * lines, write/read round trip, atomic replacement; trace.csv counting by
 * last attempt, with quoted fields, malformed and torn rows. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/test/cunit_main.h"
#include "base/test/tmpdir.h"
#include "io/runstatus.h"

static void test_escape(void)
{
    const char *texts[] = {"", "plain", "a\nb", "back\\slash\\n", "tab\there",
                           "cr\r\nlf", "ctl\x01\x7f end",
                           "state: completed\nexit_status: 0"};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        char esc[256], back[256];
        runstatus_escape(texts[i], esc, sizeof(esc));
        CU_ASSERT_PTR_NULL(strchr(esc, '\n'));
        CU_ASSERT_PTR_NULL(strchr(esc, '\r'));
        snprintf(back, sizeof(back), "%s", esc);
        runstatus_unescape(back);
        CU_ASSERT_STRING_EQUAL(back, texts[i]);
    }
    /* truncation keeps escapes whole */
    char small[6];
    runstatus_escape("ab\n\n\n", small, sizeof(small));
    CU_ASSERT_STRING_EQUAL(small, "ab\\n");
}

static void test_round_trip(void)
{
    char *dir = tmpdir_create();
    static runstatus_t s, r;
    tess_error_t err;
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    runstatus_init(&s);
    snprintf(s.workflow, sizeof(s.workflow), "wf");
    snprintf(s.run_dir, sizeof(s.run_dir), "%s", dir);
    snprintf(s.state, sizeof(s.state), "failed");
    snprintf(s.host, sizeof(s.host), "n1");
    s.pid = 42;
    s.started = 1700000000;
    s.updated = s.ended = 1700000060;
    s.submitted = 10;
    s.total = 10;
    s.done = 7;
    s.failed = 1;
    s.cancelled = 1;
    s.not_run = 1;
    s.exit_status = 1;
    s.nworkers = 2;
    s.workers[0] = (runstatus_worker_t){1, "n1", "default", 4, 0, 5};
    s.workers[1] = (runstatus_worker_t){2, "n2", "mic", 8, 0, 2};
    snprintf(s.message, sizeof(s.message),
             "task 3 failed: \"x, y\"\nstate: completed\nexit_status: 0");
    CU_ASSERT_EQUAL(runstatus_write(dir, &s, &err), 0);
    CU_ASSERT_EQUAL(runstatus_read(dir, &r, &err), 0);
    CU_ASSERT_STRING_EQUAL(r.state, "failed");
    CU_ASSERT_EQUAL(r.exit_status, 1);
    CU_ASSERT_EQUAL(r.done, 7);
    CU_ASSERT_EQUAL(r.total, 10);
    CU_ASSERT_EQUAL(r.not_run, 1);
    CU_ASSERT_EQUAL(r.nworkers, 2);
    CU_ASSERT_STRING_EQUAL(r.workers[1].arch, "mic");
    CU_ASSERT_STRING_EQUAL(r.message, s.message);
    CU_ASSERT_EQUAL(r.started, s.started);
    /* one state line and one exit_status line, whatever the message says;
     * no temporary left */
    char path[4200], line[2048];
    int states = 0, exits = 0;
    snprintf(path, sizeof(path), "%s/status.txt", dir);
    FILE *f = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    while (fgets(line, sizeof(line), f)) {
        states += strncmp(line, "state:", 6) == 0;
        exits += strncmp(line, "exit_status:", 12) == 0;
    }
    fclose(f);
    CU_ASSERT_EQUAL(states, 1);
    CU_ASSERT_EQUAL(exits, 1);
    CU_ASSERT_EQUAL(tmpdir_count(dir, ".tmp."), 0);
    CU_ASSERT_EQUAL(runstatus_is_final(dir), 1);
    s.exit_status = -1;
    CU_ASSERT_EQUAL(runstatus_write(dir, &s, &err), 0);
    CU_ASSERT_EQUAL(runstatus_is_final(dir), 0);
    CU_ASSERT_EQUAL(runstatus_is_final("/nonexistent/dir"), 0);
    /* an unwritable directory: -1, the old file untouched */
    CU_ASSERT_EQUAL(runstatus_write("/nonexistent/dir", &s, &err), -1);
    CU_ASSERT_EQUAL(runstatus_read("/nonexistent/dir", &r, &err), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    tmpdir_remove(dir);
    free(dir);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
}

static void test_count_trace(void)
{
    char *dir = tmpdir_create();
    static runstatus_t s;
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    runstatus_init(&s);
    CU_ASSERT_EQUAL(runstatus_count_trace(dir, &s), -1);
    write_file(dir, "trace.csv",
        "task,name,kernel,worker,node,slot,arch,submit_ns,ready_ns,start_ns,"
        "end_ns,bytes_in,bytes_out,cache_hits,attempt,state,message\n"
        "1,a,l:k,1,n1,0,default,1,2,3,4,0,0,0,1,ok,\n"
        /* a retried task: the last attempt counts */
        "2,a,\"l,k\",1,n1,0,default,1,2,3,4,0,0,0,1,failed,\"x, \"\"y\"\"\n"
        "state: ok\"\n"
        "2,a,l:k,2,n2,0,default,1,2,3,4,0,0,0,2,ok,\n"
        "3,a,l:k,1,n1,0,default,1,2,3,4,0,0,0,1,crashed,\"killed, by 11\"\n"
        "4,a,,-1,,-1,,1,2,0,0,0,0,0,1,cancelled,\"cancelled\"\n"
        "5,a,,-1,,-1,,1,2,0,0,0,0,0,1,not-run,not run\n"
        "6,a,l:k,1,n1,0,default,1,2,3,4,0,0,0,1,ignored,x\n"
        "7,a,l:k,1,n1,0,default,1,2,3,4,0,0,0,1,timeout,x\n"
        /* malformed: too few fields, an unknown state */
        "8,a,l:k,1,n1,0,default,1,2,3,4,0,0,0,1\n"
        "9,a,l:k,1,n1,0,default,1,2,3,4,0,0,0,1,weird,\n"
        /* torn by a crash */
        "10,a,l:k,1,n1,0,default,1,2,3,4,0,0,0,1,ok,\"half");
    CU_ASSERT_EQUAL(runstatus_count_trace(dir, &s), 7);
    CU_ASSERT_EQUAL(s.done, 2);
    CU_ASSERT_EQUAL(s.failed, 2);
    CU_ASSERT_EQUAL(s.cancelled, 1);
    CU_ASSERT_EQUAL(s.not_run, 1);
    CU_ASSERT_EQUAL(s.ignored, 1);
    /* only a header */
    write_file(dir, "trace.csv", "task,name\n");
    CU_ASSERT_EQUAL(runstatus_count_trace(dir, &s), 0);
    CU_ASSERT_EQUAL(s.done, 0);
    tmpdir_remove(dir);
    free(dir);
}

static const cunit_test_t tests[] = {
    {"escape and unescape", test_escape},
    {"write and read back", test_round_trip},
    {"count trace.csv by last attempt", test_count_trace},
    {NULL, NULL},
};

static int register_tests(void)
{
    return cunit_add_suite("runstatus", NULL, NULL, tests);
}
