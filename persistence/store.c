/* store.c: the public sfn_store_* functions: open picks the backend by the
 * spec (a postgres:// URL or a SQLite path) and every other call goes
 * through the backend's table.  Also the record destructors, which do not
 * depend on the backend. */
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

bool sfn_store_spec_is_url(const char *spec)
{
    return spec && (!strncmp(spec, "postgres://", 11) ||
                    !strncmp(spec, "postgresql://", 13));
}

char *sfn_store_spec_redacted(const char *spec)
{
    if (!spec)
        return NULL;
    if (!sfn_store_spec_is_url(spec))
        return strdup(spec);
    /* scheme://user:password@host...: the password is what sits between
     * the first ':' after the scheme and the last '@' of the authority */
    const char *auth = strstr(spec, "://") + 3;
    size_t alen = strcspn(auth, "/?");
    const char *at = NULL;
    for (const char *p = auth; p < auth + alen; p++)
        if (*p == '@')
            at = p;
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (!colon)
        return strdup(spec);
    size_t head = (size_t)(colon + 1 - spec), tail = strlen(at);
    char *out = malloc(head + 5 + tail + 1);
    if (!out)
        return NULL;
    memcpy(out, spec, head);
    memcpy(out + head, "*****", 5);
    memcpy(out + head + 5, at, tail + 1);
    return out;
}

sfn_rc sfn_store_open(const char *spec, const sfn_store_opts *opts,
                      sfn_store **out, sfn_error *err)
{
    sfn_store_opts defaults = {0};
    if (!opts)
        opts = &defaults;
    if (!spec || !*spec)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "no database given (a file path or a "
                             "postgres:// URL)");
    sfn_store *s = calloc(1, sizeof *s);
    if (!s)
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    sfn_rc rc = sfn_store_spec_is_url(spec)
                    ? sfn__pg_open(s, spec, opts, err)
                    : sfn__lite_open(s, spec, opts, err);
    if (rc != SFN_OK) {
        free(s);
        return rc;
    }
    *out = s;
    return SFN_OK;
}

const char *sfn_store_backend(const sfn_store *s)
{
    return s->ops.backend;
}

void sfn_store_close(sfn_store *s)
{
    if (!s)
        return;
    s->ops.close(s);
    free(s);
}

int sfn_store_schema_latest(void)
{
    return SFN__SCHEMA_LATEST;
}

int sfn_store_schema_version(sfn_store *s)
{
    return s->ops.schema_version(s);
}

sfn_rc sfn_store_put_machine(sfn_store *s, const char *name, const char *type,
                             const char *definition, int64_t now_ms,
                             int64_t *revision_out, sfn_error *err)
{
    return s->ops.put_machine(s, name, type, definition, now_ms, revision_out,
                              err);
}

sfn_rc sfn_store_get_machine(sfn_store *s, const char *name, int64_t revision,
                             sfn_machine_rec *out, sfn_error *err)
{
    return s->ops.get_machine(s, name, revision, out, err);
}

sfn_rc sfn_store_list_machines(sfn_store *s,
                               int (*cb)(const sfn_machine_rec *m, void *ud),
                               void *ud, sfn_error *err)
{
    return s->ops.list_machines(s, cb, ud, err);
}

sfn_rc sfn_store_delete_machine(sfn_store *s, const char *name, sfn_error *err)
{
    return s->ops.delete_machine(s, name, err);
}

sfn_rc sfn_store_begin(sfn_store *s, sfn_error *err)
{
    return s->ops.begin(s, err);
}

sfn_rc sfn_store_commit(sfn_store *s, sfn_error *err)
{
    return s->ops.commit(s, err);
}

void sfn_store_rollback(sfn_store *s)
{
    s->ops.rollback(s);
}

sfn_rc sfn_store_insert_execution(sfn_store *s, sfn_exec_rec *rec,
                                  sfn_error *err)
{
    return s->ops.insert_execution(s, rec, err);
}

sfn_rc sfn_store_update_execution(sfn_store *s, const sfn_exec_rec *rec,
                                  sfn_error *err)
{
    return s->ops.update_execution(s, rec, err);
}

sfn_rc sfn_store_append_events(sfn_store *s, int64_t exec_id,
                               const sfn_store_event *ev, size_t n,
                               sfn_error *err)
{
    return s->ops.append_events(s, exec_id, ev, n, err);
}

sfn_rc sfn_store_put_snapshot(sfn_store *s, int64_t exec_id, int64_t key,
                              const char *data, sfn_error *err)
{
    return s->ops.put_snapshot(s, exec_id, key, data, err);
}

sfn_rc sfn_store_delete_snapshot(sfn_store *s, int64_t exec_id, int64_t key,
                                 sfn_error *err)
{
    return s->ops.delete_snapshot(s, exec_id, key, err);
}

