/* asl_lower.c: `stepd lower`: the top-level block of a definition that uses
 * the Compensation extension becomes plain ASL: which compensable steps
 * have completed is worked out per state, each state that can fail after
 * one gets a Catch into a chain of undo Tasks for them (reverse order, or
 * one Parallel), and the inputs and results the undos read are kept in
 * workflow variables.  What plain ASL cannot reproduce is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asl_internal.h"
#include "asl_lower_internal.h"
#include "sfn_asl_lower.h"

typedef struct lower_step {
    json_t *payload;          /* rewritten Parameters / Arguments; NULL when
                                 the state has no Compensation            */
    char *in_var, *res_var;   /* NULL when the undo does not read it       */
    char *capture;            /* Pass keeping the input, or NULL           */
} lower_step;

typedef struct lower_blk {
    lower_ctx *lx;
    const sfn_block *b;
    lower_step *steps;   /* per state index                                */
    json_t **in;         /* per state index: compensable steps completed
                            on entry (array of indices); NULL = not yet    */
    bool *reported;      /* per state index: conflict already reported     */
    json_t *memo;        /* chain key -> name of its first state           */
    json_t *generated;   /* generated states, in creation order            */
    char *err_var;
    const char *reraise; /* the Fail re-raising a caught error, once made  */
} lower_blk;

static const char *const UNKNOWN_OUTCOME[] = {
    "States.Timeout", "States.HeartbeatTimeout", "States.Http.Socket", NULL};

/* ------------------------------------------------------------------ */
/* Small JSON helpers                                                  */

static void set(lower_ctx *lx, json_t *o, const char *key, json_t *v)
{
    if (!v || json_object_set_new(o, key, v))
        lx->oom = true;
}

static void set_copy(lower_ctx *lx, json_t *o, const char *key,
                     const json_t *v)
{
    if (v)
        set(lx, o, key, json_deep_copy(v));
}

static char *with_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name) + strlen(suffix) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s", name, suffix);
    return s;
}

/* o["<var>.$"] = path: a JSONPath Assign of a variable. */
static void set_dyn(lower_ctx *lx, json_t *o, const char *var,
                    const char *path)
{
    char *key = with_suffix(var, ".$");
    if (key)
        set(lx, o, key, json_string(path));
    else
        lx->oom = true;
    free(key);
}

