/* store_pg.h: what the PostgreSQL store's files share: the backend's state
 * (connection and how to remake it, open transaction with its pipeline and
 * its batched writes, ids fetched ahead, the leases this node holds),
 * statement parameters, and the helpers that run statements inside or
 * outside a group commit. */
#ifndef SFN_STORE_PG_H
#define SFN_STORE_PG_H

#include <libpq-fe.h>

#include "store_internal.h"

/* Statements prepared once per connection (at open, in one round trip):
 * the group-commit writes and the hot reads. */
enum {
    SFN__PG_INS_EXEC,
    SFN__PG_UPD_EXECS,
    SFN__PG_FENCE,
    SFN__PG_INS_EVENTS,
    SFN__PG_PUT_SNAPS,
    SFN__PG_DEL_SNAP,
    SFN__PG_CLEAR_SNAP,
    SFN__PG_PUT_TOKEN,
    SFN__PG_CLOSE_TOKEN,
    SFN__PG_NEXT_IDS,
    SFN__PG_PUSH_ACT,
    SFN__PG_DROP_ACT,
    SFN__PG_NOTIFY,
    SFN__PG_GET_MACHINE,
    SFN__PG_GET_MACHINE_REV,
    SFN__PG_GET_TOKEN,
    SFN__PG_GET_EXEC_BY_ID,
    SFN__PG_STMT_COUNT
};
extern const char *const sfn__pg_stmt_sql[SFN__PG_STMT_COUNT];

/* Statement parameters as text (libpq copies them when a query is sent, so
 * a parameter block may live on the caller's stack). */
#define SFN__PG_MAX_PARAMS 24
typedef struct sfn__pgp {
    int n;
    const char *v[SFN__PG_MAX_PARAMS];
    char num[SFN__PG_MAX_PARAMS][24];
} sfn__pgp;
void sfn__pgp_i64(sfn__pgp *p, int64_t v);
void sfn__pgp_str(sfn__pgp *p, const char *v); /* NULL = SQL NULL */
void sfn__pgp_null(sfn__pgp *p);

/* How a pipelined write's failure is reported at commit. */
enum { SFN__PEND_PLAIN, SFN__PEND_INSERT_EXEC, SFN__PEND_FENCE };

/* A growing text buffer: one array parameter ("{1,2,3}") being built. */
typedef struct sfn__pg_buf {
    char *b;
    size_t n, cap;
} sfn__pg_buf;

/* Rows of one multi-row write buffered in the open transaction, one array
 * literal per column, sent as one statement (store_pg_batch.c). */
#define SFN__PG_BATCH_COLS 13
typedef struct sfn__pg_batch {
    sfn__pg_buf col[SFN__PG_BATCH_COLS];
    size_t rows;
} sfn__pg_batch;

/* The ARN of an execution written in the open transaction, for causes. */
typedef struct sfn__pg_arn {
    int64_t id;
    char *arn;
} sfn__pg_arn;
typedef struct sfn__pg_pend {
    int kind;
    int64_t exec_id;
    char *arn;          /* malloc'd, for the cause; may be NULL */
    const char *what;   /* static text */
} sfn__pg_pend;

/* exec id -> epoch of the leases this connection holds (open addressing,
 * linear probing, backward-shift deletion). */
typedef struct sfn__pg_map {
    int64_t *keys, *vals;
    unsigned char *used;
    size_t cap, n;
} sfn__pg_map;

/* A lease change made inside the open transaction, applied at commit. */
typedef struct sfn__pg_change {
    int64_t id, epoch;
    bool drop;          /* the execution ended: forget it at commit */
} sfn__pg_change;

