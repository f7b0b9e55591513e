/* test_recovery.c: durability under SIGKILL.  A mixed workload (Pass
 * chains, Map, Parallel, Wait, Retry with back-off then Catch, a
 * Distributed Map with ItemBatcher) is started
 * and acknowledged (committed); then child processes recover and run it
 * while the parent kills each with SIGKILL at a random moment, many times;
 * a last child finishes it.  Every acknowledged execution must end with the
 * output an uninterrupted run gives, with a gap-free history that ends in
 * exactly one terminal event.  The children and the store come from
 * kill_harness.h (SQLite, or PostgreSQL in the _pg twin). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kill_harness.h"
#include "sfn_asl.h"
#include "sfn_engine.h"
#include "sfn_json.h"
#include "sfn_runner.h"
#include "sfn_store.h"

#define PER_DEFINITION 20
#define KILLS 20

static const char *const defs[][2] = {
    {"chain",
     "{\"StartAt\":\"A\",\"States\":{"
     "\"A\":{\"Type\":\"Pass\",\"Parameters\":{\"n.$\":\"$.n\",\"s\":1},"
     "\"Next\":\"B\"},"
     "\"B\":{\"Type\":\"Pass\",\"Parameters\":{\"n.$\":\"$.n\",\"s.$\":"
     "\"States.MathAdd($.s, 1)\"},\"Next\":\"C\"},"
     "\"C\":{\"Type\":\"Pass\",\"Parameters\":{\"n.$\":\"$.n\",\"s.$\":"
     "\"States.MathAdd($.s, 1)\"},\"Next\":\"D\"},"
     "\"D\":{\"Type\":\"Pass\",\"Result\":\"done\",\"ResultPath\":\"$.r\","
     "\"End\":true}}}"},
    {"map",
     "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"ItemsPath\":"
     "\"$.items\",\"MaxConcurrency\":3,\"ItemProcessor\":{\"StartAt\":\"X\","
     "\"States\":{\"X\":{\"Type\":\"Pass\",\"Parameters\":{\"v.$\":\"$\"},"
     "\"Next\":\"Y\"},\"Y\":{\"Type\":\"Pass\",\"End\":true}}},"
     "\"End\":true}}}"},
    {"batched",
     "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"ItemsPath\":"
     "\"$.items\",\"MaxConcurrency\":2,\"ItemBatcher\":{\"MaxItemsPerBatch\":"
     "7},\"ItemProcessor\":{\"ProcessorConfig\":{\"Mode\":\"DISTRIBUTED\","
     "\"ExecutionType\":\"STANDARD\"},\"StartAt\":\"X\",\"States\":{\"X\":"
     "{\"Type\":\"Pass\",\"OutputPath\":\"$.Items\",\"End\":true}}},"
     "\"End\":true}}}"},
    {"parallel",
     "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\","
     "\"Branches\":[{\"StartAt\":\"B1\",\"States\":{\"B1\":{\"Type\":"
     "\"Pass\",\"Result\":1,\"End\":true}}},{\"StartAt\":\"B2\",\"States\":"
     "{\"B2\":{\"Type\":\"Pass\",\"Next\":\"B3\"},\"B3\":{\"Type\":\"Pass\","
     "\"Result\":2,\"End\":true}}}],\"End\":true}}}"},
    {"wait",
     "{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\",\"Seconds\":3,"
     "\"Next\":\"E\"},\"E\":{\"Type\":\"Pass\",\"Result\":\"woke\","
     "\"ResultPath\":\"$.w\",\"End\":true}}}"},
    {"retry",
     "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\",\"Resource\":"
     "\"arn:stepd:task:fail\",\"Parameters\":{\"Error\":\"Boom\"},"
     "\"Retry\":[{\"ErrorEquals\":[\"Boom\"],\"IntervalSeconds\":1,"
     "\"MaxAttempts\":1}],\"Next\":\"F\",\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],"
     "\"ResultPath\":\"$.caught\",\"Next\":\"F\"}]},"
     "\"F\":{\"Type\":\"Pass\",\"End\":true}}}"},
};
#define N_DEFS (sizeof defs / sizeof defs[0])

static sfn_graph *loader(void *ud, const char *machine, int64_t revision,
                         sfn_error *err)
{
    (void)ud;
    (void)revision;
    for (size_t i = 0; i < N_DEFS; i++)
        if (!strcmp(defs[i][0], machine))
            return kh_compile(defs[i][1]);
    sfn_error_set(err, SFN_ENOTFOUND, NULL, -1, "no machine %s", machine);
    return NULL;
}

static json_t *input_for(size_t def, int k)
{
    if (!strcmp(defs[def][0], "map") || !strcmp(defs[def][0], "batched")) {
        json_t *items = json_array();
        for (int i = 0; i < 200 + 10 * k; i++)
            json_array_append_new(items, json_integer(i * k));
        return json_pack("{s:o}", "items", items);
    }
    return json_pack("{s:i}", "n", k);
}

typedef struct hist_check {
    int64_t expect_id;
    int terminal;
    int bad;
} hist_check;

static int check_event(const sfn_store_event *ev, void *ud)
{
    hist_check *h = ud;
    if (ev->id != h->expect_id)
        h->bad = 1;
    h->expect_id++;
    if (ev->type >= SFN_EV_ExecutionSucceeded &&
        ev->type <= SFN_EV_ExecutionTimedOut)
        h->terminal++;
    return 0;
}

typedef struct verify_ctx {
    sfn_store *s;
    int checked;
} verify_ctx;

static void verify(sfn_store *s, char arns[][256], size_t n_arns,
                   json_t **expected)
{
    sfn_error err;
    for (size_t i = 0; i < n_arns; i++) {
        sfn_exec_rec r = {0};
        assert_int_equal(sfn_store_get_execution(s, arns[i], &r, &err),
                         SFN_OK);
        if (r.status != SFN_EXEC_SUCCEEDED)
            fail_msg("%s ended %d (%s: %s)", arns[i], r.status,
                     r.error ? r.error : "", r.cause ? r.cause : "");
        json_error_t je;
        json_t *out = sfn_json_loadb(r.output, strlen(r.output), JSON_DECODE_ANY,
                                     &je);
        if (!json_equal(out, expected[i])) {
            char *want = sfn_json_dumps(expected[i], 0);
            fail_msg("%s output %s, want %s", arns[i], r.output, want);
        }
        json_decref(out);
        hist_check h = {1, 0, 0};
        assert_int_equal(sfn_store_get_history(s, r.id, 0, 0, false,
                                               check_event, &h, &err),
                         SFN_OK);
        assert_int_equal(h.bad, 0);
        assert_int_equal(h.terminal, 1);
        assert_int_equal(h.expect_id, r.next_event);
        sfn_exec_rec_free(&r);
    }
}

static void test_sigkill_campaign(void **state)
{
    (void)state;
    char dir[] = "/tmp/stepd-recovery-XXXXXX", path[PGFX_URL_MAX];
    kh_db_new(path, sizeof path, dir);
    srand((unsigned)time(NULL) ^ (unsigned)getpid());

    /* acknowledge the workload: started and committed, then "crash" */
    size_t n = N_DEFS * PER_DEFINITION;
    char(*arns)[256] = calloc(n, sizeof *arns);
    json_t **expected = calloc(n, sizeof *expected);
    sfn_store *s = kh_open_store(path);
    sfn_error err;
    sfn_engine_opts o = {.store = s, .load_graph = loader, .round_budget = 2};
    sfn_engine *e = sfn_engine_new(&o, &err);
    size_t k = 0;
    for (size_t d = 0; d < N_DEFS; d++) {
        sfn_graph *g = kh_compile(defs[d][1]);
        for (int i = 0; i < PER_DEFINITION; i++, k++) {
            json_t *in = input_for(d, i);
            char *arn = NULL;
            assert_int_equal(sfn_engine_start(e, defs[d][0], 1, g, NULL, in,
                                              &arn, &err), SFN_OK);
            snprintf(arns[k], sizeof arns[k], "%s", arn);
            free(arn);
            sfn_run_result rr;
            assert_int_equal(sfn_run_memory(g, in, NULL, &rr), SFN_OK);
            expected[k] = json_incref(rr.output);
            sfn_run_result_free(&rr);
            json_decref(in);
        }
        sfn_graph_unref(g);
    }
    assert_int_equal(sfn_engine_poll(e, 0, NULL, &err), SFN_OK);
    sfn_engine_free(e);
    sfn_store_close(s);

    int survived = 0;
    for (int kill_no = 0; kill_no < KILLS; kill_no++)
        survived += kh_kill_cycle(path, loader, NULL, NULL, 0, 5, 114);
    assert_true(kh_run_child_to_end(path, loader));

    s = kh_open_store(path);
    verify(s, arns, n, expected);
    sfn_store_close(s);
    print_message("recovery: %d kills survived, %zu executions checked\n",
                  survived, n);
    for (size_t i = 0; i < n; i++)
        json_decref(expected[i]);
    free(expected);
    free(arns);
    kh_db_drop(path, dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigkill_campaign),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
