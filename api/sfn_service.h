/* sfn_service.h: stepd's operations, the one implementation behind both
 * HTTP dialects.  Every operation is an AWS Step Functions action taking and
 * returning the AWS JSON 1.0 shapes (request members in, response members
 * out, exact AWS member names), so the AWS protocol is a thin transport
 * over sfn_service_call, and the REST dialect maps its routes onto the same
 * actions.  The service owns the durable engine (on its own thread) and
 * opens one store connection per calling thread for reads and definition
 * writes.
 *
 * Threading: sfn_service_call is safe from any number of threads; the
 * asynchronous entries below answer on the engine thread.
 * Ownership: request borrowed; response a new reference.  Free the service
 * only once nothing waits for a later answer (stop the server first). */
#ifndef SFN_SERVICE_H
#define SFN_SERVICE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "sfn_cluster.h"
#include "sfn_engine.h"
#include "sfn_err.h"
#include "sfn_store.h"

typedef struct sfn_service sfn_service;

typedef struct sfn_service_opts {
    const char *db_path;       /* SQLite file (created when missing) or a
                                  PostgreSQL URL (sfn_store_open): then
                                  this is one node of possibly several     */
    const char *node_id;       /* PostgreSQL: this node's id; NULL = a
                                  generated one                             */
    int64_t lease_ms;          /* PostgreSQL: node lease; 0 = 10,000        */
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

/* ---- actions answered later ---------------------------------------------
 * For threads that serve many connections and must not wait for the
 * engine.  StartExecution, StartSyncExecution and GetActivityTask wait for
 * it (a group commit, an execution's end, a long poll); every other action
 * is quick and runs synchronously here too. */
typedef struct sfn_service_async sfn_service_async;
typedef void (*sfn_service_done_fn)(void *ud, sfn_service_async *a);

/* Runs the checks and reads of `action` on the calling thread and hands
 * the rest to the engine without waiting.  Returns true when handed over:
 * done(ud, a) then runs exactly once, on the engine thread (or the thread
 * freeing the service, which fails what is pending), without blocking;
 * collect the answer with sfn_service_async_result (any thread, after
 * done).  Returns false when the call finished here (failed a check, or is
 * not one of those actions): *out is what sfn_service_call returns (new
 * reference, or NULL with err filled).  request: borrowed; a reference is
 * kept until the answer is collected, so do not change it meanwhile. */
bool sfn_service_call_async(sfn_service *svc, const char *action,
                            json_t *request, sfn_service_done_fn done,
                            void *ud, json_t **out, sfn_error *err);

/* The answer of a handed-over call, as sfn_service_call returns it (new
 * reference or NULL with err); frees a. */
json_t *sfn_service_async_result(sfn_service_async *a, sfn_error *err);
/* Frees a without reading its answer (a started execution still runs). */
void sfn_service_async_discard(sfn_service_async *a);

/* ---- deferral scopes ------------------------------------------------------
 * Let a synchronous handler written over sfn_service_call (the HTTP
 * dialects) run on such a thread.  Run the handler between enter and
 * leave: the first sfn_service_call there of an action answered later
 * goes through sfn_service_call_async; when it was handed over it returns
 * NULL (the handler's answer is meaningless), leave returns true and
 * ready(ud) runs once the engine answered (engine thread; it must not
 * block).  Then run the same handler again in the same scope: the same
 * call (same action and request) returns the answer.  Other calls, and
 * every call on other threads, are synchronous as usual.  The handler must
 * make the same calls on both runs (a different call is run synchronously
 * and the first answer dropped). */
typedef struct sfn_service_scope sfn_service_scope;
typedef void (*sfn_service_ready_fn)(void *ud);

/* NULL on ENOMEM. */
sfn_service_scope *sfn_service_scope_new(sfn_service *svc,
                                         sfn_service_ready_fn ready,
                                         void *ud);
/* Makes s the calling thread's scope until sfn_service_scope_leave. */
void sfn_service_scope_enter(sfn_service_scope *s);
/* Ends the run; true when a call waits for (or got) its later answer and
 * the handler must run again once ready ran. */
bool sfn_service_scope_leave(sfn_service_scope *s);
/* Gives up waiting (a server stopping): true when a call was waiting, in
 * which case ready will not run and the handler's next run gets
 * ServiceUnavailable; false when there was nothing to wait for or the
 * answer is already in (ready runs or ran).  Any thread. */
bool sfn_service_scope_abandon(sfn_service_scope *s);
/* Releases the caller's hold; an unread answer is dropped.  NULL ok. */
void sfn_service_scope_free(sfn_service_scope *s);

/* Answers the GetActivityTask long polls waiting now with no task, so a
 * server can stop without holding them to their end. */
void sfn_service_release_polls(sfn_service *svc);

/* The HTTP status AWS uses for an error type (400 for client errors,
 * 500 for InternalFailure / ServiceException, ...). */
int sfn_service_http_status(const char *error_type);

/* Engine and request counters for /metrics (a copy). */
typedef struct sfn_service_stats {
    sfn_engine_stats engine;
    sfn_cluster_stats cluster;  /* shared store: calls routed between nodes */
    int64_t executions_started, executions_succeeded, executions_failed,
        executions_timed_out, executions_aborted, executions_open;
} sfn_service_stats;
sfn_service_stats sfn_service_get_stats(sfn_service *svc);

/* This node's id on a shared store (borrowed), NULL for SQLite. */
const char *sfn_service_node_id(const sfn_service *svc);

/* The configured region and account (borrowed). */
const char *sfn_service_region(const sfn_service *svc);
const char *sfn_service_account(const sfn_service *svc);

#endif
