/* store_lite.h: what the SQLite store's files share: the backend's state
 * (connection, engine lock, cache of prepared statements) and the pieces
 * of the backend table each file fills. */
#ifndef SFN_STORE_LITE_H
#define SFN_STORE_LITE_H

#include <sqlite3.h>

#include "store_internal.h"

/* Statements prepared once per handle and reused (hot path). */
enum {
    SFN__STMT_INSERT_EXEC,
    SFN__STMT_UPDATE_EXEC,
    SFN__STMT_INSERT_EVENT,
    SFN__STMT_PUT_SNAPSHOT,
    SFN__STMT_DEL_SNAPSHOT,
    SFN__STMT_CLEAR_SNAPSHOTS,
    SFN__STMT_GET_MACHINE,     /* latest revision: every StartExecution */
    SFN__STMT_GET_MACHINE_REV,
    SFN__STMT_PUT_TOKEN,       /* every callback task */
    SFN__STMT_CLOSE_TOKEN,
    SFN__STMT_GET_TOKEN,
    SFN__STMT_GET_EXEC_BY_ID,
    SFN__STMT_COUNT
};

struct sfn__lite {
    int lock_fd;        /* engine lock file, -1 when none */
    sqlite3 *db;
    sqlite3_stmt *stmt[SFN__STMT_COUNT];
};

/* Each SQLite file sets its members of the backend table. */
void sfn__lite_exec_ops(sfn__store_ops *o);
void sfn__lite_api_ops(sfn__store_ops *o);
void sfn__lite_tasks_ops(sfn__store_ops *o);

sfn_rc sfn__lite_error(sfn_store *s, sfn_error *err, const char *what);

/* The columns every execution query selects, in sfn__lite_fill_exec's
 * order. */
#define SFN__EXEC_COLS                                                     \
    "SELECT id, arn, machine, revision, name, status, input, output, "    \
    "error, cause, start_ms, stop_ms, next_event, wake_ms, test_case, "    \
    "comp_status, redrive_count, redrive_ms "                             \
    "FROM executions "

/* Copy of column i as a C string (malloc'd), NULL for SQL NULL. */
char *sfn__lite_col_dup(sqlite3_stmt *st, int i);
void sfn__lite_fill_exec(sqlite3_stmt *st, sfn_exec_rec *r);
/* Steps a prepared execution query (SFN__EXEC_COLS) to its end, calling cb
 * with each row until it returns non-zero; finalizes st. */
sfn_rc sfn__lite_each_exec(sfn_store *s, sqlite3_stmt *st,
                            int (*cb)(const sfn_exec_rec *r, void *ud),
                            void *ud, sfn_error *err, const char *what);

#endif
