/* httpc.c: the non-blocking HTTP client of sfn_httpc.h on libcurl's multi
 * interface: one easy handle per transfer, redirects followed here hop by
 * hop (so each hop passes the allowlist), callbacks run only from poll. */
#include <curl/curl.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "sfn_httpc.h"

#define DEFAULT_MAX_BODY ((size_t)10 * 1024 * 1024)
#define DEFAULT_TIMEOUT_MS 60000
#define DEFAULT_REDIRECTS 5
#define MAX_HOST_CONNECTIONS 256

typedef struct xfer xfer;

struct xfer {
    xfer *prev, *next; /* in one of the client's lists */
    sfn_httpc *c;
    uint64_t id;
    CURL *easy;
    bool in_multi; /* easy is in the multi handle and x in the active list */
    sfn_httpc_cb cb;
    void *ud;
    /* the request as it stands for the current hop */
    char *method;
    char *url;
    char *host;      /* host of url, for messages and the allowlist */
    char **hdr;      /* "Name: value" lines */
    size_t n_hdr;
    char *body;
    size_t body_len;
    struct curl_slist *slist;
    int64_t start_ms, deadline_ms, end_ms;
    long redirects_left;
    bool check_addr; /* the host name alone did not pass the allowlist */
    bool nobody;     /* HEAD: a Content-Length announces no body */
    /* the response of the current hop */
    long code;
    char *reason;
    json_t *headers;
    char *buf;
    size_t len, cap;
    bool too_large;
    char denied[256]; /* addresses the connect-time check refused */
    char errbuf[CURL_ERROR_SIZE];
    /* the outcome */
    sfn_httpc_status status;
    char *error;
};

typedef struct xfer_list {
    xfer *head, *tail;
} xfer_list;

struct sfn_httpc {
    CURLM *multi;
    sfn_httpc_allow *allow; /* NULL: every destination */
    size_t max_body;
    char *user_agent;
    long max_redirects;
    uint64_t next_id;
    xfer_list active;  /* in the multi handle */
    xfer_list done;    /* finished, callback pending */
    xfer_list running; /* taken by the poll running callbacks now */
    size_t inflight;
    /* finished easy handles kept for the next transfers: creating one per
     * request (buffers allocated and cleared) costs more than the request
     * itself when thousands are in flight */
    CURL **pool;
    size_t n_pool, cap_pool;
};

#define EASY_POOL_MAX 4096

static CURL *easy_get(sfn_httpc *c)
{
    if (c && c->n_pool) {
        CURL *e = c->pool[--c->n_pool];
        curl_easy_reset(e);
        return e;
    }
    return curl_easy_init();
}

static void easy_put(sfn_httpc *c, CURL *e)
{
    if (!e)
        return;
    if (c && c->n_pool == c->cap_pool && c->cap_pool < EASY_POOL_MAX) {
        size_t cap = c->cap_pool ? c->cap_pool * 2 : 64;
        CURL **p = realloc(c->pool, cap * sizeof *p);
        if (p) {
            c->pool = p;
            c->cap_pool = cap;
        }
    }
    if (c && c->n_pool < c->cap_pool)
        c->pool[c->n_pool++] = e;
    else
        curl_easy_cleanup(e);
}