sfn_rc sfn_store_clear_snapshots(sfn_store *s, int64_t exec_id, sfn_error *err)
{
    return s->ops.clear_snapshots(s, exec_id, err);
}

sfn_rc sfn_store_get_execution(sfn_store *s, const char *arn, sfn_exec_rec *out,
                               sfn_error *err)
{
    return s->ops.get_execution(s, arn, out, err);
}

sfn_rc sfn_store_find_execution(sfn_store *s, const char *name, char **arn_out,
                                sfn_error *err)
{
    return s->ops.find_execution(s, name, arn_out, err);
}

sfn_rc sfn_store_list_due(sfn_store *s, int64_t until_ms,
                          int (*cb)(const sfn_exec_rec *r, void *ud), void *ud,
                          sfn_error *err)
{
    return s->ops.list_due(s, until_ms, cb, ud, err);
}

int64_t sfn_store_next_wake(sfn_store *s)
{
    return s->ops.next_wake(s);
}

sfn_rc sfn_store_list_running(sfn_store *s,
                              int (*cb)(const sfn_exec_rec *r, void *ud),
                              void *ud, sfn_error *err)
{
    return s->ops.list_running(s, cb, ud, err);
}

sfn_rc sfn_store_load_snapshots(sfn_store *s, int64_t exec_id,
                                int (*cb)(int64_t key, const char *data,
                                          void *ud),
                                void *ud, sfn_error *err)
{
    return s->ops.load_snapshots(s, exec_id, cb, ud, err);
}

sfn_rc sfn_store_get_history(sfn_store *s, int64_t exec_id, int64_t after_id,
                             size_t limit, bool reverse,
                             int (*cb)(const sfn_store_event *e, void *ud),
                             void *ud, sfn_error *err)
{
    return s->ops.get_history(s, exec_id, after_id, limit, reverse, cb, ud,
                              err);
}

sfn_rc sfn_store_set_checkpoint_pages(sfn_store *s, int pages, sfn_error *err)
{
    return s->ops.set_checkpoint_pages(s, pages, err);
}

int64_t sfn_store_size_bytes(sfn_store *s)
{
    return s->ops.size_bytes(s);
}

sfn_rc sfn_store_put_machine_meta(sfn_store *s, const char *name,
                                  const sfn_machine_meta *m, sfn_error *err)
{
    return s->ops.put_machine_meta(s, name, m, err);
}

sfn_rc sfn_store_get_machine_meta(sfn_store *s, const char *name,
                                  sfn_machine_meta *out, sfn_error *err)
{
    return s->ops.get_machine_meta(s, name, out, err);
}

sfn_rc sfn_store_publish_version(sfn_store *s, const char *name,
                                 int64_t revision, const char *role_arn,
                                 const char *description,
                                 const char *revision_id, int64_t now_ms,
                                 sfn_version_rec *out, bool *existed,
                                 sfn_error *err)
{
    return s->ops.publish_version(s, name, revision, role_arn, description,
                                  revision_id, now_ms, out, existed, err);
}

sfn_rc sfn_store_get_version(sfn_store *s, const char *name, int64_t version,
                             sfn_version_rec *out, sfn_error *err)
{
    return s->ops.get_version(s, name, version, out, err);
}

sfn_rc sfn_store_list_versions(sfn_store *s, const char *name,
                               int (*cb)(const sfn_version_rec *v, void *ud),
                               void *ud, sfn_error *err)
{
    return s->ops.list_versions(s, name, cb, ud, err);
}

sfn_rc sfn_store_delete_version(sfn_store *s, const char *name, int64_t version,
                                sfn_error *err)
{
    return s->ops.delete_version(s, name, version, err);
}

sfn_rc sfn_store_put_alias(sfn_store *s, const char *name, const char *alias,
                           const char *description, const char *routing,
                           bool create, int64_t now_ms, sfn_error *err)
{
    return s->ops.put_alias(s, name, alias, description, routing, create,
                            now_ms, err);
}

sfn_rc sfn_store_get_alias(sfn_store *s, const char *name, const char *alias,
                           sfn_alias_rec *out, sfn_error *err)
{
    return s->ops.get_alias(s, name, alias, out, err);
}

sfn_rc sfn_store_list_aliases(sfn_store *s, const char *name,
                              int (*cb)(const sfn_alias_rec *a, void *ud),
                              void *ud, sfn_error *err)
{
    return s->ops.list_aliases(s, name, cb, ud, err);
}

sfn_rc sfn_store_delete_alias(sfn_store *s, const char *name, const char *alias,
                              sfn_error *err)
{
    return s->ops.delete_alias(s, name, alias, err);
}

