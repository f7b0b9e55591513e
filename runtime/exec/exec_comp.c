/* exec_comp.c: compensation, the stepd extension of docs/compensation.md.
 * Completed Tasks that declare a Compensation are recorded; when the
 * execution is about to fail (or a Catch with Compensate is taken, or a
 * StopExecution asks for it) their compensations run as tasks of pseudo
 * strands, in reverse completion order or all at once, with retries, and
 * their progress is part of the execution's durable state. */
#include "exec_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ST(s) (&(s)->block->states[(s)->state])

enum { REC_DONE = 0, REC_PENDING = 1, REC_UNKNOWN = 2 };
enum { STEP_PENDING, STEP_INFLIGHT, STEP_BACKOFF, STEP_OK, STEP_FAILED };

/* A compensable step that ran. */
typedef struct comp_rec {
    uint32_t strand;
    int64_t visit;           /* entered event of the step's state visit   */
    const sfn_state *st;     /* the Task (st->compensation set)           */
    json_t *input, *result;  /* owned; result NULL when unknown            */
    int kind;                /* REC_*                                      */
    uint32_t *anc;           /* the strand and its ancestors               */
    size_t n_anc;
} comp_rec;

/* One compensation being run. */
typedef struct comp_step {
    uint32_t id;             /* pseudo strand SFN_COMP_STRAND_BASE + id    */
    comp_rec rec;
    int phase;               /* STEP_*                                     */
    uint32_t attempt;
    int64_t first_ms, wake_ms;
    uint32_t *retry_counts;  /* per own retrier                            */
    json_t *params;          /* evaluated once: every attempt sends the
                                same request                              */
} comp_step;

typedef struct comp_run {
    bool final;              /* the execution ends after it                */
    int final_status;        /* sfn_exec_status when final                 */
    uint32_t strand;         /* events chain here; CATCH: the waiting one  */
    int catcher;             /* CATCH: index of the catcher to resume      */
    char *error, *cause;     /* what triggered it                          */
    comp_step *steps;
    size_t n_steps, done, failed;
} comp_run;

struct sfn_comp {
    comp_rec *log;
    size_t n_log, cap_log;
    comp_run *runs;
    size_t n_runs;
    uint32_t next_id;
    bool frozen;             /* a final run: normal strands stop          */
    bool final_done;         /* the final run is over: finish for real     */
};

const char *sfn_comp_status_name(int status)
{
    switch (status) {
    case SFN_COMP_STATUS_RUNNING: return "RUNNING";
    case SFN_COMP_STATUS_SUCCEEDED: return "SUCCEEDED";
    case SFN_COMP_STATUS_FAILED: return "FAILED";
    default: return "NONE";
    }
}

static struct sfn_comp *comp_of(sfn_execution *x)
{
    if (!x->comp)
        x->comp = calloc(1, sizeof *x->comp);
    return x->comp;
}

static void rec_free(comp_rec *r)
{
    json_decref(r->input);
    json_decref(r->result);
    free(r->anc);
    memset(r, 0, sizeof *r);
}

static void step_free(comp_step *st)
{
    rec_free(&st->rec);
    free(st->retry_counts);
    json_decref(st->params);
}

static void run_free(comp_run *r)
{
    for (size_t i = 0; i < r->n_steps; i++)
        step_free(&r->steps[i]);
    free(r->steps);
    free(r->error);
    free(r->cause);
}

void exec_comp_free(sfn_execution *x)
{
    struct sfn_comp *c = x->comp;
    if (!c)
        return;
    for (size_t i = 0; i < c->n_log; i++)
        rec_free(&c->log[i]);
    free(c->log);
    for (size_t i = 0; i < c->n_runs; i++)
        run_free(&c->runs[i]);
    free(c->runs);
    free(c);
    x->comp = NULL;
}

void exec_comp_redrive(sfn_execution *x)
{
    if (x->comp) /* a new failure may compensate what runs from now on */
        x->comp->final_done = x->comp->frozen = false;
}

bool exec_comp_frozen(const sfn_execution *x)
{
    return x->comp && x->comp->frozen;
}

/* ---- the record log ----------------------------------------------------- */

