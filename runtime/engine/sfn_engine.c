/* sfn_engine.c: rounds of run -> group commit -> effects over many
 * executions, timers in a min-heap keyed by store id (never by pointer, so
 * a parked or finished execution leaves no dangling entry), parking of
 * executions whose next wake-up is far away, and recovery. */
#include "sfn_engine.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_internal.h"
#include "sfn_tasks.h"
#include "sfn_json.h"


/* ---- timer heap ------------------------------------------------------- */

static void heap_swap(timer *a, timer *b)
{
    timer t = *a;
    *a = *b;
    *b = t;
}

static void heap_push(sfn_engine *e, int64_t wake, int64_t exec_id,
                      uint32_t strand)
{
    if (e->n_heap == e->cap_heap) {
        size_t cap = e->cap_heap ? e->cap_heap * 2 : 64;
        timer *h = realloc(e->heap, cap * sizeof *h);
        if (!h)
            return;
        e->heap = h;
        e->cap_heap = cap;
    }
    size_t i = e->n_heap++;
    e->heap[i] = (timer){wake, exec_id, strand};
    while (i && e->heap[(i - 1) / 2].wake_ms > e->heap[i].wake_ms) {
        heap_swap(&e->heap[i], &e->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
}

void engine_timer_push(sfn_engine *e, int64_t wake, int64_t exec_id,
                       uint32_t strand)
{
    heap_push(e, wake, exec_id, strand);
}

static timer heap_pop(sfn_engine *e)
{
    timer top = e->heap[0];
    e->heap[0] = e->heap[--e->n_heap];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < e->n_heap && e->heap[l].wake_ms < e->heap[m].wake_ms)
            m = l;
        if (r < e->n_heap && e->heap[r].wake_ms < e->heap[m].wake_ms)
            m = r;
        if (m == i)
            break;
        heap_swap(&e->heap[i], &e->heap[m]);
        i = m;
    }
    return top;
}

/* ---- live set --------------------------------------------------------- */

static void id_key(int64_t id, char *buf, size_t n)
{
    snprintf(buf, n, "%lld", (long long)id);
}

sfn_execution *engine_live_find(sfn_engine *e, int64_t id)
{
    char k[24];
    id_key(id, k, sizeof k);
    json_t *v = json_object_get(e->by_id, k);
    return v ? e->live[json_integer_value(v)] : NULL;
}

static bool live_add(sfn_engine *e, sfn_execution *x)
{
    if (e->n_live == e->cap_live) {
        size_t cap = e->cap_live ? e->cap_live * 2 : 64;
        sfn_execution **l = realloc(e->live, cap * sizeof *l);
        if (!l)
            return false;
        e->live = l;
        e->cap_live = cap;
    }
    e->live[e->n_live++] = x;
    return true;
}

static void live_index(sfn_engine *e, size_t i)
{
    char k[24];
    if (!e->live[i]->store_id)
        return;
    id_key(e->live[i]->store_id, k, sizeof k);
    json_object_set_new(e->by_id, k, json_integer((json_int_t)i));
}

/* Removes live[i] (swap with last) and frees the execution. */
static void live_remove(sfn_engine *e, size_t i)
{
    char k[24];
    sfn_execution *x = e->live[i];
    id_key(x->store_id, k, sizeof k);
    json_object_del(e->by_id, k);
    e->live[i] = e->live[--e->n_live];
    if (i < e->n_live)
        live_index(e, i);
    sfn_exec_free(x);
}

void engine_live_drop(sfn_engine *e, size_t i)
{
    live_remove(e, i);
}

/* ---- construction ----------------------------------------------------- */

sfn_engine *sfn_engine_new(const sfn_engine_opts *opts, sfn_error *err)
{
    if (!opts || !opts->store) {
        sfn_error_set(err, SFN_EINVAL, NULL, -1, "engine needs a store");
        return NULL;
    }
    sfn_engine *e = calloc(1, sizeof *e);
    if (!e || !(e->by_id = json_object())) {
        free(e);
        sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
        return NULL;
    }
    e->o = *opts;
    e->clock = opts->clock ? opts->clock : sfn_clock_real();
    if (!e->o.limits.history_events_max)
        e->o.limits = sfn_exec_limits_default();
    e->adaptive = e->o.round_budget <= 0;
    if (e->o.round_budget <= 0)
        e->o.round_budget = 256;
    if (e->o.round_max <= 0)
        e->o.round_max = 8192;
    if (e->o.timer_horizon_ms <= 0)
        e->o.timer_horizon_ms = 60000;
    snprintf(e->region, sizeof e->region, "%s",
             opts->region ? opts->region : "us-east-1");
    snprintf(e->account, sizeof e->account, "%s",
             opts->account ? opts->account : "123456789012");
    engine_calls_init(e);
    e->shared = sfn_store_shared(e->o.store);
    if (e->o.lease_ms <= 0)
        e->o.lease_ms = 10000;
    /* small, frequent WAL checkpoints: each stalls its commit less
     * (failure only costs latency) */
    sfn_error ignored;
    sfn_store_set_checkpoint_pages(e->o.store, 256, &ignored);
    return e;
}

