/* cmd_validate.c - `tessera validate`: every check, nothing run. */
#include "config.h"

#include <stdio.h>

#include "launcher/cmd.h"

int cmd_validate(int argc, char **argv)
{
    wfopts_t o;
    if (wfopts_parse(argc, argv, 0, &o) < 0) {
        wfopts_free(&o);
        return 2;
    }
    wf_t *wf = wfopts_load(&o, WF_CHECK_ALL);
    if (!wf) {
        wfopts_free(&o);
        return 2;
    }
    printf("%s: valid workflow '%s'\n", o.workflow, wf_name(wf));
    wf_destroy(wf);
    wfopts_free(&o);
    return 0;
}
