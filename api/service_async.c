/* service_async.c: actions answered later (sfn_service.h): the dispatch of
 * sfn_service_call_async, GetActivityTask as an asynchronous long poll,
 * and deferral scopes, which let the synchronous HTTP dialects run on an
 * event-loop thread by running a handler twice: once to hand its call to
 * the engine, once more to read the answer. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service_async.h"
#include "sfn_cluster.h"

typedef enum { ASYNC_NONE, ASYNC_START, ASYNC_START_SYNC, ASYNC_POLL } kind;

static kind async_kind(const char *action)
{
    if (!action)
        return ASYNC_NONE;
    if (!strcmp(action, "StartExecution"))
        return ASYNC_START;
    if (!strcmp(action, "StartSyncExecution"))
        return ASYNC_START_SYNC;
    if (!strcmp(action, "GetActivityTask"))
        return ASYNC_POLL;
    return ASYNC_NONE;
}

/* ---- GetActivityTask ---------------------------------------------------- */

/* As svc_GetActivityTask (service_tasks.c), whose limits these are. */
#define WORKER_MAX 80
#define POLL_MAX_S 60

typedef struct poll_job {
    sfn_service_async a; /* first member: the job is reached through it */
    sfn_activity_poll p;
    sfn_error err;
    sfn_rc rc;
    char *arn, *worker;
} poll_job;

static void poll_job_free(poll_job *j)
{
    sfn_activity_poll_done(&j->p);
    free(j->arn);
    free(j->worker);
    free(j);
}

static void poll_answered(void *ud, sfn_activity_poll *p, sfn_rc rc)
{
    (void)p;
    poll_job *j = ud;
    j->rc = rc;
    j->a.done(j->a.ud, &j->a);
}

static json_t *poll_finish(sfn_service_async *a, sfn_store *st,
                           sfn_error *err)
{
    (void)st;
    poll_job *j = (poll_job *)a;
    json_t *out = NULL;
    if (j->rc != SFN_OK) {
        *err = j->err;
        if (!err->name[0])
            svc_internal(err);
    } else {
        out = j->p.token ? json_pack("{s:s,s:s}", "taskToken", j->p.token,
                                     "input",
                                     j->p.input ? j->p.input : "{}")
                         : json_object();
        if (!out)
            svc_internal(err);
    }
    poll_job_free(j);
    return out;
}

static void poll_discard(sfn_service_async *a)
{
    poll_job_free((poll_job *)a);
}

/* The checks of svc_GetActivityTask in its order; the activity's own
 * (ARN, existence) are DescribeActivity's, with the same messages. */
static bool poll_check(sfn_service *svc, sfn_store *st, json_t *req,
                       const char **worker, int64_t *wait_s, sfn_error *err)
{
    if (!svc_str(req, "workerName", false, WORKER_MAX, worker, err) ||
        !svc_int(req, "waitSeconds", 0, POLL_MAX_S, wait_s, err))
        return false;
    json_t *d = json_object();
    json_t *arn = json_object_get(req, "activityArn");
    if (!d || (arn && json_object_set(d, "activityArn", arn))) {
        json_decref(d);
        svc_internal(err);
        return false;
    }
    json_t *desc = svc_DescribeActivity(svc, st, d, err);
    json_decref(d);
    json_decref(desc);
    return desc != NULL;
}

static bool poll_async(sfn_service *svc, sfn_store *st, json_t *req,
                       sfn_service_done_fn done, void *ud, sfn_error *err)
{
    const char *worker = NULL;
    int64_t wait_s = POLL_MAX_S;
    if (!poll_check(svc, st, req, &worker, &wait_s, err))
        return false;
    poll_job *j = calloc(1, sizeof *j);
    const char *arn = json_string_value(json_object_get(req, "activityArn"));
    if (j) {
        j->arn = strdup(arn ? arn : "");
        j->worker = worker ? strdup(worker) : NULL;
    }
    if (!j || !j->arn || (worker && !j->worker)) {
        if (j)
            poll_job_free(j);
        svc_fail(err, "InternalFailure", "out of memory");
        return false;
    }
    j->a = (sfn_service_async){.svc = svc, .done = done, .ud = ud,
                               .finish = poll_finish,
                               .discard = poll_discard};
    j->p = (sfn_activity_poll){.activity_arn = j->arn,
                               .worker = j->worker,
                               .timeout_ms = wait_s * 1000};
    if (svc_call_activity_async(svc, &j->p, &j->err, poll_answered, j) ==
        SFN_OK)
        return true;
    *err = j->err;
    poll_job_free(j);
    return false;
}

