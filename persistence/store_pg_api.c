/* store_pg_api.c: what the AWS Step Functions API keeps beside definitions
 * (schema 3) in PostgreSQL: machine metadata, published versions, aliases,
 * tags, the version/alias an execution was started by, and execution
 * listings.  API-rate: plain statements, one transaction per call.  Names
 * order byte-wise (COLLATE "C") as SQLite's BINARY does. */
#include "store_pg.h"

#include <stdlib.h>
#include <string.h>

#define FAILED(err) ((err) ? (err)->rc : SFN_EIO)

/* ---- machine metadata -------------------------------------------------- */

static sfn_rc pg_put_machine_meta(sfn_store *s, const char *name,
                                  const sfn_machine_meta *m, sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, name);
    sfn__pgp_str(&p, m->role_arn ? m->role_arn : "");
    sfn__pgp_str(&p, m->config);
    sfn__pgp_str(&p, m->revision_id ? m->revision_id : "");
    sfn__pgp_i64(&p, m->updated_ms);
    return sfn__pg_run_ok(
        s,
        "INSERT INTO api_machines(name, role_arn, config, revision_id,"
        " updated_ms) VALUES ($1, $2, $3, $4, $5::bigint) ON CONFLICT (name)"
        " DO UPDATE SET role_arn = $2, config = $3, revision_id = $4,"
        " updated_ms = $5::bigint",
        &p, err, "put machine metadata");
}

static sfn_rc pg_get_machine_meta(sfn_store *s, const char *name,
                                  sfn_machine_meta *out, sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, name);
    PGresult *r = sfn__pg_run(s,
                              "SELECT role_arn, config, revision_id,"
                              " updated_ms FROM api_machines WHERE name = $1",
                              0, &p, err, "get machine metadata");
    if (!r)
        return FAILED(err);
    sfn_rc rc = SFN_OK;
    if (PQntuples(r)) {
        out->role_arn = sfn__pg_dup(r, 0, 0);
        out->config = sfn__pg_dup(r, 0, 1);
        out->revision_id = sfn__pg_dup(r, 0, 2);
        out->updated_ms = sfn__pg_i64(r, 0, 3);
    } else {
        rc = sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                           "no metadata for state machine '%s'", name);
    }
    PQclear(r);
    return rc;
}

/* ---- versions ---------------------------------------------------------- */

#define VERSION_COLS                                                      \
    "SELECT version, revision, created_ms, role_arn, description,"       \
    " revision_id FROM api_versions "

static void fill_version(const PGresult *r, int row, sfn_version_rec *v)
{
    v->version = sfn__pg_i64(r, row, 0);
    v->revision = sfn__pg_i64(r, row, 1);
    v->created_ms = sfn__pg_i64(r, row, 2);
    v->role_arn = sfn__pg_dup(r, row, 3);
    v->description = sfn__pg_dup(r, row, 4);
    v->revision_id = sfn__pg_dup(r, row, 5);
}

/* One version row by a query binding (name, number). */
static sfn_rc one_version(sfn_store *s, const char *sql, const char *name,
                          int64_t n, sfn_version_rec *out, sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, name);
    sfn__pgp_i64(&p, n);
    PGresult *r = sfn__pg_run(s, sql, 0, &p, err, "get version");
    if (!r)
        return FAILED(err);
    sfn_rc rc = SFN_OK;
    if (PQntuples(r))
        fill_version(r, 0, out);
    else
        rc = sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                           "version %lld of '%s' does not exist",
                           (long long)n, name);
    PQclear(r);
    return rc;
}

static sfn_rc pg_get_version(sfn_store *s, const char *name, int64_t version,
                             sfn_version_rec *out, sfn_error *err)
{
    return one_version(s, VERSION_COLS "WHERE name = $1 AND"
                                       " version = $2::bigint",
                       name, version, out, err);
}

