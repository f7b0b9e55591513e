/* exec_snapshot.c: a strand's durable state as JSON text and back, and the
 * resumption of an execution from its snapshots after a restart.  Finished
 * strands are not kept: their output lives in the parent's results. */
#include "exec_internal.h"

#include <stdlib.h>
#include <string.h>

#define ST(s) (&(s)->block->states[(s)->state])

static json_t *or_null(json_t *v) { return v ? v : json_null(); }

char *sfn_exec_strand_dump(const sfn_strand *s)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "p", json_integer(s->parent_id));
    json_object_set_new(o, "i", json_integer(s->index));
    json_object_set_new(o, "s", json_integer(s->state));
    json_object_set_new(o, "ph", json_integer(s->phase));
    json_object_set(o, "in", or_null(s->input));
    if (s->effective)
        json_object_set(o, "eff", s->effective);
    /* items are not stored: they are ItemsPath of "eff", recomputed on
     * resume, which keeps a big Map's snapshot from carrying them twice */
    json_object_set_new(o, "w", json_integer(s->wake_ms));
    json_object_set_new(o, "ee", json_integer(s->entered_event));
    json_object_set_new(o, "pe", json_integer(s->prev_event));
    json_object_set_new(o, "em", json_integer(s->entered_ms));
    json_object_set_new(o, "a", json_integer(s->attempt));
    json_object_set_new(o, "rt", json_integer(s->retry_total));
    if (s->retry_counts && s->block) {
        json_t *rc = json_array();
        for (size_t i = 0; i < ST(s)->n_retriers; i++)
            json_array_append_new(rc, json_integer(s->retry_counts[i]));
        json_object_set_new(o, "rc", rc);
    }
    if (s->vars)
        json_object_set(o, "v", s->vars);
    if (s->n_children) {
        json_t *ch = json_array();
        for (uint32_t i = 0; i < s->n_children; i++)
            json_array_append_new(
                ch, json_integer(s->children[i] ? (json_int_t)s->children[i]->id
                                                : -1));
        json_object_set_new(o, "ch", ch);
        json_object_set_new(o, "nc", json_integer(s->next_child));
        json_object_set_new(o, "run", json_integer(s->running));
        json_object_set_new(o, "dn", json_integer(s->done));
        json_object_set_new(o, "fl", json_integer(s->failed));
        json_object_set_new(o, "mc", json_integer(s->max_concurrency));
        json_object_set_new(o, "tc", json_integer(s->tolerated_count));
        json_object_set_new(o, "tp", json_real(s->tolerated_pct));
    }
    if (s->results)
        json_object_set(o, "res", s->results);
    if (s->iteration_started)
        json_object_set_new(o, "is", json_true());
    if (s->token)
        json_object_set_new(o, "tk", json_string(s->token));
    if (s->hb_s)
        json_object_set_new(o, "hs", json_integer(s->hb_s));
    if (s->hb_ms)
        json_object_set_new(o, "hm", json_integer(s->hb_ms));
    if (s->submitted)
        json_object_set_new(o, "sb", json_true());
    /* how a finished strand ended, for a redrive */
    if (s->phase == SFN_PH_DONE && s->output && !s->failed_flag)
        json_object_set_new(o, "ok", json_true());
    if (s->failed_flag)
        json_object_set_new(o, "ff", json_true());
    char *text = sfn_json_dumps(o, 0);
    json_decref(o);
    return text;
}

static bool grow_slots(sfn_execution *x, uint32_t id)
{
    if (id < x->cap_strands) {
        if (id >= x->n_strands)
            x->n_strands = id + 1;
        return true;
    }
    uint32_t cap = x->cap_strands ? x->cap_strands : 8;
    while (cap <= id)
        cap *= 2;
    sfn_strand **a = realloc(x->strands, cap * sizeof *a);
    if (!a)
        return false;
    memset(a + x->cap_strands, 0, (cap - x->cap_strands) * sizeof *a);
    x->strands = a;
    x->cap_strands = cap;
    x->n_strands = id + 1;
    return true;
}

