/* test_store_pg.c: the PostgreSQL store on a real server (env STEPD_TEST_PG
 * or STEPD_TEST_PG_FILE; the test fails without one): the contract of
 * store_cases.h, migrations (concurrent opens migrate once, foreign and
 * newer databases refused), group commit, and what nodes sharing a
 * database rely on: leases, claims, fencing, messages with LISTEN/NOTIFY,
 * the shared activity queue; connections that recover after their backend
 * was terminated, and batched writes of a group commit. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pg_fixture.h"
#include "sfn_store.h"

static sfn_store *open_url(const char *url, const sfn_store_opts *o)
{
    sfn_store *s = NULL;
    sfn_error err;
    sfn_rc rc = sfn_store_open(url, o, &s, &err);
    if (rc != SFN_OK)
        fail_msg("open %s: %s", url, err.cause);
    return s;
}

static char *fresh_db(void)
{
    char *url = pgfx_create_db("t_store_pg");
    assert_non_null(url);
    return url;
}

static void drop_db(char *url)
{
    assert_int_equal(pgfx_drop_db(url), 0);
    free(url);
}

static sfn_store *sc_open(char **spec)
{
    *spec = fresh_db();
    return open_url(*spec, NULL);
}

static void sc_done(sfn_store *s, char *spec)
{
    sfn_store_close(s);
    drop_db(spec);
}

#include "store_cases.h"

/* A side connection for what the tests inspect or change directly. */
static PGconn *raw(const char *url)
{
    PGconn *c = PQconnectdb(url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    return c;
}

static void raw_exec(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
}

static int64_t raw_int(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    int64_t v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return v;
}

/* ---- open and migrations ----------------------------------------------- */

static void test_open_migrates_to_latest(void **state)
{
    (void)state;
    char *url = fresh_db();
    sfn_store *s = open_url(url, NULL);
    assert_string_equal(sfn_store_backend(s), "postgres");
    assert_true(sfn_store_shared(s));
    assert_int_equal(sfn_store_schema_version(s), sfn_store_schema_latest());
    sfn_store_close(s);
    /* reopening an up-to-date store is a no-op */
    s = open_url(url, NULL);
    assert_int_equal(sfn_store_schema_version(s), sfn_store_schema_latest());
    sfn_error err;
    assert_int_equal(sfn_store_set_checkpoint_pages(s, 256, &err), SFN_OK);
    assert_true(sfn_store_size_bytes(s) > 0);
    sfn_store_close(s);
    PGconn *c = raw(url);
    assert_int_equal(raw_int(c, "SELECT count(*) FROM stepd.stepd_migrations"),
                     sfn_store_schema_latest());
    PQfinish(c);
    drop_db(url);
}

typedef struct opener {
    const char *url;
    sfn_rc rc;
    char cause[SFN_ERROR_CAUSE_MAX];
} opener;

static void *open_thread(void *arg)
{
    opener *o = arg;
    sfn_store *s = NULL;
    sfn_error err;
    o->rc = sfn_store_open(o->url, NULL, &s, &err);
    if (o->rc != SFN_OK)
        snprintf(o->cause, sizeof o->cause, "%s", err.cause);
    sfn_store_close(s);
    return NULL;
}

static void test_concurrent_opens_migrate_once(void **state)
{
    (void)state;
    char *url = fresh_db();
    opener o[3] = {{.url = url}, {.url = url}, {.url = url}};
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&t[i], NULL, open_thread, &o[i]), 0);
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        if (o[i].rc != SFN_OK)
            fail_msg("open %d: %s", i, o[i].cause);
    }
    /* each version applied exactly once (its row is the primary key) */
    PGconn *c = raw(url);
    assert_int_equal(raw_int(c, "SELECT count(*) FROM stepd.stepd_migrations"),
                     sfn_store_schema_latest());
    assert_int_equal(raw_int(c, "SELECT version FROM stepd.stepd_meta"),
                     sfn_store_schema_latest());
    PQfinish(c);
    drop_db(url);
}

static void test_foreign_database_refused(void **state)
{
    (void)state;
    char *url = fresh_db();
    PGconn *c = raw(url);
    raw_exec(c, "CREATE TABLE public.customers (id int)");
    sfn_store *s = NULL;
    sfn_error err;
    assert_int_equal(sfn_store_open(url, NULL, &s, &err), SFN_EIO);
    assert_null(s);
    assert_non_null(strstr(err.cause, "not a stepd database"));
    /* nothing was created */
    assert_int_equal(raw_int(c, "SELECT count(*) FROM pg_namespace"
                                " WHERE nspname = 'stepd'"), 0);
    PQfinish(c);
    drop_db(url);
}

static void test_newer_schema_refused(void **state)
{
    (void)state;
    char *url = fresh_db();
    sfn_store_close(open_url(url, NULL));
    PGconn *c = raw(url);
    raw_exec(c, "UPDATE stepd.stepd_meta SET version = 999");
    PQfinish(c);
    sfn_store *s = NULL;
    sfn_error err;
    assert_int_equal(sfn_store_open(url, NULL, &s, &err), SFN_EIO);
    assert_non_null(strstr(err.cause, "newer"));
    assert_non_null(strstr(err.cause, "999"));
    drop_db(url);
}

static void test_unreachable_server(void **state)
{
    (void)state;
    sfn_store *s = NULL;
    sfn_error err;
    /* port 1 on loopback: nothing listens there */
    assert_int_equal(sfn_store_open("postgres://bob:s3cret@127.0.0.1:1/mydb"
                                    "?connect_timeout=2",
                                    NULL, &s, &err),
                     SFN_EIO);
    assert_null(s);
    assert_non_null(strstr(err.cause, "127.0.0.1:1/mydb"));
    assert_null(strstr(err.cause, "s3cret"));
}

static void test_bad_node_id_refused(void **state)
{
    (void)state;
    char *url = fresh_db();
    sfn_store_opts o = {.engine = true, .node_id = "no spaces"};
    sfn_store *s = NULL;
    sfn_error err;
    assert_int_equal(sfn_store_open(url, &o, &s, &err), SFN_EINVAL);
    assert_non_null(strstr(err.cause, "no spaces"));
    drop_db(url);
}

/* ---- group commit ------------------------------------------------------ */

static sfn_exec_rec exec_rec(const char *arn)
{
    sfn_exec_rec r = {.arn = (char *)arn, .machine = "m", .revision = 1,
                      .name = (char *)arn, .input = "{}", .start_ms = 1,
                      .next_event = 1};
    return r;
}

