/* test_comp_recovery.c: compensation under SIGKILL (docs/compensation.md,
 * "Durability").  Executions of three compensable http:invoke steps and a
 * failing step are started and committed; child processes then recover
 * and run them while the parent kills each one shortly after an undo
 * request reached the service (tests/unit/http_fixture.h, served from this
 * process, answers undos slowly so that kills land with undos in flight);
 * a last child finishes.  Every execution must fail with its own error
 * after a successful compensation, the undos must have arrived newest
 * first, and each undo must have reached the service under exactly one
 * Idempotency-Key, every re-send repeating its first body. */
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
#include "sfn_events.h"
#include "sfn_json.h"
#include "sfn_store.h"
#include "sfn_tasks.h"

#define EXECUTIONS 20
#define STEPS 3
#define KILLS 10
#define UNDO_DELAY_MS 150

/* Step sK POSTs {"id","step"} to /do/sK; its undo POSTs to /undo/sK a body
 * built from the compensation input (the step's effective input and the
 * triggering error), so the body also checks what the undo was given. */
#define STEP_FMT                                                          \
    "\"s%d\":{\"Type\":\"Task\",\"Resource\":"                            \
    "\"arn:aws:states:::http:invoke\",\"Parameters\":{\"ApiEndpoint\":"   \
    "\"%s/do/s%d\",\"Method\":\"POST\",\"RequestBody\":{\"id.$\":"        \
    "\"$.id\",\"step\":\"s%d\"}},\"ResultSelector\":{\"code.$\":"         \
    "\"$.StatusCode\"},\"ResultPath\":\"$.s%d\",\"Compensation\":{"       \
    "\"Resource\":\"arn:aws:states:::http:invoke\",\"Parameters\":{"      \
    "\"ApiEndpoint\":\"%s/undo/s%d\",\"Method\":\"POST\",\"RequestBody\":" \
    "{\"id.$\":\"$.input.RequestBody.id\",\"step.$\":"                    \
    "\"$.input.RequestBody.step\",\"error.$\":\"$.error.Error\"}}},"      \
    "\"Next\":\"%s\"},"

#define FAIL_ERROR "Order.Failed"
#define FAIL_CAUSE "out of stock"

/* Built once the service's port is known, before any fork: children
 * inherit it. */
static char machine[8192];

static void build_machine(const char *base)
{
    size_t n = (size_t)snprintf(machine, sizeof machine,
                                "{\"StartAt\":\"s1\",\"States\":{");
    for (int k = 1; k <= STEPS; k++) {
        char next[8];
        snprintf(next, sizeof next, k < STEPS ? "s%d" : "Boom", k + 1);
        n += (size_t)snprintf(machine + n, sizeof machine - n, STEP_FMT, k,
                              base, k, k, k, base, k, next);
    }
    snprintf(machine + n, sizeof machine - n,
             "\"Boom\":{\"Type\":\"Task\",\"Resource\":"
             "\"arn:stepd:task:fail\",\"Parameters\":{\"Error\":\""
             FAIL_ERROR "\",\"Cause\":\"" FAIL_CAUSE "\"},\"End\":true}}}");
}

static sfn_graph *loader(void *ud, const char *name, int64_t revision,
                         sfn_error *err)
{
    (void)ud;
    (void)revision;
    if (!strcmp(name, "saga"))
        return kh_compile(machine);
    sfn_error_set(err, SFN_ENOTFOUND, NULL, -1, "no machine %s", name);
    return NULL;
}

/* ---- children ------------------------------------------------------------ */

static bool is_undo(const hfx_request *r)
{
    return !strncmp(r->path, "/undo/", 6);
}

/* Waits up to `ms` for an undo request recorded at index >= *from;
 * *from moves past what was looked at. */
static bool undo_arrived(hfx_server *srv, size_t *from, int ms)
{
    for (;;) {
        size_t n = hfx_requests(srv);
        for (; *from < n; (*from)++)
            if (is_undo(hfx_request_at(srv, *from)))
                return true;
        if (!hfx_wait_count(srv, NULL, n + 1, ms))
            return false;
    }
}

/* One child that recovers and runs, killed 30-230 ms after the first undo
 * request it caused reached the service (an undo is answered after
 * UNDO_DELAY_MS: most kills land with undos in flight, some after one
 * was answered, so the compensations advance across the kills).  1 when the
 * kill landed, 0 when the child finished first. */
typedef struct progress {
    hfx_server *srv;
    size_t from;
} progress;

static bool undo_begun(void *ud, int wait_ms)
{
    progress *pr = ud;
    return undo_arrived(pr->srv, &pr->from, wait_ms);
}

static int kill_cycle(hfx_server *srv, const char *path)
{
    progress pr = {srv, hfx_requests(srv)};
    return kh_kill_cycle(path, loader, undo_begun, &pr, 400, 30, 200);
}

