/* sfn_tasks.h: how the engine performs a Task state's request.  One
 * dispatcher chooses, per request, in this order:
 *   1. a mocked response, when the execution runs a mock test case
 *      (sfn_mock.h; Step Functions Local's format);
 *   2. the built-in resources arn:stepd:task:* (sfn_builtin.h);
 *   3. the HTTP Task arn:aws:states:::http:invoke (task_http.c);
 *   4. a resource binding from the configuration (task_bind.c): Lambda
 *      ARNs, arn:aws:states:::lambda:invoke with FunctionName, or any
 *      pattern, POSTed as JSON to an HTTP endpoint;
 *   5. otherwise the task fails with States.TaskFailed naming the
 *      resource ("no binding").
 * Activities are not dispatched here: the engine queues them for
 * GetActivityTask.  For a ".waitForTaskToken" resource the request is
 * sent the same way (the token is in the payload) and its successful
 * answer only acknowledges the submission; the result comes later from
 * SendTaskSuccess.
 *
 * Every HTTP request carries the header "Idempotency-Key: <key>", stable
 * for (execution, state visit, attempt), so a re-send after a crash can be
 * deduplicated by the service (at least once delivery).
 *
 * Ownership: the dispatcher copies what it keeps from a request.  Outcome
 * members are owned by the outcome (sfn_task_outcome_free).
 * Threading: one thread (the engine's), except sfn_tasks_wakeup. */
#ifndef SFN_TASKS_H
#define SFN_TASKS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sfn_asl.h"
#include "sfn_err.h"

typedef struct sfn_task_outcome {
    json_t *result;  /* new reference on success (final result, or the
                        submission's response for .waitForTaskToken)     */
    char *error;     /* malloc'd on failure                              */
    char *cause;     /* malloc'd or NULL                                 */
    bool pending;    /* no answer now, none coming (arn:stepd:task:sleep):
                        the task's timeout or a callback decides         */
    bool final;      /* the answer is the task's result even for a
                        .waitForTaskToken resource (a mocked response)  */
} sfn_task_outcome;

void sfn_task_outcome_free(sfn_task_outcome *o);

/* ---- configuration (owned by whoever fills it; the dispatcher copies) -- */

typedef enum {
    SFN_CONN_API_KEY,      /* header key_name: key_value                  */
    SFN_CONN_BASIC,        /* Authorization: Basic base64(user:password)  */
    SFN_CONN_OAUTH,        /* client credentials grant at token_url; the
                              access token is cached until it expires    */
} sfn_conn_kind;

/* A named connection, standing in for an EventBridge connection.  An HTTP
 * Task refers to it by Authentication.ConnectionArn, whose resource part
 * "connection/<name>[/<id>]" gives the name.  Secrets never appear in
 * history, logs or API responses. */
typedef struct sfn_connection {
    char *name;
    sfn_conn_kind kind;
    char *key_name, *key_value;               /* API_KEY                  */
    char *username, *password;                /* BASIC                    */
    char *token_url, *client_id, *client_secret, *scope; /* OAUTH         */
    json_t *headers;  /* extra headers {"Name":"value"} merged in; NULL  */
    json_t *query;    /* extra query parameters; NULL                    */
    json_t *body;     /* extra body members (object bodies only); NULL   */
} sfn_connection;

/* Resource -> HTTP endpoint.  `resource` is an exact ARN or a pattern where
 * '*' matches any run of characters ("arn:aws:lambda:*:*:function:pay*").
 * For arn:aws:states:::lambda:invoke the pattern is matched against the
 * FunctionName parameter (an ARN or a bare name) and the POSTed body is
 * the Payload parameter.  The JSON response is the result (wrapped as
 * {"Payload": ..., "StatusCode": 200, ...} for lambda:invoke, as AWS does);
 * a Lambda-style error body {"errorType","errorMessage"} fails the task
 * with errorType; for Lambda resources a body without errorType gives
 * Lambda.Unknown, another non-2xx status Lambda.ServiceException and a
 * transport failure Lambda.SdkClientException; other bound resources give
 * States.TaskFailed.  When the state's TimeoutSeconds bounds a request
 * and elapses, the error is States.Timeout (docs/config.md lists every
 * error name). */
typedef struct sfn_binding {
    char *resource;
    char *url;
    json_t *headers;       /* extra request headers; NULL               */
    char *connection;      /* connection name for auth; NULL            */
    int64_t timeout_s;     /* 0 = the HTTP default                       */
} sfn_binding;

