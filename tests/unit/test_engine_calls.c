/* test_engine_calls.c: the engine's thread-safe calls with the engine on
 * its own thread (as under `stepd serve`): start answered after the commit,
 * name idempotency and ExecutionAlreadyExists, start-and-wait (sync),
 * stop of a waiting execution, of an unknown one and of a finished one,
 * concurrent starts from several threads, and a graceful stop.  The store
 * is SQLite, or PostgreSQL in the _pg twin (tdb_spec). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pg_fixture.h"
#include "sfn_asl.h"
#include "sfn_engine.h"
#include "sfn_json.h"
#include "sfn_store.h"

static const char pass_def[] =
    "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\","
    "\"Result\":\"done\",\"ResultPath\":\"$.r\",\"End\":true}}}";
static const char wait_def[] =
    "{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\","
    "\"Seconds\":3600,\"End\":true}}}";

typedef struct fixture {
    char dir[32], path[PGFX_URL_MAX]; /* the store spec (tdb_spec) in dir */
    sfn_store *store;
    sfn_engine *engine;
    pthread_t thread;
    volatile int stop;
    sfn_graph *pass, *wait;
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

/* Parked executions (a Wait of an hour leaves memory) come back through
 * the loader, as after a restart. */
static sfn_graph *loader(void *ud, const char *machine, int64_t revision,
                         sfn_error *err)
{
    fixture *f = ud;
    (void)revision;
    (void)err;
    return sfn_graph_ref(!strcmp(machine, "w") ? f->wait : f->pass);
}

