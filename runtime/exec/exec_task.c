/* exec_task.c: Task states.  A request goes out as an effect; the answer,
 * a callback (SendTask*), an activity worker's progress or a timeout comes
 * back in.  Service integrations, activities and legacy Lambda ARNs write
 * different history events (asl.md 8.4), chosen by the resource's kind. */
#include "exec_internal.h"
#include "exec_flow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ST(s) (&(s)->block->states[(s)->state])

static const char k_wait_suffix[] = ".waitForTaskToken";

sfn_task_kind sfn_exec_task_kind(const char *res)
{
    if (!strncmp(res, "arn:aws:lambda:", 15) && strstr(res, ":function:"))
        return SFN_TASK_KIND_LAMBDA;
    if (!strncmp(res, "arn:aws:states:", 15) &&
        strncmp(res, "arn:aws:states:::", 17) && strstr(res, ":activity:"))
        return SFN_TASK_KIND_ACTIVITY;
    return SFN_TASK_KIND_SERVICE;
}

bool sfn_exec_task_is_callback(const char *res)
{
    size_t n = strlen(res), k = sizeof k_wait_suffix - 1;
    return sfn_exec_task_kind(res) == SFN_TASK_KIND_ACTIVITY ||
           (n > k && !strcmp(res + n - k, k_wait_suffix));
}

/* "arn:aws:states:::lambda:invoke" -> ("lambda", "invoke"); an activity or
 * other ARN -> (service segment, remainder). */
static void resource_parts(const char *res, char *type, size_t tn, char *api,
                           size_t an)
{
    const char *p = res;
    if (!strncmp(p, "arn:aws:states:::", 17)) {
        p += 17;
    } else {
        /* arn:partition:service:region:account:rest */
        int colons = 0;
        const char *svc = NULL;
        for (const char *q = res; *q; q++)
            if (*q == ':' && ++colons == 2)
                svc = q + 1;
        p = svc ? svc : res;
    }
    const char *colon = strchr(p, ':');
    size_t n = colon ? (size_t)(colon - p) : strlen(p);
    snprintf(type, tn, "%.*s", (int)n, p);
    snprintf(api, an, "%s", colon ? colon + 1 : "");
}

/* The identifying members of a Task event: {resourceType, resource} for
 * service integrations, {resource} (the ARN) where AWS writes one. */
static json_t *task_details(const sfn_state *st)
{
    char type[64], api[256];
    resource_parts(st->resource, type, sizeof type, api, sizeof api);
    return json_pack("{s:s,s:s}", "resourceType", type, "resource", api);
}

/* Adds the members of v (stolen) to d. */
static void merge_new(json_t *d, json_t *v)
{
    json_object_update(d, v);
    json_decref(v);
}

static sfn_task_kind kind_of(const sfn_strand *s)
{
    return sfn_exec_task_kind(ST(s)->resource);
}

/* ---- tokens ----------------------------------------------------------- */

static char *mint(sfn_execution *x, sfn_strand *s)
{
    if (x->mint_token)
        return x->mint_token(x->mint_ud, x, s->id);
    char *t = malloc(65);
    if (t)
        snprintf(t, 65, "%016llx%016llx%016llx%016llx",
                 (unsigned long long)exec_next_rand(x),
                 (unsigned long long)exec_next_rand(x),
                 (unsigned long long)exec_next_rand(x),
                 (unsigned long long)exec_next_rand(x));
    return t;
}

void exec_task_close_token(sfn_execution *x, sfn_strand *s, int status)
{
    if (!s->token)
        return;
    if (x->n_closed == x->cap_closed) {
        size_t cap = x->cap_closed ? x->cap_closed * 2 : 8;
        sfn_closed_token *c = realloc(x->closed, cap * sizeof *c);
        if (!c) {
            free(s->token);
            s->token = NULL;
            return;
        }
        x->closed = c;
        x->cap_closed = cap;
    }
    x->closed[x->n_closed++] = (sfn_closed_token){s->token, status};
    s->token = NULL;
}

