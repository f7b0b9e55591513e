/* exec_core.c: strands, the ready stack, state entry/exit, transitions and
 * the terminal events of an execution.  The per-type work lives in
 * exec_states.c; this file only moves strands between states. */
#include "exec_internal.h"

#include <stdio.h>

#include <stdlib.h>
#include <string.h>

/* JSONata-mode states run (exec_jsonata.c); the engine checks this flag. */
const bool sfn_exec_jsonata_ready = true;

static const char *const status_names[] = {"RUNNING", "SUCCEEDED", "FAILED",
                                           "TIMED_OUT", "ABORTED"};

const char *sfn_exec_status_name(sfn_exec_status s)
{
    return (unsigned)s <= SFN_EXEC_ABORTED ? status_names[s] : "UNKNOWN";
}

sfn_exec_limits sfn_exec_limits_default(void)
{
    sfn_exec_limits l = {25000, 262144, 1000};
    return l;
}

static char *xstrdup(const char *s) { return strdup(s ? s : ""); }

sfn_execution *sfn_exec_new(sfn_graph *graph, const char *arn,
                            const char *name, const char *machine_arn,
                            const char *machine_name, json_t *input,
                            int64_t start_ms, uint64_t seed)
{
    sfn_execution *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->graph = sfn_graph_ref(graph);
    x->arn = xstrdup(arn);
    x->name = xstrdup(name);
    x->machine_arn = xstrdup(machine_arn);
    x->machine_name = xstrdup(machine_name);
    x->role_arn = xstrdup("arn:aws:iam::123456789012:role/stepd");
    x->input = json_incref(input);
    x->start_ms = start_ms;
    x->next_event_id = 1;
    x->rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
    x->limits = sfn_exec_limits_default();
    if (graph->timeout_s > 0)
        x->deadline_ms = start_ms + graph->timeout_s * 1000;
    if (!x->arn || !x->name || !x->machine_arn || !x->machine_name ||
        !x->role_arn) {
        sfn_exec_free(x);
        return NULL;
    }
    return x;
}

void exec_strand_free(sfn_strand *s)
{
    if (!s)
        return;
    json_decref(s->input);
    json_decref(s->effective);
    json_decref(s->items);
    json_decref(s->vars);
    json_decref(s->results);
    json_decref(s->output);
    free(s->retry_counts);
    free(s->children);
    free(s->error);
    free(s->cause);
    free(s->token);
    free(s);
}

void sfn_exec_drain(sfn_execution *x)
{
    for (size_t i = 0; i < x->n_events; i++)
        json_decref(x->events[i].details);
    for (size_t i = 0; i < x->n_effects; i++)
        json_decref(x->effects[i].payload);
    x->n_events = 0;
    x->n_effects = 0;
}

void sfn_exec_free(sfn_execution *x)
{
    if (!x)
        return;
    sfn_exec_drain(x);
    for (uint32_t i = 0; i < x->n_strands; i++)
        exec_strand_free(x->strands[i]);
    free(x->strands);
    free(x->ready);
    free(x->events);
    free(x->effects);
    json_decref(x->input);
    json_decref(x->output);
    sfn_graph_unref(x->graph);
    free(x->arn);
    free(x->name);
    free(x->machine_arn);
    free(x->machine_name);
    free(x->role_arn);
    free(x->error);
    free(x->cause);
    free(x->test_case);
    json_decref(x->invocations);
    exec_comp_free(x);
    sfn_exec_drain_closed(x);
    free(x->closed);
    free(x);
}

void sfn_exec_drain_closed(sfn_execution *x)
{
    for (size_t i = 0; i < x->n_closed; i++)
        free(x->closed[i].token);
    x->n_closed = 0;
}

void exec_push_ready(sfn_execution *x, sfn_strand *s)
{
    if (s->queued)
        return;
    if (x->n_ready == x->cap_ready) {
        uint32_t cap = x->cap_ready ? x->cap_ready * 2 : 16;
        uint32_t *r = realloc(x->ready, cap * sizeof *r);
        if (!r)
            return;
        x->ready = r;
        x->cap_ready = cap;
    }
    x->ready[x->n_ready++] = s->id;
    s->queued = true;
}