static comp_rec *find_rec(struct sfn_comp *c, uint32_t strand, int64_t visit,
                          size_t *at)
{
    for (size_t i = 0; c && i < c->n_log; i++)
        if (c->log[i].strand == strand && c->log[i].visit == visit) {
            if (at)
                *at = i;
            return &c->log[i];
        }
    return NULL;
}

static void remove_rec(struct sfn_comp *c, size_t i)
{
    rec_free(&c->log[i]);
    memmove(&c->log[i], &c->log[i + 1],
            (c->n_log - i - 1) * sizeof *c->log);
    c->n_log--;
}

static comp_rec *add_rec(sfn_execution *x, sfn_strand *s)
{
    struct sfn_comp *c = comp_of(x);
    if (!c)
        return NULL;
    if (c->n_log == c->cap_log) {
        size_t cap = c->cap_log ? c->cap_log * 2 : 8;
        comp_rec *l = realloc(c->log, cap * sizeof *l);
        if (!l)
            return NULL;
        c->log = l;
        c->cap_log = cap;
    }
    comp_rec *r = &c->log[c->n_log++];
    memset(r, 0, sizeof *r);
    r->strand = s->id;
    r->visit = s->entered_event;
    r->st = ST(s);
    size_t n = 0;
    for (sfn_strand *p = s; p; p = p->parent)
        n++;
    r->anc = malloc(n * sizeof *r->anc);
    for (sfn_strand *p = s; p && r->anc; p = p->parent)
        r->anc[r->n_anc++] = p->id;
    return r;
}

void exec_comp_task_started(sfn_execution *x, sfn_strand *s, json_t *params)
{
    const sfn_compensation *cp = ST(s)->compensation;
    if (!cp || !cp->on_unknown_outcome)
        return;
    comp_rec *r = find_rec(x->comp, s->id, s->entered_event, NULL);
    if (!r && !(r = add_rec(x, s)))
        return;
    json_decref(r->input);
    r->input = json_incref(params);
    r->kind = REC_PENDING;
    x->state_dirty = true;
}

void exec_comp_task_succeeded(sfn_execution *x, sfn_strand *s,
                              json_t *result)
{
    const sfn_state *st = ST(s);
    if (st->compensation) {
        size_t at = 0;
        comp_rec *r = find_rec(x->comp, s->id, s->entered_event, &at);
        if (r) /* completion order: move it to the end */
            remove_rec(x->comp, at);
        if ((r = add_rec(x, s))) {
            r->input = json_incref(s->effective);
            r->result = json_incref(result);
            r->kind = REC_DONE;
        }
        x->state_dirty = true;
    }
    if (st->point_of_no_return && x->comp) {
        while (x->comp->n_log)
            remove_rec(x->comp, x->comp->n_log - 1);
        x->state_dirty = true;
    }
}

/* An outcome that does not tell whether the service acted. */
static bool unknown_outcome(const char *error)
{
    static const char *const names[] = {
        "States.Timeout", "States.HeartbeatTimeout", "States.Http.Socket",
        "Lambda.SdkClientException"};
    for (size_t i = 0; error && i < sizeof names / sizeof *names; i++)
        if (!strcmp(error, names[i]))
            return true;
    return false;
}

void exec_comp_task_failed(sfn_execution *x, sfn_strand *s,
                           const char *error)
{
    size_t at = 0;
    comp_rec *r = find_rec(x->comp, s->id, s->entered_event, &at);
    if (!r || r->kind == REC_DONE)
        return;
    if (error && !unknown_outcome(error))
        remove_rec(x->comp, at);
    else
        r->kind = REC_UNKNOWN;
    x->state_dirty = true;
}

/* ---- runs ----------------------------------------------------------------- */

static sfn_strand *run_strand(sfn_execution *x, const comp_run *r)
{
    return r->strand < x->n_strands ? x->strands[r->strand] : NULL;
}

static comp_step *find_step(sfn_execution *x, uint32_t id, comp_run **run)
{
    struct sfn_comp *c = x->comp;
    for (size_t i = 0; c && i < c->n_runs; i++)
        for (size_t k = 0; k < c->runs[i].n_steps; k++)
            if (c->runs[i].steps[k].id == id) {
                *run = &c->runs[i];
                return &c->runs[i].steps[k];
            }
    return NULL;
}