/* The version counter, locked for this transaction. */
static sfn_rc next_version(sfn_store *s, const char *name, int64_t *out,
                           sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, name);
    PGresult *r = sfn__pg_run(s,
                              "SELECT next_version FROM api_machines"
                              " WHERE name = $1 FOR UPDATE",
                              0, &p, err, "next version");
    if (!r)
        return FAILED(err);
    bool found = PQntuples(r) > 0;
    *out = found ? sfn__pg_i64(r, 0, 0) : 0;
    PQclear(r);
    if (!found)
        return sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                             "state machine '%s' does not exist", name);
    return SFN_OK;
}

static sfn_rc insert_version(sfn_store *s, const char *name, int64_t version,
                             int64_t revision, const char *role_arn,
                             const char *description, const char *revision_id,
                             int64_t now_ms, sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, name);
    sfn__pgp_i64(&p, version);
    sfn__pgp_i64(&p, revision);
    sfn__pgp_str(&p, role_arn ? role_arn : "");
    sfn__pgp_str(&p, description);
    sfn__pgp_str(&p, revision_id ? revision_id : "");
    sfn__pgp_i64(&p, now_ms);
    sfn_rc rc = sfn__pg_run_ok(
        s,
        "INSERT INTO api_versions(name, version, revision, role_arn,"
        " description, revision_id, created_ms) VALUES ($1, $2::bigint,"
        " $3::bigint, $4, $5, $6, $7::bigint)",
        &p, err, "insert version");
    if (rc != SFN_OK)
        return rc;
    sfn__pgp q = {0};
    sfn__pgp_str(&q, name);
    sfn__pgp_i64(&q, version + 1);
    return sfn__pg_run_ok(s,
                          "UPDATE api_machines SET next_version = $2::bigint"
                          " WHERE name = $1",
                          &q, err, "bump version counter");
}

/* The body of publish_version inside its transaction; *got tells whether
 * out was filled from the existing newest version. */
static sfn_rc publish_tx(sfn_store *s, const char *name, int64_t revision,
                         const char *role_arn, const char *description,
                         const char *revision_id, int64_t now_ms,
                         sfn_version_rec *out, bool *existed, int64_t *version,
                         sfn_error *err)
{
    int64_t next = 0;
    sfn_rc rc = next_version(s, name, &next, err);
    if (rc != SFN_OK && rc != SFN_ENOTFOUND)
        return rc;
    sfn_version_rec newest = {0};
    sfn_rc nrc = one_version(s,
                             VERSION_COLS "WHERE name = $1 AND $2::bigint ="
                                          " $2::bigint ORDER BY version DESC"
                                          " LIMIT 1",
                             name, 0, &newest, err);
    if (nrc == SFN_OK && newest.revision == revision) {
        *out = newest;
        *existed = true;
        return SFN_OK;
    }
    sfn_version_rec_free(&newest);
    if (nrc != SFN_OK && nrc != SFN_ENOTFOUND)
        return nrc;
    if (rc != SFN_OK) /* the machine has no metadata row */
        return sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                             "state machine '%s' does not exist", name);
    *version = next;
    return insert_version(s, name, next, revision, role_arn, description,
                          revision_id, now_ms, err);
}

static sfn_rc pg_publish_version(sfn_store *s, const char *name,
                                 int64_t revision, const char *role_arn,
                                 const char *description,
                                 const char *revision_id, int64_t now_ms,
                                 sfn_version_rec *out, bool *existed,
                                 sfn_error *err)
{
    sfn_rc rc = sfn__pg_sync_begin(s, err);
    if (rc != SFN_OK)
        return rc;
    *existed = false;
    int64_t version = 0;
    rc = publish_tx(s, name, revision, role_arn, description, revision_id,
                    now_ms, out, existed, &version, err);
    rc = sfn__pg_sync_end(s, rc, err);
    if (rc != SFN_OK && *existed) {
        sfn_version_rec_free(out);
        *existed = false;
    }
    if (rc == SFN_OK && !*existed)
        rc = pg_get_version(s, name, version, out, err);
    return rc;
}