void sfn_engine_free(sfn_engine *e)
{
    if (!e)
        return;
    engine_calls_free(e);
    engine_tasks_free(e);
    sfn_json_buf_free(&e->jbuf);
    for (size_t i = 0; i < e->n_live; i++)
        sfn_exec_free(e->live[i]);
    free(e->live);
    free(e->heap);
    json_decref(e->by_id);
    free(e);
}

char *sfn_engine_machine_arn(const sfn_engine *e, const char *machine)
{
    char *s = NULL;
    if (asprintf(&s, "arn:aws:states:%s:%s:stateMachine:%s", e->region,
                 e->account, machine) < 0)
        return NULL;
    return s;
}

char *sfn_engine_exec_arn(const sfn_engine *e, const char *machine,
                          const char *name)
{
    char *s = NULL;
    if (asprintf(&s, "arn:aws:states:%s:%s:execution:%s:%s", e->region,
                 e->account, machine, name) < 0)
        return NULL;
    return s;
}

static void uuid_v4(char out[37])
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        for (size_t i = 0; i < sizeof b; i++)
            b[i] = (unsigned char)rand();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
             b[10], b[11], b[12], b[13], b[14], b[15]);
}

static uint64_t seed64(void)
{
    uint64_t s = 0;
    if (RAND_bytes((unsigned char *)&s, sizeof s) != 1)
        s = (uint64_t)time(NULL);
    return s;
}

static bool block_uses_jsonata(const sfn_block *b)
{
    for (size_t i = 0; i < b->n_states; i++) {
        const sfn_state *st = &b->states[i];
        if (st->ql == SFN_QL_JSONATA)
            return true;
        for (size_t k = 0; k < st->n_branches; k++)
            if (block_uses_jsonata(st->branches[k]))
                return true;
        if (st->processor && block_uses_jsonata(st->processor))
            return true;
    }
    return false;
}

bool sfn_engine_supports(const sfn_graph *g, sfn_error *err)
{
    if (!sfn_exec_jsonata_ready && block_uses_jsonata(g->root)) {
        sfn_error_set(err, SFN_EUNSUPPORTED, NULL, -1,
                      "this definition uses QueryLanguage JSONata, which "
                      "stepd does not execute yet (it validates it); use "
                      "JSONPath states for now");
        return false;
    }
    return true;
}

sfn_rc sfn_engine_start_arn(sfn_engine *e, const char *machine,
                            int64_t revision, sfn_graph *graph,
                            const char *name, const char *arn, json_t *input,
                            bool express, sfn_error *err)
{
    if (!sfn_engine_supports(graph, err))
        return SFN_EUNSUPPORTED;
    char *in_text = sfn_json_dumps(input, 0);
    size_t in_len = in_text ? strlen(in_text) : 0;
    free(in_text);
    if (in_len > e->o.limits.payload_bytes_max)
        return sfn_error_set(err, SFN_ELIMIT, "InvalidExecutionInput", -1,
                             "execution input is %zu bytes, above the limit "
                             "of %zu bytes",
                             in_len, e->o.limits.payload_bytes_max);
    char *marn = sfn_engine_machine_arn(e, machine);
    int64_t now = sfn_clock_now_ms(e->clock);
    sfn_execution *x = marn ? sfn_exec_new(graph, arn, name, marn, machine,
                                           input, now, seed64())
                            : NULL;
    free(marn);
    if (!x || !live_add(e, x)) {
        sfn_exec_free(x);
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    }
    x->limits = e->o.limits;
    x->revision = revision;
    x->express = express;
    engine_exec_attach(e, x);
    sfn_exec_start(x, now);
    e->stats.started++;
    return SFN_OK;
}

