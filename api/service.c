/* service.c: the service's plumbing: the engine thread, a pool of store
 * connections for calling threads, the compiled-graph cache, counters for
 * /metrics, and the dispatch of an action name to its handler. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service_async.h"
#include "service_internal.h"
#include "sfn_cluster.h"
#include "sfn_asl.h"
#include "sfn_events.h"

/* ---- store pool --------------------------------------------------------- */

static sfn_store *pool_take(sfn_service *svc, sfn_error *err)
{
    sfn_store *st = NULL;
    pthread_mutex_lock(&svc->pool_mu);
    if (svc->n_pool)
        st = svc->pool[--svc->n_pool];
    pthread_mutex_unlock(&svc->pool_mu);
    if (!st && sfn_store_open(svc->db_path, &svc->store_opts, &st, err) !=
                   SFN_OK)
        return NULL;
    return st;
}

static void pool_give(sfn_service *svc, sfn_store *st)
{
    pthread_mutex_lock(&svc->pool_mu);
    if (svc->n_pool == svc->cap_pool) {
        size_t cap = svc->cap_pool ? svc->cap_pool * 2 : 8;
        sfn_store **p = realloc(svc->pool, cap * sizeof *p);
        if (!p) {
            pthread_mutex_unlock(&svc->pool_mu);
            sfn_store_close(st);
            return;
        }
        svc->pool = p;
        svc->cap_pool = cap;
    }
    svc->pool[svc->n_pool++] = st;
    pthread_mutex_unlock(&svc->pool_mu);
}

sfn_store *svc_store_take(sfn_service *svc, sfn_error *err)
{
    return pool_take(svc, err);
}

void svc_store_give(sfn_service *svc, sfn_store *st)
{
    pool_give(svc, st);
}

/* ---- compiled graphs ---------------------------------------------------- */

bool svc_compile(const char *definition, bool express, sfn_graph **graph_out,
                 sfn_error *err)
{
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_asl_opts o = {.express = express};
    sfn_graph *g = NULL;
    sfn_rc rc = sfn_asl_compile_text(definition, strlen(definition), &o, &d,
                                     &g);
    if (rc == SFN_OK) {
        sfn_diags_free(&d);
        if (graph_out)
            *graph_out = g;
        else
            sfn_graph_unref(g);
        return true;
    }
    /* AWS: 'CODE: detail at /States/X/Field', errors joined */
    char msg[SFN_ERROR_CAUSE_MAX];
    size_t n = (size_t)snprintf(msg, sizeof msg,
                                "Invalid State Machine Definition: '");
    bool first = true;
    for (size_t i = 0; i < d.count && n < sizeof msg; i++) {
        const sfn_diag *x = &d.items[i];
        if (x->severity != SFN_SEV_ERROR)
            continue;
        n += (size_t)snprintf(msg + n, sizeof msg - n, "%s%s: %s at %s",
                              first ? "" : ", ", x->code, x->message,
                              x->location[0] ? x->location : "/");
        first = false;
    }
    if (first && n < sizeof msg)
        n += (size_t)snprintf(msg + n, sizeof msg - n, "%s",
                              rc == SFN_ENOMEM ? "out of memory" : "invalid");
    if (n < sizeof msg)
        snprintf(msg + n, sizeof msg - n, "'");
    else
        strcpy(msg + sizeof msg - 5, "...'");
    sfn_diags_free(&d);
    svc_fail(err, "InvalidDefinition", "%s", msg);
    return false;
}

static void cache_key(char *buf, size_t size, const char *machine,
                      int64_t revision)
{
    snprintf(buf, size, "%lld:%s", (long long)revision, machine);
}

sfn_graph *svc_graph(sfn_service *svc, sfn_store *st, const char *machine,
                     int64_t revision, sfn_error *err)
{
    char key[320];
    cache_key(key, sizeof key, machine, revision);
    pthread_mutex_lock(&svc->cache_mu);
    json_t *hit = json_object_get(svc->cache, key);
    sfn_graph *g = hit ? sfn_graph_ref((sfn_graph *)(intptr_t)
                                           json_integer_value(hit))
                       : NULL;
    pthread_mutex_unlock(&svc->cache_mu);
    if (g)
        return g;
    sfn_machine_rec m = {0};
    if (sfn_store_get_machine(st, machine, revision, &m, err) != SFN_OK)
        return NULL;
    bool ok = svc_compile(m.definition, !strcmp(m.type, "EXPRESS"), &g, err);
    sfn_machine_rec_free(&m);
    if (!ok)
        return NULL;
    pthread_mutex_lock(&svc->cache_mu);
    hit = json_object_get(svc->cache, key);
    if (hit) { /* another thread compiled it meanwhile: use theirs */
        sfn_graph_unref(g);
        g = sfn_graph_ref((sfn_graph *)(intptr_t)json_integer_value(hit));
    } else if (json_object_set_new(svc->cache, key,
                                   json_integer((json_int_t)(intptr_t)g)) ==
               0) {
        sfn_graph_ref(g);
    }
    pthread_mutex_unlock(&svc->cache_mu);
    return g;
}

