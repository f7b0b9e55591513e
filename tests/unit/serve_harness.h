/* serve_harness.h: runs the real `stepd serve` (or `stepd demo-service`;
 * binary in env STEPD, set by ctest) on a free loopback port for the
 * end-to-end tests.  Header-only: each test program gets its own copy.
 *
 * API (no function asserts: failures return a value and say why on stderr,
 * naming the log, so setups and tests alike can use them):
 *
 *   sh_now_ms()                     CLOCK_MONOTONIC in milliseconds
 *   sh_pause_ms(ms)                 a short pause between polls (deadlines
 *                                   bound the loops, not this)
 *   sh_reserve_port(&fd)            binds 127.0.0.1:0 and keeps the socket
 *                                   (close-on-exec) open in *fd so no other
 *                                   test is handed the port meanwhile; the
 *                                   port, -1 on failure
 *   sh_free_port()                  a loopback port nothing listens on (the
 *                                   socket already closed), -1 on failure
 *   sh_make_dir(s, "/tmp/x-XXXXXX") zeroes s, makes the temporary folder and
 *                                   sets s->db to the test's store (tdb_spec:
 *                                   DIR/stepd.db, or a fresh PostgreSQL
 *                                   database under STEPD_TEST_DB=pg) and
 *                                   s->log = DIR/serve.log; 0 or -1.  A
 *                                   caller may instead fill s->db / s->log
 *                                   itself.
 *   sh_start(s, &opts)              starts the server on a fresh port and
 *                                   waits (polling, bounded) until it is
 *                                   ready; when it exits because the port
 *                                   was taken after all ("cannot listen")
 *                                   it retries on another port.  0 or -1.
 *   sh_restart(s)                   the same command, db and port again
 *                                   (opts were copied by sh_start), retrying
 *                                   while the port is still held; a new
 *                                   port when s->port was set to 0; 0 or -1
 *   sh_spawn(s, &opts)              fork + exec only, on s->port (picked
 *                                   when 0): for a server that must refuse
 *                                   to start (opts NULL: the ones kept)
 *   sh_wait_ready(s, ms)            SH_READY, SH_EXITED (reaped) or
 *                                   SH_TIMEOUT
 *   sh_wait_exit(s, ms)             its exit code once it exits by itself;
 *                                   -1 when killed by a signal, or when it
 *                                   was still running after ms (then it is
 *                                   killed)
 *   sh_stop(s)                      SIGTERM, waits up to 20 s (then
 *                                   SIGKILL); exit code, -1 when it ended
 *                                   by a signal or was not running
 *   sh_kill(s)                      SIGKILL and reap (crash tests)
 *   sh_log(s)                       the log so far, malloc'd (NULL when
 *                                   unreadable); stdout and stderr both go
 *                                   there, appended across restarts
 *   sh_remove_dir(s)                rm -rf s->dir, and drops the database
 *                                   sh_make_dir created (if any)
 *
 * sh_opts (all optional, zero = default):
 *   command      "serve" (default) or e.g. "demo-service"
 *   listen_host  host of --listen (default 127.0.0.1); readiness is always
 *                polled on 127.0.0.1
 *   no_db        do not pass --db (demo-service)
 *   args, extra  NULL-terminated arguments appended after --listen/--db
 *   env          NULL-terminated name/value pairs set in the child; a NULL
 *                value unsets the name
 *   fsize_limit  > 0: RLIMIT_FSIZE in bytes with SIGXFSZ ignored, so writes
 *                past it fail with EFBIG as on a full disk
 *   ready        SH_READY_HEALTHZ (default: GET /healthz answers 200) or
 *                SH_READY_CONNECT (a TCP connect succeeds)
 *   ready_ms     readiness timeout (default 15000)
 *
 * The child gets PR_SET_PDEATHSIG SIGTERM, so a test that dies does not
 * leave a server holding ctest's pipes or the database.
 */
#ifndef SFN_SERVE_HARNESS_H
#define SFN_SERVE_HARNESS_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pg_fixture.h"

#define SH_UNUSED __attribute__((unused))

enum { SH_READY_HEALTHZ, SH_READY_CONNECT };
enum { SH_READY = 0, SH_EXITED = -1, SH_TIMEOUT = -2 };

typedef struct sh_opts {
    const char *command;
    const char *listen_host;
    bool no_db;
    const char *const *args;
    const char *const *extra;
    const char *const *env;
    rlim_t fsize_limit;
    int ready;
    int ready_ms;
} sh_opts;

enum { SH_MAX_ARGS = 48, SH_MAX_ENV = 8 };