static json_t *step_input(const comp_step *st, const comp_run *r)
{
    /* always an object, so templates can read $.error.Error even for a
     * StopExecution without an error */
    json_t *err = json_pack("{s:o,s:o}", "Error",
                            r->error ? json_string(r->error) : json_null(),
                            "Cause",
                            r->cause ? json_string(r->cause) : json_null());
    return json_pack("{s:O,s:O,s:o}", "input",
                     st->rec.input ? st->rec.input : json_null(), "result",
                     st->rec.result ? st->rec.result : json_null(), "error",
                     err);
}

/* Parameters / Arguments of the compensation over step_input. */
static json_t *eval_params(sfn_execution *x, comp_run *r, comp_step *st,
                           sfn_error *err)
{
    const sfn_state *task = &st->rec.st->compensation->task;
    sfn_strand *s = run_strand(x, r);
    json_t *in = step_input(st, r);
    if (!s || !in) {
        json_decref(in);
        sfn_error_set(err, SFN_ENOMEM, "States.Runtime", -1,
                      "no strand for the compensation");
        return NULL;
    }
    exec_env e;
    exec_env_init(&e, x, s, in);
    e.st = task;
    json_t *out = NULL;
    if (task->ql == SFN_QL_JSONATA) {
        out = !task->arguments
                  ? json_incref(in)
              : exec_ja_begin(&e, in, NULL, NULL)
                  ? exec_ja_tpl(&e, task->arguments,
                                json_object_get(task->raw, "Arguments"),
                                "Arguments", err)
                  : NULL;
    } else {
        out = task->parameters ? exec_tpl_eval(&e, task->parameters, err)
                               : json_incref(in);
    }
    exec_env_done(&e);
    json_decref(in);
    return out;
}

static void emit(sfn_execution *x, comp_run *r, sfn_event_type t,
                 int64_t now, json_t *d)
{
    exec_emit(x, run_strand(x, r), t, now, d);
}

static void step_attempt(sfn_execution *x, comp_run *r, comp_step *st,
                         int64_t now)
{
    const sfn_state *task = &st->rec.st->compensation->task;
    if (!st->params) {
        sfn_error err;
        sfn_error_clear(&err);
        st->params = eval_params(x, r, st, &err);
        if (!st->params) {
            /* a compensation whose input cannot be built never succeeds */
            emit(x, r, SFN_EV_CompensationStepFailed, now,
                 json_pack("{s:s,s:s,s:s,s:b}", "state", st->rec.st->name,
                           "error", err.name[0] ? err.name : "States.Runtime",
                           "cause", err.cause, "final", 1));
            st->phase = STEP_FAILED;
            r->done++;
            r->failed++;
            return;
        }
    }
    if (!st->first_ms)
        st->first_ms = now;
    emit(x, r, SFN_EV_CompensationStepScheduled, now,
         json_pack("{s:s,s:s,s:o}", "state", st->rec.st->name, "resource",
                   task->resource, "input", exec_json_text(st->params)));
    st->phase = STEP_INFLIGHT;
    long long timeout = task->timeout_s.set ? task->timeout_s.value : 0;
    st->wake_ms = timeout > 0 ? now + timeout * 1000 : 0;
    sfn_effect *fx = exec_effect(x, SFN_EFFECT_TASK, NULL);
    if (fx) {
        fx->strand = SFN_COMP_STRAND_BASE + st->id;
        fx->attempt = st->attempt;
        fx->state = task;
        fx->payload = json_incref(st->params);
        fx->timeout_s = timeout;
        fx->wake_ms = st->wake_ms;
        fx->invocation = st->attempt; /* mocks: one entry per attempt */
    }
    x->state_dirty = true;
}

static void run_advance(sfn_execution *x, comp_run *r, int64_t now);

/* Own Retry first; without one, capped exponential back-off with full
 * jitter until RetryForSeconds.  Returns the delay, or -1: give up. */
