/* server.c: stepd serve's HTTP transport (sfn_server.h) on libmicrohttpd.
 * The access handler runs several times per request: first with the
 * headers (we pick the body cap and reject a too-long Content-Length at
 * once), then once per body chunk (accumulated up to the cap, the rest
 * discarded), then a last time to dispatch and queue the response.  The
 * dialect handlers never touch sockets.  On the epoll pool a dispatch that
 * handed a call to the engine (a deferral scope, sfn_service.h) suspends
 * its connection; the engine's answer resumes it and the dispatch runs
 * again to read the answer and respond. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sfn_rest.h"
#include "sfn_server.h"
#include "sfn_ui.h"

typedef struct req_ctx req_ctx;

struct sfn_server {
    struct MHD_Daemon *daemon;
    sfn_server_opts o;
    sfn_aws_key *keys;
    sfn_aws_auth auth;
    bool loopback;
    bool quiesced;
    bool pooled;          /* epoll pool with suspend/resume              */
    unsigned pool_size;
    bool closing;         /* stopping: answers close their connection    */
    bool final;           /* about to stop libmicrohttpd: no suspending  */
    /* requests in flight and the suspended ones, for a graceful stop */
    pthread_mutex_t mu;
    pthread_cond_t cv;    /* in_flight fell, or a suspended one resumed  */
    int in_flight;
    req_ctx *suspended;   /* doubly linked through prev/next             */
};

/* Bodies past this many bytes beyond their cap close the connection
 * instead of being read and discarded. */
#define DRAIN_MAX ((size_t)8 << 20)

/* How long a stop waits for requests in flight before it gives up on
 * those still waiting for the engine (answered 503), and then for those
 * answers to go out. */
#define STOP_WAIT_MS 10000
#define STOP_ANSWER_MS 2000

struct req_ctx {
    struct timespec t0;
    char *body;
    size_t len, alloc, cap, discarded;
    bool too_large;
    bool throttled;           /* over the connection's request rate      */
    double retry_after;       /* seconds until a request would pass      */
    bool aws;
    sfn_server *server;
    struct MHD_Connection *conn;
    sfn_service_scope *scope; /* epoll pool only; NULL = synchronous      */
    /* under server->mu: */
    bool suspended;           /* parked until the engine answers          */
    bool answer_ready;        /* the answer came before we could park     */
    req_ctx *prev, *next;     /* in server->suspended                     */
};

/* A connection's request rate: a token bucket holding up to one
 * second's worth of requests, refilled continuously.  One connection's
 * requests come one after another, so it needs no lock. */
typedef struct {
    double tokens;
    struct timespec last;
} conn_rate;

/* ---- body caps ------------------------------------------------------- */

static bool definition_action(const char *target)
{
    const char *dot = target ? strrchr(target, '.') : NULL;
    const char *a = dot ? dot + 1 : target;
    return a && (!strcmp(a, "CreateStateMachine") ||
                 !strcmp(a, "UpdateStateMachine") ||
                 !strcmp(a, "ValidateStateMachineDefinition") ||
                 !strcmp(a, "TestState"));
}

size_t sfn_server_body_cap(const sfn_config *cfg, const char *method,
                           const char *path, const char *amz_target)
{
    size_t def = (size_t)cfg->limits.definition_bytes;
    if (amz_target && !strcmp(path, "/"))
        /* JSON string escaping can double a definition; the service checks
         * the exact limit on the decoded text */
        return definition_action(amz_target) ? 2 * def + 65536
                                             : (size_t)cfg->limits
                                                   .request_body_bytes;
    if ((!strcmp(method, "PUT") && !strncmp(path, "/v1/state-machines/", 19)) ||
        !strcmp(path, "/v1/validate"))
        return def;
    size_t n = strlen(path);
    if (!strcmp(method, "POST") && n > 11 &&
        !strcmp(path + n - 11, "/executions"))
        return (size_t)cfg->limits.payload_bytes;
    return (size_t)cfg->limits.request_body_bytes;
}

/* ---- request plumbing ------------------------------------------------ */

static const char *lookup_header(void *ud, const char *name)
{
    return MHD_lookup_connection_value(ud, MHD_HEADER_KIND, name);
}

static const char *lookup_query(void *ud, const char *name)
{
    return MHD_lookup_connection_value(ud, MHD_GET_ARGUMENT_KIND, name);
}