/* ---- the workload ----------------------------------------------------------- */

/* Starts every execution and commits the starts, with no dispatcher. */
static void start_all(const char *path, char arns[][256])
{
    sfn_store *s = kh_open_store(path);
    sfn_error err;
    sfn_engine_opts o = {.store = s, .load_graph = loader, .round_budget = 1};
    sfn_engine *e = sfn_engine_new(&o, &err);
    assert_non_null(e);
    sfn_graph *g = kh_compile(machine);
    for (int i = 0; i < EXECUTIONS; i++) {
        char name[16], *arn = NULL;
        snprintf(name, sizeof name, "x%d", i);
        json_t *in = json_pack("{s:s}", "id", name);
        assert_int_equal(sfn_engine_start(e, "saga", 1, g, name, in, &arn,
                                          &err), SFN_OK);
        snprintf(arns[i], 256, "%s", arn);
        free(arn);
        json_decref(in);
    }
    /* one round commits the starts; what its effects would do stays in
     * this engine's memory and is dropped with it */
    assert_int_equal(sfn_engine_poll(e, 0, NULL, &err), SFN_OK);
    sfn_graph_unref(g);
    sfn_engine_free(e);
    sfn_store_close(s);
}

/* ---- checks ------------------------------------------------------------------ */

typedef struct hist_check {
    int64_t expect_id;
    int terminal, comp_started, comp_ended, step_ok, step_failed;
    bool gap, ended_ok;
} hist_check;

static int check_event(const sfn_store_event *ev, void *ud)
{
    hist_check *h = ud;
    if (ev->id != h->expect_id)
        h->gap = true;
    h->expect_id = ev->id + 1;
    if (ev->type >= SFN_EV_ExecutionSucceeded &&
        ev->type <= SFN_EV_ExecutionTimedOut)
        h->terminal++;
    h->comp_started += ev->type == SFN_EV_CompensationStarted;
    h->step_ok += ev->type == SFN_EV_CompensationStepSucceeded;
    h->step_failed += ev->type == SFN_EV_CompensationStepFailed;
    if (ev->type == SFN_EV_CompensationEnded) {
        h->comp_ended++;
        json_error_t je;
        json_t *d = ev->details ? json_loads(ev->details, 0, &je) : NULL;
        const char *status = json_string_value(json_object_get(d, "status"));
        h->ended_ok = status && !strcmp(status, "SUCCEEDED");
        json_decref(d);
    }
    return 0;
}

static void verify_executions(const char *path, char arns[][256])
{
    sfn_store *s = kh_open_store(path);
    sfn_error err;
    for (int i = 0; i < EXECUTIONS; i++) {
        sfn_exec_rec r = {0};
        assert_int_equal(sfn_store_get_execution(s, arns[i], &r, &err),
                         SFN_OK);
        if (r.status != SFN_EXEC_FAILED || !r.error ||
            strcmp(r.error, FAIL_ERROR) || !r.cause ||
            strcmp(r.cause, FAIL_CAUSE))
            fail_msg("%s ended %d (%s: %s), want FAILED (" FAIL_ERROR ": "
                     FAIL_CAUSE ")",
                     arns[i], r.status, r.error ? r.error : "",
                     r.cause ? r.cause : "");
        if (r.comp_status != SFN_COMP_STATUS_SUCCEEDED)
            fail_msg("%s: compensation status %d, want SUCCEEDED", arns[i],
                     r.comp_status);
        hist_check h = {.expect_id = 1};
        assert_int_equal(sfn_store_get_history(s, r.id, 0, 0, false,
                                               check_event, &h, &err),
                         SFN_OK);
        if (h.gap || h.expect_id != r.next_event)
            fail_msg("%s: history has gaps (next %lld, record says %lld)",
                     arns[i], (long long)h.expect_id,
                     (long long)r.next_event);
        assert_int_equal(h.terminal, 1);
        assert_int_equal(h.comp_started, 1);
        assert_int_equal(h.comp_ended, 1);
        assert_true(h.ended_ok);
        /* the service never failed: one successful attempt per undo */
        assert_int_equal(h.step_ok, STEPS);
        assert_int_equal(h.step_failed, 0);
        sfn_exec_rec_free(&r);
    }
    sfn_store_close(s);
}

/* What the service saw of one undo: (execution, step). */
typedef struct undo_seen {
    const char *key;    /* its one Idempotency-Key (borrowed)          */
    const char *body;   /* first send's body (borrowed)                */
    size_t first;       /* index of its first arrival                  */
    int sends;
} undo_seen;

typedef struct undo_stats {
    size_t requests, resent;
} undo_stats;