void svc_graph_forget(sfn_service *svc, const char *machine)
{
    pthread_mutex_lock(&svc->cache_mu);
    const char *key;
    json_t *v, *tmp;
    json_object_foreach_safe(svc->cache, tmp, key, v)
    {
        const char *colon = strchr(key, ':');
        if (colon && !strcmp(colon + 1, machine)) {
            sfn_graph_unref((sfn_graph *)(intptr_t)json_integer_value(v));
            json_object_del(svc->cache, key);
        }
    }
    pthread_mutex_unlock(&svc->cache_mu);
}

static sfn_graph *engine_loader(void *ud, const char *machine,
                                int64_t revision, sfn_error *err)
{
    sfn_service *svc = ud;
    sfn_store *st = pool_take(svc, err);
    if (!st)
        return NULL;
    sfn_graph *g = svc_graph(svc, st, machine, revision, err);
    pool_give(svc, st);
    return g;
}

/* ---- counters ----------------------------------------------------------- */

/* On the engine thread, after each commit: the engine's own counters are
 * only safe to read there, so they are copied here under the lock. */
static void observe(void *ud, const sfn_execution *x, const sfn_event *ev)
{
    (void)x;
    sfn_service *svc = ud;
    pthread_mutex_lock(&svc->stats_mu);
    sfn_service_stats *s = &svc->stats;
    switch (ev->type) {
    case SFN_EV_ExecutionStarted:
        s->executions_started++;
        s->executions_open++;
        break;
    case SFN_EV_ExecutionSucceeded:
        s->executions_succeeded++;
        s->executions_open--;
        break;
    case SFN_EV_ExecutionFailed:
        s->executions_failed++;
        s->executions_open--;
        break;
    case SFN_EV_ExecutionTimedOut:
        s->executions_timed_out++;
        s->executions_open--;
        break;
    case SFN_EV_ExecutionAborted:
        s->executions_aborted++;
        s->executions_open--;
        break;
    default:
        break;
    }
    s->engine = sfn_engine_get_stats(svc->engine);
    if (svc->cluster)
        s->cluster = sfn_cluster_get_stats(svc->cluster);
    pthread_mutex_unlock(&svc->stats_mu);
}

sfn_service_stats sfn_service_get_stats(sfn_service *svc)
{
    pthread_mutex_lock(&svc->stats_mu);
    sfn_service_stats s = svc->stats;
    pthread_mutex_unlock(&svc->stats_mu);
    return s;
}

int64_t svc_open_executions(sfn_service *svc)
{
    return sfn_service_get_stats(svc).executions_open;
}

const char *sfn_service_region(const sfn_service *svc) { return svc->region; }
const char *sfn_service_node_id(const sfn_service *svc)
{
    return svc->cluster ? sfn_store_node_id(svc->engine_store) : NULL;
}
const char *sfn_service_account(const sfn_service *svc)
{
    return svc->account;
}

/* ---- calls on one execution (routed on a shared store) ------------------- */

sfn_rc svc_call_stop(sfn_service *svc, sfn_store *st, const char *arn,
                     const char *error, const char *cause, bool compensate,
                     int64_t *stop_ms, sfn_error *err)
{
    if (svc->cluster)
        return sfn_cluster_call_stop(svc->cluster, st, arn, error, cause,
                                     compensate, stop_ms, err);
    return sfn_engine_call_stop_ex(svc->engine, arn, error, cause, compensate,
                                   stop_ms, err);
}

sfn_rc svc_call_task(sfn_service *svc, sfn_store *st, const char *token,
                     sfn_task_verb verb, json_t *output, const char *error,
                     const char *cause, sfn_error *err)
{
    if (svc->cluster)
        return sfn_cluster_call_task(svc->cluster, st, token, verb, output,
                                     error, cause, err);
    return sfn_engine_call_task(svc->engine, token, verb, output, error,
                                cause, err);
}