static sfn_rc pg_list_versions(sfn_store *s, const char *name,
                               int (*cb)(const sfn_version_rec *v, void *ud),
                               void *ud, sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, name);
    PGresult *r = sfn__pg_run(s,
                              VERSION_COLS
                              "WHERE name = $1 ORDER BY version DESC",
                              0, &p, err, "list versions");
    if (!r)
        return FAILED(err);
    for (int i = 0; i < PQntuples(r); i++) {
        sfn_version_rec v = {0};
        fill_version(r, i, &v);
        int stop = cb(&v, ud);
        sfn_version_rec_free(&v);
        if (stop)
            break;
    }
    PQclear(r);
    return SFN_OK;
}

static sfn_rc pg_delete_version(sfn_store *s, const char *name,
                                int64_t version, sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, name);
    sfn__pgp_i64(&p, version);
    return sfn__pg_run_ok(s,
                          "DELETE FROM api_versions WHERE name = $1 AND"
                          " version = $2::bigint",
                          &p, err, "delete version");
}

/* ---- aliases ----------------------------------------------------------- */

#define ALIAS_COLS                                                        \
    "SELECT alias, description, routing, created_ms, updated_ms"         \
    " FROM api_aliases "

static void fill_alias(const PGresult *r, int row, sfn_alias_rec *a)
{
    a->alias = sfn__pg_dup(r, row, 0);
    a->description = sfn__pg_dup(r, row, 1);
    a->routing = sfn__pg_dup(r, row, 2);
    a->created_ms = sfn__pg_i64(r, row, 3);
    a->updated_ms = sfn__pg_i64(r, row, 4);
}

static sfn_rc pg_put_alias(sfn_store *s, const char *name, const char *alias,
                           const char *description, const char *routing,
                           bool create, int64_t now_ms, sfn_error *err)
{
    const char *sql =
        create ? "INSERT INTO api_aliases(name, alias, description, routing,"
                 " created_ms, updated_ms) VALUES ($1, $2, $3, $4,"
                 " $5::bigint, $5::bigint)"
               : "UPDATE api_aliases SET description = coalesce($3,"
                 " description), routing = coalesce($4, routing),"
                 " updated_ms = $5::bigint WHERE name = $1 AND alias = $2";
    sfn__pgp p = {0};
    sfn__pgp_str(&p, name);
    sfn__pgp_str(&p, alias);
    sfn__pgp_str(&p, description);
    sfn__pgp_str(&p, routing);
    sfn__pgp_i64(&p, now_ms);
    PGresult *r = sfn__pg_try(s, sql, &p, err);
    if (!r)
        return FAILED(err);
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    sfn_rc rc = SFN_OK;
    /* 23505: the alias exists; 23502/23503: no such machine or routing,
     * which SQLite reports as a constraint failure as well */
    if (state && !strncmp(state, "23", 2))
        rc = sfn_error_set(err, SFN_EINVAL, NULL, -1,
                           "alias '%s' of '%s' already exists", alias, name);
    else if (PQresultStatus(r) != PGRES_COMMAND_OK)
        rc = sfn__pg_error(s, r, err, "put alias");
    else if (!create && !strcmp(PQcmdTuples(r), "0"))
        rc = sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                           "alias '%s' of '%s' does not exist", alias, name);
    PQclear(r);
    return rc;
}

static sfn_rc pg_get_alias(sfn_store *s, const char *name, const char *alias,
                           sfn_alias_rec *out, sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, name);
    sfn__pgp_str(&p, alias);
    PGresult *r = sfn__pg_run(s, ALIAS_COLS "WHERE name = $1 AND alias = $2",
                              0, &p, err, "get alias");
    if (!r)
        return FAILED(err);
    sfn_rc rc = SFN_OK;
    if (PQntuples(r))
        fill_alias(r, 0, out);
    else
        rc = sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                           "alias '%s' of '%s' does not exist", alias, name);
    PQclear(r);
    return rc;
}

static sfn_rc pg_list_aliases(sfn_store *s, const char *name,
                              int (*cb)(const sfn_alias_rec *a, void *ud),
                              void *ud, sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, name);
    PGresult *r = sfn__pg_run(s,
                              ALIAS_COLS "WHERE name = $1"
                                         " ORDER BY alias COLLATE \"C\"",
                              0, &p, err, "list aliases");
    if (!r)
        return FAILED(err);
    for (int i = 0; i < PQntuples(r); i++) {
        sfn_alias_rec a = {0};
        fill_alias(r, i, &a);
        int stop = cb(&a, ud);
        sfn_alias_rec_free(&a);
        if (stop)
            break;
    }
    PQclear(r);
    return SFN_OK;
}