sfn_rc sfn_engine_start(sfn_engine *e, const char *machine, int64_t revision,
                        sfn_graph *graph, const char *name, json_t *input,
                        char **arn_out, sfn_error *err)
{
    return sfn_engine_start_case(e, machine, revision, graph, name, input,
                                 NULL, arn_out, err);
}

sfn_rc sfn_engine_start_case(sfn_engine *e, const char *machine,
                             int64_t revision, sfn_graph *graph,
                             const char *name, json_t *input,
                             const char *test_case, char **arn_out,
                             sfn_error *err)
{
    char uuid[37];
    if (!name) {
        uuid_v4(uuid);
        name = uuid;
    }
    char *earn = sfn_engine_exec_arn(e, machine, name);
    if (!earn)
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    sfn_rc rc = sfn_engine_start_arn(e, machine, revision, graph, name, earn,
                                     input, false, err);
    if (rc == SFN_OK && test_case &&
        !(e->live[e->n_live - 1]->test_case = strdup(test_case)))
        rc = sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    if (rc == SFN_OK && arn_out)
        *arn_out = earn;
    else
        free(earn);
    return rc;
}

size_t sfn_engine_running(const sfn_engine *e)
{
    return e->n_live + e->parked;
}

sfn_engine_stats sfn_engine_get_stats(const sfn_engine *e)
{
    sfn_engine_stats st = e->stats;
    st.live = (int64_t)e->n_live;
    st.parked = (int64_t)e->parked;
    if (e->shared) {
        sfn_store_lease_stats ls = sfn_store_get_lease_stats(e->o.store);
        st.lease_held = ls.held;
        st.lease_claims = ls.claims;
        st.lease_takeovers = ls.takeovers;
        st.lease_lost = ls.lost;
    }
    return st;
}

/* ---- commit ----------------------------------------------------------- */

static int64_t exec_wake(const sfn_execution *x)
{
    int64_t wake = x->deadline_ms;
    for (uint32_t i = 0; i < x->n_strands; i++) {
        const sfn_strand *s = x->strands[i];
        if (s && (s->phase == SFN_PH_TIMER || s->phase == SFN_PH_TASK) &&
            s->wake_ms && (!wake || s->wake_ms < wake))
            wake = s->wake_ms;
        if (s && s->phase == SFN_PH_TASK && s->hb_ms &&
            (!wake || s->hb_ms < wake))
            wake = s->hb_ms;
    }
    int64_t cw = sfn_exec_comp_wake(x);
    if (cw && (!wake || cw < wake))
        wake = cw;
    return wake;
}

static void rec_of(const sfn_execution *x, sfn_exec_rec *r, char **out)
{
    memset(r, 0, sizeof *r);
    r->id = x->store_id;
    r->arn = x->arn;
    r->machine = x->machine_name;
    r->revision = x->revision;
    r->name = x->name;
    r->status = (int)x->status;
    r->error = x->error;
    r->cause = x->cause;
    r->start_ms = x->start_ms;
    r->stop_ms = x->stop_ms;
    r->next_event = x->next_event_id;
    r->wake_ms = x->status == SFN_EXEC_RUNNING ? exec_wake(x) : 0;
    r->test_case = x->test_case;
    r->comp_status = x->comp_status;
    r->redrive_count = x->redrive_count;
    r->redrive_ms = x->redrive_ms;
    *out = x->output ? sfn_json_dumps(x->output, 0) : NULL;
    r->output = *out;
}

typedef struct gone_ctx {
    sfn_engine *e;
    sfn_execution *x;
    sfn_rc rc;
    sfn_error *err;
} gone_ctx;

static void strand_gone(void *ud, uint32_t strand)
{
    gone_ctx *g = ud;
    if (g->rc == SFN_OK)
        g->rc = sfn_store_delete_snapshot(g->e->o.store, g->x->store_id,
                                          strand, g->err);
}

static sfn_rc write_events(sfn_engine *e, sfn_execution *x, sfn_error *err)
{
    sfn_rc rc = SFN_OK;
    for (size_t i = 0; i < x->n_events && rc == SFN_OK; i++) {
        const sfn_event *ev = &x->events[i];
        const char *text = NULL;
        if (ev->details && !(text = sfn_json_dump_to(ev->details, &e->jbuf)))
            return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
        sfn_store_event se = {ev->id, ev->prev, ev->ts_ms, (int)ev->type,
                              text};
        if (ev->type == SFN_EV_CompensationStarted) {
            e->stats.comp_started++;
        } else if (ev->type == SFN_EV_CompensationEnded) {
            const char *st = json_string_value(
                json_object_get(ev->details, "status"));
            if (st && !strcmp(st, "SUCCEEDED"))
                e->stats.comp_succeeded++;
            else
                e->stats.comp_failed++;
        }
        rc = sfn_store_append_events(e->o.store, x->store_id, &se, 1, err);
    }
    e->stats.events += (int64_t)x->n_events;
    return rc;
}

