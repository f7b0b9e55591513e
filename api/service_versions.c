/* service_versions.c: published versions (immutable snapshots of a
 * revision and its role), aliases routing StartExecution to one or two
 * versions by weight, and resource tags. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service_internal.h"
#include "sfn_json.h"

static json_t *not_found(sfn_error *err, const char *arn)
{
    return svc_fail(err, "ResourceNotFound", "Resource not found: '%s'", arn);
}

json_t *svc_publish(sfn_service *svc, sfn_store *st, const char *name,
                    const char *description, sfn_error *err)
{
    sfn_machine_rec m = {0};
    sfn_machine_meta meta = {0};
    if (sfn_store_get_machine(st, name, 0, &m, err) != SFN_OK)
        return NULL;
    sfn_error e2;
    sfn_store_get_machine_meta(st, name, &meta, &e2);
    sfn_version_rec v = {0};
    bool existed = false;
    json_t *out = NULL;
    if (sfn_store_publish_version(st, name, m.revision, meta.role_arn,
                                  description, meta.revision_id,
                                  svc_now_ms(), &v, &existed,
                                  err) == SFN_OK) {
        char *arn = svc_version_arn(svc, name, v.version);
        out = json_pack("{s:s,s:o}", "stateMachineVersionArn",
                        arn ? arn : "", "creationDate",
                        svc_date(v.created_ms));
        free(arn);
    }
    sfn_version_rec_free(&v);
    sfn_machine_meta_free(&meta);
    sfn_machine_rec_free(&m);
    return out ? out : svc_internal(err);
}

json_t *svc_PublishStateMachineVersion(sfn_service *svc, sfn_store *st,
                                       json_t *req, sfn_error *err)
{
    const char *arn = NULL, *rid = NULL, *desc = NULL;
    svc_arn a;
    if (!svc_str(req, "stateMachineArn", true, 256, &arn, err) ||
        !svc_str(req, "revisionId", false, 0, &rid, err) ||
        !svc_str(req, "description", false, 256, &desc, err) ||
        !svc_parse_arn(svc, arn, SVC_ALLOW(SVC_ARN_MACHINE), &a, err))
        return NULL;
    sfn_machine_meta meta = {0};
    if (sfn_store_get_machine_meta(st, a.name, &meta, err) != SFN_OK)
        return svc_fail(err, "StateMachineDoesNotExist",
                        "State Machine Does Not Exist: '%s'", arn);
    bool stale = rid && strcmp(rid, meta.revision_id);
    sfn_machine_meta_free(&meta);
    if (stale)
        return svc_fail(err, "ConflictException",
                        "Failed to publish the State Machine version: the "
                        "revisionId '%s' is not the latest revision",
                        rid);
    return svc_publish(svc, st, a.name, desc, err);
}

typedef struct page_ctx {
    sfn_service *svc;
    const char *name;
    int64_t limit, after_version;
    const char *after_alias;
    json_t *items;
    bool more;
    char last[256];
} page_ctx;

static int version_one(const sfn_version_rec *v, void *ud)
{
    page_ctx *c = ud;
    if (c->after_version && v->version >= c->after_version)
        return 0;
    if ((int64_t)json_array_size(c->items) == c->limit) {
        c->more = true;
        return 1;
    }
    char *arn = svc_version_arn(c->svc, c->name, v->version);
    json_array_append_new(c->items,
                          json_pack("{s:s,s:o}", "stateMachineVersionArn",
                                    arn ? arn : "", "creationDate",
                                    svc_date(v->created_ms)));
    free(arn);
    snprintf(c->last, sizeof c->last, "%lld", (long long)v->version);
    return 0;
}

static int alias_one(const sfn_alias_rec *al, void *ud)
{
    page_ctx *c = ud;
    if (c->after_alias && strcmp(al->alias, c->after_alias) <= 0)
        return 0;
    if ((int64_t)json_array_size(c->items) == c->limit) {
        c->more = true;
        return 1;
    }
    char *arn = svc_alias_arn(c->svc, c->name, al->alias);
    json_array_append_new(c->items,
                          json_pack("{s:s,s:o}", "stateMachineAliasArn",
                                    arn ? arn : "", "creationDate",
                                    svc_date(al->created_ms)));
    free(arn);
    snprintf(c->last, sizeof c->last, "%s", al->alias);
    return 0;
}

/* Reads a list request: machine ARN (must exist), maxResults, nextToken
 * of kind k ("after" member). */
