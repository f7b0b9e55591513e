/* sfn_metrics.h: the counters and histograms of stepd serve, rendered in
 * the Prometheus text format for GET /metrics: HTTP request latency per
 * route (a histogram), requests by status class, and the engine and
 * execution counters the service reports (sfn_service_get_stats).
 *
 * Threading: sfn_metrics_observe is safe from any thread (one mutex, held
 * for a few additions). */
#ifndef SFN_METRICS_H
#define SFN_METRICS_H

#include <pthread.h>
#include <stdint.h>

#include "sfn_service.h"

#define SFN_METRICS_BUCKETS 14
#define SFN_METRICS_ROUTES 64

typedef struct sfn_metrics_hist {
    char route[96];
    int64_t counts[SFN_METRICS_BUCKETS]; /* per bucket, not cumulative    */
    int64_t total;
    double sum_seconds;
} sfn_metrics_hist;

typedef struct sfn_metrics {
    pthread_mutex_t mu;
    sfn_metrics_hist routes[SFN_METRICS_ROUTES];
    int n_routes;
    int64_t status_class[6];             /* [2] = 2xx ... [5] = 5xx        */
} sfn_metrics;

void sfn_metrics_init(sfn_metrics *m);
void sfn_metrics_destroy(sfn_metrics *m);

/* Records one request.  Routes beyond SFN_METRICS_ROUTES share "other". */
void sfn_metrics_observe(sfn_metrics *m, const char *route, int status,
                         double seconds);

/* The exposition text (malloc'd; caller frees), with svc's counters when
 * svc is not NULL.  NULL on allocation failure. */
char *sfn_metrics_render(sfn_metrics *m, sfn_service *svc);

#endif
