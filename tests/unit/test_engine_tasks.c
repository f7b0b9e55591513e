/* test_engine_tasks.c: callback tasks (.waitForTaskToken) and activities in
 * the durable engine, with the engine on its own thread and a fake clock:
 * token in Parameters, TaskSubmitted, SendTaskSuccess/Failure/Heartbeat,
 * single-use tokens, a new token per retry, heartbeat and task timeouts,
 * GetActivityTask long polls, and a waiting callback surviving a restart.
 * The store is SQLite, or PostgreSQL in the _pg twin (tdb_spec), except for
 * the activity cases (setup_file). */
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
#include "sfn_asl.h"
#include "sfn_engine.h"
#include "sfn_json.h"
#include "sfn_store.h"

#define ACT "arn:aws:states:us-east-1:123456789012:activity:work"

static const char cb_def[] =
    "{\"StartAt\":\"Ask\",\"States\":{\"Ask\":{\"Type\":\"Task\","
    "\"Resource\":\"arn:stepd:task:sleep.waitForTaskToken\","
    "\"Parameters\":{\"token.$\":\"$$.Task.Token\",\"q.$\":\"$.q\"},"
    "\"TimeoutSeconds\":100,\"HeartbeatSeconds\":10,"
    "\"ResultPath\":\"$.answer\",\"End\":true}}}";
static const char retry_def[] =
    "{\"StartAt\":\"Ask\",\"States\":{\"Ask\":{\"Type\":\"Task\","
    "\"Resource\":\"arn:stepd:task:sleep.waitForTaskToken\","
    "\"Parameters\":{\"token.$\":\"$$.Task.Token\"},"
    "\"Retry\":[{\"ErrorEquals\":[\"Flaky\"],\"IntervalSeconds\":1,"
    "\"MaxAttempts\":1}],"
    "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"Caught\"}],"
    "\"End\":true},\"Caught\":{\"Type\":\"Pass\",\"End\":true}}}";
static const char ja_def[] =
    "{\"QueryLanguage\":\"JSONata\",\"StartAt\":\"Ask\",\"States\":{"
    "\"Ask\":{\"Type\":\"Task\","
    "\"Resource\":\"arn:stepd:task:sleep.waitForTaskToken\","
    "\"Arguments\":{\"token\":\"{% $states.context.Task.Token %}\"},"
    "\"Output\":{\"got\":\"{% $states.result.v %}\"},\"End\":true}}}";
static const char act_def[] =
    "{\"StartAt\":\"Work\",\"States\":{\"Work\":{\"Type\":\"Task\","
    "\"Resource\":\"" ACT "\",\"HeartbeatSeconds\":5,\"End\":true}}}";

typedef struct fixture {
    char dir[32], path[PGFX_URL_MAX]; /* the store spec (tdb_spec) in dir */
    sfn_store *store, *reader;
    sfn_clock *clock;
    sfn_engine *engine;
    pthread_t thread;
    volatile int stop;
    sfn_graph *cb, *retry, *act, *ja;
} fixture;

static sfn_graph *compile(const char *text)
{
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    assert_int_equal(sfn_asl_compile_text(text, strlen(text), NULL, &d, &g),
                     SFN_OK);
    sfn_diags_free(&d);
    return g;
}

static sfn_graph *loader(void *ud, const char *machine, int64_t revision,
                         sfn_error *err)
{
    fixture *f = ud;
    (void)revision;
    (void)err;
    return sfn_graph_ref(!strcmp(machine, "cb")      ? f->cb
                         : !strcmp(machine, "retry") ? f->retry
                         : !strcmp(machine, "ja")    ? f->ja
                                                     : f->act);
}

static void *engine_main(void *ud)
{
    fixture *f = ud;
    sfn_error err;
    sfn_engine_serve(f->engine, &f->stop, &err);
    return NULL;
}

