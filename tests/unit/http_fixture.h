/* http_fixture.h: a real HTTP/1.1 test server (libmicrohttpd on
 * 127.0.0.1, a free port) for tests of code that calls HTTP services.
 * Header-only: each test program gets its own copy.
 *
 * API (all hfx_* functions are called from the test's thread unless noted):
 *
 *   hfx_server *s = hfx_start();          NULL when the server cannot start
 *   hfx_port(s)                           the bound port
 *   hfx_url(s, "/a?b=1")                  "http://127.0.0.1:PORT/a?b=1" in a
 *                                         ring of 16 buffers owned by s (valid
 *                                         until 16 more hfx_url calls)
 *   hfx_route_add(s, &route)              copies the route; the most recently
 *                                         added matching route answers
 *   hfx_requests(s) / hfx_request_at(s,i) recorded requests, in arrival order
 *   hfx_count(s, path)                    requests whose path equals `path`
 *                                         (NULL: all requests)
 *   hfx_last(s, path)                     last request to `path` (NULL: any)
 *   hfx_wait_count(s, path, n, ms)        waits (condition variable, no
 *                                         polling) until hfx_count >= n
 *   hfx_req_header(req, "Idempotency-Key") first value, case-insensitive
 *   hfx_reset(s)                          forgets recorded requests and route
 *                                         hit counts (only when no request is
 *                                         in flight)
 *   hfx_stop(s)                           stops, frees everything; NULL ok
 *   hfx_free_port()                       a loopback port nothing listens on
 *
 * Routes (hfx_route): match `method` (NULL = any) and `path` (exact, or a
 * prefix when it ends in '*'; NULL = any path; the query is not part of
 * the match).  The answer is, in this order of precedence:
 *   handler     a function filling an hfx_reply (runs on a server thread)
 *   fail_first  the first N hits answer fail_status with fail_body
 *   echo        HFX_ECHO_BODY: the request body and Content-Type back;
 *               HFX_ECHO_REQUEST: a JSON object describing the request
 *               {"method","uri","path","query","headers":{lower-name: value},
 *                "body"}
 *   large_bytes a generated body of that many bytes ("abc...z" repeated)
 *   body        (body_len 0 = strlen) with content_type, status (0 = 200),
 *               extra `headers` ("Name: value" lines separated by '\n';
 *               a name may repeat) and `location`.
 * delay_ms holds the answer back (other connections are served meanwhile:
 * one thread per connection; hfx_stop interrupts delays).  drop:
 * HFX_DROP_MID_BODY sends the headers and half the body then closes the
 * connection; HFX_DROP_NO_REPLY closes it without any response.
 * chunked sends the body with Transfer-Encoding: chunked (no
 * Content-Length).  A request matching no route gets 404 "no route".
 *
 * Requests are recorded (thread-safely) once their body has arrived,
 * before any delay.  Recorded requests stay valid until hfx_reset/hfx_stop.
 */
#ifndef SFN_HTTP_FIXTURE_H
#define SFN_HTTP_FIXTURE_H

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HFX_UNUSED __attribute__((unused))

enum { HFX_ECHO_NONE, HFX_ECHO_BODY, HFX_ECHO_REQUEST };
enum { HFX_DROP_NONE, HFX_DROP_MID_BODY, HFX_DROP_NO_REPLY };

typedef struct hfx_request {
    char *method;
    char *uri;      /* raw path + query as sent: "/a%20b?x=1&y=%2F" */
    char *path;     /* raw path without the query                      */
    char *query;    /* raw text after '?', "" when none                */
    size_t n_headers;
    char **names;   /* lower-case header names, arrival order          */
    char **values;
    char *body;     /* NUL-terminated, body_len bytes                  */
    size_t body_len;
    int hit;        /* 1-based hit number of the answering route; 0 none */
    int client_port; /* the client's source port (same = connection reused) */
} hfx_request;

/* Filled by a route handler; strings are malloc'd (strdup) and freed by
 * the fixture.  status 0 = 200. */
typedef struct hfx_reply {
    int status;
    char *content_type;
    char *body;
    size_t body_len; /* 0 = strlen(body) */
    char *headers;   /* "Name: value" lines separated by '\n' */
} hfx_reply;

typedef void (*hfx_handler_fn)(void *ud, const hfx_request *req,
                               hfx_reply *out);

