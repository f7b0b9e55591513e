/* sfn_store.h: the store interface: state machines (with revisions),
 * executions, history events, timers, task tokens, activities, and for a
 * store shared by several nodes, leases and messages between the nodes.
 * Knows nothing of ASL: definitions are opaque text.  Two implementations:
 * SQLite (embedded default, WAL, one engine per file) and PostgreSQL
 * (chosen by a postgres:// URL; many nodes may share one database).
 *
 * Lost connections (PostgreSQL): a call that finds its connection broken
 * fails with SFN_EIO (an open transaction is abandoned: nothing of it was
 * written, unless the connection broke while COMMIT was under way, when
 * the outcome is unknown and the caller must read the store again); the
 * next call reconnects, re-prepares its statements and re-issues its
 * LISTENs (sfn_store_notify_fd may then return a new socket).
 *
 * Threading: one sfn_store handle per thread.
 * Ownership: records returned in caller-provided structs own their strings;
 * release them with the matching *_free function. */
#ifndef SFN_STORE_H
#define SFN_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "sfn_err.h"

typedef struct sfn_store sfn_store;

typedef enum { SFN_SYNC_NORMAL = 0, SFN_SYNC_FULL = 1 } sfn_sync_mode;

typedef struct sfn_store_opts {
    sfn_sync_mode sync;  /* SQLite synchronous=NORMAL (default) or FULL */
    bool read_only;
    bool engine;         /* the connection of an engine.  SQLite: only one
                            engine may run on a database at a time.  An
                            exclusive lock on "<path>.lock" (flock, released
                            when the store closes or the process dies)
                            enforces it; a second one is refused with
                            SFN_EBUSY naming the holder's pid.  PostgreSQL:
                            the engine of a node; it registers the node and
                            holds leases (see "shared stores" below) */
    const char *node_id; /* PostgreSQL engine connection: this node's id
                            ([A-Za-z0-9_-], at most 40 chars); NULL = a
                            generated one ("n" + 12 hex digits).  A node
                            restarting with the same id claims its own
                            executions back at once. */
    int64_t lease_ms;    /* PostgreSQL engine connection: node lease
                            length; 0 = 10,000 */
} sfn_store_opts;

/* Opens the store named by `spec`: a PostgreSQL URL ("postgres://" or
 * "postgresql://", libpq's URI syntax) or else a SQLite file path (created
 * if needed), and migrates its schema forward to the current version
 * (PostgreSQL: under an advisory lock, so nodes starting together migrate
 * once).  A database that is not a stepd database, or whose schema is
 * newer than this binary knows, is refused with SFN_EIO and a cause saying
 * so; a PostgreSQL server that cannot be reached likewise (the cause names
 * host, port and database, never the password).  *out untouched on
 * failure. */
sfn_rc sfn_store_open(const char *spec, const sfn_store_opts *opts,
                      sfn_store **out, sfn_error *err);
/* Whether spec names a PostgreSQL database (postgres:// or postgresql://). */
bool sfn_store_spec_is_url(const char *spec);
/* spec for logs and messages: a URL's password replaced by "*****"
 * (malloc'd; NULL when out of memory). */
char *sfn_store_spec_redacted(const char *spec);
/* "sqlite" or "postgres". */
const char *sfn_store_backend(const sfn_store *s);
void sfn_store_close(sfn_store *s); /* NULL ok */

/* Schema version this binary writes, and the one found in an open store. */
int sfn_store_schema_latest(void);
int sfn_store_schema_version(sfn_store *s);

typedef struct sfn_machine_rec {
    char *name;
    char *type;        /* "STANDARD" | "EXPRESS"                     */
    char *definition;  /* the revision's definition text               */
    int64_t revision;  /* 1, 2, ... per machine                         */
    int64_t created_ms;  /* machine creation (epoch ms)                */
    int64_t updated_ms;  /* this revision's creation                   */
} sfn_machine_rec;

void sfn_machine_rec_free(sfn_machine_rec *m); /* frees members only */

/* Creates the machine, or adds a revision when the definition or type
 * differs from the latest one (an identical put is a no-op returning the
 * latest revision).  *revision_out (may be NULL) gets the revision now
 * current. */
sfn_rc sfn_store_put_machine(sfn_store *s, const char *name, const char *type,
                             const char *definition, int64_t now_ms,
                             int64_t *revision_out, sfn_error *err);

