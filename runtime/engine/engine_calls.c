/* engine_calls.c: calls into the engine from other threads (the HTTP API):
 * a mutex-protected inbox the engine thread drains at the start of each
 * round.  A call is answered only after the round that acted on it has
 * committed, so "acknowledged" always means "durable": a blocking caller
 * is woken, an asynchronous one gets its callback.  Lock order: only
 * e->mu; the engine never holds it while running executions or callbacks. */
#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_internal.h"
#include "sfn_json.h"
#include "sfn_tasks.h"

typedef enum {
    CALL_START,
    CALL_STOP,
    CALL_TASK,
    CALL_ACTIVITY,
    CALL_RELEASE, /* answer every waiting GetActivityTask now */
    CALL_REDRIVE,
    CALL_ACT_STARTED /* shared store: a worker on some node took a task */
} call_kind;

typedef struct engine_call {
    call_kind kind;
    struct engine_call *next;
    bool done;
    sfn_rc rc;
    sfn_start_call *start;  /* CALL_START */
    const char *arn;        /* CALL_STOP: in; START: the execution's ARN */
    const char *error, *cause;
    int64_t stop_ms;
    sfn_error *err;
    char *own_arn;          /* START: ARN computed by the engine */
    int verb;               /* TASK: sfn_task_verb                        */
    const char *token;      /* TASK, ACT_STARTED                          */
    const char *worker;     /* ACT_STARTED                                */
    int64_t exec_id;        /* the execution acted on, once known (a lost
                               lease fails the calls on it)               */
    json_t *output;         /* TASK: borrowed from the caller             */
    sfn_activity_poll *poll;/* ACTIVITY                                   */
    bool compensate;        /* STOP: run compensations first (extension)  */
    int64_t deadline_ms;    /* ACTIVITY: answer empty at this time        */
    pthread_cond_t cv;      /* the caller waits here: one per call, so an
                               answer wakes its caller and no other       */
    /* asynchronous calls (malloc'd, no waiting caller): the callback runs
     * on the engine thread once the answer is in, outside e->mu so that
     * it may take its own locks */
    bool async;
    sfn_start_done_fn start_done;
    sfn_activity_done_fn activity_done;
    void *ud;
} engine_call;

/* Marks c answered: wakes its caller, or queues an asynchronous call on
 * *ready for run_ready once e->mu is released; e->mu held. */
static void finish_locked(engine_call *c, engine_call **ready)
{
    c->done = true;
    if (!c->async) {
        pthread_cond_signal(&c->cv);
        return;
    }
    c->next = *ready;
    *ready = c;
}

/* Runs the callbacks of answered asynchronous calls and frees them;
 * e->mu not held. */
static void run_ready(engine_call *list)
{
    while (list) {
        engine_call *c = list;
        list = c->next;
        if (c->kind == CALL_START) {
            c->start->err.rc = c->rc;
            c->start_done(c->ud, c->start);
        } else if (c->kind == CALL_ACTIVITY) {
            c->activity_done(c->ud, c->poll, c->rc);
        }
        free(c->own_arn);
        free(c);
    }
}

void engine_calls_init(sfn_engine *e)
{
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->work, NULL);
}

static void fail_all(engine_call *c, const char *why, engine_call **ready)
{
    while (c) {
        engine_call *next = c->next;
        c->rc = sfn_error_set(c->err, SFN_EIO, "ServiceUnavailable", -1, "%s",
                              why);
        finish_locked(c, ready);
        c = next;
    }
}

void sfn_engine_close_calls(sfn_engine *e)
{
    engine_call *ready = NULL;
    pthread_mutex_lock(&e->mu);
    e->calls_closed = true;
    fail_all(e->inbox, "stepd is shutting down", &ready);
    fail_all(e->waiting, "stepd is shutting down", &ready);
    fail_all(e->until_end, "stepd is shutting down", &ready);
    fail_all(e->pollers, "stepd is shutting down", &ready);
    e->inbox = e->waiting = e->until_end = e->pollers = NULL;
    pthread_mutex_unlock(&e->mu);
    run_ready(ready);
}