static bool page_read(sfn_service *svc, sfn_store *st, json_t *req,
                      const char *k, page_ctx *c, svc_arn *a, json_t **tok,
                      sfn_error *err)
{
    const char *arn = NULL, *token = NULL;
    if (!svc_str(req, "stateMachineArn", true, 256, &arn, err) ||
        !svc_max_results(req, 1000, 100, &c->limit, err) ||
        !svc_str(req, "nextToken", false, 1024, &token, err) ||
        !svc_parse_arn(svc, arn, SVC_ALLOW(SVC_ARN_MACHINE), a, err))
        return false;
    if (token) {
        *tok = svc_token_read(token, err);
        const char *kind = json_string_value(json_object_get(*tok, "k"));
        if (!*tok || !kind || strcmp(kind, k) ||
            !json_is_string(json_object_get(*tok, "after"))) {
            svc_fail(err, "InvalidToken", "Invalid Token: '%s'", token);
            return false;
        }
    }
    sfn_machine_rec m = {0};
    if (sfn_store_get_machine(st, a->name, 0, &m, err) != SFN_OK) {
        svc_fail(err, "StateMachineDoesNotExist",
                 "State Machine Does Not Exist: '%s'", arn);
        return false;
    }
    sfn_machine_rec_free(&m);
    c->svc = svc;
    c->name = a->name;
    c->items = json_array();
    return true;
}

static json_t *page_out(page_ctx *c, const char *member, const char *k)
{
    json_t *out = json_pack("{s:o}", member, c->items);
    if (c->more) {
        json_t *tok = json_pack("{s:s,s:s}", "k", k, "after", c->last);
        char *t = svc_token_make(tok);
        svc_set(out, "nextToken", t ? json_string(t) : NULL);
        free(t);
        json_decref(tok);
    }
    return out;
}

json_t *svc_ListStateMachineVersions(sfn_service *svc, sfn_store *st,
                                     json_t *req, sfn_error *err)
{
    page_ctx c = {0};
    svc_arn a;
    json_t *tok = NULL;
    if (!page_read(svc, st, req, "versions", &c, &a, &tok, err)) {
        json_decref(tok);
        return NULL;
    }
    if (tok)
        c.after_version =
            strtoll(json_string_value(json_object_get(tok, "after")), NULL,
                    10);
    sfn_rc rc = sfn_store_list_versions(st, a.name, version_one, &c, err);
    json_decref(tok);
    if (rc != SFN_OK) {
        json_decref(c.items);
        return svc_internal(err);
    }
    return page_out(&c, "stateMachineVersions", "versions");
}

static int alias_uses(const sfn_alias_rec *al, void *ud)
{
    const char **arn = ud;
    json_t *r = svc_parse_text(al->routing);
    size_t i;
    json_t *v;
    bool used = false;
    json_array_foreach(r, i, v)
    {
        const char *s =
            json_string_value(json_object_get(v, "stateMachineVersionArn"));
        used |= s && !strcmp(s, arn[0]);
    }
    json_decref(r);
    if (used)
        arn[1] = "used";
    return used;
}

