/* test_ui.c: the web console.  First sfn_ui_handle on its own (content
 * types, caching headers, ETag / 304, gzip, redirects, 404, 405) over the
 * assets linked into this program, then the browser run: `stepd serve`
 * ($STEPD, set by CTest) with a bearer token and `stepd demo-service`, each
 * on a free loopback port, and tests/ui/console.mjs in Debian's headless
 * Chromium (playwright-core from tests/ui/package-lock.json, npm ci here).
 * Screenshots go to build/ui-screenshots/ ($UI_SCREENSHOTS overrides). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "serve_harness.h"
#include "sfn_ui.h"

/* ---- sfn_ui_handle with a request built here ---- */

typedef struct fake {
    const char *names[4];
    const char *values[4];
} fake;

static const char *fake_header(void *ud, const char *name)
{
    fake *f = ud;
    for (int i = 0; i < 4 && f->names[i]; i++)
        if (!strcasecmp(f->names[i], name))
            return f->values[i];
    return NULL;
}

static const char *no_query(void *ud, const char *name)
{
    (void)ud;
    (void)name;
    return NULL;
}

static void call(const char *method, const char *path, fake *f,
                 sfn_http_resp *resp)
{
    static fake none;
    sfn_http_req req = {.method = method, .path = path, .body = "",
                        .header = fake_header, .query = no_query,
                        .ud = f ? f : &none, .remote_addr = "test"};
    memset(resp, 0, sizeof *resp);
    sfn_ui_handle(&req, resp);
}

static const char *resp_header(const sfn_http_resp *r, const char *name)
{
    for (int i = 0; i < r->n_headers; i++)
        if (!strcasecmp(r->header_names[i], name))
            return r->header_values[i];
    return NULL;
}

/* The hashed script index.html loads: "assets/app-XXXX.js". */
static const sfn_ui_asset *script_asset(void)
{
    size_t n = 0;
    const sfn_ui_asset *t = sfn_ui_asset_table(&n);
    for (size_t i = 0; i < n; i++)
        if (!strncmp(t[i].path, "assets/app-", 11))
            return &t[i];
    return NULL;
}

static int need_console(void **state)
{
    (void)state;
    size_t n = 0;
    sfn_ui_asset_table(&n);
    if (n == 0) {
        fprintf(stderr, "test_ui: the console is not built into this "
                        "binary (%s): install nodejs and npm and rebuild\n",
                sfn_ui_build_note());
        return -1;
    }
    return 0;
}

static void test_index_served_no_cache(void **state)
{
    (void)state;
    sfn_http_resp r;
    call("GET", "/ui/", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "text/html; charset=utf-8");
    assert_string_equal(resp_header(&r, "Cache-Control"), "no-cache");
    assert_non_null(resp_header(&r, "ETag"));
    assert_non_null(strstr(resp_header(&r, "Content-Security-Policy"),
                           "default-src 'self'"));
    assert_null(resp_header(&r, "Content-Encoding"));
    assert_true(r.body_len > 100);
    assert_non_null(memmem(r.body, r.body_len, "assets/app-", 11));
    sfn_http_resp_free(&r);
}

static void test_hashed_asset_immutable(void **state)
{
    (void)state;
    const sfn_ui_asset *a = script_asset();
    assert_non_null(a);
    char path[200];
    snprintf(path, sizeof path, "/ui/%s", a->path);
    sfn_http_resp r;
    call("GET", path, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "text/javascript; charset=utf-8");
    assert_string_equal(resp_header(&r, "Cache-Control"),
                        "public, max-age=31536000, immutable");
    assert_int_equal(r.body_len, a->len);
    assert_memory_equal(r.body, a->data, a->len);
    sfn_http_resp_free(&r);

    const sfn_ui_asset *css = NULL;
    size_t n = 0;
    const sfn_ui_asset *t = sfn_ui_asset_table(&n);
    for (size_t i = 0; i < n; i++)
        if (strstr(t[i].path, ".css"))
            css = &t[i];
    assert_non_null(css);
    snprintf(path, sizeof path, "/ui/%s", css->path);
    call("GET", path, NULL, &r);
    assert_string_equal(r.content_type, "text/css; charset=utf-8");
    sfn_http_resp_free(&r);
}

