/* store_sqlite_api.c: what the AWS Step Functions API keeps beside definitions
 * (schema 3): machine metadata, published versions, aliases, tags, the
 * version/alias an execution was started by, and execution listings.
 * None of it is on the engine's hot path, so statements are prepared per
 * call. */
#include "store_lite.h"

#include <stdlib.h>
#include <string.h>


static void bind_opt(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

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

/* Steps a one-shot write to completion and finalizes it. */
static sfn_rc done(sfn_store *s, sqlite3_stmt *st, sfn_error *err,
                   const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SFN_OK : sfn__lite_error(s, err, what);
}

static sfn_rc begin(sfn_store *s, sfn_error *err)
{
    if (sqlite3_exec(s->lite->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return sfn__lite_error(s, err, "begin");
    return SFN_OK;
}

static sfn_rc end(sfn_store *s, sfn_rc rc, sfn_error *err)
{
    if (rc == SFN_OK &&
        sqlite3_exec(s->lite->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = sfn__lite_error(s, err, "commit");
    if (rc != SFN_OK && !sqlite3_get_autocommit(s->lite->db))
        sqlite3_exec(s->lite->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* ---- machine metadata -------------------------------------------------- */

static sfn_rc lite_put_machine_meta(sfn_store *s, const char *name,
                                  const sfn_machine_meta *m, sfn_error *err)
{
    sqlite3_stmt *st = prep(
        s,
        "INSERT INTO api_machines(name, role_arn, config, revision_id,"
        " updated_ms) VALUES (?1,?2,?3,?4,?5) ON CONFLICT(name) DO UPDATE"
        " SET role_arn=?2, config=?3, revision_id=?4, updated_ms=?5",
        err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    bind_opt(st, 2, m->role_arn ? m->role_arn : "");
    bind_opt(st, 3, m->config);
    bind_opt(st, 4, m->revision_id ? m->revision_id : "");
    sqlite3_bind_int64(st, 5, m->updated_ms);
    return done(s, st, err, "put machine metadata");
}

static sfn_rc lite_get_machine_meta(sfn_store *s, const char *name,
                                  sfn_machine_meta *out, sfn_error *err)
{
    sqlite3_stmt *st = prep(s,
                            "SELECT role_arn, config, revision_id, updated_ms"
                            " FROM api_machines WHERE name = ?1",
                            err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sfn_rc out_rc = SFN_OK;
    if (rc == SQLITE_ROW) {
        out->role_arn = sfn__lite_col_dup(st, 0);
        out->config = sfn__lite_col_dup(st, 1);
        out->revision_id = sfn__lite_col_dup(st, 2);
        out->updated_ms = sqlite3_column_int64(st, 3);
    } else if (rc == SQLITE_DONE) {
        out_rc = sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                               "no metadata for state machine '%s'", name);
    } else {
        out_rc = sfn__lite_error(s, err, "get machine metadata");
    }
    sqlite3_finalize(st);
    return out_rc;
}

/* ---- versions ---------------------------------------------------------- */

#define VERSION_COLS                                                      \
    "SELECT version, revision, created_ms, role_arn, description,"       \
    " revision_id FROM api_versions "

static void fill_version(sqlite3_stmt *st, sfn_version_rec *v)
{
    v->version = sqlite3_column_int64(st, 0);
    v->revision = sqlite3_column_int64(st, 1);
    v->created_ms = sqlite3_column_int64(st, 2);
    v->role_arn = sfn__lite_col_dup(st, 3);
    v->description = sfn__lite_col_dup(st, 4);
    v->revision_id = sfn__lite_col_dup(st, 5);
}

/* Reads one version row by a query binding (name, int). */
static sfn_rc one_version(sfn_store *s, const char *sql, const char *name,
                          int64_t n, sfn_version_rec *out, sfn_error *err)
{
    sqlite3_stmt *st = prep(s, sql, err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, n);
    int rc = sqlite3_step(st);
    sfn_rc out_rc = SFN_OK;
    if (rc == SQLITE_ROW)
        fill_version(st, out);
    else if (rc == SQLITE_DONE)
        out_rc = sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                               "version %lld of '%s' does not exist",
                               (long long)n, name);
    else
        out_rc = sfn__lite_error(s, err, "get version");
    sqlite3_finalize(st);
    return out_rc;
}

static sfn_rc lite_get_version(sfn_store *s, const char *name, int64_t version,
                             sfn_version_rec *out, sfn_error *err)
{
    return one_version(s, VERSION_COLS "WHERE name = ?1 AND version = ?2",
                       name, version, out, err);
}

static sfn_rc next_version(sfn_store *s, const char *name, int64_t *out,
                           sfn_error *err)
{
    sqlite3_stmt *st = prep(s,
                            "SELECT next_version FROM api_machines"
                            " WHERE name = ?1",
                            err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return SFN_OK;
    if (rc == SQLITE_DONE)
        return sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                             "state machine '%s' does not exist", name);
    return sfn__lite_error(s, err, "next version");
}

static sfn_rc insert_version(sfn_store *s, const char *name, int64_t version,
                             int64_t revision, const char *role_arn,
                             const char *description, const char *revision_id,
                             int64_t now_ms, sfn_error *err)
{
    sqlite3_stmt *st = prep(
        s,
        "INSERT INTO api_versions(name, version, revision, role_arn,"
        " description, revision_id, created_ms) VALUES (?1,?2,?3,?4,?5,?6,?7)",
        err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, version);
    sqlite3_bind_int64(st, 3, revision);
    bind_opt(st, 4, role_arn ? role_arn : "");
    bind_opt(st, 5, description);
    bind_opt(st, 6, revision_id ? revision_id : "");
    sqlite3_bind_int64(st, 7, now_ms);
    sfn_rc rc = done(s, st, err, "insert version");
    if (rc != SFN_OK)
        return rc;
    st = prep(s, "UPDATE api_machines SET next_version = ?2 WHERE name = ?1",
              err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, version + 1);
    return done(s, st, err, "bump version counter");
}

static sfn_rc lite_publish_version(sfn_store *s, const char *name,
                                 int64_t revision, const char *role_arn,
                                 const char *description,
                                 const char *revision_id, int64_t now_ms,
                                 sfn_version_rec *out, bool *existed,
                                 sfn_error *err)
{
    sfn_rc rc = begin(s, err);
    if (rc != SFN_OK)
        return rc;
    *existed = false;
    sfn_version_rec newest = {0};
    rc = one_version(s,
                     VERSION_COLS "WHERE name = ?1 AND ?2 = ?2"
                                  " ORDER BY version DESC LIMIT 1",
                     name, 0, &newest, err);
    if (rc == SFN_OK && newest.revision == revision) {
        *out = newest;
        *existed = true;
        return end(s, SFN_OK, err);
    }
    sfn_version_rec_free(&newest);
    int64_t version = 0;
    if (rc == SFN_OK || rc == SFN_ENOTFOUND)
        rc = next_version(s, name, &version, err);
    if (rc == SFN_OK)
        rc = insert_version(s, name, version, revision, role_arn, description,
                            revision_id, now_ms, err);
    rc = end(s, rc, err);
    if (rc == SFN_OK)
        rc = sfn_store_get_version(s, name, version, out, err);
    return rc;
}

static sfn_rc lite_list_versions(sfn_store *s, const char *name,
                               int (*cb)(const sfn_version_rec *v, void *ud),
                               void *ud, sfn_error *err)
{
    sqlite3_stmt *st =
        prep(s, VERSION_COLS "WHERE name = ?1 ORDER BY version DESC", err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sfn_version_rec v = {0};
        fill_version(st, &v);
        int stop = cb(&v, ud);
        sfn_version_rec_free(&v);
        if (stop)
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE
               ? SFN_OK
               : sfn__lite_error(s, err, "list versions");
}

static sfn_rc lite_delete_version(sfn_store *s, const char *name,
                                int64_t version, sfn_error *err)
{
    sqlite3_stmt *st =
        prep(s, "DELETE FROM api_versions WHERE name = ?1 AND version = ?2",
             err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, version);
    return done(s, st, err, "delete version");
}

/* ---- aliases ----------------------------------------------------------- */

#define ALIAS_COLS                                                        \
    "SELECT alias, description, routing, created_ms, updated_ms"         \
    " FROM api_aliases "

static void fill_alias(sqlite3_stmt *st, sfn_alias_rec *a)
{
    a->alias = sfn__lite_col_dup(st, 0);
    a->description = sfn__lite_col_dup(st, 1);
    a->routing = sfn__lite_col_dup(st, 2);
    a->created_ms = sqlite3_column_int64(st, 3);
    a->updated_ms = sqlite3_column_int64(st, 4);
}

static sfn_rc lite_put_alias(sfn_store *s, const char *name, const char *alias,
                           const char *description, const char *routing,
                           bool create, int64_t now_ms, sfn_error *err)
{
    const char *sql =
        create ? "INSERT INTO api_aliases(name, alias, description, routing,"
                 " created_ms, updated_ms) VALUES (?1,?2,?3,?4,?5,?5)"
               : "UPDATE api_aliases SET description = coalesce(?3,"
                 " description), routing = coalesce(?4, routing),"
                 " updated_ms = ?5 WHERE name = ?1 AND alias = ?2";
    sqlite3_stmt *st = prep(s, sql, err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, alias, -1, SQLITE_STATIC);
    bind_opt(st, 3, description);
    bind_opt(st, 4, routing);
    sqlite3_bind_int64(st, 5, now_ms);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_CONSTRAINT)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "alias '%s' of '%s' already exists", alias,
                             name);
    if (rc != SQLITE_DONE)
        return sfn__lite_error(s, err, "put alias");
    if (!create && sqlite3_changes(s->lite->db) == 0)
        return sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                             "alias '%s' of '%s' does not exist", alias,
                             name);
    return SFN_OK;
}

static sfn_rc lite_get_alias(sfn_store *s, const char *name, const char *alias,
                           sfn_alias_rec *out, sfn_error *err)
{
    sqlite3_stmt *st =
        prep(s, ALIAS_COLS "WHERE name = ?1 AND alias = ?2", err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, alias, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sfn_rc out_rc = SFN_OK;
    if (rc == SQLITE_ROW)
        fill_alias(st, out);
    else if (rc == SQLITE_DONE)
        out_rc = sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                               "alias '%s' of '%s' does not exist", alias,
                               name);
    else
        out_rc = sfn__lite_error(s, err, "get alias");
    sqlite3_finalize(st);
    return out_rc;
}

static sfn_rc lite_list_aliases(sfn_store *s, const char *name,
                              int (*cb)(const sfn_alias_rec *a, void *ud),
                              void *ud, sfn_error *err)
{
    sqlite3_stmt *st =
        prep(s, ALIAS_COLS "WHERE name = ?1 ORDER BY alias", err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sfn_alias_rec a = {0};
        fill_alias(st, &a);
        int stop = cb(&a, ud);
        sfn_alias_rec_free(&a);
        if (stop)
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE
               ? SFN_OK
               : sfn__lite_error(s, err, "list aliases");
}

static sfn_rc lite_delete_alias(sfn_store *s, const char *name,
                              const char *alias, sfn_error *err)
{
    sqlite3_stmt *st =
        prep(s, "DELETE FROM api_aliases WHERE name = ?1 AND alias = ?2",
             err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, alias, -1, SQLITE_STATIC);
    return done(s, st, err, "delete alias");
}

/* ---- tags -------------------------------------------------------------- */

static sfn_rc tag_write(sfn_store *s, const char *sql, const char *resource,
                        const char *key, const char *value, sfn_error *err)
{
    sqlite3_stmt *st = prep(s, sql, err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_text(st, 1, resource, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    if (value)
        sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
    return done(s, st, err, "write tag");
}

static sfn_rc tag_count(sfn_store *s, const char *resource, int64_t *n,
                        sfn_error *err)
{
    sqlite3_stmt *st =
        prep(s, "SELECT count(*) FROM api_tags WHERE resource = ?1", err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_text(st, 1, resource, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? SFN_OK : sfn__lite_error(s, err, "count");
}

static sfn_rc lite_put_tags(sfn_store *s, const char *resource,
                          const char *const *keys, const char *const *values,
                          size_t n, size_t max_tags, sfn_error *err)
{
    sfn_rc rc = begin(s, err);
    for (size_t i = 0; i < n && rc == SFN_OK; i++)
        rc = tag_write(s,
                       "INSERT OR REPLACE INTO api_tags(resource, key, value)"
                       " VALUES (?1,?2,?3)",
                       resource, keys[i], values[i], err);
    int64_t count = 0;
    if (rc == SFN_OK)
        rc = tag_count(s, resource, &count, err);
    if (rc == SFN_OK && (size_t)count > max_tags)
        rc = sfn_error_set(err, SFN_ELIMIT, NULL, -1,
                           "resource '%s' would have %lld tags, above the "
                           "limit of %zu",
                           resource, (long long)count, max_tags);
    return end(s, rc, err);
}

static sfn_rc lite_delete_tags(sfn_store *s, const char *resource,
                             const char *const *keys, size_t n,
                             sfn_error *err)
{
    sfn_rc rc = begin(s, err);
    for (size_t i = 0; i < n && rc == SFN_OK; i++)
        rc = tag_write(s,
                       "DELETE FROM api_tags WHERE resource = ?1 AND key = ?2",
                       resource, keys[i], NULL, err);
    return end(s, rc, err);
}

static sfn_rc lite_list_tags(sfn_store *s, const char *resource,
                           int (*cb)(const char *key, const char *value,
                                     void *ud),
                           void *ud, sfn_error *err)
{
    sqlite3_stmt *st = prep(s,
                            "SELECT key, value FROM api_tags"
                            " WHERE resource = ?1 ORDER BY key",
                            err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_text(st, 1, resource, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (cb((const char *)sqlite3_column_text(st, 0),
               (const char *)sqlite3_column_text(st, 1), ud))
            break;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE
               ? SFN_OK
               : sfn__lite_error(s, err, "list tags");
}

static sfn_rc lite_drop_tags(sfn_store *s, const char *resource,
                           sfn_error *err)
{
    /* substr instead of LIKE: ARNs may hold '%' and '_' */
    sqlite3_stmt *st = prep(s,
                            "DELETE FROM api_tags WHERE resource = ?1 OR"
                            " substr(resource, 1, length(?1) + 1) = ?1 || ':'",
                            err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_text(st, 1, resource, -1, SQLITE_STATIC);
    return done(s, st, err, "drop tags");
}

/* ---- executions -------------------------------------------------------- */

static sfn_rc lite_put_exec_meta(sfn_store *s, const char *arn,
                               const char *version_arn, const char *alias_arn,
                               sfn_error *err)
{
    sqlite3_stmt *st = prep(s,
                            "INSERT OR REPLACE INTO api_exec_meta(arn,"
                            " version_arn, alias_arn) VALUES (?1,?2,?3)",
                            err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
    bind_opt(st, 2, version_arn);
    bind_opt(st, 3, alias_arn);
    return done(s, st, err, "put execution metadata");
}

static sfn_rc lite_get_exec_meta(sfn_store *s, const char *arn,
                               char **version_arn, char **alias_arn,
                               sfn_error *err)
{
    *version_arn = *alias_arn = NULL;
    sqlite3_stmt *st = prep(s,
                            "SELECT version_arn, alias_arn FROM api_exec_meta"
                            " WHERE arn = ?1",
                            err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *version_arn = sfn__lite_col_dup(st, 0);
        *alias_arn = sfn__lite_col_dup(st, 1);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE
               ? SFN_OK
               : sfn__lite_error(s, err, "get execution metadata");
}

static sfn_rc lite_list_executions(sfn_store *s, const char *machine,
                                 int status, int64_t after_start_ms,
                                 int64_t after_id, size_t limit,
                                 int (*cb)(const sfn_exec_rec *r, void *ud),
                                 void *ud, sfn_error *err)
{
    sqlite3_stmt *st = prep(
        s,
        SFN__EXEC_COLS
        "WHERE machine = ?1 AND (?2 < 0 OR status = ?2) AND (?4 = 0 OR"
        " start_ms < ?3 OR (start_ms = ?3 AND id < ?4))"
        " ORDER BY start_ms DESC, id DESC LIMIT ?5",
        err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_text(st, 1, machine, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, status);
    sqlite3_bind_int64(st, 3, after_start_ms);
    sqlite3_bind_int64(st, 4, after_id);
    sqlite3_bind_int64(st, 5, limit ? (int64_t)limit : -1);
    return sfn__lite_each_exec(s, st, cb, ud, err, "list executions");
}

static sfn_rc lite_count_executions(sfn_store *s, int status, int64_t *out,
                                  sfn_error *err)
{
    sqlite3_stmt *st =
        prep(s, "SELECT count(*) FROM executions WHERE status = ?1", err);
    if (!st)
        return SFN_EIO;
    sqlite3_bind_int(st, 1, status);
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? SFN_OK
                            : sfn__lite_error(s, err, "count executions");
}

void sfn__lite_api_ops(sfn__store_ops *o)
{
    o->put_machine_meta = lite_put_machine_meta;
    o->get_machine_meta = lite_get_machine_meta;
    o->publish_version = lite_publish_version;
    o->get_version = lite_get_version;
    o->list_versions = lite_list_versions;
    o->delete_version = lite_delete_version;
    o->put_alias = lite_put_alias;
    o->get_alias = lite_get_alias;
    o->list_aliases = lite_list_aliases;
    o->delete_alias = lite_delete_alias;
    o->put_tags = lite_put_tags;
    o->delete_tags = lite_delete_tags;
    o->list_tags = lite_list_tags;
    o->drop_tags = lite_drop_tags;
    o->put_exec_meta = lite_put_exec_meta;
    o->get_exec_meta = lite_get_exec_meta;
    o->list_executions = lite_list_executions;
    o->count_executions = lite_count_executions;
}
