/* cluster.c: routing calls between the nodes sharing a PostgreSQL store:
 * the listener thread (NOTIFY), the message server (acts on calls other
 * nodes route here), and routed calls made from API threads.  The
 * activity thread lives in cluster_activity.c. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster_internal.h"
#include "sfn_json.h"

int64_t cluster_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* pthread_cond_timedwait on CLOCK_REALTIME for ms from now. */
void cluster_wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(cv, mu, &ts);
}

/* ---- listener ------------------------------------------------------------ */

static void on_note(const char *channel, const char *payload, void *ud)
{
    (void)payload;
    sfn_cluster *c = ud;
    pthread_mutex_lock(&c->mu);
    if (!strncmp(channel, "stepd_n_", 8)) {
        c->msg_seq++;
        pthread_cond_signal(&c->msg_cv);
    } else if (!strncmp(channel, "stepd_r_", 8)) {
        c->answer_seq++;
        pthread_cond_broadcast(&c->answer_cv);
    } else if (!strcmp(channel, "stepd_act")) {
        c->act_seq++;
        pthread_cond_signal(&c->act_cv);
    }
    pthread_mutex_unlock(&c->mu);
}

/* Connections of this node's threads carry its id: messages they post
 * name it as the sender, and it is whose messages they take. */
static sfn_rc open_conn(sfn_cluster *c, sfn_store **out, sfn_error *err)
{
    sfn_store_opts o = {.node_id = c->node};
    return sfn_store_open(c->spec, &o, out, err);
}

static sfn_rc listen_all(sfn_cluster *c, sfn_error *err)
{
    char ch[96];
    sfn_rc rc = open_conn(c, &c->ls, err);
    snprintf(ch, sizeof ch, "stepd_n_%s", c->node);
    if (rc == SFN_OK)
        rc = sfn_store_listen(c->ls, ch, err);
    snprintf(ch, sizeof ch, "stepd_r_%s", c->node);
    if (rc == SFN_OK)
        rc = sfn_store_listen(c->ls, ch, err);
    if (rc == SFN_OK)
        rc = sfn_store_listen(c->ls, "stepd_act", err);
    return rc;
}

/* Everything may have been missed while the connection was down: every
 * waiter looks again. */
static void wake_all(sfn_cluster *c)
{
    pthread_mutex_lock(&c->mu);
    c->msg_seq++;
    c->answer_seq++;
    c->act_seq++;
    pthread_cond_signal(&c->msg_cv);
    pthread_cond_broadcast(&c->answer_cv);
    pthread_cond_signal(&c->act_cv);
    pthread_mutex_unlock(&c->mu);
}

static bool stopping(sfn_cluster *c)
{
    pthread_mutex_lock(&c->mu);
    bool s = c->stop;
    pthread_mutex_unlock(&c->mu);
    return s;
}

static void *listener_main(void *ud)
{
    sfn_cluster *c = ud;
    sfn_error err;
    while (!stopping(c)) {
        struct pollfd pfd = {sfn_store_notify_fd(c->ls), POLLIN, 0};
        if (pfd.fd >= 0)
            poll(&pfd, 1, 250);
        if (pfd.fd >= 0 &&
            sfn_store_notifications(c->ls, on_note, c, &err) == SFN_OK)
            continue;
        fprintf(stderr, "stepd: node %s lost its notification connection: "
                        "%s; reconnecting\n",
                c->node, pfd.fd < 0 ? "no socket" : err.cause);
        sfn_store_close(c->ls);
        c->ls = NULL;
        while (!stopping(c) && listen_all(c, &err) != SFN_OK) {
            sfn_store_close(c->ls);
            c->ls = NULL;
            pthread_mutex_lock(&c->mu);
            if (!c->stop)
                cluster_wait_ms(&c->msg_cv, &c->mu, 1000);
            pthread_mutex_unlock(&c->mu);
        }
        wake_all(c);
    }
    return NULL;
}

/* ---- message server ------------------------------------------------------ */

typedef struct msg_list {
    sfn_store_msg *m;
    size_t n, cap;
} msg_list;

static int keep_msg(const sfn_store_msg *m, void *ud)
{
    msg_list *l = ud;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        sfn_store_msg *p = realloc(l->m, cap * sizeof *p);
        if (!p)
            return 1;
        l->m = p;
        l->cap = cap;
    }
    sfn_store_msg *d = &l->m[l->n++];
    *d = *m;
    d->from_node = m->from_node ? strdup(m->from_node) : NULL;
    d->body = m->body ? strdup(m->body) : NULL;
    return 0;
}

/* Acts on one routed call with this node's engine; the answer as JSON
 * text (malloc'd). */
