/* store_pg_cluster.c: what several nodes sharing one PostgreSQL database
 * need: node leases in the database's clock, execution leases (owner and
 * epoch, raised by every claim and checked by every write), the lease log,
 * calls between nodes with LISTEN/NOTIFY, and the shared activity queue. */
#include "store_pg.h"

#include <stdlib.h>
#include <string.h>

/* ---- the map of held leases ------------------------------------------- */

static size_t slot_of(const sfn__pg_map *m, int64_t id)
{
    uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ULL;
    return (size_t)(h >> 17) & (m->cap - 1);
}

bool sfn__pg_map_get(const sfn__pg_map *m, int64_t id, int64_t *epoch)
{
    if (!m->cap)
        return false;
    for (size_t i = slot_of(m, id); m->used[i]; i = (i + 1) & (m->cap - 1))
        if (m->keys[i] == id) {
            if (epoch)
                *epoch = m->vals[i];
            return true;
        }
    return false;
}

static sfn_rc map_grow(sfn__pg_map *m)
{
    sfn__pg_map n = {.cap = m->cap ? m->cap * 2 : 64};
    n.keys = malloc(n.cap * sizeof *n.keys);
    n.vals = malloc(n.cap * sizeof *n.vals);
    n.used = calloc(n.cap, 1);
    if (!n.keys || !n.vals || !n.used) {
        sfn__pg_map_free(&n);
        return SFN_ENOMEM;
    }
    for (size_t i = 0; i < m->cap; i++)
        if (m->used[i])
            sfn__pg_map_put(&n, m->keys[i], m->vals[i]);
    sfn__pg_map_free(m);
    *m = n;
    return SFN_OK;
}

sfn_rc sfn__pg_map_put(sfn__pg_map *m, int64_t id, int64_t epoch)
{
    if ((m->n + 1) * 2 > m->cap && map_grow(m) != SFN_OK)
        return SFN_ENOMEM;
    size_t i = slot_of(m, id);
    while (m->used[i] && m->keys[i] != id)
        i = (i + 1) & (m->cap - 1);
    if (!m->used[i])
        m->n++;
    m->used[i] = 1;
    m->keys[i] = id;
    m->vals[i] = epoch;
    return SFN_OK;
}

void sfn__pg_map_del(sfn__pg_map *m, int64_t id)
{
    if (!m->cap)
        return;
    size_t i = slot_of(m, id);
    while (m->used[i] && m->keys[i] != id)
        i = (i + 1) & (m->cap - 1);
    if (!m->used[i])
        return;
    m->used[i] = 0;
    m->n--;
    /* backward shift: re-place the rest of the probe run */
    for (size_t j = (i + 1) & (m->cap - 1); m->used[j];
         j = (j + 1) & (m->cap - 1)) {
        int64_t k = m->keys[j], v = m->vals[j];
        m->used[j] = 0;
        m->n--;
        sfn__pg_map_put(m, k, v);
    }
}

void sfn__pg_map_free(sfn__pg_map *m)
{
    free(m->keys);
    free(m->vals);
    free(m->used);
    memset(m, 0, sizeof *m);
}

bool sfn__pg_epoch_of(const sfn_store *s, int64_t id, int64_t *epoch)
{
    const struct sfn__pg *pg = s->pg;
    for (size_t i = pg->n_chg; i-- > 0;)
        if (pg->chg[i].id == id) {
            *epoch = pg->chg[i].epoch;
            return true;
        }
    return sfn__pg_map_get(&pg->held, id, epoch);
}

sfn_rc sfn__pg_note_change(sfn_store *s, int64_t id, int64_t epoch,
                           bool drop, sfn_error *err)
{
    struct sfn__pg *pg = s->pg;
    if (pg->n_chg == pg->cap_chg) {
        size_t cap = pg->cap_chg ? pg->cap_chg * 2 : 64;
        sfn__pg_change *n = realloc(pg->chg, cap * sizeof *n);
        if (!n)
            return sfn__pg_oom(err);
        pg->chg = n;
        pg->cap_chg = cap;
    }
    pg->chg[pg->n_chg++] = (sfn__pg_change){id, epoch, drop};
    return SFN_OK;
}