static void engine_up(fixture *f)
{
    sfn_error err;
    sfn_engine_opts o = {.store = f->store, .clock = f->clock,
                         .load_graph = loader, .load_ud = f};
    f->engine = sfn_engine_new(&o, &err);
    assert_non_null(f->engine);
    f->stop = 0;
    pthread_create(&f->thread, NULL, engine_main, f);
}

static void engine_down(fixture *f)
{
    f->stop = 1;
    sfn_engine_wake(f->engine);
    pthread_join(f->thread, NULL);
    sfn_engine_free(f->engine);
    f->engine = NULL;
}

/* file_only: a SQLite file even in the _pg run, for the cases about the
 * engine's own activity queue, which serves GetActivityTask only on a
 * store one engine owns; on a shared store the queue is the store's and
 * runtime/cluster serves the polls (test_service_tasks_pg). */
static int setup_on(void **state, bool file_only)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/stepd-etasks-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    if (file_only)
        snprintf(f->path, sizeof f->path, "%s/stepd.db", f->dir);
    else if (!tdb_spec(f->path, sizeof f->path, f->dir))
        return -1;
    sfn_error err;
    /* the engine's connection is a node on PostgreSQL (it owns what it
       starts); the restarted engine reuses the connection */
    sfn_store_opts so = {.engine = true, .node_id = "t-etasks"};
    if (sfn_store_open(f->path, &so, &f->store, &err) != SFN_OK ||
        sfn_store_open(f->path, NULL, &f->reader, &err) != SFN_OK)
        return -1;
    f->clock = sfn_clock_fake_new(1700000000000LL);
    f->cb = compile(cb_def);
    f->retry = compile(retry_def);
    f->act = compile(act_def);
    f->ja = compile(ja_def);
    engine_up(f);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_on(state, false);
}

static int setup_file(void **state)
{
    return setup_on(state, true);
}

static int teardown(void **state)
{
    fixture *f = *state;
    engine_down(f);
    sfn_store_close(f->store);
    sfn_store_close(f->reader);
    sfn_clock_free(f->clock);
    sfn_graph_unref(f->cb);
    sfn_graph_unref(f->retry);
    sfn_graph_unref(f->act);
    sfn_graph_unref(f->ja);
    tdb_release(f->path);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc;
}

static char *start(fixture *f, sfn_graph *g, const char *machine,
                   const char *input)
{
    json_error_t je;
    json_t *in = json_loads(input, JSON_DECODE_ANY, &je);
    sfn_start_call c = {.machine = machine, .revision = 1, .graph = g,
                        .input = in};
    assert_int_equal(sfn_engine_call_start(f->engine, &c), SFN_OK);
    json_decref(in);
    char *arn = strdup(c.arn);
    sfn_start_call_done(&c);
    return arn;
}

/* ---- reading the store (another connection, as the API does) ---------- */

typedef struct hist {
    char types[1024];
    char *token;       /* from the last TaskScheduled parameters */
    json_t *last;      /* details of the last event */
} hist;

static int on_event(const sfn_store_event *ev, void *ud)
{
    hist *h = ud;
    const char *name = sfn_event_type_name((sfn_event_type)ev->type);
    size_t n = strlen(h->types);
    snprintf(h->types + n, sizeof h->types - n, "%s%s", n ? "," : "", name);
    json_error_t je;
    json_decref(h->last);
    h->last = ev->details ? json_loads(ev->details, 0, &je) : NULL;
    json_t *p = json_object_get(h->last, "parameters");
    if (json_is_string(p)) {
        json_t *params = json_loads(json_string_value(p), 0, &je);
        json_t *tok = json_object_get(params, "token");
        if (json_is_string(tok)) {
            free(h->token);
            h->token = strdup(json_string_value(tok));
        }
        json_decref(params);
    }
    return 0;
}

static void history(fixture *f, const char *arn, hist *h)
{
    memset(h, 0, sizeof *h);
    sfn_exec_rec r = {0};
    sfn_error err;
    assert_int_equal(sfn_store_get_execution(f->reader, arn, &r, &err),
                     SFN_OK);
    assert_int_equal(sfn_store_get_history(f->reader, r.id, 0, 0, false,
                                           on_event, h, &err),
                     SFN_OK);
    sfn_exec_rec_free(&r);
}

