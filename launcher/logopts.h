/*
 * logopts.h - how much the `tessera` commands say, the same for every
 * command (run, validate, submit, report, status): --quiet, --verbose,
 * --log-level error|warn|info|debug (also TESS_LOG_LEVEL) and
 * --progress-interval SECONDS (also TESS_PROGRESS_INTERVAL: how often a
 * run not on a terminal logs its progress). main() strips these options
 * from the arguments once, before the command parses the rest, so no
 * command needs to know them.
 *
 * Levels: error (--quiet: errors only, no progress), warn, info (the
 * default: summaries and progress), debug (--verbose: also how things are
 * started). The level is process-wide state of the command, like stderr.
 */
#ifndef TESS_LAUNCHER_LOGOPTS_H
#define TESS_LAUNCHER_LOGOPTS_H

typedef enum logopts_level {
    LOGOPTS_ERROR, LOGOPTS_WARN, LOGOPTS_INFO, LOGOPTS_DEBUG
} logopts_level_t;

#define LOGOPTS_USAGE                                                        \
    "  -q, --quiet          errors only (no progress, no summaries)\n"       \
    "  -v, --verbose        also say how things are started (debug)\n"       \
    "  --log-level LEVEL    error, warn, info (default) or debug;\n"         \
    "                       default from TESS_LOG_LEVEL\n"                   \
    "  --progress-interval S  seconds between progress lines when stderr\n"  \
    "                       is not a terminal (default 30, or\n"             \
    "                       TESS_PROGRESS_INTERVAL; 0: none)\n"

/* Apply TESS_LOG_LEVEL and TESS_PROGRESS_INTERVAL, then remove the options
 * above from argv[1..*argc-1] (argv[0] stays; the rest keep their order and
 * argv[*argc] becomes NULL), applying them in order. Nothing after a "--"
 * argument is taken. The resulting level and interval are exported in the
 * environment so that the ranks of a job say as much. 0, or -1 after
 * printing a message naming the bad option or variable (exit status 2). */
int logopts_parse(int *argc, char **argv);

/* The level in force, and a way to set it (tests). */
logopts_level_t logopts_level(void);
void logopts_set_level(logopts_level_t level);

/* "error", "warn", "info", "debug" (also "warning", "quiet", "verbose",
 * case-sensitive): 0 and *out, or -1. */
int logopts_parse_level(const char *s, logopts_level_t *out);

/* Seconds between progress lines off a terminal (0: none). */
double logopts_progress_interval(void);

/* "tessera: MESSAGE\n" on stderr if @p level is in force (errors always). */
void logopts_msg(logopts_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
