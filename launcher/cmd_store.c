/* cmd_store.c - `tessera store ls|show|rm|gc`: the objects of a store
 * (docs/store.md), through the public tess_store_* API; no MPI. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/box.h"
#include "launcher/cmd.h"
#include "tessera.h"

/* Exit status for a failed store call: bad input (a name, an object that
 * is not there or not one, a store directory that does not exist) is 2,
 * the rest (I/O, permissions) 1. */
static int status_of(int e)
{
    switch (e) {
    case EINVAL:
    case ENOENT:
    case ENOTDIR:
    case EEXIST:
    case EPROTO:
        return 2;
    }
    return 1;
}

/* Print @p s with backslash escapes for non-printable bytes (values come
 * from files other users may write). */
static void put_text(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\n')
            fputs("\\n", stdout);
        else if (*p == '\t')
            fputs("\\t", stdout);
        else if (*p == '\\')
            fputs("\\\\", stdout);
        else if (*p < 0x20 || *p == 0x7f)
            printf("\\x%02x", *p);
        else
            putchar(*p);
    }
}

static void put_field(const char *key, const char *value)
{
    printf("%s: ", key);
    put_text(value && value[0] ? value : "-");
    putchar('\n');
}

/* ------------------------------------------------------------------ */

struct ls_state {
    tess_store_t *st;
    int rows;
    int status;
};

static void print_header(void)
{
    printf("%-24s %-10s %8s %14s  %-20s  %s\n", "NAME", "STATE", "BLOCKS",
           "BYTES", "CREATED", "CREATOR");
}

static int ls_one(const char *name, void *arg)
{
    struct ls_state *ls = arg;
    tess_error_t err = {""};
    tess_store_info_t info;
    char bytes[32];

    tess_store_obj_t *o = tess_store_obj_open(ls->st, name, 0, &err);
    if (!o || tess_store_info(o, &info, &err) < 0) {
        int e = errno;
        tess_store_obj_close(o);
        if (e == ENOENT) /* deleted since the listing */
            return 0;
        if (e == EPROTO) { /* its name points at nothing readable */
            if (!ls->rows++)
                print_header();
            printf("%-24s %-10s %8s %14s  %-20s  %s\n", name, "broken", "-",
                   "-", "-", "-");
            return 0;
        }
        fprintf(stderr, "tessera store ls: %s\n", err.text);
        if (!ls->status)
            ls->status = 1;
        return 0;
    }
    if (!ls->rows++)
        print_header();
    if (info.bytes >= 0)
        snprintf(bytes, sizeof(bytes), "%" PRId64, info.bytes);
    else
        snprintf(bytes, sizeof(bytes), "-");
    printf("%-24s %-10s %8" PRId64 " %14s  %-20s  %s@%s\n", name,
           tess_store_state_name(info.state), info.nblocks, bytes,
           info.created, info.user, info.host);
    tess_store_obj_close(o);
    return 0;
}

static int store_ls(tess_store_t *st)
{
    struct ls_state ls = {st, 0, 0};
    tess_error_t err = {""};

    if (tess_store_foreach(st, ls_one, &ls, &err) < 0) {
        fprintf(stderr, "tessera store ls: %s\n", err.text);
        return status_of(errno);
    }
    return ls.status;
}