static int64_t retry_delay(sfn_execution *x, comp_step *st,
                           const char *error, int64_t now)
{
    const sfn_compensation *cp = st->rec.st->compensation;
    const sfn_state *task = &cp->task;
    if (cp->has_retry) {
        if (!st->retry_counts &&
            !(st->retry_counts = calloc(task->n_retriers, sizeof(uint32_t))))
            return -1;
        for (size_t i = 0; i < task->n_retriers; i++) {
            const sfn_retrier *rt = &task->retriers[i];
            if (!exec_error_matches(error, rt->errors, rt->n_errors))
                continue;
            if (st->retry_counts[i] >= rt->max_attempts)
                return -1;
            double d = (double)rt->interval_s *
                       pow(rt->backoff_rate, (double)st->retry_counts[i]);
            if (rt->max_delay_s > 0 && d > (double)rt->max_delay_s)
                d = (double)rt->max_delay_s;
            if (rt->jitter_full)
                d *= (double)(exec_next_rand(x) >> 11) / 9007199254740992.0;
            st->retry_counts[i]++;
            return (int64_t)(d * 1000.0);
        }
        return -1;
    }
    long long limit = x->graph->comp_retry_for_s > 0
                          ? x->graph->comp_retry_for_s
                          : 3600;
    if (now - st->first_ms >= limit * 1000)
        return -1;
    double cap = st->attempt < 6 ? (double)(1u << st->attempt) : 60.0;
    if (cap > 60.0)
        cap = 60.0;
    double jitter = (double)(exec_next_rand(x) >> 11) / 9007199254740992.0;
    return (int64_t)(cap * 1000.0 * (0.5 + 0.5 * jitter));
}

static void step_failed(sfn_execution *x, comp_run *r, comp_step *st,
                        const char *error, const char *cause, int64_t now)
{
    int64_t delay = retry_delay(x, st, error, now);
    json_t *d = json_pack("{s:s,s:s}", "state", st->rec.st->name, "error",
                          error ? error : "");
    if (cause)
        json_object_set_new(d, "cause", json_string(cause));
    json_object_set_new(d, "final", json_boolean(delay < 0));
    emit(x, r, SFN_EV_CompensationStepFailed, now, d);
    st->attempt++;
    x->state_dirty = true;
    if (delay < 0) {
        st->phase = STEP_FAILED;
        r->done++;
        r->failed++;
        run_advance(x, r, now);
        return;
    }
    st->phase = STEP_BACKOFF;
    st->wake_ms = now + delay;
    sfn_effect *fx = exec_effect(x, SFN_EFFECT_TIMER, NULL);
    if (fx) {
        fx->strand = SFN_COMP_STRAND_BASE + st->id;
        fx->wake_ms = st->wake_ms;
    }
}

static void run_end(sfn_execution *x, size_t idx, int64_t now);

static void run_advance(sfn_execution *x, comp_run *r, int64_t now)
{
    bool parallel = x->graph->comp_order == SFN_COMP_PARALLEL;
    for (size_t i = 0; i < r->n_steps; i++) {
        comp_step *st = &r->steps[i];
        if (st->phase == STEP_PENDING) {
            step_attempt(x, r, st, now);
            if (!parallel && st->phase != STEP_FAILED)
                return;
            continue;
        }
        if (!parallel && (st->phase == STEP_INFLIGHT ||
                          st->phase == STEP_BACKOFF))
            return;
    }
    if (r->done == r->n_steps)
        run_end(x, (size_t)(r - x->comp->runs), now);
}

/* Starts a run over the log records selected by `in_scope` (NULL: all),
 * newest first.  Returns false when nothing is to be compensated. */
static bool run_start(sfn_execution *x, bool final, int status,
                      uint32_t strand, int catcher, const char *error,
                      const char *cause, int64_t now)
{
    struct sfn_comp *c = x->comp;
    if (!c || !c->n_log)
        return false;
    size_t n = 0;
    for (size_t i = 0; i < c->n_log; i++)
        for (size_t k = 0; k < c->log[i].n_anc; k++)
            if (final || c->log[i].anc[k] == strand) {
                n++;
                break;
            }
    if (!n)
        return false;
    comp_run *runs = realloc(c->runs, (c->n_runs + 1) * sizeof *runs);
    if (!runs)
        return false;
    c->runs = runs;
    comp_run *r = &c->runs[c->n_runs++];
    memset(r, 0, sizeof *r);
    r->final = final;
    r->final_status = status;
    r->strand = strand;
    r->catcher = catcher;
    r->error = error ? strdup(error) : NULL;
    r->cause = cause ? strdup(cause) : NULL;
    r->steps = calloc(n, sizeof *r->steps);
    /* newest first: the log is in completion order */
    for (size_t i = c->n_log; i-- > 0 && r->steps;) {
        bool in = final;
        for (size_t k = 0; !in && k < c->log[i].n_anc; k++)
            in = c->log[i].anc[k] == strand;
        if (!in)
            continue;
        comp_step *st = &r->steps[r->n_steps++];
        st->id = c->next_id++;
        st->rec = c->log[i];
        memmove(&c->log[i], &c->log[i + 1],
                (c->n_log - i - 1) * sizeof *c->log);
        c->n_log--;
    }
    json_t *d = json_object();
    if (error)
        json_object_set_new(d, "error", json_string(error));
    if (cause)
        json_object_set_new(d, "cause", json_string(cause));
    json_object_set_new(d, "steps", json_integer((json_int_t)r->n_steps));
    emit(x, r, SFN_EV_CompensationStarted, now, d);
    x->comp_status = SFN_COMP_STATUS_RUNNING;
    x->state_dirty = true;
    run_advance(x, r, now);
    return true;
}

