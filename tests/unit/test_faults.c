/* test_faults.c: stepd under faults (issue 7, "Crash and fault campaign").
 * Each fault must give a clear error or a degraded service, never a
 * corrupted database, and stepd must recover fully once it is removed:
 * disk full (RLIMIT_FSIZE on the real `stepd serve`), a read-only database,
 * a second stepd on one database, corrupted / truncated / foreign database
 * files, an HTTP service dropping connections mid-response, and the clock
 * jumping backward. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http_fixture.h"
#include "serve_harness.h"
#include "sfn_asl.h"
#include "sfn_clock.h"
#include "sfn_engine.h"
#include "sfn_events.h"
#include "sfn_exec.h"
#include "sfn_json.h"
#include "sfn_store.h"
#include "sfn_tasks.h"

#define T0 1700000000000LL

/* ---- helpers: files, processes, HTTP ---- */

typedef struct tdir {
    char dir[64], db[96], log[96];
} tdir;

static tdir make_dir(void)
{
    tdir t;
    snprintf(t.dir, sizeof t.dir, "/tmp/stepd-faults-XXXXXX");
    assert_non_null(mkdtemp(t.dir));
    snprintf(t.db, sizeof t.db, "%s/stepd.db", t.dir);
    snprintf(t.log, sizeof t.log, "%s/serve.log", t.dir);
    return t;
}

static void remove_dir(const tdir *t)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", t->dir);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    size_t got = fread(b, 1, (size_t)n, f);
    fclose(f);
    b[got] = '\0';
    if (len)
        *len = got;
    return b;
}

typedef struct hbuf {
    char *p;
    size_t n;
} hbuf;

static size_t collect(char *d, size_t sz, size_t nm, void *ud)
{
    hbuf *b = ud;
    char *np = realloc(b->p, b->n + sz * nm + 1);
    if (!np)
        return 0;
    memcpy(np + b->n, d, sz * nm);
    b->n += sz * nm;
    np[b->n] = '\0';
    b->p = np;
    return sz * nm;
}

/* One request; the status (0 = no answer); *out (may be NULL) the body. */
static long request(const char *method, const char *url, const char *body,
                    char **out)
{
    CURL *c = curl_easy_init();
    hbuf b = {0};
    struct curl_slist *h =
        curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    long st = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (out)
        *out = b.p;
    else
        free(b.p);
    return st;
}

typedef sh_server serve;

/* `stepd serve` on t's database, output appended to t's log.
 * fsize_limit > 0: a disk that fills up at that many bytes. */
static serve start_serve(const tdir *t, rlim_t fsize_limit)
{
    serve s = {0};
    snprintf(s.db, sizeof s.db, "%s", t->db);
    snprintf(s.log, sizeof s.log, "%s", t->log);
    sh_opts o = {.fsize_limit = fsize_limit};
    if (sh_start(&s, &o))
        fail_msg("stepd serve did not come up; see %s", t->log);
    return s;
}

/* Runs `stepd serve` where it must refuse to start: its exit status (-1
 * when it was still running after 15 s and had to be killed). */
static int serve_refused(const tdir *t)
{
    serve s = {0};
    snprintf(s.db, sizeof s.db, "%s", t->db);
    snprintf(s.log, sizeof s.log, "%s", t->log);
    sh_opts o = {0};
    assert_int_equal(sh_spawn(&s, &o), 0);
    return sh_wait_exit(&s, 15000);
}

static bool log_has(const tdir *t, const char *needle)
{
    char *log = slurp(t->log, NULL);
    bool ok = log && strstr(log, needle);
    if (!ok)
        print_error("log lacks \"%s\":\n%s\n", needle, log ? log : "");
    free(log);
    return ok;
}

static const char wait_machine[] =
    "{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\",\"Seconds\":1,"
    "\"Next\":\"E\"},\"E\":{\"Type\":\"Pass\",\"Result\":\"woke\","
    "\"ResultPath\":\"$.w\",\"End\":true}}}";

