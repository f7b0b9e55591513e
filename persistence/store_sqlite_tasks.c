/* store_sqlite_tasks.c: task tokens (callback and activity tasks) and activities
 * in SQLite (schema 4).  Token writes run inside the engine's group commit
 * on cached statements; activities are API-rate and prepared per call. */
#include "store_lite.h"

#include <stdlib.h>
#include <string.h>

static const char *const token_sql[SFN__STMT_COUNT] = {
    /* OR IGNORE: a re-run after recovery records the same token again */
    [SFN__STMT_PUT_TOKEN] =
        "INSERT OR IGNORE INTO task_tokens(token, exec_id, strand, attempt,"
        " activity, status, created_ms) VALUES (?1,?2,?3,?4,?5,?6,?7)",
    [SFN__STMT_CLOSE_TOKEN] =
        "UPDATE task_tokens SET status=?2, closed_ms=?3"
        " WHERE token=?1 AND status=0",
    [SFN__STMT_GET_TOKEN] =
        "SELECT token, exec_id, strand, attempt, activity, status,"
        " created_ms, closed_ms FROM task_tokens WHERE token=?1",
    [SFN__STMT_GET_EXEC_BY_ID] = SFN__EXEC_COLS "WHERE id=?1",
};

static sqlite3_stmt *cached(sfn_store *s, int which, sfn_error *err)
{
    if (!s->lite->stmt[which] &&
        sqlite3_prepare_v3(s->lite->db, token_sql[which], -1,
                           SQLITE_PREPARE_PERSISTENT, &s->lite->stmt[which],
                           NULL) != SQLITE_OK) {
        sfn__lite_error(s, err, "prepare");
        return NULL;
    }
    return s->lite->stmt[which];
}

