/* exec_states.c: the work of each state type (Pass, Task, Choice, Wait,
 * Succeed, Fail, Parallel, Map) in both query languages, and the error path
 * shared by all of them: uncatchable States.Runtime, then Retry, then
 * Catch.  JSONata-mode fields evaluate through exec_jsonata.c. */
#include "exec_internal.h"
#include "exec_flow.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ST(s) (&(s)->block->states[(s)->state])

static void eval_failed(sfn_execution *x, sfn_strand *s, const char *where,
                        const sfn_error *err, bool catchable, int64_t now);
static bool start_iteration(sfn_execution *x, sfn_strand *s, uint32_t i,
                            int64_t now);

size_t exec_json_size(json_t *v)
{
    char *t = sfn_json_dumps(v, 0);
    size_t n = t ? strlen(t) : 0;
    free(t);
    return n;
}

/* ---- errors: Retry, then Catch ---------------------------------------- */

static bool error_matches(const char *err, const char **eq, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(eq[i], "States.ALL"))
            return strcmp(err, "States.Runtime") != 0;
        /* AWS: States.TaskFailed matches any error but States.Timeout */
        if (!strcmp(eq[i], "States.TaskFailed") &&
            strcmp(err, "States.Timeout") && strcmp(err, "States.Runtime"))
            return true;
        if (!strcmp(eq[i], err))
            return true;
    }
    return false;
}

static bool try_retry(sfn_execution *x, sfn_strand *s, const char *error,
                      int64_t now)
{
    const sfn_state *st = ST(s);
    for (size_t i = 0; i < st->n_retriers; i++) {
        const sfn_retrier *r = &st->retriers[i];
        if (!error_matches(error, r->errors, r->n_errors))
            continue;
        /* the first matching retrier decides, even when exhausted */
        if (s->retry_counts[i] >= r->max_attempts)
            return false;
        double delay = (double)r->interval_s *
                       pow(r->backoff_rate, (double)s->retry_counts[i]);
        if (r->max_delay_s > 0 && delay > (double)r->max_delay_s)
            delay = (double)r->max_delay_s;
        if (r->jitter_full)
            delay *= (double)(exec_next_rand(x) >> 11) / 9007199254740992.0;
        s->retry_counts[i]++;
        s->retry_total++;
        s->attempt++;
        s->phase = SFN_PH_TIMER;
        s->wake_ms = now + (int64_t)(delay * 1000.0);
        s->dirty = true;
        sfn_effect *e = exec_effect(x, SFN_EFFECT_TIMER, s);
        if (e)
            e->wake_ms = s->wake_ms;
        return true;
    }
    return false;
}

static json_t *error_output(const char *error, const char *cause)
{
    json_t *o = json_object();
    json_object_set_new(o, "Error", json_string(error ? error : ""));
    if (cause)
        json_object_set_new(o, "Cause", json_string(cause));
    return o;
}

/* An uncatchable error ends the execution.  AWS prefixes the cause of a
 * States.Runtime raised inside a state with the state's name and the id of
 * its Entered event (asl.md 3.2, recorded). */
static char *state_cause(const sfn_strand *s, const char *cause)
{
    const char *state = ST(s)->name;
    size_t n = strlen(state) + strlen(cause) + 128;
    char *out = malloc(n);
    if (out)
        snprintf(out, n,
                 "An error occurred while executing the state '%s' (entered "
                 "at the event id #%lld). %s",
                 state, (long long)s->entered_event, cause);
    return out;
}

static void runtime_failure(sfn_execution *x, sfn_strand *s,
                            const sfn_error *err, int64_t now)
{
    const char *name = err->name[0] ? err->name : "States.Runtime";
    if (!s || strcmp(name, "States.Runtime")) {
        exec_finish(x, SFN_EXEC_FAILED, NULL, name, err->cause, now);
        return;
    }
    char *cause = state_cause(s, err->cause);
    exec_finish(x, SFN_EXEC_FAILED, NULL, name, cause ? cause : err->cause,
                now);
    free(cause);
}

/* JSONata Assign + Output of a state that is leaving for `next`: both see
 * the same bindings (the pre-state variables), Assign first.  out_default
 * (borrowed) is the output without an Output field.  Errors go through
 * flow_error, or straight to the strand's failure when `catching` (a
 * catcher's own fields failed: no second round of Catch). */
static void ja_exit(sfn_execution *x, sfn_strand *s, exec_env *e,
                    const sfn_tpl *assign, const sfn_tpl *output,
                    const json_t *raw, json_t *out_default, int next,
                    bool catching, int64_t now)
{
    sfn_error err;
    sfn_error_clear(&err);
    json_t *assigned = NULL, *out = NULL;
    if ((!assign || (assigned = exec_ja_tpl(e, assign,
                                            json_object_get(raw, "Assign"),
                                            "Assign", &err))) &&
        (out = output ? exec_ja_tpl(e, output,
                                    json_object_get(raw, "Output"), "Output",
                                    &err)
                      : json_incref(out_default)))
        exec_exit_state(x, s, out, assigned, next, now);
    else if (catching)
        eval_failed(x, s, e->ja_where, &err, false, now);
    else
        exec_flow_error(x, s, e, &err, now);
    json_decref(assigned);
}

bool exec_error_matches(const char *err, const char **eq, size_t n)
{
    return error_matches(err, eq, n);
}

static bool try_catch(sfn_execution *x, sfn_strand *s, const char *error,
                      const char *cause, int64_t now)
{
    const sfn_state *st = ST(s);
    for (size_t i = 0; i < st->n_catchers; i++) {
        const sfn_catcher *c = &st->catchers[i];
        if (!error_matches(error, c->errors, c->n_errors))
            continue;
        if (c->compensate && exec_comp_catch(x, s, (int)i, error, cause, now))
            return true;
        exec_catch_resume(x, s, (int)i, error, cause, now);
        return true;
    }
    return false;
}

