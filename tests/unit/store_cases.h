/* store_cases.h: the store contract checked the same way on every backend
 * (test_store.c: SQLite, test_store_pg.c: PostgreSQL): machines, tokens,
 * activities, executions and their history, group commit, API metadata.
 * The including test defines, before including this file:
 *   static sfn_store *sc_open(char **spec);       a fresh, empty store
 *   static void sc_done(sfn_store *s, char *spec); closes it, removes it
 * and lists STORE_CASES in its cmocka table. */
#ifndef SFN_STORE_CASES_H
#define SFN_STORE_CASES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sfn_store.h"

static sfn_store *sc_open(char **spec);
static void sc_done(sfn_store *s, char *spec);

static void sc_machine_revisions(void **state)
{
    (void)state;
    char *spec;
    sfn_store *s = sc_open(&spec);
    sfn_error err;
    int64_t rev = 0;
    assert_int_equal(sfn_store_put_machine(s, "m", "STANDARD", "{\"a\":1}",
                                           1000, &rev, &err), SFN_OK);
    assert_int_equal(rev, 1);
    /* identical definition: no new revision */
    assert_int_equal(sfn_store_put_machine(s, "m", "STANDARD", "{\"a\":1}",
                                           2000, &rev, &err), SFN_OK);
    assert_int_equal(rev, 1);
    assert_int_equal(sfn_store_put_machine(s, "m", "STANDARD", "{\"a\":2}",
                                           3000, &rev, &err), SFN_OK);
    assert_int_equal(rev, 2);

    sfn_machine_rec m = {0};
    assert_int_equal(sfn_store_get_machine(s, "m", 0, &m, &err), SFN_OK);
    assert_string_equal(m.definition, "{\"a\":2}");
    assert_int_equal(m.revision, 2);
    assert_int_equal(m.created_ms, 1000);
    assert_int_equal(m.updated_ms, 3000);
    sfn_machine_rec_free(&m);
    assert_int_equal(sfn_store_get_machine(s, "m", 1, &m, &err), SFN_OK);
    assert_string_equal(m.definition, "{\"a\":1}");
    sfn_machine_rec_free(&m);

    assert_int_equal(sfn_store_get_machine(s, "nope", 0, &m, &err),
                     SFN_ENOTFOUND);
    assert_non_null(strstr(err.cause, "nope"));
    assert_int_equal(sfn_store_delete_machine(s, "m", &err), SFN_OK);
    assert_int_equal(sfn_store_get_machine(s, "m", 1, &m, &err),
                     SFN_ENOTFOUND);
    assert_int_equal(sfn_store_delete_machine(s, "m", &err), SFN_ENOTFOUND);
    sc_done(s, spec);
}

static int sc_machine_names(const sfn_machine_rec *m, void *ud)
{
    strcat((char *)ud, m->name);
    return 0;
}

static void sc_list_is_ordered(void **state)
{
    (void)state;
    char *spec;
    sfn_store *s = sc_open(&spec);
    sfn_error err;
    /* byte order, as SQLite's BINARY collation: "B" before "a" */
    const char *names[] = {"c", "a", "b", "B"};
    for (int i = 0; i < 4; i++)
        assert_int_equal(sfn_store_put_machine(s, names[i], "STANDARD", "{}",
                                               1, NULL, &err), SFN_OK);
    char seen[16] = "";
    assert_int_equal(sfn_store_list_machines(s, sc_machine_names, seen,
                                             &err), SFN_OK);
    assert_string_equal(seen, "Babc");
    sc_done(s, spec);
}

static int64_t sc_insert_exec(sfn_store *s, const char *arn,
                              const char *test_case)
{
    sfn_error err;
    sfn_exec_rec r = {
        .arn = (char *)arn, .machine = "m", .revision = 1, .name = "e",
        .input = "{}", .start_ms = 10, .next_event = 2,
        .test_case = (char *)test_case,
    };
    assert_int_equal(sfn_store_insert_execution(s, &r, &err), SFN_OK);
    assert_true(r.id > 0);
    return r.id;
}

