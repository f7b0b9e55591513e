/* kill_harness.h: the SIGKILL campaigns of the engine-level recovery tests
 * (test_recovery.c, test_http_recovery.c, test_comp_recovery.c): forked
 * children that recover the engine from a database and run it with a task
 * dispatcher, killed at a random moment once the work they do has begun.
 * A child reports "ran to the end" through a pipe, not its exit status:
 * under valgrind the exit status of a forked child reports the parent's
 * test-server memory, inherited without its threads, as leaked.
 * Header-only so each test program gets its own copy.
 *
 * The database is a SQLite file in a temporary folder, or a fresh
 * PostgreSQL database under STEPD_TEST_DB=pg (tdb_spec).  Every engine of
 * a campaign is one node (KH_NODE): a child started after a kill claims
 * the dead one's executions at once instead of waiting for its lease to
 * expire.
 *
 *   kh_compile(text)                      graph of a definition (fails the test
 *                                         when it does not compile)
 *   kh_db_new(spec, n, dir)               mkdtemp(dir) and the store spec in
 *                                         it (spec: PGFX_URL_MAX bytes)
 *   kh_db_drop(spec, dir)                 drops the database, removes dir
 *   kh_open_store(spec)                   the node's engine connection
 *   kh_run_child_to_end(spec, loader)     a child until idle; true when it got
 *                                         there
 *   kh_kill_cycle(spec, loader, begun, ud, tries, min_ms, spread_ms)
 *                                         a child killed min_ms + rand() %
 *                                         (spread_ms + 1) ms after begun(ud,
 *                                         50) first says true (polled up to
 *                                         `tries` times; begun NULL: after
 *                                         the fork); 1 when the kill landed,
 *                                         0 when the child had ended
 */
#ifndef SFN_KILL_HARNESS_H
#define SFN_KILL_HARNESS_H

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pg_fixture.h"
#include "sfn_asl.h"
#include "sfn_engine.h"
#include "sfn_store.h"
#include "sfn_tasks.h"

#define KH_UNUSED __attribute__((unused))

KH_UNUSED static sfn_graph *kh_compile(const char *text)
{
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    sfn_asl_opts o = {0};
    if (sfn_asl_compile_text(text, strlen(text), &o, &d, &g) != SFN_OK)
        fail_msg("machine does not compile: %s at %s",
                 d.count ? d.items[0].message : "?",
                 d.count ? d.items[0].location : "");
    sfn_diags_free(&d);
    return g;
}

#define KH_NODE "t-kill"

/* every engine of a campaign, the parent's and the children's */
static const sfn_store_opts kh__node = {.engine = true, .node_id = KH_NODE};

KH_UNUSED static sfn_store *kh_open_store(const char *spec)
{
    sfn_store *s = NULL;
    sfn_error err;
    if (sfn_store_open(spec, &kh__node, &s, &err) != SFN_OK)
        fail_msg("cannot open store %s: %s", spec, err.cause);
    return s;
}

KH_UNUSED static void kh_db_new(char *spec, size_t n, char *dir)
{
    if (!mkdtemp(dir))
        fail_msg("mkdtemp %s: %s", dir, strerror(errno));
    if (!tdb_spec(spec, n, dir))
        fail_msg("no store for %s", dir);
}

KH_UNUSED static void kh_db_drop(const char *spec, const char *dir)
{
    tdb_release(spec);
    char cmd[PGFX_URL_MAX];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "kill_harness: could not remove %s\n", dir);
}

/* PostgreSQL: waits (up to 10 s) until no other session is connected to
 * the database.  A killed child's server session may still hold row locks
 * for a moment; a claim that ran meanwhile would skip those executions
 * (SKIP LOCKED), and the next child, the same node, would never see them. */
static void kh__wait_sessions_gone(const char *spec)
{
    if (!sfn_store_spec_is_url(spec))
        return;
    PGconn *c = PQconnectdb(spec);
    bool quiet = false;
    for (int i = 0; i < 1000 && !quiet && PQstatus(c) == CONNECTION_OK;
         i++) {
        if (i)
            nanosleep(&(struct timespec){0, 10000000L}, NULL);
        PGresult *r = PQexec(c, "SELECT count(*) FROM pg_stat_activity"
                                " WHERE datname = current_database()"
                                " AND pid <> pg_backend_pid()");
        quiet = PQresultStatus(r) == PGRES_TUPLES_OK &&
                !strcmp(PQgetvalue(r, 0, 0), "0");
        PQclear(r);
    }
    if (!quiet)
        fprintf(stderr, "kill_harness: other sessions still on %s (%s); "
                "starting the child anyway\n", spec,
                PQstatus(c) == CONNECTION_OK ? "after 10 s"
                                             : PQerrorMessage(c));
    PQfinish(c);
}

/* Child: recover and run until idle, write "k" to `done`, exit.  It never
 * touches the test server, whose threads live in the parent. */
static void kh__child(const char *spec, sfn_graph_loader loader, int done)
{
    sfn_store *s = NULL;
    sfn_error err;
    sfn_tasks_config tc = {0};
    sfn_tasks *t = NULL;
    sfn_engine *e = NULL;
    if (sfn_store_open(spec, &kh__node, &s, &err) != SFN_OK ||
        !(t = sfn_tasks_new(&tc, &err))) {
        fprintf(stderr, "child: %s\n", err.cause);
        _exit(3);
    }
    sfn_engine_opts o = {.store = s, .load_graph = loader, .tasks = t};
    if (!(e = sfn_engine_new(&o, &err)) ||
        sfn_engine_recover(e, NULL, &err) != SFN_OK ||
        sfn_engine_run_until_idle(e, &err) != SFN_OK) {
        fprintf(stderr, "child: %s\n", err.cause);
        _exit(3);
    }
    sfn_engine_free(e);
    sfn_tasks_free(t);
    sfn_store_close(s);
    _exit(write(done, "k", 1) == 1 ? 0 : 4);
}

/* Forks a child; *done_fd gets the read end of its pipe. */
static pid_t kh__spawn(const char *spec, sfn_graph_loader loader,
                       int *done_fd)
{
    kh__wait_sessions_gone(spec);
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        kh__child(spec, loader, p[1]);
    }
    close(p[1]);
    *done_fd = p[0];
    return pid;
}

/* Whether the child said it finished (reads and closes fd). */
static bool kh__finished(int fd)
{
    char c = 0;
    bool ok = read(fd, &c, 1) == 1 && c == 'k';
    close(fd);
    return ok;
}

KH_UNUSED static bool kh_run_child_to_end(const char *spec,
                                          sfn_graph_loader loader)
{
    int fd;
    pid_t pid = kh__spawn(spec, loader, &fd);
    int status = 0;
    waitpid(pid, &status, 0);
    return kh__finished(fd);
}

KH_UNUSED static int kh_kill_cycle(const char *spec, sfn_graph_loader loader,
                                   bool (*begun)(void *ud, int wait_ms),
                                   void *ud, int tries, int min_ms,
                                   int spread_ms)
{
    int fd;
    pid_t pid = kh__spawn(spec, loader, &fd);
    int status = 0;
    pid_t gone = 0;
    for (int i = 0; begun && i < tries && !begun(ud, 50) &&
                    (gone = waitpid(pid, &status, WNOHANG)) == 0;
         i++)
        ;
    if (gone != pid) {
        struct timespec ts = {
            0, (long)(rand() % (spread_ms + 1) + min_ms) * 1000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    bool done = kh__finished(fd);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && !done)
        return 1;
    assert_true(done); /* it finished before the kill */
    return 0;
}

#endif