const char *sfn_exec_task_token(const sfn_execution *x, uint32_t id)
{
    if (id >= x->n_strands || !x->strands[id] ||
        x->strands[id]->phase != SFN_PH_TASK)
        return NULL;
    return x->strands[id]->token;
}

/* ---- scheduling ------------------------------------------------------- */

static uint32_t count_invocation(sfn_execution *x, const char *state)
{
    if (!x->test_case)
        return 0;
    if (!x->invocations && !(x->invocations = json_object()))
        return 0;
    json_t *v = json_object_get(x->invocations, state);
    uint32_t n = v ? (uint32_t)json_integer_value(v) : 0;
    json_object_set_new(x->invocations, state, json_integer(n + 1));
    x->state_dirty = true;
    return n;
}

static void emit_scheduled(sfn_execution *x, sfn_strand *s, json_t *params,
                           long long timeout, long long heartbeat,
                           int64_t now)
{
    const sfn_state *st = ST(s);
    json_t *d;
    switch (kind_of(s)) {
    case SFN_TASK_KIND_ACTIVITY:
    case SFN_TASK_KIND_LAMBDA:
        d = json_pack("{s:s}", "resource", st->resource);
        merge_new(d, exec_data_details("input", params));
        break;
    default:
        d = task_details(st);
        json_object_set_new(d, "region", json_string("us-east-1"));
        json_object_set_new(d, "parameters", exec_json_text(params));
        break;
    }
    if (st->timeout_s.set)
        json_object_set_new(d, "timeoutInSeconds", json_integer(timeout));
    if (st->heartbeat_s.set && kind_of(s) != SFN_TASK_KIND_LAMBDA)
        json_object_set_new(d, "heartbeatInSeconds", json_integer(heartbeat));
    switch (kind_of(s)) {
    case SFN_TASK_KIND_ACTIVITY:
        exec_emit(x, s, SFN_EV_ActivityScheduled, now, d);
        break; /* ActivityStarted comes when a worker takes it */
    case SFN_TASK_KIND_LAMBDA:
        exec_emit(x, s, SFN_EV_LambdaFunctionScheduled, now, d);
        exec_emit(x, s, SFN_EV_LambdaFunctionStarted, now, NULL);
        break;
    default:
        exec_emit(x, s, SFN_EV_TaskScheduled, now, d);
        exec_emit(x, s, SFN_EV_TaskStarted, now, task_details(st));
        break;
    }
}

/* Parameters (JSONPath) or Arguments (JSONata): new reference or NULL
 * after the error was handled. */
static json_t *task_params(sfn_execution *x, sfn_strand *s, exec_env *e,
                           int64_t now)
{
    const sfn_state *st = ST(s);
    sfn_error err;
    sfn_error_clear(&err);
    json_t *params = NULL;
    if (st->ql == SFN_QL_JSONATA) {
        if (!exec_ja_begin_input(x, s, e, now))
            return NULL;
        params = st->arguments
                     ? exec_ja_tpl(e, st->arguments,
                                   json_object_get(st->raw, "Arguments"),
                                   "Arguments", &err)
                     : json_incref(s->input);
    } else {
        json_t *eff = exec_apply_path(e, st->input_path,
                                      st->input_path_null, s->input, &err);
        if (eff) {
            exec_env_set_input(e, eff);
            params = exec_tpl_eval(e, st->parameters, &err);
        }
        json_decref(eff);
    }
    if (!params)
        exec_flow_error(x, s, e, &err, now);
    return params;
}