static void sc_token_put_get_close(void **state)
{
    (void)state;
    char *spec;
    sfn_store *s = sc_open(&spec);
    sfn_error err;
    sfn_token_rec t = {.token = "tok-1", .exec_id = 7, .strand = 3,
                       .attempt = 2, .activity = "arn:act",
                       .created_ms = 100};
    assert_int_equal(sfn_store_put_token(s, &t, &err), SFN_OK);
    sfn_token_rec got = {0};
    assert_int_equal(sfn_store_get_token(s, "tok-1", &got, &err), SFN_OK);
    assert_string_equal(got.token, "tok-1");
    assert_int_equal(got.exec_id, 7);
    assert_int_equal(got.strand, 3);
    assert_int_equal(got.attempt, 2);
    assert_string_equal(got.activity, "arn:act");
    assert_int_equal(got.status, SFN_TOKEN_OPEN);
    assert_int_equal(got.created_ms, 100);
    assert_int_equal(got.closed_ms, 0);
    sfn_token_rec_free(&got);

    assert_int_equal(sfn_store_close_token(s, "tok-1", SFN_TOKEN_TIMED_OUT,
                                           500, &err), SFN_OK);
    assert_int_equal(sfn_store_get_token(s, "tok-1", &got, &err), SFN_OK);
    assert_int_equal(got.status, SFN_TOKEN_TIMED_OUT);
    assert_int_equal(got.closed_ms, 500);
    sfn_token_rec_free(&got);
    sc_done(s, spec);
}

static void sc_token_close_only_once(void **state)
{
    (void)state;
    char *spec;
    sfn_store *s = sc_open(&spec);
    sfn_error err;
    sfn_token_rec t = {.token = "tok", .exec_id = 1, .created_ms = 1};
    assert_int_equal(sfn_store_put_token(s, &t, &err), SFN_OK);
    assert_int_equal(sfn_store_close_token(s, "tok", SFN_TOKEN_DONE, 20,
                                           &err), SFN_OK);
    /* a closed token stays as it was closed */
    assert_int_equal(sfn_store_close_token(s, "tok", SFN_TOKEN_TIMED_OUT, 30,
                                           &err), SFN_OK);
    sfn_token_rec got = {0};
    assert_int_equal(sfn_store_get_token(s, "tok", &got, &err), SFN_OK);
    assert_int_equal(got.status, SFN_TOKEN_DONE);
    assert_int_equal(got.closed_ms, 20);
    assert_null(got.activity);
    sfn_token_rec_free(&got);
    /* closing an unknown token is a no-op */
    assert_int_equal(sfn_store_close_token(s, "other", SFN_TOKEN_DONE, 1,
                                           &err), SFN_OK);
    sc_done(s, spec);
}

static void sc_token_duplicate_put_ignored(void **state)
{
    (void)state;
    char *spec;
    sfn_store *s = sc_open(&spec);
    sfn_error err;
    sfn_token_rec t = {.token = "dup", .exec_id = 1, .attempt = 1,
                       .created_ms = 5};
    assert_int_equal(sfn_store_put_token(s, &t, &err), SFN_OK);
    assert_int_equal(sfn_store_close_token(s, "dup", SFN_TOKEN_DONE, 9, &err),
                     SFN_OK);
    sfn_token_rec again = {.token = "dup", .exec_id = 2, .attempt = 4,
                           .created_ms = 50};
    assert_int_equal(sfn_store_put_token(s, &again, &err), SFN_OK);
    sfn_token_rec got = {0};
    assert_int_equal(sfn_store_get_token(s, "dup", &got, &err), SFN_OK);
    assert_int_equal(got.exec_id, 1);
    assert_int_equal(got.attempt, 1);
    assert_int_equal(got.status, SFN_TOKEN_DONE);
    sfn_token_rec_free(&got);
    sc_done(s, spec);
}

static void sc_token_unknown_not_found(void **state)
{
    (void)state;
    char *spec;
    sfn_store *s = sc_open(&spec);
    sfn_error err;
    sfn_token_rec got = {0};
    assert_int_equal(sfn_store_get_token(s, "nope", &got, &err),
                     SFN_ENOTFOUND);
    assert_non_null(strstr(err.cause, "nope"));
    sc_done(s, spec);
}

static void sc_test_case_round_trip(void **state)
{
    (void)state;
    char *spec;
    sfn_store *s = sc_open(&spec);
    sfn_error err;
    int64_t id = sc_insert_exec(s, "arn:e1", "HappyPath");
    sc_insert_exec(s, "arn:e2", NULL);
    sfn_exec_rec r = {0};
    assert_int_equal(sfn_store_get_execution(s, "arn:e1", &r, &err), SFN_OK);
    assert_string_equal(r.test_case, "HappyPath");
    /* an update that does not carry the case keeps it */
    r.status = 1;
    r.stop_ms = 99;
    free(r.test_case);
    r.test_case = NULL;
    assert_int_equal(sfn_store_update_execution(s, &r, &err), SFN_OK);
    sfn_exec_rec_free(&r);
    assert_int_equal(sfn_store_get_execution_by_id(s, id, &r, &err), SFN_OK);
    assert_string_equal(r.arn, "arn:e1");
    assert_string_equal(r.test_case, "HappyPath");
    assert_int_equal(r.status, 1);
    assert_int_equal(r.stop_ms, 99);
    sfn_exec_rec_free(&r);
    assert_int_equal(sfn_store_get_execution(s, "arn:e2", &r, &err), SFN_OK);
    assert_null(r.test_case);
    assert_int_equal(r.comp_status, 0);
    sfn_exec_rec_free(&r);
    assert_int_equal(sfn_store_get_execution_by_id(s, 12345, &r, &err),
                     SFN_ENOTFOUND);
    assert_non_null(strstr(err.cause, "12345"));
    sc_done(s, spec);
}

