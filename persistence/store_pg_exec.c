/* store_pg_exec.c: state machines, executions, history events, engine
 * snapshots, task tokens and activities in PostgreSQL.  The engine's
 * writes are queued in the group commit's pipeline (store_pg.c) or
 * batched (store_pg_batch.c); on an engine connection each one is fenced
 * by the lease this node holds. */
#include "store_pg.h"

#include <stdlib.h>
#include <string.h>

#define MACHINE_COLS                                                       \
    "SELECT m.name, r.type, r.definition, r.revision, m.created_ms,"     \
    " r.created_ms FROM machines m JOIN machine_revisions r"             \
    " ON r.name = m.name "
#define TOKEN_COLS                                                         \
    "SELECT token, exec_id, strand, attempt, activity, status,"          \
    " created_ms, closed_ms FROM task_tokens "

const char *const sfn__pg_stmt_sql[SFN__PG_STMT_COUNT] = {
    [SFN__PG_INS_EXEC] =
        "INSERT INTO executions(id, arn, machine, revision, name, status,"
        " input, output, error, cause, start_ms, stop_ms, next_event,"
        " wake_ms, test_case, comp_status, redrive_count, redrive_ms,"
        " owner, epoch) VALUES ($1::bigint, $2, $3, $4::bigint, $5,"
        " $6::int, $7, $8, $9, $10, $11::bigint, $12::bigint, $13::bigint,"
        " $14::bigint, $15, $16::int, $17::bigint, $18::bigint, $19,"
        " $20::bigint)",
    [SFN__PG_UPD_EXECS] = sfn__pg_upd_execs_sql,
    /* epoch -1: this node does not hold the execution as running, which
     * is only fine for one that has ended and is still this node's */
    [SFN__PG_FENCE] =
        "SELECT stepd_fence(count(*), $1::bigint) FROM (SELECT 1 FROM"
        " executions WHERE id = $1::bigint AND owner = $2 AND (epoch ="
        " $3::bigint OR ($3::bigint = -1 AND status <> 0))"
        " FOR NO KEY UPDATE) f",
    [SFN__PG_INS_EVENTS] = sfn__pg_ins_events_sql,
    [SFN__PG_PUT_SNAPS] = sfn__pg_put_snaps_sql,
    [SFN__PG_DEL_SNAP] =
        "DELETE FROM snapshots WHERE exec = $1::bigint AND key = $2::bigint",
    [SFN__PG_CLEAR_SNAP] = "DELETE FROM snapshots WHERE exec = $1::bigint",
    [SFN__PG_PUT_TOKEN] =
        "INSERT INTO task_tokens(token, exec_id, strand, attempt, activity,"
        " status, created_ms) VALUES ($1, $2::bigint, $3::bigint,"
        " $4::bigint, $5, $6::int, $7::bigint) ON CONFLICT (token)"
        " DO NOTHING",
    [SFN__PG_CLOSE_TOKEN] =
        "UPDATE task_tokens SET status = $2::int, closed_ms = $3::bigint"
        " WHERE token = $1 AND status = 0",
    [SFN__PG_NEXT_IDS] =
        "SELECT nextval(pg_get_serial_sequence('stepd.executions', 'id'))"
        " FROM generate_series(1, $1::int)",
    [SFN__PG_PUSH_ACT] =
        "WITH i AS (INSERT INTO activity_queue(token, activity, exec_id,"
        " input, created_ms) VALUES ($1, $2, $3::bigint, $4, $5::bigint)"
        " ON CONFLICT (token) DO NOTHING RETURNING activity)"
        " SELECT pg_notify('stepd_act', activity) FROM i",
    [SFN__PG_DROP_ACT] = "DELETE FROM activity_queue WHERE token = $1",
    [SFN__PG_NOTIFY] = "SELECT pg_notify($1, $2)",
    [SFN__PG_GET_MACHINE] =
        MACHINE_COLS "WHERE m.name = $1 AND r.revision = m.latest_revision",
    [SFN__PG_GET_MACHINE_REV] =
        MACHINE_COLS "WHERE m.name = $1 AND r.revision = $2::bigint",
    [SFN__PG_GET_TOKEN] = TOKEN_COLS "WHERE token = $1",
    [SFN__PG_GET_EXEC_BY_ID] =
        SFN__PG_EXEC_COLS "FROM executions WHERE id = $1::bigint",
};

