/* store_pg_batch.c: the group commit's multi-row writes.  Execution
 * updates, history events and snapshot puts wait in memory as array
 * literals and reach the server as one statement per table (unnest of
 * array parameters), so a commit of hundreds of writes is a handful of
 * statements instead of one per row. */
#include "store_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rows or bytes after which a batch goes out on its own: keeps one
 * statement's parameters (and the server's memory for them) bounded. */
#define BATCH_ROWS 2000
#define BATCH_BYTES (4u << 20)

enum { UPD_COLS = 13, EV_COLS = 7, SNAP_COLS = 3 };

/* The last write of an execution in the batch wins (DISTINCT ON by
 * position), as it would running one by one; every execution sent must
 * match the fence, and the first one that does not raises SD001 naming
 * it.  $14 NULL: a connection that is no node's writes unfenced. */
const char sfn__pg_upd_execs_sql[] =
    "WITH u AS (SELECT DISTINCT ON (id) * FROM unnest($1::bigint[],"
    " $2::int[], $3::text[], $4::text[], $5::text[], $6::bigint[],"
    " $7::bigint[], $8::bigint[], $9::text[], $10::int[], $11::bigint[],"
    " $12::bigint[], $13::bigint[]) WITH ORDINALITY AS v(id, status,"
    " output, error, cause, stop_ms, next_event, wake_ms, test_case,"
    " comp_status, redrive_count, redrive_ms, epoch, ord)"
    " ORDER BY id, ord DESC),"
    " w AS (UPDATE executions x SET status = u.status, output = u.output,"
    " error = u.error, cause = u.cause, stop_ms = u.stop_ms,"
    " next_event = u.next_event, wake_ms = u.wake_ms,"
    " test_case = coalesce(u.test_case, x.test_case),"
    " comp_status = u.comp_status, redrive_count = u.redrive_count,"
    " redrive_ms = u.redrive_ms FROM u WHERE x.id = u.id AND"
    " ($14::text IS NULL OR (x.owner = $14 AND (x.epoch = u.epoch OR"
    " (u.epoch = -1 AND x.status <> 0)))) RETURNING x.id)"
    " SELECT stepd_fence(0, u.id) FROM u WHERE $14::text IS NOT NULL AND"
    " NOT EXISTS (SELECT 1 FROM w WHERE w.id = u.id)";

/* An event without a known epoch takes its execution row's. */
const char sfn__pg_ins_events_sql[] =
    "INSERT INTO events(exec, id, prev, ts_ms, type, details, epoch)"
    " SELECT v.exec, v.id, v.prev, v.ts, v.type, v.details,"
    " coalesce(v.epoch, (SELECT e.epoch FROM executions e"
    " WHERE e.id = v.exec), 0) FROM unnest($1::bigint[], $2::bigint[],"
    " $3::bigint[], $4::bigint[], $5::int[], $6::text[], $7::bigint[])"
    " AS v(exec, id, prev, ts, type, details, epoch)";

/* ON CONFLICT DO UPDATE may touch a row once per statement: the last put
 * of a key wins before the insert. */
const char sfn__pg_put_snaps_sql[] =
    "INSERT INTO snapshots(exec, key, data) SELECT exec, key, data FROM"
    " (SELECT DISTINCT ON (exec, key) exec, key, data FROM"
    " unnest($1::bigint[], $2::bigint[], $3::text[]) WITH ORDINALITY"
    " AS v(exec, key, data, ord) ORDER BY exec, key, ord DESC) d"
    " ON CONFLICT (exec, key) DO UPDATE SET data = EXCLUDED.data";

/* ---- array literals ---------------------------------------------------- */

static bool buf_room(sfn__pg_buf *b, size_t more)
{
    if (b->n + more + 2 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + more + 2)
        cap *= 2;
    char *n = realloc(b->b, cap);
    if (!n)
        return false;
    b->b = n;
    b->cap = cap;
    return true;
}

/* "{" before the first element, "," before the others. */
static bool buf_sep(sfn__pg_buf *b, size_t more)
{
    if (!buf_room(b, more + 1))
        return false;
    char sep = b->n ? ',' : '{';
    b->b[b->n++] = sep;
    return true;
}

static bool put_i64(sfn__pg_buf *b, int64_t v)
{
    if (!buf_sep(b, 24))
        return false;
    b->n += (size_t)snprintf(b->b + b->n, 24, "%lld", (long long)v);
    return true;
}