static void hist_free(hist *h)
{
    free(h->token);
    json_decref(h->last);
}

static void nap(void)
{
    struct timespec ts = {0, 2 * 1000000L};
    nanosleep(&ts, NULL);
}

/* Awaits (bounded) until the history contains `needle`. */
static void await_history(fixture *f, const char *arn, const char *needle,
                          hist *h)
{
    for (int i = 0; i < 5000; i++) {
        history(f, arn, h);
        if (strstr(h->types, needle))
            return;
        hist_free(h);
        nap();
    }
    fail_msg("history of %s never reached %s", arn, needle);
}

static sfn_exec_rec await_end(fixture *f, const char *arn)
{
    sfn_exec_rec r = {0};
    sfn_error err;
    for (int i = 0; i < 5000; i++) {
        assert_int_equal(sfn_store_get_execution(f->reader, arn, &r, &err),
                         SFN_OK);
        if (r.status != SFN_EXEC_RUNNING)
            return r;
        sfn_exec_rec_free(&r);
        nap();
    }
    fail_msg("%s never ended", arn);
    return r;
}

static sfn_rc send(fixture *f, const char *token, sfn_task_verb verb,
                   const char *output, sfn_error *err)
{
    json_error_t je;
    json_t *out = output ? json_loads(output, JSON_DECODE_ANY, &je) : NULL;
    sfn_rc rc = sfn_engine_call_task(f->engine, token, verb, out,
                                     verb == SFN_TASK_FAILURE ? "Flaky" : NULL,
                                     verb == SFN_TASK_FAILURE ? "it broke"
                                                              : NULL,
                                     err);
    json_decref(out);
    return rc;
}

/* ---- tests ------------------------------------------------------------- */

static void test_callback_success(void **state)
{
    fixture *f = *state;
    char *arn = start(f, f->cb, "cb", "{\"q\":\"why?\"}");
    hist h;
    await_history(f, arn, "TaskSubmitted", &h);
    assert_string_equal(h.types, "ExecutionStarted,TaskStateEntered,"
                                 "TaskScheduled,TaskStarted,TaskSubmitted");
    assert_non_null(h.token);
    assert_int_equal(strlen(h.token), 71);
    char *token = strdup(h.token);
    hist_free(&h);
    sfn_error err;
    assert_int_equal(send(f, token, SFN_TASK_HEARTBEAT, NULL, &err), SFN_OK);
    assert_int_equal(send(f, token, SFN_TASK_SUCCESS, "{\"a\":42}", &err),
                     SFN_OK);
    sfn_exec_rec r = await_end(f, arn);
    assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
    assert_string_equal(r.output, "{\"q\":\"why?\",\"answer\":{\"a\":42}}");
    sfn_exec_rec_free(&r);
    history(f, arn, &h);
    assert_string_equal(h.types,
                        "ExecutionStarted,TaskStateEntered,TaskScheduled,"
                        "TaskStarted,TaskSubmitted,TaskSucceeded,"
                        "TaskStateExited,ExecutionSucceeded");
    hist_free(&h);
    /* single use */
    assert_int_equal(send(f, token, SFN_TASK_SUCCESS, "1", &err),
                     SFN_ENOTFOUND);
    assert_string_equal(err.name, "TaskDoesNotExist");
    assert_int_equal(send(f, "garbage", SFN_TASK_SUCCESS, "1", &err),
                     SFN_EINVAL);
    assert_string_equal(err.name, "InvalidToken");
    token[strlen(token) - 1] = token[strlen(token) - 1] == 'a' ? 'b' : 'a';
    assert_int_equal(send(f, token, SFN_TASK_HEARTBEAT, NULL, &err),
                     SFN_ENOTFOUND);
    assert_string_equal(err.name, "TaskDoesNotExist");
    free(token);
    free(arn);
}

