/* test_journal - the run's journal: records read back after a reopen, a
 * torn tail cut at open, duplicates counted, dropped files removed only
 * after a commit and never while held, a rewind back to the journal of the
 * earlier run, the fault hook inside a write. */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/test/cunit_main.h"
#include "base/test/tmpdir.h"
#include "runtime/journal.h"

static off_t size_of(const char *dir)
{
    char path[PATH_MAX + 16];
    struct stat st;
    snprintf(path, sizeof(path), "%s/journal", dir);
    return stat(path, &st) == 0 ? st.st_size : -1;
}

/* A fresh run directory under the suite's. */
static const char *rundir(const char *name)
{
    static char path[PATH_MAX];
    tmpdir_path(path, "%s", name);
    mkdir(path, 0755);
    return path;
}

/* Task id with an inline output, a fragment output and a file output. */
static void put_task(journal_t *j, uint64_t id, const char *path)
{
    double v = (double)id * 1.5;
    journal_out_t outs[3] = {
        {.param = 0, .data_id = 1, .version = (uint32_t)id,
         .kind = JOURNAL_INLINE, .bytes = &v, .len = sizeof(v)},
        {.param = 1, .data_id = 2, .version = (uint32_t)id,
         .kind = JOURNAL_FRAG},
        {.param = 2, .data_id = 3, .version = (uint32_t)id,
         .kind = JOURNAL_FILE, .path = path},
    };
    journal_task(j, id, id * 1000 + 7, 1, 3, outs);
}

