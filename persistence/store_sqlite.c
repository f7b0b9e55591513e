/* store_sqlite.c: the SQLite implementation of sfn_store.h: WAL journal,
 * schema versioned by PRAGMA user_version with forward migrations, cached
 * prepared statements, and its answers to the shared-store calls (one
 * node owns everything).  The application_id marks a file as ours so a
 * foreign database is refused instead of written to. */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include "store_lite.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SFN_STORE_APP_ID 0x53746550 /* "SteP" */

/* Migration N brings the schema from version N-1 to N.  Append only: never
 * edit a migration that has shipped. */
static const char *const migrations[] = {
    /* 1: state machines with revisions */
    "CREATE TABLE machines ("
    "  name TEXT PRIMARY KEY,"
    "  created_ms INTEGER NOT NULL,"
    "  latest_revision INTEGER NOT NULL"
    ");"
    "CREATE TABLE machine_revisions ("
    "  name TEXT NOT NULL REFERENCES machines(name) ON DELETE CASCADE,"
    "  revision INTEGER NOT NULL,"
    "  type TEXT NOT NULL,"
    "  definition TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (name, revision)"
    ") WITHOUT ROWID;",
    /* 2: executions, their history and the engine's snapshot rows.  Event
     * types are small integers (the engine's append-only enum) to keep the
     * hot table narrow. */
    "CREATE TABLE executions ("
    "  id INTEGER PRIMARY KEY,"
    "  arn TEXT NOT NULL UNIQUE,"
    "  machine TEXT NOT NULL,"
    "  revision INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  input TEXT NOT NULL,"
    "  output TEXT, error TEXT, cause TEXT,"
    "  start_ms INTEGER NOT NULL,"
    "  stop_ms INTEGER NOT NULL DEFAULT 0,"
    "  next_event INTEGER NOT NULL,"
    "  wake_ms INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX executions_running ON executions(status, wake_ms);"
    "CREATE INDEX executions_machine ON executions(machine, start_ms);"
    "CREATE TABLE events ("
    "  exec INTEGER NOT NULL,"
    "  id INTEGER NOT NULL,"
    "  prev INTEGER NOT NULL,"
    "  ts_ms INTEGER NOT NULL,"
    "  type INTEGER NOT NULL,"
    "  details TEXT,"
    "  PRIMARY KEY (exec, id)"
    ") WITHOUT ROWID;"
    "CREATE TABLE snapshots ("
    "  exec INTEGER NOT NULL,"
    "  key INTEGER NOT NULL,"
    "  data TEXT NOT NULL,"
    "  PRIMARY KEY (exec, key)"
    ") WITHOUT ROWID;",
    /* 3: what the AWS API keeps beside definitions (store_sqlite_api.c):
     * role and configuration per machine, published versions, aliases, tags per
     * resource ARN, and the version/alias an execution was started by. */
    "CREATE TABLE api_machines ("
    "  name TEXT PRIMARY KEY REFERENCES machines(name) ON DELETE CASCADE,"
    "  role_arn TEXT NOT NULL,"
    "  config TEXT,"
    "  revision_id TEXT NOT NULL,"
    "  updated_ms INTEGER NOT NULL,"
    "  next_version INTEGER NOT NULL DEFAULT 1"
    ");"
    "CREATE TABLE api_versions ("
    "  name TEXT NOT NULL REFERENCES machines(name) ON DELETE CASCADE,"
    "  version INTEGER NOT NULL,"
    "  revision INTEGER NOT NULL,"
    "  role_arn TEXT NOT NULL,"
    "  description TEXT,"
    "  revision_id TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (name, version)"
    ") WITHOUT ROWID;"
    "CREATE TABLE api_aliases ("
    "  name TEXT NOT NULL REFERENCES machines(name) ON DELETE CASCADE,"
    "  alias TEXT NOT NULL,"
    "  description TEXT,"
    "  routing TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (name, alias)"
    ") WITHOUT ROWID;"
    "CREATE TABLE api_tags ("
    "  resource TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (resource, key)"
    ") WITHOUT ROWID;"
    "CREATE TABLE api_exec_meta ("
    "  arn TEXT PRIMARY KEY,"
    "  version_arn TEXT,"
    "  alias_arn TEXT"
    ") WITHOUT ROWID;"
    "CREATE INDEX executions_machine_id ON executions(machine, start_ms, id);",
    /* 4: callbacks and activities (store_sqlite_tasks.c): the mock test
     * case an execution runs under, task tokens (single use, so a closed
     * row is kept to tell "timed out" from "unknown"), activities. */
    "ALTER TABLE executions ADD COLUMN test_case TEXT;"
    "CREATE TABLE task_tokens ("
    "  token TEXT PRIMARY KEY,"
    "  exec_id INTEGER NOT NULL,"
    "  strand INTEGER NOT NULL,"
    "  attempt INTEGER NOT NULL,"
    "  activity TEXT,"
    "  status INTEGER NOT NULL DEFAULT 0,"
    "  created_ms INTEGER NOT NULL,"
    "  closed_ms INTEGER NOT NULL DEFAULT 0"
    ") WITHOUT ROWID;"
    "CREATE TABLE activities ("
    "  arn TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  created_ms INTEGER NOT NULL"
    ") WITHOUT ROWID;",
    /* 5: compensation status of an execution (docs/compensation.md) and
     * its redrives */
    "ALTER TABLE executions ADD COLUMN comp_status INTEGER NOT NULL "
    "DEFAULT 0;"
    "ALTER TABLE executions ADD COLUMN redrive_count INTEGER NOT NULL "
    "DEFAULT 0;"
    "ALTER TABLE executions ADD COLUMN redrive_ms INTEGER NOT NULL "
    "DEFAULT 0;",
};
#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