/* ==== small helpers ==== */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        if (n)
            memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static char *dup0(const char *s)
{
    return s ? dupn(s, strlen(s)) : NULL;
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char *s = NULL;
    if (vasprintf(&s, f, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

static void list_push(xfer_list *l, xfer *x)
{
    x->next = NULL;
    x->prev = l->tail;
    if (l->tail)
        l->tail->next = x;
    else
        l->head = x;
    l->tail = x;
}

static void list_remove(xfer_list *l, xfer *x)
{
    if (x->prev)
        x->prev->next = x->next;
    else
        l->head = x->next;
    if (x->next)
        x->next->prev = x->prev;
    else
        l->tail = x->prev;
    x->prev = x->next = NULL;
}

const char *sfn_httpc_status_name(sfn_httpc_status s)
{
    switch (s) {
    case SFN_HTTPC_OK: return "OK";
    case SFN_HTTPC_DENIED: return "DENIED";
    case SFN_HTTPC_DNS: return "DNS";
    case SFN_HTTPC_CONNECT: return "CONNECT";
    case SFN_HTTPC_TLS: return "TLS";
    case SFN_HTTPC_TIMEOUT: return "TIMEOUT";
    case SFN_HTTPC_TOO_LARGE: return "TOO_LARGE";
    case SFN_HTTPC_IO: return "IO";
    }
    return "UNKNOWN";
}

/* ==== transfer lifetime ==== */

static void reset_response(xfer *x)
{
    x->code = 0;
    free(x->reason);
    x->reason = NULL;
    json_decref(x->headers);
    x->headers = NULL;
    x->len = 0;
    x->too_large = false;
    x->denied[0] = '\0';
    x->errbuf[0] = '\0';
}

static void free_headers(xfer *x)
{
    for (size_t i = 0; i < x->n_hdr; i++)
        free(x->hdr[i]);
    free(x->hdr);
    x->hdr = NULL;
    x->n_hdr = 0;
    curl_slist_free_all(x->slist);
    x->slist = NULL;
}

/* Takes the easy handle out of the multi (the transfer stops). */
static void detach(xfer *x)
{
    if (x->in_multi) {
        curl_multi_remove_handle(x->c->multi, x->easy);
        list_remove(&x->c->active, x);
        x->in_multi = false;
    }
}

/* Frees a transfer that is in none of the client's lists. */
static void xfer_free(xfer *x)
{
    if (!x)
        return;
    easy_put(x->c, x->easy);
    reset_response(x);
    free_headers(x);
    free(x->method);
    free(x->url);
    free(x->host);
    free(x->body);
    free(x->buf);
    free(x->error);
    free(x);
}

/* Ends a transfer with its outcome: it moves to the done list, and its
 * callback runs from the next poll.  error: newly allocated, or NULL. */
static void finish(xfer *x, sfn_httpc_status st, char *error)
{
    detach(x);
    x->end_ms = now_ms();
    x->status = st;
    free(x->error);
    x->error = error;
    if (st != SFN_HTTPC_OK && !x->error)
        x->error = dup0(sfn_httpc_status_name(st));
    list_push(&x->c->done, x);
}

/* ==== curl callbacks ==== */

static void set_reason(xfer *x, const char *line, size_t n)
{
    /* "HTTP/1.1 404 Not Found" (HTTP/2: "HTTP/2 404" has no reason) */
    const char *end = line + n, *p = memchr(line, ' ', n);
    if (p)
        p = memchr(p + 1, ' ', (size_t)(end - p - 1));
    free(x->reason);
    x->reason = NULL;
    if (!p) {
        x->reason = dup0("");
        return;
    }
    p++;
    while (end > p && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    x->reason = dupn(p, (size_t)(end - p));
}

static void add_header(xfer *x, const char *line, size_t n)
{
    const char *colon = memchr(line, ':', n);
    if (!colon || colon == line)
        return;
    size_t nl = (size_t)(colon - line);
    char *name = dupn(line, nl);
    const char *v = colon + 1, *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' ||
                       end[-1] == '\t'))
        end--;
    if (!name)
        return;
    for (char *p = name; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    json_t *arr = json_object_get(x->headers, name);
    if (!arr) {
        arr = json_array();
        /* a name that is not UTF-8 is no header anyone can ask for */
        if (json_object_set_new(x->headers, name, arr) != 0) {
            free(name);
            return;
        }
    }
    json_t *val = json_stringn(v, (size_t)(end - v));
    if (!val) {
        /* not UTF-8 (legacy Latin-1 values): keep the value, mark bytes */
        char *copy = dupn(v, (size_t)(end - v));
        for (char *p = copy; p && *p; p++)
            if ((unsigned char)*p >= 0x80)
                *p = '?';
        val = copy ? json_string(copy) : NULL;
        free(copy);
    }
    json_array_append_new(arr, val);
    free(name);
}

/* A status line starts a new response (an interim 100 Continue is
 * replaced by the final one), so only the last response's headers stay. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
    xfer *x = ud;
    size_t n = size * nmemb;
    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        json_decref(x->headers);
        x->headers = json_object();
        set_reason(x, data, n);
        return n;
    }
    if (!x->headers)
        x->headers = json_object();
    if (n && (data[0] == ' ' || data[0] == '\t'))
        return n; /* obsolete line folding: ignored */
    add_header(x, data, n);
    const char *cl = "content-length:";
    if (n > strlen(cl) && !x->nobody &&
        strncasecmp(data, cl, strlen(cl)) == 0) {
        unsigned long long v = strtoull(data + strlen(cl), NULL, 10);
        if (v > x->c->max_body) {
            x->too_large = true;
            return 0; /* aborts the transfer before the body arrives */
        }
    }
    return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    xfer *x = ud;
    size_t n = size * nmemb;
    if (x->len + n > x->c->max_body) {
        x->too_large = true;
        return 0;
    }
    if (x->len + n + 1 > x->cap) {
        size_t cap = x->cap ? x->cap : 4096;
        while (cap < x->len + n + 1)
            cap *= 2;
        char *nb = realloc(x->buf, cap);
        if (!nb)
            return 0;
        x->buf = nb;
        x->cap = cap;
    }
    memcpy(x->buf + x->len, data, n);
    x->len += n;
    x->buf[x->len] = '\0';
    return n;
}

static void addr_text(const struct sockaddr *sa, char *out, size_t n)
{
    const void *a = sa->sa_family == AF_INET6
                        ? (const void *)&((const struct sockaddr_in6 *)sa)
                              ->sin6_addr
                        : (const void *)&((const struct sockaddr_in *)sa)
                              ->sin_addr;
    if (!inet_ntop(sa->sa_family, a, out, (socklen_t)n))
        snprintf(out, n, "(unknown address)");
}

/* The last word on where a request goes: DNS has run, so the address
 * curl is about to connect to is checked against the CIDR entries. */
static curl_socket_t on_open_socket(void *ud, curlsocktype purpose,
                                    struct curl_sockaddr *a)
{
    xfer *x = ud;
    (void)purpose;
    if (x->check_addr && !sfn_httpc_allow_addr(x->c->allow, &a->addr)) {
        /* curl may try several addresses (IPv6 and IPv4): name them all */
        char ip[INET6_ADDRSTRLEN];
        addr_text(&a->addr, ip, sizeof ip);
        size_t used = strlen(x->denied);
        if (!strstr(x->denied, ip))
            snprintf(x->denied + used, sizeof x->denied - used, "%s%s",
                     used ? ", " : "", ip);
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype, a->protocol);
}

/* ==== request set-up ==== */

static bool header_is(const char *line, const char *name)
{
    size_t n = strlen(name);
    return strncasecmp(line, name, n) == 0 && line[n] == ':';
}

static bool has_header(const xfer *x, const char *name)
{
    for (size_t i = 0; i < x->n_hdr; i++)
        if (header_is(x->hdr[i], name))
            return true;
    return false;
}

static bool build_slist(xfer *x)
{
    curl_slist_free_all(x->slist);
    x->slist = NULL;
    struct curl_slist *l = NULL, *t;
    for (size_t i = 0; i < x->n_hdr; i++) {
        if (!(t = curl_slist_append(l, x->hdr[i])))
            goto fail;
        l = t;
    }
    /* curl would add "Expect: 100-continue" (a round trip) and a form
     * Content-Type nobody asked for; "Name:" removes a header */
    if (!has_header(x, "Expect")) {
        if (!(t = curl_slist_append(l, "Expect:")))
            goto fail;
        l = t;
    }
    if (x->body && !has_header(x, "Content-Type")) {
        if (!(t = curl_slist_append(l, "Content-Type:")))
            goto fail;
        l = t;
    }
    x->slist = l;
    return true;
fail:
    curl_slist_free_all(l);
    return false;
}

static void set_method(xfer *x)
{
    CURL *e = x->easy;
    bool post = strcmp(x->method, "POST") == 0;
    x->nobody = strcmp(x->method, "HEAD") == 0;
    if (x->nobody) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
        return;
    }
    if (!x->body && (post || strcmp(x->method, "PUT") == 0 ||
                     strcmp(x->method, "PATCH") == 0))
        x->body = dup0(""); /* so Content-Length: 0 goes out */
    if (x->body) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)x->body_len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body);
    } else {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    }
    if (!post && strcmp(x->method, "GET") != 0)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
}

