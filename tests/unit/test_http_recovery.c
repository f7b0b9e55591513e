/* test_http_recovery.c: HTTP Tasks under SIGKILL.  Executions making
 * sequential http:invoke POSTs and a Map of POSTs to a slow echo service
 * (tests/unit/http_fixture.h, served from this process) are started and
 * committed; child processes then recover and run them while the parent
 * kills each at a random moment, with calls in flight; a last child
 * finishes.  Every execution must end as an uninterrupted run ends, every
 * Task attempt must have reached the service under one Idempotency-Key,
 * and every re-send of a key must carry the same body as its first send. */
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

#include "http_fixture.h"
#include "kill_harness.h"
#include "sfn_asl.h"
#include "sfn_engine.h"
#include "sfn_json.h"
#include "sfn_store.h"
#include "sfn_tasks.h"

#define EXECUTIONS 30
#define CALLS 3        /* sequential POSTs per execution                */
#define ITEMS 4        /* Map iterations, one POST each                 */
#define KILLS 9
#define DELAY_MS 150

/* The Map runs one iteration at a time so that an execution is a chain of
 * seven calls (about 1 s), long enough for every kill to land while work
 * remains; the 30 executions' calls still overlap.  Each POST body names its execution and step ("c1".."c3", "m0".."m3");
 * ResultSelector keeps only that body, echoed back by the service. */
#define POST(step_json)                                                    \
    "\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::http:invoke\","     \
    "\"Parameters\":{\"ApiEndpoint.$\":\"$.url\",\"Method\":\"POST\","     \
    "\"RequestBody\":{\"id.$\":\"$.id\"," step_json "}},"                  \
    "\"ResultSelector\":{\"echo.$\":\"States.StringToJson("                \
    "$.ResponseBody.body)\"},"

static const char machine[] =
    "{\"StartAt\":\"C1\",\"States\":{"
    "\"C1\":{" POST("\"step\":\"c1\"") "\"ResultPath\":\"$.c1\","
    "\"Next\":\"C2\"},"
    "\"C2\":{" POST("\"step\":\"c2\"") "\"ResultPath\":\"$.c2\","
    "\"Next\":\"C3\"},"
    "\"C3\":{" POST("\"step\":\"c3\"") "\"ResultPath\":\"$.c3\","
    "\"Next\":\"M\"},"
    "\"M\":{\"Type\":\"Map\",\"ItemsPath\":\"$.items\",\"MaxConcurrency\":1,"
    "\"ItemSelector\":{\"url.$\":\"$.url\",\"id.$\":\"$.id\","
    "\"item.$\":\"$$.Map.Item.Value\"},"
    "\"ItemProcessor\":{\"StartAt\":\"I\",\"States\":{\"I\":{"
    POST("\"step.$\":\"$.item\"") "\"End\":true}}},"
    "\"ResultPath\":\"$.m\",\"End\":true}}}";

static sfn_graph *loader(void *ud, const char *name, int64_t revision,
                         sfn_error *err)
{
    (void)ud;
    (void)revision;
    if (!strcmp(name, "calls"))
        return kh_compile(machine);
    sfn_error_set(err, SFN_ENOTFOUND, NULL, -1, "no machine %s", name);
    return NULL;
}

static json_t *input_for(const char *url, int k)
{
    json_t *items = json_array();
    for (int i = 0; i < ITEMS; i++) {
        char step[8];
        snprintf(step, sizeof step, "m%d", i);
        json_array_append_new(items, json_string(step));
    }
    char id[16];
    snprintf(id, sizeof id, "x%d", k);
    return json_pack("{s:s,s:s,s:o}", "url", url, "id", id, "items", items);
}

/* The output an uninterrupted run gives, built by hand: each result is
 * {"echo": the body that was POSTed}. */
static json_t *expected_for(const char *url, int k)
{
    json_t *out = input_for(url, k);
    const char *id = json_string_value(json_object_get(out, "id"));
    json_t *m = json_array();
    for (int i = 0; i < ITEMS; i++) {
        char step[8];
        snprintf(step, sizeof step, "m%d", i);
        json_array_append_new(
            m, json_pack("{s:{s:s,s:s}}", "echo", "id", id, "step", step));
    }
    const char *calls[CALLS] = {"c1", "c2", "c3"};
    for (int i = 0; i < CALLS; i++)
        json_object_set_new(out, calls[i],
                            json_pack("{s:{s:s,s:s}}", "echo", "id", id,
                                      "step", calls[i]));
    json_object_set_new(out, "m", m);
    return out;
}

