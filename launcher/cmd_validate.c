/* cmd_validate.c - `tessera validate`: every check, nothing run. */
#include "config.h"

#include <stdio.h>

#include "launcher/cmd.h"
#include "launcher/logopts.h"

/* --verbose: where each kernel came from (the file its library resolved to
 * under the kernel search path, and the symbol), so a user sees which
 * library a workflow would run. */
static void print_kernels(const wf_t *wf)
{
    wf_kernel_info_t k;
    for (size_t i = 0; wf_kernel_get(wf, i, &k) == 0; i++) {
        if (k.arch)
            printf("task '%s', implementation for '%s': kernel %s: symbol "
                   "%s in %s\n", k.task, k.arch, k.kernel, k.symbol, k.path);
        else
            printf("task '%s': kernel %s: symbol %s in %s\n", k.task,
                   k.kernel, k.symbol, k.path);
    }
}

int cmd_validate(int argc, char **argv)
{
    wfopts_t o;
    if (wfopts_parse(argc, argv, WFOPTS_VERBOSE, &o) < 0) {
        wfopts_free(&o);
        return 2;
    }
    wf_t *wf = wfopts_load(&o, WF_CHECK_ALL);
    if (!wf) {
        wfopts_free(&o);
        return 2;
    }
    /* main() takes -v/--verbose as the debug log level for every command */
    if (o.verbose || logopts_level() >= LOGOPTS_DEBUG)
        print_kernels(wf);
    printf("%s: valid workflow '%s'\n", o.workflow, wf_name(wf));
    wf_destroy(wf);
    wfopts_free(&o);
    return 0;
}