static void remote_addr(struct MHD_Connection *conn, char *buf, size_t size)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    buf[0] = '\0';
    if (!ci || !ci->client_addr)
        return;
    char host[INET6_ADDRSTRLEN] = "";
    int port = 0;
    if (ci->client_addr->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const void *)ci->client_addr;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        port = ntohs(a->sin_port);
        snprintf(buf, size, "%s:%d", host, port);
    } else if (ci->client_addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const void *)ci->client_addr;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        port = ntohs(a->sin6_port);
        snprintf(buf, size, "[%s]:%d", host, port);
    }
}

static double since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) +
           (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void too_large(const req_ctx *rc, sfn_http_resp *resp)
{
    char msg[200];
    snprintf(msg, sizeof msg,
             "the request body exceeds the limit of %zu bytes", rc->cap);
    snprintf(resp->route, sizeof resp->route, "body too large");
    if (!rc->aws) {
        sfn_rest_error(resp, 413, "PayloadTooLarge", msg,
                       json_pack("{s:I}", "limitBytes", (json_int_t)rc->cap));
        return;
    }
    /* AWS answers oversized requests with a 400 ValidationException, which
     * SDKs parse; a 413 would surface as an unknown error */
    json_t *o = json_pack("{s:s, s:s}", "__type", "ValidationException",
                          "message", msg);
    sfn_http_resp_json(resp, 400, o ? json_dumps(o, JSON_COMPACT) : NULL,
                       "application/x-amz-json-1.0");
    json_decref(o);
    sfn_http_resp_header(resp, "x-amzn-ErrorType", "ValidationException");
}

static void throttled(const req_ctx *rc, sfn_http_resp *resp)
{
    char msg[200], secs[32];
    long wait = (long)rc->retry_after; /* whole seconds, rounded up */
    if ((double)wait < rc->retry_after || wait < 1)
        wait++;
    int64_t limit =
        rc->server->o.cfg->limits.requests_per_second_per_connection;
    snprintf(msg, sizeof msg,
             "Rate exceeded: more than %lld requests per second on this "
             "connection (limits.requests_per_second_per_connection)",
             (long long)limit);
    snprintf(resp->route, sizeof resp->route, "throttled");
    if (!rc->aws) {
        sfn_rest_error(resp, 429, "ThrottlingException", msg,
                       json_pack("{s:I}", "limit", (json_int_t)limit));
    } else {
        json_t *o = json_pack("{s:s, s:s}", "__type", "ThrottlingException",
                              "message", msg);
        sfn_http_resp_json(resp, 429, o ? json_dumps(o, JSON_COMPACT) : NULL,
                           "application/x-amz-json-1.0");
        json_decref(o);
        sfn_http_resp_header(resp, "x-amzn-ErrorType", "ThrottlingException");
    }
    snprintf(secs, sizeof secs, "%ld", wait);
    sfn_http_resp_header(resp, "Retry-After", secs);
}

static void json_text(sfn_http_resp *resp, int status, const char *text)
{
    sfn_http_resp_json(resp, status, strdup(text), "application/json");
}

static void metrics(sfn_server *s, const sfn_http_req *req,
                    sfn_http_resp *resp)
{
    snprintf(resp->route, sizeof resp->route, "GET /metrics");
    if (!sfn_rest_authorized(s->o.cfg->auth_token, req, resp))
        return;
    char *text = sfn_metrics_render(s->o.metrics, s->o.svc);
    sfn_http_resp_json(resp, text ? 200 : 500,
                       text ? text
                            : strdup("{\"error\":\"InternalFailure\","
                                     "\"message\":\"out of memory\"}"),
                       text ? "text/plain; version=0.0.4; charset=utf-8"
                            : "application/json");
}

static void not_found(const sfn_http_req *req, sfn_http_resp *resp)
{
    char msg[300];
    snprintf(msg, sizeof msg, "no route for %s %.200s", req->method,
             req->path);
    snprintf(resp->route, sizeof resp->route, "not found");
    sfn_rest_error(resp, 404, "NotFound", msg, NULL);
}

static void dispatch(sfn_server *s, const req_ctx *rc, const sfn_http_req *req,
                     sfn_http_resp *resp)
{
    const char *target = req->header(req->ud, "X-Amz-Target");
    if (rc->too_large)
        too_large(rc, resp);
    else if (rc->throttled)
        throttled(rc, resp);
    else if (!strcmp(req->path, "/healthz")) {
        snprintf(resp->route, sizeof resp->route, "GET /healthz");
        json_text(resp, 200, "{\"status\":\"ok\"}");
    } else if (!strcmp(req->path, "/metrics"))
        metrics(s, req, resp);
    else if (!strcmp(req->path, "/") && !strcmp(req->method, "POST") &&
             target) {
        sfn_aws_protocol_handle(s->o.svc, &s->auth, req, resp);
        if (!resp->route[0])
            snprintf(resp->route, sizeof resp->route, "POST /");
    } else if (!strcmp(req->path, "/v1") || !strncmp(req->path, "/v1/", 4)) {
        snprintf(resp->route, sizeof resp->route, "/v1 unauthorized");
        if (sfn_rest_authorized(s->o.cfg->auth_token, req, resp)) {
            resp->route[0] = '\0';
            sfn_rest_handle(s->o.svc, req, resp);
        }
    } else if (!strcmp(req->path, "/ui") || !strncmp(req->path, "/ui/", 4) ||
               (!strcmp(req->path, "/") && (!strcmp(req->method, "GET") ||
                                            !strcmp(req->method, "HEAD"))))
        sfn_ui_handle(req, resp); /* the console; GET / redirects to it */
    else
        not_found(req, resp);
}

static enum MHD_Result send_resp(sfn_server *s, struct MHD_Connection *conn,
                                  sfn_http_resp *r)
{
    struct MHD_Response *mr =
        r->body ? MHD_create_response_from_buffer(r->body_len, r->body,
                                                  MHD_RESPMEM_MUST_FREE)
                : MHD_create_response_from_buffer(0, NULL,
                                                  MHD_RESPMEM_PERSISTENT);
    if (!mr)
        return MHD_NO;
    r->body = NULL; /* the response owns it now */
    if (r->status != 204 && r->content_type)
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE,
                                r->content_type);
    for (int i = 0; i < r->n_headers; i++)
        MHD_add_response_header(mr, r->header_names[i], r->header_values[i]);
    /* a stopping server lets keep-alive clients go instead of waiting for
     * their next request */
    if (__atomic_load_n(&s->closing, __ATOMIC_ACQUIRE))
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ok =
        MHD_queue_response(conn, (unsigned)(r->status ? r->status : 500), mr);
    MHD_destroy_response(mr);
    return ok;
}