typedef struct hfx_route {
    const char *method;
    const char *path;
    int status;
    const char *content_type;
    const char *body;
    size_t body_len;
    const char *headers;
    const char *location;
    int delay_ms;
    size_t large_bytes;
    int drop;
    bool chunked;
    int echo;
    int fail_first;
    int fail_status;       /* 0 = 500 */
    const char *fail_body; /* NULL = "fail" */
    hfx_handler_fn handler;
    void *handler_ud;
} hfx_route;

typedef struct hfx_route_entry {
    hfx_route r; /* strings below are owned copies */
    int hits;
} hfx_route_entry;

typedef struct hfx_server {
    struct MHD_Daemon *daemon;
    int port;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* new request recorded, or stopping */
    bool stopping;
    hfx_route_entry **routes;
    size_t n_routes;
    hfx_request **reqs;
    size_t n_reqs, cap_reqs;
    char urls[16][1024];
    unsigned next_url;
} hfx_server;

/* Per-request state between the access handler's calls. */
typedef struct hfx_ctx {
    char *uri;
    bool started;
    char *body;
    size_t body_len, body_cap;
} hfx_ctx;

/* ---- small helpers ---- */

HFX_UNUSED static char *hfx__dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

HFX_UNUSED static char *hfx__dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        if (n)
            memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

HFX_UNUSED static int64_t hfx__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Absolute CLOCK_REALTIME deadline for pthread_cond_timedwait. */
HFX_UNUSED static struct timespec hfx__deadline(int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

HFX_UNUSED static void hfx__request_free(hfx_request *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_headers; i++) {
        free(r->names[i]);
        free(r->values[i]);
    }
    free(r->names);
    free(r->values);
    free(r->method);
    free(r->uri);
    free(r->path);
    free(r->query);
    free(r->body);
    free(r);
}

HFX_UNUSED static void hfx__route_free(hfx_route_entry *e)
{
    if (!e)
        return;
    free((char *)e->r.method);
    free((char *)e->r.path);
    free((char *)e->r.content_type);
    free((char *)e->r.body);
    free((char *)e->r.headers);
    free((char *)e->r.location);
    free((char *)e->r.fail_body);
    free(e);
}

HFX_UNUSED static bool hfx__path_match(const char *pattern, const char *path)
{
    if (!pattern)
        return true;
    size_t n = strlen(pattern);
    if (n && pattern[n - 1] == '*')
        return strncmp(pattern, path, n - 1) == 0;
    return strcmp(pattern, path) == 0;
}

/* ---- public accessors ---- */

HFX_UNUSED static int hfx_port(const hfx_server *s)
{
    return s->port;
}

HFX_UNUSED static const char *hfx_url(hfx_server *s, const char *path_query)
{
    char *buf = s->urls[s->next_url++ % 16];
    snprintf(buf, sizeof s->urls[0], "http://127.0.0.1:%d%s", s->port,
             path_query ? path_query : "");
    return buf;
}

HFX_UNUSED static const char *hfx_req_header(const hfx_request *r,
                                             const char *name)
{
    for (size_t i = 0; r && i < r->n_headers; i++)
        if (strcasecmp(r->names[i], name) == 0)
            return r->values[i];
    return NULL;
}

HFX_UNUSED static size_t hfx_requests(hfx_server *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->n_reqs;
    pthread_mutex_unlock(&s->mu);
    return n;
}

HFX_UNUSED static const hfx_request *hfx_request_at(hfx_server *s, size_t i)
{
    pthread_mutex_lock(&s->mu);
    const hfx_request *r = i < s->n_reqs ? s->reqs[i] : NULL;
    pthread_mutex_unlock(&s->mu);
    return r;
}

HFX_UNUSED static size_t hfx__count_locked(hfx_server *s, const char *path)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_reqs; i++)
        if (!path || strcmp(s->reqs[i]->path, path) == 0)
            n++;
    return n;
}

HFX_UNUSED static size_t hfx_count(hfx_server *s, const char *path)
{
    pthread_mutex_lock(&s->mu);
    size_t n = hfx__count_locked(s, path);
    pthread_mutex_unlock(&s->mu);
    return n;
}

HFX_UNUSED static const hfx_request *hfx_last(hfx_server *s, const char *path)
{
    const hfx_request *r = NULL;
    pthread_mutex_lock(&s->mu);
    for (size_t i = s->n_reqs; i-- > 0 && !r;)
        if (!path || strcmp(s->reqs[i]->path, path) == 0)
            r = s->reqs[i];
    pthread_mutex_unlock(&s->mu);
    return r;
}