bool sfn__pg_fenced(const sfn_store *s, int64_t id)
{
    for (size_t i = 0; i < s->pg->n_fenced; i++)
        if (s->pg->fenced[i] == id)
            return true;
    return false;
}

sfn_rc sfn__pg_mark_fenced(sfn_store *s, int64_t id, sfn_error *err)
{
    struct sfn__pg *pg = s->pg;
    if (sfn__pg_fenced(s, id))
        return SFN_OK;
    if (pg->n_fenced == pg->cap_fenced) {
        size_t cap = pg->cap_fenced ? pg->cap_fenced * 2 : 64;
        int64_t *n = realloc(pg->fenced, cap * sizeof *n);
        if (!n)
            return sfn__pg_oom(err);
        pg->fenced = n;
        pg->cap_fenced = cap;
    }
    pg->fenced[pg->n_fenced++] = id;
    return SFN_OK;
}

sfn_rc sfn__pg_fence(sfn_store *s, int64_t id, const char *arn,
                     sfn_error *err)
{
    int64_t epoch = -1;
    sfn__pg_epoch_of(s, id, &epoch);
    sfn__pgp p = {0};
    sfn__pgp_i64(&p, id);
    sfn__pgp_str(&p, s->pg->node);
    sfn__pgp_i64(&p, epoch);
    sfn__pg_pend pend = {.kind = SFN__PEND_FENCE, .exec_id = id, .arn =
                         (char *)arn, .what = "lease check"};
    sfn_rc rc = sfn__pg_send(s, SFN__PG_FENCE, &p, &pend, err);
    return rc == SFN_OK ? sfn__pg_mark_fenced(s, id, err) : rc;
}

/* ---- nodes ------------------------------------------------------------- */

sfn_rc sfn__pg_register_node(sfn_store *s, sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, s->pg->node);
    sfn__pgp_i64(&p, s->pg->lease_ms);
    return sfn__pg_run_ok(
        s,
        "INSERT INTO nodes(id, started_ms, expires_ms, renewed_ms)"
        " SELECT $1, t, t + $2::bigint, t FROM stepd_now() t"
        " ON CONFLICT (id) DO UPDATE SET started_ms = EXCLUDED.started_ms,"
        " expires_ms = EXCLUDED.expires_ms, renewed_ms = EXCLUDED.renewed_ms",
        &p, err, "register node");
}

/* Leases live in the engine connection's memory; messages only need to
 * know which node they are for (a connection of its own may serve them:
 * opened with sfn_store_opts.node_id and without .engine). */
static sfn_rc need_node(sfn_store *s, sfn_error *err, const char *what,
                        bool engine)
{
    if (engine && !s->pg->engine)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "%s needs the engine connection of a node "
                             "(sfn_store_opts.engine)",
                             what);
    if (!s->pg->node[0])
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "%s needs a node id: open the connection with "
                             "sfn_store_opts.node_id (or .engine)",
                             what);
    return sfn__pg_no_tx(s, err, what);
}

static bool pg_shared(const sfn_store *s)
{
    (void)s;
    return true;
}

static const char *pg_node_id(const sfn_store *s)
{
    return s->pg->node[0] ? s->pg->node : NULL;
}

static sfn_rc pg_renew_lease(sfn_store *s, sfn_error *err)
{
    sfn_rc rc = need_node(s, err, "renew lease", true);
    if (rc != SFN_OK)
        return rc;
    sfn__pgp p = {0};
    sfn__pgp_str(&p, s->pg->node);
    sfn__pgp_i64(&p, s->pg->lease_ms);
    PGresult *r = sfn__pg_run(s,
                              "UPDATE nodes SET expires_ms = t +"
                              " $2::bigint, renewed_ms = t FROM stepd_now() t"
                              " WHERE id = $1",
                              0, &p, err, "renew lease");
    if (!r)
        return err ? err->rc : SFN_EIO;
    bool gone = !strcmp(PQcmdTuples(r), "0");
    PQclear(r);
    /* another node may have removed the row of a long-dead node */
    return gone ? sfn__pg_register_node(s, err) : SFN_OK;
}

/* ---- claims ------------------------------------------------------------ */

/* One statement: lock the claimable rows (skipping those another claimer
 * holds), raise their epoch, log each claim, return the rows with the new
 * epoch and the previous owner.  $2 = this node when its own rows count
 * (recovery at start). */