static int sc_activity_names(const sfn_activity_rec *a, void *ud)
{
    strcat((char *)ud, a->name);
    strcat((char *)ud, ",");
    return 0;
}

static void sc_activity_crud(void **state)
{
    (void)state;
    char *spec;
    sfn_store *s = sc_open(&spec);
    sfn_error err;
    bool created = false;
    assert_int_equal(sfn_store_put_activity(s, "arn:a:activity:w", "w", 10,
                                            &created, &err), SFN_OK);
    assert_true(created);
    /* idempotent: the first creation date is kept */
    assert_int_equal(sfn_store_put_activity(s, "arn:a:activity:w", "w", 20,
                                            &created, &err), SFN_OK);
    assert_false(created);
    sfn_activity_rec a = {0};
    assert_int_equal(sfn_store_get_activity(s, "arn:a:activity:w", &a, &err),
                     SFN_OK);
    assert_string_equal(a.name, "w");
    assert_string_equal(a.arn, "arn:a:activity:w");
    assert_int_equal(a.created_ms, 10);
    sfn_activity_rec_free(&a);
    assert_int_equal(sfn_store_delete_activity(s, "arn:a:activity:w", &err),
                     SFN_OK);
    assert_int_equal(sfn_store_get_activity(s, "arn:a:activity:w", &a, &err),
                     SFN_ENOTFOUND);
    assert_non_null(strstr(err.cause, "arn:a:activity:w"));
    /* deleting what is not there is not an error */
    assert_int_equal(sfn_store_delete_activity(s, "arn:a:activity:w", &err),
                     SFN_OK);
    sc_done(s, spec);
}

static void sc_activity_name_conflict(void **state)
{
    (void)state;
    char *spec;
    sfn_store *s = sc_open(&spec);
    sfn_error err;
    assert_int_equal(sfn_store_put_activity(s, "arn:r1:activity:w", "w", 1,
                                            NULL, &err), SFN_OK);
    assert_int_equal(sfn_store_put_activity(s, "arn:r2:activity:w", "w", 1,
                                            NULL, &err), SFN_EINVAL);
    assert_non_null(strstr(err.cause, "'w'"));
    sc_done(s, spec);
}

static void sc_activity_pagination(void **state)
{
    (void)state;
    char *spec;
    sfn_store *s = sc_open(&spec);
    sfn_error err;
    const char *names[] = {"d", "b", "a", "c", "e"};
    for (int i = 0; i < 5; i++) {
        char arn[64];
        snprintf(arn, sizeof arn, "arn:x:activity:%s", names[i]);
        assert_int_equal(sfn_store_put_activity(s, arn, names[i], i, NULL,
                                                &err), SFN_OK);
    }
    char seen[64] = "";
    assert_int_equal(sfn_store_list_activities(s, NULL, 2, sc_activity_names,
                                               seen, &err), SFN_OK);
    assert_string_equal(seen, "a,b,");
    seen[0] = 0;
    assert_int_equal(sfn_store_list_activities(s, "b", 2, sc_activity_names,
                                               seen, &err), SFN_OK);
    assert_string_equal(seen, "c,d,");
    seen[0] = 0;
    assert_int_equal(sfn_store_list_activities(s, "d", 0, sc_activity_names,
                                               seen, &err), SFN_OK);
    assert_string_equal(seen, "e,");
    sc_done(s, spec);
}

/* ---- executions, history, snapshots ------------------------------------ */

static void sc_duplicate_arn_refused(void **state)
{
    (void)state;
    char *spec;
    sfn_store *s = sc_open(&spec);
    sfn_error err;
    sc_insert_exec(s, "arn:dup", NULL);
    sfn_exec_rec r = {.arn = "arn:dup", .machine = "m", .revision = 1,
                      .name = "e", .input = "{}", .start_ms = 1};
    assert_int_equal(sfn_store_insert_execution(s, &r, &err), SFN_EINVAL);
    assert_string_equal(err.cause, "execution 'arn:dup' already exists");
    sc_done(s, spec);
}