HFX_UNUSED static bool hfx_wait_count(hfx_server *s, const char *path,
                                      size_t n, int timeout_ms)
{
    struct timespec dl = hfx__deadline(timeout_ms);
    pthread_mutex_lock(&s->mu);
    bool ok;
    while (!(ok = hfx__count_locked(s, path) >= n))
        if (pthread_cond_timedwait(&s->cv, &s->mu, &dl) == ETIMEDOUT) {
            ok = hfx__count_locked(s, path) >= n;
            break;
        }
    pthread_mutex_unlock(&s->mu);
    return ok;
}

HFX_UNUSED static void hfx_reset(hfx_server *s)
{
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->n_reqs; i++)
        hfx__request_free(s->reqs[i]);
    s->n_reqs = 0;
    for (size_t i = 0; i < s->n_routes; i++)
        s->routes[i]->hits = 0;
    pthread_mutex_unlock(&s->mu);
}

HFX_UNUSED static void hfx_route_add(hfx_server *s, const hfx_route *r)
{
    hfx_route_entry *e = calloc(1, sizeof *e);
    if (!e)
        abort();
    e->r = *r;
    e->r.method = hfx__dup(r->method);
    e->r.path = hfx__dup(r->path);
    e->r.content_type = hfx__dup(r->content_type);
    e->r.body = r->body ? hfx__dupn(r->body, r->body_len ? r->body_len
                                                         : strlen(r->body))
                        : NULL;
    e->r.headers = hfx__dup(r->headers);
    e->r.location = hfx__dup(r->location);
    e->r.fail_body = hfx__dup(r->fail_body);
    pthread_mutex_lock(&s->mu);
    hfx_route_entry **nr =
        realloc(s->routes, (s->n_routes + 1) * sizeof *s->routes);
    if (!nr)
        abort();
    s->routes = nr;
    s->routes[s->n_routes++] = e;
    pthread_mutex_unlock(&s->mu);
}

HFX_UNUSED static int hfx_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* ---- server side ---- */

static enum MHD_Result hfx__collect_header(void *cls, enum MHD_ValueKind kind,
                                           const char *key, const char *value)
{
    (void)kind;
    hfx_request *r = cls;
    char **nn = realloc(r->names, (r->n_headers + 1) * sizeof *nn);
    if (nn)
        r->names = nn;
    char **nv = realloc(r->values, (r->n_headers + 1) * sizeof *nv);
    if (nv)
        r->values = nv;
    if (!nn || !nv)
        return MHD_NO;
    char *name = hfx__dup(key);
    for (char *p = name; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    r->names[r->n_headers] = name;
    r->values[r->n_headers++] = hfx__dup(value ? value : "");
    return MHD_YES;
}

static hfx_request *hfx__make_request(struct MHD_Connection *conn,
                                      const char *method, hfx_ctx *ctx)
{
    hfx_request *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->method = hfx__dup(method);
    r->uri = hfx__dup(ctx->uri ? ctx->uri : "/");
    const char *q = strchr(r->uri, '?');
    r->path = q ? hfx__dupn(r->uri, (size_t)(q - r->uri)) : hfx__dup(r->uri);
    r->query = hfx__dup(q ? q + 1 : "");
    MHD_get_connection_values(conn, MHD_HEADER_KIND, hfx__collect_header, r);
    r->body = hfx__dupn(ctx->body ? ctx->body : "", ctx->body_len);
    r->body_len = ctx->body_len;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
        r->client_port =
            ntohs(((const struct sockaddr_in *)ci->client_addr)->sin_port);
    return r;
}

/* Records the request and picks its route.  Route entries live until
 * hfx_stop, so the pointer stays valid after the lock is released. */
static const hfx_route_entry *hfx__record(hfx_server *s, hfx_request *r)
{
    const hfx_route_entry *hit = NULL;
    pthread_mutex_lock(&s->mu);
    for (size_t i = s->n_routes; i-- > 0 && !hit;) {
        hfx_route_entry *e = s->routes[i];
        if ((!e->r.method || strcmp(e->r.method, r->method) == 0) &&
            hfx__path_match(e->r.path, r->path)) {
            r->hit = ++e->hits;
            hit = e;
        }
    }
    if (s->n_reqs == s->cap_reqs) {
        size_t cap = s->cap_reqs ? s->cap_reqs * 2 : 64;
        hfx_request **nr = realloc(s->reqs, cap * sizeof *nr);
        if (!nr)
            abort();
        s->reqs = nr;
        s->cap_reqs = cap;
    }
    s->reqs[s->n_reqs++] = r;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return hit;
}

static void hfx__delay(hfx_server *s, int ms)
{
    struct timespec dl = hfx__deadline(ms);
    pthread_mutex_lock(&s->mu);
    while (!s->stopping)
        if (pthread_cond_timedwait(&s->cv, &s->mu, &dl) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&s->mu);
}

static char *hfx__echo_json(const hfx_request *r)
{
    json_t *h = json_object();
    for (size_t i = 0; i < r->n_headers; i++)
        json_object_set_new(h, r->names[i], json_string(r->values[i]));
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s%}", "method",
                          r->method, "uri", r->uri, "path", r->path, "query",
                          r->query, "headers", h, "body", r->body,
                          r->body_len);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

