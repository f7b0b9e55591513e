/* service_fixture.h: a service (engine thread included) on a temporary
 * database (SQLite file, or a fresh PostgreSQL database under
 * STEPD_TEST_DB=pg: tdb_spec) for the service tests: setup/teardown with or
 * without a task
 * dispatcher, and helpers that call an action and check its answer.
 * Header-only so each test program gets its own copy. */
#ifndef SFN_SERVICE_FIXTURE_H
#define SFN_SERVICE_FIXTURE_H

#define SFX_UNUSED __attribute__((unused))
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "pg_fixture.h"
#include "sfn_aws_protocol.h"
#include "sfn_json.h"
#include "sfn_rest.h"
#include "sfn_service.h"
#include "sfn_sigv4.h"
#include "sfn_tasks.h"

#define M_ARN "arn:aws:states:us-east-1:123456789012:stateMachine:"
#define E_ARN "arn:aws:states:us-east-1:123456789012:execution:"
#define ROLE "arn:aws:iam::123456789012:role/r"
#define A_ARN "arn:aws:states:us-east-1:123456789012:activity:"

SFX_UNUSED static const char *PASS_DEF =
    "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
    "\"Result\":{\"ok\":1},\"ResultPath\":\"$.r\",\"End\":true}}}";
SFX_UNUSED static const char *WAIT_DEF =
    "{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\","
    "\"Seconds\":3600,\"End\":true}}}";

typedef struct fx {
    char path[PGFX_URL_MAX]; /* the store spec (tdb_spec) */
    char mock_path[64];
    sfn_tasks *tasks;
    sfn_service *svc;
} fx;

SFX_UNUSED static fx *fx_new(sfn_tasks *tasks)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    if (tdb_is_pg()) {
        assert_non_null(tdb_spec(f->path, sizeof f->path, "/"));
    } else {
        snprintf(f->path, sizeof f->path, "/tmp/test_service_XXXXXX");
        int fd = mkstemp(f->path);
        assert_true(fd >= 0);
        close(fd);
        unlink(f->path);
    }
    sfn_error err;
    sfn_service_opts o = {.db_path = f->path, .tasks = tasks};
    f->tasks = tasks;
    f->svc = sfn_service_new(&o, &err);
    assert_non_null(f->svc);
    return f;
}

SFX_UNUSED static int setup(void **state)
{
    *state = fx_new(NULL);
    return 0;
}

/* A service whose task dispatcher loads a Step Functions Local mock file:
 * machine "mocked", test case "Happy" mocks state T with {"paid":true},
 * test case "Declined" makes it throw Card.Declined. */
SFX_UNUSED static int setup_mock(void **state)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/test_service_mock_XXXXXX");
    int fd = mkstemp(path);
    static const char mock[] =
        "{\"StateMachines\":{\"mocked\":{\"TestCases\":{"
        "\"Happy\":{\"T\":\"Paid\"},\"Declined\":{\"T\":\"NoMoney\"}}}},"
        "\"MockedResponses\":{\"Paid\":{\"0\":{\"Return\":{\"paid\":true}}},"
        "\"NoMoney\":{\"0\":{\"Throw\":{\"Error\":\"Card.Declined\","
        "\"Cause\":\"no money\"}}}}}";
    assert_int_equal(write(fd, mock, sizeof mock - 1), (ssize_t)sizeof mock - 1);
    close(fd);
    sfn_tasks_config cfg = {.mock_file = path};
    sfn_error err;
    sfn_tasks *tasks = sfn_tasks_new(&cfg, &err);
    if (!tasks)
        fail_msg("sfn_tasks_new: %s", err.cause);
    fx *f = fx_new(tasks);
    snprintf(f->mock_path, sizeof f->mock_path, "%s", path);
    *state = f;
    return 0;
}

SFX_UNUSED static int teardown(void **state)
{
    fx *f = *state;
    sfn_service_free(f->svc);
    sfn_tasks_free(f->tasks);
    if (f->mock_path[0])
        unlink(f->mock_path);
    if (tdb_is_pg()) {
        tdb_release(f->path);
    } else {
        static const char *const sides[] = {"", "-wal", "-shm", ".lock"};
        char p[sizeof f->path + 8];
        for (size_t i = 0; i < sizeof sides / sizeof *sides; i++) {
            snprintf(p, sizeof p, "%s%s", f->path, sides[i]);
            unlink(p);
        }
    }
    free(f);
    return 0;
}

/* tasks.unbound = "start": a Task nothing can run refuses the start. */
SFX_UNUSED static int setup_unbound_start(void **state)
{
    sfn_tasks_config cfg = {.unbound = SFN_UNBOUND_AT_START,
                            .region = "us-east-1"};
    sfn_error err;
    sfn_tasks *tasks = sfn_tasks_new(&cfg, &err);
    if (!tasks)
        fail_msg("sfn_tasks_new: %s", err.cause);
    *state = fx_new(tasks);
    return 0;
}

/* Calls an action with a request given as JSON text. */
SFX_UNUSED static json_t *call(fx *f, const char *action, const char *req_text,
                    sfn_error *err)
{
    json_error_t je;
    json_t *req = json_loads(req_text, 0, &je);
    assert_non_null(req);
    json_t *out = sfn_service_call(f->svc, action, req, err);
    json_decref(req);
    return out;
}

SFX_UNUSED static json_t *ok(fx *f, const char *action, const char *fmt, ...)
{
    char text[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    sfn_error err;
    json_t *out = call(f, action, text, &err);
    if (!out)
        fail_msg("%s failed: %s: %s", action, err.name, err.cause);
    return out;
}

SFX_UNUSED static void fails(fx *f, const char *action, const char *type,
                  const char *fmt, ...)
{
    char text[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    sfn_error err;
    json_t *out = call(f, action, text, &err);
    if (out) {
        json_decref(out);
        fail_msg("%s succeeded, expected %s", action, type);
    }
    assert_string_equal(err.name, type);
}

SFX_UNUSED static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* A JSON string literal of text (for embedding definitions). */
SFX_UNUSED static char *quoted(const char *text)
{
    json_t *s = json_string(text);
    char *q = json_dumps(s, JSON_ENCODE_ANY);
    json_decref(s);
    return q;
}

SFX_UNUSED static void create(fx *f, const char *name, const char *def,
                   const char *type)
{
    char *q = quoted(def);
    json_t *o = ok(f, "CreateStateMachine",
                   "{\"name\":\"%s\",\"definition\":%s,\"roleArn\":\"" ROLE
                   "\",\"type\":\"%s\"}",
                   name, q, type);
    free(q);
    json_decref(o);
}

/* Polls DescribeExecution until it is no longer RUNNING. */
SFX_UNUSED static json_t *wait_end(fx *f, const char *arn)
{
    for (int i = 0; i < 500; i++) {
        json_t *d = ok(f, "DescribeExecution", "{\"executionArn\":\"%s\"}",
                       arn);
        if (strcmp(str(d, "status"), "RUNNING"))
            return d;
        json_decref(d);
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    fail_msg("execution %s did not end", arn);
    return NULL;
}

/* ---- state machines ---------------------------------------------------- */


#endif
