/* cli_demo.c: `stepd demo-service`, the small inventory / payments /
 * shipping HTTP service that samples/order-saga calls.  It can be told to
 * fail a chosen step, answers a repeated Idempotency-Key with the answer it
 * first gave, and logs one line per request so compensations show in order. */
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>

#include "cli.h"

static const char demo_usage[] =
    "usage: stepd demo-service [--listen HOST:PORT] [--fail STEP]\n"
    "  Runs the demo order service of samples/order-saga (JSON in and out,\n"
    "  default 127.0.0.1:9090).  Routes, all POST with a body holding\n"
    "  \"orderId\" (string or integer):\n"
    "    /inventory/reserve  /inventory/release   (step reserve, release)\n"
    "    /payments/charge    /payments/refund     (step charge, refund)\n"
    "    /shipping/book      /shipping/cancel     (step ship, cancel)\n"
    "  A body with \"failAt\": STEP, or --fail STEP for every request, makes\n"
    "  that step answer 500 {\"error\": ...}.  A request repeating an\n"
    "  Idempotency-Key gets the first answer again and is not applied twice.\n"
    "  Logs each request to stderr; SIGINT or SIGTERM stops it.\n";

typedef struct route {
    const char *path;
    const char *step;     /* the name failAt and --fail use */
    const char *id_field; /* the id member of the answer */
    const char *id_prefix;
    const char *status;
} route;

static const route routes[] = {
    {"/inventory/reserve", "reserve", "reservationId", "res-", "RESERVED"},
    {"/inventory/release", "release", "reservationId", "res-", "RELEASED"},
    {"/payments/charge", "charge", "chargeId", "ch-", "CHARGED"},
    {"/payments/refund", "refund", "chargeId", "ch-", "REFUNDED"},
    {"/shipping/book", "ship", "shipmentId", "shp-", "BOOKED"},
    {"/shipping/cancel", "cancel", "shipmentId", "shp-", "CANCELLED"},
};

#define N_ROUTES (sizeof routes / sizeof routes[0])
#define STEP_NAMES "reserve, release, charge, refund, ship, cancel"
#define BODY_MAX ((size_t)64 << 10)
/* The oldest remembered key is forgotten past this many: a demo, not a
 * ledger, but a long session must not grow without bound. */
#define REMEMBERED 4096

typedef struct remembered {
    char *key;
    const route *r;
    unsigned status;
    char *body;
} remembered;

typedef struct demo {
    const char *fail; /* step failed for every request, or NULL */
    remembered seen[REMEMBERED];
    size_t next;
} demo;

typedef struct req {
    char *body;
    size_t len;
    bool too_large;
} req;

typedef struct answer {
    unsigned status;
    char *body;  /* malloc'd JSON text */
    char *order; /* malloc'd orderId as logged, or NULL */
    bool replay;
} answer;

static const route *find_route(const char *path)
{
    for (size_t i = 0; i < N_ROUTES; i++)
        if (!strcmp(routes[i].path, path))
            return &routes[i];
    return NULL;
}

static bool known_step(const char *s)
{
    for (size_t i = 0; i < N_ROUTES; i++)
        if (!strcmp(routes[i].step, s))
            return true;
    return false;
}

/* ---- answers ---------------------------------------------------------- */

static answer error_answer(unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static answer error_answer(unsigned status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *o = json_pack("{s:s}", "error", msg);
    answer a = {status, o ? json_dumps(o, JSON_COMPACT) : NULL, NULL, false};
    json_decref(o);
    return a;
}

/* orderId as text ("42" or "A-7"); NULL when absent or of another type. */
static char *order_text(const json_t *body)
{
    const json_t *id = json_object_get(body, "orderId");
    char buf[32];
    if (json_is_string(id))
        return strdup(json_string_value(id));
    if (!json_is_integer(id))
        return NULL;
    snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(id));
    return strdup(buf);
}

/* The step this request must fail at, if any (failAt wins over --fail). */
static const char *fail_step(const demo *d, const json_t *body)
{
    const json_t *f = json_object_get(body, "failAt");
    return json_is_string(f) ? json_string_value(f) : d->fail;
}

static answer apply(const demo *d, const route *r, const json_t *body,
                    const char *order)
{
    const char *fail = fail_step(d, body);
    if (fail && !strcmp(fail, r->step))
        return error_answer(500, "%s failed for order %s (asked by %s)",
                            r->step, order,
                            json_is_string(json_object_get(body, "failAt"))
                                ? "failAt"
                                : "--fail");
    size_t n = strlen(r->id_prefix) + strlen(order) + 1;
    char *id = malloc(n);
    if (!id)
        return error_answer(500, "out of memory");
    snprintf(id, n, "%s%s", r->id_prefix, order);
    json_t *o = json_pack("{s:O,s:s,s:s}", "orderId",
                          json_object_get(body, "orderId"), r->id_field, id,
                          "status", r->status);
    free(id);
    answer a = {200, o ? json_dumps(o, JSON_COMPACT) : NULL, NULL, false};
    json_decref(o);
    return a;
}