static void run_end(sfn_execution *x, size_t idx, int64_t now)
{
    struct sfn_comp *c = x->comp;
    comp_run r = c->runs[idx];
    memmove(&c->runs[idx], &c->runs[idx + 1],
            (c->n_runs - idx - 1) * sizeof *c->runs);
    c->n_runs--;
    json_t *failed = json_array();
    for (size_t i = 0; i < r.n_steps; i++)
        if (r.steps[i].phase == STEP_FAILED)
            json_array_append_new(failed,
                                  json_string(r.steps[i].rec.st->name));
    emit(x, &r, SFN_EV_CompensationEnded, now,
         json_pack("{s:s,s:o}", "status",
                   r.failed ? "FAILED" : "SUCCEEDED", "failed", failed));
    if (x->comp_status != SFN_COMP_STATUS_FAILED)
        x->comp_status = r.failed ? SFN_COMP_STATUS_FAILED
                                  : SFN_COMP_STATUS_SUCCEEDED;
    x->state_dirty = true;
    if (r.final) {
        c->frozen = false;
        c->final_done = true;
        exec_finish(x, (sfn_exec_status)r.final_status, NULL, r.error,
                    r.cause, now);
    } else {
        sfn_strand *s = run_strand(x, &r);
        if (s && s->phase == SFN_PH_COMPENSATING)
            exec_catch_resume(x, s, r.catcher, r.error, r.cause, now);
    }
    run_free(&r);
}

bool exec_comp_intercept_finish(sfn_execution *x, sfn_exec_status status,
                                const char *error, const char *cause,
                                int64_t now)
{
    struct sfn_comp *c = x->comp;
    if (status == SFN_EXEC_SUCCEEDED || !c || c->final_done || c->frozen)
        return false;
    if (status == SFN_EXEC_ABORTED && !x->stop_compensate)
        return false;
    if (!c->n_log)
        return false;
    /* normal strands stop where they are: no more events or effects */
    c->frozen = true;
    x->n_ready = 0;
    for (uint32_t i = 0; i < x->n_strands; i++)
        if (x->strands[i])
            x->strands[i]->queued = false;
    if (!run_start(x, true, (int)status, 0, -1, error, cause, now)) {
        c->frozen = false;
        return false;
    }
    return true;
}

bool exec_comp_catch(sfn_execution *x, sfn_strand *s, int catcher,
                     const char *error, const char *cause, int64_t now)
{
    /* waiting first: the run may end at once (nothing could be built) and
     * then resumes the catcher's path itself */
    sfn_phase was = s->phase;
    s->phase = SFN_PH_COMPENSATING;
    s->dirty = true;
    if (run_start(x, false, 0, s->id, catcher, error, cause, now))
        return true;
    s->phase = was;
    return false;
}

void exec_comp_abandon(sfn_execution *x, int64_t now)
{
    struct sfn_comp *c = x->comp;
    while (c && c->n_runs) {
        comp_run r = c->runs[--c->n_runs];
        emit(x, &r, SFN_EV_CompensationEnded, now,
             json_pack("{s:s,s:[]}", "status", "ABORTED", "failed"));
        x->comp_status = SFN_COMP_STATUS_FAILED;
        run_free(&r);
    }
    if (c)
        c->frozen = false;
}