static void log_request(sfn_server *s, const sfn_http_req *req,
                        const sfn_http_resp *resp, double secs)
{
    sfn_log_level lv = resp->status >= 500 ? SFN_LOG_ERROR : SFN_LOG_INFO;
    if (!sfn_log_enabled(s->o.log, lv))
        return;
    sfn_log_field f[] = {
        {"method", req->method, 0},
        {"route", resp->route[0] ? resp->route : req->path, 0},
        {"status", NULL, resp->status},
        {"latency_us", NULL, (int64_t)(secs * 1e6)},
        {"remote", req->remote_addr, 0},
    };
    sfn_log_write(s->o.log, lv, resp->exec_arn, f, 5, "request");
}

/* ---- suspended requests ------------------------------------------------ */

static void link_suspended(sfn_server *s, req_ctx *rc)
{
    rc->prev = NULL;
    rc->next = s->suspended;
    if (s->suspended)
        s->suspended->prev = rc;
    s->suspended = rc;
}

static void unlink_suspended(sfn_server *s, req_ctx *rc)
{
    if (rc->prev)
        rc->prev->next = rc->next;
    else
        s->suspended = rc->next;
    if (rc->next)
        rc->next->prev = rc->prev;
    rc->prev = rc->next = NULL;
}

/* Resumes a parked request; s->mu held (libmicrohttpd takes none of our
 * locks in its callbacks, so ours may be held around its calls). */
static void resume_locked(sfn_server *s, req_ctx *rc)
{
    rc->suspended = false;
    unlink_suspended(s, rc);
    MHD_resume_connection(rc->conn);
    pthread_cond_broadcast(&s->cv);
}

static struct timespec deadline_in(int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    return ts;
}

/* The last phase of a stop, when libmicrohttpd must not get a suspended
 * connection any more (a request that came on a kept-alive connection):
 * wait for the answer here, briefly, then give up on it; s->mu held. */