static void test_group_commit_many_writes(void **state)
{
    (void)state;
    char *url = fresh_db();
    sfn_store *s = open_url(url, NULL);
    sfn_error err;
    assert_int_equal(sfn_store_begin(s, &err), SFN_OK);
    int64_t ids[100];
    for (int i = 0; i < 100; i++) {
        char arn[32];
        snprintf(arn, sizeof arn, "arn:gc:%d", i);
        sfn_exec_rec r = exec_rec(arn);
        assert_int_equal(sfn_store_insert_execution(s, &r, &err), SFN_OK);
        ids[i] = r.id;
        if (i)
            assert_true(ids[i] > ids[i - 1]);
        sfn_store_event ev[5];
        for (int k = 0; k < 5; k++)
            ev[k] = (sfn_store_event){.id = k + 1, .prev = k, .ts_ms = k,
                                      .type = 1, .details = "{}"};
        assert_int_equal(sfn_store_append_events(s, r.id, ev, 5, &err),
                         SFN_OK);
        assert_int_equal(sfn_store_put_snapshot(s, r.id, 0, "{}", &err),
                         SFN_OK);
    }
    /* nothing is visible to another connection before the commit */
    PGconn *c = raw(url);
    assert_int_equal(raw_int(c, "SELECT count(*) FROM stepd.executions"), 0);
    assert_int_equal(sfn_store_commit(s, &err), SFN_OK);
    assert_int_equal(raw_int(c, "SELECT count(*) FROM stepd.executions"), 100);
    assert_int_equal(raw_int(c, "SELECT count(*) FROM stepd.events"), 500);
    PQfinish(c);
    sfn_exec_rec r = {0};
    assert_int_equal(sfn_store_get_execution_by_id(s, ids[57], &r, &err),
                     SFN_OK);
    assert_string_equal(r.arn, "arn:gc:57");
    sfn_exec_rec_free(&r);
    sfn_store_close(s);
    drop_db(url);
}

static void test_group_commit_violation_writes_nothing(void **state)
{
    (void)state;
    char *url = fresh_db();
    sfn_store *s = open_url(url, NULL);
    sfn_error err;
    sfn_exec_rec r = exec_rec("arn:taken");
    assert_int_equal(sfn_store_insert_execution(s, &r, &err), SFN_OK);
    assert_int_equal(sfn_store_begin(s, &err), SFN_OK);
    /* the duplicate shows when the batch reaches the server: at the
     * commit, or at a write that had to wait for the server (a new block
     * of ids), after which every write and the commit fail alike */
    sfn_rc rc = SFN_OK;
    for (int i = 0; i < 20; i++) {
        char arn[32];
        snprintf(arn, sizeof arn, "arn:b:%d", i);
        sfn_exec_rec x = exec_rec(i == 10 ? "arn:taken" : arn);
        rc = sfn_store_insert_execution(s, &x, &err);
        if (i < 10)
            assert_int_equal(rc, SFN_OK);
        else if (rc != SFN_OK)
            break;
    }
    if (rc == SFN_OK)
        rc = sfn_store_commit(s, &err);
    else
        assert_int_equal(sfn_store_commit(s, &err), rc);
    assert_int_equal(rc, SFN_EINVAL);
    assert_string_equal(err.cause, "execution 'arn:taken' already exists");
    int64_t n = 0;
    assert_int_equal(sfn_store_count_executions(s, 0, &n, &err), SFN_OK);
    assert_int_equal(n, 1);
    /* the connection is usable again */
    assert_int_equal(sfn_store_begin(s, &err), SFN_OK);
    sfn_exec_rec y = exec_rec("arn:after");
    assert_int_equal(sfn_store_insert_execution(s, &y, &err), SFN_OK);
    assert_int_equal(sfn_store_commit(s, &err), SFN_OK);
    assert_int_equal(sfn_store_count_executions(s, 0, &n, &err), SFN_OK);
    assert_int_equal(n, 2);
    sfn_store_close(s);
    drop_db(url);
}

/* ---- leases and fencing ------------------------------------------------ */

static sfn_store *node(const char *url, const char *id, int64_t lease_ms)
{
    sfn_store_opts o = {.engine = true, .node_id = id, .lease_ms = lease_ms};
    return open_url(url, &o);
}

static void expire_node(PGconn *c, const char *id)
{
    char sql[160];
    snprintf(sql, sizeof sql,
             "UPDATE stepd.nodes SET expires_ms = stepd.stepd_now() - 1"
             " WHERE id = '%s'", id);
    raw_exec(c, sql);
}

static void lost_cb(void *ud, int64_t id)
{
    *(int64_t *)ud = id;
}

static int count_rows(const sfn_exec_rec *r, void *ud)
{
    (void)r;
    ++*(int *)ud;
    return 0;
}

static void test_fencing_after_takeover(void **state)
{
    (void)state;
    char *url = fresh_db();
    sfn_store *a = node(url, "node-a", 60000);
    sfn_store *b = node(url, "node-b", 60000);
    assert_string_equal(sfn_store_node_id(a), "node-a");
    sfn_error err;
    sfn_exec_rec r = exec_rec("arn:f");
    assert_int_equal(sfn_store_insert_execution(a, &r, &err), SFN_OK);
    assert_true(sfn_store_owns(a, r.id));
    assert_false(sfn_store_owns(b, r.id));
    /* A's lease is live: nothing for B to claim */
    size_t n = 9;
    assert_int_equal(sfn_store_claim(b, 0, NULL, NULL, &n, &err), SFN_OK);
    assert_int_equal(n, 0);

    PGconn *c = raw(url);
    expire_node(c, "node-a");
    int rows = 0;
    assert_int_equal(sfn_store_claim(b, 0, count_rows, &rows, &n, &err),
                     SFN_OK);
    assert_int_equal(n, 1);
    assert_int_equal(rows, 1);
    assert_true(sfn_store_owns(b, r.id));
    sfn_store_lease_stats st = sfn_store_get_lease_stats(b);
    assert_int_equal(st.claims, 1);
    assert_int_equal(st.takeovers, 1);
    assert_int_equal(st.held, 1);
    assert_int_equal(raw_int(c, "SELECT epoch FROM stepd.executions"), 2);
    assert_int_equal(raw_int(c, "SELECT count(*) FROM stepd.lease_log WHERE"
                                " epoch = 2 AND node = 'node-b' AND"
                                " prev_node = 'node-a'"), 1);

    /* A wakes up and commits a transition: refused, nothing written */
    assert_int_equal(sfn_store_begin(a, &err), SFN_OK);
    r.next_event = 5;
    sfn_store_event ev = {.id = 1, .ts_ms = 1, .type = 1, .details = "{}"};
    assert_int_equal(sfn_store_update_execution(a, &r, &err), SFN_OK);
    assert_int_equal(sfn_store_append_events(a, r.id, &ev, 1, &err), SFN_OK);
    assert_int_equal(sfn_store_commit(a, &err), SFN_ELEASE);
    assert_non_null(strstr(err.cause, "arn:f"));
    assert_int_equal(raw_int(c, "SELECT count(*) FROM stepd.events"), 0);
    assert_int_equal(raw_int(c, "SELECT next_event FROM stepd.executions"), 1);
    int64_t lost = 0;
    assert_int_equal(sfn_store_check_leases(a, &r.id, 1, lost_cb, &lost,
                                            &err), SFN_OK);
    assert_int_equal(lost, r.id);
    assert_false(sfn_store_owns(a, r.id));
    assert_int_equal(sfn_store_get_lease_stats(a).lost, 1);
    assert_int_equal(sfn_store_get_lease_stats(a).held, 0);

    /* B writes under epoch 2 */
    assert_int_equal(sfn_store_append_events(b, r.id, &ev, 1, &err), SFN_OK);
    assert_int_equal(raw_int(c, "SELECT epoch FROM stepd.events"), 2);
    char *owner = NULL;
    bool alive = false;
    assert_int_equal(sfn_store_exec_owner(a, r.id, &owner, &alive, &err),
                     SFN_OK);
    assert_string_equal(owner, "node-b");
    assert_true(alive);
    free(owner);
    PQfinish(c);
    sfn_store_close(a);
    sfn_store_close(b);
    drop_db(url);
}

