/* sfn_config.h: the settings of `stepd serve`, filled by precedence
 * defaults < JSON config file < STEPD_* environment < command-line flags
 * and validated once at start.  Every setting has one key (as in the file,
 * "limits.payload_bytes"), one environment variable (STEPD_ + the key in
 * upper case with '.' as '_') and one flag ("--" + the key with '.' and
 * '_' as '-'); docs/config.md is the table.
 *
 * Ownership: a config owns its strings; free with sfn_config_free.
 * Threading: read-only after sfn_config_load, shareable. */
#ifndef SFN_CONFIG_H
#define SFN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sfn_err.h"
#include "sfn_log.h"
#include "sfn_store.h"
#include "sfn_tasks.h"

typedef struct sfn_config_key {
    char *access_key_id, *secret_access_key;
} sfn_config_key;

typedef struct sfn_config {
    char *listen;              /* "HOST:PORT"; default 127.0.0.1:8083       */
    char *db;                  /* default "stepd.db"; or a postgres:// URL  */
    char *node_id;             /* PostgreSQL node id; NULL = generated      */
    int64_t lease_seconds;     /* PostgreSQL node lease; default 10         */
    sfn_sync_mode sync;        /* normal (default) | full                   */
    char *region;              /* default "us-east-1"                       */
    char *account;             /* 12 digits; default "123456789012"         */
    char *auth_token;          /* REST bearer token; NULL = open            */
    sfn_config_key *aws_keys;  /* SigV4 keys; none = signatures unchecked  */
    size_t n_aws_keys;
    int64_t threads;           /* HTTP: 0 = an epoll pool of one thread per
                                  core (default), N = a pool of N, -1 = a
                                  thread per connection                     */
    struct {
        int64_t history_events;      /* 25,000                             */
        int64_t payload_bytes;       /* 262,144                            */
        int64_t definition_bytes;    /* 1,048,576                          */
        int64_t request_body_bytes;  /* other bodies; 589,824              */
        int64_t max_connections;     /* 1,024                              */
        int64_t per_ip_connections;  /* 512                                */
        int64_t connection_timeout_seconds; /* 30                          */
        int64_t open_executions;     /* 1,000,000                          */
        int64_t map_concurrency;     /* iterations of one Map at once; 1,000 */
        int64_t requests_per_second_per_connection; /* 1,000; 0 = off     */
    } limits;
    /* Task dispatch: http.allow, http.timeout_seconds,
     * http.max_response_bytes, tasks.unbound, mock_config (also
     * SFN_MOCK_CONFIG), and the file-only "connections" and "bindings".
     * tasks.region mirrors region. */
    sfn_tasks_config tasks;
    sfn_log_level log_level;   /* info                                      */
    sfn_log_format log_format; /* text                                      */
    char *config_file;         /* the file read, or NULL                    */
} sfn_config;

/* Looks an environment variable up; getenv in stepd, a table in tests. */
typedef const char *(*sfn_config_getenv)(const char *name);

/* Fills c with the defaults.  Returns SFN_ENOMEM on allocation failure. */
sfn_rc sfn_config_defaults(sfn_config *c, sfn_error *err);

/* Applies one setting given as text (from the environment or a flag);
 * `source` names where it came from for the message ("STEPD_DB",
 * "--db").  SFN_EINVAL naming the key for an unknown key or a bad value. */
sfn_rc sfn_config_set(sfn_config *c, const char *key, const char *value,
                      const char *source, sfn_error *err);

/* Applies a JSON config file (nested objects: {"auth":{"token":...}}).
 * Unknown keys are errors (they are typos), named with the file.  String
 * values "env:NAME" inside "connections" and "bindings" are read from the
 * environment (getenv here; getenv_fn in the _env variant), so the file
 * holds no secrets; an unset variable is an error naming it. */
sfn_rc sfn_config_apply_file(sfn_config *c, const char *path,
                             sfn_error *err);
sfn_rc sfn_config_apply_file_env(sfn_config *c, const char *path,
                                 sfn_config_getenv getenv_fn,
                                 sfn_error *err);

/* Applies every STEPD_* variable that getenv_fn knows. */
sfn_rc sfn_config_apply_env(sfn_config *c, sfn_config_getenv getenv_fn,
                            sfn_error *err);

/* Checks the combination (listen address parses, account is 12 digits,
 * region well formed, http.allow entries, bindings naming defined
 * connections, ...); numeric ranges are checked by sfn_config_set. */
sfn_rc sfn_config_validate(const sfn_config *c, sfn_error *err);

/* The whole start-up sequence: defaults, the file (--config FILE, else
 * STEPD_CONFIG), the environment, then the flags in argv (argv[0] is the
 * subcommand; "--key value" and "--key=value").  *help is set when --help
 * was given (nothing else is done then).  On failure err names the key. */
sfn_rc sfn_config_load(sfn_config *c, int argc, char **argv,
                       sfn_config_getenv getenv_fn, bool *help,
                       sfn_error *err);

void sfn_config_free(sfn_config *c);

/* Splits c->listen into a host and port (host malloc'd; IPv6 in [..]). */
sfn_rc sfn_config_listen_addr(const sfn_config *c, char **host, int *port,
                              sfn_error *err);

/* The settings table: key, default as shown, help text.  For --help and
 * docs; n_out gets the count.  Borrowed, static.  The file-only settings
 * (connections, bindings) are not in it. */
typedef struct sfn_config_doc {
    const char *key, *def, *help;
} sfn_config_doc;
const sfn_config_doc *sfn_config_docs(size_t *n_out);

/* "limits.payload_bytes" -> "STEPD_LIMITS_PAYLOAD_BYTES" / "--limits-
 * payload-bytes" into buf. */
void sfn_config_env_name(const char *key, char *buf, size_t size);
void sfn_config_flag_name(const char *key, char *buf, size_t size);

#endif
