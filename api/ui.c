/* ui.c: serves the embedded web console (sfn_ui.h): index.html revalidated
 * on every load (no-cache, ETag), content-hashed assets cached for a year,
 * gzip when the client takes it, and a plain page saying how to build the
 * console when the binary was built without node/npm. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sfn_rest.h"
#include "sfn_ui.h"

#define CACHE_IMMUTABLE "public, max-age=31536000, immutable"
/* The console fetches nothing from elsewhere; the policy makes sure. */
#define CSP "default-src 'self'; img-src 'self' data:; style-src 'self'; " \
            "script-src 'self'; connect-src 'self'; object-src 'none'; "    \
            "base-uri 'none'; frame-ancestors 'none'"

static const char MISSING_PAGE[] =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    "<title>stepd console not built</title></head>\n<body style=\"font-family:"
    "system-ui,sans-serif;max-width:40em;margin:2em auto;padding:0 1em\">\n"
    "<h1>stepd: console not built</h1>\n<p>This stepd binary was built "
    "without its web console: install nodejs and npm and rebuild "
    "(<code>scripts/deps.sh</code> installs them, then "
    "<code>cmake --build</code>).</p>\n<p>Reason: %s</p>\n<p>The REST API "
    "at <code>/v1/</code> and the AWS protocol work as usual.</p>\n"
    "</body></html>\n";

static void body_copy(sfn_http_resp *resp, const void *data, size_t len)
{
    free(resp->body);
    resp->body = malloc(len ? len : 1);
    resp->body_len = resp->body ? len : 0;
    if (resp->body && len)
        memcpy(resp->body, data, len);
}

static void redirect(sfn_http_resp *resp, const char *to)
{
    snprintf(resp->route, sizeof resp->route, "GET /ui redirect");
    resp->status = 301;
    resp->content_type = "text/plain; charset=utf-8";
    sfn_http_resp_header(resp, "Location", to);
    body_copy(resp, "see /ui/\n", 9);
}

static void missing(sfn_http_resp *resp)
{
    const char *note = sfn_ui_build_note();
    size_t cap = sizeof MISSING_PAGE + strlen(note);
    char *page = malloc(cap);
    if (page)
        snprintf(page, cap, MISSING_PAGE, note);
    resp->status = 200;
    resp->content_type = "text/html; charset=utf-8";
    free(resp->body);
    resp->body = page;
    resp->body_len = page ? strlen(page) : 0;
    sfn_http_resp_header(resp, "Cache-Control", "no-cache");
}

static const sfn_ui_asset *find(const char *rel)
{
    size_t n = 0;
    const sfn_ui_asset *t = sfn_ui_asset_table(&n);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(t[i].path, rel))
            return &t[i];
    return NULL;
}

/* "gzip" among Accept-Encoding's codings, unless given q=0. */
static bool accepts_gzip(const sfn_http_req *req)
{
    const char *ae = req->header(req->ud, "Accept-Encoding");
    const char *p = ae ? strcasestr(ae, "gzip") : NULL;
    if (!p)
        return false;
    const char *end = strchr(p, ',');
    const char *q = strstr(p, "q=");
    return !(q && (!end || q < end) && strtod(q + 2, NULL) == 0.0);
}

/* If-None-Match lists the tag (or is "*"): the client's copy is current. */
static bool not_modified(const sfn_http_req *req, const char *etag)
{
    const char *inm = req->header(req->ud, "If-None-Match");
    if (!inm)
        return false;
    if (!strcmp(inm, "*"))
        return true;
    size_t n = strlen(etag);
    for (const char *p = strstr(inm, etag); p; p = strstr(p + 1, etag))
        if (p[n] == '\0' || p[n] == ',' || p[n] == ' ')
            return true;
    return false;
}

static void send_asset(const sfn_http_req *req, sfn_http_resp *resp,
                       const sfn_ui_asset *a)
{
    bool gz = a->gz && accepts_gzip(req);
    char etag[96];
    size_t n = strlen(a->etag);
    if (gz && n >= 2 && n + 3 < sizeof etag)
        snprintf(etag, sizeof etag, "%.*s-gz\"", (int)(n - 1), a->etag);
    else
        snprintf(etag, sizeof etag, "%s", a->etag);
    resp->content_type = a->content_type;
    sfn_http_resp_header(resp, "ETag", etag);
    sfn_http_resp_header(resp, "Cache-Control",
                         a->immutable ? CACHE_IMMUTABLE : "no-cache");
    if (a->gz)
        sfn_http_resp_header(resp, "Vary", "Accept-Encoding");
    sfn_http_resp_header(resp, "X-Content-Type-Options", "nosniff");
    if (!a->immutable)
        sfn_http_resp_header(resp, "Content-Security-Policy", CSP);
    if (not_modified(req, etag)) {
        resp->status = 304;
        body_copy(resp, "", 0);
        return;
    }
    resp->status = 200;
    if (gz)
        sfn_http_resp_header(resp, "Content-Encoding", "gzip");
    body_copy(resp, gz ? a->gz : a->data, gz ? a->gz_len : a->len);
}

void sfn_ui_handle(const sfn_http_req *req, sfn_http_resp *resp)
{
    const char *path = req->path;
    bool get = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
    if (!get) {
        snprintf(resp->route, sizeof resp->route, "/ui wrong method");
        sfn_rest_error(resp, 405, "MethodNotAllowed",
                       "the console at /ui/ answers GET and HEAD only", NULL);
        sfn_http_resp_header(resp, "Allow", "GET, HEAD");
        return;
    }
    if (!strcmp(path, "/") || !strcmp(path, "/ui")) {
        redirect(resp, "/ui/");
        return;
    }
    snprintf(resp->route, sizeof resp->route, "GET /ui");
    const char *rel = path + 4; /* after "/ui/" */
    if (!*rel)
        rel = "index.html";
    size_t n = 0;
    sfn_ui_asset_table(&n);
    if (n == 0 && !strcmp(rel, "index.html")) {
        missing(resp);
        return;
    }
    const sfn_ui_asset *a = find(rel);
    if (a) {
        send_asset(req, resp, a);
        return;
    }
    char msg[300];
    snprintf(msg, sizeof msg, "the console has no asset %.200s%s", path,
             n ? "" : " (the console was not built)");
    sfn_rest_error(resp, 404, "NotFound", msg, NULL);
}
