/* metrics.c: Prometheus exposition for stepd serve (sfn_metrics.h).  HTTP
 * latencies are kept per route in fixed buckets; engine figures are read
 * from the service when rendered, so nothing here runs on the engine's
 * path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sfn_metrics.h"

static const double bucket_le[SFN_METRICS_BUCKETS - 1] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1,    0.25,  0.5,    1.0,   2.5,  5.0};

void sfn_metrics_init(sfn_metrics *m)
{
    memset(m, 0, sizeof *m);
    pthread_mutex_init(&m->mu, NULL);
}

void sfn_metrics_destroy(sfn_metrics *m)
{
    if (m)
        pthread_mutex_destroy(&m->mu);
}

static sfn_metrics_hist *route_slot(sfn_metrics *m, const char *route)
{
    for (int i = 0; i < m->n_routes; i++)
        if (!strcmp(m->routes[i].route, route))
            return &m->routes[i];
    if (m->n_routes < SFN_METRICS_ROUTES - 1) {
        sfn_metrics_hist *h = &m->routes[m->n_routes++];
        snprintf(h->route, sizeof h->route, "%s", route);
        return h;
    }
    /* the last slot collects every route past the cap */
    sfn_metrics_hist *h = &m->routes[SFN_METRICS_ROUTES - 1];
    if (!h->route[0]) {
        snprintf(h->route, sizeof h->route, "other");
        m->n_routes = SFN_METRICS_ROUTES;
    }
    return h;
}

void sfn_metrics_observe(sfn_metrics *m, const char *route, int status,
                         double seconds)
{
    int b = 0;
    while (b < SFN_METRICS_BUCKETS - 1 && seconds > bucket_le[b])
        b++;
    pthread_mutex_lock(&m->mu);
    sfn_metrics_hist *h = route_slot(m, route && *route ? route : "unknown");
    h->counts[b]++;
    h->total++;
    h->sum_seconds += seconds;
    int cls = status / 100;
    if (cls >= 1 && cls <= 5)
        m->status_class[cls]++;
    pthread_mutex_unlock(&m->mu);
}

/* Route names contain spaces, braces and slashes but never quotes or
 * backslashes; escape them anyway as the format requires. */
static void label(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
}

static void counter(FILE *f, const char *name, const char *help, int64_t v)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s %lld\n", name, help,
            name, name, (long long)v);
}

static void gauge(FILE *f, const char *name, const char *help, int64_t v)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", name, help, name,
            name, (long long)v);
}

/* A Prometheus histogram from per-bucket counts (made cumulative here). */
static void engine_hist(FILE *f, const char *name, const char *help,
                        const int64_t *counts, const double *bounds,
                        double sum)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    int64_t cum = 0;
    for (int k = 0; k < SFN_ENGINE_HIST; k++) {
        cum += counts[k];
        if (k < SFN_ENGINE_HIST - 1)
            fprintf(f, "%s_bucket{le=\"%g\"} %lld\n", name, bounds[k],
                    (long long)cum);
        else
            fprintf(f, "%s_bucket{le=\"+Inf\"} %lld\n", name,
                    (long long)cum);
    }
    fprintf(f, "%s_sum %.6f\n%s_count %lld\n", name, sum, name,
            (long long)cum);
}

static void node_metric(FILE *f, const char *type, const char *name,
                        const char *help, const char *node, int64_t v)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s{node=\"%s\"} %lld\n", name,
            help, name, type, name, node, (long long)v);
}

/* Per node on a shared store (PostgreSQL): leases and routed calls. */
static void render_node(FILE *f, const sfn_service_stats *s, const char *n)
{
    node_metric(f, "gauge", "stepd_node_leases_held",
                "Running executions this node holds the lease of.", n,
                s->engine.lease_held);
    node_metric(f, "counter", "stepd_node_claims_total",
                "Executions claimed (at start and from dead nodes).", n,
                s->engine.lease_claims);
    node_metric(f, "counter", "stepd_node_takeovers_total",
                "Executions taken over from a node whose lease expired.", n,
                s->engine.lease_takeovers);
    node_metric(f, "counter", "stepd_node_lease_losses_total",
                "Executions found taken by another node (a commit refused "
                "by the fencing epoch).",
                n, s->engine.lease_lost);
    node_metric(f, "counter", "stepd_node_lease_renew_failures_total",
                "Node lease renewals that failed.", n,
                s->engine.lease_renew_failures);
    node_metric(f, "counter", "stepd_node_calls_routed_total",
                "Calls sent to the node holding the execution.", n,
                s->cluster.msgs_sent);
    node_metric(f, "counter", "stepd_node_calls_served_total",
                "Calls from other nodes acted on here.", n,
                s->cluster.msgs_served);
    node_metric(f, "counter", "stepd_node_activity_tasks_total",
                "Queued activity tasks handed to workers here.", n,
                s->cluster.activity_tasks);
}