typedef struct hist_check {
    int64_t expect_id;
    int terminal, scheduled, succeeded;
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
    h->scheduled += ev->type == SFN_EV_TaskScheduled;
    h->succeeded += ev->type == SFN_EV_TaskSucceeded;
    return 0;
}

static void verify_executions(const char *path, char arns[][256],
                              const char *url)
{
    sfn_store *s = kh_open_store(path);
    sfn_error err;
    for (int i = 0; i < EXECUTIONS; i++) {
        sfn_exec_rec r = {0};
        assert_int_equal(sfn_store_get_execution(s, arns[i], &r, &err),
                         SFN_OK);
        if (r.status != SFN_EXEC_SUCCEEDED)
            fail_msg("%s ended %d (%s: %s)", arns[i], r.status,
                     r.error ? r.error : "", r.cause ? r.cause : "");
        json_error_t je;
        json_t *out = sfn_json_loadb(r.output, strlen(r.output),
                                     JSON_DECODE_ANY, &je);
        json_t *want = expected_for(url, i);
        if (!json_equal(out, want))
            fail_msg("%s output %s, want %s", arns[i], r.output,
                     sfn_json_dumps(want, 0));
        json_decref(out);
        json_decref(want);
        hist_check h = {1, 0, 0, 0, 0};
        assert_int_equal(sfn_store_get_history(s, r.id, 0, 0, false,
                                               check_event, &h, &err),
                         SFN_OK);
        assert_int_equal(h.bad, 0);
        assert_int_equal(h.terminal, 1);
        assert_int_equal(h.expect_id, r.next_event);
        /* one attempt per Task state: no retries, no doubled schedules */
        assert_int_equal(h.scheduled, CALLS + ITEMS);
        assert_int_equal(h.succeeded, CALLS + ITEMS);
        sfn_exec_rec_free(&r);
    }
    sfn_store_close(s);
}

/* What the service saw of one Idempotency-Key. */
typedef struct key_seen {
    const char *key;
    const char *body;   /* first send's body (borrowed from the fixture) */
    char who[64];       /* "id/step" from that body                      */
    int sends;
} key_seen;

static key_seen *key_find(key_seen *k, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(k[i].key, key))
            return &k[i];
    return NULL;
}

typedef struct key_stats {
    size_t requests, distinct, resent;
} key_stats;

/* Every request carries a key; a key's re-sends repeat its first body;
 * each (execution, step) is one attempt with exactly one key. */
static key_stats verify_keys(hfx_server *srv)
{
    key_stats st = {hfx_count(srv, "/echo"), 0, 0};
    key_seen *keys = calloc(st.requests, sizeof *keys);
    assert_non_null(keys);
    for (size_t i = 0; i < hfx_requests(srv); i++) {
        const hfx_request *r = hfx_request_at(srv, i);
        if (strcmp(r->path, "/echo"))
            continue;
        const char *key = hfx_req_header(r, "Idempotency-Key");
        if (!key || !*key)
            fail_msg("request %zu (%s) has no Idempotency-Key", i, r->body);
        key_seen *k = key_find(keys, st.distinct, key);
        if (k) {
            if (strcmp(k->body, r->body))
                fail_msg("key %s re-sent with body %s, first sent with %s",
                         key, r->body, k->body);
            if (k->sends++ == 1)
                st.resent++;
            continue;
        }
        k = &keys[st.distinct++];
        k->key = key;
        k->body = r->body;
        k->sends = 1;
        json_error_t je;
        json_t *b = json_loads(r->body, 0, &je);
        snprintf(k->who, sizeof k->who, "%s/%s",
                 json_string_value(json_object_get(b, "id")),
                 json_string_value(json_object_get(b, "step")));
        json_decref(b);
    }
    for (size_t i = 0; i < st.distinct; i++)
        for (size_t j = i + 1; j < st.distinct; j++)
            if (!strcmp(keys[i].who, keys[j].who))
                fail_msg("attempt %s sent under two keys %s and %s",
                         keys[i].who, keys[i].key, keys[j].key);
    free(keys);
    return st;
}