void engine_calls_free(sfn_engine *e)
{
    engine_call *ready = NULL;
    pthread_mutex_lock(&e->mu);
    fail_all(e->inbox, "stepd is shutting down", &ready);
    fail_all(e->waiting, "stepd is shutting down", &ready);
    fail_all(e->until_end, "stepd is shutting down", &ready);
    fail_all(e->pollers, "stepd is shutting down", &ready);
    e->inbox = e->waiting = e->until_end = e->pollers = NULL;
    pthread_mutex_unlock(&e->mu);
    run_ready(ready);
    pthread_cond_destroy(&e->work);
    pthread_mutex_destroy(&e->mu);
}

void sfn_engine_wake(sfn_engine *e)
{
    pthread_mutex_lock(&e->mu);
    pthread_cond_signal(&e->work);
    pthread_mutex_unlock(&e->mu);
    if (e->o.tasks)
        sfn_tasks_wakeup(e->o.tasks);
}

void engine_wait(sfn_engine *e, int64_t ms)
{
    if (e->o.tasks) {
        /* sockets of in-flight requests and calls wake the same wait: a
         * submitter wakes the task layer after queueing (sticky wake-up) */
        pthread_mutex_lock(&e->mu);
        bool busy = e->inbox != NULL;
        pthread_mutex_unlock(&e->mu);
        if (!busy)
            sfn_tasks_poll(e->o.tasks, (int)(ms > 1000000 ? 1000000 : ms));
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&e->mu);
    if (!e->inbox)
        pthread_cond_timedwait(&e->work, &e->mu, &ts);
    pthread_mutex_unlock(&e->mu);
}

/* Submits and blocks until answered. */
static sfn_rc submit(sfn_engine *e, engine_call *c)
{
    pthread_cond_init(&c->cv, NULL);
    pthread_mutex_lock(&e->mu);
    if (e->calls_closed) {
        pthread_mutex_unlock(&e->mu);
        pthread_cond_destroy(&c->cv);
        return c->rc = sfn_error_set(c->err, SFN_EIO, "ServiceUnavailable",
                                     -1, "stepd is shutting down");
    }
    c->next = e->inbox;
    e->inbox = c;
    pthread_cond_signal(&e->work);
    if (e->o.tasks)
        sfn_tasks_wakeup(e->o.tasks);
    while (!c->done)
        pthread_cond_wait(&c->cv, &e->mu);
    pthread_mutex_unlock(&e->mu);
    pthread_cond_destroy(&c->cv);
    return c->rc;
}

/* Submits a malloc'd call without waiting: its callback answers it. */
static void submit_async(sfn_engine *e, engine_call *c)
{
    c->async = true;
    pthread_mutex_lock(&e->mu);
    if (e->calls_closed) {
        engine_call *ready = NULL;
        c->rc = sfn_error_set(c->err, SFN_EIO, "ServiceUnavailable", -1,
                              "stepd is shutting down");
        finish_locked(c, &ready);
        pthread_mutex_unlock(&e->mu);
        run_ready(ready);
        return;
    }
    c->next = e->inbox;
    e->inbox = c;
    pthread_cond_signal(&e->work);
    pthread_mutex_unlock(&e->mu);
    if (e->o.tasks)
        sfn_tasks_wakeup(e->o.tasks);
}

sfn_rc sfn_engine_call_start(sfn_engine *e, sfn_start_call *sc)
{
    engine_call c = {.kind = CALL_START, .start = sc, .err = &sc->err};
    sfn_error_clear(&sc->err);
    sfn_rc rc = submit(e, &c);
    free(c.own_arn);
    return rc;
}