static CURLcode set_options(xfer *x, long remaining_ms)
{
    CURL *e = x->easy;
    CURLcode rc = CURLE_OK;
#define SET(opt, val)                                                        \
    if (rc == CURLE_OK)                                                      \
    rc = curl_easy_setopt(e, opt, val)
    SET(CURLOPT_URL, x->url);
    SET(CURLOPT_PRIVATE, (void *)x);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    /* an environment proxy would connect on the destination's behalf
     * and so bypass the address check */
    SET(CURLOPT_PROXY, "");
    SET(CURLOPT_TIMEOUT_MS, remaining_ms);
    SET(CURLOPT_CONNECTTIMEOUT_MS, remaining_ms);
    SET(CURLOPT_ERRORBUFFER, x->errbuf);
    SET(CURLOPT_USERAGENT, x->c->user_agent);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, (void *)x);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, (void *)x);
    SET(CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    SET(CURLOPT_OPENSOCKETDATA, (void *)x);
    SET(CURLOPT_HTTPHEADER, x->slist);
#undef SET
    if (rc == CURLE_OK)
        set_method(x);
    return rc;
}

/* Host of an absolute URL (NULL when it does not parse) and whether its
 * scheme is http or https. */
static char *url_host(const char *url, bool *http_scheme)
{
    CURLU *u = curl_url();
    char *host = NULL, *scheme = NULL, *out = NULL;
    *http_scheme = false;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        *http_scheme = strcasecmp(scheme, "http") == 0 ||
                       strcasecmp(scheme, "https") == 0;
        out = dup0(host);
    }
    curl_free(host);
    curl_free(scheme);
    curl_url_cleanup(u);
    return out;
}