typedef struct sc_seen {
    char text[256];
    int n;
} sc_seen;

static int sc_exec_arns(const sfn_exec_rec *r, void *ud)
{
    sc_seen *seen = ud;
    strcat(seen->text, r->arn);
    strcat(seen->text, ",");
    seen->n++;
    return 0;
}

static void sc_put_wake(sfn_store *s, const char *arn, int status,
                        int64_t wake_ms)
{
    sfn_error err;
    sfn_exec_rec r = {0};
    assert_int_equal(sfn_store_get_execution(s, arn, &r, &err), SFN_OK);
    r.status = status;
    r.wake_ms = wake_ms;
    assert_int_equal(sfn_store_update_execution(s, &r, &err), SFN_OK);
    sfn_exec_rec_free(&r);
}

static void sc_timers_and_running(void **state)
{
    (void)state;
    char *spec;
    sfn_store *s = sc_open(&spec);
    sfn_error err;
    sc_insert_exec(s, "arn:a", NULL);
    sc_insert_exec(s, "arn:b", NULL);
    sc_insert_exec(s, "arn:c", NULL);
    sc_insert_exec(s, "arn:d", NULL);
    sc_put_wake(s, "arn:a", 0, 500);
    sc_put_wake(s, "arn:b", 0, 300);
    sc_put_wake(s, "arn:c", 2, 100); /* ended: its timer does not count */
    assert_int_equal(sfn_store_next_wake(s), 300);
    sc_seen seen = {0};
    assert_int_equal(sfn_store_list_due(s, 400, sc_exec_arns, &seen, &err),
                     SFN_OK);
    assert_string_equal(seen.text, "arn:b,");
    memset(&seen, 0, sizeof seen);
    assert_int_equal(sfn_store_list_due(s, 500, sc_exec_arns, &seen, &err),
                     SFN_OK);
    assert_string_equal(seen.text, "arn:b,arn:a,");
    memset(&seen, 0, sizeof seen);
    assert_int_equal(sfn_store_list_running(s, sc_exec_arns, &seen, &err),
                     SFN_OK);
    assert_string_equal(seen.text, "arn:a,arn:b,arn:d,");
    int64_t n = 0;
    assert_int_equal(sfn_store_count_executions(s, 0, &n, &err), SFN_OK);
    assert_int_equal(n, 3);
    assert_int_equal(sfn_store_count_executions(s, 2, &n, &err), SFN_OK);
    assert_int_equal(n, 1);
    sc_done(s, spec);
}

static void sc_find_execution_newest(void **state)
{
    (void)state;
    char *spec;
    sfn_store *s = sc_open(&spec);
    sfn_error err;
    sfn_exec_rec a = {.arn = "arn:m1:x", .machine = "m1", .revision = 1,
                      .name = "x", .input = "{}", .start_ms = 10};
    sfn_exec_rec b = {.arn = "arn:m2:x", .machine = "m2", .revision = 1,
                      .name = "x", .input = "{}", .start_ms = 20};
    assert_int_equal(sfn_store_insert_execution(s, &a, &err), SFN_OK);
    assert_int_equal(sfn_store_insert_execution(s, &b, &err), SFN_OK);
    char *arn = NULL;
    assert_int_equal(sfn_store_find_execution(s, "x", &arn, &err), SFN_OK);
    assert_string_equal(arn, "arn:m2:x");
    free(arn);
    assert_int_equal(sfn_store_find_execution(s, "y", &arn, &err),
                     SFN_ENOTFOUND);
    assert_non_null(strstr(err.cause, "'y'"));
    sc_done(s, spec);
}

static int sc_event_ids(const sfn_store_event *e, void *ud)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld%s,", (long long)e->id,
             e->details ? e->details : "-");
    strcat(((sc_seen *)ud)->text, buf);
    return 0;
}