static sfn_rc write_exec(sfn_engine *e, sfn_execution *x, sfn_error *err)
{
    sfn_exec_rec r;
    char *output = NULL;
    rec_of(x, &r, &output);
    sfn_rc rc;
    if (!x->store_id) {
        char *input = sfn_json_dumps(x->input, 0);
        r.input = input;
        rc = sfn_store_insert_execution(e->o.store, &r, err);
        free(input);
        if (rc == SFN_OK)
            x->store_id = r.id;
    } else {
        rc = sfn_store_update_execution(e->o.store, &r, err);
    }
    free(output);
    if (rc != SFN_OK || (rc = write_events(e, x, err)) != SFN_OK ||
        (rc = engine_write_tokens(e, x, err)) != SFN_OK)
        return rc;
    bool redrivable = x->status == SFN_EXEC_FAILED ||
                      x->status == SFN_EXEC_TIMED_OUT ||
                      x->status == SFN_EXEC_ABORTED;
    if (x->status != SFN_EXEC_RUNNING && (!redrivable || x->express)) {
        /* an execution that ends in the round that inserted it never had
         * snapshot rows (the common case of short executions) */
        bool any = !x->fresh;
        for (uint32_t i = 0; !any && i < x->n_strands; i++)
            any = x->strands[i] && x->strands[i]->persisted;
        return any ? sfn_store_clear_snapshots(e->o.store, x->store_id, err)
                   : SFN_OK;
    }
    /* a failed, timed-out or aborted execution keeps the snapshots of its
     * end, finished strands included, for RedriveExecution */
    for (uint32_t i = 0; i < x->n_strands && rc == SFN_OK; i++) {
        sfn_strand *s = x->strands[i];
        if (!s || (x->status == SFN_EXEC_RUNNING &&
                   (!s->dirty || s->phase == SFN_PH_DONE)) ||
            (x->status != SFN_EXEC_RUNNING && !s->dirty && s->persisted))
            continue;
        char *text = sfn_exec_strand_dump(s);
        rc = text ? sfn_store_put_snapshot(e->o.store, x->store_id, i, text,
                                           err)
                  : sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
        free(text);
        s->dirty = false;
        s->persisted = true;
    }
    gone_ctx g = {e, x, rc, err};
    if (rc == SFN_OK && x->status == SFN_EXEC_RUNNING)
        sfn_exec_collect(x, strand_gone, &g);
    return g.rc;
}

static bool needs_write(const sfn_execution *x)
{
    return !x->store_id || x->n_events || x->status != SFN_EXEC_RUNNING ||
           x->touched || x->n_closed || x->state_dirty;
}

/* One transaction for every execution that changed in this round. */
static const double event_bounds[SFN_ENGINE_HIST - 1] = {
    1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384};
static const double second_bounds[SFN_ENGINE_HIST - 1] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
    0.025,  0.05,    0.1,    0.25,  0.5,    1};

const double *sfn_engine_hist_bounds(sfn_hist_kind kind)
{
    return kind == SFN_HIST_COMMIT_EVENTS ? event_bounds : second_bounds;
}

static void hist_add(int64_t *h, const double *bounds, double v)
{
    int k = 0;
    while (k < SFN_ENGINE_HIST - 1 && v > bounds[k])
        k++;
    h[k]++;
}