static void put_machine(const serve *s, const char *name, const char *def)
{
    char url[160];
    snprintf(url, sizeof url, "%s/v1/state-machines/%s", s->base, name);
    long st = request("PUT", url, def, NULL);
    assert_true(st == 200 || st == 201);
}

/* Waits (bounded) until execution `id` ("MACHINE:NAME") is no longer
 * running; its description, malloc'd. */
static char *await_exec(const serve *s, const char *id)
{
    char url[200];
    snprintf(url, sizeof url, "%s/v1/executions/%s", s->base, id);
    for (int i = 0; i < 300; i++) {
        char *ans = NULL;
        if (request("GET", url, NULL, &ans) == 200 && ans &&
            !strstr(ans, "\"RUNNING\""))
            return ans;
        free(ans);
        sh_pause_ms(50);
    }
    fail_msg("%s still running", id);
    return NULL;
}

/* ---- disk full ---- */

#define BIG_BYTES 60000
#define FSIZE_LIMIT (1024 * 1024)

static char *big_input(void)
{
    char *pad = malloc(BIG_BYTES + 1);
    assert_non_null(pad);
    memset(pad, 'x', BIG_BYTES);
    pad[BIG_BYTES] = '\0';
    json_t *in = json_pack("{s:s}", "pad", pad);
    char *text = json_dumps(in, JSON_COMPACT);
    json_decref(in);
    free(pad);
    return text;
}

/* RLIMIT_FSIZE rather than a small tmpfs: it needs no mount privilege, so
 * it works in every CI container (mounting is often refused there). */
static void test_disk_full(void **state)
{
    (void)state;
    tdir t = make_dir();
    serve s = start_serve(&t, FSIZE_LIMIT);
    put_machine(&s, "w", wait_machine);
    char *in = big_input();
    int acked = 0;
    long st = 0;
    char *ans = NULL;
    for (int i = 0; i < 200; i++) {
        char url[160];
        snprintf(url, sizeof url, "%s/v1/state-machines/w/executions?name=e%d",
                 s.base, i);
        free(ans);
        ans = NULL;
        st = request("POST", url, in, &ans);
        if (st != 201)
            break;
        acked++;
    }
    /* refused with an error, not acknowledged, and saying why */
    assert_true(acked > 0);
    if (st < 500 || !ans)
        fail_msg("start on a full disk answered %ld %s", st, ans ? ans : "");
    print_message("disk full after %d starts: %ld %s\n", acked, st, ans);
    assert_non_null(strstr(ans, "stepd.db"));
    free(ans);
    sh_kill(&s);

    /* the fault removed: every acknowledged execution completes */
    s = start_serve(&t, 0);
    for (int i = 0; i < acked; i++) {
        char id[32];
        snprintf(id, sizeof id, "w:e%d", i);
        char *d = await_exec(&s, id);
        if (!strstr(d, "\"SUCCEEDED\"") || !strstr(d, "woke"))
            fail_msg("%s after the disk was freed: %s", id, d);
        free(d);
    }
    char url[160];
    snprintf(url, sizeof url, "%s/v1/state-machines/w/executions?name=after",
             s.base);
    assert_int_equal(request("POST", url, in, NULL), 201);
    free(in);
    assert_int_equal(sh_stop(&s), 0);
    remove_dir(&t);
}

/* ---- read-only database ---- */

static sfn_graph *compile(const char *text)
{
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    if (sfn_asl_compile_text(text, strlen(text), NULL, &d, &g) != SFN_OK)
        fail_msg("does not compile: %s", d.count ? d.items[0].message : "?");
    sfn_diags_free(&d);
    return g;
}

static sfn_graph *the_graph;

static sfn_graph *loader(void *ud, const char *m, int64_t rev, sfn_error *err)
{
    (void)ud;
    (void)m;
    (void)rev;
    (void)err;
    return sfn_graph_ref(the_graph);
}

/* sfn_store_opts.read_only (SQLITE_OPEN_READONLY): as root neither chmod
 * nor a read-only file stops writes, and chattr +i / remounts are not
 * available in every container; the store's own read-only mode is. */