/* ---- answers ------------------------------------------------------------- */

sfn_rc exec_comp_task_done(sfn_execution *x, uint32_t id, uint32_t attempt,
                           json_t *result, const char *error,
                           const char *cause, int64_t now)
{
    comp_run *r = NULL;
    comp_step *st = find_step(x, id, &r);
    if (!st || st->phase != STEP_INFLIGHT || st->attempt != attempt)
        return SFN_OK; /* stale */
    if (error) {
        step_failed(x, r, st, error, cause, now);
        return SFN_OK;
    }
    emit(x, r, SFN_EV_CompensationStepSucceeded, now,
         json_pack("{s:s,s:o}", "state", st->rec.st->name, "output",
                   exec_json_text(result ? result : json_null())));
    st->phase = STEP_OK;
    st->wake_ms = 0;
    r->done++;
    x->state_dirty = true;
    run_advance(x, r, now);
    return SFN_OK;
}

sfn_rc exec_comp_timer(sfn_execution *x, uint32_t id, int64_t now)
{
    comp_run *r = NULL;
    comp_step *st = find_step(x, id, &r);
    if (!st || !st->wake_ms || now < st->wake_ms)
        return SFN_OK;
    if (st->phase == STEP_BACKOFF) {
        st->wake_ms = 0;
        step_attempt(x, r, st, now);
    } else if (st->phase == STEP_INFLIGHT) {
        st->wake_ms = 0;
        step_failed(x, r, st, "States.Timeout", NULL, now);
    }
    return SFN_OK;
}

int64_t sfn_exec_comp_wake(const sfn_execution *x)
{
    int64_t w = 0;
    const struct sfn_comp *c = x->comp;
    for (size_t i = 0; c && i < c->n_runs; i++)
        for (size_t k = 0; k < c->runs[i].n_steps; k++) {
            const comp_step *st = &c->runs[i].steps[k];
            if ((st->phase == STEP_BACKOFF || st->phase == STEP_INFLIGHT) &&
                st->wake_ms && (!w || st->wake_ms < w))
                w = st->wake_ms;
        }
    return w;
}

bool sfn_exec_comp_inflight(const sfn_execution *x)
{
    const struct sfn_comp *c = x->comp;
    for (size_t i = 0; c && i < c->n_runs; i++)
        for (size_t k = 0; k < c->runs[i].n_steps; k++)
            if (c->runs[i].steps[k].phase == STEP_INFLIGHT)
                return true;
    return false;
}

/* Effects a crash may have lost: steps in flight are sent again with the
 * same attempt (same Idempotency-Key), back-off timers re-armed. */
void exec_comp_rearm(sfn_execution *x)
{
    struct sfn_comp *c = x->comp;
    for (size_t i = 0; c && i < c->n_runs; i++)
        for (size_t k = 0; k < c->runs[i].n_steps; k++) {
            comp_step *st = &c->runs[i].steps[k];
            sfn_effect *fx = NULL;
            if (st->phase == STEP_INFLIGHT &&
                (fx = exec_effect(x, SFN_EFFECT_TASK, NULL))) {
                const sfn_state *task = &st->rec.st->compensation->task;
                fx->state = task;
                fx->payload = json_incref(st->params);
                fx->timeout_s =
                    task->timeout_s.set ? task->timeout_s.value : 0;
                fx->wake_ms = st->wake_ms;
                fx->attempt = st->attempt;
                fx->invocation = st->attempt;
            } else if (st->phase == STEP_BACKOFF &&
                       (fx = exec_effect(x, SFN_EFFECT_TIMER, NULL))) {
                fx->wake_ms = st->wake_ms;
            }
            if (fx)
                fx->strand = SFN_COMP_STRAND_BASE + st->id;
        }
}

/* ---- durable form ---------------------------------------------------------- */

static json_t *rec_dump(const comp_rec *r)
{
    json_t *anc = json_array();
    for (size_t i = 0; i < r->n_anc; i++)
        json_array_append_new(anc, json_integer(r->anc[i]));
    return json_pack("{s:i,s:I,s:s,s:O,s:O,s:i,s:o}", "sd", (int)r->strand,
                     "v", (json_int_t)r->visit, "st", r->st->pointer, "in",
                     r->input ? r->input : json_null(), "res",
                     r->result ? r->result : json_null(), "k", r->kind, "anc",
                     anc);
}