static double mono_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static sfn_rc commit_round(sfn_engine *e, sfn_error *err)
{
    bool any = false;
    for (size_t i = 0; i < e->n_live && !any; i++)
        any = needs_write(e->live[i]);
    if (!any)
        return SFN_OK;
    int64_t events_before = e->stats.events;
    double t0 = mono_seconds();
    for (size_t i = 0; i < e->n_live; i++)
        e->live[i]->fresh = !e->live[i]->store_id;
    sfn_rc rc = sfn_store_begin(e->o.store, err);
    for (size_t i = 0; i < e->n_live && rc == SFN_OK; i++)
        if (needs_write(e->live[i]))
            rc = write_exec(e, e->live[i], err);
    if (rc == SFN_OK)
        rc = sfn_store_commit(e->o.store, err);
    else
        sfn_store_rollback(e->o.store);
    if (rc != SFN_OK) {
        /* nothing of the round is in the store: the next round writes it
         * all again (rows of new executions, every snapshot) */
        for (size_t i = 0; i < e->n_live; i++) {
            sfn_execution *x = e->live[i];
            if (x->fresh)
                x->store_id = 0;
            for (uint32_t k = 0; k < x->n_strands; k++)
                if (x->strands[k])
                    x->strands[k]->dirty = true;
        }
        e->stats.events = events_before;
        return rc;
    }
    e->stats.commits++;
    double secs = mono_seconds() - t0;
    hist_add(e->stats.commit_events, event_bounds,
             (double)(e->stats.events - events_before));
    hist_add(e->stats.commit_seconds, second_bounds, secs);
    e->stats.commit_seconds_sum += secs;
    for (size_t i = 0; i < e->n_live; i++) {
        sfn_execution *x = e->live[i];
        live_index(e, i);
        if (e->o.observer)
            for (size_t k = 0; k < x->n_events; k++)
                e->o.observer(e->o.observer_ud, x, &x->events[k]);
        for (size_t k = 0; k < x->n_events; k++)
            json_decref(x->events[k].details);
        x->n_events = 0;
        x->touched = false;
        x->state_dirty = false;
        sfn_exec_drain_closed(x);
    }
    return SFN_OK;
}

/* ---- effects ---------------------------------------------------------- */

static void perform_effects(sfn_engine *e, sfn_execution *x, int64_t now)
{
    size_t n = x->n_effects;
    if (!n)
        return;
    sfn_effect *fx = malloc(n * sizeof *fx);
    if (!fx)
        return;
    memcpy(fx, x->effects, n * sizeof *fx);
    x->n_effects = 0;
    for (size_t i = 0; i < n; i++) {
        if (fx[i].kind == SFN_EFFECT_TIMER)
            heap_push(e, fx[i].wake_ms, x->store_id, fx[i].strand);
        else
            engine_dispatch_task(e, x, &fx[i], now);
        json_decref(fx[i].payload);
    }
    free(fx);
}

/* ---- parking ---------------------------------------------------------- */

/* A request in flight or an activity not yet taken keeps an execution in
 * memory; an accepted callback task waits in the store like a timer. */
static bool has_inflight_task(const sfn_execution *x)
{
    for (uint32_t i = 0; i < x->n_strands; i++)
        if (x->strands[i] && x->strands[i]->phase == SFN_PH_TASK &&
            !x->strands[i]->submitted)
            return true;
    return sfn_exec_comp_inflight(x);
}

/* Finished executions leave memory; so do running ones with nothing to do
 * before the horizon (their wake_ms row brings them back). */
static void retire(sfn_engine *e, int64_t now)
{
    for (size_t i = e->n_live; i-- > 0;) {
        sfn_execution *x = e->live[i];
        /* uncommitted events (a task result delivered after the commit)
         * keep an execution here until the next round writes them */
        if (!x->store_id || x->n_events)
            continue;
        if (x->status != SFN_EXEC_RUNNING) {
            e->stats.finished++;
            engine_calls_finished(e, x);
            live_remove(e, i);
            continue;
        }
        int64_t wake = exec_wake(x);
        if (!x->n_ready && !x->n_effects && !has_inflight_task(x) &&
            (!wake || wake > now + e->o.timer_horizon_ms)) {
            e->parked++;
            live_remove(e, i);
        }
    }
}


static int load_snapshot(int64_t key, const char *data, void *ud)
{
    void **a = ud;
    sfn_execution *x = a[0];
    sfn_error *err = a[1];
    if (key == ENGINE_SNAP_EXEC) {
        sfn_exec_state_load(x, data, err);
        return 0;
    }
    if (key >= 0 && key < UINT32_MAX)
        sfn_exec_strand_load(x, (uint32_t)key, data, err);
    return 0;
}