/* A write of an execution this node never held fails at once. */
static void test_unheld_write_refused(void **state)
{
    (void)state;
    char *url = fresh_db();
    sfn_store *plain = open_url(url, NULL);
    sfn_store *a = node(url, "node-a", 60000);
    sfn_error err;
    sfn_exec_rec r = exec_rec("arn:u");
    assert_int_equal(sfn_store_insert_execution(a, &r, &err), SFN_OK);
    sfn_store *b = node(url, "node-b", 60000);
    assert_int_equal(sfn_store_update_execution(b, &r, &err), SFN_ELEASE);
    assert_non_null(strstr(err.cause, "arn:u"));
    assert_int_equal(sfn_store_put_snapshot(b, r.id, 0, "x", &err),
                     SFN_ELEASE);
    /* the row is untouched and still A's */
    sfn_exec_rec got = {0};
    assert_int_equal(sfn_store_get_execution(plain, "arn:u", &got, &err),
                     SFN_OK);
    assert_int_equal(got.next_event, 1);
    sfn_exec_rec_free(&got);
    /* A ends it: A no longer holds it, and may still write its row */
    r.status = 1;
    assert_int_equal(sfn_store_update_execution(a, &r, &err), SFN_OK);
    assert_false(sfn_store_owns(a, r.id));
    assert_int_equal(sfn_store_clear_snapshots(a, r.id, &err), SFN_OK);
    sfn_store_close(b);
    sfn_store_close(a);
    sfn_store_close(plain);
    drop_db(url);
}

static void test_list_running_claims_own_and_orphans(void **state)
{
    (void)state;
    char *url = fresh_db();
    sfn_store *a = node(url, "node-a", 60000);
    sfn_store *b = node(url, "node-b", 60000);
    sfn_error err;
    sfn_exec_rec x = exec_rec("arn:x"), y = exec_rec("arn:y");
    assert_int_equal(sfn_store_insert_execution(a, &x, &err), SFN_OK);
    assert_int_equal(sfn_store_insert_execution(b, &y, &err), SFN_OK);
    sfn_store_close(a);
    /* node-a restarts with its id: its own execution comes back at once,
     * node-b's (live) stays node-b's */
    a = node(url, "node-a", 60000);
    int rows = 0;
    assert_int_equal(sfn_store_list_running(a, count_rows, &rows, &err),
                     SFN_OK);
    assert_int_equal(rows, 1);
    assert_true(sfn_store_owns(a, x.id));
    assert_false(sfn_store_owns(a, y.id));
    assert_int_equal(sfn_store_get_lease_stats(a).takeovers, 0);
    /* an execution written by a connection that is no node is claimable */
    sfn_store *plain = open_url(url, NULL);
    assert_true(sfn_store_owns(plain, 12345));
    sfn_exec_rec z = exec_rec("arn:z");
    assert_int_equal(sfn_store_insert_execution(plain, &z, &err), SFN_OK);
    size_t n = 0;
    assert_int_equal(sfn_store_claim(b, 0, NULL, NULL, &n, &err), SFN_OK);
    assert_int_equal(n, 1);
    assert_true(sfn_store_owns(b, z.id));
    sfn_store_close(plain);
    sfn_store_close(a);
    sfn_store_close(b);
    drop_db(url);
}

static void test_claim_respects_max(void **state)
{
    (void)state;
    char *url = fresh_db();
    sfn_store *plain = open_url(url, NULL);
    sfn_error err;
    for (int i = 0; i < 5; i++) {
        char arn[16];
        snprintf(arn, sizeof arn, "arn:%d", i);
        sfn_exec_rec r = exec_rec(arn);
        assert_int_equal(sfn_store_insert_execution(plain, &r, &err), SFN_OK);
    }
    sfn_store *a = node(url, "node-a", 60000);
    size_t n = 0;
    assert_int_equal(sfn_store_claim(a, 2, NULL, NULL, &n, &err), SFN_OK);
    assert_int_equal(n, 2);
    assert_int_equal(sfn_store_claim(a, 0, NULL, NULL, &n, &err), SFN_OK);
    assert_int_equal(n, 3);
    assert_int_equal(sfn_store_get_lease_stats(a).held, 5);
    /* claims inside the engine's transaction are refused */
    assert_int_equal(sfn_store_begin(a, &err), SFN_OK);
    assert_int_not_equal(sfn_store_claim(a, 0, NULL, NULL, &n, &err),
                         SFN_OK);
    sfn_store_rollback(a);
    sfn_store_close(a);
    sfn_store_close(plain);
    drop_db(url);
}

static void test_list_due_only_own(void **state)
{
    (void)state;
    char *url = fresh_db();
    sfn_store *a = node(url, "node-a", 60000);
    sfn_store *b = node(url, "node-b", 60000);
    sfn_error err;
    sfn_exec_rec x = exec_rec("arn:x"), y = exec_rec("arn:y");
    x.wake_ms = 100;
    y.wake_ms = 50;
    assert_int_equal(sfn_store_insert_execution(a, &x, &err), SFN_OK);
    assert_int_equal(sfn_store_insert_execution(b, &y, &err), SFN_OK);
    sc_seen seen = {0};
    assert_int_equal(sfn_store_list_due(a, 1000, sc_exec_arns, &seen, &err),
                     SFN_OK);
    assert_string_equal(seen.text, "arn:x,");
    assert_int_equal(sfn_store_next_wake(a), 100);
    assert_int_equal(sfn_store_next_wake(b), 50);
    /* a connection that is no node sees every timer */
    sfn_store *plain = open_url(url, NULL);
    memset(&seen, 0, sizeof seen);
    assert_int_equal(sfn_store_list_due(plain, 1000, sc_exec_arns, &seen,
                                        &err), SFN_OK);
    assert_string_equal(seen.text, "arn:y,arn:x,");
    sfn_store_close(plain);
    sfn_store_close(a);
    sfn_store_close(b);
    drop_db(url);
}