/* Starts the current hop (first request or a redirect).  On failure the
 * transfer is finished with the reason. */
static void start_hop(xfer *x)
{
    sfn_httpc *c = x->c;
    bool http_scheme;
    free(x->host);
    x->host = url_host(x->url, &http_scheme);
    if (!x->host) {
        finish(x, SFN_HTTPC_IO, fmt("invalid URL \"%s\"", x->url));
        return;
    }
    if (!http_scheme) {
        finish(x, SFN_HTTPC_IO,
               fmt("unsupported scheme in \"%s\" (http or https only)",
                   x->url));
        return;
    }
    x->check_addr = false;
    if (c->allow && !sfn_httpc_allow_host(c->allow, x->host)) {
        /* a name that no entry names may still resolve into a CIDR */
        if (!sfn_httpc_allow_has_cidr(c->allow) ||
            strspn(x->host, "0123456789.") == strlen(x->host) ||
            x->host[0] == '[') {
            finish(x, SFN_HTTPC_DENIED,
                   fmt("destination host %s is not in http.allow", x->host));
            return;
        }
        x->check_addr = true;
    }
    int64_t left = x->deadline_ms - now_ms();
    if (left <= 0) {
        finish(x, SFN_HTTPC_TIMEOUT,
               fmt("%s %s timed out after %lld ms", x->method, x->url,
                   (long long)(x->deadline_ms - x->start_ms)));
        return;
    }
    reset_response(x);
    if (!x->easy)
        x->easy = easy_get(c);
    else
        curl_easy_reset(x->easy);
    if (!x->easy || !build_slist(x) ||
        set_options(x, (long)left) != CURLE_OK ||
        curl_multi_add_handle(c->multi, x->easy) != CURLM_OK) {
        finish(x, SFN_HTTPC_IO,
               fmt("cannot set up the request to %s", x->url));
        return;
    }
    list_push(&c->active, x);
    x->in_multi = true;
}

/* ==== submit ==== */

static bool token_char(unsigned char ch)
{
    return isalnum(ch) || strchr("!#$%&'*+-.^_`|~", ch);
}

static sfn_rc check_request(const sfn_httpc_request *req, sfn_error *err)
{
    if (!req || !req->method || !*req->method || !req->url)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "HTTP request needs a method and a URL");
    for (const char *p = req->method; *p; p++)
        if (!token_char((unsigned char)*p))
            return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                                 "HTTP method \"%s\" is not a valid token",
                                 req->method);
    for (size_t i = 0; i < req->n_headers; i++) {
        const char *h = req->headers[i];
        const char *colon = h ? strchr(h, ':') : NULL;
        if (!colon || colon == h || strpbrk(h, "\r\n"))
            return sfn_error_set(
                err, SFN_EINVAL, NULL, -1,
                "HTTP header %zu is not a single \"Name: value\" line", i);
        for (const char *p = h; p < colon; p++)
            if (!token_char((unsigned char)*p))
                return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                                     "HTTP header %zu has a bad name", i);
    }
    if (req->body_len && !req->body)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "HTTP request body_len without a body");
    return SFN_OK;
}

