/* engine_tasks.c: the engine's side of Task states: dispatching requests
 * through the task layer (sfn_tasks.h) and delivering their answers, task
 * tokens (minted unguessable, recorded in the store in the same commit as
 * the snapshot that holds them, closed when their task ends), and the
 * queue of activity tasks waiting for GetActivityTask. */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "sfn_builtin.h"
#include "sfn_json.h"
#include "sfn_tasks.h"

#define TOKEN_PREFIX "stepd1."
#define TOKEN_HEX 64

typedef struct activity_task {
    struct activity_task *next;
    int64_t exec_id;
    uint32_t strand, attempt;
    char *arn;
    char *input;  /* JSON text */
} activity_task;

/* ---- tokens ----------------------------------------------------------- */

static char *mint(void *ud, const sfn_execution *x, uint32_t strand)
{
    (void)ud;
    (void)x;
    (void)strand;
    unsigned char b[TOKEN_HEX / 2];
    if (RAND_bytes(b, sizeof b) != 1)
        return NULL;
    char *t = malloc(sizeof TOKEN_PREFIX + TOKEN_HEX);
    if (!t)
        return NULL;
    memcpy(t, TOKEN_PREFIX, sizeof TOKEN_PREFIX - 1);
    for (size_t i = 0; i < sizeof b; i++)
        snprintf(t + sizeof TOKEN_PREFIX - 1 + 2 * i, 3, "%02x", b[i]);
    return t;
}

static bool token_well_formed(const char *t)
{
    size_t p = sizeof TOKEN_PREFIX - 1;
    if (!t || strncmp(t, TOKEN_PREFIX, p) || strlen(t) != p + TOKEN_HEX)
        return false;
    for (size_t i = p; t[i]; i++)
        if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f')))
            return false;
    return true;
}

void engine_exec_attach(sfn_engine *e, sfn_execution *x)
{
    (void)e;
    x->mint_token = mint;
    x->mint_ud = NULL;
}

sfn_rc engine_write_tokens(sfn_engine *e, sfn_execution *x, sfn_error *err)
{
    sfn_rc rc = SFN_OK;
    int64_t now = sfn_clock_now_ms(e->clock);
    for (uint32_t i = 0; i < x->n_strands && rc == SFN_OK; i++) {
        sfn_strand *s = x->strands[i];
        if (!s || !s->dirty || s->phase != SFN_PH_TASK || !s->token)
            continue;
        const char *res = s->block->states[s->state].resource;
        sfn_token_rec t = {
            .token = s->token, .exec_id = x->store_id, .strand = i,
            .attempt = s->attempt, .created_ms = now,
            .activity = sfn_exec_task_kind(res) == SFN_TASK_KIND_ACTIVITY
                            ? (char *)res
                            : NULL};
        rc = sfn_store_put_token(e->o.store, &t, err);
    }
    for (size_t i = 0; i < x->n_closed && rc == SFN_OK; i++) {
        rc = sfn_store_close_token(e->o.store, x->closed[i].token,
                                   x->closed[i].status, now, err);
        /* a shared queue keeps no task of a token that ended (timed out,
         * stopped) waiting for a worker */
        if (rc == SFN_OK && e->shared)
            rc = sfn_store_drop_activity(e->o.store, x->closed[i].token, err);
    }
    if (rc == SFN_OK && x->state_dirty) {
        char *text = sfn_exec_state_dump(x);
        if (text)
            rc = sfn_store_put_snapshot(e->o.store, x->store_id,
                                        ENGINE_SNAP_EXEC, text, err);
        free(text);
    }
    return rc;
}

/* ---- dispatch ----------------------------------------------------------- */

typedef struct pending {
    sfn_engine *e;
    int64_t exec_id;
    uint32_t strand, attempt;
    bool callback;
} pending;

