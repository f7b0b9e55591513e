/* cli.h: the `stepd` subcommands and the helpers they share.  Each
 * subcommand is `int sfn_cli_<name>(int argc, char **argv)` with argv[0] the
 * subcommand name; it returns the process exit status (0 success, 1 the
 * input was rejected, 2 usage error or unreadable file) and prints its own
 * messages.  `--help` prints the subcommand's usage to stdout and returns 0. */
#ifndef SFN_CLI_H
#define SFN_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "sfn_diag.h"

enum { SFN_CLI_OK = 0, SFN_CLI_REJECTED = 1, SFN_CLI_USAGE = 2 };

int sfn_cli_validate(int argc, char **argv);
int sfn_cli_graph(int argc, char **argv);
int sfn_cli_lower(int argc, char **argv);
int sfn_cli_load(int argc, char **argv);
int sfn_cli_run(int argc, char **argv);
int sfn_cli_history(int argc, char **argv);
int sfn_cli_test_state(int argc, char **argv);
int sfn_cli_serve(int argc, char **argv);
/* cli_demo.c: the order-saga demo service (samples/order-saga). */
int sfn_cli_demo_service(int argc, char **argv);

/* Reads the whole file (`-` = standard input) into a malloc'd buffer with a
 * terminating NUL that is not counted in *len (the text may contain NULs).
 * Caller frees.  Returns NULL with errno set when the file cannot be opened
 * or read (a directory gives EISDIR). */
char *sfn_cli_read_file(const char *path, size_t *len);

/* Removes a SQLite database file and its -wal / -shm companions (errors
 * ignored: used for the temporary databases of run and test-state). */
void sfn_cli_remove_db(const char *path);

/* The name a file is reported under: "<stdin>" for `-`, else path.
 * Returns a borrowed string. */
const char *sfn_cli_display_name(const char *path);

/* Prints each diagnostic as `FILE:/pointer: CODE: message`, errors as is and
 * warnings (only when with_warnings) as `FILE:/pointer: warning: CODE:
 * message`.  A diagnostic about the whole document (empty pointer) prints as
 * `FILE: CODE: message`. */
void sfn_cli_print_diags(FILE *out, const char *file, const sfn_diags *d,
                         bool with_warnings);

#endif