static char *serve_one(sfn_cluster *c, const sfn_store_msg *m)
{
    json_error_t je;
    json_t *b = m->body ? json_loads(m->body, 0, &je) : NULL;
    sfn_error err;
    sfn_error_clear(&err);
    int64_t stop_ms = 0;
    sfn_rc rc;
    const char *token = json_string_value(json_object_get(b, "token"));
    const char *error = json_string_value(json_object_get(b, "error"));
    const char *cause = json_string_value(json_object_get(b, "cause"));
    switch (m->kind) {
    case CLUSTER_MSG_TASK:
        rc = sfn_engine_call_task(
            c->engine, token,
            (sfn_task_verb)json_integer_value(json_object_get(b, "verb")),
            json_object_get(b, "output"), error, cause, &err);
        break;
    case CLUSTER_MSG_STOP:
        rc = sfn_engine_call_stop_ex(
            c->engine, json_string_value(json_object_get(b, "arn")), error,
            cause, json_is_true(json_object_get(b, "compensate")), &stop_ms,
            &err);
        break;
    case CLUSTER_MSG_ACT_STARTED:
        rc = sfn_engine_call_activity_started(
            c->engine, token,
            json_string_value(json_object_get(b, "worker")), &err);
        break;
    default:
        rc = sfn_error_set(&err, SFN_EINVAL, "InternalFailure", -1,
                           "unknown message kind %d", m->kind);
    }
    json_decref(b);
    json_t *a = json_pack("{s:i,s:s,s:s,s:I}", "rc", (int)rc, "name",
                          err.name, "cause", rc == SFN_OK ? "" : err.cause,
                          "stop_ms", (json_int_t)stop_ms);
    char *text = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    return text;
}

static void serve_msgs(sfn_cluster *c)
{
    msg_list l = {0};
    sfn_error err;
    if (sfn_store_take_msgs(c->ss, keep_msg, &l, &err) != SFN_OK)
        fprintf(stderr, "stepd: node %s cannot read its messages: %s\n",
                c->node, err.cause);
    for (size_t i = 0; i < l.n; i++) {
        char *answer = serve_one(c, &l.m[i]);
        if (!answer ||
            sfn_store_answer_msg(c->ss, l.m[i].id, answer, &err) != SFN_OK)
            fprintf(stderr, "stepd: node %s cannot answer message %lld: %s\n",
                    c->node, (long long)l.m[i].id,
                    answer ? err.cause : "out of memory");
        free(answer);
        free(l.m[i].from_node);
        free(l.m[i].body);
        pthread_mutex_lock(&c->mu);
        c->stats.msgs_served++;
        pthread_mutex_unlock(&c->mu);
    }
    free(l.m);
}

/* Woken by NOTIFY; also looks every few seconds, for a call posted to a
 * node that died before taking it (this node may have claimed its
 * executions) and for notifications lost with a connection. */
#define SERVER_SWEEP_MS 2000

static void *server_main(void *ud)
{
    sfn_cluster *c = ud;
    uint64_t seen = 0;
    bool first = true;
    for (;;) {
        pthread_mutex_lock(&c->mu);
        if (!first && c->msg_seq == seen && !c->stop)
            cluster_wait_ms(&c->msg_cv, &c->mu, SERVER_SWEEP_MS);
        first = false;
        bool stop = c->stop;
        seen = c->msg_seq;
        pthread_mutex_unlock(&c->mu);
        if (stop)
            return NULL;
        serve_msgs(c);
    }
}

void sfn_cluster_claimed(void *cluster, size_t n)
{
    sfn_cluster *c = cluster;
    (void)n;
    pthread_mutex_lock(&c->mu);
    c->msg_seq++;
    pthread_cond_signal(&c->msg_cv);
    pthread_mutex_unlock(&c->mu);
}

/* ---- routed calls -------------------------------------------------------- */

static sfn_rc unavailable(sfn_error *err, const char *fmt, const char *what)
{
    return sfn_error_set(err, SFN_EIO, "ServiceUnavailable", -1, fmt, what);
}