static void test_failure_retry_gets_a_new_token(void **state)
{
    fixture *f = *state;
    char *arn = start(f, f->retry, "retry", "{}");
    hist h;
    await_history(f, arn, "TaskSubmitted", &h);
    char *first = strdup(h.token);
    hist_free(&h);
    sfn_error err;
    assert_int_equal(send(f, first, SFN_TASK_FAILURE, NULL, &err), SFN_OK);
    await_history(f, arn, "TaskFailed", &h);
    hist_free(&h);
    sfn_clock_fake_advance(f->clock, 1000); /* the retry's back-off */
    for (;;) {
        history(f, arn, &h);
        if (h.token && strcmp(h.token, first) &&
            strstr(strstr(h.types, "TaskFailed"), "TaskSubmitted"))
            break;
        hist_free(&h);
        nap();
    }
    char *second = strdup(h.token);
    hist_free(&h);
    /* the first attempt's token is closed */
    assert_int_equal(send(f, first, SFN_TASK_SUCCESS, "1", &err),
                     SFN_ENOTFOUND);
    assert_string_equal(err.name, "TaskDoesNotExist");
    assert_int_equal(send(f, second, SFN_TASK_FAILURE, NULL, &err), SFN_OK);
    sfn_exec_rec r = await_end(f, arn);
    assert_int_equal(r.status, SFN_EXEC_SUCCEEDED); /* caught */
    sfn_exec_rec_free(&r);
    history(f, arn, &h);
    json_t *last = h.last;
    assert_non_null(strstr(h.types, "TaskFailed,TaskStateExited,"
                                    "PassStateEntered"));
    (void)last;
    hist_free(&h);
    free(first);
    free(second);
    free(arn);
}

static void test_heartbeat_timeout(void **state)
{
    fixture *f = *state;
    char *arn = start(f, f->cb, "cb", "{\"q\":1}");
    hist h;
    await_history(f, arn, "TaskSubmitted", &h);
    char *token = strdup(h.token);
    hist_free(&h);
    sfn_error err;
    /* heartbeats every 8 s keep a 10 s heartbeat alive past 10 s */
    sfn_clock_fake_advance(f->clock, 8000);
    assert_int_equal(send(f, token, SFN_TASK_HEARTBEAT, NULL, &err), SFN_OK);
    sfn_clock_fake_advance(f->clock, 8000);
    assert_int_equal(send(f, token, SFN_TASK_HEARTBEAT, NULL, &err), SFN_OK);
    sfn_clock_fake_advance(f->clock, 11000);
    sfn_exec_rec r = await_end(f, arn);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    assert_string_equal(r.error, "States.HeartbeatTimeout");
    sfn_exec_rec_free(&r);
    history(f, arn, &h);
    assert_non_null(strstr(h.types, "TaskSubmitted,TaskTimedOut,"
                                    "ExecutionFailed"));
    hist_free(&h);
    assert_int_equal(send(f, token, SFN_TASK_SUCCESS, "1", &err),
                     SFN_EINVAL);
    assert_string_equal(err.name, "TaskTimedOut");
    free(token);
    free(arn);
}

static void test_task_timeout(void **state)
{
    fixture *f = *state;
    char *arn = start(f, f->cb, "cb", "{\"q\":1}");
    hist h;
    await_history(f, arn, "TaskSubmitted", &h);
    char *token = strdup(h.token);
    hist_free(&h);
    sfn_error err;
    for (int i = 0; i < 12; i++) {
        sfn_clock_fake_advance(f->clock, 9000);
        if (send(f, token, SFN_TASK_HEARTBEAT, NULL, &err) != SFN_OK)
            break;
    }
    sfn_exec_rec r = await_end(f, arn);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    assert_string_equal(r.error, "States.Timeout");
    sfn_exec_rec_free(&r);
    free(token);
    free(arn);
}

typedef struct poller {
    fixture *f;
    sfn_activity_poll p;
    sfn_rc rc;
} poller;

static void *poll_main(void *ud)
{
    poller *p = ud;
    sfn_error err;
    p->rc = sfn_engine_call_activity(p->f->engine, &p->p, &err);
    return NULL;
}