static xfer *xfer_new(sfn_httpc *c, const sfn_httpc_request *req)
{
    xfer *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->c = c;
    x->method = dup0(req->method);
    x->url = dup0(req->url);
    x->hdr = req->n_headers ? calloc(req->n_headers, sizeof *x->hdr) : NULL;
    bool ok = x->method && x->url && (x->hdr || !req->n_headers);
    for (size_t i = 0; ok && i < req->n_headers; i++, x->n_hdr++)
        ok = (x->hdr[i] = dup0(req->headers[i])) != NULL;
    if (ok && req->body) {
        x->body = dupn(req->body, req->body_len);
        x->body_len = req->body_len;
        ok = x->body != NULL;
    }
    if (!ok) {
        xfer_free(x);
        return NULL;
    }
    x->start_ms = now_ms();
    int64_t t = req->timeout_ms > 0 ? req->timeout_ms : DEFAULT_TIMEOUT_MS;
    x->deadline_ms = x->start_ms + t;
    x->redirects_left = req->max_redirects < 0 ? c->max_redirects
                                               : req->max_redirects;
    return x;
}

sfn_rc sfn_httpc_submit(sfn_httpc *c, const sfn_httpc_request *req,
                        sfn_httpc_cb cb, void *ud, uint64_t *id,
                        sfn_error *err)
{
    if (!c || !cb)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "sfn_httpc_submit needs a client and a callback");
    sfn_rc rc = check_request(req, err);
    if (rc != SFN_OK)
        return rc;
    xfer *x = xfer_new(c, req);
    if (!x)
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1,
                             "out of memory (HTTP request)");
    x->cb = cb;
    x->ud = ud;
    x->id = ++c->next_id;
    if (id)
        *id = x->id;
    c->inflight++;
    start_hop(x);
    return SFN_OK;
}

/* ==== completion ==== */

static bool is_redirect(long code)
{
    return code == 301 || code == 302 || code == 303 || code == 307 ||
           code == 308;
}

static const char *location_of(const xfer *x)
{
    json_t *arr = json_object_get(x->headers, "location");
    const char *loc = json_string_value(json_array_get(arr, 0));
    return loc && *loc ? loc : NULL;
}

static char *resolve(const char *base, const char *loc)
{
    CURLU *u = curl_url();
    char *s = NULL, *out = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_URL, loc, CURLU_URLENCODE) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK)
        out = dup0(s);
    curl_free(s);
    curl_url_cleanup(u);
    return out;
}

/* Removes the headers named in `names` (NULL-terminated) from the request. */
static void drop_headers(xfer *x, const char *const *names)
{
    size_t k = 0;
    for (size_t i = 0; i < x->n_hdr; i++) {
        bool drop = false;
        for (const char *const *n = names; *n && !drop; n++)
            drop = header_is(x->hdr[i], *n);
        if (drop)
            free(x->hdr[i]);
        else
            x->hdr[k++] = x->hdr[i];
    }
    x->n_hdr = k;
}

/* scheme://host:port of a URL, to tell whether a redirect leaves it. */
static char *origin_of(const char *url)
{
    CURLU *u = curl_url();
    char *sch = NULL, *host = NULL, *port = NULL, *out = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &sch, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
            CURLUE_OK)
        out = fmt("%s://%s:%s", sch, host, port);
    curl_free(sch);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return out;
}

/* Turns the finished hop into the next one.  false: not a redirect to
 * follow (the response is the answer). */
static bool follow_redirect(xfer *x)
{
    const char *loc = location_of(x);
    if (!is_redirect(x->code) || !loc || x->redirects_left <= 0)
        return false;
    char *next = resolve(x->url, loc);
    if (!next)
        return false;
    char *o1 = origin_of(x->url), *o2 = origin_of(next);
    if (!o1 || !o2 || strcasecmp(o1, o2) != 0) {
        /* credentials are for the origin they were given to, as curl
         * itself does when it follows a redirect */
        static const char *const secret[] = {"Authorization", "Cookie",
                                             "Proxy-Authorization", NULL};
        drop_headers(x, secret);
    }
    free(o1);
    free(o2);
    bool to_get = x->code == 303 ? strcmp(x->method, "HEAD") != 0
                                 : (x->code == 301 || x->code == 302) &&
                                       strcmp(x->method, "POST") == 0;
    if (to_get) {
        free(x->method);
        x->method = dup0("GET");
        free(x->body);
        x->body = NULL;
        x->body_len = 0;
        static const char *const body_hdr[] = {"Content-Type",
                                               "Content-Length", NULL};
        drop_headers(x, body_hdr);
    }
    free(x->url);
    x->url = next;
    x->redirects_left--;
    return x->method != NULL;
}