json_t *svc_DeleteStateMachineVersion(sfn_service *svc, sfn_store *st,
                                      json_t *req, sfn_error *err)
{
    const char *arn = NULL;
    svc_arn a;
    if (!svc_str(req, "stateMachineVersionArn", true, 256, &arn, err) ||
        !svc_parse_arn(svc, arn, SVC_ALLOW(SVC_ARN_VERSION), &a, err))
        return NULL;
    const char *probe[2] = {arn, NULL};
    if (sfn_store_list_aliases(st, a.name, alias_uses, probe, err) != SFN_OK)
        return svc_internal(err);
    if (probe[1])
        return svc_fail(err, "ConflictException",
                        "Version to be deleted must not be referenced by an "
                        "alias. Current list of aliases referencing this "
                        "version must be updated first: '%s'",
                        arn);
    if (sfn_store_delete_version(st, a.name, a.version, err) != SFN_OK ||
        sfn_store_drop_tags(st, arn, err) != SFN_OK)
        return svc_internal(err);
    return json_object();
}

/* ---- aliases ----------------------------------------------------------- */

static bool alias_name_ok(const char *n)
{
    bool letter = false;
    for (const char *p = n; *p; p++) {
        bool digit = *p >= '0' && *p <= '9';
        bool other = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     *p == '_' || *p == '-' || *p == '.';
        if (!digit && !other)
            return false;
        letter |= other;
    }
    return letter && strlen(n) <= 80;
}

/* Validates a routingConfiguration against machine `name`; returns its
 * JSON text (malloc'd) or NULL with err. */
static char *routing_text(sfn_service *svc, sfn_store *st, const char *name,
                          json_t *rc, sfn_error *err)
{
    size_t n = json_array_size(rc);
    if (!json_is_array(rc) || n < 1 || n > 2)
        return svc_fail(err, "ValidationException",
                        "1 validation error detected: Value at "
                        "'routingConfiguration' failed to satisfy "
                        "constraint: Member must have length between 1 and "
                        "2"),
               NULL;
    json_int_t sum = 0;
    const char *seen = NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(rc, i);
        json_t *w = json_object_get(e, "weight");
        const char *varn = json_string_value(
            json_object_get(e, "stateMachineVersionArn"));
        svc_arn a;
        if (!varn || !json_is_integer(w) || json_integer_value(w) < 0 ||
            json_integer_value(w) > 100)
            return svc_fail(err, "ValidationException",
                            "Each routing configuration entry needs a "
                            "stateMachineVersionArn and a weight from 0 to "
                            "100"),
                   NULL;
        if (!svc_parse_arn(svc, varn, SVC_ALLOW(SVC_ARN_VERSION), &a, err))
            return NULL;
        sfn_version_rec v = {0};
        if (strcmp(a.name, name) ||
            sfn_store_get_version(st, a.name, a.version, &v, err) != SFN_OK)
            return not_found(err, varn), NULL;
        sfn_version_rec_free(&v);
        if (seen && !strcmp(seen, varn))
            return svc_fail(err, "ValidationException",
                            "Routing configuration must contain distinct "
                            "state machine versions"),
                   NULL;
        seen = varn;
        sum += json_integer_value(w);
    }
    if (sum != 100)
        return svc_fail(err, "ValidationException",
                        "Sum of routing configuration weights must be equal "
                        "to 100"),
               NULL;
    return sfn_json_dumps(rc, 0);
}

/* The machine of an alias ARN (which must exist). */
static bool alias_target(sfn_service *svc, sfn_store *st, const char *arn,
                         svc_arn *a, sfn_alias_rec *al, sfn_error *err)
{
    if (!svc_parse_arn(svc, arn, SVC_ALLOW(SVC_ARN_ALIAS), a, err))
        return false;
    if (sfn_store_get_alias(st, a->name, a->qualifier, al, err) != SFN_OK) {
        not_found(err, arn);
        return false;
    }
    return true;
}

