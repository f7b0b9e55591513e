/* store_internal.h: what the SQLite store's files share: the handle and
 * its cache of prepared statements. */
#ifndef SFN_STORE_INTERNAL_H
#define SFN_STORE_INTERNAL_H

#include <sqlite3.h>

#include "sfn_store.h"

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
    SFN__STMT_PUT_TOKEN,       /* store_tasks.c: every callback task */
    SFN__STMT_CLOSE_TOKEN,
    SFN__STMT_GET_TOKEN,
    SFN__STMT_GET_EXEC_BY_ID,
    SFN__STMT_COUNT
};

struct sfn_store {
    int lock_fd;        /* engine lock file, -1 when none */
    sqlite3 *db;
    sqlite3_stmt *stmt[SFN__STMT_COUNT];
};

sfn_rc sfn__store_db_error(sfn_store *s, sfn_error *err, const char *what);

/* The columns every execution query selects, in sfn__store_fill_exec's
 * order. */
#define SFN__EXEC_COLS                                                     \
    "SELECT id, arn, machine, revision, name, status, input, output, "    \
    "error, cause, start_ms, stop_ms, next_event, wake_ms, test_case, "    \
    "comp_status, redrive_count, redrive_ms "                             \
    "FROM executions "

/* Copy of column i as a C string (malloc'd), NULL for SQL NULL. */
char *sfn__store_col_dup(sqlite3_stmt *st, int i);
void sfn__store_fill_exec(sqlite3_stmt *st, sfn_exec_rec *r);
/* Steps a prepared execution query (SFN__EXEC_COLS) to its end, calling cb
 * with each row until it returns non-zero; finalizes st. */
sfn_rc sfn__store_each_exec(sfn_store *s, sqlite3_stmt *st,
                            int (*cb)(const sfn_exec_rec *r, void *ud),
                            void *ud, sfn_error *err, const char *what);

#endif