static sfn_httpc_status map_error(xfer *x, CURLcode rc)
{
    if (x->too_large)
        return SFN_HTTPC_TOO_LARGE;
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST: return SFN_HTTPC_DNS;
    case CURLE_COULDNT_CONNECT:
        return x->denied[0] ? SFN_HTTPC_DENIED : SFN_HTTPC_CONNECT;
    case CURLE_OPERATION_TIMEDOUT: return SFN_HTTPC_TIMEOUT;
    case CURLE_FILESIZE_EXCEEDED: return SFN_HTTPC_TOO_LARGE;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
        return SFN_HTTPC_TLS;
    default: return SFN_HTTPC_IO;
    }
}

static char *error_text(xfer *x, sfn_httpc_status st, CURLcode rc)
{
    if (st == SFN_HTTPC_DENIED)
        return fmt("destination %s (host %s) is not in http.allow",
                   x->denied, x->host);
    if (st == SFN_HTTPC_TOO_LARGE)
        return fmt("response body from %s exceeds %zu bytes", x->host,
                   x->c->max_body);
    if (st == SFN_HTTPC_TIMEOUT)
        return fmt("%s %s timed out after %lld ms", x->method, x->url,
                   (long long)(x->deadline_ms - x->start_ms));
    return fmt("%s %s: %s", x->method, x->url,
               x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
}

/* true when the transfer went on to a redirect's next hop. */
static bool on_done(xfer *x, CURLcode rc)
{
    if (rc != CURLE_OK) {
        sfn_httpc_status st = map_error(x, rc);
        finish(x, st, error_text(x, st, rc));
        return false;
    }
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->code);
    if (follow_redirect(x)) {
        detach(x);
        start_hop(x);
        return true;
    }
    finish(x, SFN_HTTPC_OK, NULL);
    return false;
}

/* Runs curl and collects finished transfers; a redirect re-enters the
 * multi handle, so perform runs again to send it without a wait. */
static void drive(sfn_httpc *c)
{
    for (int round = 0; round < 4; round++) {
        int running = 0, msgs = 0;
        bool again = false;
        curl_multi_perform(c->multi, &running);
        CURLMsg *m;
        while ((m = curl_multi_info_read(c->multi, &msgs))) {
            if (m->msg != CURLMSG_DONE)
                continue;
            xfer *x = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
            if (!x)
                continue;
            again |= on_done(x, m->data.result);
        }
        if (!again)
            break;
    }
}

/* HTTP/2 status lines carry no reason phrase; callers still want one. */
static const char *standard_reason(long code)
{
    static const struct {
        long code;
        const char *text;
    } t[] = {{100, "Continue"}, {200, "OK"}, {201, "Created"},
             {202, "Accepted"}, {204, "No Content"},
             {206, "Partial Content"}, {301, "Moved Permanently"},
             {302, "Found"}, {303, "See Other"}, {304, "Not Modified"},
             {307, "Temporary Redirect"}, {308, "Permanent Redirect"},
             {400, "Bad Request"}, {401, "Unauthorized"},
             {403, "Forbidden"}, {404, "Not Found"},
             {405, "Method Not Allowed"}, {406, "Not Acceptable"},
             {408, "Request Timeout"}, {409, "Conflict"}, {410, "Gone"},
             {411, "Length Required"}, {412, "Precondition Failed"},
             {413, "Content Too Large"}, {415, "Unsupported Media Type"},
             {422, "Unprocessable Content"}, {429, "Too Many Requests"},
             {500, "Internal Server Error"},
             {502, "Bad Gateway"}, {503, "Service Unavailable"},
             {504, "Gateway Timeout"}};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (t[i].code == code)
            return t[i].text;
    return "";
}

static void run_callback(sfn_httpc *c, xfer *x)
{
    if (x->status == SFN_HTTPC_OK && !x->headers)
        x->headers = json_object();
    sfn_httpc_response r = {
        .status = x->status,
        .code = x->status == SFN_HTTPC_OK ? x->code : 0,
        .reason = x->reason && *x->reason ? x->reason
                                          : standard_reason(x->code),
        .headers = x->headers,
        .body = x->buf && x->status == SFN_HTTPC_OK ? x->buf : "",
        .body_len = x->status == SFN_HTTPC_OK ? x->len : 0,
        .url = x->url,
        .error = x->error,
        .elapsed_ms = x->end_ms - x->start_ms,
    };
    c->inflight--;
    x->cb(x->ud, &r);
}

