/* store_internal.h: what the SQLite store's files share: the handle and
 * its cache of prepared statements. */
#ifndef SFN_STORE_INTERNAL_H
#define SFN_STORE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>

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
    SFN__STMT_COUNT
};

struct sfn_store {
    sqlite3 *db;
    sqlite3_stmt *stmt[SFN__STMT_COUNT];
    /* background checkpointer (sfn_store_start_checkpointer) */
    bool ckpt_running;
    pthread_t ckpt_thread;
    pthread_mutex_t ckpt_mu;
    pthread_cond_t ckpt_cv;
    bool ckpt_stop;
    sqlite3 *ckpt_db;
};

sfn_rc sfn__store_db_error(sfn_store *s, sfn_error *err, const char *what);

#endif