typedef struct sh_server {
    pid_t pid;
    int port;
    int exit_status; /* raw waitpid status of the last reaped run */
    char dir[128], db[PGFX_URL_MAX], log[192];
    char made_db[PGFX_URL_MAX]; /* the database sh_make_dir created: the
                                   one sh_remove_dir drops */
    char base[64]; /* "http://127.0.0.1:PORT" */
    /* sh_start copies opts' strings here, so a restart does not depend on
     * the caller's arrays still being alive */
    sh_opts opts;
    char text[4096];
    const char *arg[SH_MAX_ARGS + 1];
    const char *env[2 * SH_MAX_ENV + 1];
} sh_server;

SH_UNUSED static int64_t sh_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

SH_UNUSED static void sh_pause_ms(int ms)
{
    poll(NULL, 0, ms);
}

SH_UNUSED static struct sockaddr_in sh_loopback(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    return a;
}

SH_UNUSED static int sh_reserve_port(int *fd_out)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = sh_loopback(0);
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) ||
        getsockname(fd, (struct sockaddr *)&a, &len)) {
        fprintf(stderr, "serve_harness: no free loopback port: %s\n",
                strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *fd_out = fd;
    return ntohs(a.sin_port);
}

SH_UNUSED static int sh_free_port(void)
{
    int fd = -1, port = sh_reserve_port(&fd);
    if (port > 0)
        close(fd);
    return port;
}

SH_UNUSED static int sh_make_dir(sh_server *s, const char *pattern)
{
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "%s", pattern);
    if (!mkdtemp(s->dir)) {
        fprintf(stderr, "serve_harness: mkdtemp %s: %s\n", pattern,
                strerror(errno));
        return -1;
    }
    /* a copy: GCC's -Wrestrict cannot tell s->dir from s->log when s
     * points into an array indexed at run time */
    char dir[sizeof s->dir];
    memcpy(dir, s->dir, sizeof dir);
    snprintf(s->log, sizeof s->log, "%s/serve.log", dir);
    if (!tdb_spec(s->db, sizeof s->db, dir))
        return -1;
    if (tdb_is_pg()) {
        size_t n = strnlen(s->db, sizeof s->made_db - 1);
        memcpy(s->made_db, s->db, n);
        s->made_db[n] = '\0';
    }
    return 0;
}

/* In the child, between fork and exec: only async-signal-safe calls and
 * _exit, so a failure shows as exit 126/127 in the parent. */
SH_UNUSED static void sh_child(const sh_server *s, char **argv)
{
    int fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
        _exit(126);
    close(fd);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    for (int i = 0; s->opts.env && s->opts.env[i]; i += 2) {
        if (s->opts.env[i + 1])
            setenv(s->opts.env[i], s->opts.env[i + 1], 1);
        else
            unsetenv(s->opts.env[i]);
    }
    if (s->opts.fsize_limit) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {s->opts.fsize_limit, s->opts.fsize_limit};
        if (setrlimit(RLIMIT_FSIZE, &rl))
            _exit(126);
    }
    execv(argv[0], argv);
    _exit(127);
}

SH_UNUSED static int sh_append_args(char **argv, int n, int cap,
                          const char *const *more)
{
    for (int i = 0; more && more[i] && n < cap - 1; i++)
        argv[n++] = (char *)more[i];
    return n;
}

/* Copies `str` into s->text at *used; NULL stays NULL. */
SH_UNUSED static const char *sh_keep(sh_server *s, size_t *used, const char *str)
{
    if (!str)
        return NULL;
    size_t n = strlen(str) + 1;
    if (*used + n > sizeof s->text)
        return NULL;
    char *at = memcpy(s->text + *used, str, n);
    *used += n;
    return at;
}

/* Copies every string of opts into s; false when they do not fit. */
SH_UNUSED static bool sh_keep_opts(sh_server *s, const sh_opts *opts)
{
    size_t used = 0, n = 0;
    s->opts = opts ? *opts : (sh_opts){0};
    const char *const *lists[2] = {s->opts.args, s->opts.extra};
    for (int l = 0; l < 2; l++)
        for (int i = 0; lists[l] && lists[l][i]; i++, n++)
            if (n == SH_MAX_ARGS ||
                !(s->arg[n] = sh_keep(s, &used, lists[l][i])))
                return false;
    s->arg[n] = NULL;
    for (n = 0; s->opts.env && s->opts.env[n]; n += 2) {
        if (n == 2 * SH_MAX_ENV ||
            !(s->env[n] = sh_keep(s, &used, s->opts.env[n])))
            return false;
        s->env[n + 1] = s->opts.env[n + 1]
                            ? sh_keep(s, &used, s->opts.env[n + 1])
                            : NULL;
        if (s->opts.env[n + 1] && !s->env[n + 1])
            return false;
    }
    s->env[n] = NULL;
    s->opts.command = sh_keep(s, &used, s->opts.command);
    s->opts.listen_host = sh_keep(s, &used, s->opts.listen_host);
    if ((opts && opts->command && !s->opts.command) ||
        (opts && opts->listen_host && !s->opts.listen_host))
        return false;
    s->opts.args = s->arg;
    s->opts.extra = NULL;
    s->opts.env = s->env;
    return true;
}

