/* fixture.c - run directories for the report/ unit tests (fixture.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/test/tmpdir.h"
#include "report/test/fixture.h"

void fixture_put(const char *dir, const char *name, const char *text)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

char *fixture_read(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s)
        s[n] = '\0';
    fclose(f);
    return s;
}

size_t fixture_count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* Times in ns from 1000 (the first submission) to 40000 (the last end).
 * Run times: task 1 10000, 2 20000, 3 4000 + 4000 (two attempts), 4
 * 6000: critical path 1 -> 2 -> 4, 36000 ns. */
char *fixture_run(void)
{
    char *dir = tmpdir_create();
    if (!dir)
        return NULL;
    fixture_put(dir, "trace.csv",
        "task,name,kernel,worker,node,slot,arch,submit_ns,ready_ns,start_ns,"
        "end_ns,bytes_in,bytes_out,cache_hits,attempt,state,message\n"
        "3,fill,lib:fill,2,n2,0,default,1200,1200,1500,5500,0,100,0,1,failed,"
        "\"bad <value>, \"\"x\"\" & more\nsecond line\"\n"
        "3,fill,lib:fill,2,n2,0,default,1200,5500,6000,10000,0,100,0,2,ok,\n"
        "1,fill,lib:fill,1,n1,0,default,1000,1000,2000,12000,0,100,0,1,ok,\n"
        "2,sum,lib:sum,1,n1,1,default,1100,12000,13000,33000,100,8,1,1,ok,\n"
        "4,sum,lib:sum,2,n2,0,default,1150,33000,34000,40000,108,8,0,1,ok,\n"
        "5,out,lib:out,-1,,-1,,1300,0,0,0,0,0,0,1,cancelled,"
        "input d4 v1 from task 4 failed\n");
    fixture_put(dir, "edges.csv",
        "from,to,data,version\n1,2,a,1\n2,4,\"b, the sum\",1\n3,4,c,1\n"
        "4,5,d,1\n");
    fixture_put(dir, "status.txt",
        "format: 1\nworkflow: fixture\nstate: failed\nelapsed_s: 0.5\n"
        "tasks_submitted: 5\ntasks_done: 4\ntasks_cancelled: 1\n"
        "workers: 2\nworker: 1 n1 default 2 0 2\n"
        "worker: 2 n2 default 2 0 2\nexit_status: 1\n"
        "message: task 5 cancelled\n");
    return dir;
}
