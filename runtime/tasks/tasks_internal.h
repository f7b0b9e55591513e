/* tasks_internal.h: what the dispatcher's files share (sfn_tasks.c,
 * task_http.c, task_bind.c, task_conn.c).  A request that goes over HTTP
 * becomes a task_op: built by the HTTP Task or a binding, authenticated by
 * its connection (possibly after an OAuth token fetch), sent through the
 * sfn_httpc client, and turned back into an outcome by its `finish`. */
#ifndef SFN_TASKS_INTERNAL_H
#define SFN_TASKS_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sfn_httpc.h"
#include "sfn_mock.h"
#include "sfn_tasks.h"

typedef struct task_op task_op;

/* Maps a finished exchange to the outcome the engine sees. */
typedef void (*task_finish_fn)(sfn_tasks *t, task_op *op,
                               const sfn_httpc_response *r,
                               sfn_task_outcome *o);

/* One header, kept by name so later sources replace earlier ones. */
typedef struct task_header {
    char *name, *value;
} task_header;

typedef enum {
    OP_KIND_HTTP,    /* arn:aws:states:::http:invoke                     */
    OP_KIND_LAMBDA,  /* a Lambda ARN (result = the response itself)      */
    OP_KIND_INVOKE,  /* arn:aws:states:::lambda:invoke (wrapped result)  */
    OP_KIND_PATTERN, /* any other bound resource                         */
} task_op_kind;

struct task_op {
    sfn_tasks *t;
    task_op *prev, *next;  /* the dispatcher's in-flight list            */
    uint64_t handle;       /* sfn_tasks_cancel's id                       */
    uint64_t http_id;      /* sfn_httpc's id once sent, else 0            */
    bool waiting_token;    /* parked until the connection has a token    */
    task_op *next_waiter;  /* in the connection's waiting list           */
    sfn_task_cb cb;
    void *ud;

    task_op_kind kind;
    char *method, *url;
    task_header *headers;
    size_t n_headers;
    char *body;
    size_t body_len;
    int64_t timeout_ms;
    bool timeout_from_task; /* the state's TimeoutSeconds set the limit   */
    int conn;               /* index in cfg.connections, -1 = none        */
    char *what;             /* how causes name the target (no secrets)    */
    task_finish_fn finish;
};

/* Per-connection state: the OAuth token cache and its waiting ops. */
typedef struct task_conn_state {
    sfn_tasks *t;           /* for the token fetch's callback             */
    int idx;
    char *token;            /* access token, NULL when none cached        */
    int64_t expires_ms;     /* monotonic; 0 = until a 401/407             */
    bool fetching;
    task_op *waiters;       /* singly linked through next_waiter          */
    task_op *draining;      /* waiters being answered after a fetch       */
    char *basic;            /* "Basic base64(user:password)" for BASIC    */
} task_conn_state;

struct sfn_tasks {
    sfn_tasks_config cfg;
    sfn_httpc *http;
    sfn_mock_set *mocks;
    task_conn_state *conns;  /* parallel to cfg.connections              */
    task_op *ops;            /* in flight, doubly linked                 */
    size_t n_ops;
    uint64_t next_handle;
    int ran;                 /* callbacks run during the current poll    */
};

/* ---- sfn_tasks.c: the op life cycle ---- */

task_op *sfn__tasks_op_new(sfn_tasks *t, task_op_kind kind);
void sfn__tasks_op_free(task_op *op);
/* Registers op as in flight and sends it (after the connection's auth is
 * ready).  On a failure to even start, fills *out, frees op and returns
 * DONE. */
sfn_task_disp sfn__tasks_op_start(sfn_tasks *t, task_op *op,
                                  sfn_task_cb cb, void *ud,
                                  uint64_t *handle, sfn_task_outcome *out);
/* Finishes op with *o (runs its callback), then frees it. */
void sfn__tasks_op_complete(sfn_tasks *t, task_op *op, sfn_task_outcome *o);
/* Sends op's request now (auth headers already in place).  false with
 * *fail filled when it could not be submitted. */
bool sfn__tasks_op_send(sfn_tasks *t, task_op *op, sfn_task_outcome *fail);
/* The error name for a transport failure of op (DataLimitExceeded,
 * Timeout, Http.Socket, Lambda.SdkClientException, TaskFailed) and its
 * cause, into o. */
