/* test_service_async.c: actions answered later (sfn_service_call_async)
 * and deferral scopes on a temporary database: the answer arrives through
 * the callback after the commit, checks fail at once, other actions stay
 * synchronous, a scope's second run reads the answer, abandoning gives
 * ServiceUnavailable, and released long polls answer empty at once.  The
 * store is SQLite, or PostgreSQL in the _pg twin (tdb_spec). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pg_fixture.h"
#include "sfn_service.h"

#define M_ARN "arn:aws:states:us-east-1:123456789012:stateMachine:"
#define E_ARN "arn:aws:states:us-east-1:123456789012:execution:"
#define A_ARN "arn:aws:states:us-east-1:123456789012:activity:"

static const char *WAIT_DEF =
    "{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\","
    "\"Seconds\":3600,\"End\":true}}}";

typedef struct fx {
    char dir[40], path[PGFX_URL_MAX]; /* the store spec (tdb_spec) in dir */
    sfn_service *svc;
    /* the callback's report */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int answers;
    sfn_service_async *a;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/test_service_async_XXXXXX");
    if (!mkdtemp(f->dir) || !tdb_spec(f->path, sizeof f->path, f->dir))
        return -1;
    sfn_service_opts o = {.db_path = f->path};
    sfn_error err;
    f->svc = sfn_service_new(&o, &err);
    assert_non_null(f->svc);
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    json_t *req = json_pack("{s:s,s:s,s:s}", "name", "waiter", "definition",
                            WAIT_DEF, "roleArn",
                            "arn:aws:iam::123456789012:role/r");
    json_t *out = sfn_service_call(f->svc, "CreateStateMachine", req, &err);
    assert_non_null(out);
    json_decref(out);
    json_decref(req);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sfn_service_free(f->svc);
    tdb_release(f->path);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    free(f);
    return rc;
}

static void on_done(void *ud, sfn_service_async *a)
{
    fx *f = ud;
    pthread_mutex_lock(&f->mu);
    f->answers++;
    f->a = a;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

static void on_ready(void *ud)
{
    on_done(ud, NULL);
}

/* Waits (condition variable, 10 s deadline) for the n-th answer. */
static void wait_answers(fx *f, int n)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 10;
    pthread_mutex_lock(&f->mu);
    while (f->answers < n)
        if (pthread_cond_timedwait(&f->cv, &f->mu, &ts))
            break;
    int got = f->answers;
    pthread_mutex_unlock(&f->mu);
    assert_int_equal(got, n);
}

static json_t *start_req(const char *name)
{
    return json_pack("{s:s,s:s,s:s}", "stateMachineArn", M_ARN "waiter",
                     "name", name, "input", "{\"x\":1}");
}

static void test_start_answered_by_callback(void **state)
{
    fx *f = *state;
    json_t *req = start_req("a1"), *out = NULL;
    sfn_error err;
    assert_true(sfn_service_call_async(f->svc, "StartExecution", req,
                                       on_done, f, &out, &err));
    json_decref(req); /* the job keeps its own reference */
    assert_null(out);
    wait_answers(f, 1);
    out = sfn_service_async_result(f->a, &err);
    assert_non_null(out);
    assert_string_equal(
        json_string_value(json_object_get(out, "executionArn")),
        E_ARN "waiter:a1");
    assert_non_null(json_object_get(out, "startDate"));
    json_decref(out);
    /* durable: a read on another connection sees it */
    req = json_pack("{s:s}", "executionArn", E_ARN "waiter:a1");
    out = sfn_service_call(f->svc, "DescribeExecution", req, &err);
    assert_non_null(out);
    assert_string_equal(json_string_value(json_object_get(out, "status")),
                        "RUNNING");
    json_decref(out);
    json_decref(req);
}

static void test_bad_start_fails_at_once(void **state)
{
    fx *f = *state;
    json_t *req = json_pack("{s:s}", "stateMachineArn", "arn:nope"), *out;
    sfn_error err;
    assert_false(sfn_service_call_async(f->svc, "StartExecution", req,
                                        on_done, f, &out, &err));
    assert_null(out);
    assert_string_equal(err.name, "InvalidArn");
    json_decref(req);
    req = start_req("bad name");
    assert_false(sfn_service_call_async(f->svc, "StartExecution", req,
                                        on_done, f, &out, &err));
    assert_string_equal(err.name, "InvalidName");
    json_decref(req);
    assert_int_equal(f->answers, 0);
}

