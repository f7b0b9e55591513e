/* store_internal.h: the backend table every sfn_store_* call dispatches
 * through (store.c), and the handle both backends share.  A backend fills
 * the table at open; store.c knows no SQL. */
#ifndef SFN_STORE_INTERNAL_H
#define SFN_STORE_INTERNAL_H

#include "sfn_store.h"

/* One schema version number for every backend: version N of SQLite and of
 * PostgreSQL hold the same data, so each backend has one migration per
 * version (a backend with nothing to change for a version still has an
 * entry).  Both migration tables assert their length against this. */
#define SFN__SCHEMA_LATEST 5

typedef int (*sfn__exec_cb)(const sfn_exec_rec *r, void *ud);

/* Members are the public functions without their "sfn_store_" prefix; the
 * contracts are those of sfn_store.h. */
typedef struct sfn__store_ops {
    const char *backend;
    void (*close)(sfn_store *s);
    int (*schema_version)(sfn_store *s);
    sfn_rc (*put_machine)(sfn_store *s, const char *name, const char *type,
                          const char *definition, int64_t now_ms,
                          int64_t *revision_out, sfn_error *err);
    sfn_rc (*get_machine)(sfn_store *s, const char *name, int64_t revision,
                          sfn_machine_rec *out, sfn_error *err);
    sfn_rc (*list_machines)(sfn_store *s,
                            int (*cb)(const sfn_machine_rec *m, void *ud),
                            void *ud, sfn_error *err);
    sfn_rc (*delete_machine)(sfn_store *s, const char *name, sfn_error *err);
    sfn_rc (*begin)(sfn_store *s, sfn_error *err);
    sfn_rc (*commit)(sfn_store *s, sfn_error *err);
    void (*rollback)(sfn_store *s);
    sfn_rc (*insert_execution)(sfn_store *s, sfn_exec_rec *rec,
                               sfn_error *err);
    sfn_rc (*update_execution)(sfn_store *s, const sfn_exec_rec *rec,
                               sfn_error *err);
    sfn_rc (*append_events)(sfn_store *s, int64_t exec_id,
                            const sfn_store_event *ev, size_t n,
                            sfn_error *err);
    sfn_rc (*put_snapshot)(sfn_store *s, int64_t exec_id, int64_t key,
                           const char *data, sfn_error *err);
    sfn_rc (*delete_snapshot)(sfn_store *s, int64_t exec_id, int64_t key,
                              sfn_error *err);
    sfn_rc (*clear_snapshots)(sfn_store *s, int64_t exec_id, sfn_error *err);
    sfn_rc (*get_execution)(sfn_store *s, const char *arn, sfn_exec_rec *out,
                            sfn_error *err);
    sfn_rc (*find_execution)(sfn_store *s, const char *name, char **arn_out,
                             sfn_error *err);
    sfn_rc (*list_due)(sfn_store *s, int64_t until_ms, sfn__exec_cb cb,
                       void *ud, sfn_error *err);
    int64_t (*next_wake)(sfn_store *s);
    sfn_rc (*list_running)(sfn_store *s, sfn__exec_cb cb, void *ud,
                           sfn_error *err);
    sfn_rc (*load_snapshots)(sfn_store *s, int64_t exec_id,
                             int (*cb)(int64_t key, const char *data,
                                       void *ud),
                             void *ud, sfn_error *err);
    sfn_rc (*get_history)(sfn_store *s, int64_t exec_id, int64_t after_id,
                          size_t limit, bool reverse,
                          int (*cb)(const sfn_store_event *e, void *ud),
                          void *ud, sfn_error *err);
    sfn_rc (*set_checkpoint_pages)(sfn_store *s, int pages, sfn_error *err);
    int64_t (*size_bytes)(sfn_store *s);
    sfn_rc (*put_machine_meta)(sfn_store *s, const char *name,
                               const sfn_machine_meta *m, sfn_error *err);
    sfn_rc (*get_machine_meta)(sfn_store *s, const char *name,
                               sfn_machine_meta *out, sfn_error *err);
    sfn_rc (*publish_version)(sfn_store *s, const char *name,
                              int64_t revision, const char *role_arn,
                              const char *description,
                              const char *revision_id, int64_t now_ms,
                              sfn_version_rec *out, bool *existed,
                              sfn_error *err);
    sfn_rc (*get_version)(sfn_store *s, const char *name, int64_t version,
                          sfn_version_rec *out, sfn_error *err);
    sfn_rc (*list_versions)(sfn_store *s, const char *name,
                            int (*cb)(const sfn_version_rec *v, void *ud),
                            void *ud, sfn_error *err);
    sfn_rc (*delete_version)(sfn_store *s, const char *name, int64_t version,
                             sfn_error *err);
    sfn_rc (*put_alias)(sfn_store *s, const char *name, const char *alias,
                        const char *description, const char *routing,
                        bool create, int64_t now_ms, sfn_error *err);
    sfn_rc (*get_alias)(sfn_store *s, const char *name, const char *alias,
                        sfn_alias_rec *out, sfn_error *err);
    sfn_rc (*list_aliases)(sfn_store *s, const char *name,
                           int (*cb)(const sfn_alias_rec *a, void *ud),
                           void *ud, sfn_error *err);
    sfn_rc (*delete_alias)(sfn_store *s, const char *name, const char *alias,
                           sfn_error *err);
    sfn_rc (*put_tags)(sfn_store *s, const char *resource,
                       const char *const *keys, const char *const *values,
                       size_t n, size_t max_tags, sfn_error *err);
    sfn_rc (*delete_tags)(sfn_store *s, const char *resource,
                          const char *const *keys, size_t n, sfn_error *err);
    sfn_rc (*list_tags)(sfn_store *s, const char *resource,
                        int (*cb)(const char *key, const char *value,
                                  void *ud),
                        void *ud, sfn_error *err);
    sfn_rc (*drop_tags)(sfn_store *s, const char *resource, sfn_error *err);
    sfn_rc (*put_exec_meta)(sfn_store *s, const char *arn,
                            const char *version_arn, const char *alias_arn,
                            sfn_error *err);
    sfn_rc (*get_exec_meta)(sfn_store *s, const char *arn, char **version_arn,
                            char **alias_arn, sfn_error *err);
    sfn_rc (*list_executions)(sfn_store *s, const char *machine, int status,
                              int64_t after_start_ms, int64_t after_id,
                              size_t limit, sfn__exec_cb cb, void *ud,
                              sfn_error *err);
    sfn_rc (*count_executions)(sfn_store *s, int status, int64_t *out,
                               sfn_error *err);
    sfn_rc (*put_token)(sfn_store *s, const sfn_token_rec *t, sfn_error *err);
    sfn_rc (*close_token)(sfn_store *s, const char *token, int status,
                          int64_t closed_ms, sfn_error *err);
    sfn_rc (*get_token)(sfn_store *s, const char *token, sfn_token_rec *out,
                        sfn_error *err);
    sfn_rc (*get_execution_by_id)(sfn_store *s, int64_t id,
                                  sfn_exec_rec *out, sfn_error *err);
    sfn_rc (*put_activity)(sfn_store *s, const char *arn, const char *name,
                           int64_t created_ms, bool *created,
                           sfn_error *err);
    sfn_rc (*get_activity)(sfn_store *s, const char *arn,
                           sfn_activity_rec *out, sfn_error *err);
    sfn_rc (*list_activities)(sfn_store *s, const char *after_name,
                              size_t limit,
                              int (*cb)(const sfn_activity_rec *a, void *ud),
                              void *ud, sfn_error *err);
    sfn_rc (*delete_activity)(sfn_store *s, const char *arn, sfn_error *err);
    /* shared stores */
    bool (*shared)(const sfn_store *s);
    const char *(*node_id)(const sfn_store *s);
    sfn_rc (*renew_lease)(sfn_store *s, sfn_error *err);
    sfn_rc (*claim)(sfn_store *s, size_t max, sfn__exec_cb cb, void *ud,
                    size_t *n_out, sfn_error *err);
    bool (*owns)(const sfn_store *s, int64_t exec_id);
    sfn_rc (*check_leases)(sfn_store *s, const int64_t *ids, size_t n,
                           void (*lost)(void *ud, int64_t id), void *ud,
                           sfn_error *err);
    sfn_rc (*adopt)(sfn_store *s, int64_t exec_id, sfn_error *err);
    sfn_rc (*exec_owner)(sfn_store *s, int64_t exec_id, char **node,
                         bool *alive, sfn_error *err);
    sfn_store_lease_stats (*get_lease_stats)(const sfn_store *s);
    sfn_rc (*list_nodes)(sfn_store *s,
                         int (*cb)(const char *id, int64_t expires_ms,
                                   bool alive, void *ud),
                         void *ud, sfn_error *err);
    sfn_rc (*post_msg)(sfn_store *s, const char *to_node, int64_t exec_id,
                       int kind, const char *body, int64_t *id_out,
                       sfn_error *err);
    sfn_rc (*take_msgs)(sfn_store *s,
                        int (*cb)(const sfn_store_msg *m, void *ud),
                        void *ud, sfn_error *err);
    sfn_rc (*answer_msg)(sfn_store *s, int64_t id, const char *answer,
                         sfn_error *err);
    sfn_rc (*get_answer)(sfn_store *s, int64_t id, char **answer,
                         sfn_error *err);
    sfn_rc (*listen)(sfn_store *s, const char *channel, sfn_error *err);
    int (*notify_fd)(sfn_store *s);
    sfn_rc (*notifications)(sfn_store *s,
                            void (*cb)(const char *channel,
                                       const char *payload, void *ud),
                            void *ud, sfn_error *err);
    sfn_rc (*notify)(sfn_store *s, const char *channel, const char *payload,
                     sfn_error *err);
    sfn_rc (*push_activity)(sfn_store *s, const char *token,
                            const char *activity_arn, int64_t exec_id,
                            const char *input, int64_t now_ms,
                            sfn_error *err);
    sfn_rc (*pop_activity)(sfn_store *s, const char *activity_arn,
                           char **token, char **input, int64_t *exec_id,
                           sfn_error *err);
    sfn_rc (*drop_activity)(sfn_store *s, const char *token, sfn_error *err);
} sfn__store_ops;

/* The handle: the table (filled by the backend's open, copied per handle so
 * each backend file can keep its functions static) and the backend's own
 * state, one of the two. */
struct sfn_store {
    sfn__store_ops ops;
    struct sfn__lite *lite;
    struct sfn__pg *pg;
};

/* Backend entry points (store_sqlite.c, store_pg.c): open `spec` into the
 * handle `s` (allocated and zeroed by store.c, ops filled by the backend).
 * On failure the backend has released what it acquired. */
sfn_rc sfn__lite_open(sfn_store *s, const char *path,
                      const sfn_store_opts *opts, sfn_error *err);
sfn_rc sfn__pg_open(sfn_store *s, const char *url,
                    const sfn_store_opts *opts, sfn_error *err);

#endif