struct sfn__pg {
    PGconn *conn;
    char where[320];    /* host:port/dbname, for causes (no password) */
    char *url;          /* what to reconnect to (may hold a password: never
                           printed, wiped at close) */
    bool lost;          /* the connection broke: the next call remakes it */
    bool sync_tx;       /* a synchronous BEGIN is open: a lost connection
                           is not remade until its end */
    char **chan;        /* channels LISTENed to, re-issued on reconnect */
    size_t n_chan;
    bool read_only, engine;
    char node[48];      /* node id ("" when none) */
    int64_t lease_ms;
    /* group commit */
    bool in_tx;         /* between begin and commit */
    bool server_tx;     /* BEGIN sent */
    bool piped;         /* pipeline mode with results to read */
    sfn__pg_pend *pend;
    size_t n_pend, cap_pend;
    sfn_rc tx_rc;       /* first failure of the open transaction */
    sfn_error tx_err;
    /* writes batched until commit or a read (store_pg_batch.c) */
    sfn__pg_batch upd, ev, snap;
    sfn__pg_arn *arns;
    size_t n_arns, cap_arns;
    /* execution ids fetched ahead */
    int64_t ids[64];
    size_t n_ids, id_next, id_block;
    /* leases */
    sfn__pg_map held;
    sfn__pg_change *chg;
    size_t n_chg, cap_chg;
    int64_t *fenced;    /* ids whose row this transaction locked */
    size_t n_fenced, cap_fenced;
    sfn_store_lease_stats stats;
};

/* Fills err from a failed result (or the connection when r is NULL):
 * SFN_EIO, the cause names `what`, the server and PostgreSQL's message.
 * A broken connection is marked lost (the cause says so) and remade by the
 * next call. */
sfn_rc sfn__pg_error(sfn_store *s, const PGresult *r, sfn_error *err,
                     const char *what);
sfn_rc sfn__pg_oom(sfn_error *err);

/* Runs one statement and waits for it: `sql` text (or prepared statement
 * `stmt` when sql is NULL).  Inside a transaction the pending writes are
 * sent and checked first, so the statement sees them.  Returns the result
 * (the caller PQclear()s it) or NULL with err filled. */
PGresult *sfn__pg_run(sfn_store *s, const char *sql, int stmt,
                      const sfn__pgp *p, sfn_error *err, const char *what);
/* As sfn__pg_run, but the result comes back whatever its status, for a
 * caller that maps some SQLSTATEs itself (a failure inside a transaction
 * still fails it).  NULL only when the transaction had already failed. */
PGresult *sfn__pg_try(sfn_store *s, const char *sql, const sfn__pgp *p,
                      sfn_error *err);
/* As sfn__pg_run for a statement without rows of interest. */
sfn_rc sfn__pg_run_ok(sfn_store *s, const char *sql, const sfn__pgp *p,
                      sfn_error *err, const char *what);

/* Queues a prepared write in the open transaction (its failure shows at
 * commit).  Outside begin/commit callers wrap writes in sfn__pg_auto_begin
 * and sfn__pg_auto_end, so they run as their own transaction, one round
 * trip. */
sfn_rc sfn__pg_send(sfn_store *s, int stmt, const sfn__pgp *p,
                    const sfn__pg_pend *pend, sfn_error *err);
bool sfn__pg_auto_begin(sfn_store *s, sfn_error *err, sfn_rc *rc);
sfn_rc sfn__pg_auto_end(sfn_store *s, bool own, sfn_rc rc, sfn_error *err);
/* Remakes a lost connection (new session: settings, prepared statements,
 * LISTENs) unless the open transaction already sent something; SFN_EIO
 * when the server is still unreachable (the next call tries again). */
sfn_rc sfn__pg_ready(sfn_store *s, sfn_error *err);
/* LISTEN on `channel` now, remembered for reconnects. */
sfn_rc sfn__pg_listen(sfn_store *s, const char *channel, sfn_error *err);

/* Batched writes of the open transaction (store_pg_batch.c): rows wait in
 * memory and go out as one statement per table at commit, before any
 * statement that reads (sfn__pg_run / sfn__pg_try), or when a batch grows
 * large.  Failures show at commit like any pipelined write.  An event
 * whose epoch is not known gets the execution row's; batch_update's epoch
 * is the fence's (-1: not held as running). */
sfn_rc sfn__pg_batch_update(sfn_store *s, const sfn_exec_rec *r,
                            int64_t epoch, sfn_error *err);
