/* Shared by the mechanics command's files: global options and commands. */
#ifndef MECH_CLI_H
#define MECH_CLI_H

#include <stdint.h>

/* Settings from the global options, applied to every command's context. */
typedef struct cli {
    int64_t threads;
    int64_t seed;
} cli;

typedef int (*command_fn)(const cli *opts, int argc, char **argv);

/* Parses a non-negative integer option value; 0 on success, else a
 * message on stderr and the exit code 2. */
int cli_parse_i64(const char *flag, const char *text, int64_t *out);

/* The gallery (src/gallery.c). */
int cmd_list(const cli *opts, int argc, char **argv);
int cmd_reproduce(const cli *opts, int argc, char **argv);
int cmd_plot(const cli *opts, int argc, char **argv);

#endif