static void test_read_only(void **state)
{
    (void)state;
    tdir t = make_dir();
    sfn_store *s = NULL;
    sfn_error err;
    assert_int_equal(sfn_store_open(t.db, NULL, &s, &err), SFN_OK);
    assert_int_equal(sfn_store_put_machine(s, "w", "STANDARD", wait_machine,
                                           T0, NULL, &err), SFN_OK);
    sfn_store_close(s);
    size_t n_before = 0, n_after = 0;
    char *before = slurp(t.db, &n_before);

    sfn_store_opts ro = {.read_only = true};
    assert_int_equal(sfn_store_open(t.db, &ro, &s, &err), SFN_OK);
    assert_int_not_equal(sfn_store_put_machine(s, "v", "STANDARD",
                                               wait_machine, T0, NULL, &err),
                         SFN_OK);
    print_message("read-only put: %s\n", err.cause);
    assert_non_null(strstr(err.cause, "readonly"));

    /* an engine on it: the commit of a start fails, clearly */
    the_graph = compile(wait_machine);
    sfn_engine_opts o = {.store = s, .load_graph = loader};
    sfn_engine *e = sfn_engine_new(&o, &err);
    assert_non_null(e);
    json_t *in = json_object();
    char *arn = NULL;
    sfn_rc rc = sfn_engine_start(e, "w", 1, the_graph, "ro", in, &arn, &err);
    if (rc == SFN_OK)
        rc = sfn_engine_poll(e, 0, NULL, &err);
    assert_int_not_equal(rc, SFN_OK);
    print_message("read-only commit: %s\n", err.cause);
    assert_true(strstr(err.cause, "readonly") || strstr(err.cause, "read-only"));
    free(arn);
    sfn_engine_free(e);
    sfn_store_close(s);
    /* the refused writes left the file as it was */
    char *after = slurp(t.db, &n_after);
    assert_int_equal(n_before, n_after);
    assert_memory_equal(before, after, n_before);
    free(after);

    /* writable again: the same start succeeds and completes */
    assert_int_equal(sfn_store_open(t.db, NULL, &s, &err), SFN_OK);
    o.store = s;
    e = sfn_engine_new(&o, &err);
    assert_int_equal(sfn_engine_start(e, "w", 1, the_graph, "ro", in, &arn,
                                      &err), SFN_OK);
    assert_int_equal(sfn_engine_run_until_idle(e, &err), SFN_OK);
    sfn_exec_rec r = {0};
    assert_int_equal(sfn_store_get_execution(s, arn, &r, &err), SFN_OK);
    assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
    sfn_exec_rec_free(&r);
    free(arn);
    json_decref(in);
    sfn_engine_free(e);
    sfn_store_close(s);
    sfn_graph_unref(the_graph);
    free(before);
    remove_dir(&t);
}

/* ---- a second stepd ---- */

static void test_second_stepd(void **state)
{
    (void)state;
    tdir t = make_dir();
    serve first = start_serve(&t, 0);
    tdir t2 = t;
    snprintf(t2.log, sizeof t2.log, "%s/second.log", t.dir);
    int rc = serve_refused(&t2);
    assert_true(rc > 0);
    assert_true(log_has(&t2, "stepd.db"));
    assert_true(log_has(&t2, "pid"));
    /* the first one serves on, unharmed */
    put_machine(&first, "w", wait_machine);
    char url[160];
    snprintf(url, sizeof url, "%s/v1/state-machines/w/executions?name=a",
             first.base);
    assert_int_equal(request("POST", url, "{}", NULL), 201);
    free(await_exec(&first, "w:a"));
    assert_int_equal(sh_stop(&first), 0);
    /* once it is gone the database is free again */
    serve again = start_serve(&t, 0);
    assert_int_equal(sh_stop(&again), 0);
    remove_dir(&t);
}

/* ---- corrupted and foreign files ---- */