sfn_rc svc_call_activity(sfn_service *svc, sfn_activity_poll *p,
                         sfn_error *err)
{
    if (svc->cluster)
        return sfn_cluster_call_activity(svc->cluster, p, err);
    return sfn_engine_call_activity(svc->engine, p, err);
}

sfn_rc svc_call_activity_async(sfn_service *svc, sfn_activity_poll *p,
                               sfn_error *err, sfn_activity_done_fn done,
                               void *ud)
{
    if (svc->cluster)
        return sfn_cluster_call_activity_async(svc->cluster, p, err, done,
                                               ud);
    return sfn_engine_call_activity_async(svc->engine, p, err, done, ud);
}

/* ---- lifecycle ---------------------------------------------------------- */

static void *engine_thread(void *ud)
{
    sfn_service *svc = ud;
    sfn_error err;
    sfn_error_clear(&err);
    if (sfn_engine_serve(svc->engine, &svc->stop, &err) != SFN_OK)
        fprintf(stderr, "stepd: engine stopped: %s\n", err.cause);
    return NULL;
}

static sfn_rc service_init(sfn_service *svc, const sfn_service_opts *o,
                           sfn_error *err)
{
    svc->store_opts.sync = o->sync;
    snprintf(svc->region, sizeof svc->region, "%s",
             o->region && *o->region ? o->region : "us-east-1");
    snprintf(svc->account, sizeof svc->account, "%s",
             o->account && *o->account ? o->account : "123456789012");
    svc->limits = o->limits;
    if (!svc->limits.history_events_max || !svc->limits.payload_bytes_max) {
        sfn_exec_limits d = sfn_exec_limits_default();
        if (!svc->limits.history_events_max)
            svc->limits.history_events_max = d.history_events_max;
        if (!svc->limits.payload_bytes_max)
            svc->limits.payload_bytes_max = d.payload_bytes_max;
    }
    svc->max_open = o->max_open_executions > 0 ? o->max_open_executions
                                               : 1000000;
    svc->tasks = o->tasks;
    svc->db_path = strdup(o->db_path ? o->db_path : "stepd.db");
    svc->cache = json_object();
    if (!svc->db_path || !svc->cache)
        return sfn_error_set(err, SFN_ENOMEM, "InternalFailure", -1,
                             "out of memory");
    sfn_store_opts eso = svc->store_opts;
    eso.engine = true; /* SQLite: a second stepd on this database is
                          refused; PostgreSQL: this node registers */
    eso.node_id = o->node_id;
    eso.lease_ms = o->lease_ms;
    sfn_rc rc = sfn_store_open(svc->db_path, &eso, &svc->engine_store, err);
    if (rc != SFN_OK)
        return rc;
    int64_t open = 0;
    if ((rc = sfn_store_count_executions(svc->engine_store, 0, &open, err)) !=
        SFN_OK)
        return rc;
    svc->stats.executions_open = open;
    sfn_engine_opts eo = {.store = svc->engine_store,
                          .limits = svc->limits,
                          .region = svc->region,
                          .account = svc->account,
                          .load_graph = engine_loader,
                          .load_ud = svc,
                          .observer = observe,
                          .observer_ud = svc,
                          .tasks = o->tasks,
                          .lease_ms = o->lease_ms};
    svc->engine = sfn_engine_new(&eo, err);
    if (!svc->engine)
        return err && err->rc ? err->rc : SFN_ENOMEM;
    if (sfn_store_shared(svc->engine_store)) {
        /* the API's connections post routed calls in this node's name */
        if (!(svc->node_id = strdup(sfn_store_node_id(svc->engine_store))))
            return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
        svc->store_opts.node_id = svc->node_id;
        /* the cluster is up before the engine claims anything, so calls
         * routed here find a server */
        sfn_cluster_opts co = {.db_spec = svc->db_path,
                               .engine = svc->engine,
                               .node_id =
                                   sfn_store_node_id(svc->engine_store)};
        if (!(svc->cluster = sfn_cluster_start(&co, err)))
            return err && err->rc ? err->rc : SFN_ENOMEM;
        sfn_engine_set_on_claim(svc->engine, sfn_cluster_claimed,
                                svc->cluster);
    }
    if (pthread_create(&svc->thread, NULL, engine_thread, svc))
        return sfn_error_set(err, SFN_EIO, "InternalFailure", -1,
                             "cannot start the engine thread");
    svc->thread_started = true;
    return SFN_OK;
}