void exec_catch_resume(sfn_execution *x, sfn_strand *s, int ci,
                       const char *error, const char *cause, int64_t now)
{
    const sfn_state *st = ST(s);
    if (s->phase == SFN_PH_COMPENSATING)
        s->phase = SFN_PH_WORK;
    {
        size_t i = (size_t)ci;
        const sfn_catcher *c = &st->catchers[i];
        json_t *eo = error_output(error, cause);
        sfn_error err;
        sfn_error_clear(&err);
        exec_env env;
        exec_env_init(&env, x, s, eo);
        env.now_ms = now;
        if (st->ql == SFN_QL_JSONATA) {
            /* Output defaults to the error output; only the catcher's
             * Assign runs (asl.md 6.4) */
            const json_t *raw =
                json_array_get(json_object_get(st->raw, "Catch"), i);
            if (exec_ja_begin(&env, s->input, NULL, eo))
                ja_exit(x, s, &env, c->assign, c->output, raw, eo, c->next,
                        true, now);
            else
                exec_finish(x, SFN_EXEC_FAILED, NULL, "States.Runtime",
                            "out of memory", now);
            exec_env_done(&env);
            json_decref(eo);
            return;
        }
        json_t *assigned = NULL;
        if (c->assign)
            assigned = exec_assign_eval(&env, c->assign, eo, &err);
        json_t *out = (!c->assign || assigned)
                          ? exec_apply_result_path(c->result_path,
                                                   c->result_path_null,
                                                   s->input, eo, &err)
                          : NULL;
        exec_env_done(&env);
        json_decref(eo);
        if (!out) {
            json_decref(assigned);
            runtime_failure(x, s, &err, now);
            return;
        }
        exec_exit_state(x, s, out, assigned, c->next, now);
        json_decref(assigned);
    }
}

/* An error raised by the state's work.  `failed` is the state's own
 * failure event (ParallelStateFailed, MapStateFailed) or SFN_EV__COUNT: it
 * is written only when no retrier takes the error, as AWS records for a
 * retried Map (scenarios map_state_retry: no MapStateFailed between the
 * attempts, one before ExecutionFailed). */
static void state_error_ev(sfn_execution *x, sfn_strand *s, const char *error,
                           const char *cause, sfn_event_type failed,
                           int64_t now)
{
    if (!error)
        error = ""; /* a Fail state without Error */
    if (!strcmp(error, "States.Runtime")) {
        exec_finish(x, SFN_EXEC_FAILED, NULL, error, cause, now);
        return;
    }
    if (try_retry(x, s, error, now))
        return;
    if (failed != SFN_EV__COUNT)
        exec_emit(x, s, failed, now, NULL);
    if (try_catch(x, s, error, cause, now))
        return;
    exec_strand_fail(x, s, error, cause, now);
}

void exec_state_error(sfn_execution *x, sfn_strand *s, const char *error,
                      const char *cause, int64_t now)
{
    state_error_ev(x, s, error, cause, SFN_EV__COUNT, now);
}

/* An error in a data-flow step: States.Runtime (a path that selects
 * nothing, a bad *Path value) ends the execution as AWS records; any other
 * name goes through the state's Retry/Catch.  Decision (asl.md 12.2):
 * States.ResultPathMatchFailure and States.IntrinsicFailure stay catchable
 * as the AWS docs list them; no recording contradicts it. */
void exec_flow_error(sfn_execution *x, sfn_strand *s, exec_env *e,
                     const sfn_error *err, int64_t now)
{
    const char *name = err->name[0] ? err->name : "States.Runtime";
    if (e && e->ja_where[0] && !strcmp(name, "States.QueryEvaluationError")) {
        eval_failed(x, s, e->ja_where, err, true, now);
        return;
    }
    if (!strcmp(name, "States.Runtime")) {
        runtime_failure(x, s, err, now);
        return;
    }
    exec_state_error(x, s, name, err->cause, now);
}

/* A JSONata evaluation failed in field `where`: AWS writes an
 * EvaluationFailed event, then the error (cause prefixed with the state,
 * as for States.Runtime) takes the state's Retry/Catch; a Map or Parallel
 * writes its own Failed event first (scenarios map_state_items_*,
 * recorded). */
static void eval_failed(sfn_execution *x, sfn_strand *s, const char *where,
                        const sfn_error *err, bool catchable, int64_t now)
{
    const sfn_state *st = ST(s);
    char *cause = state_cause(s, err->cause);
    const char *c = cause ? cause : err->cause;
    exec_emit(x, s, SFN_EV_EvaluationFailed, now,
              json_pack("{s:s,s:s,s:s,s:s}", "error", err->name, "cause", c,
                        "location", where, "state", st->name));
    sfn_event_type failed = st->type == SFN_ST_MAP ? SFN_EV_MapStateFailed
                            : st->type == SFN_ST_PARALLEL
                                ? SFN_EV_ParallelStateFailed
                                : SFN_EV__COUNT;
    /* a catcher's failing field: the state's Failed event is written */
    if (catchable)
        state_error_ev(x, s, err->name, c, failed, now);
    else
        exec_strand_fail(x, s, err->name, c, now);
    free(cause);
}

/* ---- Pass, Choice, Succeed, Fail, Wait -------------------------------- */

