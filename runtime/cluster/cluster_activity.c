/* cluster_activity.c: GetActivityTask when activity tasks wait in the
 * shared store's queue.  One thread hands tasks to the calls waiting on
 * this node, oldest call first: it takes a task from the queue, has the
 * execution's owner record ActivityStarted (here or routed), then answers.
 * It wakes on NOTIFY stepd_act, on a new call and at call deadlines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_internal.h"

/* Answers p: sync callers are woken, async ones called back (without the
 * lock held).  c->mu held on entry and on return. */
static void finish_locked(sfn_cluster *c, cluster_poller *p, sfn_rc rc)
{
    p->rc = rc;
    if (!p->async) {
        p->finished = true;
        pthread_cond_signal(&p->cv);
        return;
    }
    pthread_mutex_unlock(&c->mu);
    p->done(p->ud, p->p, rc);
    free(p);
    pthread_mutex_lock(&c->mu);
}

/* Takes the oldest poller of `arn` out of the list (c->mu held). */
static cluster_poller *take_poller(sfn_cluster *c, const char *arn)
{
    for (cluster_poller **pp = &c->pollers; *pp; pp = &(*pp)->next)
        if (!strcmp((*pp)->p->activity_arn, arn)) {
            cluster_poller *p = *pp;
            *pp = p->next;
            p->next = NULL;
            return p;
        }
    return NULL;
}

static void put_back(sfn_cluster *c, cluster_poller *p)
{
    p->next = c->pollers;
    c->pollers = p;
}

/* The execution's owner records that `worker` took the task. */
typedef struct started_in {
    const char *token, *worker;
    int64_t exec_id;
} started_in;

static int64_t started_locate(sfn_store *st, const void *in)
{
    (void)st;
    return ((const started_in *)in)->exec_id;
}

static sfn_rc started_local(sfn_cluster *c, const void *in, int64_t *stop_ms,
                            sfn_error *err)
{
    const started_in *t = in;
    (void)stop_ms;
    return sfn_engine_call_activity_started(c->engine, t->token, t->worker,
                                            err);
}

static json_t *started_body(const void *in)
{
    const started_in *t = in;
    return json_pack("{s:s,s:s?}", "token", t->token, "worker", t->worker);
}

static sfn_rc started(sfn_cluster *c, const char *token, const char *worker,
                      int64_t exec_id, sfn_error *err)
{
    static const route_ops ops = {CLUSTER_MSG_ACT_STARTED, started_locate,
                                  started_local, started_body};
    started_in in = {token, worker, exec_id};
    return cluster_route(c, c->as, &ops, &in, NULL, err);
}

/* Serves the pollers of one activity until its queue or its pollers run
 * out.  c->mu held on entry and on return. */
static void serve_activity(sfn_cluster *c, const char *arn)
{
    for (;;) {
        cluster_poller *p = take_poller(c, arn);
        if (!p)
            return;
        pthread_mutex_unlock(&c->mu);
        char *token = NULL, *input = NULL;
        int64_t exec_id = 0;
        sfn_error err;
        sfn_rc rc = sfn_store_pop_activity(c->as, arn, &token, &input,
                                           &exec_id, &err);
        if (rc == SFN_OK &&
            started(c, token, p->p->worker, exec_id, &err) != SFN_OK) {
            /* stale (the task ended or was taken) or its owner is gone:
             * the next task, if any, goes to the same caller */
            free(token);
            free(input);
            pthread_mutex_lock(&c->mu);
            put_back(c, p);
            continue;
        }
        pthread_mutex_lock(&c->mu);
        if (rc != SFN_OK) {
            if (rc != SFN_ENOTFOUND)
                fprintf(stderr, "stepd: activity queue: %s\n", err.cause);
            put_back(c, p);
            return;
        }
        p->p->token = token;
        p->p->input = input;
        c->stats.activity_tasks++;
        finish_locked(c, p, SFN_OK);
    }
}

/* Answers the pollers whose time is up; returns ms to the next deadline
 * (at most 1,000).  c->mu held. */