static json_t *comp_dump(const struct sfn_comp *c)
{
    json_t *log = json_array(), *runs = json_array();
    for (size_t i = 0; i < c->n_log; i++)
        json_array_append_new(log, rec_dump(&c->log[i]));
    for (size_t i = 0; i < c->n_runs; i++) {
        const comp_run *r = &c->runs[i];
        json_t *steps = json_array();
        for (size_t k = 0; k < r->n_steps; k++) {
            const comp_step *st = &r->steps[k];
            json_t *rc = json_array();
            size_t nr = st->rec.st->compensation->task.n_retriers;
            for (size_t j = 0; st->retry_counts && j < nr; j++)
                json_array_append_new(rc, json_integer(st->retry_counts[j]));
            json_array_append_new(
                steps, json_pack("{s:i,s:o,s:i,s:i,s:I,s:I,s:o,s:O}", "id",
                                 (int)st->id, "rec", rec_dump(&st->rec),
                                 "ph", st->phase, "a", (int)st->attempt, "f",
                                 (json_int_t)st->first_ms, "w",
                                 (json_int_t)st->wake_ms, "rc", rc, "p",
                                 st->params ? st->params : json_null()));
        }
        json_t *o = json_pack("{s:b,s:i,s:i,s:i,s:o,s:i,s:i}", "final",
                              r->final, "fs", r->final_status, "sd",
                              (int)r->strand, "ct", r->catcher, "steps",
                              steps, "dn", (int)r->done, "fl",
                              (int)r->failed);
        if (r->error)
            json_object_set_new(o, "e", json_string(r->error));
        if (r->cause)
            json_object_set_new(o, "c", json_string(r->cause));
        json_array_append_new(runs, o);
    }
    return json_pack("{s:o,s:o,s:i,s:b,s:b}", "log", log, "runs", runs,
                     "next", (int)c->next_id, "frozen", c->frozen, "fd",
                     c->final_done);
}

char *sfn_exec_state_dump(const sfn_execution *x)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    if (x->invocations)
        json_object_set(o, "inv", x->invocations);
    if (x->comp)
        json_object_set_new(o, "comp", comp_dump(x->comp));
    json_object_set_new(o, "cs", json_integer(x->comp_status));
    if (x->stop_compensate)
        json_object_set_new(o, "sc", json_true());
    if (x->redrive_count)
        json_object_set_new(o, "rd", json_integer(x->redrive_count));
    char *text = sfn_json_dumps(o, 0);
    json_decref(o);
    return text;
}

static const sfn_state *find_state(const sfn_block *b, const char *ptr)
{
    for (size_t i = 0; b && i < b->n_states; i++) {
        const sfn_state *st = &b->states[i];
        if (!strcmp(st->pointer, ptr))
            return st;
        const sfn_state *f = NULL;
        for (size_t k = 0; k < st->n_branches && !f; k++)
            f = find_state(st->branches[k], ptr);
        if (!f && st->processor)
            f = find_state(st->processor, ptr);
        if (f)
            return f;
    }
    return NULL;
}

static bool rec_load(sfn_execution *x, json_t *o, comp_rec *r)
{
    const char *ptr = json_string_value(json_object_get(o, "st"));
    r->st = ptr ? find_state(x->graph->root, ptr) : NULL;
    if (!r->st || !r->st->compensation)
        return false;
    r->strand = (uint32_t)json_integer_value(json_object_get(o, "sd"));
    r->visit = json_integer_value(json_object_get(o, "v"));
    json_t *in = json_object_get(o, "in"), *res = json_object_get(o, "res");
    r->input = json_incref(in);
    r->result = res && !json_is_null(res) ? json_incref(res) : NULL;
    r->kind = (int)json_integer_value(json_object_get(o, "k"));
    json_t *anc = json_object_get(o, "anc");
    r->n_anc = json_array_size(anc);
    r->anc = calloc(r->n_anc ? r->n_anc : 1, sizeof *r->anc);
    for (size_t i = 0; r->anc && i < r->n_anc; i++)
        r->anc[i] = (uint32_t)json_integer_value(json_array_get(anc, i));
    return true;
}