json_t *svc_CreateStateMachineAlias(sfn_service *svc, sfn_store *st,
                                    json_t *req, sfn_error *err)
{
    const char *name = NULL, *desc = NULL;
    if (!svc_str(req, "name", true, 80, &name, err) ||
        !svc_str(req, "description", false, 256, &desc, err))
        return NULL;
    if (!alias_name_ok(name))
        return svc_fail(err, "ValidationException",
                        "1 validation error detected: Value '%s' at 'name' "
                        "failed to satisfy constraint: Member must satisfy "
                        "regular expression pattern: "
                        "^(?=.*[a-zA-Z_\\-\\.])[a-zA-Z0-9_\\-\\.]+$",
                        name);
    json_t *routing = json_object_get(req, "routingConfiguration");
    const char *first = json_string_value(json_object_get(
        json_array_get(routing, 0), "stateMachineVersionArn"));
    svc_arn va;
    if (!first)
        return svc_fail(err, "ValidationException",
                        "1 validation error detected: Value null at "
                        "'routingConfiguration' failed to satisfy "
                        "constraint: Member must not be null");
    if (!svc_parse_arn(svc, first, SVC_ALLOW(SVC_ARN_VERSION), &va, err))
        return NULL;
    char *text = routing_text(svc, st, va.name, routing, err);
    if (!text)
        return NULL;
    char *arn = svc_alias_arn(svc, va.name, name);
    int64_t now = svc_now_ms();
    json_t *out = NULL;
    sfn_alias_rec old = {0};
    if (sfn_store_get_alias(st, va.name, name, &old, err) == SFN_OK) {
        json_t *a = svc_parse_text(old.routing);
        bool same = json_equal(a, routing) &&
                    !strcmp(old.description ? old.description : "",
                            desc ? desc : "");
        json_decref(a);
        if (same)
            out = json_pack("{s:s,s:o}", "stateMachineAliasArn", arn,
                            "creationDate", svc_date(old.created_ms));
        else
            svc_fail(err, "ConflictException",
                     "Alias already exists with a different configuration: "
                     "'%s'",
                     arn);
        sfn_alias_rec_free(&old);
    } else if (sfn_store_put_alias(st, va.name, name, desc, text, true, now,
                                   err) == SFN_OK &&
               svc_tags_put(st, arn, json_object_get(req, "tags"), err)) {
        out = json_pack("{s:s,s:o}", "stateMachineAliasArn", arn,
                        "creationDate", svc_date(now));
    } else if (!err->name[0]) {
        svc_internal(err);
    }
    free(arn);
    free(text);
    return out;
}

json_t *svc_DescribeStateMachineAlias(sfn_service *svc, sfn_store *st,
                                      json_t *req, sfn_error *err)
{
    const char *arn = NULL;
    svc_arn a;
    sfn_alias_rec al = {0};
    if (!svc_str(req, "stateMachineAliasArn", true, 256, &arn, err) ||
        !alias_target(svc, st, arn, &a, &al, err))
        return NULL;
    json_t *out = json_pack("{s:s,s:s,s:o,s:o,s:o}", "stateMachineAliasArn",
                            arn, "name", al.alias, "routingConfiguration",
                            svc_parse_text(al.routing), "creationDate",
                            svc_date(al.created_ms), "updateDate",
                            svc_date(al.updated_ms));
    if (out && al.description)
        json_object_set_new(out, "description", json_string(al.description));
    sfn_alias_rec_free(&al);
    return out ? out : svc_internal(err);
}

json_t *svc_UpdateStateMachineAlias(sfn_service *svc, sfn_store *st,
                                    json_t *req, sfn_error *err)
{
    const char *arn = NULL, *desc = NULL;
    svc_arn a;
    sfn_alias_rec al = {0};
    if (!svc_str(req, "stateMachineAliasArn", true, 256, &arn, err) ||
        !svc_str(req, "description", false, 256, &desc, err) ||
        !alias_target(svc, st, arn, &a, &al, err))
        return NULL;
    sfn_alias_rec_free(&al);
    json_t *routing = json_object_get(req, "routingConfiguration");
    if (!desc && !routing)
        return svc_fail(err, "ValidationException",
                        "Either the description or the RoutingConfiguration "
                        "must be specified");
    char *text = routing ? routing_text(svc, st, a.name, routing, err) : NULL;
    if (routing && !text)
        return NULL;
    int64_t now = svc_now_ms();
    sfn_rc rc = sfn_store_put_alias(st, a.name, a.qualifier, desc, text,
                                    false, now, err);
    free(text);
    if (rc != SFN_OK)
        return svc_internal(err);
    return json_pack("{s:o}", "updateDate", svc_date(now));
}