static void test_activity_worker(void **state)
{
    fixture *f = *state;
    sfn_error err;
    /* nothing scheduled: the poll ends empty at its deadline */
    sfn_activity_poll empty = {.activity_arn = ACT, .worker = "w0",
                               .timeout_ms = 0};
    poller idle = {f, empty, SFN_EIO};
    pthread_t t0;
    pthread_create(&t0, NULL, poll_main, &idle);
    pthread_join(t0, NULL);
    assert_int_equal(idle.rc, SFN_OK);
    assert_null(idle.p.token);

    /* a worker waiting first is answered the moment work arrives */
    poller w = {f, {.activity_arn = ACT, .worker = "worker-1",
                    .timeout_ms = 600000}, SFN_EIO};
    pthread_t t;
    pthread_create(&t, NULL, poll_main, &w);
    char *arn = start(f, f->act, "act", "{\"job\":7}");
    pthread_join(t, NULL);
    assert_int_equal(w.rc, SFN_OK);
    assert_non_null(w.p.token);
    assert_string_equal(w.p.input, "{\"job\":7}");
    hist h;
    history(f, arn, &h); /* ActivityStarted is durable before the answer */
    assert_string_equal(h.types, "ExecutionStarted,TaskStateEntered,"
                                 "ActivityScheduled,ActivityStarted");
    assert_string_equal(
        json_string_value(json_object_get(h.last, "workerName")), "worker-1");
    hist_free(&h);
    assert_int_equal(send(f, w.p.token, SFN_TASK_SUCCESS, "{\"done\":true}",
                          &err), SFN_OK);
    sfn_exec_rec r = await_end(f, arn);
    assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
    assert_string_equal(r.output, "{\"done\":true}");
    sfn_exec_rec_free(&r);
    history(f, arn, &h);
    assert_string_equal(h.types,
                        "ExecutionStarted,TaskStateEntered,ActivityScheduled,"
                        "ActivityStarted,ActivitySucceeded,TaskStateExited,"
                        "ExecutionSucceeded");
    hist_free(&h);
    sfn_activity_poll_done(&w.p);
    free(arn);

    /* scheduled first, taken later; heartbeat timeout after the start */
    arn = start(f, f->act, "act", "{\"job\":8}");
    sfn_activity_poll p = {.activity_arn = ACT, .worker = "late",
                           .timeout_ms = 1000};
    assert_int_equal(sfn_engine_call_activity(f->engine, &p, &err), SFN_OK);
    assert_non_null(p.token);
    sfn_clock_fake_advance(f->clock, 6000);
    r = await_end(f, arn);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    assert_string_equal(r.error, "States.HeartbeatTimeout");
    sfn_exec_rec_free(&r);
    history(f, arn, &h);
    assert_non_null(strstr(h.types, "ActivityStarted,ActivityTimedOut"));
    hist_free(&h);
    sfn_activity_poll_done(&p);
    free(arn);
}

static void test_callback_survives_restart(void **state)
{
    fixture *f = *state;
    char *arn = start(f, f->cb, "cb", "{\"q\":\"restart\"}");
    hist h;
    await_history(f, arn, "TaskSubmitted", &h);
    char *token = strdup(h.token);
    hist_free(&h);
    engine_down(f);
    engine_up(f);
    sfn_error err;
    assert_int_equal(send(f, token, SFN_TASK_SUCCESS, "\"yes\"", &err),
                     SFN_OK);
    sfn_exec_rec r = await_end(f, arn);
    assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
    assert_string_equal(r.output, "{\"q\":\"restart\",\"answer\":\"yes\"}");
    sfn_exec_rec_free(&r);
    history(f, arn, &h); /* nothing was re-sent or doubled */
    assert_string_equal(h.types,
                        "ExecutionStarted,TaskStateEntered,TaskScheduled,"
                        "TaskStarted,TaskSubmitted,TaskSucceeded,"
                        "TaskStateExited,ExecutionSucceeded");
    hist_free(&h);
    free(token);
    free(arn);
}