int sfn_httpc_poll(sfn_httpc *c, int timeout_ms)
{
    if (!c)
        return 0;
    drive(c);
    if (!c->done.head && timeout_ms > 0) {
        curl_multi_poll(c->multi, NULL, 0, timeout_ms, NULL);
        drive(c);
    }
    /* callbacks may submit or cancel: work from a list cancel can see */
    c->running = c->done;
    c->done.head = c->done.tail = NULL;
    int n = 0;
    xfer *x;
    while ((x = c->running.head)) {
        list_remove(&c->running, x);
        run_callback(c, x);
        xfer_free(x);
        n++;
    }
    return n;
}

void sfn_httpc_wakeup(sfn_httpc *c)
{
    if (c)
        curl_multi_wakeup(c->multi);
}

size_t sfn_httpc_inflight(const sfn_httpc *c)
{
    return c ? c->inflight : 0;
}

static xfer *find(xfer_list *l, uint64_t id)
{
    for (xfer *x = l->head; x; x = x->next)
        if (x->id == id)
            return x;
    return NULL;
}

void sfn_httpc_cancel(sfn_httpc *c, uint64_t id)
{
    if (!c)
        return;
    xfer_list *lists[] = {&c->active, &c->done, &c->running};
    for (size_t i = 0; i < 3; i++) {
        xfer *x = find(lists[i], id);
        if (x) {
            if (i == 0)
                detach(x);
            else
                list_remove(lists[i], x);
            c->inflight--;
            xfer_free(x);
            return;
        }
    }
}

/* ==== client ==== */

static bool global_init(void)
{
    /* curl_global_init is reference counted and, since 7.84, thread-safe */
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

sfn_httpc *sfn_httpc_new(const sfn_httpc_opts *opts, sfn_error *err)
{
    sfn_httpc_opts none = {0};
    if (!opts)
        opts = &none;
    if (!global_init()) {
        sfn_error_set(err, SFN_ERUNTIME, NULL, -1, "libcurl did not start");
        return NULL;
    }
    sfn_httpc *c = calloc(1, sizeof *c);
    if (!c) {
        curl_global_cleanup();
        sfn_error_set(err, SFN_ENOMEM, NULL, -1,
                      "out of memory (HTTP client)");
        return NULL;
    }
    if (opts->n_allow &&
        !(c->allow = sfn_httpc_allow_new(opts->allow, opts->n_allow, err))) {
        free(c);
        curl_global_cleanup();
        return NULL;
    }
    c->max_body = opts->max_response_bytes ? opts->max_response_bytes
                                           : DEFAULT_MAX_BODY;
    c->max_redirects = opts->max_redirects > 0 ? opts->max_redirects
                                               : DEFAULT_REDIRECTS;
    c->user_agent = dup0(opts->user_agent ? opts->user_agent : "stepd");
    c->multi = curl_multi_init();
    if (!c->user_agent || !c->multi) {
        sfn_httpc_free(c);
        sfn_error_set(err, SFN_ENOMEM, NULL, -1, "cannot create a curl multi");
        return NULL;
    }
    long per_host = opts && opts->max_host_connections > 0
                        ? opts->max_host_connections
                        : MAX_HOST_CONNECTIONS;
    long cached = opts && opts->max_connections > 0 ? opts->max_connections
                                                    : 4 * per_host;
    /* an idle cache smaller than the per-host limit closes connections
     * that the next burst opens again */
    if (cached < per_host)
        cached = per_host;
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, per_host);
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, cached);
    return c;
}

void sfn_httpc_free(sfn_httpc *c)
{
    if (!c)
        return;
    xfer_list *lists[] = {&c->active, &c->done, &c->running};
    for (size_t i = 0; i < 3; i++) {
        xfer *x;
        while ((x = lists[i]->head)) {
            if (i == 0)
                detach(x);
            else
                list_remove(lists[i], x);
            xfer_free(x);
        }
    }
    if (c->multi)
        curl_multi_cleanup(c->multi);
    for (size_t i = 0; i < c->n_pool; i++)
        curl_easy_cleanup(c->pool[i]);
    free(c->pool);
    sfn_httpc_allow_free(c->allow);
    free(c->user_agent);
    free(c);
    curl_global_cleanup();
}