static void wait_answer_locked(sfn_server *s, req_ctx *rc)
{
    struct timespec ts = deadline_in(STOP_ANSWER_MS);
    while (!rc->answer_ready)
        if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) == ETIMEDOUT)
            break;
    if (!rc->answer_ready && sfn_service_scope_abandon(rc->scope))
        rc->answer_ready = true; /* the next dispatch answers 503 */
    while (!rc->answer_ready) /* the answer is in: on_ready is coming */
        pthread_cond_wait(&s->cv, &s->mu);
}

/* Suspends the connection until the engine answers; false when the
 * answer is already in (dispatch again now).  Under s->mu, so that the
 * answer cannot resume the connection before it is suspended. */
static bool park(sfn_server *s, req_ctx *rc)
{
    pthread_mutex_lock(&s->mu);
    if (s->final)
        wait_answer_locked(s, rc);
    bool now = rc->answer_ready;
    rc->answer_ready = false;
    if (!now) {
        rc->suspended = true;
        link_suspended(s, rc);
        MHD_suspend_connection(rc->conn);
    }
    pthread_mutex_unlock(&s->mu);
    return !now;
}

/* The engine answered (engine thread). */
static void on_ready(void *ud)
{
    req_ctx *rc = ud;
    sfn_server *s = rc->server;
    pthread_mutex_lock(&s->mu);
    if (rc->suspended) {
        resume_locked(s, rc);
    } else {
        rc->answer_ready = true;
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
}

static enum MHD_Result finish(sfn_server *s, struct MHD_Connection *conn,
                              req_ctx *rc, const char *method,
                              const char *url)
{
    char remote[64];
    remote_addr(conn, remote, sizeof remote);
    sfn_http_req req = {.method = method,
                        .path = url,
                        .body = rc->body ? rc->body : "",
                        .body_len = rc->len,
                        .header = lookup_header,
                        .query = lookup_query,
                        .ud = conn,
                        .remote_addr = remote};
    sfn_http_resp resp;
    for (;;) {
        memset(&resp, 0, sizeof resp);
        if (rc->scope)
            sfn_service_scope_enter(rc->scope);
        dispatch(s, rc, &req, &resp);
        if (!rc->scope || !sfn_service_scope_leave(rc->scope))
            break;
        /* handed to the engine: this answer is a placeholder */
        sfn_http_resp_free(&resp);
        if (park(s, rc))
            return MHD_YES;
    }
    if (!resp.status)
        json_text(&resp, 500,
                  "{\"error\":\"InternalFailure\",\"message\":\"no "
                  "response\"}");
    double secs = since(&rc->t0);
    sfn_metrics_observe(s->o.metrics, resp.route[0] ? resp.route : "other",
                        resp.status, secs);
    log_request(s, &req, &resp, secs);
    enum MHD_Result ok = send_resp(s, conn, &resp);
    sfn_http_resp_free(&resp);
    return ok;
}

/* Appends a body chunk, or counts it as discarded past the cap. */
static bool take_chunk(req_ctx *rc, const char *data, size_t n)
{
    if (rc->throttled || rc->too_large || rc->len + n > rc->cap) {
        rc->too_large = !rc->throttled;
        rc->discarded += n;
        return rc->discarded <= DRAIN_MAX;
    }
    if (rc->len + n + 1 > rc->alloc) {
        size_t want = rc->alloc ? rc->alloc : 4096;
        while (want < rc->len + n + 1)
            want *= 2;
        if (want > rc->cap + 1)
            want = rc->cap + 1;
        char *b = realloc(rc->body, want);
        if (!b)
            return false;
        rc->body = b;
        rc->alloc = want;
    }
    memcpy(rc->body + rc->len, data, n);
    rc->len += n;
    rc->body[rc->len] = '\0';
    return true;
}

/* Takes one request from the connection's bucket; false (and the wait
 * in *retry_after) when it is empty.  Always true when the limit is off
 * or the connection has no bucket (it could not be allocated). */
static bool rate_take(sfn_server *s, struct MHD_Connection *conn,
                      double *retry_after)
{
    double rate =
        (double)s->o.cfg->limits.requests_per_second_per_connection;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    conn_rate *b = ci ? ci->socket_context : NULL;
    if (rate <= 0 || !b)
        return true;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    b->tokens += since(&b->last) * rate;
    b->last = now;
    if (b->tokens > rate)
        b->tokens = rate;
    if (b->tokens >= 1) {
        b->tokens -= 1;
        return true;
    }
    *retry_after = (1 - b->tokens) / rate;
    return false;
}

static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    sfn_server *s = cls;
    (void)conn;
    if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        free(*socket_context);
        *socket_context = NULL;
        return;
    }
    if (s->o.cfg->limits.requests_per_second_per_connection <= 0)
        return;
    conn_rate *b = calloc(1, sizeof *b);
    if (b) { /* a new connection starts with a full second's worth */
        b->tokens =
            (double)s->o.cfg->limits.requests_per_second_per_connection;
        clock_gettime(CLOCK_MONOTONIC, &b->last);
    }
    *socket_context = b;
}