static json_t *strings(const char *const *list)
{
    json_t *a = json_array();
    for (; a && *list; list++)
        if (json_array_append_new(a, json_string(*list))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* The object member `key` of o, created empty when absent (borrowed). */
static json_t *member_object(lower_ctx *lx, json_t *o, const char *key)
{
    json_t *m = json_object_get(o, key);
    if (!json_is_object(m)) {
        m = json_object();
        set(lx, o, key, m);
    }
    return m;
}

static const char *ql_name(sfn_ql q)
{
    return q == SFN_QL_JSONATA ? "JSONata" : "JSONPath";
}

/* A new state object {"Type": type[, "QueryLanguage": ...]}. */
static json_t *new_state(lower_blk *k, const char *type, sfn_ql q)
{
    json_t *s = json_object();
    if (!s) {
        k->lx->oom = true;
        return NULL;
    }
    set(k->lx, s, "Type", json_string(type));
    if (q != k->lx->g->ql)
        set(k->lx, s, "QueryLanguage", json_string(ql_name(q)));
    return s;
}

/* A fresh state name "<name><suffix>" (borrowed from the memo or set). */
static char *state_name(lower_blk *k, const char *name, const char *suffix)
{
    char *base = with_suffix(name, suffix);
    if (!base) {
        k->lx->oom = true;
        return NULL;
    }
    char *n = lower_unique(k->lx, k->lx->names, base, SFN_ASL_NAME_MAX, " ");
    free(base);
    return n;
}

static const sfn_state *ST(const lower_blk *k, json_int_t i)
{
    return &k->b->states[i];
}

/* "[A, B]" for messages. */
static const char *seq_names(const lower_blk *k, const json_t *seq, char *buf,
                             size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "[");
    size_t i;
    json_t *it;
    json_array_foreach(seq, i, it) {
        if (used >= size)
            break;
        used += (size_t)snprintf(buf + used, size - used, "%s%s",
                                 i ? ", " : "",
                                 ST(k, json_integer_value(it))->name);
    }
    if (used < size)
        snprintf(buf + used, size - used, "]");
    return buf;
}

/* ------------------------------------------------------------------ */
/* Names and variables already in use                                  */

static void collect_names(lower_ctx *lx, const sfn_block *b)
{
    for (size_t i = 0; b && i < b->n_states; i++) {
        const sfn_state *st = &b->states[i];
        set(lx, lx->names, st->name, json_true());
        for (size_t j = 0; j < st->n_branches; j++)
            collect_names(lx, st->branches[j]);
        collect_names(lx, st->processor);
    }
}

/* Every key of every "Assign" object anywhere (".$" stripped): the
 * generated variables must not collide with one of the user's. */
static void collect_vars(lower_ctx *lx, const json_t *v, int depth)
{
    if (depth > ASL_DEPTH_MAX)
        return;
    const char *key;
    json_t *val;
    size_t i;
    if (json_is_array(v))
        json_array_foreach(v, i, val) collect_vars(lx, val, depth + 1);
    if (!json_is_object(v))
        return;
    json_object_foreach((json_t *)v, key, val) {
        if (!strcmp(key, "Assign") && json_is_object(val)) {
            const char *name;
            json_t *x;
            json_object_foreach(val, name, x) {
                size_t n = strlen(name);
                bool dyn = n > 2 && !strcmp(name + n - 2, ".$");
                char *plain = strndup(name, dyn ? n - 2 : n);
                if (plain)
                    set(lx, lx->vars, plain, json_true());
                else
                    lx->oom = true;
                free(plain);
            }
        }
        collect_vars(lx, val, depth + 1);
    }
}

/* ------------------------------------------------------------------ */
/* What plain ASL cannot express                                       */

static void check_nested(lower_ctx *lx, const sfn_block *b, int depth)
{
    for (size_t i = 0; b && i < b->n_states; i++) {
        const sfn_state *st = &b->states[i];
        if (depth > 0 && st->compensation)
            lower_diag(lx, st->pointer, "Compensation",
                       "A Compensation inside a Parallel branch or Map "
                       "iteration cannot be lowered faithfully: AWS stops "
                       "the other branches or iterations of a failing "
                       "Parallel or Map without running their undos, and "
                       "the steps of a finished branch cannot be undone "
                       "after it; only top-level Tasks can be lowered");
        for (size_t j = 0; j < st->n_branches; j++)
            check_nested(lx, st->branches[j], depth + 1);
        check_nested(lx, st->processor, depth + 1);
    }
}

static bool catches_unknown(const sfn_catcher *c)
{
    for (size_t i = 0; i < c->n_errors; i++) {
        const char *e = c->errors[i];
        if (!strcmp(e, "States.ALL") || !strcmp(e, "States.TaskFailed"))
            return true;
        for (const char *const *u = UNKNOWN_OUTCOME; *u; u++)
            if (!strcmp(e, *u))
                return true;
    }
    return false;
}

/* A user catcher taking an unknown outcome would need the step both
 * recorded (runtime semantics) and not (its handler's path). */
static void check_unknown_outcome(lower_blk *k, const sfn_state *st)
{
    for (size_t j = 0; j < st->n_catchers; j++) {
        if (!catches_unknown(&st->catchers[j]))
            continue;
        char *cp = sfn_pointer_join(st->pointer, "Catch");
        char *loc = cp ? sfn_pointer_join_index(cp, j) : NULL;
        free(cp);
        if (!loc) {
            k->lx->oom = true;
            return;
        }
        lower_diag(k->lx, loc, "ErrorEquals",
                   "This catcher can take a timeout or socket error of a "
                   "Task with OnUnknownOutcome; stepd would still undo the "
                   "Task after such an error, which its handler's path in "
                   "plain ASL cannot know; catch those errors elsewhere or "
                   "drop OnUnknownOutcome");
        free(loc);
    }
}

/* ------------------------------------------------------------------ */
/* Per step: variables and undo payload                                */

static char *var_name(lower_blk *k, const char *prefix, const char *state)
{
    size_t n = strlen(prefix) + strlen(state) + 1;
    char *base = malloc(n);
    if (!base) {
        k->lx->oom = true;
        return NULL;
    }
    snprintf(base, n, "%s%s", prefix, state);
    for (char *c = base + strlen(prefix); *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
              (*c >= '0' && *c <= '9') || *c == '_'))
            *c = '_';
    char *v = lower_unique(k->lx, k->lx->vars, base, SFN_ASL_NAME_MAX, "_");
    free(base);
    return v;
}

static void drop_var(lower_blk *k, char **v)
{
    json_object_del(k->lx->vars, *v);
    free(*v);
    *v = NULL;
}

/* The Task's input is recomputed by a Pass state in front of it; that is
 * only the same value when it does not depend on the state evaluating it. */
static void check_capture(lower_blk *k, const sfn_state *st)
{
    static const char *const jp[] = {"InputPath", "Parameters", NULL};
    static const char *const ja[] = {"Arguments", NULL};
    for (const char *const *f = st->ql == SFN_QL_JSONATA ? ja : jp; *f; f++) {
        const char *dep = lower_state_dependent(
            json_object_get(st->raw, *f), st->ql);
        if (dep)
            lower_diag(k->lx, st->pointer, *f,
                       "'%s' uses %s, which would differ in the Pass state "
                       "that keeps this Task's input for its undo; the "
                       "undo reads $.input, so this cannot be lowered "
                       "faithfully", *f, dep);
    }
}