static void runs_load(sfn_execution *x, struct sfn_comp *c, json_t *runs)
{
    size_t n = json_array_size(runs);
    c->runs = n ? calloc(n, sizeof *c->runs) : NULL;
    for (size_t i = 0; c->runs && i < n; i++) {
        json_t *o = json_array_get(runs, i);
        comp_run *r = &c->runs[c->n_runs++];
        r->final = json_is_true(json_object_get(o, "final"));
        r->final_status = (int)json_integer_value(json_object_get(o, "fs"));
        r->strand = (uint32_t)json_integer_value(json_object_get(o, "sd"));
        r->catcher = (int)json_integer_value(json_object_get(o, "ct"));
        r->done = (size_t)json_integer_value(json_object_get(o, "dn"));
        r->failed = (size_t)json_integer_value(json_object_get(o, "fl"));
        const char *e = json_string_value(json_object_get(o, "e"));
        const char *ca = json_string_value(json_object_get(o, "c"));
        r->error = e ? strdup(e) : NULL;
        r->cause = ca ? strdup(ca) : NULL;
        json_t *steps = json_object_get(o, "steps");
        size_t ns = json_array_size(steps);
        r->steps = calloc(ns ? ns : 1, sizeof *r->steps);
        for (size_t k = 0; r->steps && k < ns; k++) {
            json_t *so = json_array_get(steps, k);
            comp_step *st = &r->steps[r->n_steps];
            if (!rec_load(x, json_object_get(so, "rec"), &st->rec)) {
                rec_free(&st->rec);
                continue;
            }
            r->n_steps++;
            st->id = (uint32_t)json_integer_value(json_object_get(so, "id"));
            st->phase = (int)json_integer_value(json_object_get(so, "ph"));
            st->attempt = (uint32_t)json_integer_value(json_object_get(so, "a"));
            st->first_ms = json_integer_value(json_object_get(so, "f"));
            st->wake_ms = json_integer_value(json_object_get(so, "w"));
            json_t *p = json_object_get(so, "p");
            st->params = p && !json_is_null(p) ? json_incref(p) : NULL;
            json_t *rc = json_object_get(so, "rc");
            if (json_array_size(rc)) {
                st->retry_counts = calloc(json_array_size(rc),
                                          sizeof *st->retry_counts);
                for (size_t j = 0; st->retry_counts && j < json_array_size(rc);
                     j++)
                    st->retry_counts[j] =
                        (uint32_t)json_integer_value(json_array_get(rc, j));
            }
        }
    }
}

sfn_rc sfn_exec_state_load(sfn_execution *x, const char *text,
                           sfn_error *err)
{
    json_error_t je;
    json_t *o = sfn_json_loadb(text, strlen(text), 0, &je);
    if (!json_is_object(o)) {
        json_decref(o);
        return sfn_error_set(err, SFN_EIO, NULL, -1,
                             "corrupt execution state of %s: %s", x->arn,
                             je.text);
    }
    json_t *inv = json_object_get(o, "inv");
    json_decref(x->invocations);
    x->invocations = json_is_object(inv) ? json_incref(inv) : NULL;
    x->comp_status = (int)json_integer_value(json_object_get(o, "cs"));
    x->stop_compensate = json_is_true(json_object_get(o, "sc"));
    x->redrive_count = (uint32_t)json_integer_value(json_object_get(o, "rd"));
    json_t *co = json_object_get(o, "comp");
    exec_comp_free(x);
    if (json_is_object(co) && comp_of(x)) {
        struct sfn_comp *c = x->comp;
        json_t *log = json_object_get(co, "log");
        c->log = calloc(json_array_size(log) + 1, sizeof *c->log);
        c->cap_log = json_array_size(log) + 1;
        for (size_t i = 0; c->log && i < json_array_size(log); i++)
            if (rec_load(x, json_array_get(log, i), &c->log[c->n_log]))
                c->n_log++;
            else
                rec_free(&c->log[c->n_log]);
        runs_load(x, c, json_object_get(co, "runs"));
        c->next_id = (uint32_t)json_integer_value(json_object_get(co, "next"));
        c->frozen = json_is_true(json_object_get(co, "frozen"));
        c->final_done = json_is_true(json_object_get(co, "fd"));
    }
    json_decref(o);
    return SFN_OK;
}