sfn_rc cluster_remote(sfn_cluster *c, sfn_store *st, const char *node,
                      int64_t exec_id, int kind, json_t *body,
                      int64_t *stop_ms, sfn_error *err)
{
    char *text = json_dumps(body, JSON_COMPACT);
    int64_t id = 0;
    sfn_rc rc = text ? sfn_store_post_msg(st, node, exec_id, kind, text, &id,
                                          err)
                     : sfn_error_set(err, SFN_ENOMEM, "InternalFailure", -1,
                                     "out of memory");
    free(text);
    if (rc != SFN_OK)
        return rc;
    pthread_mutex_lock(&c->mu);
    c->stats.msgs_sent++;
    pthread_mutex_unlock(&c->mu);
    int64_t deadline = cluster_mono_ms() + c->o.call_timeout_ms;
    char *answer = NULL;
    for (;;) {
        pthread_mutex_lock(&c->mu);
        uint64_t seq = c->answer_seq;
        bool stop = c->stop || c->draining;
        pthread_mutex_unlock(&c->mu);
        if (stop)
            return unavailable(err, "node %s is shutting down", c->node);
        if ((rc = sfn_store_get_answer(st, id, &answer, err)) != SFN_OK)
            return rc;
        if (answer)
            break;
        int64_t left = deadline - cluster_mono_ms();
        if (left <= 0)
            return unavailable(err,
                               "node %s did not answer in time; the call "
                               "may still take effect",
                               node);
        pthread_mutex_lock(&c->mu);
        /* a notification names some answer: look again; the timeout
         * only bounds a notification lost with a connection */
        if (c->answer_seq == seq && !c->stop && !c->draining)
            cluster_wait_ms(&c->answer_cv, &c->mu, left < 1000 ? left : 1000);
        pthread_mutex_unlock(&c->mu);
    }
    json_error_t je;
    json_t *a = json_loads(answer, 0, &je);
    free(answer);
    rc = (sfn_rc)json_integer_value(json_object_get(a, "rc"));
    if (rc != SFN_OK)
        sfn_error_set(err, rc,
                      json_string_value(json_object_get(a, "name")), -1, "%s",
                      json_string_value(json_object_get(a, "cause"))
                          ? json_string_value(json_object_get(a, "cause"))
                          : "");
    if (stop_ms)
        *stop_ms = json_integer_value(json_object_get(a, "stop_ms"));
    json_decref(a);
    return a ? rc : sfn_error_set(err, SFN_EIO, "InternalFailure", -1,
                                  "malformed answer from node %s", node);
}

/* The node to send a call on execution `id` to: NULL = act here (this
 * node owns it, or it is not running and the engine answers why). */
char *cluster_owner(sfn_cluster *c, sfn_store *st, int64_t id)
{
    char *node = NULL;
    bool alive = false;
    sfn_error err;
    if (sfn_store_exec_owner(st, id, &node, &alive, &err) != SFN_OK ||
        (node && !strcmp(node, c->node))) {
        free(node);
        return NULL;
    }
    return node;
}

/* A lease moves while a call travels: look up the owner again, a few
 * times, with a short pause (a takeover settles within a claim period). */
#define ROUTE_TRIES 8

static void route_pause(int attempt)
{
    struct timespec ts = {0, (long)(attempt + 1) * 50 * 1000000L};
    nanosleep(&ts, NULL);
}

sfn_rc cluster_route(sfn_cluster *c, sfn_store *st, const route_ops *ops,
                     const void *in, int64_t *stop_ms, sfn_error *err)
{
    sfn_rc rc = SFN_ELEASE;
    for (int i = 0; i < ROUTE_TRIES && rc == SFN_ELEASE; i++) {
        if (i)
            route_pause(i);
        int64_t id = ops->locate(st, in);
        char *node = id ? cluster_owner(c, st, id) : NULL;
        sfn_error_clear(err);
        if (!node) {
            rc = ops->local(c, in, stop_ms, err);
            continue;
        }
        json_t *body = ops->body(in);
        rc = body ? cluster_remote(c, st, node, id, ops->kind, body, stop_ms,
                                   err)
                  : sfn_error_set(err, SFN_ENOMEM, "InternalFailure", -1,
                                  "out of memory");
        json_decref(body);
        free(node);
    }
    return rc;
}

typedef struct task_in {
    const char *token;
    sfn_task_verb verb;
    json_t *output;
    const char *error, *cause;
} task_in;

static int64_t task_locate(sfn_store *st, const void *in)
{
    const task_in *t = in;
    sfn_token_rec r = {0};
    sfn_error err;
    int64_t id = sfn_store_get_token(st, t->token, &r, &err) == SFN_OK &&
                         r.status == SFN_TOKEN_OPEN
                     ? r.exec_id
                     : 0;
    sfn_token_rec_free(&r);
    return id;
}

static sfn_rc task_local(sfn_cluster *c, const void *in, int64_t *stop_ms,
                         sfn_error *err)
{
    const task_in *t = in;
    (void)stop_ms;
    return sfn_engine_call_task(c->engine, t->token, t->verb, t->output,
                                t->error, t->cause, err);
}

static json_t *task_body(const void *in)
{
    const task_in *t = in;
    return json_pack("{s:s,s:i,s:O?,s:s?,s:s?}", "token", t->token, "verb",
                     (int)t->verb, "output", t->output, "error", t->error,
                     "cause", t->cause);
}

