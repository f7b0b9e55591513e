/* sfn_service.h: stepd's operations, the one implementation behind both
 * HTTP dialects.  Every operation is an AWS Step Functions action taking and
 * returning the AWS JSON 1.0 shapes (request members in, response members
 * out, exact AWS member names), so the AWS protocol is a thin transport
 * over sfn_service_call, and the REST dialect maps its routes onto the same
 * actions.  The service owns the durable engine (on its own thread) and
 * opens one store connection per calling thread for reads and definition
 * writes.
 *
 * Threading: sfn_service_call is safe from any number of threads.
 * Ownership: request borrowed; response a new reference. */
#ifndef SFN_SERVICE_H
#define SFN_SERVICE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "sfn_engine.h"
#include "sfn_err.h"
#include "sfn_store.h"

typedef struct sfn_service sfn_service;

typedef struct sfn_service_opts {
    const char *db_path;       /* SQLite file (created when missing)        */
    sfn_sync_mode sync;        /* synchronous=NORMAL (default) or FULL       */
    const char *region;        /* ARNs; default "us-east-1"                  */
    const char *account;       /* ARNs; default "123456789012"               */
    sfn_exec_limits limits;    /* zero = AWS defaults                        */
    int64_t max_open_executions; /* ExecutionLimitExceeded above; 0 = 1e6    */
    struct sfn_tasks *tasks;   /* task dispatcher (borrowed, must outlive
                                  the service): handed to the engine, and
                                  asked whether a mock test case exists
                                  (StartExecution of "ARN#Case"); NULL =
                                  built-in resources only, no test cases  */
} sfn_service_opts;

/* Opens the store (migrating it), creates the engine and starts its
 * thread, which first resumes every unfinished execution.  NULL with err
 * filled on failure (e.g. a database that is not stepd's). */
sfn_service *sfn_service_new(const sfn_service_opts *opts, sfn_error *err);

/* Graceful stop: the engine answers what is in flight, commits, and its
 * thread exits; then everything is freed.  Running executions resume at
 * the next start.  NULL ok. */
void sfn_service_free(sfn_service *svc);

/* Runs one action.  `action` is the AWS name ("CreateStateMachine",
 * "StartExecution", ...); `request` the JSON object of its input members.
 * On success returns the response object (new reference; {} when AWS
 * returns no members).  On failure returns NULL with err->name the AWS
 * error type ("StateMachineDoesNotExist", "ValidationException",
 * "UnknownOperationException", ...) and err->cause its message, worded as
 * AWS words it.  Unknown request members are ignored, as AWS does. */
json_t *sfn_service_call(sfn_service *svc, const char *action,
                         json_t *request, sfn_error *err);

/* The HTTP status AWS uses for an error type (400 for client errors,
 * 500 for InternalFailure / ServiceException, ...). */
int sfn_service_http_status(const char *error_type);

/* Engine and request counters for /metrics (a copy). */
typedef struct sfn_service_stats {
    sfn_engine_stats engine;
    int64_t executions_started, executions_succeeded, executions_failed,
        executions_timed_out, executions_aborted, executions_open;
} sfn_service_stats;
sfn_service_stats sfn_service_get_stats(sfn_service *svc);

/* The configured region and account (borrowed). */
const char *sfn_service_region(const sfn_service *svc);
const char *sfn_service_account(const sfn_service *svc);

#endif
