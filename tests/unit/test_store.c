/* test_store.c: the SQLite store: open/migrate, machine revisions, refusal
 * of foreign and too-new databases. */
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