SH_UNUSED static int sh_spawn(sh_server *s, const sh_opts *opts)
{
    if (opts && !sh_keep_opts(s, opts)) {
        fprintf(stderr, "serve_harness: more than %d arguments, %d "
                        "environment variables or %zu bytes of them\n",
                SH_MAX_ARGS, SH_MAX_ENV, sizeof s->text);
        return -1;
    }
    const char *bin = getenv("STEPD");
    if (!bin || access(bin, X_OK)) {
        fprintf(stderr, "serve_harness: $STEPD (the stepd binary) is not "
                        "set; run through ctest\n");
        return -1;
    }
    if (s->port <= 0 && (s->port = sh_free_port()) <= 0)
        return -1;
    snprintf(s->base, sizeof s->base, "http://127.0.0.1:%d", s->port);
    char listen[96];
    snprintf(listen, sizeof listen, "%s:%d",
             s->opts.listen_host ? s->opts.listen_host : "127.0.0.1",
             s->port);
    char *argv[64] = {(char *)bin,
                      (char *)(s->opts.command ? s->opts.command : "serve"),
                      "--listen", listen};
    int n = 4;
    if (!s->opts.no_db) {
        argv[n++] = "--db";
        argv[n++] = s->db;
    }
    n = sh_append_args(argv, n, 64, s->opts.args);
    n = sh_append_args(argv, n, 64, s->opts.extra);
    argv[n] = NULL;
    s->pid = fork();
    if (s->pid < 0) {
        fprintf(stderr, "serve_harness: fork: %s\n", strerror(errno));
        s->pid = 0;
        return -1;
    }
    if (s->pid == 0)
        sh_child(s, argv);
    return 0;
}

/* Waits up to ms for fd to become ready for `events`. */
SH_UNUSED static bool sh_fd_ready(int fd, short events, int ms)
{
    struct pollfd p = {fd, events, 0};
    return poll(&p, 1, ms) == 1 && (p.revents & events);
}

SH_UNUSED static int sh_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = sh_loopback(port);
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One GET /healthz with a bounded wait for the answer: is it a 200? */
SH_UNUSED static bool sh_healthz_ok(int port)
{
    int fd = sh_connect(port);
    if (fd < 0)
        return false;
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Connection: close\r\n\r\n";
    char ans[64] = {0};
    size_t got = 0;
    bool sent = send(fd, req, sizeof req - 1, MSG_NOSIGNAL) ==
                (ssize_t)(sizeof req - 1);
    while (sent && got < sizeof ans - 1 && sh_fd_ready(fd, POLLIN, 1000)) {
        ssize_t k = recv(fd, ans + got, sizeof ans - 1 - got, 0);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(fd);
    return !strncmp(ans, "HTTP/1.1 200", 12) ||
           !strncmp(ans, "HTTP/1.0 200", 12);
}

SH_UNUSED static bool sh_is_ready(const sh_server *s)
{
    if (s->opts.ready == SH_READY_CONNECT) {
        int fd = sh_connect(s->port);
        if (fd >= 0)
            close(fd);
        return fd >= 0;
    }
    return sh_healthz_ok(s->port);
}

SH_UNUSED static int sh_wait_ready(sh_server *s, int ms)
{
    int64_t deadline = sh_now_ms() + ms;
    while (!sh_is_ready(s)) {
        if (waitpid(s->pid, &s->exit_status, WNOHANG) == s->pid) {
            s->pid = 0;
            return SH_EXITED;
        }
        if (sh_now_ms() > deadline)
            return SH_TIMEOUT;
        sh_pause_ms(10);
    }
    return SH_READY;
}

SH_UNUSED static int sh_kill(sh_server *s)
{
    if (s->pid <= 0)
        return -1;
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &s->exit_status, 0);
    s->pid = 0;
    return WIFEXITED(s->exit_status) ? WEXITSTATUS(s->exit_status) : -1;
}

SH_UNUSED static int sh_wait_exit(sh_server *s, int ms)
{
    int64_t deadline = sh_now_ms() + ms;
    while (s->pid > 0 && waitpid(s->pid, &s->exit_status, WNOHANG) != s->pid) {
        if (sh_now_ms() > deadline) {
            sh_kill(s);
            return -1;
        }
        sh_pause_ms(10);
    }
    s->pid = 0;
    return WIFEXITED(s->exit_status) ? WEXITSTATUS(s->exit_status) : -1;
}