static req_ctx *begin(sfn_server *s, struct MHD_Connection *conn,
                      const char *method, const char *url)
{
    req_ctx *rc = calloc(1, sizeof *rc);
    if (!rc)
        return NULL;
    rc->server = s;
    rc->conn = conn;
    /* without a scope (out of memory) the request is served blocking */
    if (s->pooled)
        rc->scope = sfn_service_scope_new(s->o.svc, on_ready, rc);
    pthread_mutex_lock(&s->mu);
    s->in_flight++;
    pthread_mutex_unlock(&s->mu);
    clock_gettime(CLOCK_MONOTONIC, &rc->t0);
    const char *target =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Amz-Target");
    rc->aws = target && !strcmp(url, "/");
    rc->cap = sfn_server_body_cap(s->o.cfg, method, url, target);
    const char *cl = MHD_lookup_connection_value(
        conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > rc->cap)
        rc->too_large = true;
    else if (!rate_take(s, conn, &rc->retry_after))
        rc->throttled = true;
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    sfn_server *s = cls;
    req_ctx *rc = *con_cls;
    if (!rc) {
        if (!(rc = begin(s, conn, method, url)))
            return MHD_NO;
        *con_cls = rc;
        /* answering before the body is read also skips 100-continue */
        return rc->too_large ? finish(s, conn, rc, method, url) : MHD_YES;
    }
    if (*upload_data_size) {
        bool keep = take_chunk(rc, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return keep ? MHD_YES : MHD_NO;
    }
    return finish(s, conn, rc, method, url);
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    sfn_server *s = cls;
    req_ctx *rc = *con_cls;
    if (!rc)
        return;
    pthread_mutex_lock(&s->mu);
    if (rc->suspended) /* libmicrohttpd closes suspended ones only at stop */
        unlink_suspended(s, rc);
    s->in_flight--;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    sfn_service_scope_free(rc->scope);
    free(rc->body);
    free(rc);
    *con_cls = NULL;
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
    sfn_server *s = cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    sfn_log_write(s->o.log, SFN_LOG_WARN, NULL, NULL, 0, "http: %s", msg);
}

/* ---- start and stop --------------------------------------------------- */

static sfn_rc resolve(const sfn_config *cfg, struct sockaddr_storage *ss,
                      socklen_t *ss_len, sfn_error *err)
{
    char *host = NULL, port_s[16];
    int port = 0;
    sfn_rc rc = sfn_config_listen_addr(cfg, &host, &port, err);
    if (rc != SFN_OK)
        return rc;
    snprintf(port_s, sizeof port_s, "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    int gai = getaddrinfo(host, port_s, &hints, &ai);
    if (gai || !ai) {
        rc = sfn_error_set(err, SFN_EINVAL, NULL, -1,
                           "listen: cannot resolve '%s': %s", host,
                           gai_strerror(gai));
        free(host);
        return rc;
    }
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *ss_len = ai->ai_addrlen;
    freeaddrinfo(ai);
    free(host);
    return SFN_OK;
}

static bool loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const void *)ss;
        return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    }
    const struct sockaddr_in6 *a = (const void *)ss;
    return IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
}

static void setup_auth(sfn_server *s)
{
    const sfn_config *c = s->o.cfg;
    if (!c->n_aws_keys)
        return;
    s->keys = calloc(c->n_aws_keys, sizeof *s->keys);
    if (!s->keys)
        return;
    for (size_t i = 0; i < c->n_aws_keys; i++)
        s->keys[i] = (sfn_aws_key){c->aws_keys[i].access_key_id,
                                   c->aws_keys[i].secret_access_key};
    s->auth.keys = s->keys;
    s->auth.n_keys = c->n_aws_keys;
}

/* threads: -1 = a thread per connection, 0 = a pool of one thread per
 * core, N = a pool of N. */