/* Checks the body: NULL (and *bad filled) when it is not a JSON object
 * with an orderId and at most a known failAt.  Returns a new reference. */
static json_t *parse_body(const req *q, answer *bad)
{
    json_error_t je;
    json_t *body = json_loadb(q->body ? q->body : "", q->len, 0, &je);
    if (!json_is_object(body)) {
        *bad = body ? error_answer(400, "request body must be a JSON object")
                    : error_answer(400,
                                   "request body is not JSON: %s (line %d, "
                                   "column %d)",
                                   je.text, je.line, je.column);
        json_decref(body);
        return NULL;
    }
    const json_t *f = json_object_get(body, "failAt");
    if (f && !(json_is_string(f) && known_step(json_string_value(f)))) {
        *bad = error_answer(400, "\"failAt\" must name a step (one of %s)",
                            STEP_NAMES);
        json_decref(body);
        return NULL;
    }
    return body;
}

/* ---- remembered Idempotency-Keys --------------------------------------- */

static remembered *recall(demo *d, const char *key)
{
    for (size_t i = 0; i < REMEMBERED; i++)
        if (d->seen[i].key && !strcmp(d->seen[i].key, key))
            return &d->seen[i];
    return NULL;
}

static void remember(demo *d, const char *key, const route *r,
                     const answer *a)
{
    remembered *m = &d->seen[d->next];
    d->next = (d->next + 1) % REMEMBERED;
    free(m->key);
    free(m->body);
    m->key = strdup(key);
    m->body = a->body ? strdup(a->body) : NULL;
    m->r = r;
    m->status = a->status;
    if (!m->key || !m->body) {
        free(m->key);
        free(m->body);
        m->key = m->body = NULL;
    }
}

static void forget_all(demo *d)
{
    for (size_t i = 0; i < REMEMBERED; i++) {
        free(d->seen[i].key);
        free(d->seen[i].body);
    }
}

/* ---- requests --------------------------------------------------------- */

static answer handle(demo *d, const char *method, const char *path,
                     const char *key, const req *q)
{
    const route *r = find_route(path);
    if (!r)
        return error_answer(404, "no route %s; the routes are "
                                 "/inventory/reserve|release, "
                                 "/payments/charge|refund, "
                                 "/shipping/book|cancel",
                            path);
    if (strcmp(method, "POST"))
        return error_answer(405, "%s takes POST, not %s", path, method);
    if (q->too_large)
        return error_answer(413, "request body over %zu bytes", BODY_MAX);
    answer a = {0};
    json_t *body = parse_body(q, &a);
    if (!body)
        return a;
    char *order = order_text(body);
    if (!order) {
        json_decref(body);
        return error_answer(400, "request body needs \"orderId\" (a string "
                                 "or an integer)");
    }
    remembered *m = key ? recall(d, key) : NULL;
    if (m && m->r != r)
        a = error_answer(422, "Idempotency-Key '%s' was already used for %s",
                         key, m->r->path);
    else if (m)
        a = (answer){m->status, strdup(m->body), NULL, true};
    else {
        a = apply(d, r, body, order);
        if (key)
            remember(d, key, r, &a);
    }
    a.order = order;
    json_decref(body);
    return a;
}

static enum MHD_Result send_answer(struct MHD_Connection *c, const answer *a)
{
    static const char oom[] = "{\"error\":\"out of memory\"}";
    const char *text = a->body ? a->body : oom;
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", "application/json");
    if (a->status == 405)
        MHD_add_response_header(resp, "Allow", "POST");
    enum MHD_Result ok =
        MHD_queue_response(c, a->body ? a->status : 500, resp);
    MHD_destroy_response(resp);
    return ok;
}

static void append_body(req *q, const char *data, size_t n)
{
    if (q->too_large || q->len + n > BODY_MAX) {
        q->too_large = true;
        return;
    }
    char *grown = realloc(q->body, q->len + n + 1);
    if (!grown) {
        q->too_large = true;
        return;
    }
    memcpy(grown + q->len, data, n);
    q->len += n;
    grown[q->len] = '\0';
    q->body = grown;
}

