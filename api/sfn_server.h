/* sfn_server.h: the HTTP server of stepd serve (libmicrohttpd).  It
 * accumulates each request body in a capped per-request buffer, then
 * dispatches: POST / with X-Amz-Target to the AWS JSON 1.0 protocol,
 * /v1/... to the REST dialect (behind the optional bearer token), /healthz
 * and /metrics itself, anything else 404.  Every request is logged and
 * timed into the metrics.
 *
 * Threading (config "threads"): by default an epoll pool of one thread
 * per core (or N) serves every connection; a request whose action waits
 * for the engine (StartExecution's group commit, StartSyncExecution,
 * GetActivityTask's long poll) is suspended meanwhile and resumed by the
 * engine's answer, so no pool thread blocks on it.  threads = -1 runs a
 * thread per connection instead, each blocking while its call waits.
 * Ownership: the server borrows everything in its opts, which must
 * outlive sfn_server_stop; stop the server before freeing the service. */
#ifndef SFN_SERVER_H
#define SFN_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "sfn_aws_protocol.h"
#include "sfn_config.h"
#include "sfn_err.h"
#include "sfn_log.h"
#include "sfn_metrics.h"
#include "sfn_service.h"

typedef struct sfn_server sfn_server;

typedef struct sfn_server_opts {
    sfn_service *svc;
    const sfn_config *cfg;
    sfn_log *log;
    sfn_metrics *metrics;
} sfn_server_opts;

/* Binds cfg->listen and starts serving.  NULL with err filled when the
 * address does not resolve or cannot be bound. */
sfn_server *sfn_server_start(const sfn_server_opts *opts, sfn_error *err);

/* Whether the listening address is a loopback one (127.0.0.0/8, ::1). */
bool sfn_server_is_loopback(const sfn_server *s);

/* The epoll pool's thread count; 0 with a thread per connection. */
unsigned sfn_server_pool_size(const sfn_server *s);

/* Stops accepting new connections; requests in flight go on. */
void sfn_server_quiesce(sfn_server *s);

/* Waits for the requests in flight to be answered (long polls are
 * answered empty at once; what still waits for the engine after 10 s is
 * answered 503 ServiceUnavailable), closes every connection and frees the
 * server.  NULL ok. */
void sfn_server_stop(sfn_server *s);

/* The maximum request body for a request (method, path, X-Amz-Target
 * value or NULL) under cfg's limits, in bytes. */
size_t sfn_server_body_cap(const sfn_config *cfg, const char *method,
                           const char *path, const char *amz_target);

#endif