static bool put_null(sfn__pg_buf *b)
{
    if (!buf_sep(b, 4))
        return false;
    memcpy(b->b + b->n, "NULL", 4);
    b->n += 4;
    return true;
}

/* Quoted, so no text (not even "NULL" or one with braces or commas) is
 * read as anything but itself; only '"' and '\' need a backslash. */
static bool put_str(sfn__pg_buf *b, const char *s)
{
    if (!s)
        return put_null(b);
    size_t len = strlen(s);
    if (!buf_sep(b, len * 2 + 2))
        return false;
    b->b[b->n++] = '"';
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            b->b[b->n++] = '\\';
        b->b[b->n++] = *p;
    }
    b->b[b->n++] = '"';
    return true;
}

/* Ends the literal; the buffer is reused (emptied) after the send. */
static const char *buf_close(sfn__pg_buf *b)
{
    if (!b->n)
        return "{}";
    b->b[b->n++] = '}';
    b->b[b->n] = '\0';
    return b->b;
}

static size_t batch_bytes(const sfn__pg_batch *bt, int ncols)
{
    size_t n = 0;
    for (int i = 0; i < ncols; i++)
        n += bt->col[i].n;
    return n;
}

static void batch_clear(sfn__pg_batch *bt)
{
    for (int i = 0; i < SFN__PG_BATCH_COLS; i++)
        bt->col[i].n = 0;
    bt->rows = 0;
}

/* ---- sending ----------------------------------------------------------- */

static sfn_rc send_batch(sfn_store *s, sfn__pg_batch *bt, int stmt,
                         int ncols, const char *what, sfn_error *err)
{
    if (!bt->rows)
        return SFN_OK;
    struct sfn__pg *pg = s->pg;
    sfn__pgp p = {0};
    for (int i = 0; i < ncols; i++)
        sfn__pgp_str(&p, buf_close(&bt->col[i]));
    if (stmt == SFN__PG_UPD_EXECS)
        sfn__pgp_str(&p, pg->engine ? pg->node : NULL);
    sfn__pg_pend pend = {.kind = stmt == SFN__PG_UPD_EXECS ? SFN__PEND_FENCE
                                                            : SFN__PEND_PLAIN,
                         .what = what};
    sfn_rc rc = sfn__pg_send(s, stmt, &p, &pend, err);
    batch_clear(bt);
    return rc;
}

static sfn_rc send_upd(sfn_store *s, sfn_error *err)
{
    return send_batch(s, &s->pg->upd, SFN__PG_UPD_EXECS, UPD_COLS,
                      "update executions", err);
}

static sfn_rc send_ev(sfn_store *s, sfn_error *err)
{
    return send_batch(s, &s->pg->ev, SFN__PG_INS_EVENTS, EV_COLS,
                      "append events", err);
}

static sfn_rc send_snap(sfn_store *s, sfn_error *err)
{
    return send_batch(s, &s->pg->snap, SFN__PG_PUT_SNAPS, SNAP_COLS,
                      "put snapshots", err);
}

sfn_rc sfn__pg_flush(sfn_store *s, bool all, sfn_error *err)
{
    sfn_rc rc = all ? send_upd(s, err) : SFN_OK;
    if (rc == SFN_OK && all)
        rc = send_ev(s, err);
    if (rc == SFN_OK)
        rc = send_snap(s, err);
    return rc;
}

/* A row that did not fit in memory fails the transaction like a write
 * the server refused. */
static sfn_rc row_added(sfn_store *s, sfn__pg_batch *bt, bool ok, int ncols,
                        sfn_rc (*send)(sfn_store *, sfn_error *),
                        sfn_error *err)
{
    if (!ok) {
        sfn_rc rc = sfn__pg_oom(err);
        if (!s->pg->tx_rc) {
            s->pg->tx_rc = rc;
            if (err)
                s->pg->tx_err = *err;
        }
        return rc;
    }
    bt->rows++;
    if (bt->rows >= BATCH_ROWS || batch_bytes(bt, ncols) >= BATCH_BYTES)
        return send(s, err);
    return SFN_OK;
}

/* A transaction that already failed takes no more rows. */
static sfn_rc tx_failed(const struct sfn__pg *pg, sfn_error *err)
{
    if (pg->tx_rc != SFN_OK && err)
        *err = pg->tx_err;
    return pg->tx_rc;
}