static void test_adopt_ended_execution(void **state)
{
    (void)state;
    char *url = fresh_db();
    sfn_store *a = node(url, "node-a", 60000);
    sfn_store *b = node(url, "node-b", 60000);
    sfn_error err;
    sfn_exec_rec r = exec_rec("arn:r");
    assert_int_equal(sfn_store_insert_execution(a, &r, &err), SFN_OK);
    assert_int_equal(sfn_store_adopt(b, r.id, &err), SFN_EINVAL);
    assert_int_equal(sfn_store_adopt(b, 999999, &err), SFN_ENOTFOUND);
    r.status = 2;
    assert_int_equal(sfn_store_update_execution(a, &r, &err), SFN_OK);
    char *owner = (char *)"x";
    bool alive = true;
    assert_int_equal(sfn_store_exec_owner(b, r.id, &owner, &alive, &err),
                     SFN_OK);
    assert_null(owner);
    /* redrive on B: B adopts it and runs it again */
    assert_int_equal(sfn_store_adopt(b, r.id, &err), SFN_OK);
    assert_true(sfn_store_owns(b, r.id));
    r.status = 0;
    r.redrive_count = 1;
    assert_int_equal(sfn_store_update_execution(b, &r, &err), SFN_OK);
    /* and A, no longer the owner, cannot write it */
    assert_int_equal(sfn_store_update_execution(a, &r, &err), SFN_ELEASE);
    sfn_store_close(a);
    sfn_store_close(b);
    drop_db(url);
}

static int node_list(const char *id, int64_t expires_ms, bool alive,
                     void *ud)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s:%d,", id, alive && expires_ms > 0);
    strcat(((sc_seen *)ud)->text, buf);
    return 0;
}

static void test_nodes_and_renewal(void **state)
{
    (void)state;
    char *url = fresh_db();
    sfn_store *a = node(url, "node-a", 60000);
    sfn_store *b = node(url, NULL, 60000);
    const char *gen = sfn_store_node_id(b);
    assert_non_null(gen);
    assert_int_equal(strlen(gen), 13);
    assert_int_equal(gen[0], 'n');
    PGconn *c = raw(url);
    expire_node(c, "node-a");
    sfn_error err;
    sc_seen seen = {0};
    assert_int_equal(sfn_store_list_nodes(a, node_list, &seen, &err), SFN_OK);
    assert_non_null(strstr(seen.text, "node-a:0,"));
    assert_int_equal(sfn_store_renew_lease(a, &err), SFN_OK);
    memset(&seen, 0, sizeof seen);
    assert_int_equal(sfn_store_list_nodes(a, node_list, &seen, &err), SFN_OK);
    assert_non_null(strstr(seen.text, "node-a:1,"));
    /* a node row removed by an operator comes back at the next renewal */
    raw_exec(c, "DELETE FROM stepd.nodes WHERE id = 'node-a'");
    assert_int_equal(sfn_store_renew_lease(a, &err), SFN_OK);
    assert_int_equal(raw_int(c, "SELECT count(*) FROM stepd.nodes"
                                " WHERE id = 'node-a'"), 1);
    PQfinish(c);
    sfn_store_close(a);
    sfn_store_close(b);
    drop_db(url);
}

/* ---- messages and notifications ---------------------------------------- */

typedef struct notes {
    char channel[64], payload[64];
    int n;
} notes;

static void on_note(const char *channel, const char *payload, void *ud)
{
    notes *n = ud;
    snprintf(n->channel, sizeof n->channel, "%s", channel);
    snprintf(n->payload, sizeof n->payload, "%s", payload);
    n->n++;
}

/* Waits (poll, no sleeping) until the listener got a notification. */
static void await_note(sfn_store *l, notes *n)
{
    sfn_error err;
    for (int i = 0; i < 50 && !n->n; i++) {
        struct pollfd p = {.fd = sfn_store_notify_fd(l), .events = POLLIN};
        assert_true(poll(&p, 1, 5000) >= 0);
        assert_int_equal(sfn_store_notifications(l, on_note, n, &err),
                         SFN_OK);
    }
    assert_true(n->n > 0);
}

typedef struct taken {
    int64_t id, exec_id;
    int kind;
    char from[48], body[64];
    int n;
} taken;

static int on_msg(const sfn_store_msg *m, void *ud)
{
    taken *t = ud;
    t->id = m->id;
    t->exec_id = m->exec_id;
    t->kind = m->kind;
    snprintf(t->from, sizeof t->from, "%s", m->from_node ? m->from_node : "");
    snprintf(t->body, sizeof t->body, "%s", m->body ? m->body : "");
    t->n++;
    return 0;
}

static void test_message_round_trip(void **state)
{
    (void)state;
    char *url = fresh_db();
    sfn_store *a = node(url, "node-a", 60000);
    sfn_store *b = node(url, "node-b", 60000);
    sfn_store *la = open_url(url, NULL), *lb = open_url(url, NULL);
    sfn_error err;
    assert_int_equal(sfn_store_listen(lb, "stepd_n_node-b", &err), SFN_OK);
    assert_int_equal(sfn_store_listen(la, "stepd_r_node-a", &err), SFN_OK);
    int64_t id = 0;
    assert_int_equal(sfn_store_post_msg(a, "node-b", 7, 3, "{\"stop\":1}",
                                        &id, &err), SFN_OK);
    notes nb = {0};
    await_note(lb, &nb);
    assert_string_equal(nb.channel, "stepd_n_node-b");
    char want[32];
    snprintf(want, sizeof want, "%lld", (long long)id);
    assert_string_equal(nb.payload, want);
    taken t = {0};
    /* a connection of no node cannot tell which calls are its own */
    assert_int_equal(sfn_store_take_msgs(la, on_msg, &t, &err), SFN_EINVAL);
    assert_non_null(strstr(err.cause, "node_id"));
    /* node-b's calls served from a connection of its own */
    sfn_store_opts so = {.node_id = "node-b"};
    sfn_store *sb = open_url(url, &so);
    assert_int_equal(sfn_store_take_msgs(sb, on_msg, &t, &err), SFN_OK);
    sfn_store_close(sb);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.id, id);
    assert_int_equal(t.exec_id, 7);
    assert_int_equal(t.kind, 3);
    assert_string_equal(t.from, "node-a");
    assert_string_equal(t.body, "{\"stop\":1}");
    /* taken once */
    memset(&t, 0, sizeof t);
    assert_int_equal(sfn_store_take_msgs(b, on_msg, &t, &err), SFN_OK);
    assert_int_equal(t.n, 0);
    char *answer = (char *)"x";
    assert_int_equal(sfn_store_get_answer(a, id, &answer, &err), SFN_OK);
    assert_null(answer);
    assert_int_equal(sfn_store_answer_msg(b, id, "{\"ok\":true}", &err),
                     SFN_OK);
    notes na = {0};
    await_note(la, &na);
    assert_string_equal(na.channel, "stepd_r_node-a");
    assert_string_equal(na.payload, want);
    assert_int_equal(sfn_store_get_answer(a, id, &answer, &err), SFN_OK);
    assert_string_equal(answer, "{\"ok\":true}");
    free(answer);
    /* read once: the row is gone */
    assert_int_equal(sfn_store_get_answer(a, id, &answer, &err),
                     SFN_ENOTFOUND);
    assert_int_equal(sfn_store_answer_msg(b, id, "{}", &err), SFN_ENOTFOUND);
    sfn_store_close(la);
    sfn_store_close(lb);
    sfn_store_close(a);
    sfn_store_close(b);
    drop_db(url);
}

