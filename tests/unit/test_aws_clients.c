/* test_aws_clients.c: real AWS clients against the real binary.  Starts
 * `stepd serve` ($STEPD, set by CTest) on a free loopback port with SigV4
 * keys configured, then runs tests/aws/cli_flow.sh (Debian's AWS CLI) and
 * tests/aws/sdk_flow.mjs (@aws-sdk/client-sfn, installed here with npm ci
 * from tests/aws/package-lock.json), each a create -> start -> wait ->
 * describe -> history -> list -> stop -> delete flow asserting outputs and
 * event types; tests/aws/cli_callback.sh and sdk_tasks.mjs drive task
 * callbacks and an activity worker; tests/aws/rest_comp.sh (curl and the
 * CLI) and sdk_comp.mjs drive compensation (docs/compensation.md);
 * tests/aws/rest_redrive.sh (curl) and sdk_redrive.mjs RedriveExecution.  A
 * second server with a 1-second idle connection timeout runs
 * tests/aws/rest_tasks.sh (curl): long polls are not cut by that timeout.
 * Ends with SIGTERM and expects a clean exit. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdbool.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct server {
    pid_t pid;
    int port;
    char dir[64];
    char endpoint[64];
} server;

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) ||
        getsockname(fd, (struct sockaddr *)&a, &len)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

static int can_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* The short idle timeout of the second server (rest_tasks.sh). */
#define SHORT_TIMEOUT "1"