static sfn_rc note_arn(struct sfn__pg *pg, int64_t id, const char *arn)
{
    if (!arn || sfn__pg_arn_of(pg, id))
        return SFN_OK;
    if (pg->n_arns == pg->cap_arns) {
        size_t cap = pg->cap_arns ? pg->cap_arns * 2 : 64;
        sfn__pg_arn *n = realloc(pg->arns, cap * sizeof *n);
        if (!n)
            return SFN_ENOMEM;
        pg->arns = n;
        pg->cap_arns = cap;
    }
    char *copy = strdup(arn);
    if (!copy)
        return SFN_ENOMEM;
    pg->arns[pg->n_arns++] = (sfn__pg_arn){id, copy};
    return SFN_OK;
}

sfn_rc sfn__pg_batch_update(sfn_store *s, const sfn_exec_rec *r,
                            int64_t epoch, sfn_error *err)
{
    struct sfn__pg *pg = s->pg;
    if (tx_failed(pg, err) != SFN_OK)
        return pg->tx_rc;
    sfn__pg_buf *c = pg->upd.col;
    bool ok = note_arn(pg, r->id, r->arn) == SFN_OK && put_i64(&c[0], r->id) &&
              put_i64(&c[1], r->status) && put_str(&c[2], r->output) &&
              put_str(&c[3], r->error) && put_str(&c[4], r->cause) &&
              put_i64(&c[5], r->stop_ms) && put_i64(&c[6], r->next_event) &&
              put_i64(&c[7], r->wake_ms) && put_str(&c[8], r->test_case) &&
              put_i64(&c[9], r->comp_status) &&
              put_i64(&c[10], r->redrive_count) &&
              put_i64(&c[11], r->redrive_ms) && put_i64(&c[12], epoch);
    return row_added(s, &pg->upd, ok, UPD_COLS, send_upd, err);
}

sfn_rc sfn__pg_batch_event(sfn_store *s, int64_t exec_id,
                           const sfn_store_event *e, bool epoch_known,
                           int64_t epoch, sfn_error *err)
{
    struct sfn__pg *pg = s->pg;
    if (tx_failed(pg, err) != SFN_OK)
        return pg->tx_rc;
    sfn__pg_buf *c = pg->ev.col;
    bool ok = put_i64(&c[0], exec_id) && put_i64(&c[1], e->id) &&
              put_i64(&c[2], e->prev) && put_i64(&c[3], e->ts_ms) &&
              put_i64(&c[4], e->type) && put_str(&c[5], e->details) &&
              (epoch_known ? put_i64(&c[6], epoch) : put_null(&c[6]));
    return row_added(s, &pg->ev, ok, EV_COLS, send_ev, err);
}

sfn_rc sfn__pg_batch_snap(sfn_store *s, int64_t exec_id, int64_t key,
                          const char *data, sfn_error *err)
{
    struct sfn__pg *pg = s->pg;
    if (tx_failed(pg, err) != SFN_OK)
        return pg->tx_rc;
    sfn__pg_buf *c = pg->snap.col;
    bool ok = put_i64(&c[0], exec_id) && put_i64(&c[1], key) &&
              put_str(&c[2], data);
    return row_added(s, &pg->snap, ok, SNAP_COLS, send_snap, err);
}

const char *sfn__pg_arn_of(const struct sfn__pg *pg, int64_t id)
{
    for (size_t i = pg->n_arns; i-- > 0;)
        if (pg->arns[i].id == id)
            return pg->arns[i].arn;
    return NULL;
}

void sfn__pg_batch_reset(struct sfn__pg *pg)
{
    batch_clear(&pg->upd);
    batch_clear(&pg->ev);
    batch_clear(&pg->snap);
    for (size_t i = 0; i < pg->n_arns; i++)
        free(pg->arns[i].arn);
    pg->n_arns = 0;
}

void sfn__pg_batch_free(struct sfn__pg *pg)
{
    sfn__pg_batch_reset(pg);
    sfn__pg_batch *all[] = {&pg->upd, &pg->ev, &pg->snap};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        for (int i = 0; i < SFN__PG_BATCH_COLS; i++) {
            free(all[k]->col[i].b);
            all[k]->col[i] = (sfn__pg_buf){0};
        }
    free(pg->arns);
    pg->arns = NULL;
    pg->cap_arns = 0;
}