static const char CLAIM_SQL[] =
    "WITH c AS (SELECT e.id, e.owner AS prev FROM executions e"
    " LEFT JOIN nodes n ON n.id = e.owner"
    " WHERE e.status = 0 AND (e.owner IS NULL OR n.id IS NULL OR"
    " n.expires_ms < stepd_now() OR e.owner = $2::text)"
    " ORDER BY e.id LIMIT $3::bigint FOR UPDATE OF e SKIP LOCKED),"
    " u AS (UPDATE executions x SET owner = $1, epoch = x.epoch + 1"
    " FROM c WHERE x.id = c.id RETURNING x.*, c.prev),"
    " l AS (INSERT INTO lease_log(exec_id, epoch, node, prev_node, at_ms)"
    " SELECT id, epoch, $1, prev, stepd_now() FROM u)"
    " SELECT id, arn, machine, revision, name, status, input, output,"
    " error, cause, start_ms, stop_ms, next_event, wake_ms, test_case,"
    " comp_status, redrive_count, redrive_ms, epoch, prev FROM u"
    " ORDER BY id";

static sfn_rc remember_claims(sfn_store *s, const PGresult *r, sfn_error *err)
{
    struct sfn__pg *pg = s->pg;
    for (int i = 0; i < PQntuples(r); i++) {
        int64_t id = sfn__pg_i64(r, i, 0);
        if (sfn__pg_map_put(&pg->held, id, sfn__pg_i64(r, i, 18)) != SFN_OK)
            return sfn__pg_oom(err);
        pg->stats.claims++;
        const char *prev = PQgetisnull(r, i, 19) ? NULL : PQgetvalue(r, i, 19);
        if (prev && strcmp(prev, pg->node))
            pg->stats.takeovers++;
    }
    return SFN_OK;
}

static sfn_rc claim(sfn_store *s, size_t max, bool own_too, sfn__exec_cb cb,
                    void *ud, size_t *n_out, sfn_error *err)
{
    sfn_rc rc = need_node(s, err, "claim", true);
    if (rc != SFN_OK)
        return rc;
    sfn__pgp p = {0};
    sfn__pgp_str(&p, s->pg->node);
    sfn__pgp_str(&p, own_too ? s->pg->node : NULL);
    if (max)
        sfn__pgp_i64(&p, (int64_t)max);
    else
        sfn__pgp_null(&p);
    PGresult *r = sfn__pg_run(s, CLAIM_SQL, 0, &p, err, "claim executions");
    if (!r)
        return err ? err->rc : SFN_EIO;
    rc = remember_claims(s, r, err);
    if (n_out)
        *n_out = (size_t)PQntuples(r);
    if (rc != SFN_OK || !cb) {
        PQclear(r);
        return rc;
    }
    return sfn__pg_each_exec(r, cb, ud);
}

static sfn_rc pg_claim(sfn_store *s, size_t max, sfn__exec_cb cb, void *ud,
                       size_t *n_out, sfn_error *err)
{
    return claim(s, max, false, cb, ud, n_out, err);
}

static sfn_rc pg_list_running(sfn_store *s, sfn__exec_cb cb, void *ud,
                              sfn_error *err)
{
    if (s->pg->engine)
        return claim(s, 0, true, cb, ud, NULL, err);
    PGresult *r = sfn__pg_run(s,
                              SFN__PG_EXEC_COLS
                              "FROM executions WHERE status = 0 ORDER BY id",
                              0, NULL, err, "list running");
    if (!r)
        return err ? err->rc : SFN_EIO;
    return sfn__pg_each_exec(r, cb, ud);
}

static bool pg_owns(const sfn_store *s, int64_t exec_id)
{
    /* a connection that is no node's writes unfenced */
    if (!s->pg->engine)
        return true;
    int64_t epoch;
    return sfn__pg_epoch_of(s, exec_id, &epoch);
}

static bool still_held(const PGresult *r, int64_t id, const char *node,
                       int64_t epoch)
{
    for (int i = 0; i < PQntuples(r); i++)
        if (sfn__pg_i64(r, i, 0) == id)
            return !PQgetisnull(r, i, 1) && !strcmp(PQgetvalue(r, i, 1), node)
                   && sfn__pg_i64(r, i, 2) == epoch;
    return false;
}

