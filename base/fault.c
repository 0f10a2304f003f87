/* fault.c - TESS_FAULT, the fault-injection test hook (see fault.h). */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fault.h"

#define FAULT_KINDS 4

static struct {
    char kind[16];
    long at;           /* the call that dies, 1-based */
    atomic_long count; /* calls so far */
} faults[FAULT_KINDS];
static int nfaults;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Read TESS_FAULT, once per process. */
static void parse(void)
{
    const char *s = getenv("TESS_FAULT");
    int n = 0;
    while (s && *s && n < FAULT_KINDS) {
        size_t k = strcspn(s, ":,");
        if (s[k] == ':' && k > 0 && k < sizeof(faults[n].kind)) {
            memcpy(faults[n].kind, s, k);
            faults[n].kind[k] = '\0';
            faults[n].at = strtol(s + k + 1, NULL, 10);
            n++;
        }
        s += strcspn(s, ",");
        s += *s == ',';
    }
    nfaults = n;
}

int fault_hit(const char *kind)
{
    pthread_once(&once, parse);
    for (int i = 0; i < nfaults; i++)
        if (strcmp(faults[i].kind, kind) == 0)
            return atomic_fetch_add(&faults[i].count, 1) + 1 == faults[i].at;
    return 0;
}

_Noreturn void fault_die(void)
{
    for (;;) {
        kill(getpid(), SIGKILL);
        pause();
    }
}