/* Loads `revision` (0 = latest) of a machine.  SFN_ENOTFOUND when absent. */
sfn_rc sfn_store_get_machine(sfn_store *s, const char *name, int64_t revision,
                             sfn_machine_rec *out, sfn_error *err);

/* Calls cb for every machine (latest revision, ordered by name); stops early
 * when cb returns non-zero. */
sfn_rc sfn_store_list_machines(sfn_store *s,
                               int (*cb)(const sfn_machine_rec *m, void *ud),
                               void *ud, sfn_error *err);

/* Deletes a machine and its revisions.  SFN_ENOTFOUND when absent. */
sfn_rc sfn_store_delete_machine(sfn_store *s, const char *name,
                                sfn_error *err);

/* ---- executions, history events and engine snapshots ------------------ */

/* Execution status codes as stored (the engine maps its own enum). */
enum { SFN_STORE_RUNNING = 0 };

typedef struct sfn_exec_rec {
    int64_t id;          /* store-assigned                                  */
    char *arn;
    char *machine;       /* state machine name                              */
    int64_t revision;    /* definition revision it runs on                  */
    char *name;
    int status;          /* engine-defined; 0 = running                     */
    char *input;         /* JSON text                                       */
    char *output;        /* JSON text or NULL                               */
    char *error, *cause; /* NULL when none                                  */
    int64_t start_ms, stop_ms; /* stop 0 while running                      */
    int64_t next_event;  /* id the next history event gets                  */
    int64_t wake_ms;     /* earliest timer, 0 = none                        */
    char *test_case;     /* mock test case it runs under, or NULL           */
    int comp_status;     /* compensation status (engine-defined), 0 = none  */
    int64_t redrive_count, redrive_ms; /* RedriveExecution: times, last   */
} sfn_exec_rec;

void sfn_exec_rec_free(sfn_exec_rec *r); /* frees members only */

/* One history event as stored: type is an engine-defined code, details
 * JSON text (or NULL). */
typedef struct sfn_store_event {
    int64_t id, prev, ts_ms;
    int type;
    const char *details;
} sfn_store_event;

/* Group commit: every write between begin and commit is one transaction.
 * Nothing written is visible to readers (or durable) before commit.
 * PostgreSQL sends the writes in pipeline mode: a write may report its
 * failure only at commit (the whole transaction then fails and is rolled
 * back), so callers must treat a failed commit as "nothing written".  On
 * an engine connection of a shared store every execution written must be
 * one this node holds the lease of (sfn_store_owns); otherwise the commit
 * fails with SFN_ELEASE, writing nothing, and the cause names the
 * execution. */
sfn_rc sfn_store_begin(sfn_store *s, sfn_error *err);
sfn_rc sfn_store_commit(sfn_store *s, sfn_error *err);
void sfn_store_rollback(sfn_store *s);

/* Inserts a new execution (rec->id is ignored and set on success).
 * SFN_EINVAL (cause names the ARN) when the ARN already exists. */
sfn_rc sfn_store_insert_execution(sfn_store *s, sfn_exec_rec *rec,
                                  sfn_error *err);
/* Writes status, output, error, cause, stop_ms, next_event and wake_ms. */
sfn_rc sfn_store_update_execution(sfn_store *s, const sfn_exec_rec *rec,
                                  sfn_error *err);
sfn_rc sfn_store_append_events(sfn_store *s, int64_t exec_id,
                               const sfn_store_event *ev, size_t n,
                               sfn_error *err);
/* Engine snapshot rows: opaque text per (execution, key). */
sfn_rc sfn_store_put_snapshot(sfn_store *s, int64_t exec_id, int64_t key,
                              const char *data, sfn_error *err);
sfn_rc sfn_store_delete_snapshot(sfn_store *s, int64_t exec_id, int64_t key,
                                 sfn_error *err);
/* Deletes every snapshot row of an execution (it has ended). */
sfn_rc sfn_store_clear_snapshots(sfn_store *s, int64_t exec_id,
                                 sfn_error *err);

/* Reads.  get by ARN; SFN_ENOTFOUND when absent. */
sfn_rc sfn_store_get_execution(sfn_store *s, const char *arn,
                               sfn_exec_rec *out, sfn_error *err);
/* The ARN of the most recent execution named `name` (any machine);
 * *arn_out malloc'd.  SFN_ENOTFOUND when none. */
sfn_rc sfn_store_find_execution(sfn_store *s, const char *name,
                                char **arn_out, sfn_error *err);