/* "{1,2,3}": the ids as one array parameter, so the check is one query. */
static char *id_array(const int64_t *ids, size_t n)
{
    char *out = malloc(n * 21 + 3);
    if (!out)
        return NULL;
    size_t len = 0;
    out[len++] = '{';
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(out + len, i ? ",%lld" : "%lld",
                               (long long)ids[i]);
    out[len++] = '}';
    out[len] = '\0';
    return out;
}

static sfn_rc pg_check_leases(sfn_store *s, const int64_t *ids, size_t n,
                              void (*lost)(void *ud, int64_t id), void *ud,
                              sfn_error *err)
{
    struct sfn__pg *pg = s->pg;
    if (!pg->engine || !n)
        return SFN_OK;
    char *arr = id_array(ids, n);
    if (!arr)
        return sfn__pg_oom(err);
    sfn__pgp p = {0};
    sfn__pgp_str(&p, arr);
    PGresult *r = sfn__pg_run(s,
                              "SELECT id, owner, epoch FROM executions"
                              " WHERE id = ANY($1::bigint[])",
                              0, &p, err, "check leases");
    free(arr);
    if (!r)
        return err ? err->rc : SFN_EIO;
    for (size_t i = 0; i < n; i++) {
        int64_t epoch = 0;
        bool held = sfn__pg_map_get(&pg->held, ids[i], &epoch);
        if (held && still_held(r, ids[i], pg->node, epoch))
            continue;
        if (held) {
            sfn__pg_map_del(&pg->held, ids[i]);
            pg->stats.lost++;
        }
        if (lost)
            lost(ud, ids[i]);
    }
    PQclear(r);
    return SFN_OK;
}

static const char ADOPT_SQL[] =
    "WITH c AS (SELECT id, owner AS prev FROM executions"
    " WHERE id = $2::bigint AND status <> 0 FOR UPDATE),"
    " u AS (UPDATE executions x SET owner = $1, epoch = x.epoch + 1"
    " FROM c WHERE x.id = c.id RETURNING x.id, x.epoch, c.prev),"
    " l AS (INSERT INTO lease_log(exec_id, epoch, node, prev_node, at_ms)"
    " SELECT id, epoch, $1, prev, stepd_now() FROM u)"
    " SELECT u.epoch, true FROM u UNION ALL"
    " SELECT NULL, false FROM executions WHERE id = $2::bigint AND"
    " status = 0";

static sfn_rc pg_adopt(sfn_store *s, int64_t exec_id, sfn_error *err)
{
    struct sfn__pg *pg = s->pg;
    if (!pg->engine)
        return SFN_OK;
    sfn__pgp p = {0};
    sfn__pgp_str(&p, pg->node);
    sfn__pgp_i64(&p, exec_id);
    PGresult *r = sfn__pg_run(s, ADOPT_SQL, 0, &p, err, "adopt execution");
    if (!r)
        return err ? err->rc : SFN_EIO;
    sfn_rc rc = SFN_OK;
    if (!PQntuples(r))
        rc = sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                           "execution with store id %lld does not exist",
                           (long long)exec_id);
    else if (PQgetvalue(r, 0, 1)[0] != 't')
        rc = sfn_error_set(err, SFN_EINVAL, NULL, -1,
                           "execution %lld is running: it has an owner and "
                           "cannot be adopted",
                           (long long)exec_id);
    int64_t epoch = rc == SFN_OK ? sfn__pg_i64(r, 0, 0) : 0;
    PQclear(r);
    if (rc != SFN_OK)
        return rc;
    pg->stats.claims++;
    /* inside a transaction the lease counts from its commit */
    if (pg->in_tx)
        return sfn__pg_note_change(s, exec_id, epoch, false, err);
    return sfn__pg_map_put(&pg->held, exec_id, epoch) == SFN_OK
               ? SFN_OK
               : sfn__pg_oom(err);
}