/* A call for a node that died goes to the node that took its execution. */
static void test_messages_follow_the_execution(void **state)
{
    (void)state;
    char *url = fresh_db();
    sfn_store *a = node(url, "node-a", 60000);
    sfn_store *b = node(url, "node-b", 60000);
    sfn_store *c = node(url, "node-c", 60000);
    sfn_error err;
    sfn_exec_rec r = exec_rec("arn:m");
    assert_int_equal(sfn_store_insert_execution(a, &r, &err), SFN_OK);
    int64_t id = 0;
    assert_int_equal(sfn_store_post_msg(c, "node-a", r.id, 1, "{}", &id,
                                        &err), SFN_OK);
    taken t = {0};
    /* node-a is alive: its calls are not node-b's */
    assert_int_equal(sfn_store_take_msgs(b, on_msg, &t, &err), SFN_OK);
    assert_int_equal(t.n, 0);
    PGconn *pc = raw(url);
    expire_node(pc, "node-a");
    PQfinish(pc);
    size_t n = 0;
    assert_int_equal(sfn_store_claim(b, 0, NULL, NULL, &n, &err), SFN_OK);
    assert_int_equal(n, 1);
    assert_int_equal(sfn_store_take_msgs(b, on_msg, &t, &err), SFN_OK);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.id, id);
    assert_string_equal(t.from, "node-c");
    sfn_store_close(a);
    sfn_store_close(b);
    sfn_store_close(c);
    drop_db(url);
}

static void test_notify_inside_transaction(void **state)
{
    (void)state;
    char *url = fresh_db();
    sfn_store *s = open_url(url, NULL), *l = open_url(url, NULL);
    sfn_error err;
    assert_int_equal(sfn_store_listen(l, "chan", &err), SFN_OK);
    assert_int_equal(sfn_store_begin(s, &err), SFN_OK);
    assert_int_equal(sfn_store_notify(s, "chan", "hello", &err), SFN_OK);
    /* not delivered before the commit */
    notes n = {0};
    struct pollfd p = {.fd = sfn_store_notify_fd(l), .events = POLLIN};
    assert_true(poll(&p, 1, 100) >= 0);
    assert_int_equal(sfn_store_notifications(l, on_note, &n, &err), SFN_OK);
    assert_int_equal(n.n, 0);
    assert_int_equal(sfn_store_commit(s, &err), SFN_OK);
    await_note(l, &n);
    assert_string_equal(n.payload, "hello");
    sfn_store_close(l);
    sfn_store_close(s);
    drop_db(url);
}

/* ---- the shared activity queue ----------------------------------------- */

typedef struct popper {
    const char *url;
    char tokens[64][16];
    int n;
} popper;

static void *pop_all(void *arg)
{
    popper *p = arg;
    sfn_store *s = NULL;
    sfn_error err;
    if (sfn_store_open(p->url, NULL, &s, &err) != SFN_OK)
        return NULL;
    for (;;) {
        char *tok = NULL, *in = NULL;
        int64_t exec = 0;
        if (sfn_store_pop_activity(s, "arn:act", &tok, &in, &exec, &err) !=
            SFN_OK)
            break;
        if (p->n < 64)
            snprintf(p->tokens[p->n++], sizeof p->tokens[0], "%s", tok);
        free(tok);
        free(in);
    }
    sfn_store_close(s);
    return NULL;
}

static void test_activity_queue(void **state)
{
    (void)state;
    char *url = fresh_db();
    sfn_store *s = open_url(url, NULL), *l = open_url(url, NULL);
    sfn_error err;
    assert_int_equal(sfn_store_listen(l, "stepd_act", &err), SFN_OK);
    assert_int_equal(sfn_store_push_activity(s, "t-b", "arn:act", 1, "{\"b\":1}",
                                             20, &err), SFN_OK);
    assert_int_equal(sfn_store_push_activity(s, "t-a", "arn:act", 2, "{\"a\":1}",
                                             10, &err), SFN_OK);
    /* the same token again is ignored */
    assert_int_equal(sfn_store_push_activity(s, "t-a", "arn:act", 2, "{}", 5,
                                             &err), SFN_OK);
    notes n = {0};
    await_note(l, &n);
    assert_string_equal(n.payload, "arn:act");
    char *tok = NULL, *in = NULL;
    int64_t exec = 0;
    assert_int_equal(sfn_store_pop_activity(s, "arn:other", &tok, &in, &exec,
                                            &err), SFN_ENOTFOUND);
    assert_int_equal(sfn_store_pop_activity(s, "arn:act", &tok, &in, &exec,
                                            &err), SFN_OK);
    assert_string_equal(tok, "t-a");
    assert_string_equal(in, "{\"a\":1}");
    assert_int_equal(exec, 2);
    free(tok);
    free(in);
    assert_int_equal(sfn_store_drop_activity(s, "t-b", &err), SFN_OK);
    assert_int_equal(sfn_store_pop_activity(s, "arn:act", &tok, &in, &exec,
                                            &err), SFN_ENOTFOUND);
    /* two poppers at once never get the same token */
    for (int i = 0; i < 40; i++) {
        char t[16];
        snprintf(t, sizeof t, "q%d", i);
        assert_int_equal(sfn_store_push_activity(s, t, "arn:act", i, "{}", i,
                                                 &err), SFN_OK);
    }
    popper p1 = {.url = url}, p2 = {.url = url};
    pthread_t t1, t2;
    assert_int_equal(pthread_create(&t1, NULL, pop_all, &p1), 0);
    assert_int_equal(pthread_create(&t2, NULL, pop_all, &p2), 0);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    assert_int_equal(p1.n + p2.n, 40);
    for (int i = 0; i < p1.n; i++)
        for (int k = 0; k < p2.n; k++)
            assert_string_not_equal(p1.tokens[i], p2.tokens[k]);
    sfn_store_close(l);
    sfn_store_close(s);
    drop_db(url);
}