/* JSONata $states for a state's fields before its work has a result. */
bool exec_ja_begin_input(sfn_execution *x, sfn_strand *s, exec_env *e,
                         int64_t now)
{
    if (exec_ja_begin(e, s->input, NULL, NULL))
        return true;
    exec_finish(x, SFN_EXEC_FAILED, NULL, "States.Runtime", "out of memory",
                now);
    return false;
}

/* JSONata Pass and Succeed: Assign and Output (default: the input). */
static void ja_pass_work(sfn_execution *x, sfn_strand *s, exec_env *e,
                         int64_t now)
{
    const sfn_state *st = ST(s);
    if (exec_ja_begin_input(x, s, e, now))
        ja_exit(x, s, e, st->assign, st->output, st->raw, s->input,
                st->end ? -1 : st->next, false, now);
}

static void pass_work(sfn_execution *x, sfn_strand *s, exec_env *e,
                      int64_t now)
{
    const sfn_state *st = ST(s);
    if (st->ql == SFN_QL_JSONATA) {
        ja_pass_work(x, s, e, now);
        return;
    }
    sfn_error err;
    sfn_error_clear(&err);
    json_t *eff = NULL, *res = NULL, *assigned = NULL, *comb = NULL,
           *out = NULL;
    if (!(eff = exec_apply_path(e, st->input_path, st->input_path_null,
                                s->input, &err)))
        goto fail;
    exec_env_set_input(e, eff);
    if (st->result)
        res = json_incref(st->result);
    else if (!(res = exec_tpl_eval(e, st->parameters, &err)))
        goto fail;
    /* A result over the payload limit ends the execution, uncaught, with the
     * state's name in the cause (error_handling start_large_input,
     * recorded; asl.md 12.1: terminal when not a task result). */
    if ((st->result || st->parameters) &&
        exec_json_size(res) > x->limits.payload_bytes_max) {
        snprintf(err.cause, sizeof err.cause,
                 "The state/task '%s' returned a result with a size "
                 "exceeding the maximum number of bytes service limit.",
                 st->name);
        snprintf(err.name, sizeof err.name, "States.DataLimitExceeded");
        runtime_failure(x, s, &err, now);
        goto done;
    }
    /* Pass Assign binds `$` to the state's result (Result, Parameters or
     * the effective input), as AWS records (assign BASE_ASSIGN_FROM_RESULT:
     * Result {"answer": 42} with "theAnswer.$": "$.answer" gives 42) */
    if (st->assign && !(assigned = exec_assign_eval(e, st->assign, res, &err)))
        goto fail;
    if (!(comb = exec_apply_result_path(st->result_path, st->result_path_null,
                                        s->input, res, &err)) ||
        !(out = exec_apply_path(e, st->output_path, st->output_path_null,
                                comb, &err)))
        goto fail;
    exec_exit_state(x, s, out, assigned, st->end ? -1 : st->next, now);
    goto done;
fail:
    exec_flow_error(x, s, e, &err, now);
done:
    json_decref(eff);
    json_decref(res);
    json_decref(assigned);
    json_decref(comb);
}

/* JSONata Choice: the state-level Assign applies whichever way the state
 * leaves, a matching rule's Assign on top of it (AWS docs, Choice
 * rules); the rule's Output, else the state's, else the input. */
static void ja_choice_work(sfn_execution *x, sfn_strand *s, exec_env *e,
                           int64_t now)
{
    const sfn_state *st = ST(s);
    sfn_error err;
    sfn_error_clear(&err);
    if (!exec_ja_begin_input(x, s, e, now))
        return;
    int idx = exec_choice_select(e, st, s->input, &err);
    if (idx < -1) {
        exec_flow_error(x, s, e, &err, now);
        return;
    }
    const sfn_rule *r = idx >= 0 ? st->choices[idx] : NULL;
    int next = r ? r->next : st->default_next;
    if (next < 0) {
        exec_strand_fail(x, s, "States.NoChoiceMatched", "No Matches!", now);
        return;
    }
    const json_t *rraw =
        r ? json_array_get(json_object_get(st->raw, "Choices"), (size_t)idx)
          : NULL;
    json_t *assigned = NULL, *rule_assigned = NULL, *out = NULL;
    if ((st->assign &&
         !(assigned = exec_ja_tpl(e, st->assign,
                                  json_object_get(st->raw, "Assign"),
                                  "Assign", &err))) ||
        (r && r->assign &&
         !(rule_assigned = exec_ja_tpl(e, r->assign,
                                       json_object_get(rraw, "Assign"),
                                       "Assign", &err))))
        goto fail;
    if (rule_assigned && !assigned)
        assigned = json_incref(rule_assigned);
    else if (rule_assigned)
        json_object_update(assigned, rule_assigned);
    if (r && r->output)
        out = exec_ja_tpl(e, r->output, json_object_get(rraw, "Output"),
                          "Output", &err);
    else if (st->output)
        out = exec_ja_tpl(e, st->output, json_object_get(st->raw, "Output"),
                          "Output", &err);
    else
        out = json_incref(s->input);
    if (!out)
        goto fail;
    exec_exit_state(x, s, out, assigned, next, now);
    goto done;
fail:
    exec_flow_error(x, s, e, &err, now);
done:
    json_decref(assigned);
    json_decref(rule_assigned);
}