sfn_rc sfn_engine_call_start_async(sfn_engine *e, sfn_start_call *sc,
                                   sfn_start_done_fn done, void *ud)
{
    sfn_error_clear(&sc->err);
    engine_call *c = calloc(1, sizeof *c);
    if (!c)
        return sfn_error_set(&sc->err, SFN_ENOMEM, "InternalFailure", -1,
                             "out of memory");
    c->kind = CALL_START;
    c->start = sc;
    c->err = &sc->err;
    c->start_done = done;
    c->ud = ud;
    submit_async(e, c);
    return SFN_OK;
}

void sfn_start_call_done(sfn_start_call *c)
{
    free(c->arn);
    free(c->output);
    free(c->error);
    free(c->cause);
    c->arn = c->output = c->error = c->cause = NULL;
}

sfn_rc sfn_engine_call_stop(sfn_engine *e, const char *arn, const char *error,
                            const char *cause, int64_t *stop_ms,
                            sfn_error *err)
{
    return sfn_engine_call_stop_ex(e, arn, error, cause, false, stop_ms, err);
}

sfn_rc sfn_engine_call_stop_ex(sfn_engine *e, const char *arn,
                               const char *error, const char *cause,
                               bool compensate, int64_t *stop_ms,
                               sfn_error *err)
{
    sfn_error local;
    engine_call c = {.kind = CALL_STOP, .arn = arn, .error = error,
                     .cause = cause, .compensate = compensate,
                     .err = err ? err : &local};
    sfn_rc rc = submit(e, &c);
    if (rc == SFN_OK && stop_ms)
        *stop_ms = c.stop_ms;
    return rc;
}

sfn_rc sfn_engine_call_task(sfn_engine *e, const char *token,
                            sfn_task_verb verb, json_t *output,
                            const char *error, const char *cause,
                            sfn_error *err)
{
    sfn_error local;
    /* a private copy: the engine keeps parts of the result */
    json_t *copy = output ? json_deep_copy(output) : NULL;
    engine_call c = {.kind = CALL_TASK, .token = token, .verb = (int)verb,
                     .output = copy, .error = error, .cause = cause,
                     .err = err ? err : &local};
    sfn_error_clear(c.err);
    sfn_rc rc = submit(e, &c);
    json_decref(copy);
    return rc;
}

sfn_rc sfn_engine_call_activity_started(sfn_engine *e, const char *token,
                                        const char *worker, sfn_error *err)
{
    sfn_error local;
    engine_call c = {.kind = CALL_ACT_STARTED, .token = token,
                     .worker = worker, .err = err ? err : &local};
    sfn_error_clear(c.err);
    return submit(e, &c);
}

sfn_rc sfn_engine_call_redrive(sfn_engine *e, const char *arn,
                               int64_t *redrive_ms, sfn_error *err)
{
    sfn_error local;
    engine_call c = {.kind = CALL_REDRIVE, .arn = arn,
                     .err = err ? err : &local};
    sfn_error_clear(c.err);
    sfn_rc rc = submit(e, &c);
    if (rc == SFN_OK && redrive_ms)
        *redrive_ms = c.stop_ms;
    return rc;
}

sfn_rc sfn_engine_call_activity(sfn_engine *e, sfn_activity_poll *p,
                                sfn_error *err)
{
    sfn_error local;
    p->token = p->input = NULL;
    engine_call c = {.kind = CALL_ACTIVITY, .poll = p,
                     .err = err ? err : &local};
    sfn_error_clear(c.err);
    return submit(e, &c);
}

sfn_rc sfn_engine_call_activity_async(sfn_engine *e, sfn_activity_poll *p,
                                      sfn_error *err,
                                      sfn_activity_done_fn done, void *ud)
{
    p->token = p->input = NULL;
    sfn_error_clear(err);
    engine_call *c = calloc(1, sizeof *c);
    if (!c)
        return sfn_error_set(err, SFN_ENOMEM, "InternalFailure", -1,
                             "out of memory");
    c->kind = CALL_ACTIVITY;
    c->poll = p;
    c->err = err;
    c->activity_done = done;
    c->ud = ud;
    submit_async(e, c);
    return SFN_OK;
}

sfn_rc sfn_engine_call_release_pollers(sfn_engine *e)
{
    sfn_error local;
    engine_call c = {.kind = CALL_RELEASE, .err = &local};
    return submit(e, &c);
}

