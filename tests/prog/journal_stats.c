/*
 * journal_stats.c - what RUN_DIR/journal holds, for the fault-injection
 * tests (tests/t5*.t): one "key value" line each of records, tasks (TASK
 * records), drops, begins (runs and resumes), duplicates (TASK records of
 * a task recorded before: a completed task that ran again) and torn_bytes
 * (a torn tail after the last good record). Read-only (journal_inspect).
 *
 *   journal_stats RUN_DIR
 *
 * Exit 0, or 2 (with a message) if the journal cannot be read.
 */
#include "config.h"

#include <stdio.h>

#include "runtime/journal.h"

int main(int argc, char **argv)
{
    journal_stats_t st;
    tess_error_t err;
    if (argc != 2) {
        fprintf(stderr, "usage: journal_stats RUN_DIR\n");
        return 2;
    }
    if (journal_inspect(argv[1], &st, &err) < 0) {
        fprintf(stderr, "journal_stats: %s\n", err.text);
        return 2;
    }
    printf("records %llu\ntasks %llu\ndrops %llu\nbegins %llu\n"
           "duplicates %llu\ntorn_bytes %llu\n",
           (unsigned long long)st.records, (unsigned long long)st.tasks,
           (unsigned long long)st.drops, (unsigned long long)st.begins,
           (unsigned long long)st.duplicates,
           (unsigned long long)st.torn_bytes);
    return 0;
}
