/* store_sqlite_exec.c: executions, history events and engine snapshot rows in
 * SQLite.  The write path (insert/update/append/put) runs inside the
 * engine's group-commit transaction on cached prepared statements. */
#include "store_lite.h"

#include <stdlib.h>
#include <string.h>

static const char *const stmt_sql[SFN__STMT_COUNT] = {
    [SFN__STMT_INSERT_EXEC] =
        "INSERT INTO executions(arn, machine, revision, name, status, input,"
        " output, error, cause, start_ms, stop_ms, next_event, wake_ms,"
        " test_case, comp_status, redrive_count, redrive_ms)"
        " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,"
        "?17)",
    [SFN__STMT_UPDATE_EXEC] =
        "UPDATE executions SET status=?2, output=?3, error=?4, cause=?5,"
        " stop_ms=?6, next_event=?7, wake_ms=?8,"
        " test_case=coalesce(?9, test_case), comp_status=?10,"
        " redrive_count=?11, redrive_ms=?12 WHERE id=?1",
    [SFN__STMT_INSERT_EVENT] =
        /* parenthesised: clang warns on adjacent literals in an array */
        ("INSERT INTO events(exec, id, prev, ts_ms, type, details)"
         " VALUES (?1,?2,?3,?4,?5,?6)"),
    [SFN__STMT_PUT_SNAPSHOT] =
        "INSERT OR REPLACE INTO snapshots(exec, key, data) VALUES (?1,?2,?3)",
    [SFN__STMT_DEL_SNAPSHOT] = "DELETE FROM snapshots WHERE exec=?1 AND key=?2",
    [SFN__STMT_CLEAR_SNAPSHOTS] = "DELETE FROM snapshots WHERE exec=?1",
};

static sqlite3_stmt *stmt(sfn_store *s, int which, sfn_error *err)
{
    if (!s->lite->stmt[which] &&
        sqlite3_prepare_v3(s->lite->db, stmt_sql[which], -1,
                           SQLITE_PREPARE_PERSISTENT, &s->lite->stmt[which],
                           NULL) != SQLITE_OK) {
        sfn__lite_error(s, err, "prepare");
        return NULL;
    }
    return s->lite->stmt[which];
}