void sfn_activity_poll_done(sfn_activity_poll *p)
{
    free(p->token);
    free(p->input);
    p->token = p->input = NULL;
}

/* ---- on the engine thread --------------------------------------------- */

static sfn_execution *live_by_arn(sfn_engine *e, const char *arn)
{
    for (size_t i = 0; i < e->n_live; i++)
        if (!strcmp(e->live[i]->arn, arn))
            return e->live[i];
    return NULL;
}

/* Answers now (under the lock the caller does not hold). */
static void answer(sfn_engine *e, engine_call *c, sfn_rc rc)
{
    engine_call *ready = NULL;
    pthread_mutex_lock(&e->mu);
    c->rc = rc;
    finish_locked(c, &ready);
    pthread_mutex_unlock(&e->mu);
    run_ready(ready);
}

static void park_until_commit(sfn_engine *e, engine_call *c)
{
    pthread_mutex_lock(&e->mu);
    c->next = e->waiting;
    e->waiting = c;
    pthread_mutex_unlock(&e->mu);
}

static char *new_arn(sfn_engine *e, const sfn_start_call *sc,
                     const char *name)
{
    char *s = NULL;
    if (!sc->express)
        return sfn_engine_exec_arn(e, sc->machine, name);
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        return NULL;
    if (asprintf(&s,
                 "arn:aws:states:%s:%s:express:%s:%s:%02x%02x%02x%02x-%02x"
                 "%02x-4%x%02x-%x%x%02x-%02x%02x%02x%02x%02x%02x",
                 e->region, e->account, sc->machine, name, b[0], b[1], b[2],
                 b[3], b[4], b[5], b[6] & 15, b[7], 8 | (b[8] & 3), b[8] >> 4,
                 b[9], b[10], b[11], b[12], b[13], b[14], b[15]) < 0)
        return NULL;
    return s;
}

/* Same name twice: the running execution with the same input is the
 * answer (StartExecution is idempotent); anything else is a conflict. */
static bool existing(sfn_engine *e, engine_call *c, const char *arn)
{
    sfn_start_call *sc = c->start;
    sfn_execution *x = live_by_arn(e, arn);
    if (x) {
        bool same = x->status == SFN_EXEC_RUNNING &&
                    json_equal(x->input, sc->input) && x->store_id;
        sc->arn = strdup(arn);
        sc->start_ms = x->start_ms;
        sc->existed = same;
        answer(e, c, same ? SFN_OK
                          : sfn_error_set(&sc->err, SFN_EINVAL,
                                          "ExecutionAlreadyExists", -1,
                                          "Execution Already Exists: '%s'",
                                          arn));
        return true;
    }
    sfn_exec_rec r = {0};
    sfn_error err;
    if (sfn_store_get_execution(e->o.store, arn, &r, &err) != SFN_OK)
        return false;
    json_error_t je;
    json_t *in = sfn_json_loadb(r.input, strlen(r.input), JSON_DECODE_ANY, &je);
    bool same = r.status == SFN_EXEC_RUNNING && json_equal(in, sc->input);
    json_decref(in);
    sc->arn = strdup(arn);
    sc->start_ms = r.start_ms;
    sc->existed = same;
    sfn_exec_rec_free(&r);
    answer(e, c, same ? SFN_OK
                      : sfn_error_set(&sc->err, SFN_EINVAL,
                                      "ExecutionAlreadyExists", -1,
                                      "Execution Already Exists: '%s'", arn));
    return true;
}