static void choice_work(sfn_execution *x, sfn_strand *s, exec_env *e,
                        int64_t now)
{
    const sfn_state *st = ST(s);
    if (st->ql == SFN_QL_JSONATA) {
        ja_choice_work(x, s, e, now);
        return;
    }
    sfn_error err;
    sfn_error_clear(&err);
    json_t *eff = NULL, *assigned = NULL, *out = NULL;
    if (!(eff = exec_apply_path(e, st->input_path, st->input_path_null,
                                s->input, &err)))
        goto fail;
    int idx = exec_choice_select(e, st, eff, &err);
    if (idx < -1)
        goto fail;
    int next = idx >= 0 ? st->choices[idx]->next : st->default_next;
    if (next < 0) {
        exec_strand_fail(x, s, "States.NoChoiceMatched",
                         "No Matches!", now);
        goto done;
    }
    if (st->assign && !(assigned = exec_assign_eval(e, st->assign, eff, &err)))
        goto fail;
    if (!(out = exec_apply_path(e, st->output_path, st->output_path_null, eff,
                                &err)))
        goto fail;
    exec_exit_state(x, s, out, assigned, next, now);
    goto done;
fail:
    exec_flow_error(x, s, e, &err, now);
done:
    json_decref(eff);
    json_decref(assigned);
}

static void succeed_work(sfn_execution *x, sfn_strand *s, exec_env *e,
                         int64_t now)
{
    const sfn_state *st = ST(s);
    if (st->ql == SFN_QL_JSONATA) {
        ja_pass_work(x, s, e, now);
        return;
    }
    sfn_error err;
    sfn_error_clear(&err);
    json_t *eff = exec_apply_path(e, st->input_path, st->input_path_null,
                                  s->input, &err);
    json_t *out = eff ? exec_apply_path(e, st->output_path,
                                        st->output_path_null, eff, &err)
                      : NULL;
    json_decref(eff);
    if (!out) {
        exec_flow_error(x, s, e, &err, now);
        return;
    }
    exec_exit_state(x, s, out, NULL, -1, now);
}

static void fail_work(sfn_execution *x, sfn_strand *s, exec_env *e,
                      int64_t now)
{
    const sfn_state *st = ST(s);
    sfn_error err;
    sfn_error_clear(&err);
    char *error = NULL, *cause = NULL;
    if (st->ql == SFN_QL_JSONATA && !exec_ja_begin_input(x, s, e, now))
        return;
    if (!exec_dyn_string(e, &st->error, "ErrorPath", &error, &err) ||
        !exec_dyn_string(e, &st->cause, "CausePath", &cause, &err)) {
        free(error);
        if (e->ja_where[0])
            exec_flow_error(x, s, e, &err, now);
        else
            runtime_failure(x, s, &err, now);
        return;
    }
    exec_strand_fail(x, s, error, cause, now);
    free(error);
    free(cause);
}

static void wait_exit(sfn_execution *x, sfn_strand *s, int64_t now)
{
    const sfn_state *st = ST(s);
    exec_env e;
    exec_env_init(&e, x, s, s->effective);
    e.now_ms = now;
    if (st->ql == SFN_QL_JSONATA) {
        ja_pass_work(x, s, &e, now);
        exec_env_done(&e);
        return;
    }
    sfn_error err;
    sfn_error_clear(&err);
    json_t *assigned = NULL, *out = NULL;
    if ((!st->assign ||
         (assigned = exec_assign_eval(&e, st->assign, s->effective, &err))) &&
        (out = exec_apply_path(&e, st->output_path, st->output_path_null,
                               s->effective, &err)))
        exec_exit_state(x, s, out, assigned, st->end ? -1 : st->next, now);
    else
        exec_flow_error(x, s, &e, &err, now);
    json_decref(assigned);
    exec_env_done(&e);
}

static void wait_work(sfn_execution *x, sfn_strand *s, exec_env *e,
                      int64_t now)
{
    const sfn_state *st = ST(s);
    sfn_error err;
    sfn_error_clear(&err);
    if (st->ql == SFN_QL_JSONATA && !exec_ja_begin_input(x, s, e, now))
        return;
    json_t *eff = exec_apply_path(e, st->input_path, st->input_path_null,
                                  s->input, &err);
    if (!eff) {
        exec_flow_error(x, s, e, &err, now);
        return;
    }
    int64_t wake = now;
    long long secs = 0;
    bool ok = true;
    if (st->seconds.set) {
        ok = exec_dyn_seconds(e, &st->seconds, "SecondsPath", eff, &secs,
                              &err);
        wake = now + secs * 1000;
    } else if (st->timestamp.set) {
        ok = exec_dyn_timestamp(e, &st->timestamp, eff, &wake, &err);
    }
    if (!ok) {
        json_decref(eff);
        exec_flow_error(x, s, e, &err, now);
        return;
    }
    json_decref(s->effective);
    s->effective = eff;
    if (wake <= now) {
        wait_exit(x, s, now);
        return;
    }
    s->phase = SFN_PH_TIMER;
    s->wake_ms = wake;
    s->dirty = true;
    sfn_effect *fx = exec_effect(x, SFN_EFFECT_TIMER, s);
    if (fx)
        fx->wake_ms = wake;
}

/* ResultSelector -> ResultPath -> OutputPath, Assign with $ = raw result. */
void exec_finish_work(sfn_execution *x, sfn_strand *s, json_t *result,
                      int64_t now)
{
    const sfn_state *st = ST(s);
    exec_env e;
    exec_env_init(&e, x, s, result);
    e.now_ms = now;
    if (st->ql == SFN_QL_JSONATA) {
        if (exec_ja_begin(&e, s->input, result, NULL))
            ja_exit(x, s, &e, st->assign, st->output, st->raw, result,
                    st->end ? -1 : st->next, false, now);
        else
            exec_finish(x, SFN_EXEC_FAILED, NULL, "States.Runtime",
                        "out of memory", now);
        exec_env_done(&e);
        return;
    }
    sfn_error err;
    sfn_error_clear(&err);
    json_t *assigned = NULL, *sel = NULL, *comb = NULL, *out = NULL;
    if (st->assign &&
        !(assigned = exec_assign_eval(&e, st->assign, result, &err)))
        goto fail;
    if (!(sel = st->result_selector ? exec_tpl_eval(&e, st->result_selector,
                                                    &err)
                                    : json_incref(result)))
        goto fail;
    if (!(comb = exec_apply_result_path(st->result_path, st->result_path_null,
                                        s->input, sel, &err)) ||
        !(out = exec_apply_path(&e, st->output_path, st->output_path_null,
                                comb, &err)))
        goto fail;
    exec_exit_state(x, s, out, assigned, st->end ? -1 : st->next, now);
    goto done;
fail:
    exec_flow_error(x, s, &e, &err, now);
done:
    exec_env_done(&e);
    json_decref(assigned);
    json_decref(sel);
    json_decref(comb);
}