/* Running executions whose wake_ms is set and <= until_ms (due timers),
 * soonest first.  Shared store, engine connection: only executions this
 * node holds the lease of. */
sfn_rc sfn_store_list_due(sfn_store *s, int64_t until_ms,
                          int (*cb)(const sfn_exec_rec *r, void *ud),
                          void *ud, sfn_error *err);
/* Earliest wake_ms of a running execution, 0 when none (shared store,
 * engine connection: of this node's executions). */
int64_t sfn_store_next_wake(sfn_store *s);
/* Every execution with status 0 (running), oldest first.  Shared store,
 * engine connection: claims (as sfn_store_claim) every running execution
 * that is this node's or whose owner's lease has expired, and lists those
 * (recovery at start). */
sfn_rc sfn_store_list_running(sfn_store *s,
                              int (*cb)(const sfn_exec_rec *r, void *ud),
                              void *ud, sfn_error *err);
sfn_rc sfn_store_load_snapshots(sfn_store *s, int64_t exec_id,
                                int (*cb)(int64_t key, const char *data,
                                          void *ud),
                                void *ud, sfn_error *err);
/* History in id order (reverse when asked), starting after `after_id`
 * (before it when reverse; 0 = from the start/end), at most `limit` events
 * (0 = all). */
sfn_rc sfn_store_get_history(sfn_store *s, int64_t exec_id, int64_t after_id,
                             size_t limit, bool reverse,
                             int (*cb)(const sfn_store_event *e, void *ud),
                             void *ud, sfn_error *err);

/* How many WAL pages the writer lets accumulate before it checkpoints
 * (SQLite's default is 1000).  A checkpoint stalls the commit that runs it
 * for its copy and fsyncs, so the engine asks for small, frequent ones:
 * measured with StartExecution over HTTP, 256 pages keeps p99 near 4 ms at
 * 16 connections where 1000 gives about 10 ms. */
sfn_rc sfn_store_set_checkpoint_pages(sfn_store *s, int pages,
                                      sfn_error *err);

/* Sizes for benchmarks: bytes used by the database file (page_count *
 * page_size), 0 on error. */
int64_t sfn_store_size_bytes(sfn_store *s);

/* ---- AWS API metadata (store_sqlite_api.c and store_pg_api.c, schema 3) -------------------------
 * What the Step Functions API keeps beside definitions.  Rows of a machine
 * (meta, versions, aliases) go when the machine is deleted. */

typedef struct sfn_machine_meta {
    char *role_arn;
    char *config;       /* JSON text of the configuration members AWS echoes
                           (logging, tracing, encryption), or NULL        */
    char *revision_id;  /* changes with every update                     */
    int64_t updated_ms;
} sfn_machine_meta;

void sfn_machine_meta_free(sfn_machine_meta *m); /* frees members only */

/* Writes (inserts or replaces) a machine's metadata; the machine must
 * exist.  The version counter is kept. */
sfn_rc sfn_store_put_machine_meta(sfn_store *s, const char *name,
                                  const sfn_machine_meta *m, sfn_error *err);
/* SFN_ENOTFOUND when the machine has no metadata row. */
sfn_rc sfn_store_get_machine_meta(sfn_store *s, const char *name,
                                  sfn_machine_meta *out, sfn_error *err);

typedef struct sfn_version_rec {
    int64_t version, revision, created_ms;
    char *role_arn, *description, *revision_id;
} sfn_version_rec;

void sfn_version_rec_free(sfn_version_rec *v); /* frees members only */

/* Publishes `revision` as the next version number (numbers are never
 * reused).  When the newest version already holds this revision it is
 * returned instead (*existed true).  out filled in both cases. */
sfn_rc sfn_store_publish_version(sfn_store *s, const char *name,
                                 int64_t revision, const char *role_arn,
                                 const char *description,
                                 const char *revision_id, int64_t now_ms,
                                 sfn_version_rec *out, bool *existed,
                                 sfn_error *err);
/* SFN_ENOTFOUND when absent. */
sfn_rc sfn_store_get_version(sfn_store *s, const char *name, int64_t version,
                             sfn_version_rec *out, sfn_error *err);
/* Newest first; stops early when cb returns non-zero. */
sfn_rc sfn_store_list_versions(sfn_store *s, const char *name,
                               int (*cb)(const sfn_version_rec *v, void *ud),
                               void *ud, sfn_error *err);
/* Deleting an absent version is not an error (AWS answers {}). */
sfn_rc sfn_store_delete_version(sfn_store *s, const char *name,
                                int64_t version, sfn_error *err);