static void prepare_step(lower_blk *k, size_t i)
{
    const sfn_state *st = ST(k, (json_int_t)i);
    lower_step *s = &k->steps[i];
    const sfn_state *t = &st->compensation->task;
    s->in_var = var_name(k, "stepd_in_", st->name);
    s->res_var = var_name(k, "stepd_result_", st->name);
    if (!s->in_var || !s->res_var)
        return;
    lower_vars v = {s->in_var, s->res_var, k->err_var};
    unsigned uses = 0;
    bool ja = t->ql == SFN_QL_JSONATA;
    const char *field = ja ? "Arguments" : "Parameters";
    char *ptr = sfn_pointer_join(t->pointer, field);
    if (!ptr) {
        k->lx->oom = true;
        return;
    }
    const json_t *payload = json_object_get(t->raw, field);
    s->payload = ja ? lower_rewrite_jsonata(k->lx, payload, &v, &uses)
                    : lower_rewrite_jsonpath(k->lx, payload, ptr, &v, &uses);
    free(ptr);
    if (!(uses & LOWER_USES_INPUT))
        drop_var(k, &s->in_var);
    if (!(uses & LOWER_USES_RESULT))
        drop_var(k, &s->res_var);
    if (s->in_var) {
        check_capture(k, st);
        s->capture = state_name(k, st->name, " (save input)");
    }
    if (st->compensation->on_unknown_outcome)
        check_unknown_outcome(k, st);
}

/* ------------------------------------------------------------------ */
/* Which compensable steps have completed when each state is entered   */