/* ---- state machines ---------------------------------------------------- */

static sfn_rc fill_machine(const PGresult *r, int row, sfn_machine_rec *m,
                           sfn_error *err)
{
    m->name = sfn__pg_dup(r, row, 0);
    m->type = sfn__pg_dup(r, row, 1);
    m->definition = sfn__pg_dup(r, row, 2);
    m->revision = sfn__pg_i64(r, row, 3);
    m->created_ms = sfn__pg_i64(r, row, 4);
    m->updated_ms = sfn__pg_i64(r, row, 5);
    if (!m->name || !m->type || !m->definition) {
        sfn_machine_rec_free(m);
        return sfn__pg_oom(err);
    }
    return SFN_OK;
}

static sfn_rc pg_get_machine(sfn_store *s, const char *name, int64_t revision,
                             sfn_machine_rec *out, sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, name);
    if (revision > 0)
        sfn__pgp_i64(&p, revision);
    PGresult *r = sfn__pg_run(
        s, NULL, revision > 0 ? SFN__PG_GET_MACHINE_REV : SFN__PG_GET_MACHINE,
        &p, err, "get machine");
    if (!r)
        return err ? err->rc : SFN_EIO;
    sfn_rc rc = PQntuples(r)
                    ? fill_machine(r, 0, out, err)
                    : sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                                    "state machine '%s' does not exist",
                                    name);
    PQclear(r);
    return rc;
}

/* The body of put_machine inside its transaction. */
static sfn_rc put_machine_tx(sfn_store *s, const char *name, const char *type,
                             const char *definition, int64_t now_ms,
                             int64_t *rev, sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, name);
    /* two writers of a new machine would both see it absent */
    sfn_rc rc = sfn__pg_run_ok(
        s, "SELECT pg_advisory_xact_lock(hashtext('machine:' || $1))", &p,
        err, "lock machine");
    if (rc != SFN_OK)
        return rc;
    sfn_machine_rec cur = {0};
    *rev = 1;
    rc = pg_get_machine(s, name, 0, &cur, err);
    if (rc == SFN_OK) {
        *rev = cur.revision;
        bool same = !strcmp(cur.definition, definition) &&
                    !strcmp(cur.type, type);
        sfn_machine_rec_free(&cur);
        if (same)
            return SFN_OK;
        ++*rev;
    } else if (rc != SFN_ENOTFOUND) {
        return rc;
    }
    sfn__pgp_i64(&p, *rev);
    sfn__pgp_i64(&p, now_ms);
    rc = sfn__pg_run_ok(s,
                        *rev == 1 ? "INSERT INTO machines(name,"
                                    " latest_revision, created_ms) VALUES"
                                    " ($1, $2::bigint, $3::bigint)"
                                  : "UPDATE machines SET latest_revision ="
                                    " $2::bigint WHERE name = $1 AND"
                                    " $3::bigint = $3::bigint",
                        &p, err, "write machine");
    sfn__pgp_str(&p, type);
    sfn__pgp_str(&p, definition);
    if (rc == SFN_OK)
        rc = sfn__pg_run_ok(s,
                            "INSERT INTO machine_revisions(name, revision,"
                            " created_ms, type, definition) VALUES ($1,"
                            " $2::bigint, $3::bigint, $4, $5)",
                            &p, err, "write machine revision");
    return rc;
}

static sfn_rc pg_put_machine(sfn_store *s, const char *name, const char *type,
                             const char *definition, int64_t now_ms,
                             int64_t *revision_out, sfn_error *err)
{
    sfn_rc rc = sfn__pg_sync_begin(s, err);
    if (rc != SFN_OK)
        return rc;
    int64_t rev = 0;
    rc = put_machine_tx(s, name, type, definition, now_ms, &rev, err);
    rc = sfn__pg_sync_end(s, rc, err);
    if (rc == SFN_OK && revision_out)
        *revision_out = rev;
    return rc;
}