static void render_service(FILE *f, sfn_service *svc)
{
    sfn_service_stats s = sfn_service_get_stats(svc);
    if (sfn_service_node_id(svc))
        render_node(f, &s, sfn_service_node_id(svc));
    counter(f, "stepd_executions_started_total", "Executions started.",
            s.executions_started);
    counter(f, "stepd_executions_succeeded_total", "Executions succeeded.",
            s.executions_succeeded);
    counter(f, "stepd_executions_failed_total", "Executions failed.",
            s.executions_failed);
    counter(f, "stepd_executions_timed_out_total", "Executions timed out.",
            s.executions_timed_out);
    counter(f, "stepd_executions_aborted_total", "Executions aborted.",
            s.executions_aborted);
    gauge(f, "stepd_executions_open", "Executions running now.",
          s.executions_open);
    counter(f, "stepd_transitions_total", "State transitions made.",
            s.engine.transitions);
    counter(f, "stepd_compensations_started_total",
            "Compensation runs started (stepd extension).",
            s.engine.comp_started);
    counter(f, "stepd_compensations_succeeded_total",
            "Compensation runs whose every step succeeded.",
            s.engine.comp_succeeded);
    counter(f, "stepd_compensations_failed_total",
            "Compensation runs with a step that failed for good.",
            s.engine.comp_failed);
    counter(f, "stepd_history_events_total", "History events committed.",
            s.engine.events);
    counter(f, "stepd_commits_total",
            "Group commits (one store transaction each).", s.engine.commits);
    engine_hist(f, "stepd_commit_batch_events",
                "History events written per group commit.",
                s.engine.commit_events,
                sfn_engine_hist_bounds(SFN_HIST_COMMIT_EVENTS),
                (double)s.engine.events);
    engine_hist(f, "stepd_commit_duration_seconds",
                "Duration of a group commit (write and COMMIT).",
                s.engine.commit_seconds,
                sfn_engine_hist_bounds(SFN_HIST_COMMIT_SECONDS),
                s.engine.commit_seconds_sum);
}

static void render_http(FILE *f, sfn_metrics *m)
{
    fputs("# HELP stepd_http_request_duration_seconds HTTP request latency "
          "by route.\n# TYPE stepd_http_request_duration_seconds "
          "histogram\n",
          f);
    for (int i = 0; i < m->n_routes; i++) {
        const sfn_metrics_hist *h = &m->routes[i];
        int64_t cum = 0;
        for (int b = 0; b < SFN_METRICS_BUCKETS; b++) {
            cum += h->counts[b];
            fputs("stepd_http_request_duration_seconds_bucket{route=\"", f);
            label(f, h->route);
            if (b < SFN_METRICS_BUCKETS - 1)
                fprintf(f, "\",le=\"%g\"} %lld\n", bucket_le[b],
                        (long long)cum);
            else
                fprintf(f, "\",le=\"+Inf\"} %lld\n", (long long)cum);
        }
        fputs("stepd_http_request_duration_seconds_sum{route=\"", f);
        label(f, h->route);
        fprintf(f, "\"} %.6f\n", h->sum_seconds);
        fputs("stepd_http_request_duration_seconds_count{route=\"", f);
        label(f, h->route);
        fprintf(f, "\"} %lld\n", (long long)h->total);
    }
    fputs("# HELP stepd_http_responses_total HTTP responses by status "
          "class.\n# TYPE stepd_http_responses_total counter\n",
          f);
    for (int c = 1; c <= 5; c++)
        fprintf(f, "stepd_http_responses_total{code=\"%dxx\"} %lld\n", c,
                (long long)m->status_class[c]);
}

char *sfn_metrics_render(sfn_metrics *m, sfn_service *svc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    if (svc)
        render_service(f, svc);
    pthread_mutex_lock(&m->mu);
    render_http(f, m);
    pthread_mutex_unlock(&m->mu);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
