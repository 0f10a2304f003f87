/* cmd_status.c - `tessera status RUN_DIR` (placeholder until the view). */
#include "config.h"

#include <stdio.h>

#include "launcher/cmd.h"

int cmd_status(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tessera status: not yet\n");
    return 2;
}