json_t *svc_DeleteStateMachineAlias(sfn_service *svc, sfn_store *st,
                                    json_t *req, sfn_error *err)
{
    const char *arn = NULL;
    svc_arn a;
    sfn_alias_rec al = {0};
    if (!svc_str(req, "stateMachineAliasArn", true, 256, &arn, err) ||
        !alias_target(svc, st, arn, &a, &al, err))
        return NULL;
    sfn_alias_rec_free(&al);
    if (sfn_store_delete_alias(st, a.name, a.qualifier, err) != SFN_OK ||
        sfn_store_drop_tags(st, arn, err) != SFN_OK)
        return svc_internal(err);
    return json_object();
}

json_t *svc_ListStateMachineAliases(sfn_service *svc, sfn_store *st,
                                    json_t *req, sfn_error *err)
{
    page_ctx c = {0};
    svc_arn a;
    json_t *tok = NULL;
    if (!page_read(svc, st, req, "aliases", &c, &a, &tok, err)) {
        json_decref(tok);
        return NULL;
    }
    c.after_alias = tok ? json_string_value(json_object_get(tok, "after"))
                        : NULL;
    sfn_rc rc = sfn_store_list_aliases(st, a.name, alias_one, &c, err);
    json_decref(tok);
    if (rc != SFN_OK) {
        json_decref(c.items);
        return svc_internal(err);
    }
    return page_out(&c, "stateMachineAliases", "aliases");
}

/* ---- tags --------------------------------------------------------------- */

#define TAGS_MAX 50

bool svc_tags_put(sfn_store *st, const char *resource, json_t *tags,
                  sfn_error *err)
{
    size_t n = json_array_size(tags);
    if (!n)
        return true;
    if (n > TAGS_MAX) {
        svc_fail(err, "TooManyTags", "Too many tags: '%s' may have at most "
                 "%d tags", resource, TAGS_MAX);
        return false;
    }
    const char *keys[TAGS_MAX], *values[TAGS_MAX];
    for (size_t i = 0; i < n; i++) {
        json_t *t = json_array_get(tags, i);
        keys[i] = json_string_value(json_object_get(t, "key"));
        values[i] = json_string_value(json_object_get(t, "value"));
        if (!values[i] && !json_object_get(t, "value"))
            values[i] = "";
        if (!keys[i] || !values[i] || !*keys[i] ||
            json_string_length(json_object_get(t, "key")) > 128 ||
            strlen(values[i]) > 256 || !strncmp(keys[i], "aws:", 4)) {
            svc_fail(err, "ValidationException",
                     "1 validation error detected: Value at 'tags.%zu' "
                     "failed to satisfy constraint: a tag needs a key of 1 "
                     "to 128 characters not starting with 'aws:' and a "
                     "value of at most 256 characters",
                     i + 1);
            return false;
        }
    }
    sfn_rc rc = sfn_store_put_tags(st, resource, keys, values, n, TAGS_MAX,
                                   err);
    if (rc == SFN_ELIMIT) {
        svc_fail(err, "TooManyTags", "Too many tags: '%s' may have at most "
                 "%d tags", resource, TAGS_MAX);
        return false;
    }
    return rc == SFN_OK || (svc_internal(err), false);
}

/* Tagged resources: state machines, versions, aliases and activities that
 * exist. */