/* ---- lost connections --------------------------------------------------- */

/* Terminates every stepd session on the side connection's database and
 * waits until each is gone; how many there were. */
static int64_t kill_stepd(PGconn *c)
{
    return raw_int(c, "SELECT count(*) FROM (SELECT pg_terminate_backend("
                      "pid, 10000) FROM pg_stat_activity WHERE datname ="
                      " current_database() AND application_name = 'stepd'"
                      " AND pid <> pg_backend_pid()) k");
}

static void assert_lost_cause(const sfn_error *err, const char *url)
{
    assert_int_equal(err->rc, SFN_EIO);
    assert_non_null(strstr(err->cause, "was lost"));
    /* names the server as host:port/db, never the URL itself */
    const char *host = strstr(url, "@") + 1;
    char where[128];
    snprintf(where, sizeof where, "%.*s", (int)strcspn(host, "?"), host);
    assert_non_null(strstr(err->cause, where));
    assert_null(strstr(err->cause, "postgres://"));
}

static void test_lost_connection_read_recovers(void **state)
{
    (void)state;
    char *url = fresh_db();
    sfn_store *s = open_url(url, NULL);
    sfn_error err;
    assert_int_equal(sfn_store_put_machine(s, "m", "STANDARD", "{}", 1, NULL,
                                           &err), SFN_OK);
    PGconn *c = raw(url);
    assert_int_equal(kill_stepd(c), 1);
    sfn_machine_rec m = {0};
    assert_int_equal(sfn_store_get_machine(s, "m", 0, &m, &err), SFN_EIO);
    assert_lost_cause(&err, url);
    assert_int_equal(sfn_store_get_machine(s, "m", 0, &m, &err), SFN_OK);
    assert_int_equal(m.revision, 1);
    sfn_machine_rec_free(&m);
    /* a new session: the server sees one stepd connection again */
    assert_int_equal(raw_int(c, "SELECT count(*) FROM pg_stat_activity WHERE"
                                " datname = current_database() AND"
                                " application_name = 'stepd'"), 1);
    PQfinish(c);
    sfn_store_close(s);
    drop_db(url);
}

static void test_lost_connection_group_commit_recovers(void **state)
{
    (void)state;
    char *url = fresh_db();
    sfn_store *s = open_url(url, NULL);
    PGconn *c = raw(url);
    assert_int_equal(kill_stepd(c), 1);
    sfn_error err;
    assert_int_equal(sfn_store_begin(s, &err), SFN_OK);
    sfn_exec_rec r = exec_rec("arn:lost");
    /* the first write needs ids from the server: it finds the loss */
    assert_int_equal(sfn_store_insert_execution(s, &r, &err), SFN_EIO);
    assert_lost_cause(&err, url);
    assert_int_equal(sfn_store_commit(s, &err), SFN_EIO);
    /* the next transaction runs on a new session */
    assert_int_equal(sfn_store_begin(s, &err), SFN_OK);
    assert_int_equal(sfn_store_insert_execution(s, &r, &err), SFN_OK);
    sfn_store_event ev = {.id = 1, .ts_ms = 1, .type = 1, .details = "{}"};
    assert_int_equal(sfn_store_append_events(s, r.id, &ev, 1, &err), SFN_OK);
    assert_int_equal(sfn_store_commit(s, &err), SFN_OK);
    assert_int_equal(raw_int(c, "SELECT count(*) FROM stepd.executions"), 1);
    assert_int_equal(raw_int(c, "SELECT count(*) FROM stepd.events"), 1);
    PQfinish(c);
    sfn_store_close(s);
    drop_db(url);
}

/* Writes of one transition of execution r (next_event 1 -> 3). */
static sfn_rc write_transition(sfn_store *s, sfn_exec_rec *r, sfn_error *err)
{
    sfn_store_event ev[2] = {
        {.id = 1, .prev = 0, .ts_ms = 1, .type = 1, .details = "{}"},
        {.id = 2, .prev = 1, .ts_ms = 2, .type = 2, .details = "{}"}};
    r->next_event = 3;
    sfn_rc rc = sfn_store_begin(s, err);
    if (rc == SFN_OK)
        rc = sfn_store_update_execution(s, r, err);
    if (rc == SFN_OK)
        rc = sfn_store_append_events(s, r->id, ev, 2, err);
    if (rc == SFN_OK)
        rc = sfn_store_put_snapshot(s, r->id, 0, "{\"s\":1}", err);
    return rc;
}

static void test_commit_on_lost_connection_writes_nothing(void **state)
{
    (void)state;
    char *url = fresh_db();
    sfn_store *a = node(url, "node-a", 60000);
    sfn_error err;
    sfn_exec_rec r = exec_rec("arn:c");
    assert_int_equal(sfn_store_insert_execution(a, &r, &err), SFN_OK);
    PGconn *c = raw(url);
    assert_int_equal(write_transition(a, &r, &err), SFN_OK);
    assert_int_equal(kill_stepd(c), 1);
    assert_int_equal(sfn_store_commit(a, &err), SFN_EIO);
    assert_lost_cause(&err, url);
    assert_non_null(strstr(err.cause, "nothing written"));
    assert_int_equal(raw_int(c, "SELECT count(*) FROM stepd.events"), 0);
    assert_int_equal(raw_int(c, "SELECT count(*) FROM stepd.snapshots"), 0);
    assert_int_equal(raw_int(c, "SELECT next_event FROM stepd.executions"), 1);
    /* the same transition again, on a new session, under the same lease */
    assert_true(sfn_store_owns(a, r.id));
    assert_int_equal(write_transition(a, &r, &err), SFN_OK);
    assert_int_equal(sfn_store_commit(a, &err), SFN_OK);
    assert_int_equal(raw_int(c, "SELECT count(*) FROM stepd.events WHERE"
                                " epoch = 1"), 2);
    assert_int_equal(raw_int(c, "SELECT count(*) FROM stepd.snapshots"), 1);
    assert_int_equal(raw_int(c, "SELECT next_event FROM stepd.executions"), 3);
    PQfinish(c);
    sfn_store_close(a);
    drop_db(url);
}

