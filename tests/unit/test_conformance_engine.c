/* test_conformance_engine.c: the LocalStack-derived conformance corpus
 * ($SFN_SHARED/conformance/localstack) through the durable engine on a
 * store (SQLite file, or PostgreSQL under STEPD_TEST_DB=pg: the _pg twin),
 * compared under the rules of conformance_util.h from what the store kept:
 * the execution row (status, output, error, cause) and the history's event
 * types.  Every case the in-memory runner passes must pass here too; prints
 * `conformance-engine-<sqlite|pg>: N passed, M failed` (and -jsonpath) and
 * enforces the runner's floors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conformance_util.h"
#include "pg_fixture.h"
#include "sfn_engine.h"
#include "sfn_store.h"

/* Executions in flight per run_until_idle: many at once, as a server
 * holds them, with memory bounded. */
enum { BATCH = 250 };
#define MACHINE "stepd"
#define START_MS 1704067200000LL /* the runner's simulated start */

typedef struct ecase {
    char *name;
    json_t *c;
    bool jsonata;
    int memory;    /* the in-memory runner's verdict                     */
    int verdict;   /* the engine's: CONFORMANCE_RUN until it is judged   */
    sfn_graph *g;  /* compiled, while it is to run                        */
    char *arn;     /* started                                            */
    char why[768];
} ecase;

typedef struct suite {
    ecase *cases;
    size_t n;
    char dir[64];
    char spec[PGFX_URL_MAX];
    sfn_store *store;
    sfn_clock *clock;
} suite;

/* Revision r of MACHINE is case r - 1 (recovery and starts by name). */
static sfn_graph *load_graph(void *ud, const char *machine, int64_t rev,
                             sfn_error *err)
{
    suite *s = ud;
    if (strcmp(machine, MACHINE) || rev < 1 || (size_t)rev > s->n ||
        !s->cases[rev - 1].g) {
        sfn_error_set(err, SFN_ENOTFOUND, "StateMachineDoesNotExist", -1,
                      "no graph for %s revision %lld", machine,
                      (long long)rev);
        return NULL;
    }
    return sfn_graph_ref(s->cases[rev - 1].g);
}

static sfn_engine *new_engine(suite *s, bool simulated)
{
    sfn_engine_opts o = {.store = s->store, .clock = s->clock,
                         .simulated_time = simulated,
                         .load_graph = load_graph, .load_ud = s};
    sfn_error err;
    sfn_engine *e = sfn_engine_new(&o, &err);
    if (!e)
        fail_msg("sfn_engine_new: %s", err.cause);
    return e;
}

/* ---- running ----------------------------------------------------------- */

static void start_case(suite *s, sfn_engine *e, size_t i)
{
    ecase *k = &s->cases[i];
    char name[32], arn[256];
    snprintf(name, sizeof name, "c%zu", i);
    json_t *input = conformance_input(k->c);
    sfn_error err;
    sfn_rc rc;
    if (conformance_is_express(k->name)) {
        snprintf(arn, sizeof arn,
                 "arn:aws:states:us-east-1:123456789012:express:" MACHINE
                 ":%s:5e1f8e35-9d2a-4c4e-8d3b-1c7a6f0e2b11", name);
        rc = sfn_engine_start_arn(e, MACHINE, (int64_t)i + 1, k->g, name,
                                  arn, input, true, &err);
        k->arn = rc == SFN_OK ? strdup(arn) : NULL;
    } else {
        rc = sfn_engine_start(e, MACHINE, (int64_t)i + 1, k->g, name, input,
                              &k->arn, &err);
    }
    json_decref(input);
    if (rc != SFN_OK) {
        k->verdict = CONFORMANCE_FAIL;
        snprintf(k->why, sizeof k->why, "engine start: %.600s", err.cause);
    }
}

static bool wants_abort(const ecase *k)
{
    return !strcmp(conformance_status(k->c), "ABORTED");
}

static void run_idle(sfn_engine *e)
{
    sfn_error err;
    if (sfn_engine_run_until_idle(e, &err) != SFN_OK)
        fail_msg("sfn_engine_run_until_idle: %s", err.cause);
}

/* Runs the cases of [from, to) that are to run (aborted: only those
 * recorded as ABORTED, else only the others) in one batch. */
static void run_batch(suite *s, sfn_engine *e, size_t from, size_t to,
                      bool aborted)
{
    for (size_t i = from; i < to; i++)
        if (s->cases[i].verdict == CONFORMANCE_RUN &&
            wants_abort(&s->cases[i]) == aborted)
            start_case(s, e, i);
    run_idle(e);
}

/* The cases recorded as ABORTED come from a client stopping a waiting
 * execution: on a clock that only moves when told, the executions run
 * until every one waits on a timer, then each is stopped. */
static void run_aborted(suite *s)
{
    sfn_engine *e = new_engine(s, false);
    for (size_t i = 0; i < s->n; i++)
        if (s->cases[i].verdict == CONFORMANCE_RUN &&
            wants_abort(&s->cases[i]))
            start_case(s, e, i);
    sfn_error err;
    int64_t made = 1;
    for (int round = 0; made && round < 10000; round++)
        if (sfn_engine_poll(e, 0, &made, &err) != SFN_OK)
            fail_msg("sfn_engine_poll: %s", err.cause);
    for (size_t i = 0; i < s->n; i++) {
        ecase *k = &s->cases[i];
        if (k->arn && wants_abort(k) &&
            sfn_engine_stop(e, k->arn, NULL, NULL, false, &err) != SFN_OK) {
            k->verdict = CONFORMANCE_FAIL;
            snprintf(k->why, sizeof k->why, "stop: %.600s", err.cause);
        }
    }
    run_idle(e);
    sfn_engine_free(e);
}