static void hfx__add_headers(struct MHD_Response *resp, const char *lines)
{
    while (lines && *lines) {
        const char *end = strchr(lines, '\n');
        size_t n = end ? (size_t)(end - lines) : strlen(lines);
        char *line = hfx__dupn(lines, n);
        char *colon = line ? strchr(line, ':') : NULL;
        if (colon) {
            *colon = '\0';
            const char *v = colon + 1;
            while (*v == ' ')
                v++;
            MHD_add_response_header(resp, line, v);
        }
        free(line);
        lines = end ? end + 1 : lines + n;
    }
}

typedef struct hfx_drip {
    char *body;
    size_t len, cut;
    bool chunked;
} hfx_drip;

static ssize_t hfx__drip_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    hfx_drip *d = cls;
    if (pos >= d->cut)
        return d->chunked && d->cut == d->len
                   ? MHD_CONTENT_READER_END_OF_STREAM
                   : MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = d->cut - (size_t)pos;
    if (n > max)
        n = max;
    memcpy(buf, d->body + pos, n);
    return (ssize_t)n;
}

static void hfx__drip_free(void *cls)
{
    hfx_drip *d = cls;
    free(d->body);
    free(d);
}

/* Builds the answer in `out` from a route (handler and echo included). */
static void hfx__answer(const hfx_route_entry *e, const hfx_request *r,
                        const char *req_ct, hfx_reply *out)
{
    const hfx_route *rt = &e->r;
    if (rt->handler) {
        rt->handler(rt->handler_ud, r, out);
        return;
    }
    if (r->hit <= rt->fail_first) {
        out->status = rt->fail_status ? rt->fail_status : 500;
        out->body = hfx__dup(rt->fail_body ? rt->fail_body : "fail");
        out->content_type = hfx__dup("text/plain");
        return;
    }
    out->status = rt->status;
    out->headers = hfx__dup(rt->headers);
    if (rt->echo == HFX_ECHO_BODY) {
        out->body = hfx__dupn(r->body, r->body_len);
        out->body_len = r->body_len;
        out->content_type = hfx__dup(req_ct);
        return;
    }
    if (rt->echo == HFX_ECHO_REQUEST) {
        out->body = hfx__echo_json(r);
        out->content_type = hfx__dup("application/json");
        return;
    }
    out->content_type = hfx__dup(rt->content_type);
    if (rt->large_bytes) {
        out->body = malloc(rt->large_bytes + 1);
        if (!out->body)
            abort();
        for (size_t i = 0; i < rt->large_bytes; i++)
            out->body[i] = (char)('a' + i % 26);
        out->body[rt->large_bytes] = '\0';
        out->body_len = rt->large_bytes;
        return;
    }
    out->body_len = rt->body ? (rt->body_len ? rt->body_len : strlen(rt->body))
                             : 0;
    out->body = hfx__dupn(rt->body ? rt->body : "", out->body_len);
}