sfn_rc sfn_cluster_call_task(sfn_cluster *c, sfn_store *st, const char *token,
                             sfn_task_verb verb, json_t *output,
                             const char *error, const char *cause,
                             sfn_error *err)
{
    static const route_ops ops = {CLUSTER_MSG_TASK, task_locate, task_local,
                                  task_body};
    task_in in = {token, verb, output, error, cause};
    return cluster_route(c, st, &ops, &in, NULL, err);
}

typedef struct stop_in {
    const char *arn, *error, *cause;
    bool compensate;
} stop_in;

static int64_t stop_locate(sfn_store *st, const void *in)
{
    const stop_in *t = in;
    sfn_exec_rec r = {0};
    sfn_error err;
    int64_t id = sfn_store_get_execution(st, t->arn, &r, &err) == SFN_OK &&
                         r.status == SFN_STORE_RUNNING
                     ? r.id
                     : 0;
    sfn_exec_rec_free(&r);
    return id;
}

static sfn_rc stop_local(sfn_cluster *c, const void *in, int64_t *stop_ms,
                         sfn_error *err)
{
    const stop_in *t = in;
    return sfn_engine_call_stop_ex(c->engine, t->arn, t->error, t->cause,
                                   t->compensate, stop_ms, err);
}

static json_t *stop_body(const void *in)
{
    const stop_in *t = in;
    return json_pack("{s:s,s:s?,s:s?,s:b}", "arn", t->arn, "error", t->error,
                     "cause", t->cause, "compensate", t->compensate);
}

sfn_rc sfn_cluster_call_stop(sfn_cluster *c, sfn_store *st, const char *arn,
                             const char *error, const char *cause,
                             bool compensate, int64_t *stop_ms,
                             sfn_error *err)
{
    static const route_ops ops = {CLUSTER_MSG_STOP, stop_locate, stop_local,
                                  stop_body};
    stop_in in = {arn, error, cause, compensate};
    return cluster_route(c, st, &ops, &in, stop_ms, err);
}

/* ---- life ---------------------------------------------------------------- */

sfn_cluster_stats sfn_cluster_get_stats(sfn_cluster *c)
{
    pthread_mutex_lock(&c->mu);
    sfn_cluster_stats s = c->stats;
    pthread_mutex_unlock(&c->mu);
    return s;
}

sfn_cluster *sfn_cluster_start(const sfn_cluster_opts *o, sfn_error *err)
{
    sfn_cluster *c = calloc(1, sizeof *c);
    if (!c) {
        sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
        return NULL;
    }
    c->o = *o;
    if (c->o.call_timeout_ms <= 0)
        c->o.call_timeout_ms = 60000;
    c->spec = strdup(o->db_spec);
    c->node = strdup(o->node_id ? o->node_id : "");
    c->engine = o->engine;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->msg_cv, NULL);
    pthread_cond_init(&c->answer_cv, NULL);
    pthread_cond_init(&c->act_cv, NULL);
    if (!c->spec || !c->node || listen_all(c, err) != SFN_OK ||
        open_conn(c, &c->ss, err) != SFN_OK ||
        open_conn(c, &c->as, err) != SFN_OK) {
        if (err && !err->rc)
            sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
        sfn_cluster_free(c);
        return NULL;
    }
    if (pthread_create(&c->listener, NULL, listener_main, c) == 0)
        c->threads |= 1;
    if (pthread_create(&c->server, NULL, server_main, c) == 0)
        c->threads |= 2;
    if (pthread_create(&c->activity, NULL, cluster_activity_main, c) == 0)
        c->threads |= 4;
    if (c->threads != 7) {
        sfn_error_set(err, SFN_EIO, NULL, -1, "cannot start cluster threads");
        sfn_cluster_free(c);
        return NULL;
    }
    return c;
}

void sfn_cluster_free(sfn_cluster *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_cond_broadcast(&c->msg_cv);
    pthread_cond_broadcast(&c->answer_cv);
    pthread_cond_broadcast(&c->act_cv);
    pthread_mutex_unlock(&c->mu);
    if (c->threads & 1)
        pthread_join(c->listener, NULL);
    if (c->threads & 2)
        pthread_join(c->server, NULL);
    if (c->threads & 4)
        pthread_join(c->activity, NULL);
    cluster_release_all(c);
    sfn_store_close(c->ls);
    sfn_store_close(c->ss);
    sfn_store_close(c->as);
    pthread_cond_destroy(&c->msg_cv);
    pthread_cond_destroy(&c->answer_cv);
    pthread_cond_destroy(&c->act_cv);
    pthread_mutex_destroy(&c->mu);
    free(c->spec);
    free(c->node);
    free(c);
}