/* Steps a cached statement to completion and resets it. */
static sfn_rc run(sfn_store *s, sqlite3_stmt *st, sfn_error *err,
                  const char *what)
{
    int rc = sqlite3_step(st);
    sfn_rc out = rc == SQLITE_DONE ? SFN_OK
                                   : sfn__lite_error(s, err, what);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return out;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static sfn_rc lite_begin(sfn_store *s, sfn_error *err)
{
    if (sqlite3_exec(s->lite->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return sfn__lite_error(s, err, "begin");
    return SFN_OK;
}

static sfn_rc lite_commit(sfn_store *s, sfn_error *err)
{
    if (sqlite3_exec(s->lite->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        sfn_rc rc = sfn__lite_error(s, err, "commit");
        sfn_store_rollback(s);
        return rc;
    }
    return SFN_OK;
}

static void lite_rollback(sfn_store *s)
{
    if (!sqlite3_get_autocommit(s->lite->db))
        sqlite3_exec(s->lite->db, "ROLLBACK", NULL, NULL, NULL);
}

static sfn_rc lite_insert_execution(sfn_store *s, sfn_exec_rec *r,
                                  sfn_error *err)
{
    sqlite3_stmt *st = stmt(s, SFN__STMT_INSERT_EXEC, err);
    if (!st)
        return SFN_EIO;
    bind_text(st, 1, r->arn);
    bind_text(st, 2, r->machine);
    sqlite3_bind_int64(st, 3, r->revision);
    bind_text(st, 4, r->name);
    sqlite3_bind_int(st, 5, r->status);
    bind_text(st, 6, r->input);
    bind_text(st, 7, r->output);
    bind_text(st, 8, r->error);
    bind_text(st, 9, r->cause);
    sqlite3_bind_int64(st, 10, r->start_ms);
    sqlite3_bind_int64(st, 11, r->stop_ms);
    sqlite3_bind_int64(st, 12, r->next_event);
    sqlite3_bind_int64(st, 13, r->wake_ms);
    bind_text(st, 14, r->test_case);
    sqlite3_bind_int(st, 15, r->comp_status);
    sqlite3_bind_int64(st, 16, r->redrive_count);
    sqlite3_bind_int64(st, 17, r->redrive_ms);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc == SQLITE_CONSTRAINT)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "execution '%s' already exists", r->arn);
    if (rc != SQLITE_DONE)
        return sfn__lite_error(s, err, "insert execution");
    r->id = sqlite3_last_insert_rowid(s->lite->db);
    return SFN_OK;
}

static sfn_rc lite_update_execution(sfn_store *s, const sfn_exec_rec *r,
                                  sfn_error *err)
{
    sqlite3_stmt *st = stmt(s, SFN__STMT_UPDATE_EXEC, err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_int64(st, 1, r->id);
    sqlite3_bind_int(st, 2, r->status);
    bind_text(st, 3, r->output);
    bind_text(st, 4, r->error);
    bind_text(st, 5, r->cause);
    sqlite3_bind_int64(st, 6, r->stop_ms);
    sqlite3_bind_int64(st, 7, r->next_event);
    sqlite3_bind_int64(st, 8, r->wake_ms);
    bind_text(st, 9, r->test_case);
    sqlite3_bind_int(st, 10, r->comp_status);
    sqlite3_bind_int64(st, 11, r->redrive_count);
    sqlite3_bind_int64(st, 12, r->redrive_ms);
    return run(s, st, err, "update execution");
}

static sfn_rc lite_append_events(sfn_store *s, int64_t exec_id,
                               const sfn_store_event *ev, size_t n,
                               sfn_error *err)
{
    sqlite3_stmt *st = stmt(s, SFN__STMT_INSERT_EVENT, err);
    if (!st)
        return SFN_EIO;
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int64(st, 1, exec_id);
        sqlite3_bind_int64(st, 2, ev[i].id);
        sqlite3_bind_int64(st, 3, ev[i].prev);
        sqlite3_bind_int64(st, 4, ev[i].ts_ms);
        sqlite3_bind_int(st, 5, ev[i].type);
        bind_text(st, 6, ev[i].details);
        sfn_rc rc = run(s, st, err, "append event");
        if (rc != SFN_OK)
            return rc;
    }
    return SFN_OK;
}

static sfn_rc lite_put_snapshot(sfn_store *s, int64_t exec_id, int64_t key,
                              const char *data, sfn_error *err)
{
    sqlite3_stmt *st = stmt(s, SFN__STMT_PUT_SNAPSHOT, err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_int64(st, 1, exec_id);
    sqlite3_bind_int64(st, 2, key);
    bind_text(st, 3, data);
    return run(s, st, err, "put snapshot");
}

static sfn_rc lite_delete_snapshot(sfn_store *s, int64_t exec_id, int64_t key,
                                 sfn_error *err)
{
    sqlite3_stmt *st = stmt(s, SFN__STMT_DEL_SNAPSHOT, err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_int64(st, 1, exec_id);
    sqlite3_bind_int64(st, 2, key);
    return run(s, st, err, "delete snapshot");
}

static sfn_rc lite_clear_snapshots(sfn_store *s, int64_t exec_id,
                                 sfn_error *err)
{
    sqlite3_stmt *st = stmt(s, SFN__STMT_CLEAR_SNAPSHOTS, err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_int64(st, 1, exec_id);
    return run(s, st, err, "clear snapshots");
}

/* ---- reads ------------------------------------------------------------ */


char *sfn__lite_col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? strdup((const char *)t) : NULL;
}

sfn_rc sfn__lite_each_exec(sfn_store *s, sqlite3_stmt *st,
                            int (*cb)(const sfn_exec_rec *r, void *ud),
                            void *ud, sfn_error *err, const char *what)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sfn_exec_rec r = {0};
        sfn__lite_fill_exec(st, &r);
        int stop = cb(&r, ud);
        sfn_exec_rec_free(&r);
        if (stop)
            break;
    }
    sfn_rc out = rc == SQLITE_ROW || rc == SQLITE_DONE
                     ? SFN_OK
                     : sfn__lite_error(s, err, what);
    sqlite3_finalize(st);
    return out;
}

void sfn__lite_fill_exec(sqlite3_stmt *st, sfn_exec_rec *r)
{
    r->id = sqlite3_column_int64(st, 0);
    r->arn = sfn__lite_col_dup(st, 1);
    r->machine = sfn__lite_col_dup(st, 2);
    r->revision = sqlite3_column_int64(st, 3);
    r->name = sfn__lite_col_dup(st, 4);
    r->status = sqlite3_column_int(st, 5);
    r->input = sfn__lite_col_dup(st, 6);
    r->output = sfn__lite_col_dup(st, 7);
    r->error = sfn__lite_col_dup(st, 8);
    r->cause = sfn__lite_col_dup(st, 9);
    r->start_ms = sqlite3_column_int64(st, 10);
    r->stop_ms = sqlite3_column_int64(st, 11);
    r->next_event = sqlite3_column_int64(st, 12);
    r->wake_ms = sqlite3_column_int64(st, 13);
    r->test_case = sfn__lite_col_dup(st, 14);
    r->comp_status = sqlite3_column_int(st, 15);
    r->redrive_count = sqlite3_column_int64(st, 16);
    r->redrive_ms = sqlite3_column_int64(st, 17);
}

static sfn_rc lite_get_execution(sfn_store *s, const char *arn,
                               sfn_exec_rec *out, sfn_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->lite->db, SFN__EXEC_COLS "WHERE arn = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return sfn__lite_error(s, err, "get execution");
    sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sfn_rc out_rc = SFN_OK;
    if (rc == SQLITE_ROW)
        sfn__lite_fill_exec(st, out);
    else if (rc == SQLITE_DONE)
        out_rc = sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                               "Execution Does Not Exist: '%s'", arn);
    else
        out_rc = sfn__lite_error(s, err, "get execution");
    sqlite3_finalize(st);
    return out_rc;
}

static sfn_rc lite_list_running(sfn_store *s,
                              int (*cb)(const sfn_exec_rec *r, void *ud),
                              void *ud, sfn_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->lite->db, SFN__EXEC_COLS "WHERE status = 0 ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return sfn__lite_error(s, err, "list running");
    return sfn__lite_each_exec(s, st, cb, ud, err, "list running");
}

static sfn_rc lite_list_due(sfn_store *s, int64_t until_ms,
                          int (*cb)(const sfn_exec_rec *r, void *ud),
                          void *ud, sfn_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->lite->db,
                           SFN__EXEC_COLS "WHERE status = 0 AND wake_ms > 0 AND "
                                     "wake_ms <= ?1 ORDER BY wake_ms",
                           -1, &st, NULL) != SQLITE_OK)
        return sfn__lite_error(s, err, "list due");
    sqlite3_bind_int64(st, 1, until_ms);
    return sfn__lite_each_exec(s, st, cb, ud, err, "list due");
}