static sfn_rc pg_delete_alias(sfn_store *s, const char *name,
                              const char *alias, sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, name);
    sfn__pgp_str(&p, alias);
    return sfn__pg_run_ok(s,
                          "DELETE FROM api_aliases WHERE name = $1 AND"
                          " alias = $2",
                          &p, err, "delete alias");
}

/* ---- tags -------------------------------------------------------------- */

static sfn_rc put_tags_tx(sfn_store *s, const char *resource,
                          const char *const *keys, const char *const *values,
                          size_t n, size_t max_tags, sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, resource);
    sfn_rc rc = sfn__pg_run_ok(
        s, "SELECT pg_advisory_xact_lock(hashtext('tags:' || $1))", &p, err,
        "lock tags");
    for (size_t i = 0; i < n && rc == SFN_OK; i++) {
        sfn__pgp t = {0};
        sfn__pgp_str(&t, resource);
        sfn__pgp_str(&t, keys[i]);
        sfn__pgp_str(&t, values[i]);
        rc = sfn__pg_run_ok(s,
                            "INSERT INTO api_tags(resource, key, value)"
                            " VALUES ($1, $2, $3) ON CONFLICT (resource, key)"
                            " DO UPDATE SET value = EXCLUDED.value",
                            &t, err, "write tag");
    }
    if (rc != SFN_OK)
        return rc;
    PGresult *r = sfn__pg_run(s,
                              "SELECT count(*) FROM api_tags"
                              " WHERE resource = $1",
                              0, &p, err, "count");
    if (!r)
        return FAILED(err);
    int64_t count = sfn__pg_i64(r, 0, 0);
    PQclear(r);
    if ((size_t)count > max_tags)
        return sfn_error_set(err, SFN_ELIMIT, NULL, -1,
                             "resource '%s' would have %lld tags, above the "
                             "limit of %zu",
                             resource, (long long)count, max_tags);
    return SFN_OK;
}

static sfn_rc pg_put_tags(sfn_store *s, const char *resource,
                          const char *const *keys, const char *const *values,
                          size_t n, size_t max_tags, sfn_error *err)
{
    sfn_rc rc = sfn__pg_sync_begin(s, err);
    if (rc != SFN_OK)
        return rc;
    rc = put_tags_tx(s, resource, keys, values, n, max_tags, err);
    return sfn__pg_sync_end(s, rc, err);
}

static sfn_rc pg_delete_tags(sfn_store *s, const char *resource,
                             const char *const *keys, size_t n,
                             sfn_error *err)
{
    sfn_rc rc = sfn__pg_sync_begin(s, err);
    for (size_t i = 0; i < n && rc == SFN_OK; i++) {
        sfn__pgp p = {0};
        sfn__pgp_str(&p, resource);
        sfn__pgp_str(&p, keys[i]);
        rc = sfn__pg_run_ok(s,
                            "DELETE FROM api_tags WHERE resource = $1 AND"
                            " key = $2",
                            &p, err, "write tag");
    }
    return sfn__pg_sync_end(s, rc, err);
}

static sfn_rc pg_list_tags(sfn_store *s, const char *resource,
                           int (*cb)(const char *key, const char *value,
                                     void *ud),
                           void *ud, sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, resource);
    PGresult *r = sfn__pg_run(s,
                              "SELECT key, value FROM api_tags WHERE"
                              " resource = $1 ORDER BY key COLLATE \"C\"",
                              0, &p, err, "list tags");
    if (!r)
        return FAILED(err);
    for (int i = 0; i < PQntuples(r); i++)
        if (cb(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), ud))
            break;
    PQclear(r);
    return SFN_OK;
}