/* Rebuilds one execution from its row and snapshots and arms its timers. */
int engine_load_exec(const sfn_exec_rec *r, void *ud)
{
    load_ctx *c = ud;
    sfn_engine *e = c->e;
    if (engine_live_find(e, r->id))
        return 0;
    sfn_error err;
    sfn_graph *g = e->o.load_graph
                       ? e->o.load_graph(e->o.load_ud, r->machine, r->revision,
                                         &err)
                       : NULL;
    if (!g)
        return 0;
    json_error_t je;
    json_t *input = sfn_json_loadb(r->input, strlen(r->input), JSON_DECODE_ANY,
                                   &je);
    char *marn = sfn_engine_machine_arn(e, r->machine);
    sfn_execution *x = sfn_exec_new(g, r->arn, r->name, marn, r->machine,
                                    input, r->start_ms, seed64());
    free(marn);
    json_decref(input);
    sfn_graph_unref(g);
    if (!x)
        return 0;
    x->store_id = r->id;
    x->revision = r->revision;
    x->next_event_id = r->next_event;
    x->limits = e->o.limits;
    x->test_case = r->test_case ? strdup(r->test_case) : NULL;
    x->comp_status = r->comp_status;
    x->redrive_count = (uint32_t)r->redrive_count;
    x->redrive_ms = r->redrive_ms;
    engine_exec_attach(e, x);
    void *a[2] = {x, &err};
    if (sfn_store_load_snapshots(e->o.store, r->id, load_snapshot, a,
                                 &err) != SFN_OK ||
        sfn_exec_resume(x, c->now, &err) != SFN_OK || !live_add(e, x)) {
        sfn_exec_free(x);
        return 0;
    }
    live_index(e, e->n_live - 1);
    if (x->deadline_ms) {
        heap_push(e, x->deadline_ms, x->store_id, EXEC_TIMEOUT_STRAND);
        x->deadline_armed = true;
    }
    perform_effects(e, x, c->now);
    c->loaded++;
    return 0;
}

sfn_rc sfn_engine_recover(sfn_engine *e, size_t *resumed, sfn_error *err)
{
    load_ctx c = {e, sfn_clock_now_ms(e->clock), 0, err};
    sfn_rc rc = sfn_store_list_running(e->o.store, engine_load_exec, &c, err);
    if (resumed)
        *resumed = c.loaded;
    e->parked = 0;
    return rc;
}

/* Brings back parked executions whose wake-up is within the horizon. */
static void unpark(sfn_engine *e, int64_t now)
{
    /* a next check further away than one period means the clock jumped
     * back: rows parked since could fall due before it, so check now */
    bool jumped_back = e->next_unpark_ms > now + e->o.timer_horizon_ms / 2;
    if (!e->parked || (now < e->next_unpark_ms && !jumped_back))
        return;
    e->next_unpark_ms = now + e->o.timer_horizon_ms / 2;
    load_ctx c = {e, now, 0, NULL};
    sfn_store_list_due(e->o.store, now + e->o.timer_horizon_ms, engine_load_exec, &c,
                       NULL);
    e->parked -= c.loaded <= e->parked ? c.loaded : e->parked;
}

/* ---- rounds ----------------------------------------------------------- */

static void fire_timers(sfn_engine *e, int64_t now)
{
    while (e->n_heap && e->heap[0].wake_ms <= now) {
        timer t = heap_pop(e);
        sfn_execution *x = engine_live_find(e, t.exec_id);
        if (!x)
            continue; /* finished or parked: the row remembers */
        if (t.strand == EXEC_TIMEOUT_STRAND)
            sfn_exec_timeout(x, now);
        else
            sfn_exec_timer(x, t.strand, now);
    }
}

static bool any_ready(const sfn_engine *e)
{
    for (size_t i = 0; i < e->n_live; i++)
        if (e->live[i]->n_ready || e->live[i]->n_events ||
            !e->live[i]->store_id)
            return true;
    return false;
}

