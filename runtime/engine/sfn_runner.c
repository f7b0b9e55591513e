/* sfn_runner.c: the in-memory, simulated-time driver of one execution. */
#include "sfn_runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sfn_builtin.h"

typedef struct timer {
    int64_t wake_ms;
    uint32_t strand;
} timer;

typedef struct runner {
    sfn_execution *x;
    sfn_run_result *res;
    timer *timers;
    size_t n_timers, cap_timers;
    int64_t now;
} runner;

static void keep_events(runner *r)
{
    sfn_execution *x = r->x;
    if (!x->n_events)
        return;
    sfn_event *ev = realloc(r->res->events, (r->res->n_events + x->n_events) *
                                                sizeof *ev);
    if (!ev)
        return;
    memcpy(ev + r->res->n_events, x->events, x->n_events * sizeof *ev);
    r->res->events = ev;
    r->res->n_events += x->n_events;
    x->n_events = 0; /* details now owned by the result */
}

static void add_timer(runner *r, int64_t wake, uint32_t strand)
{
    if (r->n_timers == r->cap_timers) {
        size_t cap = r->cap_timers ? r->cap_timers * 2 : 16;
        timer *t = realloc(r->timers, cap * sizeof *t);
        if (!t)
            return;
        r->timers = t;
        r->cap_timers = cap;
    }
    r->timers[r->n_timers].wake_ms = wake;
    r->timers[r->n_timers++].strand = strand;
}

static void do_effects(runner *r)
{
    sfn_execution *x = r->x;
    size_t n = x->n_effects;
    sfn_effect *fx = malloc((n ? n : 1) * sizeof *fx);
    if (!fx)
        return;
    memcpy(fx, x->effects, n * sizeof *fx);
    x->n_effects = 0;
    for (size_t i = 0; i < n; i++) {
        if (fx[i].kind == SFN_EFFECT_TIMER) {
            add_timer(r, fx[i].wake_ms, fx[i].strand);
        } else {
            sfn_task_outcome o;
            sfn_builtin_invoke(fx[i].state->resource, fx[i].payload, &o);
            if (o.pending) {
                if (fx[i].wake_ms)
                    add_timer(r, fx[i].wake_ms, fx[i].strand);
            } else {
                sfn_exec_task_done(x, fx[i].strand, fx[i].attempt, o.result,
                                   o.error, o.cause, r->now);
            }
            sfn_task_outcome_free(&o);
        }
        json_decref(fx[i].payload);
    }
    free(fx);
}

/* Jumps simulated time to the earliest timer and fires it. */
static bool fire_next_timer(runner *r)
{
    if (!r->n_timers)
        return false;
    size_t best = 0;
    for (size_t i = 1; i < r->n_timers; i++)
        if (r->timers[i].wake_ms < r->timers[best].wake_ms)
            best = i;
    timer t = r->timers[best];
    r->timers[best] = r->timers[--r->n_timers];
    int64_t deadline = r->x->deadline_ms;
    if (deadline && t.wake_ms >= deadline) {
        r->now = deadline;
        sfn_exec_timeout(r->x, r->now);
        return true;
    }
    if (t.wake_ms > r->now)
        r->now = t.wake_ms;
    sfn_exec_timer(r->x, t.strand, r->now);
    return true;
}

sfn_rc sfn_run_memory(sfn_graph *graph, json_t *input,
                      const sfn_run_opts *opts, sfn_run_result *out)
{
    sfn_run_opts dflt = {0};
    if (!opts)
        opts = &dflt;
    memset(out, 0, sizeof *out);
    const char *mname = opts->machine_name ? opts->machine_name : "stepd";
    const char *ename = opts->exec_name ? opts->exec_name : "run";
    char marn[256], earn[512];
    snprintf(marn, sizeof marn,
             "arn:aws:states:us-east-1:123456789012:stateMachine:%s", mname);
    if (opts->express)
        snprintf(earn, sizeof earn,
                 "arn:aws:states:us-east-1:123456789012:express:%s:%s:"
                 "5e1f8e35-9d2a-4c4e-8d3b-1c7a6f0e2b11", mname, ename);
    else
        snprintf(earn, sizeof earn,
                 "arn:aws:states:us-east-1:123456789012:execution:%s:%s",
                 mname, ename);
    runner r = {0};
    r.res = out;
    r.now = opts->start_ms ? opts->start_ms : 1704067200000LL;
    r.x = sfn_exec_new(graph, earn, ename, marn, mname, input, r.now, 42);
    if (!r.x)
        return SFN_ENOMEM;
    if (opts->limits.history_events_max)
        r.x->limits = opts->limits;
    r.x->express = opts->express;
    int64_t max = opts->max_transitions ? opts->max_transitions : 10000000;
    int64_t made = 0;
    sfn_rc rc = sfn_exec_start(r.x, r.now);
    while (rc == SFN_OK && r.x->status == SFN_EXEC_RUNNING) {
        made += sfn_exec_run(r.x, r.now, 4096);
        keep_events(&r);
        /* a task result may raise new effects (a retry's timer) */
        while (r.x->n_effects && r.x->status == SFN_EXEC_RUNNING)
            do_effects(&r);
        keep_events(&r);
        if (made > max) {
            rc = SFN_ELIMIT;
            break;
        }
        if (!r.x->n_ready && r.x->status == SFN_EXEC_RUNNING &&
            opts->stop_when_blocked && r.n_timers) {
            sfn_exec_stop(r.x, NULL, NULL, r.now);
        } else if (!r.x->n_ready && r.x->status == SFN_EXEC_RUNNING &&
                   !fire_next_timer(&r)) {
            /* nothing ready and nothing scheduled: a task that never
             * answers without a timeout */
            sfn_exec_stop(r.x, "States.Runtime",
                          "The execution cannot make progress", r.now);
        }
        keep_events(&r);
    }
    out->status = r.x->status;
    out->output = json_incref(r.x->output);
    out->error = r.x->error ? strdup(r.x->error) : NULL;
    out->cause = r.x->cause ? strdup(r.x->cause) : NULL;
    sfn_exec_free(r.x);
    free(r.timers);
    return rc;
}

void sfn_run_result_free(sfn_run_result *r)
{
    for (size_t i = 0; i < r->n_events; i++)
        json_decref(r->events[i].details);
    free(r->events);
    json_decref(r->output);
    free(r->error);
    free(r->cause);
    memset(r, 0, sizeof *r);
}