static void take_start(sfn_engine *e, engine_call *c)
{
    sfn_start_call *sc = c->start;
    char uuid[37];
    const char *name = sc->name;
    if (!name) {
        unsigned char b[16];
        RAND_bytes(b, sizeof b);
        snprintf(uuid, sizeof uuid,
                 "%02x%02x%02x%02x-%02x%02x-4%x%02x-%x%x%02x-"
                 "%02x%02x%02x%02x%02x%02x",
                 b[0], b[1], b[2], b[3], b[4], b[5], b[6] & 15, b[7],
                 8 | (b[8] & 3), b[8] >> 4, b[9], b[10], b[11], b[12], b[13],
                 b[14], b[15]);
        name = uuid;
    }
    c->own_arn = new_arn(e, sc, name);
    if (!c->own_arn) {
        answer(e, c, sfn_error_set(&sc->err, SFN_ENOMEM, "InternalFailure",
                                   -1, "out of memory"));
        return;
    }
    /* a name we generated is a fresh UUID: only a caller's name can clash */
    if (!sc->express && sc->name && existing(e, c, c->own_arn))
        return;
    sfn_rc rc = sfn_engine_start_arn(e, sc->machine, sc->revision, sc->graph,
                                     name, c->own_arn, sc->input, sc->express,
                                     &sc->err);
    if (rc == SFN_OK && sc->test_case &&
        !(e->live[e->n_live - 1]->test_case = strdup(sc->test_case)))
        rc = sfn_error_set(&sc->err, SFN_ENOMEM, "InternalFailure", -1,
                           "out of memory");
    if (rc != SFN_OK) {
        if (!sc->err.name[0])
            snprintf(sc->err.name, sizeof sc->err.name, "%s",
                     rc == SFN_ELIMIT ? "InvalidExecutionInput"
                                      : "ValidationException");
        answer(e, c, rc);
        return;
    }
    c->arn = c->own_arn;
    park_until_commit(e, c);
}

static void take_stop(sfn_engine *e, engine_call *c, int64_t now)
{
    sfn_execution *x = live_by_arn(e, c->arn);
    if (!x) {
        sfn_exec_rec r = {0};
        sfn_error err;
        if (sfn_store_get_execution(e->o.store, c->arn, &r, &err) != SFN_OK) {
            answer(e, c, sfn_error_set(c->err, SFN_ENOTFOUND,
                                       "ExecutionDoesNotExist", -1,
                                       "Execution Does Not Exist: '%s'",
                                       c->arn));
            return;
        }
        if (r.status != SFN_EXEC_RUNNING) {
            c->stop_ms = r.stop_ms;
            sfn_exec_rec_free(&r);
            answer(e, c, SFN_OK);
            return;
        }
        if (engine_lease_check(e, r.id, r.arn, c->err) != SFN_OK) {
            sfn_exec_rec_free(&r);
            answer(e, c, SFN_ELEASE);
            return;
        }
        /* a parked execution comes back to be stopped */
        load_ctx lc = {e, now, 0, &err};
        engine_load_exec(&r, &lc);
        sfn_exec_rec_free(&r);
        if (e->parked && lc.loaded)
            e->parked--;
        x = live_by_arn(e, c->arn);
        if (!x) {
            answer(e, c, sfn_error_set(c->err, SFN_EIO, "InternalFailure", -1,
                                       "cannot load execution '%s'", c->arn));
            return;
        }
    }
    if (x->status != SFN_EXEC_RUNNING) {
        c->stop_ms = x->stop_ms;
        answer(e, c, SFN_OK);
        return;
    }
    sfn_exec_stop_ex(x, c->error, c->cause, c->compensate, now);
    c->stop_ms = now;
    c->exec_id = x->store_id;
    park_until_commit(e, c);
}

static void take_task(sfn_engine *e, engine_call *c, int64_t now)
{
    sfn_rc rc = engine_token_call(e, c->token, c->verb, c->output, c->error,
                                  c->cause, now, &c->exec_id, c->err);
    if (rc != SFN_OK)
        answer(e, c, rc);
    else
        park_until_commit(e, c);
}

static void take_act_started(sfn_engine *e, engine_call *c, int64_t now)
{
    sfn_rc rc = engine_activity_started(e, c->token, c->worker, now,
                                        &c->exec_id, c->err);
    if (rc != SFN_OK)
        answer(e, c, rc);
    else
        park_until_commit(e, c);
}