void sfn__tasks_transport_fail(const task_op *op, const sfn_httpc_response *r,
                               sfn_task_outcome *o);

/* Sets a header, replacing one of the same name (case-insensitively). */
bool sfn__tasks_header_set(task_op *op, const char *name, const char *value);
const char *sfn__tasks_header_get(const task_op *op, const char *name);

/* Fills o with a failure (strings copied; cause may be NULL). */
void sfn__tasks_fail(sfn_task_outcome *o, const char *error,
                     const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "scheme://host[:port]/path" of url, without query, fragment or user
 * info, so messages never carry credentials.  malloc'd. */
char *sfn__tasks_url_public(const char *url);

/* '*' glob, whole string. */
bool sfn__tasks_glob(const char *pattern, const char *s);

/* Monotonic milliseconds. */
int64_t sfn__tasks_now_ms(void);

/* The effective request timeout: min(task TimeoutSeconds, base_s). */
void sfn__tasks_timeout(const sfn_task_req *r, int64_t base_s, task_op *op);

/* Appends "&k=v"-style parameters of obj (string or array-of-strings
 * values) to *url, each part RFC 3986 percent-encoded. */
bool sfn__tasks_url_add_query(char **url, json_t *obj);
/* Percent-encodes s (RFC 3986 unreserved kept).  malloc'd. */
char *sfn__tasks_pct(const char *s, size_t len);

/* ---- task_http.c ---- */

bool sfn__tasks_is_http(const char *resource);
sfn_task_disp sfn__tasks_http(sfn_tasks *t, const sfn_task_req *r,
                              sfn_task_outcome *out, sfn_task_cb cb,
                              void *ud, uint64_t *handle);

/* ---- task_bind.c ---- */

bool sfn__tasks_is_lambda_invoke(const char *resource);
/* The first binding for a resource other than lambda:invoke, or NULL. */
const sfn_binding *sfn__tasks_binding_for(const sfn_tasks *t,
                                          const char *resource);
/* The first binding for a lambda:invoke FunctionName (name, partial or
 * full ARN); exec_arn gives region and account, NULL = any account. */
const sfn_binding *sfn__tasks_binding_for_function(const sfn_tasks *t,
                                                   const char *function,
                                                   const char *exec_arn);
/* Runs r through its binding, or fails it with "no binding". */
sfn_task_disp sfn__tasks_bind(sfn_tasks *t, const sfn_task_req *r,
                              sfn_task_outcome *out, sfn_task_cb cb,
                              void *ud, uint64_t *handle);

/* ---- task_conn.c ---- */

int sfn__tasks_conn_find(const sfn_tasks *t, const char *name);
/* Prepares per-connection state (Basic header).  SFN_ENOMEM. */
sfn_rc sfn__tasks_conn_init(sfn_tasks *t, sfn_error *err);
void sfn__tasks_conn_free(sfn_tasks *t);
/* Checks one connection's fields; err names "connections.<name>". */
sfn_rc sfn__tasks_conn_check(const sfn_connection *c, sfn_error *err);
/* Adds connection op->conn's extra headers to op, its query parameters to
 * `query` and its body members to `body` when that is an object (both
 * borrowed, modified; NULL skips).  The connection wins on equal keys. */
bool sfn__tasks_conn_merge(const sfn_tasks *t, task_op *op, json_t *query,
                           json_t *body);
/* Adds the auth header and sends op, or parks it until a token arrives.
 * false with *fail filled when neither could be done. */
bool sfn__tasks_conn_send(sfn_tasks *t, task_op *op, sfn_task_outcome *fail);
/* A 401/407 answer to an OAuth-authenticated request drops the token. */
void sfn__tasks_conn_rejected(sfn_tasks *t, int conn);
/* Removes op from its connection's waiting list (cancel). */
void sfn__tasks_conn_unpark(sfn_tasks *t, task_op *op);
/* Replaces every secret of connection `conn` (and its cached token) in
 * *s with "*****".  *s malloc'd or NULL. */
void sfn__tasks_conn_redact(const sfn_tasks *t, int conn, char **s);

#endif