sfn_service *sfn_service_new(const sfn_service_opts *opts, sfn_error *err)
{
    sfn_service_opts defaults = {0};
    sfn_service *svc = calloc(1, sizeof *svc);
    if (!svc) {
        sfn_error_set(err, SFN_ENOMEM, "InternalFailure", -1,
                      "out of memory");
        return NULL;
    }
    pthread_mutex_init(&svc->pool_mu, NULL);
    pthread_mutex_init(&svc->cache_mu, NULL);
    pthread_mutex_init(&svc->stats_mu, NULL);
    if (service_init(svc, opts ? opts : &defaults, err) != SFN_OK) {
        sfn_service_free(svc);
        return NULL;
    }
    return svc;
}

void sfn_service_free(sfn_service *svc)
{
    if (!svc)
        return;
    if (svc->thread_started) {
        svc->stop = 1;
        sfn_engine_wake(svc->engine);
        pthread_join(svc->thread, NULL);
    }
    /* the cluster's threads call into the engine: they are answered (and
     * refused from now on) before they are joined, then the engine goes */
    if (svc->engine)
        sfn_engine_close_calls(svc->engine);
    sfn_cluster_free(svc->cluster);
    sfn_engine_free(svc->engine);
    sfn_store_close(svc->engine_store);
    for (size_t i = 0; i < svc->n_pool; i++)
        sfn_store_close(svc->pool[i]);
    free(svc->pool);
    const char *key;
    json_t *v;
    json_object_foreach(svc->cache, key, v)
        sfn_graph_unref((sfn_graph *)(intptr_t)json_integer_value(v));
    json_decref(svc->cache);
    free(svc->db_path);
    free(svc->node_id);
    pthread_mutex_destroy(&svc->pool_mu);
    pthread_mutex_destroy(&svc->cache_mu);
    pthread_mutex_destroy(&svc->stats_mu);
    free(svc);
}

/* ---- dispatch ----------------------------------------------------------- */

static const struct {
    const char *name;
    svc_action_fn fn;
} actions[] = {
#define SVC__ENTRY(n) {#n, svc_##n},
    SVC_ACTIONS(SVC__ENTRY)
#undef SVC__ENTRY
};

json_t *sfn_service_call(sfn_service *svc, const char *action,
                         json_t *request, sfn_error *err)
{
    sfn_error local;
    if (!err)
        err = &local;
    sfn_error_clear(err);
    json_t *out = NULL;
    if (svc_scope_call(svc, action, request, &out, err))
        return out;
    return svc_call_now(svc, action, request, err);
}

json_t *svc_call_now(sfn_service *svc, const char *action, json_t *request,
                     sfn_error *err)
{
    svc_action_fn fn = NULL;
    for (size_t i = 0; action && i < sizeof actions / sizeof actions[0]; i++)
        if (!strcmp(actions[i].name, action))
            fn = actions[i].fn;
    if (!fn)
        return svc_fail(err, "UnknownOperationException",
                        "Unknown operation: '%s'", action ? action : "");
    if (!json_is_object(request))
        return svc_fail(err, "SerializationException",
                        "The request body must be a JSON object");
    sfn_store *st = pool_take(svc, err);
    if (!st)
        return svc_internal(err);
    json_t *out = fn(svc, st, request, err);
    /* a failed action may have left a transaction open */
    sfn_store_rollback(st);
    pool_give(svc, st);
    if (!out && !err->name[0])
        svc_internal(err);
    return out;
}

int sfn_service_http_status(const char *error_type)
{
    if (!error_type)
        return 500;
    static const char *const server[] = {"InternalFailure",
                                         "ServiceException", "InternalError",
                                         NULL};
    for (size_t i = 0; server[i]; i++)
        if (!strcmp(error_type, server[i]))
            return 500;
    if (!strcmp(error_type, "ServiceUnavailable"))
        return 503;
    if (!strcmp(error_type, "UnrecognizedClientException") ||
        !strcmp(error_type, "InvalidSignatureException") ||
        !strcmp(error_type, "MissingAuthenticationTokenException") ||
        !strcmp(error_type, "IncompleteSignatureException"))
        return 403;
    return 400;
}