static void sc_history_pages(void **state)
{
    (void)state;
    char *spec;
    sfn_store *s = sc_open(&spec);
    sfn_error err;
    int64_t id = sc_insert_exec(s, "arn:h", NULL);
    sfn_store_event ev[4] = {
        {.id = 1, .prev = 0, .ts_ms = 1, .type = 3, .details = "a"},
        {.id = 2, .prev = 1, .ts_ms = 2, .type = 4, .details = NULL},
        {.id = 3, .prev = 2, .ts_ms = 3, .type = 5, .details = "c"},
        {.id = 4, .prev = 3, .ts_ms = 4, .type = 6, .details = "d"},
    };
    assert_int_equal(sfn_store_append_events(s, id, ev, 4, &err), SFN_OK);
    sc_seen seen = {0};
    assert_int_equal(sfn_store_get_history(s, id, 0, 0, false, sc_event_ids,
                                           &seen, &err), SFN_OK);
    assert_string_equal(seen.text, "1a,2-,3c,4d,");
    memset(&seen, 0, sizeof seen);
    assert_int_equal(sfn_store_get_history(s, id, 1, 2, false, sc_event_ids,
                                           &seen, &err), SFN_OK);
    assert_string_equal(seen.text, "2-,3c,");
    memset(&seen, 0, sizeof seen);
    assert_int_equal(sfn_store_get_history(s, id, 0, 3, true, sc_event_ids,
                                           &seen, &err), SFN_OK);
    assert_string_equal(seen.text, "4d,3c,2-,");
    memset(&seen, 0, sizeof seen);
    assert_int_equal(sfn_store_get_history(s, id, 2, 0, true, sc_event_ids,
                                           &seen, &err), SFN_OK);
    assert_string_equal(seen.text, "1a,");
    /* the same event id twice is refused */
    assert_int_not_equal(sfn_store_append_events(s, id, ev, 1, &err),
                         SFN_OK);
    sc_done(s, spec);
}

static int sc_snap_keys(int64_t key, const char *data, void *ud)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%lld=%s,", (long long)key, data);
    strcat(((sc_seen *)ud)->text, buf);
    return 0;
}

static void sc_snapshots(void **state)
{
    (void)state;
    char *spec;
    sfn_store *s = sc_open(&spec);
    sfn_error err;
    int64_t id = sc_insert_exec(s, "arn:s", NULL);
    assert_int_equal(sfn_store_put_snapshot(s, id, 2, "two", &err), SFN_OK);
    assert_int_equal(sfn_store_put_snapshot(s, id, 0, "zero", &err), SFN_OK);
    assert_int_equal(sfn_store_put_snapshot(s, id, 2, "TWO", &err), SFN_OK);
    assert_int_equal(sfn_store_put_snapshot(s, id, 5, "five", &err), SFN_OK);
    sc_seen seen = {0};
    assert_int_equal(sfn_store_load_snapshots(s, id, sc_snap_keys, &seen,
                                              &err), SFN_OK);
    assert_string_equal(seen.text, "0=zero,2=TWO,5=five,");
    assert_int_equal(sfn_store_delete_snapshot(s, id, 0, &err), SFN_OK);
    memset(&seen, 0, sizeof seen);
    assert_int_equal(sfn_store_load_snapshots(s, id, sc_snap_keys, &seen,
                                              &err), SFN_OK);
    assert_string_equal(seen.text, "2=TWO,5=five,");
    assert_int_equal(sfn_store_clear_snapshots(s, id, &err), SFN_OK);
    memset(&seen, 0, sizeof seen);
    assert_int_equal(sfn_store_load_snapshots(s, id, sc_snap_keys, &seen,
                                              &err), SFN_OK);
    assert_string_equal(seen.text, "");
    sc_done(s, spec);
}

/* Everything of a transaction, or nothing. */
static void sc_group_commit_all_or_nothing(void **state)
{
    (void)state;
    char *spec;
    sfn_store *s = sc_open(&spec);
    sfn_error err;
    assert_int_equal(sfn_store_begin(s, &err), SFN_OK);
    int64_t id = sc_insert_exec(s, "arn:g1", NULL);
    sfn_store_event ev = {.id = 1, .ts_ms = 1, .type = 1, .details = "{}"};
    assert_int_equal(sfn_store_append_events(s, id, &ev, 1, &err), SFN_OK);
    assert_int_equal(sfn_store_put_snapshot(s, id, 0, "x", &err), SFN_OK);
    sfn_store_rollback(s);
    sfn_exec_rec r = {0};
    assert_int_equal(sfn_store_get_execution(s, "arn:g1", &r, &err),
                     SFN_ENOTFOUND);

    assert_int_equal(sfn_store_begin(s, &err), SFN_OK);
    id = sc_insert_exec(s, "arn:g2", NULL);
    assert_int_equal(sfn_store_append_events(s, id, &ev, 1, &err), SFN_OK);
    /* a read inside the transaction sees its writes */
    assert_int_equal(sfn_store_get_execution_by_id(s, id, &r, &err), SFN_OK);
    assert_string_equal(r.arn, "arn:g2");
    r.status = 1;
    r.next_event = 2;
    assert_int_equal(sfn_store_update_execution(s, &r, &err), SFN_OK);
    sfn_exec_rec_free(&r);
    assert_int_equal(sfn_store_commit(s, &err), SFN_OK);
    assert_int_equal(sfn_store_get_execution(s, "arn:g2", &r, &err), SFN_OK);
    assert_int_equal(r.status, 1);
    assert_int_equal(r.next_event, 2);
    sfn_exec_rec_free(&r);
    sc_seen seen = {0};
    assert_int_equal(sfn_store_get_history(s, id, 0, 0, false, sc_event_ids,
                                           &seen, &err), SFN_OK);
    assert_string_equal(seen.text, "1{},");
    sc_done(s, spec);
}