static void test_engine_keeps_leases_after_reconnect(void **state)
{
    (void)state;
    char *url = fresh_db();
    sfn_store *a = node(url, "node-a", 60000);
    sfn_error err;
    sfn_exec_rec r = exec_rec("arn:k");
    assert_int_equal(sfn_store_insert_execution(a, &r, &err), SFN_OK);
    PGconn *c = raw(url);
    assert_int_equal(kill_stepd(c), 1);
    assert_int_equal(sfn_store_renew_lease(a, &err), SFN_EIO);
    assert_lost_cause(&err, url);
    assert_string_equal(sfn_store_node_id(a), "node-a");
    assert_true(sfn_store_owns(a, r.id));
    assert_int_equal(sfn_store_get_lease_stats(a).held, 1);
    /* another node removed the row of what it took for a dead node: the
     * next renew registers it again */
    raw_exec(c, "DELETE FROM stepd.nodes WHERE id = 'node-a'");
    assert_int_equal(sfn_store_renew_lease(a, &err), SFN_OK);
    assert_int_equal(raw_int(c, "SELECT count(*) FROM stepd.nodes WHERE id ="
                                " 'node-a' AND expires_ms >"
                                " stepd.stepd_now()"), 1);
    /* a fenced write under the epoch claimed before the loss */
    r.next_event = 7;
    assert_int_equal(sfn_store_update_execution(a, &r, &err), SFN_OK);
    assert_int_equal(raw_int(c, "SELECT next_event FROM stepd.executions"
                                " WHERE epoch = 1 AND owner = 'node-a'"), 7);
    /* the lease is live: another node finds nothing to claim */
    sfn_store *b = node(url, "node-b", 60000);
    size_t n = 9;
    assert_int_equal(sfn_store_claim(b, 0, NULL, NULL, &n, &err), SFN_OK);
    assert_int_equal(n, 0);
    sfn_store_close(b);
    PQfinish(c);
    sfn_store_close(a);
    drop_db(url);
}

static void test_listener_after_reconnect(void **state)
{
    (void)state;
    char *url = fresh_db();
    sfn_store *l = open_url(url, NULL);
    sfn_error err;
    assert_int_equal(sfn_store_listen(l, "stepd_t", &err), SFN_OK);
    assert_int_equal(sfn_store_listen(l, "stepd_u", &err), SFN_OK);
    PGconn *c = raw(url);
    assert_int_equal(kill_stepd(c), 1);
    /* the dead session's socket reads as the end of the connection */
    struct pollfd p = {.fd = sfn_store_notify_fd(l), .events = POLLIN};
    assert_int_equal(poll(&p, 1, 10000), 1);
    notes n = {0};
    assert_int_equal(sfn_store_notifications(l, on_note, &n, &err), SFN_EIO);
    assert_lost_cause(&err, url);
    /* the next call reconnects and listens again on both channels */
    assert_int_equal(sfn_store_notifications(l, on_note, &n, &err), SFN_OK);
    assert_int_equal(n.n, 0);
    assert_true(sfn_store_notify_fd(l) >= 0);
    raw_exec(c, "NOTIFY stepd_u, 'again'");
    await_note(l, &n);
    assert_string_equal(n.channel, "stepd_u");
    assert_string_equal(n.payload, "again");
    n = (notes){0};
    raw_exec(c, "NOTIFY stepd_t, 'too'");
    await_note(l, &n);
    assert_string_equal(n.channel, "stepd_t");
    PQfinish(c);
    sfn_store_close(l);
    drop_db(url);
}

/* While the server refuses connections every call fails (and tries
 * again on the next one); once it accepts them the store works. */
static void test_unreachable_after_loss_retries(void **state)
{
    (void)state;
    char *url = fresh_db();
    sfn_store *s = open_url(url, NULL);
    PGconn *c = raw(url);
    /* a database may not refuse its own sessions: say it from another */
    PGconn *base = pgfx_connect_base();
    assert_non_null(base);
    char sql[160];
    snprintf(sql, sizeof sql, "ALTER DATABASE \"%s\" ALLOW_CONNECTIONS false",
             PQdb(c));
    raw_exec(base, sql);
    assert_int_equal(kill_stepd(c), 1);
    sfn_error err;
    int64_t n = 0;
    assert_int_equal(sfn_store_count_executions(s, 0, &n, &err), SFN_EIO);
    assert_lost_cause(&err, url);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(sfn_store_count_executions(s, 0, &n, &err), SFN_EIO);
        assert_non_null(strstr(err.cause, "reconnecting failed"));
        assert_null(strstr(err.cause, "postgres://"));
    }
    snprintf(sql, sizeof sql, "ALTER DATABASE \"%s\" ALLOW_CONNECTIONS true",
             PQdb(c));
    raw_exec(base, sql);
    PQfinish(base);
    assert_int_equal(sfn_store_count_executions(s, 0, &n, &err), SFN_OK);
    assert_int_equal(n, 0);
    PQfinish(c);
    sfn_store_close(s);
    drop_db(url);
}

/* ---- batched writes ------------------------------------------------------- */

typedef struct hist {
    int n;
    char details[8][96];
    bool null[8];
} hist;

static int on_event(const sfn_store_event *e, void *ud)
{
    hist *h = ud;
    h->null[h->n] = !e->details;
    snprintf(h->details[h->n], sizeof h->details[0], "%s",
             e->details ? e->details : "");
    h->n++;
    return 0;
}

typedef struct snaps {
    int n;
    int64_t key[8];
    char data[8][32];
} snaps;

static int on_snap(int64_t key, const char *data, void *ud)
{
    snaps *sn = ud;
    sn->key[sn->n] = key;
    snprintf(sn->data[sn->n], sizeof sn->data[0], "%s", data);
    sn->n++;
    return 0;
}

/* Text that an array literal would misread unless quoted and escaped. */
static const char *const odd[] = {
    "{\"q\":\"a \\\"quoted\\\" \\\\ back\"}", "NULL", "{a,b}", " x ",
    "caf\xc3\xa9 \xe2\x9c\x93"};

static void check_batched_reads(sfn_store *s, int64_t x, int64_t y)
{
    sfn_error err;
    hist h = {0};
    assert_int_equal(sfn_store_get_history(s, x, 0, 0, false, on_event, &h,
                                           &err), SFN_OK);
    assert_int_equal(h.n, 6);
    for (int i = 0; i < 5; i++)
        assert_string_equal(h.details[i], odd[i]);
    assert_true(h.null[5]);
    snaps sn = {0};
    assert_int_equal(sfn_store_load_snapshots(s, x, on_snap, &sn, &err),
                     SFN_OK);
    assert_int_equal(sn.n, 1);
    assert_int_equal(sn.key[0], 1);
    assert_string_equal(sn.data[0], "v2");
    sn = (snaps){0};
    assert_int_equal(sfn_store_load_snapshots(s, y, on_snap, &sn, &err),
                     SFN_OK);
    assert_int_equal(sn.n, 1);
    assert_int_equal(sn.key[0], 5);
    assert_string_equal(sn.data[0], odd[0]);
    sfn_exec_rec got = {0};
    assert_int_equal(sfn_store_get_execution_by_id(s, x, &got, &err), SFN_OK);
    assert_int_equal(got.next_event, 7);
    assert_string_equal(got.output, odd[2]);
    sfn_exec_rec_free(&got);
}

