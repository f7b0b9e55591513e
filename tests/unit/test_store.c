/* test_store.c: the SQLite store: open/migrate (also from an older
 * schema), refusal of foreign and too-new databases, one engine per file,
 * its answers to the shared-store calls, and the backend-independent
 * contract of store_cases.h (machines, executions, tokens, activities,
 * API metadata). */
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

static sfn_store *sc_open(char **spec)
{
    return open_new(spec);
}

static void sc_done(sfn_store *s, char *spec)
{
    sfn_store_close(s);
    rm_db(spec);
}

#include "store_cases.h"

/* One engine per file: it owns everything, claims nothing, and has no
 * other node to message. */
static void test_sqlite_is_one_node(void **state)
{
    (void)state;
    char *path;
    sfn_store *s = open_new(&path);
    sfn_error err;
    assert_string_equal(sfn_store_backend(s), "sqlite");
    assert_false(sfn_store_spec_is_url(path));
    assert_true(sfn_store_spec_is_url("postgres://u@h/db"));
    assert_true(sfn_store_spec_is_url("postgresql://h/db"));
    assert_false(sfn_store_shared(s));
    assert_null(sfn_store_node_id(s));
    assert_true(sfn_store_owns(s, 42));
    assert_int_equal(sfn_store_renew_lease(s, &err), SFN_OK);
    size_t n = 9;
    assert_int_equal(sfn_store_claim(s, 0, NULL, NULL, &n, &err), SFN_OK);
    assert_int_equal(n, 0);
    assert_int_equal(sfn_store_adopt(s, 42, &err), SFN_OK);
    char *node = (char *)"x";
    bool alive = false;
    assert_int_equal(sfn_store_exec_owner(s, 42, &node, &alive, &err),
                     SFN_OK);
    assert_null(node);
    assert_true(alive);
    sfn_store_lease_stats st = sfn_store_get_lease_stats(s);
    assert_int_equal(st.held + st.claims + st.takeovers + st.lost, 0);
    int64_t id = 0;
    assert_int_equal(sfn_store_post_msg(s, "n1", 1, 0, "{}", &id, &err),
                     SFN_EUNSUPPORTED);
    assert_non_null(strstr(err.cause, "postgres://"));
    assert_int_equal(sfn_store_listen(s, "c", &err), SFN_EUNSUPPORTED);
    assert_int_equal(sfn_store_notify(s, "c", "p", &err), SFN_EUNSUPPORTED);
    assert_int_equal(sfn_store_push_activity(s, "t", "arn:a", 1, "{}", 1,
                                             &err), SFN_EUNSUPPORTED);
    char *tok = NULL, *in = NULL;
    assert_int_equal(sfn_store_pop_activity(s, "arn:a", &tok, &in, &id,
                                            &err), SFN_EUNSUPPORTED);
    assert_int_equal(sfn_store_drop_activity(s, "t", &err),
                     SFN_EUNSUPPORTED);
    assert_int_equal(sfn_store_set_checkpoint_pages(s, 256, &err), SFN_OK);
    assert_true(sfn_store_size_bytes(s) > 0);
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
        cmocka_unit_test(test_foreign_database_refused),
        cmocka_unit_test(test_newer_schema_refused),
        cmocka_unit_test(test_garbage_file_refused),
        cmocka_unit_test(test_fake_clock),
        cmocka_unit_test(test_migration_from_v3_keeps_data),
        cmocka_unit_test(test_one_engine_per_database),
        cmocka_unit_test(test_sqlite_is_one_node),
        STORE_CASES,
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