void exec_task_work(sfn_execution *x, sfn_strand *s, exec_env *e,
                    int64_t now)
{
    const sfn_state *st = ST(s);
    bool callback = sfn_exec_task_is_callback(st->resource);
    /* a new attempt gets a new token; the old one is closed */
    exec_task_close_token(x, s, SFN_EXEC_TOKEN_DONE);
    if (callback && !(s->token = mint(x, s))) {
        exec_finish(x, SFN_EXEC_FAILED, NULL, "States.Runtime",
                    "out of memory", now);
        return;
    }
    json_t *params = task_params(x, s, e, now);
    if (!params) {
        exec_task_close_token(x, s, SFN_EXEC_TOKEN_DONE);
        return;
    }
    /* the *Path variants read the state's raw input */
    sfn_error err;
    sfn_error_clear(&err);
    long long timeout = 0, heartbeat = 0;
    if ((st->timeout_s.set &&
         !exec_dyn_seconds(e, &st->timeout_s, "TimeoutSecondsPath", s->input,
                           &timeout, &err)) ||
        (st->heartbeat_s.set &&
         !exec_dyn_seconds(e, &st->heartbeat_s, "HeartbeatSecondsPath",
                           s->input, &heartbeat, &err))) {
        json_decref(params);
        exec_task_close_token(x, s, SFN_EXEC_TOKEN_DONE);
        exec_flow_error(x, s, e, &err, now);
        return;
    }
    emit_scheduled(x, s, params, timeout, heartbeat, now);
    json_decref(s->effective);
    s->effective = params;
    s->phase = SFN_PH_TASK;
    s->wake_ms = timeout > 0 ? now + timeout * 1000 : 0;
    s->hb_s = callback ? heartbeat : 0;
    s->hb_ms = 0;
    s->submitted = false;
    sfn_effect *fx = exec_effect(x, SFN_EFFECT_TASK, s);
    if (fx) {
        fx->state = st;
        fx->payload = json_incref(params);
        fx->timeout_s = timeout;
        fx->wake_ms = s->wake_ms;
        fx->invocation = count_invocation(x, st->name);
    }
    exec_comp_task_started(x, s, params);
}

/* ---- outcomes --------------------------------------------------------- */

static void end_task(sfn_execution *x, sfn_strand *s, int token_status)
{
    exec_task_close_token(x, s, token_status);
    s->wake_ms = 0;
    s->hb_ms = 0;
    s->hb_s = 0;
    s->submitted = false;
    s->dirty = true;
}

static json_t *error_details(const sfn_strand *s, bool ids, const char *error,
                             const char *cause)
{
    json_t *d = ids ? task_details(ST(s)) : json_object();
    json_object_set_new(d, "error", json_string(error));
    if (cause)
        json_object_set_new(d, "cause", json_string(cause));
    return d;
}

static void task_failed(sfn_execution *x, sfn_strand *s, const char *error,
                        const char *cause, int64_t now)
{
    exec_comp_task_failed(x, s, error);
    switch (kind_of(s)) {
    case SFN_TASK_KIND_ACTIVITY:
        exec_emit(x, s, SFN_EV_ActivityFailed, now,
                  error_details(s, false, error, cause));
        break;
    case SFN_TASK_KIND_LAMBDA:
        exec_emit(x, s, SFN_EV_LambdaFunctionFailed, now,
                  error_details(s, false, error, cause));
        break;
    default:
        exec_emit(x, s, SFN_EV_TaskFailed, now,
                  error_details(s, true, error, cause));
        break;
    }
    end_task(x, s, SFN_EXEC_TOKEN_DONE);
    s->phase = SFN_PH_WORK;
    exec_state_error(x, s, error, cause, now);
}

void exec_task_result(sfn_execution *x, sfn_strand *s, json_t *result,
                      const char *error, const char *cause, int64_t now)
{
    const sfn_state *st = ST(s);
    char limit_cause[512];
    if (!error && exec_json_size(result) > x->limits.payload_bytes_max) {
        snprintf(limit_cause, sizeof limit_cause,
                 "The state/task '%s' returned a result with a size "
                 "exceeding the maximum number of bytes service limit.",
                 st->resource);
        error = "States.DataLimitExceeded";
        cause = limit_cause;
    }
    if (error) {
        task_failed(x, s, error, cause, now);
        return;
    }
    json_t *d;
    switch (kind_of(s)) {
    case SFN_TASK_KIND_ACTIVITY:
        exec_emit(x, s, SFN_EV_ActivitySucceeded, now,
                  exec_data_details("output", result));
        break;
    case SFN_TASK_KIND_LAMBDA:
        exec_emit(x, s, SFN_EV_LambdaFunctionSucceeded, now,
                  exec_data_details("output", result));
        break;
    default:
        d = task_details(st);
        merge_new(d, exec_data_details("output", result));
        exec_emit(x, s, SFN_EV_TaskSucceeded, now, d);
        break;
    }
    end_task(x, s, SFN_EXEC_TOKEN_DONE);
    exec_comp_task_succeeded(x, s, result);
    exec_finish_work(x, s, result, now);
}