sfn_rc sfn_store_put_tags(sfn_store *s, const char *resource,
                          const char *const *keys, const char *const *values,
                          size_t n, size_t max_tags, sfn_error *err)
{
    return s->ops.put_tags(s, resource, keys, values, n, max_tags, err);
}

sfn_rc sfn_store_delete_tags(sfn_store *s, const char *resource,
                             const char *const *keys, size_t n, sfn_error *err)
{
    return s->ops.delete_tags(s, resource, keys, n, err);
}

sfn_rc sfn_store_list_tags(sfn_store *s, const char *resource,
                           int (*cb)(const char *key, const char *value,
                                     void *ud),
                           void *ud, sfn_error *err)
{
    return s->ops.list_tags(s, resource, cb, ud, err);
}

sfn_rc sfn_store_drop_tags(sfn_store *s, const char *resource, sfn_error *err)
{
    return s->ops.drop_tags(s, resource, err);
}

sfn_rc sfn_store_put_exec_meta(sfn_store *s, const char *arn,
                               const char *version_arn, const char *alias_arn,
                               sfn_error *err)
{
    return s->ops.put_exec_meta(s, arn, version_arn, alias_arn, err);
}

sfn_rc sfn_store_get_exec_meta(sfn_store *s, const char *arn,
                               char **version_arn, char **alias_arn,
                               sfn_error *err)
{
    return s->ops.get_exec_meta(s, arn, version_arn, alias_arn, err);
}

sfn_rc sfn_store_list_executions(sfn_store *s, const char *machine, int status,
                                 int64_t after_start_ms, int64_t after_id,
                                 size_t limit,
                                 int (*cb)(const sfn_exec_rec *r, void *ud),
                                 void *ud, sfn_error *err)
{
    return s->ops.list_executions(s, machine, status, after_start_ms, after_id,
                                  limit, cb, ud, err);
}

sfn_rc sfn_store_count_executions(sfn_store *s, int status, int64_t *out,
                                  sfn_error *err)
{
    return s->ops.count_executions(s, status, out, err);
}

sfn_rc sfn_store_put_token(sfn_store *s, const sfn_token_rec *t, sfn_error *err)
{
    return s->ops.put_token(s, t, err);
}

sfn_rc sfn_store_close_token(sfn_store *s, const char *token, int status,
                             int64_t closed_ms, sfn_error *err)
{
    return s->ops.close_token(s, token, status, closed_ms, err);
}

sfn_rc sfn_store_get_token(sfn_store *s, const char *token, sfn_token_rec *out,
                           sfn_error *err)
{
    return s->ops.get_token(s, token, out, err);
}

sfn_rc sfn_store_get_execution_by_id(sfn_store *s, int64_t id,
                                     sfn_exec_rec *out, sfn_error *err)
{
    return s->ops.get_execution_by_id(s, id, out, err);
}

sfn_rc sfn_store_put_activity(sfn_store *s, const char *arn, const char *name,
                              int64_t created_ms, bool *created, sfn_error *err)
{
    return s->ops.put_activity(s, arn, name, created_ms, created, err);
}

sfn_rc sfn_store_get_activity(sfn_store *s, const char *arn,
                              sfn_activity_rec *out, sfn_error *err)
{
    return s->ops.get_activity(s, arn, out, err);
}

sfn_rc sfn_store_list_activities(sfn_store *s, const char *after_name,
                                 size_t limit,
                                 int (*cb)(const sfn_activity_rec *a, void *ud),
                                 void *ud, sfn_error *err)
{
    return s->ops.list_activities(s, after_name, limit, cb, ud, err);
}

sfn_rc sfn_store_delete_activity(sfn_store *s, const char *arn, sfn_error *err)
{
    return s->ops.delete_activity(s, arn, err);
}

bool sfn_store_shared(const sfn_store *s)
{
    return s->ops.shared(s);
}

const char *sfn_store_node_id(const sfn_store *s)
{
    return s->ops.node_id(s);
}

sfn_rc sfn_store_renew_lease(sfn_store *s, sfn_error *err)
{
    return s->ops.renew_lease(s, err);
}

sfn_rc sfn_store_claim(sfn_store *s, size_t max,
                       int (*cb)(const sfn_exec_rec *r, void *ud), void *ud,
                       size_t *n_out, sfn_error *err)
{
    return s->ops.claim(s, max, cb, ud, n_out, err);
}

bool sfn_store_owns(const sfn_store *s, int64_t exec_id)
{
    return s->ops.owns(s, exec_id);
}

sfn_rc sfn_store_check_leases(sfn_store *s, const int64_t *ids, size_t n,
                              void (*lost)(void *ud, int64_t id), void *ud,
                              sfn_error *err)
{
    return s->ops.check_leases(s, ids, n, lost, ud, err);
}