/* in + [i]: new reference, NULL on ENOMEM. */
static json_t *seq_plus(const json_t *in, size_t i)
{
    json_t *out = json_copy((json_t *)in);
    if (out && json_array_append_new(out, json_integer((json_int_t)i))) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* What has completed after state i succeeded, entered with `in`. */
static json_t *success_seq(const lower_blk *k, size_t i, const json_t *in)
{
    const sfn_state *st = ST(k, (json_int_t)i);
    if (st->type == SFN_ST_TASK && st->point_of_no_return)
        return json_array();
    if (k->steps[i].payload)
        return seq_plus(in, i);
    return json_copy((json_t *)in);
}

/* Edge into `to` with `seq` completed.  Fail states take any: their
 * incoming edges are redirected one by one. */
static void reach(lower_blk *k, int to, json_t *seq, int *stack, size_t *top)
{
    if (to < 0 || !seq) {
        if (!seq)
            k->lx->oom = true;
        return;
    }
    if (ST(k, to)->type == SFN_ST_FAIL)
        return;
    if (!k->in[to]) {
        k->in[to] = json_incref(seq);
        stack[(*top)++] = to;
        return;
    }
    if (json_equal(k->in[to], seq) || k->reported[to])
        return;
    k->reported[to] = true;
    char a[512], b[512];
    lower_diag(k->lx, ST(k, to)->pointer, NULL,
               "State '%s' is reached after different compensable steps "
               "(%s on one path, %s on another); plain ASL cannot tell at "
               "run time which ones to undo. Give each path its own states "
               "or end the earlier ones with a PointOfNoReturn",
               ST(k, to)->name, seq_names(k, k->in[to], a, sizeof a),
               seq_names(k, seq, b, sizeof b));
}

static void visit(lower_blk *k, size_t i, int *stack, size_t *top)
{
    const sfn_state *st = ST(k, (json_int_t)i);
    json_t *in = k->in[i];
    switch (st->type) {
    case SFN_ST_CHOICE:
        for (size_t r = 0; r < st->n_choices; r++)
            reach(k, st->choices[r]->next, in, stack, top);
        reach(k, st->default_next, in, stack, top);
        return;
    case SFN_ST_PASS:
    case SFN_ST_WAIT:
        reach(k, st->next, in, stack, top);
        return;
    case SFN_ST_TASK:
    case SFN_ST_PARALLEL:
    case SFN_ST_MAP: {
        json_t *ok = success_seq(k, i, in), *none = json_array();
        reach(k, st->next, ok, stack, top);
        for (size_t c = 0; c < st->n_catchers; c++)
            reach(k, st->catchers[c].next,
                  st->catchers[c].compensate ? none : in, stack, top);
        json_decref(ok);
        json_decref(none);
        return;
    }
    default:
        return;
    }
}

static void flow(lower_blk *k)
{
    size_t n = k->b->n_states, top = 0;
    int *stack = malloc((n + 1) * sizeof *stack);
    json_t *start = json_array();
    if (!stack || !start) {
        k->lx->oom = true;
    } else {
        reach(k, k->b->start, start, stack, &top);
        while (top && !k->lx->oom)
            visit(k, (size_t)stack[--top], stack, &top);
    }
    json_decref(start);
    free(stack);
}

/* ------------------------------------------------------------------ */
/* Generated states                                                    */

static void add_state(lower_blk *k, const char *name, json_t *s)
{
    if (!name || !s) {
        json_decref(s);
        k->lx->oom = true;
        return;
    }
    set(k->lx, k->generated, name, s);
}

static json_t *default_retry(void)
{
    static const char *const all[] = {"States.ALL", NULL};
    json_t *r = json_object();
    if (!r || json_object_set_new(r, "ErrorEquals", strings(all)) ||
        json_object_set_new(r, "IntervalSeconds", json_integer(1)) ||
        json_object_set_new(r, "BackoffRate", json_real(2.0)) ||
        json_object_set_new(r, "MaxAttempts", json_integer(10)) ||
        json_object_set_new(r, "MaxDelaySeconds", json_integer(60)) ||
        json_object_set_new(r, "JitterStrategy", json_string("FULL"))) {
        json_decref(r);
        return NULL;
    }
    json_t *a = json_array();
    if (!a || json_array_append_new(a, r)) {
        json_decref(a);
        return NULL;
    }
    return a;
}

/* Output kept unchanged: the undo's result is discarded. */
static void keep_data(lower_blk *k, json_t *o, sfn_ql q)
{
    if (q == SFN_QL_JSONATA)
        set(k->lx, o, "Output", json_string("{% $states.input %}"));
    else
        set(k->lx, o, "ResultPath", json_null());
}

/* The undo of step i as a Task: its failure moves on to `next` (the next
 * undo), so one failed undo does not stop the others. */
static json_t *undo_task(lower_blk *k, size_t i, const char *next,
                         bool is_end)
{
    lower_ctx *lx = k->lx;
    const sfn_state *st = ST(k, (json_int_t)i);
    const sfn_state *t = &st->compensation->task;
    json_t *s = new_state(k, "Task", t->ql);
    if (!s)
        return NULL;
    const json_t *cm = json_object_get(t->raw, "Comment");
    char buf[160];
    snprintf(buf, sizeof buf, "Undoes %.100s (generated by stepd lower)",
             st->name);
    set(lx, s, "Comment", cm ? json_deep_copy(cm) : json_string(buf));
    set(lx, s, "Resource", json_string(t->resource));
    set_copy(lx, s, t->ql == SFN_QL_JSONATA ? "Arguments" : "Parameters",
             k->steps[i].payload);
    set_copy(lx, s, "TimeoutSeconds", json_object_get(t->raw, "TimeoutSeconds"));
    const json_t *retry = json_object_get(t->raw, "Retry");
    set(lx, s, "Retry", retry ? json_deep_copy(retry) : default_retry());
    keep_data(k, s, t->ql);
    static const char *const all[] = {"States.ALL", NULL};
    json_t *c = json_object(), *arr = json_array();
    if (c) {
        set(lx, c, "ErrorEquals", strings(all));
        keep_data(k, c, t->ql);
        set(lx, c, "Next", json_string(next));
    }
    if (!c || !arr || json_array_append_new(arr, c))
        lx->oom = true;
    set(lx, s, "Catch", arr);
    if (is_end)
        set(lx, s, "End", json_true());
    else
        set(lx, s, "Next", json_string(next));
    return s;
}

static const char *memo_get(lower_blk *k, const char *key)
{
    return json_string_value(json_object_get(k->memo, key));
}

/* Stores name under key; returns the stored copy (borrowed). */
static const char *memo_put(lower_blk *k, const char *key, char *name)
{
    if (!name)
        return NULL;
    set(k->lx, k->memo, key, json_string(name));
    free(name);
    return memo_get(k, key);
}

/* "<tag>\x1f<end>\x1f<i>,<j>,..." for the first n steps of seq. */
static char *chain_key(const char *tag, const json_t *seq, size_t n,
                       const char *end)
{
    size_t cap = strlen(tag) + strlen(end) + 4 + n * 24;
    char *key = malloc(cap);
    if (!key)
        return NULL;
    size_t used = (size_t)snprintf(key, cap, "%s\x1f%s\x1f", tag, end);
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(key + used, cap - used, "%lld,",
                                 (long long)json_integer_value(
                                     json_array_get(seq, i)));
    return key;
}

/* All undos at once: one branch per step, each undo's failure caught so
 * the others still finish. */
static const char *parallel_chain(lower_blk *k, const json_t *seq, size_t n,
                                  const char *end, const char *key)
{
    lower_ctx *lx = k->lx;
    json_t *branches = json_array();
    for (size_t j = n; branches && j-- > 0;) {
        size_t i = (size_t)json_integer_value(json_array_get(seq, j));
        char *undo = state_name(k, ST(k, (json_int_t)i)->name, " (undo)");
        char *failed = state_name(k, ST(k, (json_int_t)i)->name,
                                  " (undo failed)");
        json_t *br = json_object(), *states = json_object();
        json_t *pass = new_state(k, "Pass", lx->g->ql);
        if (br && states && undo && failed && pass) {
            set(lx, pass, "End", json_true());
            set(lx, states, undo, undo_task(k, i, failed, true));
            set(lx, states, failed, json_incref(pass));
            set(lx, br, "StartAt", json_string(undo));
            set(lx, br, "States", json_incref(states));
        }
        if (!br || !states || !undo || !failed || !pass ||
            json_array_append(branches, br))
            lx->oom = true;
        json_decref(pass);
        json_decref(states);
        json_decref(br);
        free(undo);
        free(failed);
    }
    size_t last = (size_t)json_integer_value(json_array_get(seq, n - 1));
    char *name = state_name(k, ST(k, (json_int_t)last)->name,
                            n > 1 ? " and earlier steps (undo)" : " (undo)");
    json_t *s = new_state(k, "Parallel", lx->g->ql);
    if (s) {
        set(lx, s, "Comment", json_string("Undoes the completed steps at "
                                          "once (generated by stepd lower)"));
        set(lx, s, "Branches", json_incref(branches));
        keep_data(k, s, lx->g->ql);
        set(lx, s, "Next", json_string(end));
    }
    json_decref(branches);
    if (name)
        add_state(k, name, s);
    else
        json_decref(s);
    return memo_put(k, key, name);
}

/* The undos of the first n steps of seq, last completed first, then
 * `end`.  Chains sharing a tail share its states. */
static const char *undo_chain(lower_blk *k, const json_t *seq, size_t n,
                              const char *end)
{
    if (n == 0 || !end)
        return end;
    char *key = chain_key("undo", seq, n, end);
    if (!key) {
        k->lx->oom = true;
        return NULL;
    }
    const char *found = memo_get(k, key);
    if (!found && k->lx->g->comp_order == SFN_COMP_PARALLEL) {
        found = parallel_chain(k, seq, n, end, key);
    } else if (!found) {
        size_t i = (size_t)json_integer_value(json_array_get(seq, n - 1));
        const char *next = undo_chain(k, seq, n - 1, end);
        char *name = next ? state_name(k, ST(k, (json_int_t)i)->name,
                                       " (undo)") : NULL;
        if (name)
            add_state(k, name, undo_task(k, i, next, false));
        found = memo_put(k, key, name);
    }
    free(key);
    return found;
}

static json_t *reraise_fail(lower_blk *k, bool with_cause)
{
    json_t *s = new_state(k, "Fail", SFN_QL_JSONATA);
    char err[128], cause[128];
    snprintf(err, sizeof err, "{%% $%s.Error %%}", k->err_var);
    snprintf(cause, sizeof cause, "{%% $%s.Cause %%}", k->err_var);
    if (s) {
        set(k->lx, s, "Comment", json_string("Re-raises the error that "
                                             "started the undos (generated "
                                             "by stepd lower)"));
        set(k->lx, s, "Error", json_string(err));
        if (with_cause)
            set(k->lx, s, "Cause", json_string(cause));
    }
    return s;
}

/* Where an undo chain ends for a caught error: a Fail with the same error
 * and cause; a Choice picks the Fail without Cause when the error had
 * none, since an absent Cause cannot be written as an expression. */
static const char *reraise(lower_blk *k)
{
    if (k->reraise)
        return k->reraise;
    const char *base = "Re-raise the original error";
    char *name = state_name(k, base, "");
    char *with = state_name(k, base, " (with cause)");
    char *without = state_name(k, base, " (no cause)");
    json_t *choice = new_state(k, "Choice", SFN_QL_JSONATA);
    json_t *rule = json_object(), *rules = json_array();
    char cond[128];
    snprintf(cond, sizeof cond, "{%% $exists($%s.Cause) %%}", k->err_var);
    if (choice && rule && rules && with && without) {
        set(k->lx, rule, "Condition", json_string(cond));
        set(k->lx, rule, "Next", json_string(with));
        if (json_array_append(rules, rule))
            k->lx->oom = true;
        set(k->lx, choice, "Choices", json_incref(rules));
        set(k->lx, choice, "Default", json_string(without));
    }
    json_decref(rule);
    json_decref(rules);
    add_state(k, name, choice);
    if (with)
        add_state(k, with, reraise_fail(k, true));
    if (without)
        add_state(k, without, reraise_fail(k, false));
    free(with);
    free(without);
    k->reraise = memo_put(k, "reraise", name);
    return k->reraise;
}

/* After a Compensate catcher's undos: continue at `target`. */
static const char *continue_pass(lower_blk *k, const char *target)
{
    char *key = with_suffix("continue\x1f", target);
    const char *found = key ? memo_get(k, key) : NULL;
    if (key && !found) {
        char *name = state_name(k, target, " (after undo)");
        json_t *s = new_state(k, "Pass", k->lx->g->ql);
        if (s) {
            set(k->lx, s, "Comment", json_string("Continues after the undos "
                                                 "of a Compensate catcher "
                                                 "(generated by stepd "
                                                 "lower)"));
            set(k->lx, s, "Next", json_string(target));
        }
        add_state(k, name, s);
        found = memo_put(k, key, name);
    }
    if (!key)
        k->lx->oom = true;
    free(key);
    return found;
}

/* {"Error": ..., "Cause": ...} of a Fail state as a template: the static
 * value, its *Path (JSONPath) or null when absent. */
static json_t *fail_error_template(lower_blk *k, const sfn_state *f)
{
    static const char *const fields[][2] = {{"Error", "ErrorPath"},
                                            {"Cause", "CausePath"}};
    json_t *e = json_object();
    for (int j = 0; e && j < 2; j++) {
        const json_t *v = json_object_get(f->raw, fields[j][0]);
        const json_t *p = json_object_get(f->raw, fields[j][1]);
        if (p && f->ql == SFN_QL_JSONPATH) {
            char *key = with_suffix(fields[j][0], ".$");
            if (key)
                set(k->lx, e, key, json_deep_copy(p));
            else
                k->lx->oom = true;
            free(key);
        } else {
            set(k->lx, e, fields[j][0], v ? json_deep_copy(v) : json_null());
        }
    }
    if (!e)
        k->lx->oom = true;
    return e;
}

/* The error a Fail state raises, kept in the error variable so the undos
 * before it can read it ($.error); the data passes through unchanged. */
static json_t *fail_error_pass(lower_blk *k, const sfn_state *f,
                               const char *next)
{
    lower_ctx *lx = k->lx;
    json_t *s = new_state(k, "Pass", f->ql);
    json_t *e = fail_error_template(k, f);
    if (!s || !e) {
        json_decref(s);
        json_decref(e);
        return NULL;
    }
    set(lx, s, "Comment", json_string("Keeps the error of the Fail state "
                                      "for the undos (generated by stepd "
                                      "lower)"));
    if (f->ql == SFN_QL_JSONATA) {
        set(lx, member_object(lx, s, "Assign"), k->err_var, e);
    } else {
        /* Pass Assign reads the state's result: the Parameters */
        set(lx, s, "Parameters", e);
        keep_data(k, s, SFN_QL_JSONPATH);
        set_dyn(lx, member_object(lx, s, "Assign"), k->err_var, "$");
    }
    set(lx, s, "Next", json_string(next));
    return s;
}

/* Entering Fail state f with seq completed: keep its error, undo, fail. */
static const char *fail_chain(lower_blk *k, const sfn_state *f,
                              const json_t *seq)
{
    char *key = chain_key("fail", seq, json_array_size(seq), f->name);
    const char *found = key ? memo_get(k, key) : NULL;
    if (key && !found) {
        const char *head = undo_chain(k, seq, json_array_size(seq), f->name);
        char *name = head ? state_name(k, f->name, " (keep error)") : NULL;
        if (name)
            add_state(k, name, fail_error_pass(k, f, head));
        found = memo_put(k, key, name);
    }
    if (!key)
        k->lx->oom = true;
    free(key);
    return found;
}

/* ------------------------------------------------------------------ */
/* Rewriting the user's states                                         */

static const char *entry(const lower_blk *k, int t)
{
    return k->steps[t].capture ? k->steps[t].capture : ST(k, t)->name;
}

static const char *target_for(lower_blk *k, int t, const json_t *seq)
{
    if (ST(k, t)->type == SFN_ST_FAIL && json_array_size(seq))
        return fail_chain(k, ST(k, t), seq);
    return entry(k, t);
}

static void set_next(lower_blk *k, json_t *o, const char *field, int t,
                     const json_t *seq)
{
    if (t >= 0 && o)
        set(k->lx, o, field, json_string(target_for(k, t, seq)));
}

static void assign_error(lower_blk *k, json_t *catcher, sfn_ql q)
{
    json_t *a = member_object(k->lx, catcher, "Assign");
    if (q == SFN_QL_JSONATA) {
        set(k->lx, a, k->err_var, json_string("{% $states.errorOutput %}"));
    } else {
        set_dyn(k->lx, a, k->err_var, "$");
    }
}

static json_t *new_catcher(lower_blk *k, const char *const *errors,
                           sfn_ql q, const char *next)
{
    json_t *c = json_object();
    if (!c) {
        k->lx->oom = true;
        return NULL;
    }
    set(k->lx, c, "ErrorEquals", strings(errors));
    assign_error(k, c, q);
    set(k->lx, c, "Next", json_string(next));
    return c;
}

static void append(lower_blk *k, json_t *arr, json_t *v)
{
    if (!v || json_array_append_new(arr, v))
        k->lx->oom = true;
}

/* The user's catchers keep priority; then the unknown-outcome catcher of
 * a step that has one, then the catch-all into the undo chain. */
static void rewrite_catch(lower_blk *k, size_t i, json_t *s, const json_t *in)
{
    const sfn_state *st = ST(k, (json_int_t)i);
    json_t *arr = json_object_get(s, "Catch"), *none = json_array();
    bool has_all = false;
    for (size_t j = 0; j < st->n_catchers; j++) {
        const sfn_catcher *c = &st->catchers[j];
        json_t *cj = json_array_get(arr, j);
        for (size_t e = 0; e < c->n_errors; e++)
            has_all |= !strcmp(c->errors[e], "States.ALL");
        if (c->compensate && json_array_size(in)) {
            const char *cont = continue_pass(k, entry(k, c->next));
            set(k->lx, cj, "Next", json_string(
                undo_chain(k, in, json_array_size(in), cont)));
            assign_error(k, cj, st->ql);
        } else {
            set_next(k, cj, "Next", c->next, c->compensate ? none : in);
        }
    }
    json_decref(none);
    json_t *added = json_array();
    if (!added) {
        k->lx->oom = true;
        return;
    }
    const lower_step *step = &k->steps[i];
    if (step->payload && st->compensation->on_unknown_outcome) {
        /* the step may have acted: it is undone too, PointOfNoReturn or
         * not, since it did not complete */
        json_t *seq = seq_plus(in, i);
        const char *head = seq ? undo_chain(k, seq, json_array_size(seq),
                                            reraise(k)) : NULL;
        json_t *c = head ? new_catcher(k, UNKNOWN_OUTCOME, st->ql, head)
                         : NULL;
        if (c && step->res_var)
            set(k->lx, member_object(k->lx, c, "Assign"), step->res_var,
                json_null());
        append(k, added, c);
        json_decref(seq);
    }
    if (json_array_size(in) && !has_all) {
        static const char *const all[] = {"States.ALL", NULL};
        const char *head = undo_chain(k, in, json_array_size(in), reraise(k));
        append(k, added, head ? new_catcher(k, all, st->ql, head) : NULL);
    }
    if (json_array_size(added)) {
        if (!arr) {
            arr = json_array();
            set(k->lx, s, "Catch", arr);
        }
        if (!arr || json_array_extend(arr, added))
            k->lx->oom = true;
    }
    json_decref(added);
}

static void assign_result(lower_blk *k, const sfn_state *st, json_t *s,
                          const char *var)
{
    json_t *a = member_object(k->lx, s, "Assign");
    if (st->ql == SFN_QL_JSONATA) {
        set(k->lx, a, var, json_string("{% $states.result %}"));
    } else {
        set_dyn(k->lx, a, var, "$");
    }
}

static void rewrite_state(lower_blk *k, size_t i, json_t *s)
{
    const sfn_state *st = ST(k, (json_int_t)i);
    json_t *empty = json_array();
    const json_t *in = k->in[i] ? k->in[i] : empty;
    switch (st->type) {
    case SFN_ST_PASS:
    case SFN_ST_WAIT:
        set_next(k, s, "Next", st->next, in);
        break;
    case SFN_ST_CHOICE: {
        json_t *rules = json_object_get(s, "Choices");
        for (size_t r = 0; r < st->n_choices; r++)
            set_next(k, json_array_get(rules, r), "Next",
                     st->choices[r]->next, in);
        set_next(k, s, "Default", st->default_next, in);
        break;
    }
    case SFN_ST_TASK:
    case SFN_ST_PARALLEL:
    case SFN_ST_MAP: {
        json_t *ok = success_seq(k, i, in);
        set_next(k, s, "Next", st->next, ok);
        json_decref(ok);
        rewrite_catch(k, i, s, in);
        if (k->steps[i].res_var)
            assign_result(k, st, s, k->steps[i].res_var);
        break;
    }
    default:
        break;
    }
    json_decref(empty);
}

/* The Pass in front of step i that keeps its effective input: the Task's
 * own InputPath and Parameters (or Arguments), result discarded. */
static json_t *capture_pass(lower_blk *k, size_t i)
{
    lower_ctx *lx = k->lx;
    const sfn_state *st = ST(k, (json_int_t)i);
    json_t *s = new_state(k, "Pass", st->ql);
    if (!s)
        return NULL;
    set(lx, s, "Comment", json_string("Keeps the input of its Task for the "
                                      "undo (generated by stepd lower)"));
    json_t *assign;
    if (st->ql == SFN_QL_JSONATA) {
        const json_t *args = json_object_get(st->raw, "Arguments");
        assign = member_object(lx, s, "Assign");
        set(lx, assign, k->steps[i].in_var,
            args ? json_deep_copy(args)
                 : json_string("{% $states.input %}"));
    } else {
        set_copy(lx, s, "InputPath", json_object_get(st->raw, "InputPath"));
        set_copy(lx, s, "Parameters", json_object_get(st->raw, "Parameters"));
        keep_data(k, s, SFN_QL_JSONPATH);
        assign = member_object(lx, s, "Assign");
        set_dyn(lx, assign, k->steps[i].in_var, "$");
    }
    set(lx, s, "Next", json_string(st->name));
    return s;
}

static void emit(lower_blk *k, json_t *out)
{
    lower_ctx *lx = k->lx;
    json_t *old = json_object_get(out, "States");
    json_t *states = json_object();
    if (!states) {
        lx->oom = true;
        return;
    }
    for (size_t i = 0; i < k->b->n_states && !lx->oom; i++) {
        const sfn_state *st = ST(k, (json_int_t)i);
        json_t *s = json_object_get(old, st->name);
        if (k->steps[i].capture)
            set(lx, states, k->steps[i].capture, capture_pass(k, i));
        rewrite_state(k, i, s);
        set(lx, states, st->name, json_incref(s));
    }
    set(lx, out, "StartAt", json_string(entry(k, k->b->start)));
    if (json_object_update(states, k->generated))
        lx->oom = true;
    set(lx, out, "States", states);
}

/* ------------------------------------------------------------------ */

static void lower_root(lower_ctx *lx, json_t *out)
{
    const sfn_block *b = lx->g->root;
    size_t n = b->n_states;
    lower_blk k = {.lx = lx, .b = b};
    k.steps = calloc(n, sizeof *k.steps);
    k.in = calloc(n, sizeof *k.in);
    k.reported = calloc(n, sizeof *k.reported);
    k.memo = json_object();
    k.generated = json_object();
    k.err_var = lower_unique(lx, lx->vars, "stepd_error", SFN_ASL_NAME_MAX,
                             "_");
    if (!k.steps || !k.in || !k.reported || !k.memo || !k.generated ||
        !k.err_var)
        lx->oom = true;
    for (size_t i = 0; i < n && !lx->oom; i++)
        if (b->states[i].compensation)
            prepare_step(&k, i);
    if (!lx->oom && !lx->bad)
        flow(&k);
    if (!lx->oom && !lx->bad)
        emit(&k, out);
    for (size_t i = 0; k.steps && i < n; i++) {
        json_decref(k.steps[i].payload);
        free(k.steps[i].in_var);
        free(k.steps[i].res_var);
        free(k.steps[i].capture);
    }
    for (size_t i = 0; k.in && i < n; i++)
        json_decref(k.in[i]);
    free(k.steps);
    free(k.in);
    free(k.reported);
    json_decref(k.memo);
    json_decref(k.generated);
    free(k.err_var);
}

/* Removes every extension field from a States block, recursively. */
static void strip_block(json_t *blk, int depth)
{
    json_t *states = json_object_get(blk, "States");
    const char *name;
    json_t *s;
    if (!json_is_object(states) || depth > ASL_DEPTH_MAX)
        return;
    json_object_foreach(states, name, s) {
        json_object_del(s, "Compensation");
        json_object_del(s, "PointOfNoReturn");
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(s, "Catch"), i, it)
            json_object_del(it, "Compensate");
        json_array_foreach(json_object_get(s, "Branches"), i, it)
            strip_block(it, depth + 1);
        strip_block(json_object_get(s, "ItemProcessor"), depth + 1);
        strip_block(json_object_get(s, "Iterator"), depth + 1);
    }
}