static void timed_out(sfn_execution *x, sfn_strand *s, const char *error,
                      int64_t now)
{
    sfn_event_type t = kind_of(s) == SFN_TASK_KIND_ACTIVITY
                           ? SFN_EV_ActivityTimedOut
                       : kind_of(s) == SFN_TASK_KIND_LAMBDA
                           ? SFN_EV_LambdaFunctionTimedOut
                           : SFN_EV_TaskTimedOut;
    exec_comp_task_failed(x, s, error);
    exec_emit(x, s, t, now,
              error_details(s, t == SFN_EV_TaskTimedOut, error, NULL));
    end_task(x, s, SFN_EXEC_TOKEN_TIMED_OUT);
    s->phase = SFN_PH_WORK;
    exec_state_error(x, s, error, NULL, now);
}

void exec_task_timer(sfn_execution *x, sfn_strand *s, int64_t now)
{
    if (s->hb_ms && now >= s->hb_ms)
        timed_out(x, s, "States.HeartbeatTimeout", now);
    else if (s->wake_ms && now >= s->wake_ms)
        timed_out(x, s, "States.Timeout", now);
}

/* ---- callbacks and workers -------------------------------------------- */

static sfn_strand *task_strand(sfn_execution *x, uint32_t id,
                               uint32_t attempt)
{
    if (id >= x->n_strands || !x->strands[id] ||
        x->status != SFN_EXEC_RUNNING)
        return NULL;
    sfn_strand *s = x->strands[id];
    return s->phase == SFN_PH_TASK && s->attempt == attempt ? s : NULL;
}

static void start_heartbeat(sfn_execution *x, sfn_strand *s, int64_t now)
{
    s->dirty = true;
    x->touched = true;
    if (!s->hb_s)
        return;
    s->hb_ms = now + s->hb_s * 1000;
    sfn_effect *fx = exec_effect(x, SFN_EFFECT_TIMER, s);
    if (fx)
        fx->wake_ms = s->hb_ms;
}

sfn_rc sfn_exec_task_submitted(sfn_execution *x, uint32_t id,
                               uint32_t attempt, json_t *response,
                               int64_t now_ms)
{
    sfn_strand *s = task_strand(x, id, attempt);
    if (!s || s->submitted)
        return SFN_OK;
    json_t *d = task_details(ST(s));
    json_t *out = response ? response : json_object();
    merge_new(d, exec_data_details("output", out));
    if (!response)
        json_decref(out);
    exec_emit(x, s, SFN_EV_TaskSubmitted, now_ms, d);
    s->submitted = true;
    start_heartbeat(x, s, now_ms);
    return SFN_OK;
}

sfn_rc sfn_exec_task_started(sfn_execution *x, uint32_t id, uint32_t attempt,
                             const char *worker, int64_t now_ms)
{
    sfn_strand *s = task_strand(x, id, attempt);
    if (!s || s->submitted)
        return SFN_OK;
    exec_emit(x, s, SFN_EV_ActivityStarted, now_ms,
              json_pack("{s:s}", "workerName", worker ? worker : ""));
    s->submitted = true;
    start_heartbeat(x, s, now_ms);
    return SFN_OK;
}

sfn_rc sfn_exec_task_heartbeat(sfn_execution *x, uint32_t id,
                               uint32_t attempt, int64_t now_ms)
{
    sfn_strand *s = task_strand(x, id, attempt);
    if (!s)
        return SFN_ENOTFOUND;
    if (s->hb_s)
        start_heartbeat(x, s, now_ms);
    return SFN_OK;
}
