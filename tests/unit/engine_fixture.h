/* engine_fixture.h: a durable engine on a temporary store (SQLite file, or
 * a fresh PostgreSQL database under STEPD_TEST_DB=pg: tdb_spec), a fake
 * clock with simulated time, and optionally a task dispatcher with a
 * Step Functions Local mock file, for the engine tests.  Header-only so
 * each test program gets its own copy. */
#ifndef SFN_ENGINE_FIXTURE_H
#define SFN_ENGINE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pg_fixture.h"
#include "sfn_asl.h"
#include "sfn_engine.h"
#include "sfn_store.h"
#include "sfn_tasks.h"

#define EFX_UNUSED __attribute__((unused))
#define EFX_T0 1700000000000LL

typedef struct efx {
    char path[PGFX_URL_MAX]; /* the store spec (tdb_spec) */
    char mock_path[64];
    sfn_store *store;
    sfn_clock *clock;
    sfn_tasks *tasks; /* NULL without a mock file */
    sfn_engine *e;
    sfn_graph *g;     /* every execution runs this graph */
} efx;

static sfn_graph *efx__loader(void *ud, const char *machine, int64_t rev,
                              sfn_error *err)
{
    (void)machine;
    (void)rev;
    (void)err;
    return sfn_graph_ref(((efx *)ud)->g);
}

EFX_UNUSED static void efx_open(efx *f)
{
    sfn_error err;
    /* an engine connection as stepd's own; the fixed node id lets a
       reopened engine (efx_close, efx_open: a crash and restart) claim
       its executions back at once on PostgreSQL */
    sfn_store_opts so = {.engine = true, .node_id = "efx"};
    if (sfn_store_open(f->path, &so, &f->store, &err) != SFN_OK)
        fail_msg("cannot open store %s: %s", f->path, err.cause);
    sfn_engine_opts o = {.store = f->store, .clock = f->clock,
                         .simulated_time = true, .load_graph = efx__loader,
                         .load_ud = f, .tasks = f->tasks};
    f->e = sfn_engine_new(&o, &err);
    assert_non_null(f->e);
}

/* As a crash after the last commit: the engine and its store go away. */
EFX_UNUSED static void efx_close(efx *f)
{
    sfn_engine_free(f->e);
    sfn_store_close(f->store);
    f->e = NULL;
    f->store = NULL;
}

static sfn_graph *efx__compile(const char *text)
{
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    sfn_rc rc = sfn_asl_compile_text(text, strlen(text), NULL, &d, &g);
    for (size_t i = 0; rc != SFN_OK && i < d.count; i++)
        fprintf(stderr, "%s: %s\n", d.items[i].location, d.items[i].message);
    assert_int_equal(rc, SFN_OK);
    sfn_diags_free(&d);
    return g;
}

/* def: the definition; mocks: a mock file's text or NULL; tag: names the
 * temporary files. */
EFX_UNUSED static efx *efx_new(const char *def, const char *mocks,
                               const char *tag)
{
    efx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    if (tdb_is_pg()) {
        assert_non_null(tdb_spec(f->path, sizeof f->path, "/"));
    } else {
        snprintf(f->path, sizeof f->path, "/tmp/stepd-%s-%d.db", tag,
                 getpid());
        unlink(f->path);
    }
    if (mocks) {
        snprintf(f->mock_path, sizeof f->mock_path, "/tmp/stepd-%s-%d.json",
                 tag, getpid());
        FILE *m = fopen(f->mock_path, "w");
        assert_non_null(m);
        fputs(mocks, m);
        fclose(m);
        sfn_tasks_config tc = {.mock_file = f->mock_path,
                               .region = "us-east-1"};
        sfn_error err;
        f->tasks = sfn_tasks_new(&tc, &err);
        assert_non_null(f->tasks);
    }
    f->clock = sfn_clock_fake_new(EFX_T0);
    f->g = efx__compile(def);
    efx_open(f);
    return f;
}

EFX_UNUSED static void efx_free(efx *f)
{
    efx_close(f);
    sfn_tasks_free(f->tasks);
    sfn_graph_unref(f->g);
    sfn_clock_free(f->clock);
    if (f->mock_path[0])
        unlink(f->mock_path);
    if (tdb_is_pg()) {
        tdb_release(f->path);
    } else {
        static const char *const sides[] = {"", "-wal", "-shm", ".lock"};
        char side[sizeof f->path + 8];
        for (size_t i = 0; i < sizeof sides / sizeof *sides; i++) {
            snprintf(side, sizeof side, "%s%s", f->path, sides[i]);
            unlink(side);
        }
    }
    free(f);
}

/* Starts an execution of machine "m" (test_case may be NULL); the ARN is
 * malloc'd. */
EFX_UNUSED static char *efx_start(efx *f, const char *test_case,
                                  const char *input)
{
    json_error_t je;
    json_t *in = json_loads(input, JSON_DECODE_ANY, &je);
    assert_non_null(in);
    char *arn = NULL;
    sfn_error err;
    assert_int_equal(sfn_engine_start_case(f->e, "m", 1, f->g, NULL, in,
                                           test_case, &arn, &err),
                     SFN_OK);
    json_decref(in);
    return arn;
}

EFX_UNUSED static void efx_run_idle(efx *f)
{
    sfn_error err;
    assert_int_equal(sfn_engine_run_until_idle(f->e, &err), SFN_OK);
}

EFX_UNUSED static sfn_exec_rec efx_get(efx *f, const char *arn)
{
    sfn_exec_rec r = {0};
    sfn_error err;
    assert_int_equal(sfn_store_get_execution(f->store, arn, &r, &err),
                     SFN_OK);
    return r;
}

#endif