sfn_rc sfn_engine_poll(sfn_engine *e, int64_t wait_ms, int64_t *made,
                       sfn_error *err)
{
    int64_t now = sfn_clock_now_ms(e->clock);
    int64_t total = 0;
    if (e->o.tasks && sfn_tasks_inflight(e->o.tasks))
        sfn_tasks_poll(e->o.tasks, 0); /* answers that arrived meanwhile */
    engine_lease_tick(e, now);
    if (e->reload)
        engine_recover_shared(e, now); /* tried again while it fails */
    engine_take_calls(e, now);
    engine_match_pollers(e, now);
    /* starts read the clock themselves: later work must not predate them */
    now = sfn_clock_now_ms(e->clock);
    unpark(e, now);
    fire_timers(e, now);
    int64_t lease_in = engine_lease_due_in(e);
    if (wait_ms > lease_in)
        wait_ms = lease_in > 0 ? lease_in : 1;
    if (!any_ready(e) && !e->n_heap && wait_ms > 0 && !e->parked)
        engine_wait(e, wait_ms); /* idle: until a call or the timeout */
    else if (!any_ready(e) && e->n_heap) {
        int64_t next = e->heap[0].wake_ms;
        if (e->o.simulated_time) {
            sfn_clock_fake_advance(e->clock, next - now);
        } else if (next > now && wait_ms > 0) {
            int64_t ms = next - now < wait_ms ? next - now : wait_ms;
            engine_wait(e, ms);
        }
        now = sfn_clock_now_ms(e->clock);
        fire_timers(e, now);
    }
    /* A round's work is bounded overall (memory held until the commit,
     * and the latency of acknowledgements), shared round-robin. */
    int budget = e->o.round_budget;
    int64_t left = e->o.round_max;
    if (e->adaptive && e->n_live && (size_t)budget * e->n_live < (size_t)left)
        budget = (int)(left / (int64_t)e->n_live);
    for (size_t k = 0; k < e->n_live && left > 0; k++) {
        size_t i = (e->cursor + k) % e->n_live;
        int b = budget < left ? budget : (int)left;
        int done = sfn_exec_run(e->live[i], now, b);
        total += done;
        left -= done;
    }
    if (e->n_live)
        e->cursor = (e->cursor + 1) % e->n_live;
    e->stats.transitions += total;
    sfn_rc rc = commit_round(e, err);
    /* another node took some of these executions: drop them, write the
     * rest (a paused node may find all its leases gone at once) */
    for (int tries = 0; rc == SFN_ELEASE && tries < 3; tries++) {
        engine_lease_lost(e);
        rc = commit_round(e, err);
    }
    if (rc != SFN_OK && e->shared)
        engine_drop_taken_names(e);
    engine_calls_committed(e, rc, err);
    /* a lost connection may have taken the commit through or not: only
     * the store knows; start again from it */
    if (rc == SFN_EIO && e->shared)
        engine_reload(e);
    if (rc != SFN_OK)
        return rc;
    for (size_t i = 0; i < e->n_live; i++) {
        sfn_execution *x = e->live[i];
        /* timers are keyed by store id, known once the row exists */
        if (x->deadline_ms && !x->deadline_armed &&
            x->status == SFN_EXEC_RUNNING) {
            heap_push(e, x->deadline_ms, x->store_id, EXEC_TIMEOUT_STRAND);
            x->deadline_armed = true;
        }
        perform_effects(e, x, now);
    }
    retire(e, now);
    if (made)
        *made = total;
    return SFN_OK;
}

/* ---- redrive ----------------------------------------------------------- */

#define REDRIVE_WINDOW_MS (14LL * 24 * 3600 * 1000)
#define REDRIVE_MAX 1000

static sfn_rc not_redrivable(sfn_error *err, const char *why, const char *arn)
{
    return sfn_error_set(err, SFN_EINVAL, "ExecutionNotRedrivable", -1,
                         "Execution '%s' cannot be redriven: %s", arn, why);
}

/* The checks of asl.md 9.4 on the row; SFN_OK when it may be redriven. */
static sfn_rc redrive_check(const sfn_exec_rec *r, int64_t now,
                            sfn_error *err)
{
    if (r->status == SFN_EXEC_RUNNING)
        return not_redrivable(err, "it is RUNNING", r->arn);
    if (r->status == SFN_EXEC_SUCCEEDED)
        return not_redrivable(err, "it SUCCEEDED", r->arn);
    if (strstr(r->arn, ":express:"))
        return not_redrivable(err, "EXPRESS executions cannot be redriven",
                              r->arn);
    if (now - r->stop_ms > REDRIVE_WINDOW_MS)
        return not_redrivable(err, "it stopped more than 14 days ago",
                              r->arn);
    if (r->redrive_count >= REDRIVE_MAX)
        return not_redrivable(err, "it was redriven 1000 times", r->arn);
    return SFN_OK;
}