/* ---- Parallel and Map ------------------------------------------------- */

static bool ensure_children(sfn_strand *s, uint32_t n)
{
    free(s->children);
    s->children = n ? calloc(n, sizeof *s->children) : NULL;
    s->n_children = n;
    s->next_child = s->running = s->done = s->failed = 0;
    json_decref(s->results);
    s->results = json_array();
    for (uint32_t i = 0; i < n; i++)
        json_array_append_new(s->results, json_null());
    return (!n || s->children) && s->results;
}

static void parallel_work(sfn_execution *x, sfn_strand *s, exec_env *e,
                          int64_t now)
{
    const sfn_state *st = ST(s);
    sfn_error err;
    sfn_error_clear(&err);
    json_t *in = NULL;
    if (st->ql == SFN_QL_JSONATA) {
        if (!exec_ja_begin_input(x, s, e, now))
            return;
        in = st->arguments ? exec_ja_tpl(e, st->arguments,
                                         json_object_get(st->raw, "Arguments"),
                                         "Arguments", &err)
                           : json_incref(s->input);
    } else {
        json_t *eff = exec_apply_path(e, st->input_path,
                                      st->input_path_null, s->input, &err);
        if (eff) {
            exec_env_set_input(e, eff);
            in = exec_tpl_eval(e, st->parameters, &err);
        }
        json_decref(eff);
    }
    if (!in) {
        exec_flow_error(x, s, e, &err, now);
        return;
    }
    exec_emit(x, s, SFN_EV_ParallelStateStarted, now, NULL);
    uint32_t n = (uint32_t)st->n_branches;
    if (!ensure_children(s, n)) {
        json_decref(in);
        exec_finish(x, SFN_EXEC_FAILED, NULL, "States.Runtime",
                    "out of memory", now);
        return;
    }
    s->phase = SFN_PH_CHILDREN;
    for (uint32_t i = 0; i < n; i++) {
        sfn_strand *c = exec_strand_new(x, s, st->branches[i], i, in);
        if (!c)
            break;
        c->prev_event = s->prev_event;
        s->children[i] = c;
        s->running++;
    }
    s->next_child = n;
    json_decref(in);
    /* LIFO: push the last branch first so branch 0 runs first */
    for (uint32_t i = n; i-- > 0;)
        if (s->children[i])
            exec_push_ready(x, s->children[i]);
}

/* ItemsPath must select an array; otherwise States.Runtime, worded as AWS
 * words it in JSONata mode (scenarios map_state_items_input_types,
 * recorded).  MaxConcurrency(Path) and the ToleratedFailure*(Path) fields
 * are read from the effective input. */
/* ItemBatcher: each iteration gets {"Items": [...], "BatchInput": ...}
 * with ItemSelector already applied to each item; a batch closes at
 * MaxItemsPerBatch items or before MaxInputBytesPerBatch bytes. */
static json_t *batch_items(exec_env *e, const sfn_state *st, json_t *items,
                           json_t *eff, sfn_error *err)
{
    long long max_items = 0, max_bytes = 0;
    if ((st->max_items_per_batch.set &&
         !exec_dyn_count(e, &st->max_items_per_batch, "MaxItemsPerBatchPath",
                         eff, &max_items, err)) ||
        (st->max_input_bytes_per_batch.set &&
         !exec_dyn_count(e, &st->max_input_bytes_per_batch,
                         "MaxInputBytesPerBatchPath", eff, &max_bytes, err)))
        return NULL;
    json_t *batch_input = NULL;
    if (st->batch_input && st->ql == SFN_QL_JSONATA) {
        if (!(batch_input = exec_ja_tpl(
                  e, st->batch_input,
                  json_object_get(st->item_batcher, "BatchInput"),
                  "BatchInput", err)))
            return NULL;
    } else if (st->batch_input) {
        exec_env_set_input(e, eff);
        if (!(batch_input = exec_tpl_eval(e, st->batch_input, err)))
            return NULL;
    }
    json_t *units = json_array(), *cur = NULL;
    size_t cur_bytes = 0;
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *sel = exec_map_item_input(e, st, eff, items, i, err);
        if (!sel) {
            json_decref(units);
            json_decref(batch_input);
            return NULL;
        }
        size_t bytes = exec_json_size(sel);
        if (cur && ((max_items && (long long)json_array_size(cur) >= max_items) ||
                    (max_bytes && (long long)(cur_bytes + bytes) > max_bytes)))
            cur = NULL;
        if (!cur) {
            cur = json_array();
            cur_bytes = 0;
            json_t *unit = json_pack("{s:o}", "Items", cur);
            if (batch_input)
                json_object_set(unit, "BatchInput", batch_input);
            json_array_append_new(units, unit);
        }
        json_array_append_new(cur, sel);
        cur_bytes += bytes;
    }
    json_decref(batch_input);
    return units;
}