static unsigned pool_size(int64_t threads)
{
    if (threads > 0)
        return (unsigned)threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

static struct MHD_Daemon *start_daemon(sfn_server *s,
                                       const struct sockaddr_storage *ss)
{
    const sfn_config *c = s->o.cfg;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG |
                     (ss->ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    /* the pool never blocks on the engine (requests waiting for it are
     * suspended); a thread per connection blocks that connection's own
     * thread instead */
    flags |= s->pooled ? MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME
                       : MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
    return MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER,
        on_mhd_error, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)ss,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)c->limits.connection_timeout_seconds,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)c->limits.max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)c->limits.per_ip_connections,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024,
        s->pool_size > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
        s->pool_size, MHD_OPTION_END);
}

sfn_server *sfn_server_start(const sfn_server_opts *opts, sfn_error *err)
{
    struct sockaddr_storage ss;
    socklen_t ss_len = 0;
    memset(&ss, 0, sizeof ss);
    if (resolve(opts->cfg, &ss, &ss_len, err) != SFN_OK)
        return NULL;
    sfn_server *s = calloc(1, sizeof *s);
    if (!s) {
        sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
        return NULL;
    }
    s->o = *opts;
    s->loopback = loopback(&ss);
    s->pooled = opts->cfg->threads >= 0;
    s->pool_size = s->pooled ? pool_size(opts->cfg->threads) : 0;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    setup_auth(s);
    s->daemon = start_daemon(s, &ss);
    if (!s->daemon) {
        sfn_error_set(err, SFN_EIO, NULL, -1,
                      "cannot listen on %s (in use, or not an address of "
                      "this machine?)",
                      opts->cfg->listen);
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
        free(s->keys);
        free(s);
        return NULL;
    }
    (void)ss_len;
    return s;
}

bool sfn_server_is_loopback(const sfn_server *s)
{
    return s && s->loopback;
}

unsigned sfn_server_pool_size(const sfn_server *s)
{
    return s ? s->pool_size : 0;
}

void sfn_server_quiesce(sfn_server *s)
{
    if (!s || s->quiesced)
        return;
    MHD_socket fd = MHD_quiesce_daemon(s->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    s->quiesced = true;
    __atomic_store_n(&s->closing, true, __ATOMIC_RELEASE);
}

/* Waits on s->cv until cond() is false or ms passed; s->mu held. */
static void wait_while(sfn_server *s, bool (*cond)(const sfn_server *),
                       int64_t ms)
{
    struct timespec ts = deadline_in(ms);
    while (cond(s))
        if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) == ETIMEDOUT)
            return;
}

static bool busy(const sfn_server *s)
{
    return s->in_flight > 0;
}

static bool parked(const sfn_server *s)
{
    return s->suspended != NULL;
}

/* Lets the requests in flight finish.  libmicrohttpd must not be stopped
 * with a suspended connection, so what still waits for the engine after
 * STOP_WAIT_MS is given up (answered 503) and resumed here. */
static void drain(sfn_server *s)
{
    sfn_service_release_polls(s->o.svc);
    pthread_mutex_lock(&s->mu);
    wait_while(s, busy, STOP_WAIT_MS);
    int given_up = 0;
    for (req_ctx *rc = s->suspended, *next; rc; rc = next) {
        next = rc->next;
        if (sfn_service_scope_abandon(rc->scope)) {
            resume_locked(s, rc);
            given_up++;
        }
    }
    /* the others' answers are in and resume them at once */
    while (parked(s))
        pthread_cond_wait(&s->cv, &s->mu);
    /* from here a request arriving on a kept-alive connection waits on
     * its thread instead of being suspended */
    s->final = true;
    wait_while(s, busy, STOP_ANSWER_MS);
    int left = s->in_flight;
    pthread_mutex_unlock(&s->mu);
    if (given_up)
        sfn_log_write(s->o.log, SFN_LOG_WARN, NULL, NULL, 0,
                      "stop: %d requests still waited for the engine after "
                      "%d ms and were answered ServiceUnavailable",
                      given_up, STOP_WAIT_MS);
    if (left)
        sfn_log_write(s->o.log, SFN_LOG_WARN, NULL, NULL, 0,
                      "stop: closing %d connections with a request still "
                      "in progress",
                      left);
}

void sfn_server_stop(sfn_server *s)
{
    if (!s)
        return;
    sfn_server_quiesce(s);
    if (s->pooled)
        drain(s);
    MHD_stop_daemon(s->daemon);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s->keys);
    free(s);
}