static sfn_rc pg_list_machines(sfn_store *s,
                               int (*cb)(const sfn_machine_rec *m, void *ud),
                               void *ud, sfn_error *err)
{
    PGresult *r = sfn__pg_run(s,
                              MACHINE_COLS
                              "WHERE r.revision = m.latest_revision"
                              " ORDER BY m.name COLLATE \"C\"",
                              0, NULL, err, "list machines");
    if (!r)
        return err ? err->rc : SFN_EIO;
    sfn_rc rc = SFN_OK;
    for (int i = 0; i < PQntuples(r) && rc == SFN_OK; i++) {
        sfn_machine_rec m = {0};
        if ((rc = fill_machine(r, i, &m, err)) != SFN_OK)
            break;
        int stop = cb(&m, ud);
        sfn_machine_rec_free(&m);
        if (stop)
            break;
    }
    PQclear(r);
    return rc;
}

static sfn_rc pg_delete_machine(sfn_store *s, const char *name,
                                sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, name);
    PGresult *r = sfn__pg_run(s, "DELETE FROM machines WHERE name = $1", 0,
                              &p, err, "delete machine");
    if (!r)
        return err ? err->rc : SFN_EIO;
    bool none = !strcmp(PQcmdTuples(r), "0");
    PQclear(r);
    if (none)
        return sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                             "state machine '%s' does not exist", name);
    return SFN_OK;
}

/* ---- execution writes -------------------------------------------------- */

/* The next execution id: taken from a block fetched ahead (4, 8, ... up
 * to 64 ids per fetch), so inserting needs no round trip of its own. */
static sfn_rc next_id(sfn_store *s, int64_t *id, sfn_error *err)
{
    struct sfn__pg *pg = s->pg;
    if (pg->id_next < pg->n_ids) {
        *id = pg->ids[pg->id_next++];
        return SFN_OK;
    }
    size_t max = sizeof pg->ids / sizeof pg->ids[0];
    pg->id_block = pg->id_block ? pg->id_block * 2 : 4;
    if (pg->id_block > max)
        pg->id_block = max;
    sfn__pgp p = {0};
    sfn__pgp_i64(&p, (int64_t)pg->id_block);
    PGresult *r = sfn__pg_run(s, NULL, SFN__PG_NEXT_IDS, &p, err,
                              "fetch execution ids");
    if (!r)
        return err ? err->rc : SFN_EIO;
    pg->n_ids = (size_t)PQntuples(r);
    for (size_t i = 0; i < pg->n_ids && i < max; i++)
        pg->ids[i] = sfn__pg_i64(r, (int)i, 0);
    PQclear(r);
    pg->id_next = 0;
    if (!pg->n_ids)
        return sfn_error_set(err, SFN_EIO, NULL, -1,
                             "fetch execution ids: no id returned "
                             "(PostgreSQL at %s)",
                             pg->where);
    *id = pg->ids[pg->id_next++];
    return SFN_OK;
}

static sfn_rc insert_exec_tx(sfn_store *s, sfn_exec_rec *r, int64_t id,
                             sfn_error *err)
{
    struct sfn__pg *pg = s->pg;
    sfn__pgp p = {0};
    sfn__pgp_i64(&p, id);
    sfn__pgp_str(&p, r->arn);
    sfn__pgp_str(&p, r->machine);
    sfn__pgp_i64(&p, r->revision);
    sfn__pgp_str(&p, r->name);
    sfn__pgp_i64(&p, r->status);
    sfn__pgp_str(&p, r->input);
    sfn__pgp_str(&p, r->output);
    sfn__pgp_str(&p, r->error);
    sfn__pgp_str(&p, r->cause);
    sfn__pgp_i64(&p, r->start_ms);
    sfn__pgp_i64(&p, r->stop_ms);
    sfn__pgp_i64(&p, r->next_event);
    sfn__pgp_i64(&p, r->wake_ms);
    sfn__pgp_str(&p, r->test_case);
    sfn__pgp_i64(&p, r->comp_status);
    sfn__pgp_i64(&p, r->redrive_count);
    sfn__pgp_i64(&p, r->redrive_ms);
    sfn__pgp_str(&p, pg->engine ? pg->node : NULL);
    sfn__pgp_i64(&p, pg->engine ? 1 : 0);
    sfn__pg_pend pend = {.kind = SFN__PEND_INSERT_EXEC, .exec_id = id,
                         .arn = r->arn, .what = "insert execution"};
    sfn_rc rc = sfn__pg_send(s, SFN__PG_INS_EXEC, &p, &pend, err);
    if (rc != SFN_OK || !pg->engine)
        return rc;
    if ((rc = sfn__pg_mark_fenced(s, id, err)) != SFN_OK)
        return rc;
    return sfn__pg_note_change(s, id, 1, r->status != SFN_STORE_RUNNING,
                               err);
}