static void take_redrive(sfn_engine *e, engine_call *c, int64_t now)
{
    sfn_rc rc = engine_redrive(e, c->arn, now, c->err);
    c->stop_ms = now; /* the redrive date */
    c->exec_id = rc == SFN_OK ? e->live[e->n_live - 1]->store_id : 0;
    if (rc != SFN_OK)
        answer(e, c, rc);
    else
        park_until_commit(e, c);
}

static void take_activity(sfn_engine *e, engine_call *c, int64_t now)
{
    sfn_activity_poll *p = c->poll;
    if (e->shared) { /* the tasks wait in the store's queue, not here */
        answer(e, c, sfn_error_set(c->err, SFN_EUNSUPPORTED,
                                   "InternalFailure", -1,
                                   "on a shared store GetActivityTask is "
                                   "served by the cluster "
                                   "(sfn_cluster_call_activity)"));
        return;
    }
    if (engine_activity_take(e, p->activity_arn, p->worker, &p->token,
                             &p->input, now)) {
        park_until_commit(e, c);
        return;
    }
    c->deadline_ms = now + (p->timeout_ms > 0 ? p->timeout_ms : 0);
    /* FIFO: the longest-waiting worker gets the next task */
    engine_call **pp = &e->pollers;
    size_t same = 0;
    while (*pp) {
        same += !strcmp((*pp)->poll->activity_arn, p->activity_arn);
        pp = &(*pp)->next;
    }
    if (same >= SFN_ENGINE_POLLERS_MAX) { /* AWS's quota per activity */
        answer(e, c,
               sfn_error_set(c->err, SFN_ELIMIT, "ActivityWorkerLimitExceeded",
                             -1,
                             "Activity Worker Limit Exceeded: %d "
                             "GetActivityTask calls already wait on '%s'",
                             SFN_ENGINE_POLLERS_MAX, p->activity_arn));
        return;
    }
    c->next = NULL;
    *pp = c;
}

void engine_match_pollers(sfn_engine *e, int64_t now)
{
    engine_call **pp = &e->pollers;
    while (*pp) {
        engine_call *c = *pp;
        sfn_activity_poll *p = c->poll;
        bool got = engine_activity_take(e, p->activity_arn, p->worker,
                                        &p->token, &p->input, now);
        if (!got && now < c->deadline_ms) {
            pp = &c->next;
            continue;
        }
        *pp = c->next;
        c->next = NULL;
        if (got)
            park_until_commit(e, c);
        else
            answer(e, c, SFN_OK);
    }
}

void engine_take_calls(sfn_engine *e, int64_t now)
{
    pthread_mutex_lock(&e->mu);
    engine_call *list = e->inbox;
    e->inbox = NULL;
    pthread_mutex_unlock(&e->mu);
    /* the inbox is LIFO: reverse it so calls are served in arrival order */
    engine_call *fifo = NULL;
    while (list) {
        engine_call *next = list->next;
        list->next = fifo;
        fifo = list;
        list = next;
    }
    while (fifo) {
        engine_call *c = fifo;
        fifo = fifo->next;
        c->next = NULL;
        if (c->kind == CALL_START)
            take_start(e, c);
        else if (c->kind == CALL_TASK)
            take_task(e, c, now);
        else if (c->kind == CALL_ACTIVITY)
            take_activity(e, c, now);
        else if (c->kind == CALL_REDRIVE)
            take_redrive(e, c, now);
        else if (c->kind == CALL_ACT_STARTED)
            take_act_started(e, c, now);
        else if (c->kind == CALL_RELEASE) {
            /* engine_match_pollers, right after, answers them empty */
            for (engine_call *p = e->pollers; p; p = p->next)
                p->deadline_ms = now;
            answer(e, c, SFN_OK);
        } else
            take_stop(e, c, now);
    }
}