/* The units a Map iterates over: its items, or with ItemBatcher the
 * batches (also what a resumed Map recomputes). */
json_t *exec_map_units(exec_env *e, const sfn_state *st, json_t *eff,
                       sfn_error *err)
{
    json_t *items;
    if (st->ql == SFN_QL_JSONATA)
        items = (e->ja_bindings || exec_ja_begin(e, eff, NULL, NULL))
                    ? exec_ja_items(e, st, eff, err)
                    : NULL;
    else
        items = exec_apply_path(e, st->items_path, false, eff, err);
    if (!items || !json_is_array(items) || !st->item_batcher)
        return items;
    json_t *units = batch_items(e, st, items, eff, err);
    json_decref(items);
    return units;
}

static json_t *map_items(exec_env *e, const sfn_state *st, sfn_strand *s,
                         json_t *eff, sfn_error *err)
{
    json_t *items = exec_map_units(e, st, eff, err);
    if (items && !json_is_array(items)) {
        char *text = sfn_json_dumps(items, 0);
        sfn_error_set(err, SFN_ETYPE, "States.Runtime", -1,
                      "Map state input must be an array but was: %s",
                      text ? text : "?");
        free(text);
        json_decref(items);
        return NULL;
    }
    long long maxc = 0, count = 0;
    double pct = -1;
    if (!items ||
        (st->max_concurrency.set &&
         !exec_dyn_count(e, &st->max_concurrency, "MaxConcurrencyPath", eff,
                         &maxc, err)) ||
        (st->tolerated_failure_count.set &&
         !exec_dyn_count(e, &st->tolerated_failure_count,
                         "ToleratedFailureCountPath", eff, &count, err)) ||
        (st->tolerated_failure_percentage.set &&
         !exec_dyn_percent(e, &st->tolerated_failure_percentage,
                           st->tolerated_failure_percentage_static,
                           "ToleratedFailurePercentagePath", eff, &pct,
                           err))) {
        json_decref(items);
        return NULL;
    }
    s->max_concurrency = maxc > UINT32_MAX ? UINT32_MAX : (uint32_t)maxc;
    s->tolerated_count = count > UINT32_MAX ? UINT32_MAX : (uint32_t)count;
    s->tolerated_pct = pct;
    return items;
}

/* A Distributed Map runs its iterations as child executions of a Map
 * Run: the parent history shows MapRunStarted/Succeeded/Failed only. */
static void map_run_started(sfn_execution *x, sfn_strand *s, int64_t now)
{
    const sfn_state *st = ST(s);
    char arn[512], uuid[40];
    uint64_t r1 = exec_next_rand(x), r2 = exec_next_rand(x);
    snprintf(uuid, sizeof uuid, "%08x-%04x-4%03x-%04x-%012llx",
             (unsigned)(r1 >> 32), (unsigned)(r1 >> 16) & 0xffff,
             (unsigned)r1 & 0xfff, (unsigned)((r2 >> 48) & 0x3fff) | 0x8000,
             (unsigned long long)(r2 & 0xffffffffffffULL));
    const char *colon = strstr(x->machine_arn, ":stateMachine:");
    snprintf(arn, sizeof arn, "%.*s:mapRun:%s/%s:%s",
             colon ? (int)(colon - x->machine_arn) : 0, x->machine_arn,
             x->machine_name, st->label ? st->label : st->name, uuid);
    exec_emit(x, s, SFN_EV_MapRunStarted, now,
              json_pack("{s:s}", "mapRunArn", arn));
}

static void map_work(sfn_execution *x, sfn_strand *s, exec_env *e,
                     int64_t now)
{
    const sfn_state *st = ST(s);
    sfn_error err;
    sfn_error_clear(&err);
    /* JSONata: no InputPath, so eff is the raw input ($states.input) */
    if (st->ql == SFN_QL_JSONATA && !exec_ja_begin_input(x, s, e, now))
        return;
    json_t *eff = exec_apply_path(e, st->input_path, st->input_path_null,
                                  s->input, &err);
    json_t *items = eff ? map_items(e, st, s, eff, &err) : NULL;
    if (!items) {
        json_decref(eff);
        exec_flow_error(x, s, e, &err, now);
        return;
    }
    json_decref(s->effective);
    s->effective = eff;
    json_decref(s->items);
    s->items = items;
    uint32_t n = (uint32_t)json_array_size(items);
    exec_emit(x, s, SFN_EV_MapStateStarted, now,
              json_pack("{s:i}", "length", (json_int_t)n));
    if (st->distributed)
        map_run_started(x, s, now);
    if (!ensure_children(s, n)) {
        exec_finish(x, SFN_EXEC_FAILED, NULL, "States.Runtime",
                    "out of memory", now);
        return;
    }
    if (n == 0) {
        if (st->distributed)
            exec_emit(x, s, SFN_EV_MapRunSucceeded, now, NULL);
        exec_emit(x, s, SFN_EV_MapStateSucceeded, now, NULL);
        json_t *res = json_incref(s->results);
        exec_finish_work(x, s, res, now);
        json_decref(res);
        return;
    }
    s->phase = SFN_PH_CHILDREN;
    uint32_t first = s->max_concurrency ? s->max_concurrency : n;
    /* the hard limit bounds MaxConcurrency 0 ("all at once") and large
     * values alike; each finished iteration starts the next one */
    uint32_t cap = x->limits.map_concurrency_max;
    if (cap && first > cap)
        first = cap;
    if (first > n)
        first = n;
    for (uint32_t i = 0; i < first; i++)
        if (!start_iteration(x, s, i, now))
            return;
    for (uint32_t i = first; i-- > 0;)
        if (s->children[i])
            exec_push_ready(x, s->children[i]);
}