static int step_of(const hfx_request *r)
{
    int k = 0;
    return sscanf(r->path, "/undo/s%d", &k) == 1 && k >= 1 && k <= STEPS
               ? k
               : 0;
}

/* Records one undo request in seen[x][k-1]; fails on a second key or a
 * re-send with another body. */
static void note_undo(undo_seen seen[][STEPS], size_t i,
                      const hfx_request *r, undo_stats *st)
{
    int k = step_of(r);
    json_error_t je;
    json_t *b = json_loads(r->body, 0, &je);
    const char *id = json_string_value(json_object_get(b, "id"));
    const char *step = json_string_value(json_object_get(b, "step"));
    const char *why = json_string_value(json_object_get(b, "error"));
    int x = -1;
    if (!k || !id || sscanf(id, "x%d", &x) != 1 || x < 0 ||
        x >= EXECUTIONS || !step || strcmp(step, r->path + 6) || !why ||
        strcmp(why, FAIL_ERROR))
        fail_msg("unexpected undo request %s %s", r->path, r->body);
    json_decref(b);
    const char *key = hfx_req_header(r, "Idempotency-Key");
    if (!key || !strstr(key, "-c"))
        fail_msg("undo %s of x%d has Idempotency-Key '%s', want "
                 "...-c<record>-<attempt>",
                 r->path, x, key ? key : "");
    undo_seen *u = &seen[x][k - 1];
    st->requests++;
    if (!u->sends) {
        *u = (undo_seen){.key = key, .body = r->body, .first = i,
                         .sends = 1};
        return;
    }
    if (strcmp(u->key, key))
        fail_msg("undo s%d of x%d sent under two keys %s and %s", k, x,
                 u->key, key);
    if (strcmp(u->body, r->body))
        fail_msg("undo s%d of x%d re-sent with body %s, first sent with %s",
                 k, x, r->body, u->body);
    u->sends++;
    st->resent++;
}

/* Every undo reached the service, newest step first, under one key. */
static undo_stats verify_undos(hfx_server *srv)
{
    undo_seen(*seen)[STEPS] = calloc(EXECUTIONS, sizeof *seen);
    assert_non_null(seen);
    undo_stats st = {0, 0};
    for (size_t i = 0; i < hfx_requests(srv); i++) {
        const hfx_request *r = hfx_request_at(srv, i);
        if (is_undo(r))
            note_undo(seen, i, r, &st);
    }
    for (int x = 0; x < EXECUTIONS; x++) {
        for (int k = 0; k < STEPS; k++)
            if (!seen[x][k].sends)
                fail_msg("undo s%d of x%d never reached the service", k + 1,
                         x);
        for (int k = 0; k + 1 < STEPS; k++)
            if (seen[x][k].first < seen[x][k + 1].first)
                fail_msg("x%d: undo s%d arrived before undo s%d", x, k + 1,
                         k + 2);
    }
    free(seen);
    return st;
}

/* ---- the test ------------------------------------------------------------- */

static void test_comp_kill_campaign(void **state)
{
    (void)state;
    hfx_server *srv = hfx_start();
    assert_non_null(srv);
    hfx_route step = {.method = "POST", .path = "/do/*", .status = 200,
                      .content_type = "application/json", .body = "{}"};
    hfx_route undo = {.method = "POST", .path = "/undo/*", .status = 200,
                      .content_type = "application/json",
                      .body = "{\"undone\":true}",
                      .delay_ms = UNDO_DELAY_MS};
    hfx_route_add(srv, &step);
    hfx_route_add(srv, &undo);
    char base[128];
    snprintf(base, sizeof base, "%s", hfx_url(srv, ""));
    build_machine(base);

    char dir[] = "/tmp/stepd-comp-recovery-XXXXXX", path[PGFX_URL_MAX];
    kh_db_new(path, sizeof path, dir);
    srand((unsigned)time(NULL) ^ (unsigned)getpid());

    char(*arns)[256] = calloc(EXECUTIONS, sizeof *arns);
    assert_non_null(arns);
    start_all(path, arns);
    assert_int_equal(hfx_requests(srv), 0);

    int kills = 0;
    for (int k = 0; k < KILLS; k++)
        kills += kill_cycle(srv, path);
    assert_true(kh_run_child_to_end(path, loader));

    verify_executions(path, arns);
    undo_stats st = verify_undos(srv);
    /* the first child always has undos in flight when it dies */
    assert_true(kills > 0);
    if (!st.resent)
        fail_msg("%d kills but no undo was re-sent", kills);
    print_message("comp recovery: %d kills, %d executions, %zu undo "
                  "requests, %zu re-sent\n",
                  kills, EXECUTIONS, st.requests, st.resent);
    hfx_stop(srv);
    free(arns);
    kh_db_drop(path, dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_comp_kill_campaign),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