_Static_assert(N_MIGRATIONS == SFN__SCHEMA_LATEST,
               "one SQLite migration per schema version");

/* The cause names the database file and, for an I/O failure, the OS
 * error (a full disk shows as "disk I/O error" alone otherwise). */
sfn_rc sfn__lite_error(sfn_store *s, sfn_error *err, const char *what)
{
    if (!s || !s->lite->db)
        return sfn_error_set(err, SFN_EIO, NULL, -1, "%s: no database", what);
    const char *file = sqlite3_db_filename(s->lite->db, "main");
    int os = sqlite3_system_errno(s->lite->db);
    int code = sqlite3_errcode(s->lite->db);
    if (os && (code == SQLITE_IOERR || code == SQLITE_FULL ||
               code == SQLITE_CANTOPEN))
        return sfn_error_set(err, SFN_EIO, NULL, -1, "%s: %s (%s) in '%s'",
                             what, sqlite3_errmsg(s->lite->db), strerror(os),
                             file && *file ? file : "?");
    return sfn_error_set(err, SFN_EIO, NULL, -1, "%s: %s in '%s'", what,
                         sqlite3_errmsg(s->lite->db), file && *file ? file : "?");
}

static int pragma_int(sqlite3 *db, const char *sql, int *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        *out = sqlite3_column_int(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

static int lite_schema_version(sfn_store *s)
{
    int v = -1;
    if (pragma_int(s->lite->db, "PRAGMA user_version", &v) != SQLITE_OK)
        return -1;
    return v;
}

/* Refuses a file that is not a stepd database, or one too new, before
 * anything writes to it (even PRAGMA journal_mode=WAL rewrites the header
 * of a foreign file).  *version gets the schema version found. */
static sfn_rc check_header(sfn_store *s, int *version, sfn_error *err)
{
    int app_id = 0, tables = 0;
    if (pragma_int(s->lite->db, "PRAGMA user_version", version) != SQLITE_OK ||
        pragma_int(s->lite->db, "PRAGMA application_id", &app_id) != SQLITE_OK ||
        pragma_int(s->lite->db, "SELECT count(*) FROM sqlite_master", &tables) !=
            SQLITE_OK)
        return sfn__lite_error(s, err, "cannot read the database header");
    if (tables > 0 && app_id != SFN_STORE_APP_ID)
        return sfn_error_set(err, SFN_EIO, NULL, -1,
                             "not a stepd database (it already holds other "
                             "tables); refusing to modify it");
    if (*version > N_MIGRATIONS)
        return sfn_error_set(err, SFN_EIO, NULL, -1,
                             "database schema version %d is newer than this "
                             "stepd supports (%d); upgrade stepd",
                             *version, N_MIGRATIONS);
    return SFN_OK;
}

static sfn_rc migrate(sfn_store *s, sfn_error *err)
{
    int version = 0;
    sfn_rc hrc = check_header(s, &version, err);
    if (hrc != SFN_OK)
        return hrc;
    for (int v = version; v < N_MIGRATIONS; v++) {
        char pragma[96];
        snprintf(pragma, sizeof pragma,
                 "PRAGMA user_version=%d; PRAGMA application_id=%d;", v + 1,
                 SFN_STORE_APP_ID);
        if (sqlite3_exec(s->lite->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) ||
            sqlite3_exec(s->lite->db, migrations[v], NULL, NULL, NULL) ||
            sqlite3_exec(s->lite->db, pragma, NULL, NULL, NULL) ||
            sqlite3_exec(s->lite->db, "COMMIT", NULL, NULL, NULL)) {
            sfn_rc rc = sfn__lite_error(s, err, "schema migration failed");
            sqlite3_exec(s->lite->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
    }
    return SFN_OK;
}

/* One engine per database: an exclusive flock on "<path>.lock" held for
 * the connection's life (the kernel drops it when the process dies, so a
 * SIGKILL never leaves a stale lock).  The holder writes its pid there. */
static sfn_rc lock_engine(sfn_store *s, const char *path, sfn_error *err)
{
    char lp[4096];
    if (snprintf(lp, sizeof lp, "%s.lock", path) >= (int)sizeof lp)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "database path too long: '%s'", path);
    s->lite->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (s->lite->lock_fd < 0)
        return sfn_error_set(err, SFN_EIO, NULL, -1,
                             "cannot open the lock file '%s': %s", lp,
                             strerror(errno));
    if (flock(s->lite->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "";
        ssize_t n = pread(s->lite->lock_fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        return sfn_error_set(err, SFN_EBUSY, NULL, -1,
                             "database '%s' is in use by another stepd "
                             "(pid %s): only one engine may run on a "
                             "database; stop it or use another --db",
                             path, pid[0] ? pid : "unknown");
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(s->lite->lock_fd, 0) != 0 || pwrite(s->lite->lock_fd, pid, (size_t)n, 0) != n)
        return sfn_error_set(err, SFN_EIO, NULL, -1,
                             "cannot write the lock file '%s': %s", lp,
                             strerror(errno));
    return SFN_OK;
}

static void lite_close(sfn_store *s)
{
    if (!s || !s->lite)
        return;
    for (int i = 0; i < SFN__STMT_COUNT; i++)
        sqlite3_finalize(s->lite->stmt[i]);
    sqlite3_close_v2(s->lite->db);
    if (s->lite->lock_fd >= 0)
        close(s->lite->lock_fd); /* releases the engine lock */
    free(s->lite);
    s->lite = NULL;
}

static void lite_fill_ops(sfn__store_ops *o);

sfn_rc sfn__lite_open(sfn_store *s, const char *path,
                      const sfn_store_opts *opts, sfn_error *err)
{
    s->lite = calloc(1, sizeof *s->lite);
    if (!s->lite)
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    s->lite->lock_fd = -1;
    lite_fill_ops(&s->ops);
    sfn_rc rc = opts->engine ? lock_engine(s, path, err) : SFN_OK;
    if (rc != SFN_OK)
        goto fail;
    int flags = opts->read_only ? SQLITE_OPEN_READONLY
                                : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path, &s->lite->db, flags | SQLITE_OPEN_NOMUTEX,
                        NULL)) {
        rc = sfn_error_set(err, SFN_EIO, NULL, -1, "cannot open '%s': %s",
                           path,
                           s->lite->db ? sqlite3_errmsg(s->lite->db)
                                       : "no memory");
        goto fail;
    }
    sqlite3_busy_timeout(s->lite->db, 5000);
    const char *setup = opts->sync == SFN_SYNC_FULL
                            ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                              " PRAGMA foreign_keys=ON;"
                            : "PRAGMA journal_mode=WAL;"
                              " PRAGMA synchronous=NORMAL;"
                              " PRAGMA foreign_keys=ON;";
    int found = 0;
    if (!opts->read_only && (rc = check_header(s, &found, err)) != SFN_OK)
        goto fail;
    if (!opts->read_only &&
        sqlite3_exec(s->lite->db, setup, NULL, NULL, NULL) != SQLITE_OK) {
        rc = sfn__lite_error(s, err, "cannot configure the database");
        goto fail;
    }
    if (!opts->read_only && (rc = migrate(s, err)) != SFN_OK)
        goto fail;
    return SFN_OK;
fail:
    lite_close(s);
    return rc;
}

static sfn_rc lite_set_checkpoint_pages(sfn_store *s, int pages,
                                     sfn_error *err)
{
    if (sqlite3_wal_autocheckpoint(s->lite->db, pages) != SQLITE_OK)
        return sfn__lite_error(s, err, "wal_autocheckpoint");
    return SFN_OK;
}

static char *dup_col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return strdup(t ? (const char *)t : "");
}

static sfn_rc fill_rec(sqlite3_stmt *st, sfn_machine_rec *m, sfn_error *err)
{
    m->name = dup_col(st, 0);
    m->type = dup_col(st, 1);
    m->definition = dup_col(st, 2);
    m->revision = sqlite3_column_int64(st, 3);
    m->created_ms = sqlite3_column_int64(st, 4);
    m->updated_ms = sqlite3_column_int64(st, 5);
    if (!m->name || !m->type || !m->definition) {
        sfn_machine_rec_free(m);
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    }
    return SFN_OK;
}

#define MACHINE_COLS                                                      \
    "SELECT m.name, r.type, r.definition, r.revision, m.created_ms, "    \
    "r.created_ms FROM machines m JOIN machine_revisions r "             \
    "ON r.name = m.name "

static sfn_rc lite_get_machine(sfn_store *s, const char *name, int64_t revision,
                             sfn_machine_rec *out, sfn_error *err)
{
    const char *sql =
        revision > 0 ? MACHINE_COLS "WHERE m.name = ?1 AND r.revision = ?2"
                     : MACHINE_COLS "WHERE m.name = ?1 AND "
                                    "r.revision = m.latest_revision";
    /* prepared once per connection: it is on the StartExecution path */
    sqlite3_stmt **slot =
        &s->lite->stmt[revision > 0 ? SFN__STMT_GET_MACHINE_REV : SFN__STMT_GET_MACHINE];
    if (!*slot && sqlite3_prepare_v3(s->lite->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                     slot, NULL) != SQLITE_OK)
        return sfn__lite_error(s, err, "get machine");
    sqlite3_stmt *st = *slot;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (revision > 0)
        sqlite3_bind_int64(st, 2, revision);
    sfn_rc rc;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = fill_rec(st, out, err);
    else if (step == SQLITE_DONE)
        rc = sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                           "state machine '%s' does not exist", name);
    else
        rc = sfn__lite_error(s, err, "get machine");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

static sfn_rc exec_bound(sfn_store *s, const char *sql, const char *a,
                         int64_t n, const char *b, const char *c, int64_t t,
                         sfn_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->lite->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sfn__lite_error(s, err, "prepare");
    sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, n);
    if (b)
        sqlite3_bind_text(st, 3, b, -1, SQLITE_STATIC);
    if (c)
        sqlite3_bind_text(st, 4, c, -1, SQLITE_STATIC);
    /* statements that do not use ?5 ignore the SQLITE_RANGE from this */
    sqlite3_bind_int64(st, 5, t);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? SFN_OK : sfn__lite_error(s, err, "write");
}

static sfn_rc lite_put_machine(sfn_store *s, const char *name, const char *type,
                             const char *definition, int64_t now_ms,
                             int64_t *revision_out, sfn_error *err)
{
    if (sqlite3_exec(s->lite->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return sfn__lite_error(s, err, "begin");
    sfn_machine_rec cur = {0};
    int64_t rev = 1;
    sfn_rc rc = sfn_store_get_machine(s, name, 0, &cur, err);
    if (rc == SFN_OK) {
        rev = cur.revision;
        int same = !strcmp(cur.definition, definition) &&
                   !strcmp(cur.type, type);
        sfn_machine_rec_free(&cur);
        if (same)
            goto commit;
        rev++;
        rc = exec_bound(s,
                        "UPDATE machines SET latest_revision = ?2 "
                        "WHERE name = ?1",
                        name, rev, NULL, NULL, now_ms, err);
    } else if (rc == SFN_ENOTFOUND) {
        rc = exec_bound(s,
                        "INSERT INTO machines(name, latest_revision, "
                        "created_ms) VALUES (?1, ?2, ?5)",
                        name, rev, NULL, NULL, now_ms, err);
    }
    if (rc == SFN_OK)
        rc = exec_bound(s,
                        "INSERT INTO machine_revisions(name, revision, type,"
                        " definition, created_ms) VALUES (?1,?2,?3,?4,?5)",
                        name, rev, type, definition, now_ms, err);
    if (rc != SFN_OK) {
        sqlite3_exec(s->lite->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
commit:
    if (sqlite3_exec(s->lite->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        rc = sfn__lite_error(s, err, "commit");
        sqlite3_exec(s->lite->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    if (revision_out)
        *revision_out = rev;
    return SFN_OK;
}

static sfn_rc lite_list_machines(sfn_store *s,
                               int (*cb)(const sfn_machine_rec *m, void *ud),
                               void *ud, sfn_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->lite->db,
                           MACHINE_COLS "WHERE r.revision = m.latest_revision"
                                        " ORDER BY m.name",
                           -1, &st, NULL) != SQLITE_OK)
        return sfn__lite_error(s, err, "list machines");
    sfn_rc rc = SFN_OK;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        sfn_machine_rec m = {0};
        if ((rc = fill_rec(st, &m, err)) != SFN_OK)
            break;
        int stop = cb(&m, ud);
        sfn_machine_rec_free(&m);
        if (stop)
            break;
    }
    if (rc == SFN_OK && step != SQLITE_ROW && step != SQLITE_DONE)
        rc = sfn__lite_error(s, err, "list machines");
    sqlite3_finalize(st);
    return rc;
}

static sfn_rc lite_delete_machine(sfn_store *s, const char *name,
                                sfn_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->lite->db, "DELETE FROM machines WHERE name = ?1", -1,
                           &st, NULL) != SQLITE_OK)
        return sfn__lite_error(s, err, "delete machine");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step != SQLITE_DONE)
        return sfn__lite_error(s, err, "delete machine");
    if (sqlite3_changes(s->lite->db) == 0)
        return sfn_error_set(err, SFN_ENOTFOUND, NULL, -1,
                             "state machine '%s' does not exist", name);
    return SFN_OK;
}

/* ---- shared-store calls: one engine per file owns everything ---------- */

static bool lite_shared(const sfn_store *s)
{
    (void)s;
    return false;
}

static const char *lite_node_id(const sfn_store *s)
{
    (void)s;
    return NULL;
}

static sfn_rc lite_renew_lease(sfn_store *s, sfn_error *err)
{
    (void)s;
    (void)err;
    return SFN_OK;
}

static sfn_rc lite_claim(sfn_store *s, size_t max, sfn__exec_cb cb, void *ud,
                         size_t *n_out, sfn_error *err)
{
    (void)s, (void)max, (void)cb, (void)ud, (void)err;
    if (n_out)
        *n_out = 0;
    return SFN_OK;
}

static bool lite_owns(const sfn_store *s, int64_t exec_id)
{
    (void)s;
    (void)exec_id;
    return true;
}

static sfn_rc lite_check_leases(sfn_store *s, const int64_t *ids, size_t n,
                                void (*lost)(void *ud, int64_t id), void *ud,
                                sfn_error *err)
{
    (void)s, (void)ids, (void)n, (void)lost, (void)ud, (void)err;
    return SFN_OK;
}

static sfn_rc lite_adopt(sfn_store *s, int64_t exec_id, sfn_error *err)
{
    (void)s, (void)exec_id, (void)err;
    return SFN_OK;
}

static sfn_rc lite_exec_owner(sfn_store *s, int64_t exec_id, char **node,
                              bool *alive, sfn_error *err)
{
    (void)s, (void)exec_id, (void)err;
    *node = NULL;
    *alive = true;
    return SFN_OK;
}

static sfn_store_lease_stats lite_get_lease_stats(const sfn_store *s)
{
    (void)s;
    return (sfn_store_lease_stats){0};
}

static sfn_rc lite_list_nodes(sfn_store *s,
                              int (*cb)(const char *id, int64_t expires_ms,
                                        bool alive, void *ud),
                              void *ud, sfn_error *err)
{
    (void)s, (void)cb, (void)ud, (void)err;
    return SFN_OK;
}

static sfn_rc unsupported(sfn_error *err, const char *what)
{
    return sfn_error_set(err, SFN_EUNSUPPORTED, NULL, -1,
                         "%s: a SQLite store is not shared between nodes "
                         "(use a postgres:// database)",
                         what);
}

static sfn_rc lite_post_msg(sfn_store *s, const char *to_node,
                            int64_t exec_id, int kind, const char *body,
                            int64_t *id_out, sfn_error *err)
{
    (void)s, (void)to_node, (void)exec_id, (void)kind, (void)body,
        (void)id_out;
    return unsupported(err, "post message");
}

static sfn_rc lite_take_msgs(sfn_store *s,
                             int (*cb)(const sfn_store_msg *m, void *ud),
                             void *ud, sfn_error *err)
{
    (void)s, (void)cb, (void)ud;
    return unsupported(err, "take messages");
}

static sfn_rc lite_answer_msg(sfn_store *s, int64_t id, const char *answer,
                              sfn_error *err)
{
    (void)s, (void)id, (void)answer;
    return unsupported(err, "answer message");
}

static sfn_rc lite_get_answer(sfn_store *s, int64_t id, char **answer,
                              sfn_error *err)
{
    (void)s, (void)id, (void)answer;
    return unsupported(err, "get answer");
}

static sfn_rc lite_listen(sfn_store *s, const char *channel, sfn_error *err)
{
    (void)s, (void)channel;
    return unsupported(err, "listen");
}

static int lite_notify_fd(sfn_store *s)
{
    (void)s;
    return -1;
}

static sfn_rc lite_notifications(sfn_store *s,
                                 void (*cb)(const char *channel,
                                            const char *payload, void *ud),
                                 void *ud, sfn_error *err)
{
    (void)s, (void)cb, (void)ud;
    return unsupported(err, "notifications");
}

static sfn_rc lite_notify(sfn_store *s, const char *channel,
                          const char *payload, sfn_error *err)
{
    (void)s, (void)channel, (void)payload;
    return unsupported(err, "notify");
}

static sfn_rc lite_push_activity(sfn_store *s, const char *token,
                                 const char *activity_arn, int64_t exec_id,
                                 const char *input, int64_t now_ms,
                                 sfn_error *err)
{
    (void)s, (void)token, (void)activity_arn, (void)exec_id, (void)input,
        (void)now_ms;
    return unsupported(err, "push activity task");
}

static sfn_rc lite_pop_activity(sfn_store *s, const char *activity_arn,
                                char **token, char **input, int64_t *exec_id,
                                sfn_error *err)
{
    (void)s, (void)activity_arn, (void)token, (void)input, (void)exec_id;
    return unsupported(err, "pop activity task");
}

static sfn_rc lite_drop_activity(sfn_store *s, const char *token,
                                 sfn_error *err)
{
    (void)s, (void)token;
    return unsupported(err, "drop activity task");
}

static void lite_fill_ops(sfn__store_ops *o)
{
    o->backend = "sqlite";
    o->close = lite_close;
    o->schema_version = lite_schema_version;
    o->set_checkpoint_pages = lite_set_checkpoint_pages;
    o->put_machine = lite_put_machine;
    o->get_machine = lite_get_machine;
    o->list_machines = lite_list_machines;
    o->delete_machine = lite_delete_machine;
    o->shared = lite_shared;
    o->node_id = lite_node_id;
    o->renew_lease = lite_renew_lease;
    o->claim = lite_claim;
    o->owns = lite_owns;
    o->check_leases = lite_check_leases;
    o->adopt = lite_adopt;
    o->exec_owner = lite_exec_owner;
    o->get_lease_stats = lite_get_lease_stats;
    o->list_nodes = lite_list_nodes;
    o->post_msg = lite_post_msg;
    o->take_msgs = lite_take_msgs;
    o->answer_msg = lite_answer_msg;
    o->get_answer = lite_get_answer;
    o->listen = lite_listen;
    o->notify_fd = lite_notify_fd;
    o->notifications = lite_notifications;
    o->notify = lite_notify;
    o->push_activity = lite_push_activity;
    o->pop_activity = lite_pop_activity;
    o->drop_activity = lite_drop_activity;
    sfn__lite_exec_ops(o);
    sfn__lite_api_ops(o);
    sfn__lite_tasks_ops(o);
}