sfn_rc sfn__pg_batch_event(sfn_store *s, int64_t exec_id,
                           const sfn_store_event *e, bool epoch_known,
                           int64_t epoch, sfn_error *err);
sfn_rc sfn__pg_batch_snap(sfn_store *s, int64_t exec_id, int64_t key,
                          const char *data, sfn_error *err);
/* Sends every batch (all), or only the snapshot batch (a delete of
 * snapshot rows must follow the puts before it). */
sfn_rc sfn__pg_flush(sfn_store *s, bool all, sfn_error *err);
/* Forgets the batches and ARNs of the transaction; frees them. */
void sfn__pg_batch_reset(struct sfn__pg *pg);
void sfn__pg_batch_free(struct sfn__pg *pg);
/* The ARN noted for execution id in this transaction, or NULL. */
const char *sfn__pg_arn_of(const struct sfn__pg *pg, int64_t id);
/* Multi-row statements' SQL (store_pg_batch.c). */
extern const char sfn__pg_upd_execs_sql[], sfn__pg_ins_events_sql[],
    sfn__pg_put_snaps_sql[];

/* SFN_EIO when a transaction is open: for calls that commit on their own
 * and must not be mixed into the engine's group commit. */
sfn_rc sfn__pg_no_tx(sfn_store *s, sfn_error *err, const char *what);
/* Synchronous BEGIN / COMMIT (or ROLLBACK when rc is not SFN_OK) for the
 * API-rate calls that read and write in one transaction. */
sfn_rc sfn__pg_sync_begin(sfn_store *s, sfn_error *err);
sfn_rc sfn__pg_sync_end(sfn_store *s, sfn_rc rc, sfn_error *err);

/* Column helpers: a copy (malloc'd; NULL for SQL NULL) and integers. */
char *sfn__pg_dup(const PGresult *r, int row, int col);
int64_t sfn__pg_i64(const PGresult *r, int row, int col);

/* The columns every execution query selects, in sfn__pg_fill_exec's
 * order. */
#define SFN__PG_EXEC_COLS                                                  \
    "SELECT id, arn, machine, revision, name, status, input, output, "    \
    "error, cause, start_ms, stop_ms, next_event, wake_ms, test_case, "    \
    "comp_status, redrive_count, redrive_ms "
void sfn__pg_fill_exec(const PGresult *r, int row, sfn_exec_rec *out);
/* cb per row of an execution query, stopping when it returns non-zero;
 * clears r. */
sfn_rc sfn__pg_each_exec(PGresult *r, sfn__exec_cb cb, void *ud);

/* Leases (store_pg_cluster.c). */
bool sfn__pg_map_get(const sfn__pg_map *m, int64_t id, int64_t *epoch);
sfn_rc sfn__pg_map_put(sfn__pg_map *m, int64_t id, int64_t epoch);
void sfn__pg_map_del(sfn__pg_map *m, int64_t id);
void sfn__pg_map_free(sfn__pg_map *m);
/* The epoch this connection writes execution `id` with: pending changes of
 * the open transaction first, then the held map.  false when not held. */
bool sfn__pg_epoch_of(const sfn_store *s, int64_t id, int64_t *epoch);
sfn_rc sfn__pg_note_change(sfn_store *s, int64_t id, int64_t epoch,
                           bool drop, sfn_error *err);
/* Locks the row of execution `id` for the open transaction and fails the
 * commit when this node does not hold its lease (once per transaction). */
sfn_rc sfn__pg_fence(sfn_store *s, int64_t id, const char *arn,
                     sfn_error *err);
bool sfn__pg_fenced(const sfn_store *s, int64_t id);
sfn_rc sfn__pg_mark_fenced(sfn_store *s, int64_t id, sfn_error *err);
/* Registers (or re-registers) this node with a fresh lease. */
sfn_rc sfn__pg_register_node(sfn_store *s, sfn_error *err);

/* Each PostgreSQL file sets its members of the backend table. */
void sfn__pg_exec_ops(sfn__store_ops *o);
void sfn__pg_api_ops(sfn__store_ops *o);
void sfn__pg_cluster_ops(sfn__store_ops *o);

#endif