static int64_t expire(sfn_cluster *c, bool all)
{
    int64_t now = cluster_mono_ms(), next = 1000;
    cluster_poller **pp = &c->pollers;
    while (*pp) {
        cluster_poller *p = *pp;
        if (all || p->deadline <= now) {
            *pp = p->next;
            finish_locked(c, p, SFN_OK);
            pp = &c->pollers; /* the list may have changed meanwhile */
            continue;
        }
        if (p->deadline - now < next)
            next = p->deadline - now;
        pp = &p->next;
    }
    return next;
}

void *cluster_activity_main(void *ud)
{
    sfn_cluster *c = ud;
    pthread_mutex_lock(&c->mu);
    while (!c->stop) {
        uint64_t seen = c->act_seq;
        /* each activity with waiting calls, once per wake-up */
        char *arns[64];
        size_t n = 0;
        for (cluster_poller *p = c->pollers; p && n < 64; p = p->next) {
            bool dup = false;
            for (size_t i = 0; i < n && !dup; i++)
                dup = !strcmp(arns[i], p->p->activity_arn);
            if (!dup && (arns[n] = strdup(p->p->activity_arn)))
                n++;
        }
        for (size_t i = 0; i < n; i++) {
            serve_activity(c, arns[i]);
            free(arns[i]);
        }
        int64_t next = expire(c, false);
        if (c->act_seq == seen && !c->stop)
            cluster_wait_ms(&c->act_cv, &c->mu, next);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

void cluster_release_all(sfn_cluster *c)
{
    pthread_mutex_lock(&c->mu);
    expire(c, true);
    pthread_mutex_unlock(&c->mu);
}

void sfn_cluster_release_pollers(sfn_cluster *c)
{
    pthread_mutex_lock(&c->mu);
    c->draining = true;
    pthread_cond_broadcast(&c->answer_cv);
    pthread_mutex_unlock(&c->mu);
    cluster_release_all(c);
}

static sfn_rc enqueue(sfn_cluster *c, cluster_poller *p, sfn_error *err)
{
    p->p->token = p->p->input = NULL;
    p->deadline = cluster_mono_ms() +
                  (p->p->timeout_ms > 0 ? p->p->timeout_ms : 0);
    pthread_mutex_lock(&c->mu);
    size_t same = 0;
    cluster_poller **pp = &c->pollers;
    for (; *pp; pp = &(*pp)->next)
        same += !strcmp((*pp)->p->activity_arn, p->p->activity_arn);
    if (same >= SFN_ENGINE_POLLERS_MAX || c->stop) {
        pthread_mutex_unlock(&c->mu);
        if (c->stop)
            return sfn_error_set(err, SFN_EIO, "ServiceUnavailable", -1,
                                 "stepd is shutting down");
        return sfn_error_set(err, SFN_ELIMIT, "ActivityWorkerLimitExceeded",
                             -1,
                             "Activity Worker Limit Exceeded: %d "
                             "GetActivityTask calls already wait on '%s'",
                             SFN_ENGINE_POLLERS_MAX, p->p->activity_arn);
    }
    *pp = p; /* FIFO: the longest-waiting worker gets the next task */
    c->act_seq++;
    pthread_cond_signal(&c->act_cv);
    if (!p->async)
        while (!p->finished)
            pthread_cond_wait(&p->cv, &c->mu);
    pthread_mutex_unlock(&c->mu);
    return SFN_OK;
}

sfn_rc sfn_cluster_call_activity(sfn_cluster *c, sfn_activity_poll *p,
                                 sfn_error *err)
{
    sfn_error local;
    cluster_poller w = {.p = p, .err = err ? err : &local};
    sfn_error_clear(w.err);
    pthread_cond_init(&w.cv, NULL);
    sfn_rc rc = enqueue(c, &w, w.err);
    pthread_cond_destroy(&w.cv);
    return rc != SFN_OK ? rc : w.rc;
}

sfn_rc sfn_cluster_call_activity_async(sfn_cluster *c, sfn_activity_poll *p,
                                       sfn_error *err,
                                       sfn_activity_done_fn done, void *ud)
{
    sfn_error_clear(err);
    cluster_poller *w = calloc(1, sizeof *w);
    if (!w)
        return sfn_error_set(err, SFN_ENOMEM, "InternalFailure", -1,
                             "out of memory");
    *w = (cluster_poller){.p = p, .err = err, .async = true, .done = done,
                          .ud = ud};
    sfn_rc rc = enqueue(c, w, err);
    if (rc != SFN_OK)
        free(w);
    return rc;
}