static void test_other_actions_synchronous(void **state)
{
    fx *f = *state;
    json_t *req = json_object(), *out = NULL;
    sfn_error err;
    assert_false(sfn_service_call_async(f->svc, "ListStateMachines", req,
                                        on_done, f, &out, &err));
    assert_non_null(out);
    assert_int_equal(json_array_size(json_object_get(out, "stateMachines")),
                     1);
    json_decref(out);
    json_decref(req);
}

/* A handler run twice in a scope: the first run hands the start over and
 * gets nothing, the second reads the answer; later calls are plain. */
static void test_scope_replays_answer(void **state)
{
    fx *f = *state;
    sfn_service_scope *s = sfn_service_scope_new(f->svc, on_ready, f);
    assert_non_null(s);
    json_t *req = start_req("s1");
    sfn_error err;
    sfn_service_scope_enter(s);
    assert_null(sfn_service_call(f->svc, "StartExecution", req, &err));
    assert_true(sfn_service_scope_leave(s));
    wait_answers(f, 1);
    sfn_service_scope_enter(s);
    json_t *out = sfn_service_call(f->svc, "StartExecution", req, &err);
    assert_false(sfn_service_scope_leave(s));
    assert_non_null(out);
    assert_string_equal(
        json_string_value(json_object_get(out, "executionArn")),
        E_ARN "waiter:s1");
    json_decref(out);
    /* same name and input, still running: the same execution, now
     * synchronously (the scope answered its one call) */
    sfn_service_scope_enter(s);
    out = sfn_service_call(f->svc, "StartExecution", req, &err);
    assert_false(sfn_service_scope_leave(s));
    assert_non_null(out);
    assert_string_equal(
        json_string_value(json_object_get(out, "executionArn")),
        E_ARN "waiter:s1");
    json_decref(out);
    json_decref(req);
    sfn_service_scope_free(s);
    assert_int_equal(f->answers, 1);
}

/* Giving up on a long poll: ready never runs, the second run gets
 * ServiceUnavailable; releasing the polls then lets the engine drop it. */
static void test_scope_abandon(void **state)
{
    fx *f = *state;
    sfn_error err;
    json_t *req = json_pack("{s:s}", "name", "q");
    json_t *out = sfn_service_call(f->svc, "CreateActivity", req, &err);
    assert_non_null(out);
    json_decref(out);
    json_decref(req);
    sfn_service_scope *s = sfn_service_scope_new(f->svc, on_ready, f);
    req = json_pack("{s:s}", "activityArn", A_ARN "q");
    sfn_service_scope_enter(s);
    assert_null(sfn_service_call(f->svc, "GetActivityTask", req, &err));
    assert_true(sfn_service_scope_leave(s));
    assert_true(sfn_service_scope_abandon(s));
    assert_false(sfn_service_scope_abandon(s));
    sfn_service_scope_enter(s);
    assert_null(sfn_service_call(f->svc, "GetActivityTask", req, &err));
    assert_false(sfn_service_scope_leave(s));
    assert_string_equal(err.name, "ServiceUnavailable");
    sfn_service_scope_free(s);
    sfn_service_release_polls(f->svc);
    json_decref(req);
    assert_int_equal(f->answers, 0);
}

/* A 60-second poll answered {} as soon as the polls are released. */
static void test_release_polls_answers_empty(void **state)
{
    fx *f = *state;
    sfn_error err;
    json_t *req = json_pack("{s:s}", "name", "idle");
    json_t *out = sfn_service_call(f->svc, "CreateActivity", req, &err);
    json_decref(out);
    json_decref(req);
    req = json_pack("{s:s,s:s}", "activityArn", A_ARN "idle", "workerName",
                    "w1");
    assert_true(sfn_service_call_async(f->svc, "GetActivityTask", req,
                                       on_done, f, &out, &err));
    json_decref(req);
    sfn_service_release_polls(f->svc);
    wait_answers(f, 1);
    out = sfn_service_async_result(f->a, &err);
    assert_non_null(out);
    assert_int_equal(json_object_size(out), 0);
    json_decref(out);
}

static void test_poll_unknown_activity(void **state)
{
    fx *f = *state;
    sfn_error err;
    json_t *out = NULL;
    json_t *req = json_pack("{s:s}", "activityArn", A_ARN "missing");
    assert_false(sfn_service_call_async(f->svc, "GetActivityTask", req,
                                        on_done, f, &out, &err));
    assert_null(out);
    assert_string_equal(err.name, "ActivityDoesNotExist");
    json_decref(req);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_start_answered_by_callback),
        T(test_bad_start_fails_at_once),
        T(test_other_actions_synchronous),
        T(test_scope_replays_answer),
        T(test_scope_abandon),
        T(test_release_polls_answers_empty),
        T(test_poll_unknown_activity),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