SH_UNUSED static int sh_stop(sh_server *s)
{
    if (s->pid <= 0)
        return -1;
    kill(s->pid, SIGTERM);
    int64_t deadline = sh_now_ms() + 20000;
    while (waitpid(s->pid, &s->exit_status, WNOHANG) != s->pid) {
        if (sh_now_ms() > deadline) {
            fprintf(stderr, "serve_harness: stepd still running 20 s after "
                            "SIGTERM; killed (see %s)\n", s->log);
            return sh_kill(s), -1;
        }
        sh_pause_ms(10);
    }
    s->pid = 0;
    return WIFEXITED(s->exit_status) ? WEXITSTATUS(s->exit_status) : -1;
}

SH_UNUSED static char *sh_log(const sh_server *s)
{
    FILE *f = fopen(s->log, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        char *more = realloc(buf, cap *= 2);
        if (!more)
            free(buf);
        buf = more;
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

SH_UNUSED static long sh_log_size(const sh_server *s)
{
    struct stat st;
    return stat(s->log, &st) ? 0 : (long)st.st_size;
}

/* Did the log, from byte `from` on, say the port could not be bound? */
SH_UNUSED static bool sh_port_taken_since(const sh_server *s, long from)
{
    char *log = sh_log(s);
    bool taken = log && (long)strlen(log) >= from &&
                 strstr(log + from, "cannot listen on");
    free(log);
    return taken;
}

SH_UNUSED static void sh_report(const sh_server *s, int why)
{
    const char *cmd = s->opts.command ? s->opts.command : "serve";
    if (why == SH_TIMEOUT)
        fprintf(stderr, "serve_harness: stepd %s on port %d was not ready "
                        "within %d ms; see %s\n",
                cmd, s->port, s->opts.ready_ms, s->log);
    else
        fprintf(stderr, "serve_harness: stepd %s on port %d exited before "
                        "it was ready (status %d); see %s\n",
                cmd, s->port, s->exit_status, s->log);
}

/* One start on s->port (reserved in reserved_fd, or -1); a ready server,
 * or SH_EXITED / SH_TIMEOUT with the child gone. */
SH_UNUSED static int sh_attempt(sh_server *s, int reserved_fd)
{
    /* Released only now, just before exec: the race window for another
     * test picking the same port is the fork and exec, not the whole
     * setup. */
    if (reserved_fd >= 0)
        close(reserved_fd);
    if (sh_spawn(s, NULL))
        return SH_EXITED;
    int why = sh_wait_ready(s, s->opts.ready_ms);
    if (why == SH_TIMEOUT)
        sh_kill(s);
    return why;
}

SH_UNUSED static int sh_start(sh_server *s, const sh_opts *opts)
{
    sh_opts none = {0};
    if (!sh_keep_opts(s, opts ? opts : &none)) {
        fprintf(stderr, "serve_harness: more than %d arguments, %d "
                        "environment variables or %zu bytes of them\n",
                SH_MAX_ARGS, SH_MAX_ENV, sizeof s->text);
        return -1;
    }
    if (!s->opts.ready_ms)
        s->opts.ready_ms = 15000;
    int why = SH_EXITED;
    for (int attempt = 0; attempt < 5; attempt++) {
        int fd = -1;
        if ((s->port = sh_reserve_port(&fd)) < 0)
            return -1;
        long from = sh_log_size(s);
        why = sh_attempt(s, fd);
        if (why == SH_READY)
            return 0;
        if (why == SH_TIMEOUT || !sh_port_taken_since(s, from))
            break;
    }
    sh_report(s, why);
    return -1;
}

/* A restart right after a kill may find the port still held for a moment:
 * a server that exits is started again, up to 20 times. */
SH_UNUSED static int sh_restart(sh_server *s)
{
    bool fresh_port = s->port <= 0;
    int why = SH_EXITED;
    for (int attempt = 0; attempt < 20; attempt++) {
        if (fresh_port)
            s->port = 0;
        why = sh_attempt(s, -1);
        if (why == SH_READY)
            return 0;
        if (why == SH_TIMEOUT)
            break;
        sh_pause_ms(100);
    }
    sh_report(s, why);
    return -1;
}

SH_UNUSED static void sh_remove_dir(const sh_server *s)
{
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
    if (s->dir[0] && system(cmd) != 0)
        fprintf(stderr, "serve_harness: could not remove %s\n", s->dir);
    if (s->made_db[0])
        tdb_release(s->made_db);
}

#endif
