/* test_store.c: the SQLite store: open/migrate (also from an older
 * schema), machine revisions, refusal of foreign and too-new databases,
 * task tokens, activities, the test case an execution runs under. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sfn_clock.h"
#include "sfn_store.h"

static char *tmp_db(void)
{
    char *path = strdup("/tmp/stepd-test-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    return path;
}

static void rm_db(char *path)
{
    char buf[512];
    unlink(path);
    snprintf(buf, sizeof buf, "%s-wal", path);
    unlink(buf);
    snprintf(buf, sizeof buf, "%s-shm", path);
    unlink(buf);
    free(path);
}

static void test_open_migrates_to_latest(void **state)
{
    (void)state;
    char *path = tmp_db();
    sfn_store *s = NULL;
    sfn_error err;
    assert_int_equal(sfn_store_open(path, NULL, &s, &err), SFN_OK);
    assert_int_equal(sfn_store_schema_version(s), sfn_store_schema_latest());
    sfn_store_close(s);
    /* reopening an up-to-date store is a no-op */
    assert_int_equal(sfn_store_open(path, NULL, &s, &err), SFN_OK);
    assert_int_equal(sfn_store_schema_version(s), sfn_store_schema_latest());
    sfn_store_close(s);
    rm_db(path);
}

static void test_machine_revisions(void **state)
{
    (void)state;
    char *path = tmp_db();
    sfn_store *s = NULL;
    sfn_error err;
    int64_t rev = 0;
    assert_int_equal(sfn_store_open(path, NULL, &s, &err), SFN_OK);
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
    sfn_store_close(s);
    rm_db(path);
}

static int count_cb(const sfn_machine_rec *m, void *ud)
{
    char *seen = ud;
    strcat(seen, m->name);
    return 0;
}

static void test_list_is_ordered(void **state)
{
    (void)state;
    char *path = tmp_db();
    sfn_store *s = NULL;
    sfn_error err;
    assert_int_equal(sfn_store_open(path, NULL, &s, &err), SFN_OK);
    const char *names[] = {"c", "a", "b"};
    for (int i = 0; i < 3; i++)
        assert_int_equal(sfn_store_put_machine(s, names[i], "STANDARD", "{}",
                                               1, NULL, &err), SFN_OK);
    char seen[16] = "";
    assert_int_equal(sfn_store_list_machines(s, count_cb, seen, &err),
                     SFN_OK);
    assert_string_equal(seen, "abc");
    sfn_store_close(s);
    rm_db(path);
}

static void test_foreign_database_refused(void **state)
{
    (void)state;
    char *path = tmp_db();
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    sfn_store *s = NULL;
    sfn_error err;
    assert_int_equal(sfn_store_open(path, NULL, &s, &err), SFN_EIO);
    assert_null(s);
    assert_non_null(strstr(err.cause, "not a stepd database"));
    rm_db(path);
}

static void test_newer_schema_refused(void **state)
{
    (void)state;
    char *path = tmp_db();
    sfn_store *s = NULL;
    sfn_error err;
    assert_int_equal(sfn_store_open(path, NULL, &s, &err), SFN_OK);
    sfn_store_close(s);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=999", NULL, NULL,
                                  NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(sfn_store_open(path, NULL, &s, &err), SFN_EIO);
    assert_non_null(strstr(err.cause, "newer"));
    rm_db(path);
}

static void test_garbage_file_refused(void **state)
{
    (void)state;
    char *path = tmp_db();
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("this is not a database, just some text long enough to matter"
          " for the sqlite header check.............................",
          f);
    fclose(f);
    sfn_store *s = NULL;
    sfn_error err;
    assert_int_equal(sfn_store_open(path, NULL, &s, &err), SFN_EIO);
    assert_true(strlen(err.cause) > 0);
    rm_db(path);
}

static void test_fake_clock(void **state)
{
    (void)state;
    sfn_clock *c = sfn_clock_fake_new(1000);
    assert_non_null(c);
    assert_int_equal(sfn_clock_now_ms(c), 1000);
    sfn_clock_fake_advance(c, 2500);
    assert_int_equal(sfn_clock_now_ms(c), 3500);
    assert_int_equal(sfn_clock_mono_ms(c), 3500);
    sfn_clock_free(c);
    /* the real clock is after 2020-01-01 and monotonic never goes back */
    assert_true(sfn_clock_now_ms(sfn_clock_real()) > 1577836800000LL);
    int64_t a = sfn_clock_mono_ms(sfn_clock_real());
    assert_true(sfn_clock_mono_ms(sfn_clock_real()) >= a);
}