static void sc_list_executions_pages(void **state)
{
    (void)state;
    char *spec;
    sfn_store *s = sc_open(&spec);
    sfn_error err;
    int64_t ids[4];
    const int64_t starts[4] = {10, 20, 20, 30};
    for (int i = 0; i < 4; i++) {
        char arn[32];
        snprintf(arn, sizeof arn, "arn:l%d", i);
        sfn_exec_rec r = {.arn = arn, .machine = "lm", .revision = 1,
                          .name = arn + 4, .input = "{}",
                          .start_ms = starts[i], .status = i == 3 ? 1 : 0};
        assert_int_equal(sfn_store_insert_execution(s, &r, &err), SFN_OK);
        ids[i] = r.id;
    }
    sc_seen seen = {0};
    assert_int_equal(sfn_store_list_executions(s, "lm", -1, 0, 0, 0,
                                               sc_exec_arns, &seen, &err),
                     SFN_OK);
    assert_string_equal(seen.text, "arn:l3,arn:l2,arn:l1,arn:l0,");
    memset(&seen, 0, sizeof seen);
    assert_int_equal(sfn_store_list_executions(s, "lm", -1, 20, ids[2], 2,
                                               sc_exec_arns, &seen, &err),
                     SFN_OK);
    assert_string_equal(seen.text, "arn:l1,arn:l0,");
    memset(&seen, 0, sizeof seen);
    assert_int_equal(sfn_store_list_executions(s, "lm", 0, 0, 0, 0,
                                               sc_exec_arns, &seen, &err),
                     SFN_OK);
    assert_string_equal(seen.text, "arn:l2,arn:l1,arn:l0,");
    char *v = NULL, *a = NULL;
    assert_int_equal(sfn_store_get_exec_meta(s, "arn:l0", &v, &a, &err),
                     SFN_OK);
    assert_null(v);
    assert_null(a);
    assert_int_equal(sfn_store_put_exec_meta(s, "arn:l0", "arn:v:1", NULL,
                                             &err), SFN_OK);
    assert_int_equal(sfn_store_get_exec_meta(s, "arn:l0", &v, &a, &err),
                     SFN_OK);
    assert_string_equal(v, "arn:v:1");
    assert_null(a);
    free(v);
    sc_done(s, spec);
}

/* ---- API metadata ------------------------------------------------------- */

static void sc_machine_meta(void **state)
{
    (void)state;
    char *spec;
    sfn_store *s = sc_open(&spec);
    sfn_error err;
    assert_int_equal(sfn_store_put_machine(s, "m", "STANDARD", "{}", 1, NULL,
                                           &err), SFN_OK);
    sfn_machine_meta m = {.role_arn = "arn:role", .config = "{\"x\":1}",
                          .revision_id = "r1", .updated_ms = 5};
    sfn_machine_meta got = {0};
    assert_int_equal(sfn_store_get_machine_meta(s, "m", &got, &err),
                     SFN_ENOTFOUND);
    assert_int_equal(sfn_store_put_machine_meta(s, "m", &m, &err), SFN_OK);
    m.revision_id = "r2";
    m.config = NULL;
    assert_int_equal(sfn_store_put_machine_meta(s, "m", &m, &err), SFN_OK);
    assert_int_equal(sfn_store_get_machine_meta(s, "m", &got, &err), SFN_OK);
    assert_string_equal(got.role_arn, "arn:role");
    assert_null(got.config);
    assert_string_equal(got.revision_id, "r2");
    assert_int_equal(got.updated_ms, 5);
    sfn_machine_meta_free(&got);
    /* metadata of an unknown machine is refused */
    assert_int_not_equal(sfn_store_put_machine_meta(s, "zz", &m, &err),
                         SFN_OK);
    sc_done(s, spec);
}