/* An answer from the task layer reaches the execution. */
static void deliver(sfn_execution *x, uint32_t strand, uint32_t attempt,
                    bool callback, sfn_task_outcome *o, int64_t now)
{
    if (o->error)
        sfn_exec_task_done(x, strand, attempt, NULL, o->error, o->cause, now);
    else if (callback && !o->final)
        sfn_exec_task_submitted(x, strand, attempt, o->result, now);
    else if (!o->pending)
        sfn_exec_task_done(x, strand, attempt, o->result ? o->result
                                                         : json_null(),
                           NULL, NULL, now);
}

static void on_answer(void *ud, sfn_task_outcome *o)
{
    pending *p = ud;
    sfn_execution *x = engine_live_find(p->e, p->exec_id);
    if (x)
        deliver(x, p->strand, p->attempt, p->callback, o,
                sfn_clock_now_ms(p->e->clock));
    free(p);
}

/* Stable per (execution, state visit, attempt): a re-send after a crash
 * carries the same key. */
static void idempotency_key(const sfn_execution *x, const sfn_strand *s,
                            uint32_t strand, uint32_t attempt, char *buf,
                            size_t n)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    char hex[33] = {0};
    if (EVP_Digest(x->arn, strlen(x->arn), md, &len, EVP_sha256(), NULL))
        for (unsigned i = 0; i < 16 && i < len; i++)
            snprintf(hex + 2 * i, 3, "%02x", md[i]);
    if (s)
        snprintf(buf, n, "%s-%lld-%u", hex, (long long)s->entered_event,
                 attempt);
    else /* compensation step */
        snprintf(buf, n, "%s-c%u-%u", hex, strand - SFN_COMP_STRAND_BASE,
                 attempt);
}

static void activity_enqueue(sfn_engine *e, sfn_execution *x,
                             const sfn_effect *fx)
{
    for (activity_task *t = e->aq_head; t; t = t->next)
        if (t->exec_id == x->store_id && t->strand == fx->strand &&
            t->attempt == fx->attempt)
            return; /* already queued (resumed twice) */
    activity_task *t = calloc(1, sizeof *t);
    if (!t)
        return;
    t->exec_id = x->store_id;
    t->strand = fx->strand;
    t->attempt = fx->attempt;
    t->arn = strdup(fx->state->resource);
    t->input = sfn_json_dumps(fx->payload, 0);
    if (!t->arn || !t->input) {
        free(t->arn);
        free(t->input);
        free(t);
        return;
    }
    if (e->aq_tail)
        e->aq_tail->next = t;
    else
        e->aq_head = t;
    e->aq_tail = t;
    e->aq_len++;
}

/* Shared store: the task waits in the store's queue, where a
 * GetActivityTask on any node takes it (runtime/cluster).  Queued again
 * after a restart or a takeover: the store ignores a token already there. */
static void activity_publish(sfn_engine *e, sfn_execution *x,
                             const sfn_effect *fx)
{
    const char *tok = sfn_exec_task_token(x, fx->strand);
    char *input = sfn_json_dumps(fx->payload, 0);
    sfn_error err;
    if (tok && input &&
        sfn_store_push_activity(e->o.store, tok, fx->state->resource,
                                x->store_id, input,
                                sfn_clock_now_ms(e->clock), &err) != SFN_OK)
        fprintf(stderr, "stepd: cannot queue the activity task of '%s': %s\n",
                x->arn, err.cause);
    free(input);
}