static sfn_store *open_new(char **path)
{
    *path = tmp_db();
    sfn_store *s = NULL;
    sfn_error err;
    assert_int_equal(sfn_store_open(*path, NULL, &s, &err), SFN_OK);
    return s;
}

static int64_t insert_exec(sfn_store *s, const char *arn,
                           const char *test_case)
{
    sfn_error err;
    sfn_exec_rec r = {
        .arn = (char *)arn, .machine = "m", .revision = 1, .name = "e",
        .input = "{}", .start_ms = 10, .next_event = 2,
        .test_case = (char *)test_case,
    };
    assert_int_equal(sfn_store_insert_execution(s, &r, &err), SFN_OK);
    return r.id;
}

static void test_token_put_get_close(void **state)
{
    (void)state;
    char *path;
    sfn_store *s = open_new(&path);
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
    sfn_store_close(s);
    rm_db(path);
}

static void test_token_close_only_once(void **state)
{
    (void)state;
    char *path;
    sfn_store *s = open_new(&path);
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
    sfn_store_close(s);
    rm_db(path);
}

static void test_token_duplicate_put_ignored(void **state)
{
    (void)state;
    char *path;
    sfn_store *s = open_new(&path);
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
    sfn_store_close(s);
    rm_db(path);
}

static void test_token_unknown_not_found(void **state)
{
    (void)state;
    char *path;
    sfn_store *s = open_new(&path);
    sfn_error err;
    sfn_token_rec got = {0};
    assert_int_equal(sfn_store_get_token(s, "nope", &got, &err),
                     SFN_ENOTFOUND);
    assert_non_null(strstr(err.cause, "nope"));
    sfn_store_close(s);
    rm_db(path);
}

static void test_test_case_round_trip(void **state)
{
    (void)state;
    char *path;
    sfn_store *s = open_new(&path);
    sfn_error err;
    int64_t id = insert_exec(s, "arn:e1", "HappyPath");
    insert_exec(s, "arn:e2", NULL);
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
    sfn_store_close(s);
    rm_db(path);
}

static int collect_names(const sfn_activity_rec *a, void *ud)
{
    strcat((char *)ud, a->name);
    strcat((char *)ud, ",");
    return 0;
}

static void test_activity_crud(void **state)
{
    (void)state;
    char *path;
    sfn_store *s = open_new(&path);
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
    sfn_store_close(s);
    rm_db(path);
}

static void test_activity_name_conflict(void **state)
{
    (void)state;
    char *path;
    sfn_store *s = open_new(&path);
    sfn_error err;
    assert_int_equal(sfn_store_put_activity(s, "arn:r1:activity:w", "w", 1,
                                            NULL, &err), SFN_OK);
    assert_int_equal(sfn_store_put_activity(s, "arn:r2:activity:w", "w", 1,
                                            NULL, &err), SFN_EINVAL);
    assert_non_null(strstr(err.cause, "'w'"));
    sfn_store_close(s);
    rm_db(path);
}

static void test_activity_pagination(void **state)
{
    (void)state;
    char *path;
    sfn_store *s = open_new(&path);
    sfn_error err;
    const char *names[] = {"d", "b", "a", "c", "e"};
    for (int i = 0; i < 5; i++) {
        char arn[64];
        snprintf(arn, sizeof arn, "arn:x:activity:%s", names[i]);
        assert_int_equal(sfn_store_put_activity(s, arn, names[i], i, NULL,
                                                &err), SFN_OK);
    }
    char seen[64] = "";
    assert_int_equal(sfn_store_list_activities(s, NULL, 2, collect_names,
                                               seen, &err), SFN_OK);
    assert_string_equal(seen, "a,b,");
    seen[0] = 0;
    assert_int_equal(sfn_store_list_activities(s, "b", 2, collect_names,
                                               seen, &err), SFN_OK);
    assert_string_equal(seen, "c,d,");
    seen[0] = 0;
    assert_int_equal(sfn_store_list_activities(s, "d", 0, collect_names,
                                               seen, &err), SFN_OK);
    assert_string_equal(seen, "e,");
    sfn_store_close(s);
    rm_db(path);
}