/* libmicrohttpd calls this once with the headers, once per body chunk and
 * once more when the body is complete; only the last call answers. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *data_size, void **con_cls)
{
    (void)version;
    req *q = *con_cls;
    if (!q) {
        q = calloc(1, sizeof *q);
        *con_cls = q;
        return q ? MHD_YES : MHD_NO;
    }
    if (*data_size) {
        append_body(q, data, *data_size);
        *data_size = 0;
        return MHD_YES;
    }
    const char *key =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
    answer a = handle(cls, method, url, key, q);
    fprintf(stderr, "%s %s order=%s key=%s -> %u%s\n", method, url,
            a.order ? a.order : "-", key ? key : "-",
            a.body ? a.status : 500, a.replay ? " (replayed)" : "");
    enum MHD_Result ok = send_answer(c, &a);
    free(a.body);
    free(a.order);
    return ok;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)c;
    (void)code;
    req *q = *con_cls;
    if (q)
        free(q->body);
    free(q);
    *con_cls = NULL;
}

/* ---- start-up --------------------------------------------------------- */

/* HOST:PORT (HOST may be [v6]) to a socket address; false with a message. */
static bool resolve_listen(const char *listen, struct sockaddr_storage *ss)
{
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || !colon[1]) {
        fprintf(stderr, "stepd demo-service: --listen '%s' is not HOST:PORT\n",
                listen);
        return false;
    }
    char host[256];
    size_t n = (size_t)(colon - listen);
    if (listen[0] == '[' && colon[-1] == ']') {
        listen++;
        n -= 2;
    }
    if (n >= sizeof host) {
        fprintf(stderr, "stepd demo-service: --listen host is too long\n");
        return false;
    }
    memcpy(host, listen, n);
    host[n] = '\0';
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 1 || port > 65535) {
        fprintf(stderr, "stepd demo-service: --listen port '%s' is not a "
                        "number from 1 to 65535\n", colon + 1);
        return false;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV}, *res = NULL;
    int e = getaddrinfo(host, colon + 1, &hints, &res);
    if (e) {
        fprintf(stderr, "stepd demo-service: --listen host '%s': %s\n", host,
                gai_strerror(e));
        return false;
    }
    memset(ss, 0, sizeof *ss);
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return true;
}

static int parse_demo_args(int argc, char **argv, const char **listen,
                           const char **fail)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(demo_usage, stdout);
            return -1;
        }
        bool known = !strcmp(a, "--listen") || !strcmp(a, "--fail");
        if (!known || i + 1 >= argc) {
            fprintf(stderr, "stepd demo-service: %s '%s'\n\n",
                    known ? "missing value for" : "unknown argument", a);
            fputs(demo_usage, stderr);
            return SFN_CLI_USAGE;
        }
        *(a[2] == 'l' ? listen : fail) = argv[++i];
    }
    if (*fail && !known_step(*fail)) {
        fprintf(stderr, "stepd demo-service: --fail '%s' names no step (one "
                        "of " STEP_NAMES ")\n", *fail);
        return SFN_CLI_USAGE;
    }
    return 0;
}

int sfn_cli_demo_service(int argc, char **argv)
{
    const char *listen = "127.0.0.1:9090", *fail = NULL;
    int rc = parse_demo_args(argc, argv, &listen, &fail);
    if (rc)
        return rc < 0 ? SFN_CLI_OK : rc;
    struct sockaddr_storage ss;
    if (!resolve_listen(listen, &ss))
        return SFN_CLI_USAGE;
    /* blocked before the daemon starts, so its thread inherits the mask and
     * the signals wait for sigwait below */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    demo *d = calloc(1, sizeof *d);
    if (!d) {
        fputs("stepd demo-service: out of memory\n", stderr);
        return SFN_CLI_USAGE;
    }
    d->fail = fail;
    /* one internal thread: requests are handled one at a time, so the
     * remembered keys need no lock */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
                     MHD_USE_ERROR_LOG |
                     (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    struct MHD_Daemon *daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, d, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
        NULL, MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    if (!daemon) {
        fprintf(stderr, "stepd demo-service: cannot listen on %s (in use, or "
                        "not an address of this machine?)\n", listen);
        free(d);
        return SFN_CLI_USAGE;
    }
    fprintf(stderr, "stepd demo-service: listening on http://%s%s%s\n",
            listen, fail ? ", failing every " : "", fail ? fail : "");
    int sig = 0;
    sigwait(&stop, &sig);
    MHD_stop_daemon(daemon);
    forget_all(d);
    free(d);
    fprintf(stderr, "stepd demo-service: stopped (%s)\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM");
    return SFN_CLI_OK;
}