void engine_dispatch_task(sfn_engine *e, sfn_execution *x,
                          const sfn_effect *fx, int64_t now)
{
    const char *res = fx->state->resource;
    /* a compensation step runs on a pseudo strand (no strand, no token) */
    sfn_strand *s = fx->strand < x->n_strands ? x->strands[fx->strand] : NULL;
    if (fx->wake_ms)
        engine_timer_push(e, fx->wake_ms, x->store_id, fx->strand);
    if (sfn_exec_task_kind(res) == SFN_TASK_KIND_ACTIVITY) {
        if (e->shared)
            activity_publish(e, x, fx);
        else
            activity_enqueue(e, x, fx);
        return;
    }
    bool callback = s && sfn_exec_task_is_callback(res);
    sfn_task_outcome o = {0};
    if (!e->o.tasks) {
        sfn_builtin_invoke(res, fx->payload, &o);
        deliver(x, fx->strand, fx->attempt, callback, &o, now);
        sfn_task_outcome_free(&o);
        return;
    }
    char key[96];
    idempotency_key(x, s, fx->strand, fx->attempt, key, sizeof key);
    sfn_task_req r = {.resource = res,
                      .payload = fx->payload,
                      .exec_arn = x->arn,
                      .machine = x->machine_name,
                      .state = fx->state->name,
                      .test_case = x->test_case,
                      .invocation = fx->invocation,
                      .idempotency_key = key,
                      .token = s ? s->token : NULL,
                      .timeout_s = fx->timeout_s};
    pending *p = malloc(sizeof *p);
    if (!p) {
        sfn_exec_task_done(x, fx->strand, fx->attempt, NULL,
                           "States.Runtime", "out of memory", now);
        return;
    }
    *p = (pending){e, x->store_id, fx->strand, fx->attempt, callback};
    if (sfn_tasks_dispatch(e->o.tasks, &r, &o, on_answer, p, NULL) ==
        SFN_TASK_DONE) {
        free(p);
        deliver(x, fx->strand, fx->attempt, callback, &o, now);
        sfn_task_outcome_free(&o);
    }
}

/* ---- activities ----------------------------------------------------------- */

static void aq_free(activity_task *t)
{
    free(t->arn);
    free(t->input);
    free(t);
}

void engine_tasks_free(sfn_engine *e)
{
    while (e->aq_head) {
        activity_task *t = e->aq_head;
        e->aq_head = t->next;
        aq_free(t);
    }
    e->aq_tail = NULL;
    e->aq_len = 0;
}

sfn_execution *engine_live_load(sfn_engine *e, int64_t id, int64_t now)
{
    sfn_execution *x = engine_live_find(e, id);
    if (x)
        return x;
    if (e->shared && !sfn_store_owns(e->o.store, id))
        return NULL; /* another node's: it is routed there */
    sfn_exec_rec r = {0};
    sfn_error err;
    if (sfn_store_get_execution_by_id(e->o.store, id, &r, &err) != SFN_OK)
        return NULL;
    if (r.status == SFN_EXEC_RUNNING) {
        load_ctx lc = {e, now, 0, &err};
        engine_load_exec(&r, &lc);
        if (lc.loaded && e->parked)
            e->parked--;
    }
    sfn_exec_rec_free(&r);
    return engine_live_find(e, id);
}

bool engine_activity_take(sfn_engine *e, const char *arn, const char *worker,
                          char **token, char **input, int64_t now)
{
    activity_task **pp = &e->aq_head, *prev = NULL;
    while (*pp) {
        activity_task *t = *pp;
        if (strcmp(t->arn, arn)) {
            prev = t;
            pp = &t->next;
            continue;
        }
        *pp = t->next;
        if (e->aq_tail == t)
            e->aq_tail = prev;
        e->aq_len--;
        sfn_execution *x = engine_live_find(e, t->exec_id);
        const char *tok = x ? sfn_exec_task_token(x, t->strand) : NULL;
        sfn_strand *s = tok ? x->strands[t->strand] : NULL;
        if (s && s->attempt == t->attempt && !s->submitted) {
            *token = strdup(tok);
            *input = t->input;
            t->input = NULL;
            sfn_exec_task_started(x, t->strand, t->attempt, worker, now);
            aq_free(t);
            return *token != NULL;
        }
        aq_free(t); /* stale: stopped, timed out or already started */
    }
    return false;
}