typedef struct sfn_alias_rec {
    char *alias, *description;
    char *routing;      /* JSON text: [{"stateMachineVersionArn","weight"}] */
    int64_t created_ms, updated_ms;
} sfn_alias_rec;

void sfn_alias_rec_free(sfn_alias_rec *a); /* frees members only */

/* create: SFN_EINVAL when the alias exists; otherwise updates it
 * (SFN_ENOTFOUND when absent).  description NULL keeps the old one on
 * update. */
sfn_rc sfn_store_put_alias(sfn_store *s, const char *name, const char *alias,
                           const char *description, const char *routing,
                           bool create, int64_t now_ms, sfn_error *err);
sfn_rc sfn_store_get_alias(sfn_store *s, const char *name, const char *alias,
                           sfn_alias_rec *out, sfn_error *err);
/* Ordered by alias name. */
sfn_rc sfn_store_list_aliases(sfn_store *s, const char *name,
                              int (*cb)(const sfn_alias_rec *a, void *ud),
                              void *ud, sfn_error *err);
sfn_rc sfn_store_delete_alias(sfn_store *s, const char *name,
                              const char *alias, sfn_error *err);

/* Tags per resource ARN.  put merges (same key: value replaced) in one
 * transaction and fails with SFN_ELIMIT, writing nothing, when the
 * resource would hold more than max_tags. */
sfn_rc sfn_store_put_tags(sfn_store *s, const char *resource,
                          const char *const *keys, const char *const *values,
                          size_t n, size_t max_tags, sfn_error *err);
sfn_rc sfn_store_delete_tags(sfn_store *s, const char *resource,
                             const char *const *keys, size_t n,
                             sfn_error *err);
/* Ordered by key. */
sfn_rc sfn_store_list_tags(sfn_store *s, const char *resource,
                           int (*cb)(const char *key, const char *value,
                                     void *ud),
                           void *ud, sfn_error *err);
/* Drops the tags of `resource` and of every ARN below it (resource + ":"),
 * i.e. a machine's versions and aliases. */
sfn_rc sfn_store_drop_tags(sfn_store *s, const char *resource,
                           sfn_error *err);

/* The version / alias ARN an execution was started by (either NULL). */
sfn_rc sfn_store_put_exec_meta(sfn_store *s, const char *arn,
                               const char *version_arn, const char *alias_arn,
                               sfn_error *err);
/* *version_arn / *alias_arn malloc'd or NULL; SFN_OK with both NULL when
 * nothing was recorded. */
sfn_rc sfn_store_get_exec_meta(sfn_store *s, const char *arn,
                               char **version_arn, char **alias_arn,
                               sfn_error *err);

/* Executions of a machine, newest start first (ties: newest id first),
 * starting after the cursor (after_start_ms, after_id); after_id 0 = from
 * the newest.  status < 0 = any.  At most limit rows (0 = all). */
sfn_rc sfn_store_list_executions(sfn_store *s, const char *machine,
                                 int status, int64_t after_start_ms,
                                 int64_t after_id, size_t limit,
                                 int (*cb)(const sfn_exec_rec *r, void *ud),
                                 void *ud, sfn_error *err);
/* Number of executions with `status` (all machines). */
sfn_rc sfn_store_count_executions(sfn_store *s, int status, int64_t *out,
                                  sfn_error *err);


/* ---- task tokens (callbacks and activities) ----------------------------
 * A token row is written in the commit that first records the token and
 * closed (status) when its task ends, so callbacks are single use and a
 * late one can be told "timed out" from "unknown". */
enum {
    SFN_TOKEN_OPEN = 0,
    SFN_TOKEN_DONE = 1,      /* succeeded, failed, aborted               */
    SFN_TOKEN_TIMED_OUT = 2, /* timeout or heartbeat timeout             */
};

typedef struct sfn_token_rec {
    char *token;
    int64_t exec_id;
    int64_t strand;
    int64_t attempt;
    char *activity;      /* activity ARN, or NULL for a callback task     */
    int status;          /* SFN_TOKEN_*                                   */
    int64_t created_ms, closed_ms;
} sfn_token_rec;

void sfn_token_rec_free(sfn_token_rec *t); /* members only */

/* Inserts (or ignores an existing) open token. */
sfn_rc sfn_store_put_token(sfn_store *s, const sfn_token_rec *t,
                           sfn_error *err);