static pid_t spawn_server(const char *bin, server *s, bool short_timeout)
{
    char listen[32], db[96], log[96];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", s->port);
    snprintf(db, sizeof db, "%s/stepd.db", s->dir);
    snprintf(log, sizeof log, "%s/serve.log", s->dir);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (short_timeout)
            execl(bin, bin, "serve", "--listen", listen, "--db", db,
                  "--limits-connection-timeout-seconds", SHORT_TIMEOUT,
                  (char *)NULL);
        else
            execl(bin, bin, "serve", "--listen", listen, "--db", db,
                  "--auth-aws-keys", "AKIDSTEPDTEST:stepd-test-secret",
                  (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Starts a server in a fresh directory and waits until it listens;
 * NULL on failure (the log stays in its directory). */
static server *start_server(bool short_timeout)
{
    const char *bin = getenv("STEPD");
    if (!bin || access(bin, X_OK)) {
        fprintf(stderr, "test_aws_clients: $STEPD (the stepd binary) is "
                        "not set; run through ctest\n");
        return NULL;
    }
    server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    snprintf(s->dir, sizeof s->dir, "/tmp/stepd_aws_XXXXXX");
    if (!mkdtemp(s->dir) || (s->port = free_port()) < 0) {
        free(s);
        return NULL;
    }
    snprintf(s->endpoint, sizeof s->endpoint, "http://127.0.0.1:%d",
             s->port);
    s->pid = spawn_server(bin, s, short_timeout);
    /* readiness: poll the port (up to 10 s) rather than a fixed sleep */
    for (int i = 0; i < 1000 && !can_connect(s->port); i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (!can_connect(s->port)) {
        fprintf(stderr, "test_aws_clients: stepd serve did not listen; see "
                        "%s/serve.log\n",
                s->dir);
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        free(s);
        return NULL;
    }
    return s;
}

/* SIGTERM, then removes the directory when the exit was clean; false
 * when it was not. */
static bool stop_server(server *s)
{
    int status = 0;
    kill(s->pid, SIGTERM);
    waitpid(s->pid, &status, 0);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
    int clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (clean && system(cmd) != 0)
        fprintf(stderr, "test_aws_clients: could not remove %s\n", s->dir);
    if (!clean)
        fprintf(stderr, "test_aws_clients: stepd serve did not exit 0 on "
                        "SIGTERM (status %d); see %s/serve.log\n",
                status, s->dir);
    free(s);
    return clean;
}

static int group_setup(void **state)
{
    server *s = start_server(false);
    if (!s)
        return -1;
    setenv("AWS_ACCESS_KEY_ID", "AKIDSTEPDTEST", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "stepd-test-secret", 1);
    setenv("AWS_DEFAULT_REGION", "us-east-1", 1);
    setenv("AWS_REGION", "us-east-1", 1);
    setenv("AWS_PAGER", "", 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    /* Debian's awscli (scripts/deps.sh) over any other on PATH */
    if (!getenv("AWS_CLI") && !access("/usr/bin/aws", X_OK))
        setenv("AWS_CLI", "/usr/bin/aws", 1);
    *state = s;
    return 0;
}

static int group_teardown(void **state)
{
    server *s = *state;
    if (!s)
        return 0;
    return stop_server(s) ? 0 : -1;
}

/* Runs a shell command; its exit status. */
static int run(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_cli_flow(void **state)
{
    server *s = *state;
    assert_int_equal(run("bash tests/aws/cli_flow.sh %s", s->endpoint), 0);
}

static void test_cli_bad_signature(void **state)
{
    server *s = *state;
    assert_int_equal(
        run("AWS_SECRET_ACCESS_KEY=wrong \"${AWS_CLI:-aws}\" stepfunctions "
            "--endpoint-url %s list-state-machines 2>&1 | "
            "grep -q InvalidSignatureException",
            s->endpoint),
        0);
    assert_int_equal(
        run("AWS_ACCESS_KEY_ID=AKIDUNKNOWN \"${AWS_CLI:-aws}\" stepfunctions "
            "--endpoint-url %s list-state-machines 2>&1 | "
            "grep -q UnrecognizedClientException",
            s->endpoint),
        0);
}

static void need_sdk(void)
{
    struct stat sb;
    if (stat("tests/aws/node_modules/@aws-sdk/client-sfn/package.json",
             &sb) != 0)
        assert_int_equal(run("cd tests/aws && npm ci --no-audit --no-fund "
                             "--loglevel=error >/dev/null"),
                         0);
}

static void test_sdk_flow(void **state)
{
    server *s = *state;
    need_sdk();
    assert_int_equal(run("node --no-warnings tests/aws/sdk_flow.mjs %s",
                         s->endpoint),
                     0);
}

static void test_cli_callback(void **state)
{
    server *s = *state;
    assert_int_equal(run("bash tests/aws/cli_callback.sh %s", s->endpoint),
                     0);
}

static void test_sdk_tasks(void **state)
{
    server *s = *state;
    need_sdk();
    assert_int_equal(run("node --no-warnings tests/aws/sdk_tasks.mjs %s",
                         s->endpoint),
                     0);
}

static void test_rest_comp(void **state)
{
    server *s = *state;
    assert_int_equal(run("bash tests/aws/rest_comp.sh %s", s->endpoint), 0);
}

static void test_rest_redrive(void **state)
{
    server *s = *state;
    assert_int_equal(run("bash tests/aws/rest_redrive.sh %s", s->endpoint),
                     0);
}

static void test_sdk_redrive(void **state)
{
    server *s = *state;
    need_sdk();
    assert_int_equal(run("node --no-warnings tests/aws/sdk_redrive.mjs %s",
                         s->endpoint),
                     0);
}

static void test_sdk_comp(void **state)
{
    server *s = *state;
    need_sdk();
    assert_int_equal(run("node --no-warnings tests/aws/sdk_comp.mjs %s",
                         s->endpoint),
                     0);
}

/* Its own server: the idle connection timeout is 1 s there, and a long
 * poll of 3 s must still be answered. */
static void test_rest_long_poll(void **state)
{
    (void)state;
    server *s = start_server(true);
    assert_non_null(s);
    int rc = run("bash tests/aws/rest_tasks.sh %s", s->endpoint);
    assert_true(stop_server(s));
    assert_int_equal(rc, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_flow),
        cmocka_unit_test(test_cli_bad_signature),
        cmocka_unit_test(test_sdk_flow),
        cmocka_unit_test(test_cli_callback),
        cmocka_unit_test(test_sdk_tasks),
        cmocka_unit_test(test_rest_comp),
        cmocka_unit_test(test_rest_redrive),
        cmocka_unit_test(test_sdk_redrive),
        cmocka_unit_test(test_sdk_comp),
        cmocka_unit_test(test_rest_long_poll),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