static int64_t iget(json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

static json_t *jget(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return v && !json_is_null(v) ? json_incref(v) : NULL;
}

sfn_rc sfn_exec_strand_load(sfn_execution *x, uint32_t id, const char *text,
                            sfn_error *err)
{
    json_error_t je;
    json_t *o = sfn_json_loadb(text, strlen(text), 0, &je);
    if (!json_is_object(o)) {
        json_decref(o);
        return sfn_error_set(err, SFN_EIO, NULL, -1,
                             "corrupt snapshot of strand %u: %s", id, je.text);
    }
    sfn_strand *s = calloc(1, sizeof *s);
    if (!s || !grow_slots(x, id)) {
        free(s);
        json_decref(o);
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    }
    s->id = id;
    s->parent_id = iget(o, "p");
    s->index = (uint32_t)iget(o, "i");
    s->state = (int)iget(o, "s");
    s->phase = (sfn_phase)iget(o, "ph");
    s->input = json_incref(json_object_get(o, "in"));
    s->effective = jget(o, "eff");
    s->wake_ms = iget(o, "w");
    s->entered_event = iget(o, "ee");
    s->prev_event = iget(o, "pe");
    s->entered_ms = iget(o, "em");
    s->attempt = (uint32_t)iget(o, "a");
    s->retry_total = (uint32_t)iget(o, "rt");
    s->vars = jget(o, "v");
    s->results = jget(o, "res");
    s->iteration_started = json_is_true(json_object_get(o, "is"));
    json_t *tk = json_object_get(o, "tk");
    s->token = json_is_string(tk) ? strdup(json_string_value(tk)) : NULL;
    s->hb_s = iget(o, "hs");
    s->hb_ms = iget(o, "hm");
    s->submitted = json_is_true(json_object_get(o, "sb"));
    s->failed_flag = json_is_true(json_object_get(o, "ff"));
    if (json_is_true(json_object_get(o, "ok")))
        s->output = json_null(); /* succeeded; its output is the parent's */
    json_t *rc = json_object_get(o, "rc");
    if (json_array_size(rc)) {
        s->retry_counts = calloc(json_array_size(rc), sizeof *s->retry_counts);
        for (size_t i = 0; s->retry_counts && i < json_array_size(rc); i++)
            s->retry_counts[i] =
                (uint32_t)json_integer_value(json_array_get(rc, i));
    }
    json_t *ch = json_object_get(o, "ch");
    if (json_array_size(ch)) {
        s->n_children = (uint32_t)json_array_size(ch);
        s->children = calloc(s->n_children, sizeof *s->children);
        /* child ids are parked in the pointers until resume links them */
        for (uint32_t i = 0; s->children && i < s->n_children; i++)
            s->children[i] = (sfn_strand *)(intptr_t)(
                json_integer_value(json_array_get(ch, i)) + 1);
        s->next_child = (uint32_t)iget(o, "nc");
        s->running = (uint32_t)iget(o, "run");
        s->done = (uint32_t)iget(o, "dn");
        s->failed = (uint32_t)iget(o, "fl");
        s->max_concurrency = (uint32_t)iget(o, "mc");
        s->tolerated_count = (uint32_t)iget(o, "tc");
        s->tolerated_pct = json_number_value(json_object_get(o, "tp"));
    } else {
        s->tolerated_pct = -1;
    }
    s->persisted = true;
    json_decref(o);
    exec_strand_free(x->strands[id]);
    x->strands[id] = s;
    return SFN_OK;
}

/* The block a strand runs in follows from its parent's current state. */
static const sfn_block *block_of(sfn_execution *x, sfn_strand *s)
{
    if (!s->parent)
        return x->graph->root;
    const sfn_state *pst = ST(s->parent);
    if (pst->type == SFN_ST_PARALLEL)
        return s->index < pst->n_branches ? pst->branches[s->index] : NULL;
    if (pst->type == SFN_ST_MAP)
        return pst->processor;
    return NULL;
}

static sfn_rc link_strand(sfn_execution *x, sfn_strand *s, sfn_error *err)
{
    if (s->parent_id >= 0) {
        if ((uint64_t)s->parent_id >= x->n_strands ||
            !x->strands[s->parent_id])
            return sfn_error_set(err, SFN_EIO, NULL, -1,
                                 "snapshot of strand %u names a missing "
                                 "parent %lld", s->id,
                                 (long long)s->parent_id);
        s->parent = x->strands[s->parent_id];
    }
    s->block = block_of(x, s);
    exec_strand_scope(s);
    if (!s->block || s->state < 0 || (size_t)s->state >= s->block->n_states)
        return sfn_error_set(err, SFN_EIO, NULL, -1,
                             "snapshot of strand %u does not match the "
                             "definition it ran on", s->id);
    for (uint32_t i = 0; i < s->n_children; i++) {
        intptr_t cid = (intptr_t)s->children[i] - 1;
        s->children[i] = cid >= 0 && (uint64_t)cid < x->n_strands
                             ? x->strands[cid]
                             : NULL;
    }
    return SFN_OK;
}

/* A waiting Map needs its items again to start further iterations. */
static sfn_rc restore_items(sfn_execution *x, sfn_strand *s, sfn_error *err)
{
    const sfn_state *st = ST(s);
    if (s->phase != SFN_PH_CHILDREN || st->type != SFN_ST_MAP || !s->effective)
        return SFN_OK;
    exec_env e;
    exec_env_init(&e, x, s, s->effective);
    s->items = exec_map_units(&e, st, s->effective, err);
    exec_env_done(&e);
    return json_is_array(s->items)
               ? SFN_OK
               : sfn_error_set(err, SFN_EIO, NULL, -1,
                               "cannot recompute the items of Map '%s'",
                               st->name);
}

/* Effects a crash may have lost: armed timers and dispatched tasks (the
 * task is sent again with the same attempt: at least once). */
static void rearm(sfn_execution *x, sfn_strand *s)
{
    sfn_effect *e;
    switch (s->phase) {
    case SFN_PH_ENTER:
    case SFN_PH_WORK:
        exec_push_ready(x, s);
        break;
    case SFN_PH_TIMER:
        if ((e = exec_effect(x, SFN_EFFECT_TIMER, s)))
            e->wake_ms = s->wake_ms;
        break;
    case SFN_PH_TASK:
        if (s->submitted) {
            /* accepted before the crash: only its deadlines come back */
            int64_t w = s->wake_ms;
            if (s->hb_ms && (!w || s->hb_ms < w))
                w = s->hb_ms;
            if (w && (e = exec_effect(x, SFN_EFFECT_TIMER, s)))
                e->wake_ms = w;
        } else if ((e = exec_effect(x, SFN_EFFECT_TASK, s))) {
            e->state = ST(s);
            e->payload = json_incref(s->effective);
            e->wake_ms = s->wake_ms;
            json_t *n = x->invocations
                            ? json_object_get(x->invocations, ST(s)->name)
                            : NULL;
            e->invocation = n && json_integer_value(n) > 0
                                ? (uint32_t)json_integer_value(n) - 1
                                : 0;
        }
        break;
    default:
        break;
    }
}

static sfn_rc resume_linked(sfn_execution *x, sfn_error *err);

static sfn_rc link_all(sfn_execution *x, sfn_error *err)
{
    if (!x->n_strands || !x->strands[0])
        return sfn_error_set(err, SFN_EIO, NULL, -1,
                             "execution %s has no snapshot to resume from",
                             x->arn);
    for (uint32_t i = 0; i < x->n_strands; i++) {
        sfn_rc rc = x->strands[i] ? link_strand(x, x->strands[i], err)
                                  : SFN_OK;
        if (rc != SFN_OK)
            return rc;
    }
    return SFN_OK;
}

/* A strand to run again: finished without success (failed or aborted). */
static bool redo(const sfn_strand *s)
{
    return s && s->phase == SFN_PH_DONE && !s->output;
}

/* Redrive (asl.md 9.4): every strand that did not succeed runs again from
 * the state where it stopped; a Parallel or Map waits again for the
 * branches or iterations that did not succeed and keeps the results of
 * those that did. */
static void redrive_strands(sfn_execution *x)
{
    for (uint32_t i = 0; i < x->n_strands; i++) {
        sfn_strand *s = x->strands[i];
        if (!redo(s))
            continue;
        uint32_t again = 0, failed = 0;
        for (uint32_t k = 0; k < s->n_children; k++)
            if (redo(s->children[k])) {
                again++;
                failed += s->children[k]->failed_flag;
            }
        const sfn_state *st = ST(s);
        free(s->error);
        free(s->cause);
        s->error = s->cause = NULL;
        s->failed_flag = false;
        free(s->retry_counts); /* retry counters start again */
        s->retry_counts = NULL;
        s->retry_total = 0;
        s->attempt++;
        s->dirty = true;
        if (again && (st->type == SFN_ST_PARALLEL || st->type == SFN_ST_MAP)) {
            s->phase = SFN_PH_CHILDREN;
            s->running = again;
            s->failed = s->failed >= failed ? s->failed - failed : 0;
        } else {
            s->phase = SFN_PH_ENTER;
        }
    }
}

sfn_rc sfn_exec_redrive(sfn_execution *x, int64_t now_ms, sfn_error *err)
{
    sfn_rc rc = link_all(x, err);
    if (rc != SFN_OK)
        return rc;
    redrive_strands(x);
    x->status = SFN_EXEC_RUNNING;
    x->stop_ms = 0;
    free(x->error);
    free(x->cause);
    x->error = x->cause = NULL;
    json_decref(x->output);
    x->output = NULL;
    x->redrive_count++;
    x->redrive_ms = now_ms;
    x->state_dirty = true;
    exec_comp_redrive(x);
    exec_emit(x, x->strands[0], SFN_EV_ExecutionRedriven, now_ms,
              json_pack("{s:i}", "redriveCount", (int)x->redrive_count));
    return resume_linked(x, err);
}

sfn_rc sfn_exec_resume(sfn_execution *x, int64_t now_ms, sfn_error *err)
{
    (void)now_ms;
    sfn_rc rc = link_all(x, err);
    return rc == SFN_OK ? resume_linked(x, err) : rc;
}

/* After linking: Map items, retry counters, ready stack and effects. */
static sfn_rc resume_linked(sfn_execution *x, sfn_error *err)
{
    sfn_rc rc;
    for (uint32_t i = 0; i < x->n_strands; i++) {
        sfn_strand *s = x->strands[i];
        if (!s)
            continue;
        rc = restore_items(x, s, err);
        if (rc != SFN_OK)
            return rc;
        if (s->phase != SFN_PH_DONE && !s->retry_counts &&
            ST(s)->n_retriers)
            s->retry_counts = calloc(ST(s)->n_retriers,
                                     sizeof *s->retry_counts);
    }
    /* LIFO ready stack: push high ids first so the lowest runs first;
     * during a final compensation only its steps come back */
    for (uint32_t i = x->n_strands; i-- > 0 && !exec_comp_frozen(x);)
        if (x->strands[i])
            rearm(x, x->strands[i]);
    exec_comp_rearm(x);
    return SFN_OK;
}

void sfn_exec_collect(sfn_execution *x,
                      void (*gone)(void *ud, uint32_t strand), void *ud)
{
    for (uint32_t i = 1; i < x->n_strands; i++) {
        sfn_strand *s = x->strands[i];
        if (!s || s->phase != SFN_PH_DONE)
            continue;
        if (s->persisted && gone)
            gone(ud, i);
        sfn_strand *p = s->parent;
        if (p && s->index < p->n_children && p->children[s->index] == s)
            p->children[s->index] = NULL;
        for (uint32_t c = 0; c < s->n_children; c++)
            if (s->children[c])
                s->children[c]->parent = NULL;
        exec_strand_free(s);
        x->strands[i] = NULL;
    }
}