void engine_calls_committed(sfn_engine *e, sfn_rc rc, const sfn_error *err)
{
    engine_call *ready = NULL;
    pthread_mutex_lock(&e->mu);
    engine_call *c = e->waiting;
    e->waiting = NULL;
    while (c) {
        engine_call *next = c->next;
        if (rc != SFN_OK) {
            *c->err = *err;
            snprintf(c->err->name, sizeof c->err->name, "InternalFailure");
            c->rc = rc;
            finish_locked(c, &ready);
        } else if (c->kind == CALL_START) {
            sfn_start_call *sc = c->start;
            sfn_execution *x = live_by_arn(e, c->arn);
            sc->arn = strdup(c->arn);
            sc->start_ms = x ? x->start_ms : 0;
            if (sc->wait_for_end && x && x->status == SFN_EXEC_RUNNING) {
                c->next = e->until_end;
                e->until_end = c;
                c = next;
                continue;
            }
            if (sc->wait_for_end && x) {
                sc->status = x->status;
                sc->output = x->output ? sfn_json_dumps(x->output, 0) : NULL;
                sc->error = x->error ? strdup(x->error) : NULL;
                sc->cause = x->cause ? strdup(x->cause) : NULL;
                sc->stop_ms = x->stop_ms;
            }
            c->rc = SFN_OK;
            finish_locked(c, &ready);
        } else {
            c->rc = SFN_OK;
            finish_locked(c, &ready);
        }
        c = next;
    }
    pthread_mutex_unlock(&e->mu);
    run_ready(ready);
}

/* Takes out of *list the calls on the execution (by id, or by ARN for a
 * start not yet written) and fails them. */
static void fail_on(engine_call **list, int64_t exec_id, const char *arn,
                    engine_call **ready)
{
    while (*list) {
        engine_call *c = *list;
        bool hit = (exec_id && c->exec_id == exec_id) ||
                   (arn && c->arn && !strcmp(c->arn, arn));
        if (!hit) {
            list = &c->next;
            continue;
        }
        *list = c->next;
        c->rc = sfn_error_set(c->err, SFN_ELEASE, "ServiceUnavailable", -1,
                              "another node took over execution %s; retry",
                              arn ? arn : "");
        finish_locked(c, ready);
    }
}

void engine_calls_fail_exec(sfn_engine *e, int64_t exec_id, const char *arn)
{
    engine_call *ready = NULL;
    pthread_mutex_lock(&e->mu);
    fail_on(&e->waiting, exec_id, arn, &ready);
    fail_on(&e->until_end, exec_id, arn, &ready);
    pthread_mutex_unlock(&e->mu);
    run_ready(ready);
}

void engine_calls_finished(sfn_engine *e, const sfn_execution *x)
{
    engine_call *ready = NULL;
    pthread_mutex_lock(&e->mu);
    engine_call **pp = &e->until_end;
    while (*pp) {
        engine_call *c = *pp;
        if (strcmp(c->arn, x->arn)) {
            pp = &c->next;
            continue;
        }
        *pp = c->next;
        sfn_start_call *sc = c->start;
        sc->status = x->status;
        sc->output = x->output ? sfn_json_dumps(x->output, 0) : NULL;
        sc->error = x->error ? strdup(x->error) : NULL;
        sc->cause = x->cause ? strdup(x->cause) : NULL;
        sc->stop_ms = x->stop_ms;
        c->rc = SFN_OK;
        finish_locked(c, &ready);
    }
    pthread_mutex_unlock(&e->mu);
    run_ready(ready);
}

sfn_rc sfn_engine_serve(sfn_engine *e, volatile int *stop, sfn_error *err)
{
    size_t resumed = 0;
    sfn_rc rc = sfn_engine_recover(e, &resumed, err);
    if (rc != SFN_OK)
        return rc;
    while (!*stop) {
        rc = sfn_engine_poll(e, 200, NULL, err);
        if (rc != SFN_OK) {
            /* the round rolled back and its calls were answered with the
             * error; back off briefly and retry (disk full, locked db) */
            struct timespec ts = {0, 100 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    /* answer what arrived before the stop, commit, and leave */
    return sfn_engine_poll(e, 0, NULL, err);
}