/* Every attempt reached the service: each (execution, step) was seen. */
static void verify_every_call_seen(hfx_server *srv)
{
    const char *steps[] = {"c1", "c2", "c3", "m0", "m1", "m2", "m3"};
    for (int x = 0; x < EXECUTIONS; x++)
        for (size_t k = 0; k < sizeof steps / sizeof *steps; k++) {
            char body[64];
            snprintf(body, sizeof body, "\"id\":\"x%d\"", x);
            bool seen = false;
            for (size_t i = 0; i < hfx_requests(srv) && !seen; i++) {
                const hfx_request *r = hfx_request_at(srv, i);
                char step[32];
                snprintf(step, sizeof step, "\"step\":\"%s\"", steps[k]);
                seen = strstr(r->body, body) && strstr(r->body, step);
            }
            if (!seen)
                fail_msg("x%d step %s never reached the service", x,
                         steps[k]);
        }
}

/* Starts the workload and commits it, with no dispatcher running. */
static void start_all(const char *path, const char *url, char arns[][256])
{
    sfn_store *s = kh_open_store(path);
    sfn_error err;
    sfn_engine_opts o = {.store = s, .load_graph = loader, .round_budget = 1};
    sfn_engine *e = sfn_engine_new(&o, &err);
    assert_non_null(e);
    sfn_graph *g = kh_compile(machine);
    for (int i = 0; i < EXECUTIONS; i++) {
        json_t *in = input_for(url, i);
        char name[16], *arn = NULL;
        snprintf(name, sizeof name, "x%d", i);
        assert_int_equal(sfn_engine_start(e, "calls", 1, g, name, in, &arn,
                                          &err), SFN_OK);
        snprintf(arns[i], 256, "%s", arn);
        free(arn);
        json_decref(in);
    }
    /* one round commits the starts; this engine has no dispatcher (what
     * its effects do stays in memory) and is dropped before another
     * round could commit anything */
    assert_int_equal(sfn_engine_poll(e, 0, NULL, &err), SFN_OK);
    sfn_graph_unref(g);
    sfn_engine_free(e);
    sfn_store_close(s);
}

/* Started: the service saw a new request (so the child has calls in
 * flight; a slow start under valgrind or load still ends with calls in
 * flight when it is killed 50-400 ms later). */
typedef struct progress {
    hfx_server *srv;
    size_t seen;
} progress;

static bool call_arrived(void *ud, int wait_ms)
{
    progress *pr = ud;
    return hfx_wait_count(pr->srv, NULL, pr->seen + 1, wait_ms);
}

static int kill_cycle(hfx_server *srv, const char *path)
{
    progress pr = {srv, hfx_count(srv, NULL)};
    return kh_kill_cycle(path, loader, call_arrived, &pr, 100, 50, 350);
}

static void test_http_kill_campaign(void **state)
{
    (void)state;
    hfx_server *srv = hfx_start();
    assert_non_null(srv);
    hfx_route echo = {.method = "POST", .path = "/echo",
                      .echo = HFX_ECHO_REQUEST, .delay_ms = DELAY_MS};
    hfx_route_add(srv, &echo);
    char url[128];
    snprintf(url, sizeof url, "%s", hfx_url(srv, "/echo"));
    char dir[] = "/tmp/stepd-http-recovery-XXXXXX", path[PGFX_URL_MAX];
    kh_db_new(path, sizeof path, dir);
    srand((unsigned)time(NULL) ^ (unsigned)getpid());

    char(*arns)[256] = calloc(EXECUTIONS, sizeof *arns);
    assert_non_null(arns);
    start_all(path, url, arns);
    assert_int_equal(hfx_count(srv, NULL), 0);

    int kills = 0;
    for (int k = 0; k < KILLS; k++)
        kills += kill_cycle(srv, path);
    assert_true(kh_run_child_to_end(path, loader));

    verify_executions(path, arns, url);
    verify_every_call_seen(srv);
    key_stats st = verify_keys(srv);
    assert_int_equal(st.distinct, EXECUTIONS * (CALLS + ITEMS));
    /* the first child always has calls in flight when it dies */
    assert_true(kills > 0);
    if (!st.resent)
        fail_msg("%d kills but no Idempotency-Key was re-sent", kills);
    print_message("http recovery: %d kills, %d executions, %zu requests, "
                  "%zu distinct keys, %zu re-sent\n",
                  kills, EXECUTIONS, st.requests, st.distinct, st.resent);
    hfx_stop(srv);
    free(arns);
    kh_db_drop(path, dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_kill_campaign),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