/* Turns a fresh store into what a version-3 stepd left behind. */
static void downgrade_to_v3(const char *path)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "DROP TABLE task_tokens;"
                                  "DROP TABLE activities;"
                                  "ALTER TABLE executions DROP COLUMN "
                                  "test_case;"
                                  "ALTER TABLE executions DROP COLUMN "
                                  "comp_status;"
                                  "ALTER TABLE executions DROP COLUMN "
                                  "redrive_count;"
                                  "ALTER TABLE executions DROP COLUMN "
                                  "redrive_ms;"
                                  "INSERT INTO executions(arn, machine, "
                                  "revision, name, status, input, start_ms,"
                                  " next_event) VALUES ('arn:old', 'm', 1, "
                                  "'old', 0, '{\"k\":1}', 5, 3);"
                                  "PRAGMA user_version=3;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
}

static void test_migration_from_v3_keeps_data(void **state)
{
    (void)state;
    char *path;
    sfn_store *s = open_new(&path);
    sfn_error err;
    assert_int_equal(sfn_store_put_machine(s, "m", "STANDARD", "{\"a\":1}",
                                           1, NULL, &err), SFN_OK);
    sfn_store_close(s);
    downgrade_to_v3(path);

    assert_int_equal(sfn_store_open(path, NULL, &s, &err), SFN_OK);
    assert_int_equal(sfn_store_schema_version(s), sfn_store_schema_latest());
    sfn_machine_rec m = {0};
    assert_int_equal(sfn_store_get_machine(s, "m", 0, &m, &err), SFN_OK);
    assert_string_equal(m.definition, "{\"a\":1}");
    sfn_machine_rec_free(&m);
    sfn_exec_rec r = {0};
    assert_int_equal(sfn_store_get_execution(s, "arn:old", &r, &err), SFN_OK);
    assert_string_equal(r.input, "{\"k\":1}");
    assert_int_equal(r.next_event, 3);
    assert_null(r.test_case);
    sfn_exec_rec_free(&r);
    /* the new tables are usable */
    sfn_token_rec t = {.token = "t", .exec_id = 1, .created_ms = 1};
    assert_int_equal(sfn_store_put_token(s, &t, &err), SFN_OK);
    assert_int_equal(sfn_store_put_activity(s, "arn:act", "act", 1, NULL,
                                            &err), SFN_OK);
    sfn_store_close(s);
    rm_db(path);
}

static void test_one_engine_per_database(void **state)
{
    (void)state;
    char *path;
    sfn_store *a = open_new(&path);
    sfn_store_close(a);
    sfn_error err;
    sfn_store_opts eng = {.engine = true};
    assert_int_equal(sfn_store_open(path, &eng, &a, &err), SFN_OK);
    /* a second engine is refused and told who holds the database */
    sfn_store *b = NULL;
    assert_int_equal(sfn_store_open(path, &eng, &b, &err), SFN_EBUSY);
    assert_null(b);
    char pid[32];
    snprintf(pid, sizeof pid, "pid %ld", (long)getpid());
    assert_non_null(strstr(err.cause, pid));
    assert_non_null(strstr(err.cause, "in use by another stepd"));
    /* readers are not engines */
    assert_int_equal(sfn_store_open(path, NULL, &b, &err), SFN_OK);
    sfn_store_close(b);
    /* closing releases it */
    sfn_store_close(a);
    assert_int_equal(sfn_store_open(path, &eng, &b, &err), SFN_OK);
    sfn_store_close(b);
    char lock[512];
    snprintf(lock, sizeof lock, "%s.lock", path);
    unlink(lock);
    rm_db(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_migrates_to_latest),
        cmocka_unit_test(test_machine_revisions),
        cmocka_unit_test(test_list_is_ordered),
        cmocka_unit_test(test_foreign_database_refused),
        cmocka_unit_test(test_newer_schema_refused),
        cmocka_unit_test(test_garbage_file_refused),
        cmocka_unit_test(test_fake_clock),
        cmocka_unit_test(test_token_put_get_close),
        cmocka_unit_test(test_token_close_only_once),
        cmocka_unit_test(test_token_duplicate_put_ignored),
        cmocka_unit_test(test_token_unknown_not_found),
        cmocka_unit_test(test_test_case_round_trip),
        cmocka_unit_test(test_activity_crud),
        cmocka_unit_test(test_activity_name_conflict),
        cmocka_unit_test(test_activity_pagination),
        cmocka_unit_test(test_migration_from_v3_keeps_data),
        cmocka_unit_test(test_one_engine_per_database),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