static int store_show(tess_store_t *st, const char *name)
{
    tess_error_t err = {""};
    tess_store_info_t info;
    tess_store_block_t b;
    char buf[256], b2[256];
    int64_t bytes = 0, n = 0;
    int rc;

    tess_store_obj_t *o = tess_store_obj_open(st, name, 0, &err);
    if (!o || tess_store_info(o, &info, &err) < 0) {
        int e = errno;
        fprintf(stderr, "tessera store show: %s\n", err.text);
        tess_store_obj_close(o);
        return status_of(e);
    }
    put_field("name", info.name);
    put_field("id", info.id);
    put_field("state", tess_store_state_name(info.state));
    put_field("type", tess_type_name(info.type));
    printf("rank: %d\n", info.rank);
    put_field("shape", info.has_shape ? box_format_shape(buf, sizeof(buf),
                                                         info.rank,
                                                         info.shape)
                                      : "-");
    if (info.nblocks_expected > 0)
        printf("blocks_announced: %" PRId64 "\n", info.nblocks_expected);
    printf("creator: ");
    put_text(info.user);
    putchar('@');
    put_text(info.host);
    printf(" pid %ld (%s)\n", info.pid,
           info.state == TESS_STORE_COMPLETE ? "done"
           : info.producer_alive > 0        ? "alive"
           : info.producer_alive == 0       ? "gone"
                                            : "liveness unknown");
    put_field("created", info.created);
    put_field("completed", info.completed);
    put_field("workflow", info.workflow);
    put_field("run", info.run);
    put_field("params", info.params);
    printf("format: %d\n", info.format);
    tess_store_iter_t *it = tess_store_blocks(o, 0, 0, &err);
    while (it && (rc = tess_store_next(it, &b, &err)) == 1) {
        printf("block %" PRId64 ": %s %s %" PRId64 " bytes\n", b.id,
               box_format(buf, sizeof(buf), b.rank, b.start, b.count),
               box_format_shape(b2, sizeof(b2), b.rank, b.count), b.bytes);
        bytes += b.bytes;
        n++;
    }
    if (!it || rc < 0) {
        int e = errno;
        fprintf(stderr, "tessera store show: %s\n", err.text);
        tess_store_iter_destroy(it);
        tess_store_obj_close(o);
        return e == ENOENT ? 1 : status_of(e); /* ENOENT: deleted now */
    }
    printf("blocks: %" PRId64 "\nbytes: %" PRId64 "\n", n, bytes);
    tess_store_iter_destroy(it);
    tess_store_obj_close(o);
    return 0;
}

static int store_rm(tess_store_t *st, int n, char **names)
{
    tess_error_t err = {""};
    int status = 0;

    for (int i = 0; i < n; i++) {
        if (tess_store_delete(st, names[i], &err) == 0)
            continue;
        int s = status_of(errno);
        fprintf(stderr, "tessera store rm: %s\n", err.text);
        if (s > status)
            status = s;
    }
    return status;
}

static int store_gc(tess_store_t *st)
{
    tess_error_t err = {""};
    int n = tess_store_gc(st, &err);

    if (n < 0) {
        fprintf(stderr, "tessera store gc: %s\n", err.text);
        return status_of(errno);
    }
    printf("removed %d leftover entr%s\n", n, n == 1 ? "y" : "ies");
    return 0;
}

int cmd_store(int argc, char **argv)
{
    const char *dir = NULL, *sub = NULL;
    char **names = calloc((size_t)argc + 1, sizeof(*names));
    int nnames = 0, rc;
    tess_error_t err = {""};

    if (!names) {
        fprintf(stderr, "tessera store: out of memory\n");
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--store") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "tessera store: --store needs a directory\n");
                free(names);
                return 2;
            }
            dir = argv[++i];
        } else if (strncmp(a, "--store=", 8) == 0) {
            dir = a + 8;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "tessera store: unknown option '%s'\n%s", a,
                    CMD_STORE_USAGE);
            free(names);
            return 2;
        } else if (!sub) {
            sub = a;
        } else {
            names[nnames++] = argv[i];
        }
    }
    int want = !sub                    ? -1
               : strcmp(sub, "ls") == 0 || strcmp(sub, "gc") == 0 ? 0
               : strcmp(sub, "show") == 0 ? 1
               : strcmp(sub, "rm") == 0   ? -2
                                          : -1;
    if (want == -1 || (want >= 0 && nnames != want)
        || (want == -2 && nnames == 0)) {
        fprintf(stderr, "tessera store: %s\n%s",
                !sub ? "no subcommand"
                : want == -1 ? "unknown subcommand"
                             : "wrong number of names",
                CMD_STORE_USAGE);
        free(names);
        return 2;
    }
    if (dir && !dir[0]) {
        fprintf(stderr, "tessera store: --store needs a directory\n");
        free(names);
        return 2;
    }
    const char *env = getenv("TESSERA_STORE");
    bool implicit = !dir && !(env && env[0]);
    tess_store_t *st = tess_store_open(dir, 0, &err);
    if (!st) {
        int e = errno;
        /* The default store exists once something was made persistent:
         * before, it is an empty store. */
        if (e == ENOENT && implicit && strcmp(sub, "ls") == 0) {
            free(names);
            return 0;
        }
        fprintf(stderr, "tessera store %s: %s\n", sub, err.text);
        free(names);
        return status_of(e);
    }
    if (strcmp(sub, "ls") == 0)
        rc = store_ls(st);
    else if (strcmp(sub, "show") == 0)
        rc = store_show(st, names[0]);
    else if (strcmp(sub, "rm") == 0)
        rc = store_rm(st, nnames, names);
    else
        rc = store_gc(st);
    tess_store_close(st);
    free(names);
    return rc;
}