static sfn_rc pg_insert_execution(sfn_store *s, sfn_exec_rec *r,
                                  sfn_error *err)
{
    if (!r->arn || !r->machine || !r->name || !r->input)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "insert execution: arn, machine, name and "
                             "input are required");
    int64_t id = 0;
    sfn_rc rc = next_id(s, &id, err);
    if (rc != SFN_OK)
        return rc;
    bool own = sfn__pg_auto_begin(s, err, &rc);
    if (rc == SFN_OK)
        rc = insert_exec_tx(s, r, id, err);
    rc = sfn__pg_auto_end(s, own, rc, err);
    if (rc == SFN_OK)
        r->id = id;
    return rc;
}

/* The update is batched; on an engine connection it is also the
 * execution's fence in this transaction. */
static sfn_rc update_exec_tx(sfn_store *s, const sfn_exec_rec *r,
                             sfn_error *err)
{
    struct sfn__pg *pg = s->pg;
    /* -1: not held as running, which passes the fence only for an ended
     * execution still recorded as this node's */
    int64_t epoch = -1;
    if (pg->engine)
        sfn__pg_epoch_of(s, r->id, &epoch);
    sfn_rc rc = sfn__pg_batch_update(s, r, epoch, err);
    if (rc != SFN_OK || !pg->engine)
        return rc;
    rc = sfn__pg_mark_fenced(s, r->id, err);
    if (rc == SFN_OK && epoch >= 0)
        rc = sfn__pg_note_change(s, r->id, epoch,
                                 r->status != SFN_STORE_RUNNING, err);
    return rc;
}

static sfn_rc pg_update_execution(sfn_store *s, const sfn_exec_rec *r,
                                  sfn_error *err)
{
    sfn_rc rc;
    bool own = sfn__pg_auto_begin(s, err, &rc);
    if (rc == SFN_OK)
        rc = update_exec_tx(s, r, err);
    return sfn__pg_auto_end(s, own, rc, err);
}

/* Engine connection: every write of an execution passes its fence. */
static sfn_rc fence(sfn_store *s, int64_t exec_id, sfn_error *err)
{
    if (!s->pg->engine || sfn__pg_fenced(s, exec_id))
        return SFN_OK;
    return sfn__pg_fence(s, exec_id, NULL, err);
}

static sfn_rc append_tx(sfn_store *s, int64_t exec_id,
                        const sfn_store_event *ev, size_t n, sfn_error *err)
{
    sfn_rc rc = fence(s, exec_id, err);
    int64_t epoch = 0;
    bool known = s->pg->engine && sfn__pg_epoch_of(s, exec_id, &epoch);
    for (size_t i = 0; i < n && rc == SFN_OK; i++)
        rc = sfn__pg_batch_event(s, exec_id, &ev[i], known, epoch, err);
    return rc;
}

static sfn_rc pg_append_events(sfn_store *s, int64_t exec_id,
                               const sfn_store_event *ev, size_t n,
                               sfn_error *err)
{
    sfn_rc rc;
    bool own = sfn__pg_auto_begin(s, err, &rc);
    if (rc == SFN_OK)
        rc = append_tx(s, exec_id, ev, n, err);
    return sfn__pg_auto_end(s, own, rc, err);
}

/* One fenced write of an execution's snapshot rows: a put is batched, a
 * delete follows the puts batched before it. */
static sfn_rc snap_write(sfn_store *s, int stmt, int64_t exec_id,
                         const int64_t *key, const char *data,
                         const char *what, sfn_error *err)
{
    sfn_rc rc;
    bool own = sfn__pg_auto_begin(s, err, &rc);
    if (rc == SFN_OK)
        rc = fence(s, exec_id, err);
    if (rc == SFN_OK && stmt == SFN__PG_PUT_SNAPS)
        rc = sfn__pg_batch_snap(s, exec_id, *key, data, err);
    else if (rc == SFN_OK)
        rc = sfn__pg_flush(s, false, err);
    if (rc == SFN_OK && stmt != SFN__PG_PUT_SNAPS) {
        sfn__pgp p = {0};
        sfn__pgp_i64(&p, exec_id);
        if (key)
            sfn__pgp_i64(&p, *key);
        if (data)
            sfn__pgp_str(&p, data);
        sfn__pg_pend pend = {.kind = SFN__PEND_PLAIN, .exec_id = exec_id,
                             .what = what};
        rc = sfn__pg_send(s, stmt, &p, &pend, err);
    }
    return sfn__pg_auto_end(s, own, rc, err);
}