static sfn_rc lite_find_execution(sfn_store *s, const char *name,
                                char **arn_out, sfn_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->lite->db,
                           "SELECT arn FROM executions WHERE name = ?1 "
                           "ORDER BY start_ms DESC, id DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return sfn__lite_error(s, err, "find execution");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sfn_rc rc = SFN_OK;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        *arn_out = sfn__lite_col_dup(st, 0);
    else if (step == SQLITE_DONE)
        rc = sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                           "Execution Does Not Exist: '%s'", name);
    else
        rc = sfn__lite_error(s, err, "find execution");
    sqlite3_finalize(st);
    return rc;
}

static int64_t lite_next_wake(sfn_store *s)
{
    sqlite3_stmt *st = NULL;
    int64_t wake = 0;
    if (sqlite3_prepare_v2(s->lite->db,
                           "SELECT min(wake_ms) FROM executions WHERE "
                           "status = 0 AND wake_ms > 0",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        wake = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return wake;
}

static sfn_rc lite_load_snapshots(sfn_store *s, int64_t exec_id,
                                int (*cb)(int64_t key, const char *data,
                                          void *ud),
                                void *ud, sfn_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->lite->db,
                           "SELECT key, data FROM snapshots WHERE exec = ?1 "
                           "ORDER BY key",
                           -1, &st, NULL) != SQLITE_OK)
        return sfn__lite_error(s, err, "load snapshots");
    sqlite3_bind_int64(st, 1, exec_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (cb(sqlite3_column_int64(st, 0),
               (const char *)sqlite3_column_text(st, 1), ud))
            break;
    sfn_rc out = rc == SQLITE_ROW || rc == SQLITE_DONE
                     ? SFN_OK
                     : sfn__lite_error(s, err, "load snapshots");
    sqlite3_finalize(st);
    return out;
}

static sfn_rc lite_get_history(sfn_store *s, int64_t exec_id, int64_t after_id,
                             size_t limit, bool reverse,
                             int (*cb)(const sfn_store_event *e, void *ud),
                             void *ud, sfn_error *err)
{
    const char *sql =
        reverse ? "SELECT id, prev, ts_ms, type, details FROM events WHERE "
                  "exec = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3"
                : "SELECT id, prev, ts_ms, type, details FROM events WHERE "
                  "exec = ?1 AND id > ?2 ORDER BY id LIMIT ?3";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->lite->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sfn__lite_error(s, err, "history");
    sqlite3_bind_int64(st, 1, exec_id);
    sqlite3_bind_int64(st, 2, reverse && after_id == 0 ? INT64_MAX : after_id);
    sqlite3_bind_int64(st, 3, limit ? (int64_t)limit : -1);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sfn_store_event e = {
            .id = sqlite3_column_int64(st, 0),
            .prev = sqlite3_column_int64(st, 1),
            .ts_ms = sqlite3_column_int64(st, 2),
            .type = sqlite3_column_int(st, 3),
            .details = (const char *)sqlite3_column_text(st, 4),
        };
        if (cb(&e, ud))
            break;
    }
    sfn_rc out = rc == SQLITE_ROW || rc == SQLITE_DONE
                     ? SFN_OK
                     : sfn__lite_error(s, err, "history");
    sqlite3_finalize(st);
    return out;
}

static int64_t lite_size_bytes(sfn_store *s)
{
    sqlite3_stmt *st = NULL;
    int64_t size = 0;
    if (sqlite3_prepare_v2(s->lite->db,
                           "SELECT page_count * page_size FROM "
                           "pragma_page_count(), pragma_page_size()",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        size = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return size;
}

void sfn__lite_exec_ops(sfn__store_ops *o)
{
    o->begin = lite_begin;
    o->commit = lite_commit;
    o->rollback = lite_rollback;
    o->insert_execution = lite_insert_execution;
    o->update_execution = lite_update_execution;
    o->append_events = lite_append_events;
    o->put_snapshot = lite_put_snapshot;
    o->delete_snapshot = lite_delete_snapshot;
    o->clear_snapshots = lite_clear_snapshots;
    o->get_execution = lite_get_execution;
    o->find_execution = lite_find_execution;
    o->list_due = lite_list_due;
    o->next_wake = lite_next_wake;
    o->list_running = lite_list_running;
    o->load_snapshots = lite_load_snapshots;
    o->get_history = lite_get_history;
    o->size_bytes = lite_size_bytes;
}