sfn_rc engine_activity_started(sfn_engine *e, const char *token,
                               const char *worker, int64_t now,
                               int64_t *exec_id, sfn_error *err)
{
    sfn_token_rec t = {0};
    sfn_error lerr;
    sfn_rc trc = token_well_formed(token)
                     ? sfn_store_get_token(e->o.store, token, &t, &lerr)
                     : SFN_ENOTFOUND;
    if (trc != SFN_OK && trc != SFN_ENOTFOUND)
        return sfn_error_set(err, SFN_EIO, "ServiceUnavailable", -1,
                             "cannot read the task token: %s", lerr.cause);
    if (trc != SFN_OK)
        return sfn_error_set(err, SFN_ENOTFOUND, "TaskDoesNotExist", -1,
                             "Task Does Not Exist: no task has this token");
    int status = t.status;
    int64_t id = t.exec_id;
    uint32_t strand = (uint32_t)t.strand, attempt = (uint32_t)t.attempt;
    sfn_token_rec_free(&t);
    *exec_id = id;
    if (status != SFN_TOKEN_OPEN)
        return sfn_error_set(err, SFN_ENOTFOUND, "TaskDoesNotExist", -1,
                             "Task Does Not Exist: the task has ended");
    if (engine_lease_check(e, id, NULL, err))
        return err->rc;
    sfn_execution *x = engine_live_load(e, id, now);
    const char *cur = x ? sfn_exec_task_token(x, strand) : NULL;
    if (!cur || strcmp(cur, token) || x->strands[strand]->attempt != attempt ||
        x->strands[strand]->submitted)
        return sfn_error_set(err, SFN_ENOTFOUND, "TaskDoesNotExist", -1,
                             "Task Does Not Exist: the task no longer waits "
                             "for a worker");
    sfn_exec_task_started(x, strand, attempt, worker, now);
    return SFN_OK;
}

/* ---- task-token calls ------------------------------------------------- */

sfn_rc engine_token_call(sfn_engine *e, const char *token, int verb,
                         json_t *output, const char *error,
                         const char *cause, int64_t now, int64_t *exec_id,
                         sfn_error *err)
{
    if (!token_well_formed(token))
        return sfn_error_set(err, SFN_EINVAL, "InvalidToken", -1,
                             "Invalid Token: '%s' is not a stepd task token",
                             token ? token : "");
    sfn_token_rec t = {0};
    sfn_error lerr;
    sfn_rc trc = sfn_store_get_token(e->o.store, token, &t, &lerr);
    if (trc != SFN_OK && trc != SFN_ENOTFOUND) /* the store, not the token */
        return sfn_error_set(err, SFN_EIO, "ServiceUnavailable", -1,
                             "cannot read the task token: %s", lerr.cause);
    if (trc != SFN_OK)
        return sfn_error_set(err, SFN_ENOTFOUND, "TaskDoesNotExist", -1,
                             "Task Does Not Exist: no task has this token");
    int status = t.status;
    int64_t id = t.exec_id;
    uint32_t strand = (uint32_t)t.strand, attempt = (uint32_t)t.attempt;
    sfn_token_rec_free(&t);
    if (status == SFN_TOKEN_TIMED_OUT)
        return sfn_error_set(err, SFN_EINVAL, "TaskTimedOut", -1,
                             "Task Timed Out: the task of this token "
                             "timed out");
    *exec_id = id;
    if (status == SFN_TOKEN_OPEN && engine_lease_check(e, id, NULL, err))
        return err->rc;
    sfn_execution *x = status == SFN_TOKEN_OPEN ? engine_live_load(e, id, now)
                                                : NULL;
    const char *cur = x ? sfn_exec_task_token(x, strand) : NULL;
    if (!cur || strcmp(cur, token) || x->strands[strand]->attempt != attempt)
        return sfn_error_set(err, SFN_ENOTFOUND, "TaskDoesNotExist", -1,
                             "Task Does Not Exist: the task of this token "
                             "has already ended");
    switch (verb) {
    case SFN_TASK_SUCCESS:
        return sfn_exec_task_done(x, strand, attempt, output, NULL, NULL,
                                  now);
    case SFN_TASK_FAILURE:
        return sfn_exec_task_done(x, strand, attempt, NULL,
                                  error ? error : "", cause, now);
    default:
        return sfn_exec_task_heartbeat(x, strand, attempt, now);
    }
}
