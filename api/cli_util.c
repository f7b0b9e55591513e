/* cli_util.c: what the `stepd` subcommands share: reading a definition
 * file (or standard input) whole, and printing compiler diagnostics in the
 * one `FILE:/pointer: CODE: message` form every subcommand uses. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define READ_CHUNK 65536

/* Reads f to its end; NULL with errno set on failure. */
static char *read_stream(FILE *f, size_t *len)
{
    size_t cap = READ_CHUNK, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    for (;;) {
        if (cap - n < 2) {
            char *grown = cap > (size_t)-1 / 2 ? NULL : realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                errno = ENOMEM;
                return NULL;
            }
            buf = grown;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        int saved = errno ? errno : EIO;
        free(buf);
        errno = saved;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

char *sfn_cli_read_file(const char *path, size_t *len)
{
    if (!strcmp(path, "-"))
        return read_stream(stdin, len);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    errno = 0;
    char *text = read_stream(f, len);
    int saved = errno;
    fclose(f);
    errno = saved;
    return text;
}

const char *sfn_cli_display_name(const char *path)
{
    return strcmp(path, "-") ? path : "<stdin>";
}

void sfn_cli_print_diags(FILE *out, const char *file, const sfn_diags *d,
                         bool with_warnings)
{
    for (size_t i = 0; i < d->count; i++) {
        const sfn_diag *g = &d->items[i];
        bool warning = g->severity == SFN_SEV_WARNING;
        if (warning && !with_warnings)
            continue;
        const char *loc = g->location ? g->location : "";
        fprintf(out, "%s%s%s: %s%s: %s\n", file, *loc ? ":" : "", loc,
                warning ? "warning: " : "", g->code, g->message);
    }
}

void sfn_cli_remove_db(const char *path)
{
    char side[4096];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    snprintf(side, sizeof side, "%s.lock", path);
    unlink(side);
}