static void abort_children(sfn_execution *x, sfn_strand *s, int64_t now);

/* Item i's iteration input: ItemSelector (`$` the Map's effective input,
 * $$.Map.Item the item) or the item itself.  New reference. */
json_t *exec_map_item_input(exec_env *e, const sfn_state *st, json_t *eff,
                            json_t *items, size_t i, sfn_error *err)
{
    json_t *item = json_array_get(items, i);
    if (!st->item_selector)
        return json_incref(item);
    json_t *saved_in = e->expr.input, *saved_ctx = e->context;
    json_t *saved_bind = e->ja_bindings;
    long saved_idx = e->map_index;
    json_t *saved_val = e->map_value;
    /* the context object differs per item: build a fresh one */
    e->context = NULL;
    e->expr.context = NULL;
    e->ja_bindings = NULL;
    e->map_index = (long)i;
    e->map_value = item;
    exec_env_set_input(e, eff);
    json_t *in = NULL;
    if (st->ql != SFN_QL_JSONATA)
        in = exec_tpl_eval(e, st->item_selector, err);
    else if (exec_ja_begin(e, eff, NULL, NULL))
        in = exec_ja_tpl(e, st->item_selector,
                         json_object_get(st->raw, "ItemSelector"),
                         "ItemSelector", err);
    else
        sfn_error_set(err, SFN_ENOMEM, "States.Runtime", -1,
                      "out of memory");
    json_decref(e->ja_bindings);
    e->ja_bindings = saved_bind;
    json_decref(e->context);
    e->context = saved_ctx;
    e->expr.context = saved_ctx;
    e->map_index = saved_idx;
    e->map_value = saved_val;
    exec_env_set_input(e, saved_in);
    return in;
}

/* Builds iteration i's input (ItemSelector: `$` the Map's effective input,
 * $$.Map.Item the item) and its strand.  A selector error fails the Map
 * state: the started iterations are aborted first. */
static bool start_iteration(sfn_execution *x, sfn_strand *s, uint32_t i,
                            int64_t now)
{
    const sfn_state *st = ST(s);
    json_t *in = NULL;
    sfn_error err;
    sfn_error_clear(&err);
    if (st->item_batcher) {
        in = json_incref(json_array_get(s->items, i));
    } else {
        exec_env e;
        exec_env_init(&e, x, s, s->effective);
        e.now_ms = now;
        in = exec_map_item_input(&e, st, s->effective, s->items, i, &err);
        if (!in) {
            abort_children(x, s, now);
            exec_flow_error(x, s, &e, &err, now);
        }
        exec_env_done(&e);
    }
    if (!in)
        return false;
    sfn_strand *c = exec_strand_new(x, s, st->processor, i, in);
    json_decref(in);
    if (!c) {
        abort_children(x, s, now);
        exec_finish(x, SFN_EXEC_FAILED, NULL, "States.Runtime",
                    "out of memory", now);
        return false;
    }
    s->children[i] = c;
    s->next_child = i + 1;
    s->running++;
    return true;
}

/* Called when a Map child first runs: AWS writes MapIterationStarted just
 * before the iteration's own events. */
static void iteration_started(sfn_execution *x, sfn_strand *c, int64_t now)
{
    sfn_strand *p = c->parent;
    c->iteration_started = true;
    json_t *d = json_pack("{s:s,s:i}", "name", ST(p)->name, "index",
                          (json_int_t)c->index);
    c->prev_event = exec_emit(x, p, SFN_EV_MapIterationStarted, now, d);
}

static void abort_children(sfn_execution *x, sfn_strand *s, int64_t now)
{
    for (uint32_t i = 0; i < s->n_children; i++)
        if (s->children[i] && s->children[i]->phase != SFN_PH_DONE)
            exec_strand_abort(x, s->children[i], now);
}

/* With neither ToleratedFailure field every failure fails the Map; with
 * one or both, the Map fails once any configured threshold is exceeded. */
static bool tolerance_set(const sfn_state *st)
{
    return st->tolerated_failure_count.set ||
           st->tolerated_failure_percentage.set;
}

static bool tolerated(const sfn_strand *s)
{
    const sfn_state *st = ST(s);
    if (!tolerance_set(st))
        return false;
    if (st->tolerated_failure_count.set && s->failed > s->tolerated_count)
        return false;
    if (st->tolerated_failure_percentage.set && s->n_children &&
        100.0 * s->failed / s->n_children > s->tolerated_pct)
        return false;
    return true;
}

static void map_child_done(sfn_execution *x, sfn_strand *p, sfn_strand *c,
                           int64_t now)
{
    bool dist = ST(p)->distributed;
    json_t *d = dist ? NULL
                     : json_pack("{s:s,s:i}", "name", ST(p)->name, "index",
                                 (json_int_t)c->index);
    if (!dist)
        p->prev_event = c->prev_event;
    p->running--;
    if (c->failed_flag) {
        if (dist)
            json_decref(d);
        else
            exec_emit(x, p, SFN_EV_MapIterationFailed, now, d);
        p->failed++;
        if (!tolerated(p)) {
            abort_children(x, p, now);
            /* MapStateFailed points where MapIterationFailed points */
            if (!dist)
                p->prev_event = c->prev_event;
            bool over = tolerance_set(ST(p));
            if (dist)
                exec_emit(x, p, SFN_EV_MapRunFailed, now,
                          json_pack("{s:s,s:s}", "error",
                                    over ? "States.ExceedToleratedFailureThreshold"
                                         : (c->error ? c->error : ""),
                                    "cause", c->cause ? c->cause : ""));
            state_error_ev(x, p,
                           over ? "States.ExceedToleratedFailureThreshold"
                                : c->error,
                           over ? "The specified tolerated failure "
                                  "threshold was exceeded"
                                : c->cause,
                           SFN_EV_MapStateFailed, now);
            return;
        }
        json_array_set_new(p->results, c->index,
                           error_output(c->error, c->cause));
    } else {
        if (dist)
            json_decref(d);
        else
            exec_emit(x, p, SFN_EV_MapIterationSucceeded, now, d);
        json_array_set(p->results, c->index, c->output);
        p->done++;
    }
    if (p->next_child < p->n_children) {
        uint32_t i = p->next_child;
        if (!start_iteration(x, p, i, now))
            return;
        exec_push_ready(x, p->children[i]);
    }
    if (p->done + p->failed == p->n_children) {
        if (dist)
            exec_emit(x, p, SFN_EV_MapRunSucceeded, now, NULL);
        exec_emit(x, p, SFN_EV_MapStateSucceeded, now, NULL);
        json_t *res = json_incref(p->results);
        exec_finish_work(x, p, res, now);
        json_decref(res);
    }
}