/* A stepd database with a machine and a finished execution. */
static void make_db(const tdir *t)
{
    serve s = start_serve(t, 0);
    put_machine(&s, "w", wait_machine);
    char url[160];
    snprintf(url, sizeof url, "%s/v1/state-machines/w/executions?name=a",
             s.base);
    assert_int_equal(request("POST", url, "{}", NULL), 201);
    free(await_exec(&s, "w:a"));
    assert_int_equal(sh_stop(&s), 0);
}

/* stepd refuses t's database with a message naming it, and leaves the file
 * byte for byte as it was. */
static void expect_refused(const tdir *t)
{
    size_t n_before = 0, n_after = 0;
    char *before = slurp(t->db, &n_before);
    assert_non_null(before);
    tdir r = *t;
    snprintf(r.log, sizeof r.log, "%s/refused.log", t->dir);
    int rc = serve_refused(&r);
    if (rc <= 0)
        fail_msg("stepd accepted a damaged database (exit %d)", rc);
    assert_true(log_has(&r, t->db));
    char *after = slurp(t->db, &n_after);
    assert_int_equal(n_before, n_after);
    assert_memory_equal(before, after, n_before);
    char *log = slurp(r.log, NULL);
    print_message("refused: %s", log);
    free(log);
    free(before);
    free(after);
}

static void test_corrupted_header(void **state)
{
    (void)state;
    tdir t = make_dir();
    make_db(&t);
    int fd = open(t.db, O_WRONLY);
    assert_true(fd >= 0);
    unsigned char junk[100];
    srand((unsigned)time(NULL));
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)rand();
    assert_int_equal(pwrite(fd, junk, sizeof junk, 0), (ssize_t)sizeof junk);
    close(fd);
    expect_refused(&t);
    remove_dir(&t);
}

static void test_truncated(void **state)
{
    (void)state;
    tdir t = make_dir();
    make_db(&t);
    struct stat sb;
    assert_int_equal(stat(t.db, &sb), 0);
    assert_int_equal(truncate(t.db, sb.st_size / 3 + 100), 0);
    expect_refused(&t);
    remove_dir(&t);
}