static void run_all(suite *s)
{
    run_aborted(s);
    sfn_engine *e = new_engine(s, true);
    for (size_t from = 0; from < s->n; from += BATCH)
        run_batch(s, e, from, from + BATCH < s->n ? from + BATCH : s->n,
                  false);
    sfn_engine_free(e);
}

/* ---- judging from the store --------------------------------------------- */

typedef struct type_list {
    const char **v;
    size_t n, cap;
} type_list;

static int collect_type(const sfn_store_event *ev, void *ud)
{
    type_list *l = ud;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        const char **v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return 1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = sfn_event_type_name((sfn_event_type)ev->type);
    return 0;
}

static void judge(suite *s, ecase *k)
{
    sfn_exec_rec r = {0};
    type_list types = {0};
    json_t *output = NULL;
    sfn_error err;
    if (sfn_store_get_execution(s->store, k->arn, &r, &err) != SFN_OK) {
        snprintf(k->why, sizeof k->why, "no execution row: %.600s", err.cause);
        k->verdict = CONFORMANCE_FAIL;
        return;
    }
    if (sfn_store_get_history(s->store, r.id, 0, 0, false, collect_type,
                              &types, &err) != SFN_OK) {
        snprintf(k->why, sizeof k->why, "history: %.600s", err.cause);
        k->verdict = CONFORMANCE_FAIL;
    } else {
        json_error_t je;
        output = r.output ? json_loads(r.output, JSON_DECODE_ANY, &je) : NULL;
        conformance_outcome o = {(sfn_exec_status)r.status, output, r.error,
                                 r.cause, types.v, types.n};
        k->verdict = conformance_compare(k->c, &o, k->why, sizeof k->why);
    }
    json_decref(output);
    free(types.v);
    sfn_exec_rec_free(&r);
}

/* ---- the suite ------------------------------------------------------- */

static void load_cases(suite *s)
{
    char dir[1024];
    char **names = conformance_cases(dir, sizeof dir, &s->n);
    assert_non_null(names);
    assert_true(s->n > 900);
    s->cases = calloc(s->n, sizeof *s->cases);
    assert_non_null(s->cases);
    for (size_t i = 0; i < s->n; i++) {
        ecase *k = &s->cases[i];
        k->name = names[i];
        k->c = conformance_load(dir, k->name);
        if (!k->c) {
            k->memory = k->verdict = CONFORMANCE_FAIL;
            snprintf(k->why, sizeof k->why, "unreadable case");
            continue;
        }
        k->jsonata = conformance_is_jsonata(k->c);
        char why[1024];
        k->memory = conformance_judge_memory(k->c, k->name, why, sizeof why);
        k->verdict =
            conformance_prepare(k->c, k->name, &k->g, k->why, sizeof k->why);
    }
    free(names);
}

static void open_store(suite *s)
{
    snprintf(s->dir, sizeof s->dir, "/tmp/stepd-conf-engine-XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    assert_non_null(tdb_spec(s->spec, sizeof s->spec, s->dir));
    sfn_store_opts so = {.engine = true, .node_id = "conformance"};
    sfn_error err;
    if (sfn_store_open(s->spec, &so, &s->store, &err) != SFN_OK)
        fail_msg("cannot open store %s: %s", s->spec, err.cause);
    s->clock = sfn_clock_fake_new(START_MS);
    assert_non_null(s->clock);
}

static void close_store(suite *s)
{
    sfn_store_close(s->store);
    sfn_clock_free(s->clock);
    tdb_release(s->spec);
    static const char *const files[] = {"stepd.db", "stepd.db-wal",
                                        "stepd.db-shm", "stepd.db.lock"};
    char path[128];
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/%s", s->dir, files[i]);
        unlink(path);
    }
    rmdir(s->dir);
}

/* Tallies the engine's verdicts; prints every case the in-memory runner
 * passes and the engine does not.  Returns how many those are. */
static size_t tally(const suite *s, conformance_tally *t, const char *label)
{
    size_t regressions = 0;
    for (size_t i = 0; i < s->n; i++) {
        const ecase *k = &s->cases[i];
        bool ok = k->verdict == CONFORMANCE_PASS;
        conformance_count(t, k->jsonata, ok);
        if (!ok && k->memory == CONFORMANCE_PASS) {
            regressions++;
            printf("%s: %s%s fails only through the engine: %s\n", label,
                   k->name, k->jsonata ? " [jsonata]" : "", k->why);
        }
    }
    return regressions;
}

static void free_cases(suite *s)
{
    for (size_t i = 0; i < s->n; i++) {
        json_decref(s->cases[i].c);
        sfn_graph_unref(s->cases[i].g);
        free(s->cases[i].name);
        free(s->cases[i].arn);
    }
    free(s->cases);
}

static void test_conformance_engine(void **state)
{
    (void)state;
    suite s = {0};
    load_cases(&s);
    open_store(&s);
    run_all(&s);
    for (size_t i = 0; i < s.n; i++)
        if (s.cases[i].verdict == CONFORMANCE_RUN && s.cases[i].arn)
            judge(&s, &s.cases[i]);
    const char *label = tdb_is_pg() ? "conformance-engine-pg"
                                    : "conformance-engine-sqlite";
    conformance_tally t = {0};
    size_t regressions = tally(&s, &t, label);
    conformance_print(label, &t);
    close_store(&s);
    free_cases(&s);
    assert_int_equal(regressions, 0);
    assert_true(conformance_floors_met(&t));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conformance_engine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