static int sc_version_nums(const sfn_version_rec *v, void *ud)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld:%lld,", (long long)v->version,
             (long long)v->revision);
    strcat(((sc_seen *)ud)->text, buf);
    return 0;
}

static void sc_versions(void **state)
{
    (void)state;
    char *spec;
    sfn_store *s = sc_open(&spec);
    sfn_error err;
    assert_int_equal(sfn_store_put_machine(s, "m", "STANDARD", "{}", 1, NULL,
                                           &err), SFN_OK);
    sfn_machine_meta m = {.role_arn = "arn:role", .revision_id = "r"};
    assert_int_equal(sfn_store_put_machine_meta(s, "m", &m, &err), SFN_OK);
    sfn_version_rec v = {0};
    bool existed = true;
    assert_int_equal(sfn_store_publish_version(s, "m", 1, "arn:role", "d1",
                                               "r1", 100, &v, &existed,
                                               &err), SFN_OK);
    assert_false(existed);
    assert_int_equal(v.version, 1);
    assert_string_equal(v.description, "d1");
    sfn_version_rec_free(&v);
    /* the newest already holds revision 1 */
    assert_int_equal(sfn_store_publish_version(s, "m", 1, "arn:role", "d2",
                                               "r1", 200, &v, &existed,
                                               &err), SFN_OK);
    assert_true(existed);
    assert_int_equal(v.version, 1);
    sfn_version_rec_free(&v);
    assert_int_equal(sfn_store_publish_version(s, "m", 2, NULL, NULL, NULL,
                                               300, &v, &existed, &err),
                     SFN_OK);
    assert_int_equal(v.version, 2);
    assert_null(v.description);
    sfn_version_rec_free(&v);
    /* numbers are never reused */
    assert_int_equal(sfn_store_delete_version(s, "m", 2, &err), SFN_OK);
    assert_int_equal(sfn_store_delete_version(s, "m", 2, &err), SFN_OK);
    assert_int_equal(sfn_store_publish_version(s, "m", 3, NULL, NULL, NULL,
                                               400, &v, &existed, &err),
                     SFN_OK);
    assert_int_equal(v.version, 3);
    sfn_version_rec_free(&v);
    sc_seen seen = {0};
    assert_int_equal(sfn_store_list_versions(s, "m", sc_version_nums, &seen,
                                             &err), SFN_OK);
    assert_string_equal(seen.text, "3:3,1:1,");
    assert_int_equal(sfn_store_get_version(s, "m", 2, &v, &err),
                     SFN_ENOTFOUND);
    assert_non_null(strstr(err.cause, "version 2 of 'm'"));
    assert_int_equal(sfn_store_publish_version(s, "zz", 1, NULL, NULL, NULL,
                                               1, &v, &existed, &err),
                     SFN_ENOTFOUND);
    sc_done(s, spec);
}

static int sc_alias_names(const sfn_alias_rec *a, void *ud)
{
    strcat(((sc_seen *)ud)->text, a->alias);
    strcat(((sc_seen *)ud)->text, ",");
    return 0;
}

static void sc_aliases(void **state)
{
    (void)state;
    char *spec;
    sfn_store *s = sc_open(&spec);
    sfn_error err;
    assert_int_equal(sfn_store_put_machine(s, "m", "STANDARD", "{}", 1, NULL,
                                           &err), SFN_OK);
    assert_int_equal(sfn_store_put_alias(s, "m", "prod", "p", "[1]", true, 10,
                                         &err), SFN_OK);
    assert_int_equal(sfn_store_put_alias(s, "m", "beta", NULL, "[2]", true,
                                         11, &err), SFN_OK);
    assert_int_equal(sfn_store_put_alias(s, "m", "prod", "p", "[1]", true, 12,
                                         &err), SFN_EINVAL);
    assert_non_null(strstr(err.cause, "already exists"));
    assert_int_equal(sfn_store_put_alias(s, "m", "nope", NULL, "[3]", false,
                                         13, &err), SFN_ENOTFOUND);
    /* update: a NULL description keeps the old one */
    assert_int_equal(sfn_store_put_alias(s, "m", "prod", NULL, "[9]", false,
                                         14, &err), SFN_OK);
    sfn_alias_rec a = {0};
    assert_int_equal(sfn_store_get_alias(s, "m", "prod", &a, &err), SFN_OK);
    assert_string_equal(a.description, "p");
    assert_string_equal(a.routing, "[9]");
    assert_int_equal(a.created_ms, 10);
    assert_int_equal(a.updated_ms, 14);
    sfn_alias_rec_free(&a);
    sc_seen seen = {0};
    assert_int_equal(sfn_store_list_aliases(s, "m", sc_alias_names, &seen,
                                            &err), SFN_OK);
    assert_string_equal(seen.text, "beta,prod,");
    assert_int_equal(sfn_store_delete_alias(s, "m", "beta", &err), SFN_OK);
    assert_int_equal(sfn_store_get_alias(s, "m", "beta", &a, &err),
                     SFN_ENOTFOUND);
    sc_done(s, spec);
}