static void parallel_child_done(sfn_execution *x, sfn_strand *p,
                                sfn_strand *c, int64_t now)
{
    p->running--;
    if (c->failed_flag) {
        abort_children(x, p, now);
        p->prev_event = c->prev_event;
        state_error_ev(x, p, c->error, c->cause, SFN_EV_ParallelStateFailed,
                       now);
        return;
    }
    json_array_set(p->results, c->index, c->output);
    if (++p->done == p->n_children) {
        p->prev_event = c->prev_event;
        exec_emit(x, p, SFN_EV_ParallelStateSucceeded, now, NULL);
        json_t *res = json_incref(p->results);
        exec_finish_work(x, p, res, now);
        json_decref(res);
    }
}

void exec_child_done(sfn_execution *x, sfn_strand *p, sfn_strand *c,
                     int64_t now)
{
    if (p->phase != SFN_PH_CHILDREN || x->status != SFN_EXEC_RUNNING)
        return;
    if (ST(p)->type == SFN_ST_MAP)
        map_child_done(x, p, c, now);
    else
        parallel_child_done(x, p, c, now);
}

void exec_strand_abort(sfn_execution *x, sfn_strand *s, int64_t now)
{
    if (s->phase == SFN_PH_DONE)
        return;
    abort_children(x, s, now);
    /* AWS records no WaitStateAborted when a waiting execution is stopped
     * (conformance case sfn_api test_stop_execution) */
    static const sfn_event_type aborted[] = {
        [SFN_ST_TASK] = SFN_EV_TaskStateAborted,
        [SFN_ST_PARALLEL] = SFN_EV_ParallelStateAborted,
        [SFN_ST_MAP] = SFN_EV_MapStateAborted,
    };
    const sfn_state *st = ST(s);
    if (s->phase == SFN_PH_TASK)
        exec_comp_task_failed(x, s, NULL); /* outcome unknown */
    exec_task_close_token(x, s, SFN_EXEC_TOKEN_DONE);
    if (s->phase != SFN_PH_ENTER && aborted[st->type])
        exec_emit(x, s, aborted[st->type], now, NULL);
    sfn_strand *p = s->parent;
    if (p && ST(p)->type == SFN_ST_MAP && s->iteration_started)
        exec_emit(x, p, SFN_EV_MapIterationAborted, now,
                  json_pack("{s:s,s:i}", "name", ST(p)->name, "index",
                            (json_int_t)s->index));
    s->phase = SFN_PH_DONE;
    s->queued = false;
    s->dirty = true;
}

/* ---- dispatch --------------------------------------------------------- */

void exec_state_work(sfn_execution *x, sfn_strand *s, int64_t now)
{
    exec_env e;
    exec_env_init(&e, x, s, s->input);
    e.now_ms = now;
    switch (ST(s)->type) {
    case SFN_ST_PASS: pass_work(x, s, &e, now); break;
    case SFN_ST_TASK: exec_task_work(x, s, &e, now); break;
    case SFN_ST_CHOICE: choice_work(x, s, &e, now); break;
    case SFN_ST_WAIT: wait_work(x, s, &e, now); break;
    case SFN_ST_SUCCEED: succeed_work(x, s, &e, now); break;
    case SFN_ST_FAIL: fail_work(x, s, &e, now); break;
    case SFN_ST_PARALLEL: parallel_work(x, s, &e, now); break;
    case SFN_ST_MAP: map_work(x, s, &e, now); break;
    }
    exec_env_done(&e);
}

void exec_iteration_begin(sfn_execution *x, sfn_strand *s, int64_t now)
{
    if (s->parent && !s->iteration_started &&
        ST(s->parent)->type == SFN_ST_MAP && !ST(s->parent)->distributed)
        iteration_started(x, s, now);
}

void exec_strand_scope(sfn_strand *s)
{
    sfn_strand *p = s->parent;
    bool child_run = p && p->block && ST(p)->type == SFN_ST_MAP &&
                     ST(p)->distributed;
    s->isolated = child_run;
    s->quiet = child_run || (p && p->quiet);
}

void exec_timer_fired(sfn_execution *x, sfn_strand *s, int64_t now)
{
    if (s->phase == SFN_PH_TASK) {
        exec_task_timer(x, s, now);
        return;
    }
    if (s->phase != SFN_PH_TIMER || now < s->wake_ms)
        return;
    if (ST(s)->type == SFN_ST_WAIT) {
        wait_exit(x, s, now);
        return;
    }
    s->phase = SFN_PH_WORK; /* a retry's back-off is over */
    exec_push_ready(x, s);
}