static void test_foreign_sqlite(void **state)
{
    (void)state;
    tdir t = make_dir();
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(t.db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE contacts(id INTEGER PRIMARY "
                                  "KEY, name TEXT);INSERT INTO contacts "
                                  "VALUES(1,'ada');",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    expect_refused(&t);
    remove_dir(&t);
}

/* ---- HTTP service dropping connections ---- */

#define FLAKY_TASK(retry)                                                   \
    "{\"StartAt\":\"H\",\"States\":{\"H\":{\"Type\":\"Task\",\"Resource\":" \
    "\"arn:aws:states:::http:invoke\",\"Parameters\":{\"ApiEndpoint\":"    \
    "\"%s\",\"Method\":\"GET\"},\"ResultSelector\":{\"code.$\":"            \
    "\"$.StatusCode\",\"body.$\":\"$.ResponseBody\"}," retry "\"End\":true}}}"

static sfn_rc run_one(sfn_engine *e, const char *def, const char *name,
                      char **arn, sfn_error *err)
{
    the_graph = compile(def);
    json_t *in = json_object();
    sfn_rc rc = sfn_engine_start(e, "h", 1, the_graph, name, in, arn, err);
    json_decref(in);
    return rc;
}

static int count_events(sfn_store *s, int64_t id, int type, const char *has);

static void test_http_drop(void **state)
{
    (void)state;
    tdir t = make_dir();
    hfx_server *srv = hfx_start();
    assert_non_null(srv);
    hfx_route bad = {.path = "/flaky", .body = "{\"ok\":true,\"pad\":"
                                               "\"0123456789abcdef\"}",
                     .content_type = "application/json",
                     .drop = HFX_DROP_MID_BODY};
    hfx_route_add(srv, &bad);
    char def_retry[1024], def_plain[1024];
    snprintf(def_retry, sizeof def_retry,
             FLAKY_TASK("\"Retry\":[{\"ErrorEquals\":[\"States.Http.Socket\"],"
                        "\"IntervalSeconds\":1,\"MaxAttempts\":3}],"),
             hfx_url(srv, "/flaky"));
    snprintf(def_plain, sizeof def_plain, FLAKY_TASK(""),
             hfx_url(srv, "/flaky"));

    sfn_store *s = NULL;
    sfn_error err;
    assert_int_equal(sfn_store_open(t.db, NULL, &s, &err), SFN_OK);
    sfn_tasks_config tc = {0};
    sfn_tasks *tasks = sfn_tasks_new(&tc, &err);
    assert_non_null(tasks);
    sfn_engine_opts o = {.store = s, .load_graph = loader, .tasks = tasks};
    sfn_engine *e = sfn_engine_new(&o, &err);

    /* no Retry: fails with States.Http.Socket */
    char *plain = NULL, *retried = NULL;
    assert_int_equal(run_one(e, def_plain, "plain", &plain, &err), SFN_OK);
    assert_int_equal(sfn_engine_run_until_idle(e, &err), SFN_OK);
    sfn_graph_unref(the_graph);
    sfn_exec_rec r = {0};
    assert_int_equal(sfn_store_get_execution(s, plain, &r, &err), SFN_OK);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    assert_string_equal(r.error, "States.Http.Socket");
    print_message("dropped response: %s: %s\n", r.error, r.cause);
    sfn_exec_rec_free(&r);

    /* with Retry: the service heals after its first (dropped) answer */
    size_t seen = hfx_count(srv, "/flaky");
    assert_int_equal(run_one(e, def_retry, "retried", &retried, &err), SFN_OK);
    while (hfx_count(srv, "/flaky") == seen)
        assert_int_equal(sfn_engine_poll(e, 50, NULL, &err), SFN_OK);
    hfx_route good = bad;
    good.drop = HFX_DROP_NONE;
    hfx_route_add(srv, &good);
    assert_int_equal(sfn_engine_run_until_idle(e, &err), SFN_OK);
    sfn_graph_unref(the_graph);
    assert_int_equal(sfn_store_get_execution(s, retried, &r, &err), SFN_OK);
    if (r.status != SFN_EXEC_SUCCEEDED)
        fail_msg("retried ended %d %s %s", r.status, r.error, r.cause);
    assert_string_equal(r.output, "{\"code\":200,\"body\":{\"ok\":true,"
                                  "\"pad\":\"0123456789abcdef\"}}");
    assert_int_equal(count_events(s, r.id, SFN_EV_TaskFailed,
                                  "States.Http.Socket"), 1);
    assert_int_equal(count_events(s, r.id, SFN_EV_TaskSucceeded, NULL), 1);
    sfn_exec_rec_free(&r);
    free(plain);
    free(retried);
    sfn_engine_free(e);
    sfn_tasks_free(tasks);
    sfn_store_close(s);
    hfx_stop(srv);
    remove_dir(&t);
}

/* ---- the clock jumping backward ---- */

typedef struct ev_count {
    int type;
    const char *has;
    int n;
    int64_t expect_id;
    int bad;
} ev_count;

static int count_cb(const sfn_store_event *ev, void *ud)
{
    ev_count *c = ud;
    if (c->has && !strcmp(c->has, "dump"))
        print_message("%lld %d %lld %s\n", (long long)ev->id, ev->type,
                      (long long)ev->ts_ms, ev->details ? ev->details : "");
    if (ev->id != c->expect_id++ || ev->prev >= ev->id)
        c->bad = 1;
    if (ev->type == c->type &&
        (!c->has || (ev->details && strstr(ev->details, c->has))))
        c->n++;
    return 0;
}

/* Events of `type` (whose details contain `has`, unless NULL); fails on
 * a gap or a bad previous id. */
static int count_events(sfn_store *s, int64_t id, int type, const char *has)
{
    ev_count c = {type, has, 0, 1, 0};
    sfn_error err;
    assert_int_equal(sfn_store_get_history(s, id, 0, 0, false, count_cb, &c,
                                           &err), SFN_OK);
    assert_int_equal(c.bad, 0);
    return c.n;
}

static const char clock_machine[] =
    "{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\",\"Seconds\":10,"
    "\"Next\":\"T\"},\"T\":{\"Type\":\"Task\",\"Resource\":"
    "\"arn:stepd:task:fail\",\"Parameters\":{\"Error\":\"Boom\"},"
    "\"Retry\":[{\"ErrorEquals\":[\"Boom\"],\"IntervalSeconds\":5,"
    "\"MaxAttempts\":1}],\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],"
    "\"ResultPath\":null,\"Next\":\"E\"}],\"End\":true},"
    "\"E\":{\"Type\":\"Pass\",\"Result\":\"ok\",\"End\":true}}}";

static int exec_status(sfn_store *s, const char *arn)
{
    sfn_exec_rec r = {0};
    sfn_error err;
    assert_int_equal(sfn_store_get_execution(s, arn, &r, &err), SFN_OK);
    int st = r.status;
    sfn_exec_rec_free(&r);
    return st;
}

static void rounds(sfn_engine *e)
{
    sfn_error err;
    for (int i = 0; i < 5; i++)
        assert_int_equal(sfn_engine_poll(e, 0, NULL, &err), SFN_OK);
}

static void test_clock_backward(void **state)
{
    (void)state;
    tdir t = make_dir();
    sfn_store *s = NULL;
    sfn_error err;
    assert_int_equal(sfn_store_open(t.db, NULL, &s, &err), SFN_OK);
    sfn_clock *clk = sfn_clock_fake_new(T0);
    the_graph = compile(clock_machine);
    sfn_engine_opts o = {.store = s, .clock = clk, .load_graph = loader};
    sfn_engine *e = sfn_engine_new(&o, &err);
    json_t *in = json_object();
    char *arn = NULL;
    assert_int_equal(sfn_engine_start(e, "c", 1, the_graph, "c", in, &arn,
                                      &err), SFN_OK);
    json_decref(in);
    rounds(e);
    sfn_clock_fake_advance(clk, 4000);
    rounds(e);
    /* an hour back while the Wait runs: nothing fires, nothing breaks */
    sfn_clock_fake_advance(clk, -3600 * 1000);
    rounds(e);
    assert_int_equal(exec_status(s, arn), SFN_EXEC_RUNNING);
    /* time catches up: the Wait ends once, the retry back-off too */
    sfn_clock_fake_advance(clk, 3600 * 1000 + 6500);
    rounds(e);
    sfn_clock_fake_advance(clk, -600 * 1000); /* during the back-off */
    rounds(e);
    sfn_clock_fake_advance(clk, 600 * 1000 + 6000);
    rounds(e);
    rounds(e);
    sfn_exec_rec r = {0};
    assert_int_equal(sfn_store_get_execution(s, arn, &r, &err), SFN_OK);
    if (r.status != SFN_EXEC_SUCCEEDED) {
        count_events(s, r.id, -1, "dump");
        fail_msg("ended %d %s %s", r.status, r.error, r.cause);
    }
    assert_string_equal(r.output, "\"ok\"");
    assert_int_equal(count_events(s, r.id, SFN_EV_WaitStateExited, NULL), 1);
    assert_int_equal(count_events(s, r.id, SFN_EV_TaskScheduled, NULL), 2);
    assert_int_equal(count_events(s, r.id, SFN_EV_ExecutionSucceeded, NULL),
                     1);
    sfn_exec_rec_free(&r);
    free(arn);
    sfn_engine_free(e);
    sfn_store_close(s);
    sfn_clock_free(clk);
    sfn_graph_unref(the_graph);
    remove_dir(&t);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disk_full),
        cmocka_unit_test(test_read_only),
        cmocka_unit_test(test_second_stepd),
        cmocka_unit_test(test_corrupted_header),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_foreign_sqlite),
        cmocka_unit_test(test_http_drop),
        cmocka_unit_test(test_clock_backward),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
