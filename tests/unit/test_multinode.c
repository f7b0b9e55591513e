/* test_multinode.c: several `stepd serve` nodes ($STEPD) on one PostgreSQL
 * database (the pg_start fixture's server).  Three nodes take executions
 * of every kind of campaign.h (Wait, Map, Parallel, Retry, HTTP Tasks
 * against an echo service here, callbacks answered through another node
 * than the one that started them), started through all three in turn;
 * node 0 is killed with SIGKILL and node 1 paused with SIGSTOP past its
 * lease, then resumed.  Afterwards: every acknowledged execution ended
 * once with the output a single uninterrupted run gives, with a gap-free
 * history; every HTTP attempt went out under one Idempotency-Key; along
 * each history the fencing epoch never goes back (no transition was
 * committed by a node after its lease was taken over) and every epoch was
 * granted by a recorded claim.  A second test routes an activity: the
 * execution runs on one node, the worker polls another, the answer goes
 * to the third.  A third cuts every database connection of two nodes three
 * times while they work (a failover as the nodes see it): nothing
 * acknowledged is lost or done twice.  STEPD_MULTINODE_EXECS (default
 * 1000) sets the count. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http_fixture.h"
#include "pg_fixture.h"
#include "serve_harness.h"
#include "campaign.h"

#define DEFAULT_EXECS 1000
#define LEASE_SECONDS "2"
#define ECHO_DELAY_MS 100
#define DRAIN_SECONDS 180

static int execs_wanted(void)
{
    const char *v = getenv("STEPD_MULTINODE_EXECS");
    int n = v ? atoi(v) : DEFAULT_EXECS;
    return n > 0 && n <= MAX_EXECS ? n : DEFAULT_EXECS;
}

/* One number from a query on the test's database, -1 on error. */
static long long sql_count(const char *url, const char *sql)
{
    PGconn *pg = PQconnectdb(url);
    long long n = -1;
    if (PQstatus(pg) == CONNECTION_OK) {
        PGresult *r = PQexec(pg, sql);
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
            n = atoll(PQgetvalue(r, 0, 0));
        else
            fprintf(stderr, "multinode: %s: %s\n", sql,
                    PQresultErrorMessage(r));
        PQclear(r);
    } else {
        fprintf(stderr, "multinode: %s\n", PQerrorMessage(pg));
    }
    PQfinish(pg);
    return n;
}

/* strlcpy: GCC's -Wrestrict takes snprintf("%s") between two members of
 * one object reached through a run-time index for an overlap. */