static bool tag_target(sfn_service *svc, sfn_store *st, const char *arn,
                       sfn_error *err)
{
    svc_arn a;
    if (!svc_parse_arn(svc, arn,
                       SVC_ALLOW(SVC_ARN_MACHINE) | SVC_ALLOW(SVC_ARN_VERSION) |
                           SVC_ALLOW(SVC_ARN_ALIAS) |
                           SVC_ALLOW(SVC_ARN_ACTIVITY),
                       &a, err))
        return false;
    sfn_rc rc;
    if (a.kind == SVC_ARN_ACTIVITY) {
        sfn_activity_rec act = {0};
        rc = sfn_store_get_activity(st, arn, &act, err);
        sfn_activity_rec_free(&act);
    } else if (a.kind == SVC_ARN_VERSION) {
        sfn_version_rec v = {0};
        rc = sfn_store_get_version(st, a.name, a.version, &v, err);
        sfn_version_rec_free(&v);
    } else if (a.kind == SVC_ARN_ALIAS) {
        sfn_alias_rec al = {0};
        rc = sfn_store_get_alias(st, a.name, a.qualifier, &al, err);
        sfn_alias_rec_free(&al);
    } else {
        sfn_machine_rec m = {0};
        rc = sfn_store_get_machine(st, a.name, 0, &m, err);
        sfn_machine_rec_free(&m);
    }
    if (rc != SFN_OK)
        not_found(err, arn);
    return rc == SFN_OK;
}

json_t *svc_TagResource(sfn_service *svc, sfn_store *st, json_t *req,
                        sfn_error *err)
{
    const char *arn = NULL;
    json_t *tags = json_object_get(req, "tags");
    if (!svc_str(req, "resourceArn", true, 256, &arn, err))
        return NULL;
    if (!json_is_array(tags))
        return svc_fail(err, "ValidationException",
                        "1 validation error detected: Value null at 'tags' "
                        "failed to satisfy constraint: Member must not be "
                        "null");
    if (!tag_target(svc, st, arn, err) || !svc_tags_put(st, arn, tags, err))
        return NULL;
    return json_object();
}

json_t *svc_UntagResource(sfn_service *svc, sfn_store *st, json_t *req,
                          sfn_error *err)
{
    const char *arn = NULL;
    json_t *keys = json_object_get(req, "tagKeys");
    if (!svc_str(req, "resourceArn", true, 256, &arn, err))
        return NULL;
    if (!json_is_array(keys))
        return svc_fail(err, "ValidationException",
                        "1 validation error detected: Value null at "
                        "'tagKeys' failed to satisfy constraint: Member must "
                        "not be null");
    if (!tag_target(svc, st, arn, err))
        return NULL;
    size_t n = json_array_size(keys);
    const char **k = calloc(n ? n : 1, sizeof *k);
    if (!k)
        return svc_internal(err);
    for (size_t i = 0; i < n; i++)
        k[i] = json_string_value(json_array_get(keys, i));
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (k[i])
            k[m++] = k[i];
    sfn_rc rc = sfn_store_delete_tags(st, arn, k, m, err);
    free(k);
    return rc == SFN_OK ? json_object() : svc_internal(err);
}

static int tag_one(const char *key, const char *value, void *ud)
{
    json_array_append_new(ud, json_pack("{s:s,s:s}", "key", key, "value",
                                        value));
    return 0;
}

json_t *svc_ListTagsForResource(sfn_service *svc, sfn_store *st, json_t *req,
                                sfn_error *err)
{
    const char *arn = NULL;
    if (!svc_str(req, "resourceArn", true, 256, &arn, err) ||
        !tag_target(svc, st, arn, err))
        return NULL;
    json_t *tags = json_array();
    if (sfn_store_list_tags(st, arn, tag_one, tags, err) != SFN_OK) {
        json_decref(tags);
        return svc_internal(err);
    }
    return json_pack("{s:o}", "tags", tags);
}