static sfn_rc pg_drop_tags(sfn_store *s, const char *resource,
                           sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, resource);
    /* left() instead of LIKE: ARNs may hold '%' and '_' */
    return sfn__pg_run_ok(s,
                          "DELETE FROM api_tags WHERE resource = $1 OR"
                          " left(resource, length($1) + 1) = $1 || ':'",
                          &p, err, "drop tags");
}

/* ---- executions -------------------------------------------------------- */

static sfn_rc pg_put_exec_meta(sfn_store *s, const char *arn,
                               const char *version_arn, const char *alias_arn,
                               sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, arn);
    sfn__pgp_str(&p, version_arn);
    sfn__pgp_str(&p, alias_arn);
    return sfn__pg_run_ok(s,
                          "INSERT INTO api_exec_meta(arn, version_arn,"
                          " alias_arn) VALUES ($1, $2, $3) ON CONFLICT (arn)"
                          " DO UPDATE SET version_arn = $2, alias_arn = $3",
                          &p, err, "put execution metadata");
}

static sfn_rc pg_get_exec_meta(sfn_store *s, const char *arn,
                               char **version_arn, char **alias_arn,
                               sfn_error *err)
{
    *version_arn = *alias_arn = NULL;
    sfn__pgp p = {0};
    sfn__pgp_str(&p, arn);
    PGresult *r = sfn__pg_run(s,
                              "SELECT version_arn, alias_arn FROM"
                              " api_exec_meta WHERE arn = $1",
                              0, &p, err, "get execution metadata");
    if (!r)
        return FAILED(err);
    if (PQntuples(r)) {
        *version_arn = sfn__pg_dup(r, 0, 0);
        *alias_arn = sfn__pg_dup(r, 0, 1);
    }
    PQclear(r);
    return SFN_OK;
}

static sfn_rc pg_list_executions(sfn_store *s, const char *machine,
                                 int status, int64_t after_start_ms,
                                 int64_t after_id, size_t limit,
                                 sfn__exec_cb cb, void *ud, sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, machine);
    sfn__pgp_i64(&p, status);
    sfn__pgp_i64(&p, after_start_ms);
    sfn__pgp_i64(&p, after_id);
    if (limit)
        sfn__pgp_i64(&p, (int64_t)limit);
    else
        sfn__pgp_null(&p);
    PGresult *r = sfn__pg_run(
        s,
        SFN__PG_EXEC_COLS
        "FROM executions WHERE machine = $1 AND ($2::int < 0 OR"
        " status = $2::int) AND ($4::bigint = 0 OR start_ms < $3::bigint OR"
        " (start_ms = $3::bigint AND id < $4::bigint))"
        " ORDER BY start_ms DESC, id DESC LIMIT $5::bigint",
        0, &p, err, "list executions");
    if (!r)
        return FAILED(err);
    return sfn__pg_each_exec(r, cb, ud);
}

static sfn_rc pg_count_executions(sfn_store *s, int status, int64_t *out,
                                  sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_i64(&p, status);
    PGresult *r = sfn__pg_run(s,
                              "SELECT count(*) FROM executions"
                              " WHERE status = $1::int",
                              0, &p, err, "count executions");
    if (!r) {
        *out = 0;
        return FAILED(err);
    }
    *out = sfn__pg_i64(r, 0, 0);
    PQclear(r);
    return SFN_OK;
}

void sfn__pg_api_ops(sfn__store_ops *o)
{
    o->put_machine_meta = pg_put_machine_meta;
    o->get_machine_meta = pg_get_machine_meta;
    o->publish_version = pg_publish_version;
    o->get_version = pg_get_version;
    o->list_versions = pg_list_versions;
    o->delete_version = pg_delete_version;
    o->put_alias = pg_put_alias;
    o->get_alias = pg_get_alias;
    o->list_aliases = pg_list_aliases;
    o->delete_alias = pg_delete_alias;
    o->put_tags = pg_put_tags;
    o->delete_tags = pg_delete_tags;
    o->list_tags = pg_list_tags;
    o->drop_tags = pg_drop_tags;
    o->put_exec_meta = pg_put_exec_meta;
    o->get_exec_meta = pg_get_exec_meta;
    o->list_executions = pg_list_executions;
    o->count_executions = pg_count_executions;
}