static void copy_str(char *dst, size_t n, const char *src)
{
    size_t len = strnlen(src, n - 1);
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* Node k on `url`, with its own folder for the log. */
static void start_node(campaign *cp, int k, const char *url)
{
    char id[8];
    snprintf(id, sizeof id, "n%d", k);
    const char *const args[] = {"--log-level", "warn",    "--node-id", id,
                                "--node-lease-seconds", LEASE_SECONDS,
                                NULL};
    sh_opts o = {.args = args};
    sh_server *s = &cp->sv[k];
    if (sh_make_dir(s, "/tmp/stepd-multi-XXXXXX"))
        fail_msg("cannot make a folder for node %d", k);
    copy_str(s->db, sizeof s->db, url);
    if (sh_start(s, &o))
        fail_msg("node %d did not come up; see %s", k, s->log);
    copy_str(cp->base[k], sizeof cp->base[k], s->base);
}

static bool wait_started(campaign *cp, int n, int seconds)
{
    int64_t until = sh_now_ms() + seconds * 1000LL;
    while (atomic_load(&cp->n_started) < n && sh_now_ms() < until)
        sh_pause_ms(20);
    return atomic_load(&cp->n_started) >= n;
}

/* The pause lasts until no running execution is left on node 1 (the
 * others took them over) or, when a transaction of the paused node still
 * holds some rows (claims skip locked rows), for 5 leases. */
static long long pause_node(campaign *cp, const char *url)
{
    atomic_store(&cp->down[1], 1);
    kill(cp->sv[1].pid, SIGSTOP);
    long long held = -1;
    int64_t until = sh_now_ms() + 5 * 2000;
    sh_pause_ms(2500); /* past the lease: this is the point of the test */
    while (sh_now_ms() < until &&
           (held = sql_count(url, "SELECT count(*) FROM executions WHERE "
                                  "owner = 'n1' AND status = 0")) != 0)
        sh_pause_ms(100);
    kill(cp->sv[1].pid, SIGCONT);
    atomic_store(&cp->down[1], 0);
    return held;
}

/* A counter of node k's /metrics, -1 when absent. */
static long long node_metric(campaign *cp, CURL *c, int k, const char *name)
{
    char u[128], *ans = NULL;
    snprintf(u, sizeof u, "%s/metrics", cp->base[k]);
    long long v = -1;
    if (request(c, "GET", u, NULL, &ans) == 200 && ans) {
        const char *p = strstr(ans, name);
        while (p && p > ans && p[-1] != '\n') /* skip # HELP / # TYPE */
            p = strstr(p + 1, name);
        const char *sp = p ? strchr(p, ' ') : NULL;
        if (sp)
            v = atoll(sp + 1);
    }
    free(ans);
    return v;
}

static void fencing_checks(const char *url)
{
    /* along each history the epoch of the writes never goes back */
    long long back = sql_count(
        url, "SELECT count(*) FROM (SELECT epoch, lag(epoch) OVER "
             "(PARTITION BY exec ORDER BY id) AS before FROM events) t "
             "WHERE before > epoch");
    assert_int_equal(back, 0);
    /* every epoch written was granted: the first insert (1) or a claim */
    long long ungranted = sql_count(
        url, "SELECT count(*) FROM (SELECT DISTINCT exec, epoch FROM events "
             "WHERE epoch > 1) e WHERE NOT EXISTS (SELECT 1 FROM lease_log l "
             "WHERE l.exec_id = e.exec AND l.epoch = e.epoch)");
    assert_int_equal(ungranted, 0);
}

/* ---- a campaign on several nodes ---- */

typedef struct run {
    campaign *cp;
    char *url;          /* the test's database                          */
    hfx_server *srv;    /* the echo service the HTTP Tasks call          */
    CURL *c;
    pthread_t t_start, t_cb;
    bool done;          /* every acknowledged execution ended            */
} run;

/* A fresh database, the echo service, `nodes` nodes, the machines, and the
 * client threads starting `execs` executions. */
static void run_begin(run *r, const char *tag, int nodes, int execs)
{
    memset(r, 0, sizeof *r);
    const char *bin = getenv("STEPD");
    if (!bin || access(bin, X_OK))
        fail_msg("$STEPD (the stepd binary) is not set; run through ctest");
    if (!(r->url = pgfx_create_db(tag)))
        fail_msg("no PostgreSQL server (STEPD_TEST_PG / STEPD_TEST_PG_FILE)");
    r->cp = calloc(1, sizeof *r->cp);
    assert_non_null(r->cp);
    r->cp->n_nodes = nodes;
    r->cp->max_execs = execs;
    r->srv = hfx_start();
    assert_non_null(r->srv);
    hfx_route echo = {.method = "POST", .path = "/echo",
                      .echo = HFX_ECHO_REQUEST, .delay_ms = ECHO_DELAY_MS};
    hfx_route_add(r->srv, &echo);
    char echo_url[128];
    snprintf(echo_url, sizeof echo_url, "%s", hfx_url(r->srv, "/echo"));
    for (int k = 0; k < nodes; k++)
        start_node(r->cp, k, r->url);
    r->c = curl_easy_init();
    put_machines(r->cp, r->c, echo_url);
    assert_int_equal(pthread_create(&r->t_start, NULL, starter, r->cp), 0);
    assert_int_equal(pthread_create(&r->t_cb, NULL, answerer, r->cp), 0);
}

/* Waits for the last start and for every acknowledged execution to end
 * (bounded), then stops answering callbacks.  The nodes keep running. */
static void run_drain(run *r)
{
    pthread_join(r->t_start, NULL);
    for (int i = 0; i < DRAIN_SECONDS * 10 && !(r->done = all_finished(r->cp,
                                                                      r->c));
         i++)
        sh_pause_ms(100);
    atomic_store(&r->cp->stop_callbacks, 1);
    pthread_join(r->t_cb, NULL);
}

/* Stops the nodes from `first` on (SIGTERM: each must exit 0), then runs
 * every check; the number of executions checked. */
static int run_check(run *r, int first, size_t *resent)
{
    campaign *cp = r->cp;
    for (int k = first; k < cp->n_nodes; k++)
        if (sh_stop(&cp->sv[k]) != 0)
            fail_msg("node %d did not exit 0 on SIGTERM; see %s", k,
                     cp->sv[k].log);
    if (!r->done)
        fail_msg("acknowledged executions still running after %d s; see %s",
                 DRAIN_SECONDS, cp->sv[cp->n_nodes - 1].log);
    int checked = verify_store(cp);
    *resent = verify_http(cp, r->srv);
    fencing_checks(r->url);
    return checked;
}

static void run_free(run *r)
{
    curl_easy_cleanup(r->c);
    hfx_stop(r->srv);
    for (int k = 0; k < r->cp->n_nodes; k++)
        sh_remove_dir(&r->cp->sv[k]);
    pgfx_drop_db(r->url);
    free(r->url);
    free(r->cp);
}

static void test_three_nodes(void **state)
{
    (void)state;
    run r;
    run_begin(&r, "multinode", CAMP_NODES, execs_wanted());
    campaign *cp = r.cp;
    assert_true(wait_started(cp, cp->max_execs * 3 / 10, 120));
    atomic_store(&cp->down[0], 1);
    sh_kill(&cp->sv[0]);
    assert_true(wait_started(cp, cp->max_execs * 6 / 10, 120));
    long long left_on_paused = pause_node(cp, r.url);
    run_drain(&r);
    long long lost1 = node_metric(cp, r.c, 1, "stepd_node_lease_losses_total");
    long long taken2 = node_metric(cp, r.c, 2, "stepd_node_takeovers_total");
    size_t resent = 0;
    int checked = run_check(&r, 1, &resent);
    long long from0 = sql_count(r.url, "SELECT count(*) FROM lease_log "
                                       "WHERE prev_node = 'n0'");
    long long from1 = sql_count(r.url, "SELECT count(*) FROM lease_log "
                                       "WHERE prev_node = 'n1'");
    /* a start answered by no node (it froze or died with the request) is
     * not acknowledged; the others all are */
    assert_true(checked >= cp->max_execs - 5);
    assert_true(from0 > 0); /* the killed node's executions moved */
    assert_true(taken2 >= 0 && lost1 >= 0); /* the metrics are there */
    print_message("multinode: %d executions on 3 nodes, all finished once; "
                  "%lld taken over from the killed node, %lld from the "
                  "paused one (%lld still locked by it when it resumed; "
                  "%lld of its commits found leases lost), node 2 took "
                  "over %lld; %zu HTTP re-sends, %d callbacks\n",
                  checked, from0, from1, left_on_paused, lost1, taken2,
                  resent, atomic_load(&cp->callbacks));
    run_free(&r);
}

/* ---- the database drops every connection ---- */

/* Terminates every session on the test's database but the caller's (a
 * failover or a server restart as the nodes see it); how many. */
static long long cut_connections(const char *url)
{
    return sql_count(url, "SELECT count(pg_terminate_backend(pid)) FROM "
                          "pg_stat_activity WHERE datname = "
                          "current_database() AND pid <> pg_backend_pid()");
}

static void test_connections_cut(void **state)
{
    (void)state;
    run r;
    run_begin(&r, "multicut", 2, execs_wanted() * 3 / 10);
    long long cut = 0;
    for (int k = 1; k <= 3; k++) {
        assert_true(wait_started(r.cp, r.cp->max_execs * k / 4, 120));
        cut += cut_connections(r.url);
    }
    run_drain(&r);
    size_t resent = 0;
    int checked = run_check(&r, 0, &resent);
    assert_true(cut > 0);
    assert_true(checked > 0);
    print_message("connections cut 3 times (%lld sessions): %d of %d "
                  "executions acknowledged, all finished once; %zu HTTP "
                  "re-sends\n",
                  cut, checked, r.cp->max_execs, resent);
    run_free(&r);
}

/* ---- an activity across nodes ---- */

static void test_activity_across_nodes(void **state)
{
    (void)state;
    char *url = pgfx_create_db("multiact");
    if (!url)
        fail_msg("no PostgreSQL server (STEPD_TEST_PG / STEPD_TEST_PG_FILE)");
    campaign *cp = calloc(1, sizeof *cp);
    assert_non_null(cp);
    cp->n_nodes = CAMP_NODES;
    for (int k = 0; k < CAMP_NODES; k++)
        start_node(cp, k, url);
    CURL *c = curl_easy_init();
    char u[256], *ans = NULL;
    snprintf(u, sizeof u, "%s/v1/activities", cp->base[0]);
    long st = request(c, "POST", u, "{\"name\":\"work\"}", &ans);
    if (st != 200 && st != 201)
        fail_msg("create activity: %ld %s", st, ans ? ans : "");
    free(ans);
    const char *def =
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":"
        "\"arn:aws:states:us-east-1:123456789012:activity:work\","
        "\"TimeoutSeconds\":60,\"End\":true}}}";
    snprintf(u, sizeof u, "%s/v1/state-machines/act", cp->base[0]);
    st = request(c, "PUT", u, def, &ans);
    if (st != 200 && st != 201)
        fail_msg("put machine: %ld %s", st, ans ? ans : "");
    free(ans);
    /* the execution starts on node 0, the worker polls node 1 */
    snprintf(u, sizeof u, "%s/v1/state-machines/act/executions?name=a1",
             cp->base[0]);
    st = request(c, "POST", u, "{\"job\":7}", NULL);
    assert_true(st == 200 || st == 201);
    snprintf(u, sizeof u, "%s/v1/activities/work/poll?worker=w1&wait=20",
             cp->base[1]);
    st = request(c, "POST", u, NULL, &ans);
    json_error_t je;
    json_t *task = ans ? json_loads(ans, 0, &je) : NULL;
    const char *tok = json_string_value(json_object_get(task, "taskToken"));
    if (st != 200 || !tok)
        fail_msg("GetActivityTask on node 1: %ld %s", st, ans ? ans : "");
    json_t *want = json_pack("{s:i}", "job", 7);
    assert_true(json_equal(json_object_get(task, "input"), want));
    json_decref(want);
    /* the answer goes to node 2 */
    char v[300];
    snprintf(v, sizeof v, "%s/v1/tasks/%s/success", cp->base[2], tok);
    free(ans);
    ans = NULL;
    st = request(c, "POST", v, "{\"done\":7}", &ans);
    if (st != 204)
        fail_msg("SendTaskSuccess on node 2: %ld %s", st, ans ? ans : "");
    free(ans);
    json_decref(task);
    /* the execution (on node 0) succeeds with the worker's output */
    snprintf(u, sizeof u, "%s/v1/executions/act:a1", cp->base[1]);
    bool ok = false;
    for (int i = 0; i < 100 && !ok; i++) {
        ans = NULL;
        request(c, "GET", u, NULL, &ans);
        ok = ans && strstr(ans, "\"SUCCEEDED\"") && strstr(ans, "done");
        free(ans);
        if (!ok)
            sh_pause_ms(50);
    }
    assert_true(ok);
    /* ActivityStarted names the worker: it was recorded by node 0 */
    snprintf(u, sizeof u, "%s/v1/executions/act:a1/history", cp->base[2]);
    ans = NULL;
    assert_int_equal(request(c, "GET", u, NULL, &ans), 200);
    assert_non_null(strstr(ans, "ActivityStarted"));
    assert_non_null(strstr(ans, "w1"));
    free(ans);
    curl_easy_cleanup(c);
    for (int k = 0; k < CAMP_NODES; k++) {
        assert_int_equal(sh_stop(&cp->sv[k]), 0);
        sh_remove_dir(&cp->sv[k]);
    }
    pgfx_drop_db(url);
    free(url);
    free(cp);
}

/* ---- secrets ---- */

/* A password in the URL (the test server trusts loopback, so any password
 * works) appears neither in the start-up log nor in a refusal. */
static void test_password_not_logged(void **state)
{
    (void)state;
    char *url = pgfx_create_db("multipw");
    if (!url)
        fail_msg("no PostgreSQL server (STEPD_TEST_PG / STEPD_TEST_PG_FILE)");
    const char *at = strchr(strstr(url, "://") + 3, '@');
    assert_non_null(at);
    char with_pw[600];
    snprintf(with_pw, sizeof with_pw, "%.*s:s3cretPW%s",
             (int)(at - url), url, at);
    sh_server s;
    assert_int_equal(sh_make_dir(&s, "/tmp/stepd-multi-XXXXXX"), 0);
    snprintf(s.db, sizeof s.db, "%s", with_pw);
    assert_int_equal(sh_start(&s, NULL), 0);
    assert_int_equal(sh_stop(&s), 0);
    char *log = sh_log(&s);
    assert_non_null(log);
    assert_non_null(strstr(log, ":*****@"));
    assert_null(strstr(log, "s3cretPW"));
    free(log);
    /* a server that is not there: refused, still without the password */
    snprintf(s.db, sizeof s.db, "postgres://stepd:s3cretPW@127.0.0.1:1/x");
    assert_int_equal(sh_spawn(&s, NULL), 0);
    assert_int_equal(sh_wait_exit(&s, 20000), 1);
    log = sh_log(&s);
    assert_non_null(log);
    assert_non_null(strstr(log, "127.0.0.1"));
    assert_null(strstr(log, "s3cretPW"));
    free(log);
    sh_remove_dir(&s);
    pgfx_drop_db(url);
    free(url);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_activity_across_nodes),
        cmocka_unit_test(test_three_nodes),
        cmocka_unit_test(test_connections_cut),
        cmocka_unit_test(test_password_not_logged),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
