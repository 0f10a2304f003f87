/* dot.c - streaming Graphviz export of the task graph. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dot.h"

struct dot {
    FILE *f;
};

dot_t *dot_open(const char *path, tess_error_t *err)
{
    dot_t *g = calloc(1, sizeof(*g));
    if (!g) {
        tess_errprintf(err, "%s: out of memory", path);
        return NULL;
    }
    g->f = fopen(path, "w");
    if (!g->f) {
        tess_errprintf(err, "%s: cannot write the graph: %s", path,
                       strerror(errno));
        free(g);
        return NULL;
    }
    fputs("digraph tessera {\n  rankdir=TB;\n"
          "  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
          "  edge [fontname=\"Helvetica\", fontsize=9];\n", g->f);
    return g;
}

/* Kernel and data names come from users: keep them out of dot syntax. */
static void put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        if ((unsigned char)*s >= 0x20)
            fputc(*s, f);
    }
}

void dot_task(dot_t *g, uint64_t id, const char *kernel, int priority)
{
    fprintf(g->f, "  t%llu [label=\"%llu: ", (unsigned long long)id,
            (unsigned long long)id);
    put_escaped(g->f, kernel);
    fprintf(g->f, "\"%s];\n", priority ? ", penwidth=2" : "");
}

void dot_edge(dot_t *g, uint64_t from, uint64_t to, const char *data,
              uint32_t version)
{
    if (!g)
        return;
    fprintf(g->f, "  t%llu -> t%llu [label=\"", (unsigned long long)from,
            (unsigned long long)to);
    put_escaped(g->f, data);
    fprintf(g->f, " v%u\"];\n", version);
}

int dot_close(dot_t *g)
{
    if (!g)
        return 0;
    fputs("}\n", g->f);
    int rc = ferror(g->f) ? -1 : 0;
    if (fclose(g->f) != 0)
        rc = -1;
    free(g);
    return rc;
}