sfn_rc sfn_store_adopt(sfn_store *s, int64_t exec_id, sfn_error *err)
{
    return s->ops.adopt(s, exec_id, err);
}

sfn_rc sfn_store_exec_owner(sfn_store *s, int64_t exec_id, char **node,
                            bool *alive, sfn_error *err)
{
    return s->ops.exec_owner(s, exec_id, node, alive, err);
}

sfn_store_lease_stats sfn_store_get_lease_stats(const sfn_store *s)
{
    return s->ops.get_lease_stats(s);
}

sfn_rc sfn_store_list_nodes(sfn_store *s,
                            int (*cb)(const char *id, int64_t expires_ms,
                                      bool alive, void *ud),
                            void *ud, sfn_error *err)
{
    return s->ops.list_nodes(s, cb, ud, err);
}

sfn_rc sfn_store_post_msg(sfn_store *s, const char *to_node, int64_t exec_id,
                          int kind, const char *body, int64_t *id_out,
                          sfn_error *err)
{
    return s->ops.post_msg(s, to_node, exec_id, kind, body, id_out, err);
}

sfn_rc sfn_store_take_msgs(sfn_store *s,
                           int (*cb)(const sfn_store_msg *m, void *ud),
                           void *ud, sfn_error *err)
{
    return s->ops.take_msgs(s, cb, ud, err);
}

sfn_rc sfn_store_answer_msg(sfn_store *s, int64_t id, const char *answer,
                            sfn_error *err)
{
    return s->ops.answer_msg(s, id, answer, err);
}

sfn_rc sfn_store_get_answer(sfn_store *s, int64_t id, char **answer,
                            sfn_error *err)
{
    return s->ops.get_answer(s, id, answer, err);
}

sfn_rc sfn_store_listen(sfn_store *s, const char *channel, sfn_error *err)
{
    return s->ops.listen(s, channel, err);
}

int sfn_store_notify_fd(sfn_store *s)
{
    return s->ops.notify_fd(s);
}

sfn_rc sfn_store_notifications(sfn_store *s,
                               void (*cb)(const char *channel,
                                          const char *payload, void *ud),
                               void *ud, sfn_error *err)
{
    return s->ops.notifications(s, cb, ud, err);
}

sfn_rc sfn_store_notify(sfn_store *s, const char *channel, const char *payload,
                        sfn_error *err)
{
    return s->ops.notify(s, channel, payload, err);
}

sfn_rc sfn_store_push_activity(sfn_store *s, const char *token,
                               const char *activity_arn, int64_t exec_id,
                               const char *input, int64_t now_ms,
                               sfn_error *err)
{
    return s->ops.push_activity(s, token, activity_arn, exec_id, input, now_ms,
                                err);
}

sfn_rc sfn_store_pop_activity(sfn_store *s, const char *activity_arn,
                              char **token, char **input, int64_t *exec_id,
                              sfn_error *err)
{
    return s->ops.pop_activity(s, activity_arn, token, input, exec_id, err);
}

sfn_rc sfn_store_drop_activity(sfn_store *s, const char *token, sfn_error *err)
{
    return s->ops.drop_activity(s, token, err);
}

/* ---- record destructors ------------------------------------------------ */

void sfn_machine_rec_free(sfn_machine_rec *m)
{
    if (!m)
        return;
    free(m->name);
    free(m->type);
    free(m->definition);
    memset(m, 0, sizeof *m);
}

void sfn_version_rec_free(sfn_version_rec *v)
{
    if (!v)
        return;
    free(v->role_arn);
    free(v->description);
    free(v->revision_id);
    memset(v, 0, sizeof *v);
}

void sfn_alias_rec_free(sfn_alias_rec *a)
{
    if (!a)
        return;
    free(a->alias);
    free(a->description);
    free(a->routing);
    memset(a, 0, sizeof *a);
}

void sfn_machine_meta_free(sfn_machine_meta *m)
{
    if (!m)
        return;
    free(m->role_arn);
    free(m->config);
    free(m->revision_id);
    memset(m, 0, sizeof *m);
}

void sfn_exec_rec_free(sfn_exec_rec *r)
{
    if (!r)
        return;
    free(r->arn);
    free(r->machine);
    free(r->name);
    free(r->input);
    free(r->output);
    free(r->error);
    free(r->cause);
    free(r->test_case);
    memset(r, 0, sizeof *r);
}

void sfn_token_rec_free(sfn_token_rec *t)
{
    if (!t)
        return;
    free(t->token);
    free(t->activity);
    memset(t, 0, sizeof *t);
}

void sfn_activity_rec_free(sfn_activity_rec *a)
{
    if (!a)
        return;
    free(a->arn);
    free(a->name);
    memset(a, 0, sizeof *a);
}