static void test_gzip_when_accepted(void **state)
{
    (void)state;
    const sfn_ui_asset *a = script_asset();
    assert_non_null(a->gz);
    char path[200];
    snprintf(path, sizeof path, "/ui/%s", a->path);
    fake f = {{"Accept-Encoding"}, {"br, gzip, deflate"}};
    sfn_http_resp r;
    call("GET", path, &f, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(resp_header(&r, "Content-Encoding"), "gzip");
    assert_string_equal(resp_header(&r, "Vary"), "Accept-Encoding");
    assert_int_equal(r.body_len, a->gz_len);
    assert_true(a->gz_len < a->len);
    /* gzip magic */
    assert_int_equal((unsigned char)r.body[0], 0x1f);
    assert_int_equal((unsigned char)r.body[1], 0x8b);
    assert_non_null(strstr(resp_header(&r, "ETag"), "-gz\""));
    sfn_http_resp_free(&r);

    fake refused = {{"Accept-Encoding"}, {"gzip;q=0, identity"}};
    call("GET", path, &refused, &r);
    assert_null(resp_header(&r, "Content-Encoding"));
    assert_int_equal(r.body_len, a->len);
    sfn_http_resp_free(&r);
}

static void test_etag_not_modified(void **state)
{
    (void)state;
    sfn_http_resp r;
    call("GET", "/ui/index.html", NULL, &r);
    char etag[96];
    snprintf(etag, sizeof etag, "%s", resp_header(&r, "ETag"));
    sfn_http_resp_free(&r);

    fake f = {{"If-None-Match"}, {etag}};
    call("GET", "/ui/", &f, &r);
    assert_int_equal(r.status, 304);
    assert_int_equal(r.body_len, 0);
    assert_string_equal(resp_header(&r, "ETag"), etag);
    sfn_http_resp_free(&r);

    fake other = {{"If-None-Match"}, {"\"0000\""}};
    call("GET", "/ui/", &other, &r);
    assert_int_equal(r.status, 200);
    sfn_http_resp_free(&r);
}

static void test_redirects(void **state)
{
    (void)state;
    sfn_http_resp r;
    call("GET", "/", NULL, &r);
    assert_int_equal(r.status, 301);
    assert_string_equal(resp_header(&r, "Location"), "/ui/");
    sfn_http_resp_free(&r);
    call("HEAD", "/ui", NULL, &r);
    assert_int_equal(r.status, 301);
    assert_string_equal(resp_header(&r, "Location"), "/ui/");
    sfn_http_resp_free(&r);
}

static void test_unknown_asset_404(void **state)
{
    (void)state;
    sfn_http_resp r;
    call("GET", "/ui/assets/nope.js", NULL, &r);
    assert_int_equal(r.status, 404);
    assert_non_null(memmem(r.body, r.body_len, "/ui/assets/nope.js", 18));
    sfn_http_resp_free(&r);
    /* a .gz twin is not an asset of its own */
    char path[200];
    snprintf(path, sizeof path, "/ui/%s.gz", script_asset()->path);
    call("GET", path, NULL, &r);
    assert_int_equal(r.status, 404);
    sfn_http_resp_free(&r);
}

static void test_other_methods_405(void **state)
{
    (void)state;
    sfn_http_resp r;
    call("POST", "/ui/", NULL, &r);
    assert_int_equal(r.status, 405);
    assert_string_equal(resp_header(&r, "Allow"), "GET, HEAD");
    sfn_http_resp_free(&r);
}

/* ---- the browser run ---- */

#define TOKEN "ui-test-token-0123"

static int run(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_browser(void **state)
{
    (void)state;
    const char *bin = getenv("STEPD");
    if (!bin || access(bin, X_OK))
        fail_msg("$STEPD (the stepd binary) is not set; run through ctest");
    const char *chromium = getenv("CHROMIUM") ? getenv("CHROMIUM")
                                              : "/usr/bin/chromium";
    if (access(chromium, X_OK))
        fail_msg("no Chromium at %s: the console's browser tests need the "
                 "Debian packages chromium and chromium-driver (run "
                 "scripts/deps.sh)",
                 chromium);
    struct stat sb;
    if (stat("tests/ui/node_modules/playwright-core/package.json", &sb))
        assert_int_equal(run("cd tests/ui && npm ci --no-audit --no-fund "
                             "--loglevel=error >/dev/null"),
                         0);

    sh_server srv, demo;
    assert_int_equal(sh_make_dir(&srv, "/tmp/stepd_ui_XXXXXX"), 0);
    demo = srv;
    snprintf(demo.log, sizeof demo.log, "%s/demo.log", srv.dir);
    const char *serve_args[] = {"--auth-token", TOKEN, NULL};
    sh_opts serve = {.args = serve_args};
    /* demo-service has no /healthz: ready once it accepts a connection */
    sh_opts demo_opts = {.command = "demo-service", .no_db = true,
                         .ready = SH_READY_CONNECT};
    bool s = sh_start(&srv, &serve) == 0;
    bool d = s && sh_start(&demo, &demo_opts) == 0;
    const char *shots = getenv("UI_SCREENSHOTS") ? getenv("UI_SCREENSHOTS")
                                                 : "build/ui-screenshots";
    int rc = s && d ? run("node --no-warnings tests/ui/console.mjs "
                          "http://127.0.0.1:%d http://127.0.0.1:%d %s '%s'",
                          srv.port, demo.port, TOKEN, shots)
                    : -1;
    int ds = d ? sh_stop(&demo) : -1, ss = s ? sh_stop(&srv) : -1;
    if (rc == 0 && ss == 0)
        sh_remove_dir(&srv);
    else
        fprintf(stderr, "test_ui: logs kept in %s\n", srv.dir);
    assert_int_equal(rc, 0);
    assert_int_equal(ss, 0);
    (void)ds;
}

int main(void)
{
    const struct CMUnitTest handler[] = {
        cmocka_unit_test(test_index_served_no_cache),
        cmocka_unit_test(test_hashed_asset_immutable),
        cmocka_unit_test(test_gzip_when_accepted),
        cmocka_unit_test(test_etag_not_modified),
        cmocka_unit_test(test_redirects),
        cmocka_unit_test(test_unknown_asset_404),
        cmocka_unit_test(test_other_methods_405),
    };
    const struct CMUnitTest browser[] = {
        cmocka_unit_test(test_browser),
    };
    int failed = cmocka_run_group_tests_name("ui handler", handler,
                                             need_console, NULL);
    return failed + cmocka_run_group_tests_name("ui browser", browser,
                                                need_console, NULL);
}