/* ---- sfn_service_call_async ---------------------------------------------- */

bool sfn_service_call_async(sfn_service *svc, const char *action,
                            json_t *request, sfn_service_done_fn done,
                            void *ud, json_t **out, sfn_error *err)
{
    sfn_error local;
    if (!err)
        err = &local;
    sfn_error_clear(err);
    *out = NULL;
    kind k = async_kind(action);
    if (k == ASYNC_NONE || !json_is_object(request)) {
        *out = svc_call_now(svc, action, request, err);
        return false;
    }
    sfn_store *st = svc_store_take(svc, err);
    if (!st) {
        svc_internal(err);
        return false;
    }
    bool handed = k == ASYNC_POLL
                      ? poll_async(svc, st, request, done, ud, err)
                      : svc_start_async(svc, st, request,
                                        k == ASYNC_START_SYNC, done, ud, out,
                                        err);
    /* the checks only read, but a failed read may leave a transaction */
    sfn_store_rollback(st);
    svc_store_give(svc, st);
    if (!handed && !err->name[0])
        svc_internal(err);
    return handed;
}

json_t *sfn_service_async_result(sfn_service_async *a, sfn_error *err)
{
    sfn_error local;
    if (!err)
        err = &local;
    sfn_error_clear(err);
    sfn_service *svc = a->svc;
    sfn_store *st = svc_store_take(svc, err);
    if (!st) {
        a->discard(a);
        return svc_internal(err);
    }
    json_t *out = a->finish(a, st, err);
    sfn_store_rollback(st);
    svc_store_give(svc, st);
    if (!out && !err->name[0])
        svc_internal(err);
    return out;
}

void sfn_service_async_discard(sfn_service_async *a)
{
    if (a)
        a->discard(a);
}

void sfn_service_release_polls(sfn_service *svc)
{
    if (svc->cluster)
        sfn_cluster_release_pollers(svc->cluster);
    sfn_engine_call_release_pollers(svc->engine);
}

/* ---- deferral scopes ----------------------------------------------------- */

typedef enum {
    SCOPE_IDLE,      /* no call handed over yet                          */
    SCOPE_WAITING,   /* handed to the engine                             */
    SCOPE_READY,     /* the answer is in                                  */
    SCOPE_ABANDONED, /* given up while waiting                            */
    SCOPE_USED       /* answered (or nothing to wait for): all synchronous */
} scope_state;

struct sfn_service_scope {
    sfn_service *svc;
    sfn_service_ready_fn ready;
    void *ud;
    pthread_mutex_t mu;
    int refs;            /* the owner's, and the engine's while waiting  */
    scope_state state;
    bool replaying;      /* this run should read the answer              */
    char action[64];     /* the call handed over, to match the replay    */
    json_t *request;
    sfn_service_async *answer; /* SCOPE_READY                            */
};

/* The scope of the handler running on this thread. */
static _Thread_local sfn_service_scope *current;

sfn_service_scope *sfn_service_scope_new(sfn_service *svc,
                                         sfn_service_ready_fn ready,
                                         void *ud)
{
    sfn_service_scope *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->svc = svc;
    s->ready = ready;
    s->ud = ud;
    s->refs = 1;
    pthread_mutex_init(&s->mu, NULL);
    return s;
}