/* Sets status and closed_ms of an open token (no-op when not open). */
sfn_rc sfn_store_close_token(sfn_store *s, const char *token, int status,
                             int64_t closed_ms, sfn_error *err);
/* SFN_ENOTFOUND when unknown. */
sfn_rc sfn_store_get_token(sfn_store *s, const char *token,
                           sfn_token_rec *out, sfn_error *err);
/* Row of an execution by store id (SFN_ENOTFOUND). */
sfn_rc sfn_store_get_execution_by_id(sfn_store *s, int64_t id,
                                     sfn_exec_rec *out, sfn_error *err);

/* ---- activities --------------------------------------------------------- */

typedef struct sfn_activity_rec {
    char *arn, *name;
    int64_t created_ms;
} sfn_activity_rec;

void sfn_activity_rec_free(sfn_activity_rec *a); /* members only */

/* Creates an activity; an existing one with the same ARN is kept and
 * *created set false (CreateActivity is idempotent on AWS). */
sfn_rc sfn_store_put_activity(sfn_store *s, const char *arn,
                              const char *name, int64_t created_ms,
                              bool *created, sfn_error *err);
sfn_rc sfn_store_get_activity(sfn_store *s, const char *arn,
                              sfn_activity_rec *out, sfn_error *err);
/* By name order, after `after_name` (NULL = from the start), at most
 * limit (0 = all). */
sfn_rc sfn_store_list_activities(sfn_store *s, const char *after_name,
                                 size_t limit,
                                 int (*cb)(const sfn_activity_rec *a,
                                           void *ud),
                                 void *ud, sfn_error *err);
/* SFN_OK also when it did not exist (AWS's DeleteActivity does the same). */
sfn_rc sfn_store_delete_activity(sfn_store *s, const char *arn,
                                 sfn_error *err);

/* ---- shared stores: nodes, leases, messages (PostgreSQL) ----------------
 * Several nodes (stepd serve processes) may run engines on one PostgreSQL
 * database.  Each engine connection registers its node with a lease
 * (nodes table, expiry in the database's clock) that it renews.  Every
 * running execution has an owner node and an epoch (a fencing token)
 * raised by every claim; a node writes an execution only while the row
 * still names it with the epoch it claimed (checked inside the commit), so
 * an execution never advances on two nodes at once, even when a paused
 * node wakes up after its executions were taken over.
 * SQLite (one engine per file) answers as a single node that owns
 * everything: no node id, sfn_store_owns true, nothing to claim, no
 * messages (SFN_EUNSUPPORTED for the message and activity-queue calls). */

/* Whether several nodes may share this store (PostgreSQL). */
bool sfn_store_shared(const sfn_store *s);
/* This node's id (engine connection of a shared store), else NULL.
 * Borrowed, valid until close. */
const char *sfn_store_node_id(const sfn_store *s);

/* Extends this node's lease to now + lease_ms (database clock); re-registers
 * a node whose lease had expired.  SFN_OK no-op for SQLite. */
sfn_rc sfn_store_renew_lease(sfn_store *s, sfn_error *err);

/* Claims up to max (0 = no limit) running executions whose owner's lease
 * has expired or that have no owner: owner = this node, epoch + 1, a
 * lease_log row each; cb gets each claimed row (as list_running) after the
 * claim committed.  *n_out (may be NULL) gets how many were claimed.
 * Rows locked by another claimer are skipped (FOR UPDATE SKIP LOCKED). */
sfn_rc sfn_store_claim(sfn_store *s, size_t max,
                       int (*cb)(const sfn_exec_rec *r, void *ud), void *ud,
                       size_t *n_out, sfn_error *err);

/* Whether this engine connection holds the lease of the execution (no
 * I/O: inserted or claimed by it, not since found lost, still running).
 * Always true for SQLite. */
bool sfn_store_owns(const sfn_store *s, int64_t exec_id);

/* After a commit failed with SFN_ELEASE: reads the owner and epoch of each
 * id and forgets those this node no longer holds, calling lost(ud, id) for
 * each (one query). */
sfn_rc sfn_store_check_leases(sfn_store *s, const int64_t *ids, size_t n,
                              void (*lost)(void *ud, int64_t id), void *ud,
                              sfn_error *err);

/* Takes the lease of an execution that is not running (RedriveExecution
 * makes it run again on this node): owner = this node, epoch + 1, a
 * lease_log row.  SFN_EINVAL when it is running (it has an owner),
 * SFN_ENOTFOUND when unknown.  SQLite: SFN_OK. */