static sfn_rc pg_exec_owner(sfn_store *s, int64_t exec_id, char **node,
                            bool *alive, sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_i64(&p, exec_id);
    PGresult *r = sfn__pg_run(s,
                              "SELECT CASE WHEN e.status = 0 THEN e.owner"
                              " END, e.status = 0 AND n.expires_ms >="
                              " stepd_now() FROM executions e LEFT JOIN nodes"
                              " n ON n.id = e.owner WHERE e.id = $1::bigint",
                              0, &p, err, "execution owner");
    if (!r)
        return err ? err->rc : SFN_EIO;
    sfn_rc rc = SFN_OK;
    if (!PQntuples(r)) {
        rc = sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                           "execution with store id %lld does not exist",
                           (long long)exec_id);
    } else {
        *node = sfn__pg_dup(r, 0, 0);
        *alive = PQgetvalue(r, 0, 1)[0] == 't';
        if (!*node && !PQgetisnull(r, 0, 0))
            rc = sfn__pg_oom(err);
    }
    PQclear(r);
    return rc;
}

static sfn_store_lease_stats pg_get_lease_stats(const sfn_store *s)
{
    sfn_store_lease_stats st = s->pg->stats;
    st.held = (int64_t)s->pg->held.n;
    return st;
}

static sfn_rc pg_list_nodes(sfn_store *s,
                            int (*cb)(const char *id, int64_t expires_ms,
                                      bool alive, void *ud),
                            void *ud, sfn_error *err)
{
    PGresult *r = sfn__pg_run(s,
                              "SELECT id, expires_ms, expires_ms >="
                              " stepd_now() FROM nodes"
                              " ORDER BY id COLLATE \"C\"",
                              0, NULL, err, "list nodes");
    if (!r)
        return err ? err->rc : SFN_EIO;
    for (int i = 0; i < PQntuples(r); i++)
        if (cb(PQgetvalue(r, i, 0), sfn__pg_i64(r, i, 1),
               PQgetvalue(r, i, 2)[0] == 't', ud))
            break;
    PQclear(r);
    return SFN_OK;
}

/* ---- calls between nodes ----------------------------------------------- */

static sfn_rc pg_post_msg(sfn_store *s, const char *to_node, int64_t exec_id,
                          int kind, const char *body, int64_t *id_out,
                          sfn_error *err)
{
    sfn_rc rc = sfn__pg_no_tx(s, err, "post message");
    if (rc != SFN_OK)
        return rc;
    if (!to_node || !*to_node)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "post message: no destination node");
    sfn__pgp p = {0};
    sfn__pgp_str(&p, to_node);
    sfn__pgp_str(&p, s->pg->node[0] ? s->pg->node : NULL);
    sfn__pgp_i64(&p, exec_id);
    sfn__pgp_i64(&p, kind);
    sfn__pgp_str(&p, body);
    PGresult *r = sfn__pg_run(
        s,
        "WITH m AS (INSERT INTO node_msgs(to_node, from_node, exec_id, kind,"
        " body, created_ms) VALUES ($1, $2, $3::bigint, $4::int, $5,"
        " stepd_now()) RETURNING id)"
        " SELECT id, pg_notify('stepd_n_' || $1, id::text) FROM m",
        0, &p, err, "post message");
    if (!r)
        return err ? err->rc : SFN_EIO;
    if (id_out)
        *id_out = sfn__pg_i64(r, 0, 0);
    PQclear(r);
    return SFN_OK;
}

/* Calls for this node, and calls for a node whose lease expired about an
 * execution this node now owns; each taken once (SKIP LOCKED). */
static const char TAKE_SQL[] =
    "WITH t AS (UPDATE node_msgs SET taken = true WHERE id IN ("
    " SELECT m.id FROM node_msgs m WHERE NOT m.taken AND (m.to_node = $1"
    " OR (NOT EXISTS (SELECT 1 FROM nodes n WHERE n.id = m.to_node AND"
    " n.expires_ms >= stepd_now()) AND EXISTS (SELECT 1 FROM executions e"
    " WHERE e.id = m.exec_id AND e.owner = $1 AND e.status = 0)))"
    " FOR UPDATE SKIP LOCKED) RETURNING id, exec_id, kind, from_node, body)"
    " SELECT id, exec_id, kind, from_node, body FROM t ORDER BY id";