sfn_rc engine_redrive(sfn_engine *e, const char *arn, int64_t now,
                      sfn_error *err)
{
    sfn_exec_rec r = {0};
    if (sfn_store_get_execution(e->o.store, arn, &r, err) != SFN_OK)
        return sfn_error_set(err, SFN_ENOTFOUND, "ExecutionDoesNotExist", -1,
                             "Execution Does Not Exist: '%s'", arn);
    sfn_rc rc = redrive_check(&r, now, err);
    sfn_graph *g = rc == SFN_OK && e->o.load_graph
                       ? e->o.load_graph(e->o.load_ud, r.machine, r.revision,
                                         err)
                       : NULL;
    if (rc == SFN_OK && !g)
        rc = not_redrivable(err, "its state machine revision is gone", arn);
    if (rc == SFN_OK && r.comp_status != SFN_COMP_STATUS_NONE &&
        !g->comp_allow_redrive)
        rc = not_redrivable(
            err,
            "its compensation already ran (set CompensationPolicy."
            "AllowRedriveAfterCompensation to allow it)",
            arn);
    /* on a shared store the node that redrives takes the lease */
    if (rc == SFN_OK && e->shared &&
        sfn_store_adopt(e->o.store, r.id, err) != SFN_OK)
        rc = err->rc;
    sfn_execution *x = NULL;
    if (rc == SFN_OK) {
        json_error_t je;
        json_t *input = sfn_json_loadb(r.input, strlen(r.input),
                                       JSON_DECODE_ANY, &je);
        char *marn = sfn_engine_machine_arn(e, r.machine);
        x = sfn_exec_new(g, r.arn, r.name, marn, r.machine, input,
                         r.start_ms, seed64());
        free(marn);
        json_decref(input);
    }
    if (x) {
        x->store_id = r.id;
        x->revision = r.revision;
        x->next_event_id = r.next_event;
        x->limits = e->o.limits;
        x->test_case = r.test_case ? strdup(r.test_case) : NULL;
        x->comp_status = r.comp_status;
        x->redrive_count = (uint32_t)r.redrive_count;
        engine_exec_attach(e, x);
        void *a[2] = {x, err};
        if (sfn_store_load_snapshots(e->o.store, r.id, load_snapshot, a,
                                     err) != SFN_OK)
            rc = SFN_EIO;
        else if (!x->n_strands || !x->strands[0])
            rc = not_redrivable(err, "no state of its end was kept (it ended "
                                     "before this version of stepd)", arn);
        else
            rc = sfn_exec_redrive(x, now, err);
        if (rc == SFN_OK && !live_add(e, x))
            rc = sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
        if (rc != SFN_OK)
            sfn_exec_free(x);
    } else if (rc == SFN_OK) {
        rc = sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    }
    sfn_graph_unref(g);
    sfn_exec_rec_free(&r);
    if (rc != SFN_OK)
        return rc;
    live_index(e, e->n_live - 1);
    if (x->graph->timeout_s > 0) /* TimeoutSeconds starts again */
        x->deadline_ms = now + x->graph->timeout_s * 1000;
    x->deadline_armed = false;
    perform_effects(e, x, now);
    return SFN_OK;
}

sfn_rc sfn_engine_redrive(sfn_engine *e, const char *arn, sfn_error *err)
{
    return engine_redrive(e, arn, sfn_clock_now_ms(e->clock), err);
}

sfn_rc sfn_engine_stop(sfn_engine *e, const char *arn, const char *error,
                       const char *cause, bool compensate, sfn_error *err)
{
    int64_t now = sfn_clock_now_ms(e->clock);
    sfn_exec_rec r = {0};
    if (sfn_store_get_execution(e->o.store, arn, &r, err) != SFN_OK)
        return sfn_error_set(err, SFN_ENOTFOUND, "ExecutionDoesNotExist", -1,
                             "Execution Does Not Exist: '%s'", arn);
    sfn_execution *x = r.status == SFN_EXEC_RUNNING
                           ? engine_live_load(e, r.id, now)
                           : NULL;
    sfn_exec_rec_free(&r);
    if (!x)
        return sfn_error_set(err, SFN_ENOTFOUND, "ExecutionDoesNotExist", -1,
                             "execution '%s' is not running", arn);
    return sfn_exec_stop_ex(x, error, cause, compensate, now);
}

sfn_rc sfn_engine_run_until_idle(sfn_engine *e, sfn_error *err)
{
    while (e->n_live || e->parked) {
        sfn_rc rc = sfn_engine_poll(e, 1000, NULL, err);
        if (rc != SFN_OK)
            return rc;
        if (!e->parked || e->n_live)
            continue;
        /* everything waits beyond the horizon: sleep (or jump) until the
         * earliest parked wake-up comes within it */
        int64_t now = sfn_clock_now_ms(e->clock);
        int64_t wake = sfn_store_next_wake(e->o.store);
        int64_t until = wake - e->o.timer_horizon_ms;
        e->next_unpark_ms = 0;
        if (!wake || until <= now)
            continue;
        if (e->o.simulated_time) {
            sfn_clock_fake_advance(e->clock, until - now);
        } else {
            int64_t ms = until - now < 1000 ? until - now : 1000;
            engine_wait(e, ms);
        }
    }
    return SFN_OK;
}