sfn_rc sfn_store_adopt(sfn_store *s, int64_t exec_id, sfn_error *err);

/* Owner of a running execution: *node (malloc'd, NULL when none or when
 * the execution is not running) and whether that node's lease is live.
 * SQLite: *node NULL, *alive true. */
sfn_rc sfn_store_exec_owner(sfn_store *s, int64_t exec_id, char **node,
                            bool *alive, sfn_error *err);

typedef struct sfn_store_lease_stats {
    int64_t held;       /* executions this node holds now                 */
    int64_t claims;     /* executions claimed (recovery and orphans)       */
    int64_t takeovers;  /* claims of executions another node had owned     */
    int64_t lost;       /* leases found lost (check_leases)                */
} sfn_store_lease_stats;
sfn_store_lease_stats sfn_store_get_lease_stats(const sfn_store *s);

/* Node rows: cb per registered node (id, lease expiry, and whether it is
 * live now), ordered by id. */
sfn_rc sfn_store_list_nodes(sfn_store *s,
                            int (*cb)(const char *id, int64_t expires_ms,
                                      bool alive, void *ud),
                            void *ud, sfn_error *err);

/* Messages between nodes: a call (StopExecution, SendTask*, ...) received
 * by one node for an execution another node owns is posted as a row and
 * announced with NOTIFY "stepd_n_<node>" (payload: the row id); the owner
 * takes it, acts, answers in the row and announces the answer with NOTIFY
 * "stepd_r_<from node>" (payload: the row id).  Bodies are opaque text. */
typedef struct sfn_store_msg {
    int64_t id;
    int64_t exec_id;
    int kind;           /* caller-defined                                 */
    char *from_node;
    char *body;
} sfn_store_msg;

/* Posts a call for `to_node` (committed, then notified); *id_out gets its
 * id.  Not inside a begin/commit. */
sfn_rc sfn_store_post_msg(sfn_store *s, const char *to_node, int64_t exec_id,
                          int kind, const char *body, int64_t *id_out,
                          sfn_error *err);
/* Takes every unanswered call addressed to this node, and those addressed
 * to nodes whose lease expired for executions this node now owns (marks
 * them taken), calling cb for each; the record is borrowed for the call. */
sfn_rc sfn_store_take_msgs(sfn_store *s,
                           int (*cb)(const sfn_store_msg *m, void *ud),
                           void *ud, sfn_error *err);
/* Writes the answer of call `id` and notifies its sender. */
sfn_rc sfn_store_answer_msg(sfn_store *s, int64_t id, const char *answer,
                            sfn_error *err);
/* The answer of call `id`: *answer malloc'd, or NULL while unanswered.
 * A call row is deleted once its answer was read. */
sfn_rc sfn_store_get_answer(sfn_store *s, int64_t id, char **answer,
                            sfn_error *err);

/* Notifications on a connection of its own (not the engine's): LISTEN on
 * a channel, the socket to poll for readability, and the notifications
 * received so far (cb per channel/payload, consumed). */
sfn_rc sfn_store_listen(sfn_store *s, const char *channel, sfn_error *err);
int sfn_store_notify_fd(sfn_store *s);
sfn_rc sfn_store_notifications(sfn_store *s,
                               void (*cb)(const char *channel,
                                          const char *payload, void *ud),
                               void *ud, sfn_error *err);
/* NOTIFY channel, payload (committed at once, or with the open
 * transaction when inside begin/commit). */
sfn_rc sfn_store_notify(sfn_store *s, const char *channel,
                        const char *payload, sfn_error *err);

/* Shared activity queue: tasks scheduled by any node, taken by the
 * GetActivityTask of any node.  push inserts (ignores a token already
 * queued) and notifies "stepd_act" with the activity ARN; pop takes the
 * oldest task of the activity (FOR UPDATE SKIP LOCKED, deleted in the same
 * statement), SFN_ENOTFOUND when none; drop removes a token's task (it
 * ended or was started). */
sfn_rc sfn_store_push_activity(sfn_store *s, const char *token,
                               const char *activity_arn, int64_t exec_id,
                               const char *input, int64_t now_ms,
                               sfn_error *err);
sfn_rc sfn_store_pop_activity(sfn_store *s, const char *activity_arn,
                              char **token, char **input, int64_t *exec_id,
                              sfn_error *err);
sfn_rc sfn_store_drop_activity(sfn_store *s, const char *token,
                               sfn_error *err);

#endif