/* A safety net: what lower emits must pass the strict validator. */
static bool validates_strict(lower_ctx *lx, json_t *out)
{
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_asl_opts strict = {.strict_asl = true};
    sfn_graph *g = NULL;
    sfn_rc rc = sfn_asl_compile(out, &strict, &d, &g);
    sfn_graph_unref(g);
    for (size_t i = 0; rc != SFN_OK && i < d.count; i++)
        lower_diag(lx, d.items[i].location, NULL,
                   "the lowered definition does not validate (%s: %s); "
                   "please report this as a stepd bug", d.items[i].code,
                   d.items[i].message);
    if (rc == SFN_ENOMEM)
        lx->oom = true;
    sfn_diags_free(&d);
    return rc == SFN_OK;
}

json_t *sfn_asl_lower(json_t *definition, sfn_diags *diags)
{
    sfn_graph *g = NULL;
    if (sfn_asl_compile(definition, NULL, diags, &g) != SFN_OK)
        return NULL;
    lower_ctx lx = {.diags = diags, .g = g, .names = json_object(),
                    .vars = json_object()};
    json_t *out = json_deep_copy(definition);
    if (!lx.names || !lx.vars || !out)
        lx.oom = true;
    if (!lx.oom) {
        collect_names(&lx, g->root);
        collect_vars(&lx, definition, 0);
        check_nested(&lx, g->root, 0);
        json_object_del(out, "CompensationPolicy");
        strip_block(out, 0);
    }
    if (!lx.oom && !lx.bad && g->uses_compensation)
        lower_root(&lx, out);
    if (!lx.oom && !lx.bad)
        validates_strict(&lx, out);
    if (lx.oom)
        sfn_diags_add(diags, SFN_SEV_ERROR, LOWER_CODE, "",
                      "Out of memory while lowering the definition");
    if (lx.oom || lx.bad) {
        json_decref(out);
        out = NULL;
    }
    json_decref(lx.names);
    json_decref(lx.vars);
    sfn_graph_unref(g);
    return out;
}