static void test_jsonata_token(void **state)
{
    fixture *f = *state;
    char *arn = start(f, f->ja, "ja", "{}");
    hist h;
    await_history(f, arn, "TaskSubmitted", &h);
    assert_non_null(h.token);
    char *token = strdup(h.token);
    hist_free(&h);
    sfn_error err;
    assert_int_equal(send(f, token, SFN_TASK_SUCCESS, "{\"v\":5}", &err),
                     SFN_OK);
    sfn_exec_rec r = await_end(f, arn);
    assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
    assert_string_equal(r.output, "{\"got\":5}");
    sfn_exec_rec_free(&r);
    free(token);
    free(arn);
}

static void test_stop_closes_the_token(void **state)
{
    fixture *f = *state;
    char *arn = start(f, f->cb, "cb", "{\"q\":0}");
    hist h;
    await_history(f, arn, "TaskSubmitted", &h);
    char *token = strdup(h.token);
    hist_free(&h);
    sfn_error err;
    int64_t stop_ms;
    assert_int_equal(sfn_engine_call_stop(f->engine, arn, NULL, NULL,
                                          &stop_ms, &err), SFN_OK);
    assert_int_equal(send(f, token, SFN_TASK_SUCCESS, "1", &err),
                     SFN_ENOTFOUND);
    assert_string_equal(err.name, "TaskDoesNotExist");
    free(token);
    free(arn);
}

static void count_done(void *ud, sfn_activity_poll *p, sfn_rc rc)
{
    (void)p;
    (void)rc;
    __atomic_add_fetch((int *)ud, 1, __ATOMIC_SEQ_CST);
}

/* At most SFN_ENGINE_POLLERS_MAX GetActivityTask wait on one activity. */
static void test_activity_worker_limit(void **state)
{
    fixture *f = *state;
    static sfn_activity_poll polls[SFN_ENGINE_POLLERS_MAX];
    static sfn_error errs[SFN_ENGINE_POLLERS_MAX];
    int done = 0;
    for (int i = 0; i < SFN_ENGINE_POLLERS_MAX; i++) {
        polls[i] = (sfn_activity_poll){.activity_arn = ACT, .worker = "w",
                                       .timeout_ms = 3600000};
        assert_int_equal(sfn_engine_call_activity_async(
                             f->engine, &polls[i], &errs[i], count_done,
                             &done),
                         SFN_OK);
    }
    sfn_activity_poll one = {.activity_arn = ACT, .worker = "extra",
                             .timeout_ms = 3600000};
    sfn_error err;
    assert_int_equal(sfn_engine_call_activity(f->engine, &one, &err),
                     SFN_ELIMIT);
    assert_string_equal(err.name, "ActivityWorkerLimitExceeded");
    /* another activity is not affected */
    sfn_activity_poll other = {
        .activity_arn = "arn:aws:states:us-east-1:123456789012:activity:x",
        .timeout_ms = 0};
    assert_int_equal(sfn_engine_call_activity(f->engine, &other, &err),
                     SFN_OK);
    assert_null(other.token);
    /* the waiting ones are answered empty when released */
    assert_int_equal(sfn_engine_call_release_pollers(f->engine), SFN_OK);
    for (int i = 0; i < 5000 &&
                    __atomic_load_n(&done, __ATOMIC_SEQ_CST) <
                        SFN_ENGINE_POLLERS_MAX;
         i++)
        nap();
    assert_int_equal(done, SFN_ENGINE_POLLERS_MAX);
    for (int i = 0; i < SFN_ENGINE_POLLERS_MAX; i++) {
        assert_null(polls[i].token);
        sfn_activity_poll_done(&polls[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_callback_success, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_failure_retry_gets_a_new_token,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_heartbeat_timeout, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_task_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_activity_worker, setup_file,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_callback_survives_restart, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_stop_closes_the_token, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_jsonata_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_activity_worker_limit,
                                        setup_file, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