static void scope_unref(sfn_service_scope *s)
{
    pthread_mutex_lock(&s->mu);
    int left = --s->refs;
    pthread_mutex_unlock(&s->mu);
    if (left)
        return;
    json_decref(s->request);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* On the engine thread.  ready runs outside the lock, so the owner may
 * take its own locks around abandon without a lock-order cycle. */
static void scope_answered(void *ud, sfn_service_async *a)
{
    sfn_service_scope *s = ud;
    pthread_mutex_lock(&s->mu);
    bool wanted = s->state == SCOPE_WAITING;
    if (wanted) {
        s->answer = a;
        s->state = SCOPE_READY;
    }
    pthread_mutex_unlock(&s->mu);
    if (wanted)
        s->ready(s->ud);
    else
        sfn_service_async_discard(a);
    scope_unref(s);
}

static scope_state scope_get(sfn_service_scope *s)
{
    pthread_mutex_lock(&s->mu);
    scope_state st = s->state;
    pthread_mutex_unlock(&s->mu);
    return st;
}

static bool defer(sfn_service_scope *s, const char *action, json_t *request,
                  json_t **out, sfn_error *err)
{
    s->request = json_deep_copy(request);
    if (!s->request)
        return false; /* cannot match a replay: run it synchronously */
    snprintf(s->action, sizeof s->action, "%s", action);
    pthread_mutex_lock(&s->mu);
    s->state = SCOPE_WAITING;
    s->refs++;
    pthread_mutex_unlock(&s->mu);
    if (sfn_service_call_async(s->svc, action, request, scope_answered, s,
                               out, err)) {
        svc_fail(err, "ServiceUnavailable", "the answer comes later");
        return true;
    }
    /* answered here: the engine holds nothing */
    pthread_mutex_lock(&s->mu);
    s->state = SCOPE_USED;
    s->refs--;
    pthread_mutex_unlock(&s->mu);
    return true;
}

static bool replay(sfn_service_scope *s, const char *action, json_t *request,
                   json_t **out, sfn_error *err)
{
    pthread_mutex_lock(&s->mu);
    scope_state st = s->state;
    sfn_service_async *a = s->answer;
    s->answer = NULL;
    s->state = SCOPE_USED;
    pthread_mutex_unlock(&s->mu);
    bool same = !strcmp(action, s->action) && json_equal(request, s->request);
    if (st == SCOPE_ABANDONED) {
        *out = svc_fail(err, "ServiceUnavailable",
                        "stepd is shutting down and stopped waiting for "
                        "this request's answer; its effect may still "
                        "have happened");
        return true;
    }
    if (!same) {
        sfn_service_async_discard(a);
        return false;
    }
    *out = sfn_service_async_result(a, err);
    return true;
}

bool svc_scope_call(sfn_service *svc, const char *action, json_t *request,
                    json_t **out, sfn_error *err)
{
    sfn_service_scope *s = current;
    if (!s || s->svc != svc)
        return false;
    scope_state st = scope_get(s);
    if (st == SCOPE_IDLE && async_kind(action) != ASYNC_NONE)
        return defer(s, action, request, out, err);
    if (s->replaying && (st == SCOPE_READY || st == SCOPE_ABANDONED))
        return replay(s, action, request, out, err);
    return false;
}

void sfn_service_scope_enter(sfn_service_scope *s)
{
    scope_state st = scope_get(s);
    s->replaying = st == SCOPE_READY || st == SCOPE_ABANDONED;
    current = s;
}

bool sfn_service_scope_leave(sfn_service_scope *s)
{
    current = NULL;
    pthread_mutex_lock(&s->mu);
    scope_state st = s->state;
    sfn_service_async *unread = NULL;
    if (s->replaying && (st == SCOPE_READY || st == SCOPE_ABANDONED)) {
        /* the handler took another way this time: its answer stands */
        unread = s->answer;
        s->answer = NULL;
        s->state = st = SCOPE_USED;
    }
    s->replaying = false;
    pthread_mutex_unlock(&s->mu);
    sfn_service_async_discard(unread);
    return st == SCOPE_WAITING || st == SCOPE_READY;
}

bool sfn_service_scope_abandon(sfn_service_scope *s)
{
    pthread_mutex_lock(&s->mu);
    bool waiting = s->state == SCOPE_WAITING;
    if (waiting)
        s->state = SCOPE_ABANDONED;
    pthread_mutex_unlock(&s->mu);
    return waiting;
}

void sfn_service_scope_free(sfn_service_scope *s)
{
    if (!s)
        return;
    if (current == s)
        current = NULL;
    pthread_mutex_lock(&s->mu);
    sfn_service_async *unread = s->state == SCOPE_READY ? s->answer : NULL;
    s->answer = NULL;
    if (s->state == SCOPE_WAITING)
        s->state = SCOPE_ABANDONED;
    pthread_mutex_unlock(&s->mu);
    sfn_service_async_discard(unread);
    scope_unref(s);
}