static int sc_tag_pairs(const char *k, const char *v, void *ud)
{
    strcat(((sc_seen *)ud)->text, k);
    strcat(((sc_seen *)ud)->text, "=");
    strcat(((sc_seen *)ud)->text, v);
    strcat(((sc_seen *)ud)->text, ",");
    return 0;
}

static void sc_tags(void **state)
{
    (void)state;
    char *spec;
    sfn_store *s = sc_open(&spec);
    sfn_error err;
    const char *k1[] = {"b", "a"}, *v1[] = {"2", "1"};
    assert_int_equal(sfn_store_put_tags(s, "arn:m", k1, v1, 2, 3, &err),
                     SFN_OK);
    const char *k2[] = {"a", "c"}, *v2[] = {"one", "3"};
    assert_int_equal(sfn_store_put_tags(s, "arn:m", k2, v2, 2, 3, &err),
                     SFN_OK);
    /* a fourth key is over the limit: nothing of the call is kept */
    const char *k3[] = {"a", "d"}, *v3[] = {"x", "4"};
    assert_int_equal(sfn_store_put_tags(s, "arn:m", k3, v3, 2, 3, &err),
                     SFN_ELIMIT);
    assert_non_null(strstr(err.cause, "arn:m"));
    sc_seen seen = {0};
    assert_int_equal(sfn_store_list_tags(s, "arn:m", sc_tag_pairs, &seen,
                                         &err), SFN_OK);
    assert_string_equal(seen.text, "a=one,b=2,c=3,");
    const char *kd[] = {"b"};
    assert_int_equal(sfn_store_delete_tags(s, "arn:m", kd, 1, &err), SFN_OK);
    const char *kv[] = {"k"}, *vv[] = {"v"};
    assert_int_equal(sfn_store_put_tags(s, "arn:m:1", kv, vv, 1, 3, &err),
                     SFN_OK);
    assert_int_equal(sfn_store_put_tags(s, "arn:m%", kv, vv, 1, 3, &err),
                     SFN_OK);
    assert_int_equal(sfn_store_drop_tags(s, "arn:m", &err), SFN_OK);
    memset(&seen, 0, sizeof seen);
    assert_int_equal(sfn_store_list_tags(s, "arn:m:1", sc_tag_pairs, &seen,
                                         &err), SFN_OK);
    assert_int_equal(sfn_store_list_tags(s, "arn:m", sc_tag_pairs, &seen,
                                         &err), SFN_OK);
    assert_string_equal(seen.text, "");
    /* another resource that only starts alike keeps its tags */
    assert_int_equal(sfn_store_list_tags(s, "arn:m%", sc_tag_pairs, &seen,
                                         &err), SFN_OK);
    assert_string_equal(seen.text, "k=v,");
    sc_done(s, spec);
}

#define STORE_CASES                                                        \
    cmocka_unit_test(sc_machine_revisions),                                \
        cmocka_unit_test(sc_list_is_ordered),                              \
        cmocka_unit_test(sc_token_put_get_close),                          \
        cmocka_unit_test(sc_token_close_only_once),                        \
        cmocka_unit_test(sc_token_duplicate_put_ignored),                  \
        cmocka_unit_test(sc_token_unknown_not_found),                      \
        cmocka_unit_test(sc_test_case_round_trip),                         \
        cmocka_unit_test(sc_activity_crud),                                \
        cmocka_unit_test(sc_activity_name_conflict),                       \
        cmocka_unit_test(sc_activity_pagination),                          \
        cmocka_unit_test(sc_duplicate_arn_refused),                        \
        cmocka_unit_test(sc_timers_and_running),                           \
        cmocka_unit_test(sc_find_execution_newest),                        \
        cmocka_unit_test(sc_history_pages),                                \
        cmocka_unit_test(sc_snapshots),                                    \
        cmocka_unit_test(sc_group_commit_all_or_nothing),                  \
        cmocka_unit_test(sc_list_executions_pages),                        \
        cmocka_unit_test(sc_machine_meta),                                 \
        cmocka_unit_test(sc_versions),                                     \
        cmocka_unit_test(sc_aliases),                                      \
        cmocka_unit_test(sc_tags)

#endif