static void test_reopen_lookup(void)
{
    tess_error_t err;
    const char *d = rundir("reopen");
    journal_t *j = journal_open(d, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    for (uint64_t id = 1; id <= 100; id++)
        put_task(j, id, "/some/file");
    journal_drop(j, 2, 5, NULL);
    CU_ASSERT_EQUAL(journal_close(j), 0);

    j = journal_open(d, 1, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    journal_stats_t st;
    journal_stats(j, &st);
    CU_ASSERT_EQUAL(st.tasks, 100);
    CU_ASSERT_EQUAL(st.drops, 1);
    CU_ASSERT_EQUAL(st.duplicates, 0);
    CU_ASSERT_EQUAL(st.torn_bytes, 0);
    journal_task_t t;
    CU_ASSERT_EQUAL(journal_lookup(j, 42, &t), 1);
    CU_ASSERT_EQUAL(t.id, 42);
    CU_ASSERT_EQUAL(t.hash, 42007);
    CU_ASSERT_EQUAL_FATAL(t.nouts, 3);
    CU_ASSERT_EQUAL(t.outs[0].kind, JOURNAL_INLINE);
    CU_ASSERT_EQUAL(t.outs[0].len, sizeof(double));
    double v;
    memcpy(&v, t.outs[0].bytes, sizeof(v));
    CU_ASSERT_EQUAL(v, 63.0);
    CU_ASSERT_EQUAL(t.outs[1].kind, JOURNAL_FRAG);
    CU_ASSERT_EQUAL(t.outs[1].version, 42);
    CU_ASSERT_STRING_EQUAL(t.outs[2].path, "/some/file");
    CU_ASSERT_EQUAL(journal_lookup(j, 101, &t), 0);
    CU_ASSERT_TRUE(journal_dropped(j, 2, 5));
    CU_ASSERT_FALSE(journal_dropped(j, 2, 6));
    /* a task recorded again (it ran twice) is counted */
    put_task(j, 7, "/some/file");
    CU_ASSERT_EQUAL(journal_close(j), 0);
    CU_ASSERT_EQUAL(journal_inspect(d, &st, &err), 0);
    CU_ASSERT_EQUAL(st.tasks, 101);
    CU_ASSERT_EQUAL(st.duplicates, 1);
    CU_ASSERT_EQUAL(st.begins, 2);
}

static void test_torn_tail(void)
{
    tess_error_t err;
    const char *d = rundir("torn");
    journal_t *j = journal_open(d, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    for (uint64_t id = 1; id <= 10; id++)
        put_task(j, id, "/f");
    CU_ASSERT_EQUAL(journal_close(j), 0);
    off_t whole = size_of(d);
    /* the last record cut in its middle, then garbage after a good one */
    char path[PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/journal", d);
    CU_ASSERT_EQUAL(truncate(path, whole - 5), 0);
    journal_stats_t st;
    CU_ASSERT_EQUAL(journal_inspect(d, &st, &err), 0);
    CU_ASSERT_EQUAL(st.tasks, 9);
    CU_ASSERT_TRUE(st.torn_bytes > 0);
    j = journal_open(d, 1, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    journal_stats(j, &st);
    CU_ASSERT_EQUAL(st.tasks, 9);
    journal_task_t t;
    CU_ASSERT_EQUAL(journal_lookup(j, 10, &t), 0);
    put_task(j, 10, "/f"); /* ran again: not a duplicate, it was cut */
    CU_ASSERT_EQUAL(journal_close(j), 0);
    CU_ASSERT_EQUAL(journal_inspect(d, &st, &err), 0);
    CU_ASSERT_EQUAL(st.tasks, 10);
    CU_ASSERT_EQUAL(st.duplicates, 0);
    CU_ASSERT_EQUAL(st.torn_bytes, 0);
    /* bytes that are no record at all (a corrupted CRC) end the journal */
    int fd = open(path, O_WRONLY | O_APPEND);
    CU_ASSERT_TRUE_FATAL(fd >= 0);
    uint32_t bogus[3] = {4, 12345, 0};
    CU_ASSERT_EQUAL(write(fd, bogus, sizeof(bogus)), (ssize_t)sizeof(bogus));
    close(fd);
    CU_ASSERT_EQUAL(journal_inspect(d, &st, &err), 0);
    CU_ASSERT_EQUAL(st.tasks, 10);
    CU_ASSERT_EQUAL(st.torn_bytes, sizeof(bogus));
    /* not a journal at all */
    fd = open(path, O_WRONLY | O_TRUNC);
    CU_ASSERT_EQUAL(write(fd, "garbage garbage!", 16), 16);
    close(fd);
    CU_ASSERT_PTR_NULL(journal_open(d, 1, &err));
    ASSERT_HAS(err.text, "not a journal");
}

static void test_drop_hold_rewind(void)
{
    tess_error_t err;
    const char *d = rundir("drop");
    char f1[PATH_MAX + 8], f2[PATH_MAX + 8];
    snprintf(f1, sizeof(f1), "%s/v1", d);
    snprintf(f2, sizeof(f2), "%s/v2", d);
    close(open(f1, O_CREAT | O_WRONLY, 0644));
    close(open(f2, O_CREAT | O_WRONLY, 0644));
    journal_t *j = journal_open(d, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    put_task(j, 1, f1);
    journal_drop(j, 3, 1, f1);
    /* written, not committed: the file stays until the record is durable */
    CU_ASSERT_EQUAL(journal_flush(j, 0, &err), 0);
    CU_ASSERT_EQUAL(access(f1, F_OK), 0);
    CU_ASSERT_EQUAL(journal_flush(j, 1, &err), 0);
    CU_ASSERT_NOT_EQUAL(access(f1, F_OK), 0);
    put_task(j, 2, f2);
    CU_ASSERT_EQUAL(journal_close(j), 0);
    off_t earlier = size_of(d);

    /* a resume holds removals, then is rewound: as before, files kept */
    j = journal_open(d, 1, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    journal_hold(j, 1);
    put_task(j, 3, f2);
    journal_drop(j, 3, 2, f2);
    CU_ASSERT_EQUAL(journal_flush(j, 1, &err), 0);
    CU_ASSERT_EQUAL(access(f2, F_OK), 0);
    CU_ASSERT_TRUE(size_of(d) > earlier);
    CU_ASSERT_EQUAL(journal_rewind(j), 0);
    put_task(j, 4, f2); /* nothing more is written */
    CU_ASSERT_EQUAL(journal_close(j), 0);
    CU_ASSERT_EQUAL(size_of(d), earlier);
    CU_ASSERT_EQUAL(access(f2, F_OK), 0);
    journal_stats_t st;
    CU_ASSERT_EQUAL(journal_inspect(d, &st, &err), 0);
    CU_ASSERT_EQUAL(st.tasks, 2);
    CU_ASSERT_EQUAL(st.begins, 1);

    /* held, then released: the file goes at the next commit */
    j = journal_open(d, 1, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    journal_hold(j, 1);
    journal_drop(j, 3, 2, f2);
    CU_ASSERT_EQUAL(journal_flush(j, 1, &err), 0);
    CU_ASSERT_EQUAL(access(f2, F_OK), 0);
    journal_hold(j, 0);
    CU_ASSERT_EQUAL(journal_flush(j, 1, &err), 0);
    CU_ASSERT_NOT_EQUAL(access(f2, F_OK), 0);
    CU_ASSERT_EQUAL(journal_close(j), 0);
}

/* TESS_FAULT=journal:N kills the writer halfway through its Nth write:
 * the journal keeps what came before, its torn end is cut at open. */
static void test_fault_hook(void)
{
    tess_error_t err;
    const char *d = rundir("fault");
    pid_t pid = fork();
    CU_ASSERT_TRUE_FATAL(pid >= 0);
    if (pid == 0) {
        setenv("TESS_FAULT", "journal:3", 1);
        journal_t *j = journal_open(d, 0, &err); /* write 1: BEGIN */
        if (!j)
            _exit(3);
        for (uint64_t id = 1; id <= 4; id++) {
            put_task(j, id, "/f");
            journal_flush(j, 0, &err); /* writes 2, 3 (dies), ... */
        }
        _exit(0);
    }
    int status;
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    journal_stats_t st;
    CU_ASSERT_EQUAL(journal_inspect(d, &st, &err), 0);
    CU_ASSERT_EQUAL(st.tasks, 1);
    CU_ASSERT_TRUE(st.torn_bytes > 0);
    journal_t *j = journal_open(d, 1, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_EQUAL(journal_close(j), 0);
    CU_ASSERT_EQUAL(journal_inspect(d, &st, &err), 0);
    CU_ASSERT_EQUAL(st.torn_bytes, 0);
    CU_ASSERT_EQUAL(st.tasks, 1);
}

/* The fault test first: TESS_FAULT is read once per process, at the
 * first journal write, which the child must make. */
static const cunit_test_t tests[] = {
    {"TESS_FAULT=journal:N", test_fault_hook},
    {"records read back after a reopen", test_reopen_lookup},
    {"a torn tail is cut", test_torn_tail},
    {"drops: after a commit, held, rewound", test_drop_hold_rewind},
    {NULL, NULL},
};

static int register_tests(void)
{
    return cunit_add_suite("journal", tmpdir_suite_init, tmpdir_suite_clean,
                           tests);
}