static enum MHD_Result hfx__respond(struct MHD_Connection *conn,
                                    hfx_reply *out, int drop, bool chunked,
                                    const char *location)
{
    size_t len = out->body ? (out->body_len ? out->body_len
                                            : strlen(out->body))
                           : 0;
    struct MHD_Response *resp;
    if (drop == HFX_DROP_MID_BODY || chunked) {
        hfx_drip *d = calloc(1, sizeof *d);
        if (!d)
            abort();
        d->body = out->body;
        d->len = len;
        d->cut = drop == HFX_DROP_MID_BODY ? len / 2 : len;
        d->chunked = chunked;
        out->body = NULL;
        resp = MHD_create_response_from_callback(
            chunked ? MHD_SIZE_UNKNOWN : len, 4096, hfx__drip_read, d,
            hfx__drip_free);
    } else {
        resp = MHD_create_response_from_buffer(len, out->body ? out->body : "",
                                               MHD_RESPMEM_MUST_COPY);
    }
    if (!resp)
        return MHD_NO;
    if (out->content_type)
        MHD_add_response_header(resp, "Content-Type", out->content_type);
    if (location)
        MHD_add_response_header(resp, "Location", location);
    hfx__add_headers(resp, out->headers);
    enum MHD_Result rc = MHD_queue_response(
        conn, (unsigned)(out->status ? out->status : 200), resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result hfx__finish(hfx_server *s, struct MHD_Connection *conn,
                                   const char *method, hfx_ctx *ctx)
{
    hfx_request *r = hfx__make_request(conn, method, ctx);
    if (!r)
        return MHD_NO;
    const hfx_route_entry *e = hfx__record(s, r);
    hfx_reply out = {0};
    enum MHD_Result rc;
    if (!e) {
        out.status = 404;
        out.body = hfx__dup("no route");
        out.content_type = hfx__dup("text/plain");
        rc = hfx__respond(conn, &out, HFX_DROP_NONE, false, NULL);
    } else {
        if (e->r.delay_ms > 0)
            hfx__delay(s, e->r.delay_ms);
        if (e->r.drop == HFX_DROP_NO_REPLY)
            return MHD_NO;
        hfx__answer(e, r, hfx_req_header(r, "content-type"), &out);
        rc = hfx__respond(conn, &out, e->r.drop, e->r.chunked, e->r.location);
    }
    free(out.content_type);
    free(out.body);
    free(out.headers);
    return rc;
}

static enum MHD_Result hfx__access(void *cls, struct MHD_Connection *conn,
                                   const char *url, const char *method,
                                   const char *version, const char *upload,
                                   size_t *upload_size, void **con_cls)
{
    (void)url;
    (void)version;
    hfx_ctx *ctx = *con_cls;
    if (!ctx)
        return MHD_NO;
    if (!ctx->started) {
        ctx->started = true;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t need = ctx->body_len + *upload_size + 1;
        if (need > ctx->body_cap) {
            size_t cap = ctx->body_cap ? ctx->body_cap : 1024;
            while (cap < need)
                cap *= 2;
            char *nb = realloc(ctx->body, cap);
            if (!nb)
                return MHD_NO;
            ctx->body = nb;
            ctx->body_cap = cap;
        }
        memcpy(ctx->body + ctx->body_len, upload, *upload_size);
        ctx->body_len += *upload_size;
        *upload_size = 0;
        return MHD_YES;
    }
    return hfx__finish(cls, conn, method, ctx);
}

static void *hfx__uri_log(void *cls, const char *uri,
                          struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    hfx_ctx *ctx = calloc(1, sizeof *ctx);
    if (ctx)
        ctx->uri = hfx__dup(uri);
    return ctx;
}

static void hfx__completed(void *cls, struct MHD_Connection *conn,
                           void **con_cls, enum MHD_RequestTerminationCode tc)
{
    (void)cls;
    (void)conn;
    (void)tc;
    hfx_ctx *ctx = *con_cls;
    if (ctx) {
        free(ctx->uri);
        free(ctx->body);
        free(ctx);
        *con_cls = NULL;
    }
}

HFX_UNUSED static hfx_server *hfx_start(void)
{
    hfx_server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
            MHD_USE_POLL | MHD_USE_ITC,
        0, NULL, NULL, hfx__access, s, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&a, MHD_OPTION_URI_LOG_CALLBACK, hfx__uri_log, s,
        MHD_OPTION_NOTIFY_COMPLETED, hfx__completed, s,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)2000,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    if (!s->daemon) {
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cv);
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    return s;
}

HFX_UNUSED static void hfx_stop(hfx_server *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    MHD_stop_daemon(s->daemon);
    hfx_reset(s);
    for (size_t i = 0; i < s->n_routes; i++)
        hfx__route_free(s->routes[i]);
    free(s->routes);
    free(s->reqs);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}

#endif