static void release(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

static void bind_opt(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static sfn_rc oom(sfn_error *err)
{
    return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
}

/* ---- task tokens ------------------------------------------------------- */

static sfn_rc lite_put_token(sfn_store *s, const sfn_token_rec *t,
                           sfn_error *err)
{
    if (!t->token)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "put token: the token is missing");
    sqlite3_stmt *st = cached(s, SFN__STMT_PUT_TOKEN, err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_text(st, 1, t->token, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, t->exec_id);
    sqlite3_bind_int64(st, 3, t->strand);
    sqlite3_bind_int64(st, 4, t->attempt);
    bind_opt(st, 5, t->activity);
    sqlite3_bind_int(st, 6, t->status);
    sqlite3_bind_int64(st, 7, t->created_ms);
    int rc = sqlite3_step(st);
    release(st);
    return rc == SQLITE_DONE ? SFN_OK : sfn__lite_error(s, err, "put token");
}

static sfn_rc lite_close_token(sfn_store *s, const char *token, int status,
                             int64_t closed_ms, sfn_error *err)
{
    sqlite3_stmt *st = cached(s, SFN__STMT_CLOSE_TOKEN, err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_text(st, 1, token, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, status);
    sqlite3_bind_int64(st, 3, closed_ms);
    int rc = sqlite3_step(st);
    release(st);
    return rc == SQLITE_DONE ? SFN_OK
                             : sfn__lite_error(s, err, "close token");
}

static sfn_rc fill_token(sqlite3_stmt *st, sfn_token_rec *t, sfn_error *err)
{
    t->token = sfn__lite_col_dup(st, 0);
    t->exec_id = sqlite3_column_int64(st, 1);
    t->strand = sqlite3_column_int64(st, 2);
    t->attempt = sqlite3_column_int64(st, 3);
    t->activity = sfn__lite_col_dup(st, 4);
    t->status = sqlite3_column_int(st, 5);
    t->created_ms = sqlite3_column_int64(st, 6);
    t->closed_ms = sqlite3_column_int64(st, 7);
    if (!t->token ||
        (!t->activity && sqlite3_column_type(st, 4) != SQLITE_NULL)) {
        sfn_token_rec_free(t);
        return oom(err);
    }
    return SFN_OK;
}

static sfn_rc lite_get_token(sfn_store *s, const char *token,
                           sfn_token_rec *out, sfn_error *err)
{
    sqlite3_stmt *st = cached(s, SFN__STMT_GET_TOKEN, err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_text(st, 1, token, -1, SQLITE_STATIC);
    sfn_rc rc;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = fill_token(st, out, err);
    else if (step == SQLITE_DONE)
        rc = sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                           "task token '%.64s' does not exist", token);
    else
        rc = sfn__lite_error(s, err, "get token");
    release(st);
    return rc;
}

static sfn_rc lite_get_execution_by_id(sfn_store *s, int64_t id,
                                     sfn_exec_rec *out, sfn_error *err)
{
    sqlite3_stmt *st = cached(s, SFN__STMT_GET_EXEC_BY_ID, err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_int64(st, 1, id);
    sfn_rc rc = SFN_OK;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        sfn__lite_fill_exec(st, out);
    else if (step == SQLITE_DONE)
        rc = sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                           "execution with store id %lld does not exist",
                           (long long)id);
    else
        rc = sfn__lite_error(s, err, "get execution by id");
    release(st);
    return rc;
}

/* ---- activities -------------------------------------------------------- */

static sqlite3_stmt *prep(sfn_store *s, const char *sql, sfn_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->lite->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sfn__lite_error(s, err, "prepare");
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

static sfn_rc lite_put_activity(sfn_store *s, const char *arn,
                              const char *name, int64_t created_ms,
                              bool *created, sfn_error *err)
{
    sqlite3_stmt *st = prep(s,
                            "INSERT INTO activities(arn, name, created_ms)"
                            " VALUES (?1,?2,?3) ON CONFLICT(arn) DO NOTHING",
                            err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, created_ms);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    /* the name is unique too: another ARN with this name (another
     * region/account prefix) is a conflict, not a silent success */
    if (rc == SQLITE_CONSTRAINT)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "an activity named '%s' already exists with "
                             "another ARN",
                             name);
    if (rc != SQLITE_DONE)
        return sfn__lite_error(s, err, "put activity");
    if (created)
        *created = sqlite3_changes(s->lite->db) > 0;
    return SFN_OK;
}

static sfn_rc fill_activity(sqlite3_stmt *st, sfn_activity_rec *a,
                            sfn_error *err)
{
    a->arn = sfn__lite_col_dup(st, 0);
    a->name = sfn__lite_col_dup(st, 1);
    a->created_ms = sqlite3_column_int64(st, 2);
    if (!a->arn || !a->name) {
        sfn_activity_rec_free(a);
        return oom(err);
    }
    return SFN_OK;
}

static sfn_rc lite_get_activity(sfn_store *s, const char *arn,
                              sfn_activity_rec *out, sfn_error *err)
{
    sqlite3_stmt *st = prep(s,
                            "SELECT arn, name, created_ms FROM activities"
                            " WHERE arn = ?1",
                            err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
    sfn_rc rc;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = fill_activity(st, out, err);
    else if (step == SQLITE_DONE)
        rc = sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                           "Activity Does Not Exist: '%s'", arn);
    else
        rc = sfn__lite_error(s, err, "get activity");
    sqlite3_finalize(st);
    return rc;
}

static sfn_rc lite_list_activities(sfn_store *s, const char *after_name,
                                 size_t limit,
                                 int (*cb)(const sfn_activity_rec *a,
                                           void *ud),
                                 void *ud, sfn_error *err)
{
    sqlite3_stmt *st = prep(s,
                            "SELECT arn, name, created_ms FROM activities"
                            " WHERE ?1 IS NULL OR name > ?1"
                            " ORDER BY name LIMIT ?2",
                            err);
    if (!st)
        return SFN_EIO;
    bind_opt(st, 1, after_name);
    sqlite3_bind_int64(st, 2, limit ? (int64_t)limit : -1);
    sfn_rc rc = SFN_OK;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        sfn_activity_rec a = {0};
        if ((rc = fill_activity(st, &a, err)) != SFN_OK)
            break;
        int stop = cb(&a, ud);
        sfn_activity_rec_free(&a);
        if (stop)
            break;
    }
    if (rc == SFN_OK && step != SQLITE_ROW && step != SQLITE_DONE)
        rc = sfn__lite_error(s, err, "list activities");
    sqlite3_finalize(st);
    return rc;
}

static sfn_rc lite_delete_activity(sfn_store *s, const char *arn,
                                 sfn_error *err)
{
    sqlite3_stmt *st =
        prep(s, "DELETE FROM activities WHERE arn = ?1", err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SFN_OK
                             : sfn__lite_error(s, err, "delete activity");
}

void sfn__lite_tasks_ops(sfn__store_ops *o)
{
    o->put_token = lite_put_token;
    o->close_token = lite_close_token;
    o->get_token = lite_get_token;
    o->get_execution_by_id = lite_get_execution_by_id;
    o->put_activity = lite_put_activity;
    o->get_activity = lite_get_activity;
    o->list_activities = lite_list_activities;
    o->delete_activity = lite_delete_activity;
}
