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

#include "serve_harness.h"

typedef struct server {
    sh_server sh;
    char endpoint[64];
} server;

/* The short idle timeout of the second server (rest_tasks.sh). */
#define SHORT_TIMEOUT "1"

/* Starts a server in a fresh directory and waits until it is ready;
 * NULL on failure (the log stays in its directory). */
static server *start_server(bool short_timeout)
{
    static const char *const keys[] = {
        "--auth-aws-keys", "AKIDSTEPDTEST:stepd-test-secret", NULL};
    static const char *const short_idle[] = {
        "--limits-connection-timeout-seconds", SHORT_TIMEOUT, NULL};
    server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    sh_opts o = {.args = short_timeout ? short_idle : keys};
    if (sh_make_dir(&s->sh, "/tmp/stepd_aws_XXXXXX") ||
        sh_start(&s->sh, &o)) {
        free(s);
        return NULL;
    }
    snprintf(s->endpoint, sizeof s->endpoint, "%s", s->sh.base);
    return s;
}

/* SIGTERM, then removes the directory when the exit was clean; false
 * when it was not. */
static bool stop_server(server *s)
{
    int code = sh_stop(&s->sh);
    bool clean = code == 0;
    if (clean)
        sh_remove_dir(&s->sh);
    else
        fprintf(stderr, "test_aws_clients: stepd serve did not exit 0 on "
                        "SIGTERM (status %d); see %s\n",
                s->sh.exit_status, s->sh.log);
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