static sfn_rc pg_put_snapshot(sfn_store *s, int64_t exec_id, int64_t key,
                              const char *data, sfn_error *err)
{
    if (!data)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "put snapshot: no data for execution %lld key "
                             "%lld",
                             (long long)exec_id, (long long)key);
    return snap_write(s, SFN__PG_PUT_SNAPS, exec_id, &key, data,
                      "put snapshot", err);
}

static sfn_rc pg_delete_snapshot(sfn_store *s, int64_t exec_id, int64_t key,
                                 sfn_error *err)
{
    return snap_write(s, SFN__PG_DEL_SNAP, exec_id, &key, NULL,
                      "delete snapshot", err);
}

static sfn_rc pg_clear_snapshots(sfn_store *s, int64_t exec_id,
                                 sfn_error *err)
{
    return snap_write(s, SFN__PG_CLEAR_SNAP, exec_id, NULL, NULL,
                      "clear snapshots", err);
}

/* ---- execution reads --------------------------------------------------- */

void sfn__pg_fill_exec(const PGresult *r, int row, sfn_exec_rec *x)
{
    x->id = sfn__pg_i64(r, row, 0);
    x->arn = sfn__pg_dup(r, row, 1);
    x->machine = sfn__pg_dup(r, row, 2);
    x->revision = sfn__pg_i64(r, row, 3);
    x->name = sfn__pg_dup(r, row, 4);
    x->status = (int)sfn__pg_i64(r, row, 5);
    x->input = sfn__pg_dup(r, row, 6);
    x->output = sfn__pg_dup(r, row, 7);
    x->error = sfn__pg_dup(r, row, 8);
    x->cause = sfn__pg_dup(r, row, 9);
    x->start_ms = sfn__pg_i64(r, row, 10);
    x->stop_ms = sfn__pg_i64(r, row, 11);
    x->next_event = sfn__pg_i64(r, row, 12);
    x->wake_ms = sfn__pg_i64(r, row, 13);
    x->test_case = sfn__pg_dup(r, row, 14);
    x->comp_status = (int)sfn__pg_i64(r, row, 15);
    x->redrive_count = sfn__pg_i64(r, row, 16);
    x->redrive_ms = sfn__pg_i64(r, row, 17);
}

sfn_rc sfn__pg_each_exec(PGresult *r, sfn__exec_cb cb, void *ud)
{
    for (int i = 0; i < PQntuples(r); i++) {
        sfn_exec_rec x = {0};
        sfn__pg_fill_exec(r, i, &x);
        int stop = cb(&x, ud);
        sfn_exec_rec_free(&x);
        if (stop)
            break;
    }
    PQclear(r);
    return SFN_OK;
}

/* One execution row by a query binding one text or id parameter. */
static sfn_rc one_exec(sfn_store *s, const char *sql, int stmt,
                       const sfn__pgp *p, sfn_exec_rec *out, sfn_error *err,
                       const char *what, bool *found)
{
    PGresult *r = sfn__pg_run(s, sql, stmt, p, err, what);
    if (!r)
        return err ? err->rc : SFN_EIO;
    *found = PQntuples(r) > 0;
    if (*found)
        sfn__pg_fill_exec(r, 0, out);
    PQclear(r);
    return SFN_OK;
}

static sfn_rc pg_get_execution(sfn_store *s, const char *arn,
                               sfn_exec_rec *out, sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, arn);
    bool found = false;
    sfn_rc rc = one_exec(s, SFN__PG_EXEC_COLS "FROM executions WHERE arn = $1",
                         0, &p, out, err, "get execution", &found);
    if (rc == SFN_OK && !found)
        rc = sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                           "Execution Does Not Exist: '%s'", arn);
    return rc;
}