sfn_strand *exec_strand_new(sfn_execution *x, sfn_strand *parent,
                            const sfn_block *block, uint32_t index,
                            json_t *input)
{
    if (x->n_strands == x->cap_strands) {
        uint32_t cap = x->cap_strands ? x->cap_strands * 2 : 8;
        sfn_strand **a = realloc(x->strands, cap * sizeof *a);
        if (!a)
            return NULL;
        x->strands = a;
        x->cap_strands = cap;
    }
    sfn_strand *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->id = x->n_strands;
    s->parent = parent;
    s->parent_id = parent ? (int64_t)parent->id : -1;
    exec_strand_scope(s);
    s->index = index;
    s->block = block;
    s->state = block->start;
    s->phase = SFN_PH_ENTER;
    s->input = json_incref(input);
    s->tolerated_pct = -1;
    s->dirty = true;
    x->strands[x->n_strands++] = s;
    return s;
}

sfn_effect *exec_effect(sfn_execution *x, sfn_effect_kind kind,
                        sfn_strand *s)
{
    if (x->n_effects == x->cap_effects) {
        size_t cap = x->cap_effects ? x->cap_effects * 2 : 16;
        sfn_effect *e = realloc(x->effects, cap * sizeof *e);
        if (!e)
            return NULL;
        x->effects = e;
        x->cap_effects = cap;
    }
    sfn_effect *e = &x->effects[x->n_effects++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    if (s) { /* NULL: a compensation step sets them */
        e->strand = s->id;
        e->attempt = s->attempt;
    }
    return e;
}

/* ---- events with AWS's detail shapes ---------------------------------- */

static const sfn_event_type entered_type[] = {
    [SFN_ST_PASS] = SFN_EV_PassStateEntered,
    [SFN_ST_TASK] = SFN_EV_TaskStateEntered,
    [SFN_ST_CHOICE] = SFN_EV_ChoiceStateEntered,
    [SFN_ST_WAIT] = SFN_EV_WaitStateEntered,
    [SFN_ST_SUCCEED] = SFN_EV_SucceedStateEntered,
    [SFN_ST_FAIL] = SFN_EV_FailStateEntered,
    [SFN_ST_PARALLEL] = SFN_EV_ParallelStateEntered,
    [SFN_ST_MAP] = SFN_EV_MapStateEntered,
};

static const sfn_event_type exited_type[] = {
    [SFN_ST_PASS] = SFN_EV_PassStateExited,
    [SFN_ST_TASK] = SFN_EV_TaskStateExited,
    [SFN_ST_CHOICE] = SFN_EV_ChoiceStateExited,
    [SFN_ST_WAIT] = SFN_EV_WaitStateExited,
    [SFN_ST_SUCCEED] = SFN_EV_SucceedStateExited,
    [SFN_ST_FAIL] = SFN_EV_FailStateEntered, /* Fail never exits */
    [SFN_ST_PARALLEL] = SFN_EV_ParallelStateExited,
    [SFN_ST_MAP] = SFN_EV_MapStateExited,
};

json_t *exec_data_details(const char *key, json_t *value)
{
    char details_key[32];
    snprintf(details_key, sizeof details_key, "%sDetails", key);
    json_t *d = json_object();
    json_object_set_new(d, key, exec_json_text(value));
    json_object_set_new(d, details_key, sfn_event_not_truncated());
    return d;
}

static void enter_state(sfn_execution *x, sfn_strand *s, int64_t now)
{
    const sfn_state *st = &s->block->states[s->state];
    exec_iteration_begin(x, s, now);
    json_t *d = json_object();
    json_object_set_new(d, "name", json_string(st->name));
    json_object_set_new(d, "input", exec_json_text(s->input));
    json_object_set_new(d, "inputDetails",
                        sfn_event_not_truncated());
    /* the execution's first state points at nothing, as AWS records */
    if (!s->parent && s->prev_event == 1 && x->next_event_id == 2)
        s->prev_event = 0;
    s->entered_event = exec_emit(x, s, entered_type[st->type], now, d);
    s->entered_ms = now;
    s->attempt = 0;
    s->retry_total = 0;
    free(s->retry_counts);
    s->retry_counts = st->n_retriers
                          ? calloc(st->n_retriers, sizeof *s->retry_counts)
                          : NULL;
    s->phase = SFN_PH_WORK;
}

void exec_exit_state(sfn_execution *x, sfn_strand *s, json_t *output_new,
                     json_t *assigned, int next, int64_t now)
{
    const sfn_state *st = &s->block->states[s->state];
    json_t *text = exec_json_text(output_new);
    if (json_string_length(text) > x->limits.payload_bytes_max) {
        /* a state's output over the limit is terminal (AWS docs) */
        char cause[256];
        snprintf(cause, sizeof cause,
                 "The state/task '%s' returned a result with a size exceeding "
                 "the maximum number of bytes service limit.", st->name);
        json_decref(text);
        json_decref(output_new);
        exec_finish(x, SFN_EXEC_FAILED, NULL, "States.DataLimitExceeded",
                    cause, now);
        return;
    }
    json_t *d = json_object();
    json_object_set_new(d, "name", json_string(st->name));
    json_object_set_new(d, "output", text);
    json_object_set_new(d, "outputDetails",
                        sfn_event_not_truncated());
    if (assigned && json_object_size(assigned)) {
        json_t *vars = json_object();
        const char *k;
        json_t *v;
        json_object_foreach(assigned, k, v)
            json_object_set_new(vars, k, exec_json_text(v));
        json_object_set_new(d, "assignedVariables", vars);
        json_object_set_new(d, "assignedVariablesDetails",
                            sfn_event_not_truncated());
    }
    exec_emit(x, s, exited_type[st->type], now, d);
    if (assigned)
        exec_assign_apply(s, assigned);
    json_decref(s->effective);
    s->effective = NULL;
    if (next < 0) {
        exec_strand_succeed(x, s, output_new, now);
        return;
    }
    json_decref(s->input);
    s->input = output_new;
    s->state = next;
    s->phase = SFN_PH_ENTER;
    exec_push_ready(x, s);
}

/* ---- ending strands and the execution --------------------------------- */

static void set_str(char **dst, const char *v)
{
    free(*dst);
    *dst = v ? strdup(v) : NULL;
}

static json_t *error_details(const char *error, const char *cause)
{
    json_t *d = json_object();
    if (error)
        json_object_set_new(d, "error", json_string(error));
    if (cause)
        json_object_set_new(d, "cause", json_string(cause));
    return d;
}

void exec_finish(sfn_execution *x, sfn_exec_status st, json_t *output,
                 const char *error, const char *cause, int64_t now)
{
    if (x->status != SFN_EXEC_RUNNING)
        return;
    /* compensation first (stepd extension); it finishes the execution */
    if (exec_comp_intercept_finish(x, st, error, cause, now))
        return;
    exec_comp_abandon(x, now);
    sfn_strand *root = x->n_strands ? x->strands[0] : NULL;
    switch (st) {
    case SFN_EXEC_SUCCEEDED:
        exec_emit(x, root, SFN_EV_ExecutionSucceeded, now,
                  exec_data_details("output", output));
        x->output = json_incref(output);
        break;
    case SFN_EXEC_FAILED:
        exec_emit(x, root, SFN_EV_ExecutionFailed, now,
                  error_details(error, cause));
        break;
    case SFN_EXEC_TIMED_OUT:
        exec_emit(x, root, SFN_EV_ExecutionTimedOut, now,
                  error_details(error, cause));
        break;
    case SFN_EXEC_ABORTED:
        exec_emit(x, root, SFN_EV_ExecutionAborted, now,
                  error_details(error, cause));
        break;
    default:
        return;
    }
    x->status = st;
    x->stop_ms = now;
    set_str(&x->error, error);
    set_str(&x->cause, cause);
    x->n_ready = 0;
    for (uint32_t i = 0; i < x->n_strands; i++)
        if (x->strands[i])
            x->strands[i]->queued = false;
}

void exec_strand_succeed(sfn_execution *x, sfn_strand *s,
                         json_t *output_new, int64_t now)
{
    s->phase = SFN_PH_DONE;
    json_decref(s->output);
    s->output = output_new;
    s->dirty = true;
    if (!s->parent)
        exec_finish(x, SFN_EXEC_SUCCEEDED, output_new, NULL, NULL, now);
    else
        exec_child_done(x, s->parent, s, now);
}

void exec_strand_fail(sfn_execution *x, sfn_strand *s, const char *error,
                      const char *cause, int64_t now)
{
    s->phase = SFN_PH_DONE;
    s->failed_flag = true;
    set_str(&s->error, error);
    set_str(&s->cause, cause);
    s->dirty = true;
    if (!s->parent)
        exec_finish(x, SFN_EXEC_FAILED, NULL, error, cause, now);
    else
        exec_child_done(x, s->parent, s, now);
}

/* ---- public driving API ----------------------------------------------- */

sfn_rc sfn_exec_start(sfn_execution *x, int64_t now_ms)
{
    json_t *d = exec_data_details("input", x->input);
    json_object_set_new(d, "roleArn", json_string(x->role_arn));
    exec_emit(x, NULL, SFN_EV_ExecutionStarted, now_ms, d);
    sfn_strand *root =
        exec_strand_new(x, NULL, x->graph->root, 0, x->input);
    if (!root)
        return SFN_ENOMEM;
    root->prev_event = 1;
    exec_push_ready(x, root);
    return SFN_OK;
}

static void check_history_limit(sfn_execution *x, int64_t now)
{
    if (x->status == SFN_EXEC_RUNNING &&
        x->next_event_id - 1 >= x->limits.history_events_max) {
        char cause[160];
        snprintf(cause, sizeof cause,
                 "The execution reached the maximum number of history "
                 "events (%lld).",
                 (long long)x->limits.history_events_max);
        exec_finish(x, SFN_EXEC_FAILED, NULL, "States.Runtime", cause, now);
    }
}

int sfn_exec_run(sfn_execution *x, int64_t now_ms, int budget)
{
    int made = 0;
    if (exec_comp_frozen(x))
        x->n_ready = 0; /* only the compensation advances now */
    while (x->status == SFN_EXEC_RUNNING && x->n_ready && made < budget) {
        sfn_strand *s = x->strands[x->ready[--x->n_ready]];
        if (!s)
            continue;
        s->queued = false;
        if (s->phase == SFN_PH_ENTER) {
            enter_state(x, s, now_ms);
            made++;
        }
        if (s->phase == SFN_PH_WORK)
            exec_state_work(x, s, now_ms);
        check_history_limit(x, now_ms);
    }
    return made;
}

sfn_rc sfn_exec_timer(sfn_execution *x, uint32_t id, int64_t now_ms)
{
    if (id >= SFN_COMP_STRAND_BASE && x->status == SFN_EXEC_RUNNING)
        return exec_comp_timer(x, id - SFN_COMP_STRAND_BASE, now_ms);
    if (exec_comp_frozen(x))
        return SFN_OK;
    if (id >= x->n_strands || !x->strands[id] ||
        x->status != SFN_EXEC_RUNNING)
        return SFN_ENOTFOUND;
    sfn_strand *s = x->strands[id];
    if (s->phase != SFN_PH_TIMER && s->phase != SFN_PH_TASK)
        return SFN_OK; /* stale timer after recovery */
    exec_timer_fired(x, s, now_ms);
    return SFN_OK;
}

sfn_rc sfn_exec_task_done(sfn_execution *x, uint32_t id, uint32_t attempt,
                          json_t *result, const char *error,
                          const char *cause, int64_t now_ms)
{
    if (id >= SFN_COMP_STRAND_BASE && x->status == SFN_EXEC_RUNNING)
        return exec_comp_task_done(x, id - SFN_COMP_STRAND_BASE, attempt,
                                   result, error, cause, now_ms);
    if (exec_comp_frozen(x))
        return SFN_OK;
    if (id >= x->n_strands || !x->strands[id] ||
        x->status != SFN_EXEC_RUNNING)
        return SFN_ENOTFOUND;
    sfn_strand *s = x->strands[id];
    if (s->phase != SFN_PH_TASK || s->attempt != attempt)
        return SFN_OK;
    exec_task_result(x, s, result, error, cause, now_ms);
    check_history_limit(x, now_ms);
    return SFN_OK;
}

static void abort_all(sfn_execution *x, int64_t now)
{
    /* innermost first, so an iteration's abort precedes its Map's */
    for (uint32_t i = x->n_strands; i-- > 0;)
        if (x->strands[i])
            exec_strand_abort(x, x->strands[i], now);
}

sfn_rc sfn_exec_stop(sfn_execution *x, const char *error, const char *cause,
                     int64_t now_ms)
{
    return sfn_exec_stop_ex(x, error, cause, false, now_ms);
}

sfn_rc sfn_exec_stop_ex(sfn_execution *x, const char *error,
                        const char *cause, bool compensate, int64_t now_ms)
{
    if (x->status != SFN_EXEC_RUNNING)
        return SFN_OK;
    x->stop_compensate = compensate && !exec_comp_frozen(x);
    if (x->stop_compensate)
        x->state_dirty = true;
    abort_all(x, now_ms);
    exec_finish(x, SFN_EXEC_ABORTED, NULL, error, cause, now_ms);
    return SFN_OK;
}

sfn_rc sfn_exec_timeout(sfn_execution *x, int64_t now_ms)
{
    /* a running final compensation is bounded by its own retry limits */
    if (x->status != SFN_EXEC_RUNNING || exec_comp_frozen(x))
        return SFN_OK;
    abort_all(x, now_ms);
    exec_finish(x, SFN_EXEC_TIMED_OUT, NULL, "States.Timeout",
                "The execution timed out.", now_ms);
    return SFN_OK;
}
