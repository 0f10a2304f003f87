/*
 * progress_demo - drives the launcher's progress display without a job,
 * for tests/t2110-progress.t: a thread plays an engine rewriting
 * RUN_DIR/status.txt (temp + rename) every 0.2 s while the "job" prints a
 * line on stdout every 0.3 s; the progress is shown on stderr as
 * `tessera run` shows it.
 *
 *   progress_demo RUN_DIR SECONDS [TASKS] [--quiet|--progress-interval S...]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "launcher/logopts.h"
#include "launcher/progress.h"

static void write_status(const char *dir, int done, int total, int final)
{
    char tmp[4096], path[4096];
    snprintf(tmp, sizeof(tmp), "%s/status.txt.tmp", dir);
    snprintf(path, sizeof(path), "%s/status.txt", dir);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    fprintf(f, "format: 1\nworkflow: demo\nstate: %s\ntasks_submitted: %d\n"
            "tasks_total: %d\ntasks_done: %d\ntasks_running: %d\n"
            "tasks_ready: %d\ntasks_waiting: %d\ntasks_failed: 0\n"
            "tasks_per_s: %.1f\nworkers: 1\nworker: 1 n1 default 2 %d %d\n"
            "exit_status: %s\nmessage: \n", final ? "completed" : "running",
            total, total, done, final ? 0 : 2, final ? 0 : 1,
            final ? 0 : total - done - 3 > 0 ? total - done - 3 : 0,
            final ? 0.0 : 5.0, final ? 0 : 2, done, final ? "0" : "-");
    fclose(f);
    rename(tmp, path);
}

int main(int argc, char **argv)
{
    if (logopts_parse(&argc, argv) < 0 || argc < 3) {
        fprintf(stderr, "usage: progress_demo RUN_DIR SECONDS [TASKS]\n");
        return 2;
    }
    const char *dir = argv[1];
    double secs = atof(argv[2]);
    int total = argc > 3 ? atoi(argv[3]) : 50;
    progress_t *p = progress_start(dir, stderr);
    struct timespec tick = {0, 100000000L};
    int steps = (int)(secs * 10);
    for (int i = 0; i <= steps; i++) {
        if (i % 2 == 0)
            write_status(dir, total * i / (steps ? steps : 1), total, 0);
        if (i % 3 == 0) {
            printf("job output line %d\n", i / 3);
            fflush(stdout);
        }
        nanosleep(&tick, NULL);
    }
    write_status(dir, total, total, 1);
    progress_stop(p);
    printf("demo: finished\n");
    return 0;
}