static sfn_rc pg_get_execution_by_id(sfn_store *s, int64_t id,
                                     sfn_exec_rec *out, sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_i64(&p, id);
    bool found = false;
    sfn_rc rc = one_exec(s, NULL, SFN__PG_GET_EXEC_BY_ID, &p, out, err,
                         "get execution by id", &found);
    if (rc == SFN_OK && !found)
        rc = sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                           "execution with store id %lld does not exist",
                           (long long)id);
    return rc;
}

static sfn_rc pg_find_execution(sfn_store *s, const char *name,
                                char **arn_out, sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, name);
    PGresult *r = sfn__pg_run(s,
                              "SELECT arn FROM executions WHERE name = $1"
                              " ORDER BY start_ms DESC, id DESC LIMIT 1",
                              0, &p, err, "find execution");
    if (!r)
        return err ? err->rc : SFN_EIO;
    sfn_rc rc = SFN_OK;
    if (PQntuples(r))
        *arn_out = sfn__pg_dup(r, 0, 0);
    else
        rc = sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                           "Execution Does Not Exist: '%s'", name);
    PQclear(r);
    return rc;
}

static sfn_rc pg_list_due(sfn_store *s, int64_t until_ms, sfn__exec_cb cb,
                          void *ud, sfn_error *err)
{
    struct sfn__pg *pg = s->pg;
    sfn__pgp p = {0};
    sfn__pgp_i64(&p, until_ms);
    sfn__pgp_str(&p, pg->engine ? pg->node : NULL);
    PGresult *r = sfn__pg_run(s,
                              SFN__PG_EXEC_COLS
                              "FROM executions WHERE status = 0 AND"
                              " wake_ms > 0 AND wake_ms <= $1::bigint AND"
                              " ($2::text IS NULL OR owner = $2)"
                              " ORDER BY wake_ms, id",
                              0, &p, err, "list due");
    if (!r)
        return err ? err->rc : SFN_EIO;
    return sfn__pg_each_exec(r, cb, ud);
}

static int64_t pg_next_wake(sfn_store *s)
{
    struct sfn__pg *pg = s->pg;
    sfn__pgp p = {0};
    sfn__pgp_str(&p, pg->engine ? pg->node : NULL);
    PGresult *r = sfn__pg_run(s,
                              "SELECT min(wake_ms) FROM executions WHERE"
                              " status = 0 AND wake_ms > 0 AND"
                              " ($1::text IS NULL OR owner = $1)",
                              0, &p, NULL, "next wake");
    if (!r)
        return 0;
    int64_t wake = sfn__pg_i64(r, 0, 0);
    PQclear(r);
    return wake;
}

static sfn_rc pg_load_snapshots(sfn_store *s, int64_t exec_id,
                                int (*cb)(int64_t key, const char *data,
                                          void *ud),
                                void *ud, sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_i64(&p, exec_id);
    PGresult *r = sfn__pg_run(s,
                              "SELECT key, data FROM snapshots WHERE"
                              " exec = $1::bigint ORDER BY key",
                              0, &p, err, "load snapshots");
    if (!r)
        return err ? err->rc : SFN_EIO;
    for (int i = 0; i < PQntuples(r); i++)
        if (cb(sfn__pg_i64(r, i, 0), PQgetvalue(r, i, 1), ud))
            break;
    PQclear(r);
    return SFN_OK;
}

static sfn_rc pg_get_history(sfn_store *s, int64_t exec_id, int64_t after_id,
                             size_t limit, bool reverse,
                             int (*cb)(const sfn_store_event *e, void *ud),
                             void *ud, sfn_error *err)
{
    const char *sql =
        reverse ? "SELECT id, prev, ts_ms, type, details FROM events WHERE"
                  " exec = $1::bigint AND id < $2::bigint ORDER BY id DESC"
                  " LIMIT $3::bigint"
                : "SELECT id, prev, ts_ms, type, details FROM events WHERE"
                  " exec = $1::bigint AND id > $2::bigint ORDER BY id"
                  " LIMIT $3::bigint";
    sfn__pgp p = {0};
    sfn__pgp_i64(&p, exec_id);
    sfn__pgp_i64(&p, reverse && after_id == 0 ? INT64_MAX : after_id);
    if (limit)
        sfn__pgp_i64(&p, (int64_t)limit);
    else
        sfn__pgp_null(&p); /* LIMIT NULL: all */
    PGresult *r = sfn__pg_run(s, sql, 0, &p, err, "history");
    if (!r)
        return err ? err->rc : SFN_EIO;
    for (int i = 0; i < PQntuples(r); i++) {
        sfn_store_event e = {
            .id = sfn__pg_i64(r, i, 0),
            .prev = sfn__pg_i64(r, i, 1),
            .ts_ms = sfn__pg_i64(r, i, 2),
            .type = (int)sfn__pg_i64(r, i, 3),
            .details = PQgetisnull(r, i, 4) ? NULL : PQgetvalue(r, i, 4),
        };
        if (cb(&e, ud))
            break;
    }
    PQclear(r);
    return SFN_OK;
}