static sfn_rc pg_take_msgs(sfn_store *s,
                           int (*cb)(const sfn_store_msg *m, void *ud),
                           void *ud, sfn_error *err)
{
    sfn_rc rc = need_node(s, err, "take messages", false);
    if (rc != SFN_OK)
        return rc;
    sfn__pgp p = {0};
    sfn__pgp_str(&p, s->pg->node);
    PGresult *r = sfn__pg_run(s, TAKE_SQL, 0, &p, err, "take messages");
    if (!r)
        return err ? err->rc : SFN_EIO;
    for (int i = 0; i < PQntuples(r); i++) {
        sfn_store_msg m = {
            .id = sfn__pg_i64(r, i, 0),
            .exec_id = sfn__pg_i64(r, i, 1),
            .kind = (int)sfn__pg_i64(r, i, 2),
            .from_node = PQgetisnull(r, i, 3) ? NULL : PQgetvalue(r, i, 3),
            .body = PQgetisnull(r, i, 4) ? NULL : PQgetvalue(r, i, 4),
        };
        if (cb(&m, ud))
            break;
    }
    PQclear(r);
    return SFN_OK;
}

static sfn_rc pg_answer_msg(sfn_store *s, int64_t id, const char *answer,
                            sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_i64(&p, id);
    sfn__pgp_str(&p, answer ? answer : "");
    PGresult *r = sfn__pg_run(
        s,
        "WITH a AS (UPDATE node_msgs SET answer = $2, answered = true,"
        " taken = true WHERE id = $1::bigint RETURNING id, from_node)"
        " SELECT a.id FROM a LEFT JOIN LATERAL (SELECT pg_notify('stepd_r_'"
        " || a.from_node, a.id::text) WHERE a.from_node IS NOT NULL) x"
        " ON true",
        0, &p, err, "answer message");
    if (!r)
        return err ? err->rc : SFN_EIO;
    bool none = PQntuples(r) == 0;
    PQclear(r);
    if (none)
        return sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                             "message %lld does not exist", (long long)id);
    return SFN_OK;
}

static sfn_rc pg_get_answer(sfn_store *s, int64_t id, char **answer,
                            sfn_error *err)
{
    *answer = NULL;
    sfn__pgp p = {0};
    sfn__pgp_i64(&p, id);
    /* the main query sees the row as it was before the delete */
    PGresult *r = sfn__pg_run(
        s,
        "WITH d AS (DELETE FROM node_msgs WHERE id = $1::bigint AND answered"
        " RETURNING answer) SELECT (SELECT count(*) FROM d),"
        " (SELECT answer FROM d), EXISTS (SELECT 1 FROM node_msgs"
        " WHERE id = $1::bigint)",
        0, &p, err, "get answer");
    if (!r)
        return err ? err->rc : SFN_EIO;
    sfn_rc rc = SFN_OK;
    if (sfn__pg_i64(r, 0, 0) > 0) {
        *answer = strdup(PQgetisnull(r, 0, 1) ? "" : PQgetvalue(r, 0, 1));
        if (!*answer)
            rc = sfn__pg_oom(err);
    } else if (PQgetvalue(r, 0, 2)[0] != 't') {
        rc = sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                           "message %lld does not exist", (long long)id);
    }
    PQclear(r);
    return rc;
}

/* ---- notifications ----------------------------------------------------- */

static sfn_rc pg_listen(sfn_store *s, const char *channel, sfn_error *err)
{
    sfn_rc rc = sfn__pg_no_tx(s, err, "listen");
    return rc == SFN_OK ? sfn__pg_listen(s, channel, err) : rc;
}

/* A lost connection is remade here too: a caller polls this socket
 * before it asks for notifications, and the old one is closed.  -1 while
 * the server is unreachable (sfn_store_notifications then says why). */
static int pg_notify_fd(sfn_store *s)
{
    if (!s->pg->in_tx)
        sfn__pg_ready(s, NULL);
    return PQsocket(s->pg->conn);
}