static void test_batched_writes_read_in_order(void **state)
{
    (void)state;
    char *url = fresh_db();
    sfn_store *s = open_url(url, NULL);
    sfn_error err;
    sfn_exec_rec x = exec_rec("arn:x"), y = exec_rec("arn:y");
    assert_int_equal(sfn_store_insert_execution(s, &x, &err), SFN_OK);
    assert_int_equal(sfn_store_insert_execution(s, &y, &err), SFN_OK);
    assert_int_equal(sfn_store_begin(s, &err), SFN_OK);
    sfn_store_event ev[6];
    for (int i = 0; i < 6; i++)
        ev[i] = (sfn_store_event){.id = i + 1, .prev = i, .ts_ms = i,
                                  .type = 1,
                                  .details = i < 5 ? odd[i] : NULL};
    assert_int_equal(sfn_store_append_events(s, x.id, ev, 6, &err), SFN_OK);
    /* the last put of a key wins; a delete follows the puts before it */
    assert_int_equal(sfn_store_put_snapshot(s, x.id, 1, "v1", &err), SFN_OK);
    assert_int_equal(sfn_store_put_snapshot(s, x.id, 1, "v2", &err), SFN_OK);
    assert_int_equal(sfn_store_put_snapshot(s, x.id, 2, "k2", &err), SFN_OK);
    assert_int_equal(sfn_store_delete_snapshot(s, x.id, 2, &err), SFN_OK);
    assert_int_equal(sfn_store_put_snapshot(s, y.id, 1, "a", &err), SFN_OK);
    assert_int_equal(sfn_store_clear_snapshots(s, y.id, &err), SFN_OK);
    assert_int_equal(sfn_store_put_snapshot(s, y.id, 5, odd[0], &err),
                     SFN_OK);
    /* the last update of an execution wins */
    x.next_event = 4;
    assert_int_equal(sfn_store_update_execution(s, &x, &err), SFN_OK);
    x.next_event = 7;
    x.output = (char *)odd[2];
    assert_int_equal(sfn_store_update_execution(s, &x, &err), SFN_OK);
    /* reads inside the transaction see its writes... */
    check_batched_reads(s, x.id, y.id);
    PGconn *c = raw(url);
    assert_int_equal(raw_int(c, "SELECT count(*) FROM stepd.events"), 0);
    assert_int_equal(sfn_store_commit(s, &err), SFN_OK);
    /* ...and so does everyone after the commit */
    sfn_store *other = open_url(url, NULL);
    check_batched_reads(other, x.id, y.id);
    sfn_store_close(other);
    PQfinish(c);
    sfn_store_close(s);
    drop_db(url);
}

/* One of several executions in a batch was taken over: the commit fails
 * naming that one, and nothing of any is written. */
static void test_batch_fence_names_lost_execution(void **state)
{
    (void)state;
    char *url = fresh_db();
    sfn_store *a = node(url, "node-a", 60000);
    sfn_error err;
    sfn_exec_rec r[3] = {exec_rec("arn:b0"), exec_rec("arn:b1"),
                         exec_rec("arn:b2")};
    for (int i = 0; i < 3; i++)
        assert_int_equal(sfn_store_insert_execution(a, &r[i], &err), SFN_OK);
    PGconn *c = raw(url);
    char sql[128];
    snprintf(sql, sizeof sql, "UPDATE stepd.executions SET epoch = 2 WHERE"
             " id = %lld", (long long)r[1].id);
    raw_exec(c, sql);
    assert_int_equal(sfn_store_begin(a, &err), SFN_OK);
    sfn_store_event ev = {.id = 1, .ts_ms = 1, .type = 1, .details = "{}"};
    for (int i = 0; i < 3; i++) {
        r[i].next_event = 2;
        assert_int_equal(sfn_store_update_execution(a, &r[i], &err), SFN_OK);
        assert_int_equal(sfn_store_append_events(a, r[i].id, &ev, 1, &err),
                         SFN_OK);
    }
    assert_int_equal(sfn_store_commit(a, &err), SFN_ELEASE);
    assert_non_null(strstr(err.cause, "arn:b1"));
    assert_null(strstr(err.cause, "arn:b0"));
    assert_int_equal(raw_int(c, "SELECT count(*) FROM stepd.events"), 0);
    assert_int_equal(raw_int(c, "SELECT max(next_event) FROM"
                                " stepd.executions"), 1);
    PQfinish(c);
    sfn_store_close(a);
    drop_db(url);
}

int main(void)
{
    if (!pgfx_base_url()) {
        fprintf(stderr, "test_store_pg: no PostgreSQL server: set "
                        "STEPD_TEST_PG to a postgres:// URL (a user that may "
                        "CREATE DATABASE) or STEPD_TEST_PG_FILE to a file "
                        "holding one (ctest's pg_start fixture does)\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_migrates_to_latest),
        cmocka_unit_test(test_concurrent_opens_migrate_once),
        cmocka_unit_test(test_foreign_database_refused),
        cmocka_unit_test(test_newer_schema_refused),
        cmocka_unit_test(test_unreachable_server),
        cmocka_unit_test(test_bad_node_id_refused),
        cmocka_unit_test(test_group_commit_many_writes),
        cmocka_unit_test(test_group_commit_violation_writes_nothing),
        cmocka_unit_test(test_fencing_after_takeover),
        cmocka_unit_test(test_unheld_write_refused),
        cmocka_unit_test(test_list_running_claims_own_and_orphans),
        cmocka_unit_test(test_claim_respects_max),
        cmocka_unit_test(test_list_due_only_own),
        cmocka_unit_test(test_adopt_ended_execution),
        cmocka_unit_test(test_nodes_and_renewal),
        cmocka_unit_test(test_message_round_trip),
        cmocka_unit_test(test_messages_follow_the_execution),
        cmocka_unit_test(test_notify_inside_transaction),
        cmocka_unit_test(test_activity_queue),
        cmocka_unit_test(test_lost_connection_read_recovers),
        cmocka_unit_test(test_lost_connection_group_commit_recovers),
        cmocka_unit_test(test_commit_on_lost_connection_writes_nothing),
        cmocka_unit_test(test_engine_keeps_leases_after_reconnect),
        cmocka_unit_test(test_listener_after_reconnect),
        cmocka_unit_test(test_unreachable_after_loss_retries),
        cmocka_unit_test(test_batched_writes_read_in_order),
        cmocka_unit_test(test_batch_fence_names_lost_execution),
        STORE_CASES,
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