/* ---- task tokens ------------------------------------------------------- */

static sfn_rc pg_put_token(sfn_store *s, const sfn_token_rec *t,
                           sfn_error *err)
{
    if (!t->token)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "put token: the token is missing");
    sfn_rc rc;
    bool own = sfn__pg_auto_begin(s, err, &rc);
    if (rc == SFN_OK)
        rc = fence(s, t->exec_id, err);
    if (rc == SFN_OK) {
        sfn__pgp p = {0};
        sfn__pgp_str(&p, t->token);
        sfn__pgp_i64(&p, t->exec_id);
        sfn__pgp_i64(&p, t->strand);
        sfn__pgp_i64(&p, t->attempt);
        sfn__pgp_str(&p, t->activity);
        sfn__pgp_i64(&p, t->status);
        sfn__pgp_i64(&p, t->created_ms);
        sfn__pg_pend pend = {.kind = SFN__PEND_PLAIN, .exec_id = t->exec_id,
                             .what = "put token"};
        rc = sfn__pg_send(s, SFN__PG_PUT_TOKEN, &p, &pend, err);
    }
    return sfn__pg_auto_end(s, own, rc, err);
}

static sfn_rc pg_close_token(sfn_store *s, const char *token, int status,
                             int64_t closed_ms, sfn_error *err)
{
    sfn_rc rc;
    bool own = sfn__pg_auto_begin(s, err, &rc);
    if (rc == SFN_OK) {
        sfn__pgp p = {0};
        sfn__pgp_str(&p, token);
        sfn__pgp_i64(&p, status);
        sfn__pgp_i64(&p, closed_ms);
        sfn__pg_pend pend = {.kind = SFN__PEND_PLAIN, .what = "close token"};
        rc = sfn__pg_send(s, SFN__PG_CLOSE_TOKEN, &p, &pend, err);
    }
    return sfn__pg_auto_end(s, own, rc, err);
}

static sfn_rc pg_get_token(sfn_store *s, const char *token,
                           sfn_token_rec *t, sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, token);
    PGresult *r = sfn__pg_run(s, NULL, SFN__PG_GET_TOKEN, &p, err,
                              "get token");
    if (!r)
        return err ? err->rc : SFN_EIO;
    sfn_rc rc = SFN_OK;
    if (!PQntuples(r)) {
        rc = sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                           "task token '%.64s' does not exist", token);
    } else {
        t->token = sfn__pg_dup(r, 0, 0);
        t->exec_id = sfn__pg_i64(r, 0, 1);
        t->strand = sfn__pg_i64(r, 0, 2);
        t->attempt = sfn__pg_i64(r, 0, 3);
        t->activity = sfn__pg_dup(r, 0, 4);
        t->status = (int)sfn__pg_i64(r, 0, 5);
        t->created_ms = sfn__pg_i64(r, 0, 6);
        t->closed_ms = sfn__pg_i64(r, 0, 7);
        if (!t->token || (!t->activity && !PQgetisnull(r, 0, 4))) {
            sfn_token_rec_free(t);
            rc = sfn__pg_oom(err);
        }
    }
    PQclear(r);
    return rc;
}

/* ---- activities -------------------------------------------------------- */

