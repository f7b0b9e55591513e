/* sfn_store.h: the store interface: state machines (with revisions), and in
 * later schema versions executions, history events, timers and task tokens.
 * Knows nothing of ASL: definitions are opaque text.  One implementation
 * today, SQLite (embedded, WAL); the interface hides it so another backend
 * can follow.
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
} sfn_store_opts;

/* Opens (creating if needed) the database at `path` and migrates its schema
 * forward to the current version.  A file that is not a stepd database, or
 * whose schema is newer than this binary knows, is refused with SFN_EIO and
 * a cause saying so.  *out untouched on failure. */
sfn_rc sfn_store_open(const char *path, const sfn_store_opts *opts,
                      sfn_store **out, sfn_error *err);
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

#endif