typedef enum {
    SFN_UNBOUND_AT_STATE,  /* the Task fails when it runs (default)     */
    SFN_UNBOUND_AT_START,  /* StartExecution is refused                 */
} sfn_unbound_mode;

typedef struct sfn_tasks_config {
    char **allow;                 /* http.allow entries; none = any host */
    size_t n_allow;
    int64_t http_timeout_s;       /* default request timeout: 60        */
    size_t max_response_bytes;    /* 0 = 10 MiB                         */
    int64_t max_host_connections; /* per host:port; 0 = 256             */
    sfn_connection *connections;
    size_t n_connections;
    sfn_binding *bindings;
    size_t n_bindings;
    char *mock_file;              /* SFL mock config; NULL = none      */
    sfn_unbound_mode unbound;
    char *region;                 /* for Lambda ARNs / User-Agent       */
} sfn_tasks_config;

void sfn_tasks_config_free(sfn_tasks_config *c); /* members only */
/* Deep copy (dst zeroed first); SFN_ENOMEM. */
sfn_rc sfn_tasks_config_copy(sfn_tasks_config *dst,
                             const sfn_tasks_config *src, sfn_error *err);

/* ---- the dispatcher ----------------------------------------------------- */

typedef struct sfn_tasks sfn_tasks;

/* Loads the mock file, checks the allowlist and connections.  Errors name
 * the bad entry ("http.allow[2]: ...", "mock file x.json: ..."). */
sfn_tasks *sfn_tasks_new(const sfn_tasks_config *cfg, sfn_error *err);
void sfn_tasks_free(sfn_tasks *t); /* NULL ok; cancels what is in flight */

typedef struct sfn_task_req {
    const char *resource;        /* the Task's Resource                  */
    json_t *payload;             /* effective input (borrowed)           */
    const char *exec_arn;
    const char *machine;         /* state machine name (mocks)           */
    const char *state;           /* state name                           */
    const char *test_case;       /* mock test case or NULL               */
    uint32_t invocation;         /* 0-based count of earlier invocations
                                    of this state in this execution
                                    (mock response selection)            */
    const char *idempotency_key;
    const char *token;           /* .waitForTaskToken: the token; NULL   */
    int64_t timeout_s;           /* the state's TimeoutSeconds, 0 = none */
} sfn_task_req;

typedef enum {
    SFN_TASK_DONE,   /* *out is filled now                              */
    SFN_TASK_ASYNC,  /* cb(ud, outcome) runs later from sfn_tasks_poll   */
} sfn_task_disp;

/* cb takes ownership of nothing: the outcome is freed after it returns
 * (steal members by setting them to NULL). */
typedef void (*sfn_task_cb)(void *ud, sfn_task_outcome *o);

/* Starts a request.  *handle (may be NULL) identifies an ASYNC one for
 * sfn_tasks_cancel. */
sfn_task_disp sfn_tasks_dispatch(sfn_tasks *t, const sfn_task_req *r,
                                 sfn_task_outcome *out, sfn_task_cb cb,
                                 void *ud, uint64_t *handle);

/* Abandons an ASYNC request (a timed-out task); its cb will not run. */
void sfn_tasks_cancel(sfn_tasks *t, uint64_t handle);

/* Runs I/O: waits up to timeout_ms for completions or a wake-up and runs
 * their callbacks.  Returns the number of callbacks run. */
int sfn_tasks_poll(sfn_tasks *t, int timeout_ms);
void sfn_tasks_wakeup(sfn_tasks *t); /* any thread */
size_t sfn_tasks_inflight(const sfn_tasks *t);

/* Whether the mock file defines test case `name` for `machine`. */
bool sfn_tasks_has_test_case(const sfn_tasks *t, const char *machine,
                             const char *name);

/* With SFN_UNBOUND_AT_START: SFN_ENOTFOUND naming the first Task resource
 * of g (nested blocks included) that nothing can run (no mock for it in
 * test_case, not built in, not HTTP, no binding, not an activity).
 * Otherwise SFN_OK. */
sfn_rc sfn_tasks_check_graph(const sfn_tasks *t, const sfn_graph *g,
                             const char *test_case, sfn_error *err);

/* Whether this build dispatches `resource` at all (used by the check). */
bool sfn_tasks_can_run(const sfn_tasks *t, const char *resource);

/* Whether the HTTP layer denies nothing (no allowlist): stepd serve logs
 * a warning at start when so. */
bool sfn_tasks_allow_all(const sfn_tasks *t);

#endif