static sfn_rc pg_put_activity(sfn_store *s, const char *arn, const char *name,
                              int64_t created_ms, bool *created,
                              sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, arn);
    sfn__pgp_str(&p, name);
    sfn__pgp_i64(&p, created_ms);
    PGresult *r = sfn__pg_try(s,
                              "INSERT INTO activities(arn, name, created_ms)"
                              " VALUES ($1, $2, $3::bigint)"
                              " ON CONFLICT (arn) DO NOTHING",
                              &p, err);
    if (!r)
        return err ? err->rc : SFN_EIO;
    sfn_rc rc = SFN_OK;
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    /* the name is unique too: another ARN with this name (another
     * region/account prefix) is a conflict, not a silent success */
    if (state && !strcmp(state, "23505"))
        rc = sfn_error_set(err, SFN_EINVAL, NULL, -1,
                           "an activity named '%s' already exists with "
                           "another ARN",
                           name);
    else if (PQresultStatus(r) != PGRES_COMMAND_OK)
        rc = sfn__pg_error(s, r, err, "put activity");
    else if (created)
        *created = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    return rc;
}

static sfn_rc fill_activity(const PGresult *r, int row, sfn_activity_rec *a,
                            sfn_error *err)
{
    a->arn = sfn__pg_dup(r, row, 0);
    a->name = sfn__pg_dup(r, row, 1);
    a->created_ms = sfn__pg_i64(r, row, 2);
    if (!a->arn || !a->name) {
        sfn_activity_rec_free(a);
        return sfn__pg_oom(err);
    }
    return SFN_OK;
}

static sfn_rc pg_get_activity(sfn_store *s, const char *arn,
                              sfn_activity_rec *out, sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, arn);
    PGresult *r = sfn__pg_run(s,
                              "SELECT arn, name, created_ms FROM activities"
                              " WHERE arn = $1",
                              0, &p, err, "get activity");
    if (!r)
        return err ? err->rc : SFN_EIO;
    sfn_rc rc = PQntuples(r)
                    ? fill_activity(r, 0, out, err)
                    : sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                                    "Activity Does Not Exist: '%s'", arn);
    PQclear(r);
    return rc;
}

static sfn_rc pg_list_activities(sfn_store *s, const char *after_name,
                                 size_t limit,
                                 int (*cb)(const sfn_activity_rec *a,
                                           void *ud),
                                 void *ud, sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, after_name);
    if (limit)
        sfn__pgp_i64(&p, (int64_t)limit);
    else
        sfn__pgp_null(&p);
    PGresult *r = sfn__pg_run(s,
                              "SELECT arn, name, created_ms FROM activities"
                              " WHERE $1::text IS NULL OR name COLLATE \"C\""
                              " > $1 ORDER BY name COLLATE \"C\""
                              " LIMIT $2::bigint",
                              0, &p, err, "list activities");
    if (!r)
        return err ? err->rc : SFN_EIO;
    sfn_rc rc = SFN_OK;
    for (int i = 0; i < PQntuples(r) && rc == SFN_OK; i++) {
        sfn_activity_rec a = {0};
        if ((rc = fill_activity(r, i, &a, err)) != SFN_OK)
            break;
        int stop = cb(&a, ud);
        sfn_activity_rec_free(&a);
        if (stop)
            break;
    }
    PQclear(r);
    return rc;
}

static sfn_rc pg_delete_activity(sfn_store *s, const char *arn,
                                 sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, arn);
    return sfn__pg_run_ok(s, "DELETE FROM activities WHERE arn = $1", &p, err,
                          "delete activity");
}

void sfn__pg_exec_ops(sfn__store_ops *o)
{
    o->put_machine = pg_put_machine;
    o->get_machine = pg_get_machine;
    o->list_machines = pg_list_machines;
    o->delete_machine = pg_delete_machine;
    o->insert_execution = pg_insert_execution;
    o->update_execution = pg_update_execution;
    o->append_events = pg_append_events;
    o->put_snapshot = pg_put_snapshot;
    o->delete_snapshot = pg_delete_snapshot;
    o->clear_snapshots = pg_clear_snapshots;
    o->get_execution = pg_get_execution;
    o->find_execution = pg_find_execution;
    o->list_due = pg_list_due;
    o->next_wake = pg_next_wake;
    o->load_snapshots = pg_load_snapshots;
    o->get_history = pg_get_history;
    o->put_token = pg_put_token;
    o->close_token = pg_close_token;
    o->get_token = pg_get_token;
    o->get_execution_by_id = pg_get_execution_by_id;
    o->put_activity = pg_put_activity;
    o->get_activity = pg_get_activity;
    o->list_activities = pg_list_activities;
    o->delete_activity = pg_delete_activity;
}