static sfn_rc pg_notifications(sfn_store *s,
                               void (*cb)(const char *channel,
                                          const char *payload, void *ud),
                               void *ud, sfn_error *err)
{
    sfn_rc rc = s->pg->in_tx ? SFN_OK : sfn__pg_ready(s, err);
    if (rc != SFN_OK)
        return rc;
    /* a terminated session's FATAL message and the end of its stream may
     * come in two reads: the second read (at once: the socket does not
     * block) finds the end now rather than after the next poll */
    if (!PQconsumeInput(s->pg->conn) || !PQconsumeInput(s->pg->conn))
        return sfn__pg_error(s, NULL, err, "read notifications");
    PGnotify *n;
    while ((n = PQnotifies(s->pg->conn))) {
        cb(n->relname, n->extra, ud);
        PQfreemem(n);
    }
    return SFN_OK;
}

/* A queued write inside a transaction, its own transaction outside. */
static sfn_rc queued_write(sfn_store *s, int stmt, const sfn__pgp *p,
                           const char *what, sfn_error *err)
{
    sfn_rc rc;
    bool own = sfn__pg_auto_begin(s, err, &rc);
    if (rc == SFN_OK) {
        sfn__pg_pend pend = {.kind = SFN__PEND_PLAIN, .what = what};
        rc = sfn__pg_send(s, stmt, p, &pend, err);
    }
    return sfn__pg_auto_end(s, own, rc, err);
}

static sfn_rc pg_notify(sfn_store *s, const char *channel,
                        const char *payload, sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, channel);
    sfn__pgp_str(&p, payload ? payload : "");
    return queued_write(s, SFN__PG_NOTIFY, &p, "notify", err);
}

/* ---- the shared activity queue ----------------------------------------- */

static sfn_rc pg_push_activity(sfn_store *s, const char *token,
                               const char *activity_arn, int64_t exec_id,
                               const char *input, int64_t now_ms,
                               sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, token);
    sfn__pgp_str(&p, activity_arn);
    sfn__pgp_i64(&p, exec_id);
    sfn__pgp_str(&p, input);
    sfn__pgp_i64(&p, now_ms);
    return queued_write(s, SFN__PG_PUSH_ACT, &p, "push activity task", err);
}

static sfn_rc pg_pop_activity(sfn_store *s, const char *activity_arn,
                              char **token, char **input, int64_t *exec_id,
                              sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, activity_arn);
    PGresult *r = sfn__pg_run(
        s,
        "DELETE FROM activity_queue WHERE token = (SELECT token FROM"
        " activity_queue WHERE activity = $1 ORDER BY created_ms, token"
        " FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING token, input, exec_id",
        0, &p, err, "pop activity task");
    if (!r)
        return err ? err->rc : SFN_EIO;
    sfn_rc rc = SFN_OK;
    if (!PQntuples(r)) {
        rc = sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                           "no task queued for activity '%s'", activity_arn);
    } else {
        *token = sfn__pg_dup(r, 0, 0);
        *input = sfn__pg_dup(r, 0, 1);
        *exec_id = sfn__pg_i64(r, 0, 2);
        if (!*token) {
            free(*input);
            *input = NULL;
            rc = sfn__pg_oom(err);
        }
    }
    PQclear(r);
    return rc;
}

static sfn_rc pg_drop_activity(sfn_store *s, const char *token,
                               sfn_error *err)
{
    sfn__pgp p = {0};
    sfn__pgp_str(&p, token);
    return queued_write(s, SFN__PG_DROP_ACT, &p, "drop activity task", err);
}

void sfn__pg_cluster_ops(sfn__store_ops *o)
{
    o->list_running = pg_list_running;
    o->shared = pg_shared;
    o->node_id = pg_node_id;
    o->renew_lease = pg_renew_lease;
    o->claim = pg_claim;
    o->owns = pg_owns;
    o->check_leases = pg_check_leases;
    o->adopt = pg_adopt;
    o->exec_owner = pg_exec_owner;
    o->get_lease_stats = pg_get_lease_stats;
    o->list_nodes = pg_list_nodes;
    o->post_msg = pg_post_msg;
    o->take_msgs = pg_take_msgs;
    o->answer_msg = pg_answer_msg;
    o->get_answer = pg_get_answer;
    o->listen = pg_listen;
    o->notify_fd = pg_notify_fd;
    o->notifications = pg_notifications;
    o->notify = pg_notify;
    o->push_activity = pg_push_activity;
    o->pop_activity = pg_pop_activity;
    o->drop_activity = pg_drop_activity;
}