static void *engine_main(void *ud)
{
    fixture *f = ud;
    sfn_error err;
    sfn_engine_serve(f->engine, &f->stop, &err);
    return NULL;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/stepd-calls-XXXXXX");
    if (!mkdtemp(f->dir) || !tdb_spec(f->path, sizeof f->path, f->dir))
        return -1;
    sfn_error err;
    /* the engine's connection is a node on PostgreSQL: it owns what it
       starts */
    sfn_store_opts so = {.engine = true, .node_id = "t-calls"};
    if (sfn_store_open(f->path, &so, &f->store, &err) != SFN_OK)
        return -1;
    f->pass = compile(pass_def);
    f->wait = compile(wait_def);
    sfn_engine_opts o = {.store = f->store, .load_graph = loader,
                         .load_ud = f};
    f->engine = sfn_engine_new(&o, &err);
    pthread_create(&f->thread, NULL, engine_main, f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    f->stop = 1;
    sfn_engine_wake(f->engine);
    pthread_join(f->thread, NULL);
    sfn_engine_free(f->engine);
    sfn_store_close(f->store);
    sfn_graph_unref(f->pass);
    sfn_graph_unref(f->wait);
    tdb_release(f->path);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc;
}

static sfn_rc start(fixture *f, sfn_graph *g, const char *machine,
                    const char *name, const char *input, bool wait_end,
                    sfn_start_call *c)
{
    json_error_t je;
    json_t *in = json_loads(input, JSON_DECODE_ANY, &je);
    memset(c, 0, sizeof *c);
    c->machine = machine;
    c->revision = 1;
    c->graph = g;
    c->name = name;
    c->input = in;
    c->wait_for_end = wait_end;
    sfn_rc rc = sfn_engine_call_start(f->engine, c);
    json_decref(in);
    return rc;
}

static void test_start_is_durable_when_answered(void **state)
{
    fixture *f = *state;
    sfn_start_call c;
    assert_int_equal(start(f, f->wait, "w", "one", "{\"a\":1}", false, &c),
                     SFN_OK);
    assert_false(c.existed);
    assert_non_null(strstr(c.arn, ":execution:w:one"));
    /* answered means committed: another connection sees the row */
    sfn_store *s = NULL;
    sfn_error err;
    assert_int_equal(sfn_store_open(f->path, NULL, &s, &err), SFN_OK);
    sfn_exec_rec r = {0};
    assert_int_equal(sfn_store_get_execution(s, c.arn, &r, &err), SFN_OK);
    assert_int_equal(r.status, SFN_EXEC_RUNNING);
    sfn_exec_rec_free(&r);
    sfn_store_close(s);

    /* same name, same input, still running: the same execution */
    sfn_start_call again;
    assert_int_equal(start(f, f->wait, "w", "one", "{\"a\":1}", false,
                           &again), SFN_OK);
    assert_true(again.existed);
    assert_string_equal(again.arn, c.arn);
    assert_int_equal(again.start_ms, c.start_ms);
    /* same name, other input: a conflict */
    sfn_start_call other;
    assert_int_equal(start(f, f->wait, "w", "one", "{\"a\":2}", false,
                           &other), SFN_EINVAL);
    assert_string_equal(other.err.name, "ExecutionAlreadyExists");
    sfn_start_call_done(&c);
    sfn_start_call_done(&again);
    sfn_start_call_done(&other);
}

static void test_start_and_wait_for_the_end(void **state)
{
    fixture *f = *state;
    sfn_start_call c;
    assert_int_equal(start(f, f->pass, "p", NULL, "{\"x\":0.1}", true, &c),
                     SFN_OK);
    assert_int_equal(c.status, SFN_EXEC_SUCCEEDED);
    assert_string_equal(c.output, "{\"x\":0.1,\"r\":\"done\"}");
    assert_true(c.stop_ms >= c.start_ms);
    /* a closed execution's name cannot be reused */
    char *name = strrchr(c.arn, ':') + 1;
    sfn_start_call again;
    assert_int_equal(start(f, f->pass, "p", name, "{\"x\":0.1}", false,
                           &again), SFN_EINVAL);
    assert_string_equal(again.err.name, "ExecutionAlreadyExists");
    sfn_start_call_done(&c);
    sfn_start_call_done(&again);
}

static void test_stop(void **state)
{
    fixture *f = *state;
    sfn_start_call c;
    assert_int_equal(start(f, f->wait, "w", "to-stop", "{}", false, &c),
                     SFN_OK);
    int64_t stop_ms = 0;
    sfn_error err;
    assert_int_equal(sfn_engine_call_stop(f->engine, c.arn, "Why", "because",
                                          &stop_ms, &err), SFN_OK);
    assert_true(stop_ms >= c.start_ms);
    sfn_store *s = NULL;
    assert_int_equal(sfn_store_open(f->path, NULL, &s, &err), SFN_OK);
    sfn_exec_rec r = {0};
    assert_int_equal(sfn_store_get_execution(s, c.arn, &r, &err), SFN_OK);
    assert_int_equal(r.status, SFN_EXEC_ABORTED);
    assert_string_equal(r.error, "Why");
    assert_string_equal(r.cause, "because");
    sfn_exec_rec_free(&r);
    sfn_store_close(s);
    /* stopping it again answers its stop time, as AWS does */
    int64_t again = 0;
    assert_int_equal(sfn_engine_call_stop(f->engine, c.arn, NULL, NULL, &again,
                                          &err), SFN_OK);
    assert_int_equal(again, stop_ms);
    assert_int_equal(sfn_engine_call_stop(f->engine,
                                          "arn:aws:states:us-east-1:"
                                          "123456789012:execution:w:nope",
                                          NULL, NULL, &again, &err),
                     SFN_ENOTFOUND);
    assert_string_equal(err.name, "ExecutionDoesNotExist");
    sfn_start_call_done(&c);
}

typedef struct worker {
    fixture *f;
    int id, ok;
} worker;

static void *starter(void *ud)
{
    worker *w = ud;
    for (int i = 0; i < 25; i++) {
        char name[32];
        snprintf(name, sizeof name, "t%d-%d", w->id, i);
        sfn_start_call c;
        if (start(w->f, w->f->pass, "p", name, "{}", false, &c) == SFN_OK &&
            !c.existed)
            w->ok++;
        sfn_start_call_done(&c);
    }
    return NULL;
}

static void test_concurrent_starts(void **state)
{
    fixture *f = *state;
    pthread_t t[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){f, i, 0};
        pthread_create(&t[i], NULL, starter, &w[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].ok, 25);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_start_is_durable_when_answered,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_and_wait_for_the_end,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_starts, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
