/* cli_harness.h: runs the real `stepd` binary (path in env STEPD, set by
 * ctest) for the CLI tests: captures exit status, stdout and stderr, writes
 * fixture files into a per-test temporary folder, and names the store a
 * --db gets (cli_db: a file there, or a PostgreSQL database).  Header-only
 * so each test program gets its own copy. */
#ifndef SFN_CLI_HARNESS_H
#define SFN_CLI_HARNESS_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pg_fixture.h"

#define SFN_UNUSED __attribute__((unused))

static char tmpdir[] = "/tmp/stepd-test-cli-XXXXXX";

typedef struct {
    int status; /* exit code, or -1 when killed */
    char *out, *err;
} run_result;

SFN_UNUSED static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        buf = realloc(buf, cap *= 2);
        assert_non_null(buf);
    }
    fclose(f);
    buf[n] = '\0';
    return buf;
}

SFN_UNUSED static void redirect(const char *path, int fd, int flags)
{
    int f = open(path, flags, 0600);
    if (f < 0 || dup2(f, fd) < 0)
        _exit(127);
    close(f);
}

/* Runs `stepd args...` (NULL-terminated) with stdin from `in_path` (or
 * /dev/null) and captures stdout / stderr. */
SFN_UNUSED static run_result run(const char *in_path, const char *const *args)
{
    const char *bin = getenv("STEPD");
    char out_path[128], err_path[128], *argv[32];
    snprintf(out_path, sizeof out_path, "%s/stdout", tmpdir);
    snprintf(err_path, sizeof err_path, "%s/stderr", tmpdir);
    size_t n = 0;
    argv[n++] = (char *)bin;
    for (; args[n - 1] && n < 31; n++)
        argv[n] = (char *)args[n - 1];
    argv[n] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        redirect(in_path ? in_path : "/dev/null", 0, O_RDONLY);
        redirect(out_path, 1, O_WRONLY | O_CREAT | O_TRUNC);
        redirect(err_path, 2, O_WRONLY | O_CREAT | O_TRUNC);
        execv(bin, argv);
        _exit(127);
    }
    int ws = 0;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    run_result r = {WIFEXITED(ws) ? WEXITSTATUS(ws) : -1, slurp(out_path),
                    slurp(err_path)};
    return r;
}

SFN_UNUSED static void run_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

SFN_UNUSED static char *write_tmp(const char *name, const char *text)
{
    char *path = malloc(256);
    assert_non_null(path);
    snprintf(path, 256, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

SFN_UNUSED static bool has(const char *text, const char *needle)
{
    if (strstr(text, needle))
        return true;
    print_error("missing: %s\nin:\n%s\n", needle, text);
    return false;
}

/* The store for `--db`: TMPDIR/name, or under STEPD_TEST_DB=pg a fresh
 * PostgreSQL database made at the first call with that name and handed out
 * again for the same name afterwards, so a `run` and a later `history` on
 * "x.db" meet in one database (cli_db_release drops them all).  Returns
 * buf; fails the test when no store can be made. */
enum { CLI_DBS_MAX = 16 };
static struct {
    char name[64];
    char spec[PGFX_URL_MAX];
} cli__dbs[CLI_DBS_MAX] SFN_UNUSED;
static int cli__n_dbs SFN_UNUSED;

SFN_UNUSED static const char *cli_db(char *buf, size_t n, const char *name)
{
    if (!tdb_is_pg()) {
        snprintf(buf, n, "%s/%s", tmpdir, name);
        return buf;
    }
    int i = 0;
    while (i < cli__n_dbs && strcmp(cli__dbs[i].name, name))
        i++;
    if (i == cli__n_dbs) {
        if (i == CLI_DBS_MAX || strlen(name) >= sizeof cli__dbs[i].name)
            fail_msg("cli_db: no room for database %s", name);
        if (!tdb_spec(cli__dbs[i].spec, sizeof cli__dbs[i].spec, tmpdir))
            fail_msg("no database for %s", name);
        strcpy(cli__dbs[i].name, name);
        cli__n_dbs++;
    }
    if ((size_t)snprintf(buf, n, "%s", cli__dbs[i].spec) >= n)
        fail_msg("cli_db: %s does not fit %zu bytes", cli__dbs[i].spec, n);
    return buf;
}

/* Drops the databases cli_db made (a SQLite file goes with tmpdir). */
SFN_UNUSED static void cli_db_release(void)
{
    for (int i = 0; i < cli__n_dbs; i++)
        tdb_release(cli__dbs[i].spec);
    cli__n_dbs = 0;
}

#endif
