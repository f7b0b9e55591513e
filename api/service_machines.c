/* service_machines.c: state machine actions: Create, Describe, Update,
 * Delete, List and ValidateStateMachineDefinition.  A machine is a row of
 * definition revisions (sfn_store_put_machine) plus its API metadata (role,
 * configuration, revisionId). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service_internal.h"
#include "sfn_asl.h"
#include "sfn_json.h"

static const char *const types[] = {"STANDARD", "EXPRESS", NULL};
static const char *const config_keys[] = {"loggingConfiguration",
                                          "tracingConfiguration",
                                          "encryptionConfiguration", NULL};

/* The configuration members of a request as one object (new reference),
 * NULL when none is given. */
static json_t *config_of(json_t *req, json_t *base, sfn_error *err)
{
    json_t *cfg = base ? json_deep_copy(base) : NULL;
    for (size_t i = 0; config_keys[i]; i++) {
        json_t *v = json_object_get(req, config_keys[i]);
        if (!v || json_is_null(v))
            continue;
        if (!json_is_object(v)) {
            json_decref(cfg);
            return svc_fail(err, "ValidationException",
                            "1 validation error detected: Value at '%s' "
                            "failed to satisfy constraint: Member must be "
                            "an object",
                            config_keys[i]);
        }
        if (!cfg)
            cfg = json_object();
        json_object_set(cfg, config_keys[i], v);
    }
    return cfg;
}

/* Members every describe shows, defaults as AWS reports them. */
static void add_config(json_t *out, const char *config_text)
{
    json_t *cfg = svc_parse_text(config_text);
    json_t *log = json_object_get(cfg, "loggingConfiguration");
    json_t *tr = json_object_get(cfg, "tracingConfiguration");
    json_t *enc = json_object_get(cfg, "encryptionConfiguration");
    json_object_set_new(out, "loggingConfiguration",
                        log ? json_incref(log)
                            : json_pack("{s:s,s:b}", "level", "OFF",
                                        "includeExecutionData", 0));
    json_object_set_new(out, "tracingConfiguration",
                        tr ? json_incref(tr) : json_pack("{s:b}", "enabled",
                                                         0));
    if (enc)
        json_object_set(out, "encryptionConfiguration", enc);
    json_decref(cfg);
}

static bool valid_role(const char *role, sfn_error *err)
{
    if (role && strncmp(role, "arn:", 4)) {
        svc_fail(err, "InvalidArn", "Invalid Arn: '%s'", role);
        return false;
    }
    return true;
}

static char *default_role(const sfn_service *svc)
{
    char *s = NULL;
    if (asprintf(&s, "arn:aws:iam::%s:role/stepd", svc->account) < 0)
        return NULL;
    return s;
}

/* CreateStateMachine on an existing name: the same input returns it. */
static json_t *create_existing(sfn_service *svc, sfn_store *st,
                               const sfn_machine_rec *m, const char *def,
                               const char *type, const char *role,
                               json_t *cfg, sfn_error *err)
{
    sfn_machine_meta meta = {0};
    sfn_error e2;
    sfn_store_get_machine_meta(st, m->name, &meta, &e2);
    json_t *old_cfg = svc_parse_text(meta.config);
    bool same = !strcmp(m->definition, def) && !strcmp(m->type, type) &&
                (!role || (meta.role_arn && !strcmp(meta.role_arn, role))) &&
                ((!cfg && !old_cfg) || json_equal(cfg, old_cfg));
    json_decref(old_cfg);
    sfn_machine_meta_free(&meta);
    char *arn = svc_machine_arn(svc, m->name);
    json_t *out = NULL;
    if (same)
        out = json_pack("{s:s,s:o}", "stateMachineArn", arn ? arn : "",
                        "creationDate", svc_date(m->created_ms));
    else
        svc_fail(err, "StateMachineAlreadyExists",
                 "State Machine Already Exists: '%s'", arn ? arn : m->name);
    free(arn);
    return out;
}

typedef struct create_in {
    const char *name, *def, *type, *role, *vdesc;
    bool publish;
    json_t *cfg;
} create_in;

static bool create_read(sfn_service *svc, json_t *req, create_in *in,
                        sfn_error *err)
{
    (void)svc;
    in->type = "STANDARD";
    if (!svc_str(req, "name", true, 0, &in->name, err) ||
        !svc_str(req, "definition", true, SFN_ASL_DEFINITION_MAX, &in->def,
                 err) ||
        !svc_str(req, "roleArn", false, 256, &in->role, err) ||
        !svc_enum(req, "type", types, &in->type, err) ||
        !svc_bool(req, "publish", &in->publish, err) ||
        !svc_str(req, "versionDescription", false, 256, &in->vdesc, err))
        return false;
    if (!svc_valid_name(in->name)) {
        svc_fail(err, "InvalidName", "Invalid Name: '%s'", in->name);
        return false;
    }
    if (in->vdesc && !in->publish) {
        svc_fail(err, "ValidationException",
                 "Version description can only be set when publish is true");
        return false;
    }
    json_t *tags = json_object_get(req, "tags");
    if (tags && !json_is_array(tags)) {
        svc_fail(err, "ValidationException",
                 "1 validation error detected: Value at 'tags' failed to "
                 "satisfy constraint: Member must be a list");
        return false;
    }
    return valid_role(in->role, err) &&
           svc_compile(in->def, !strcmp(in->type, "EXPRESS"), NULL, err);
}

json_t *svc_CreateStateMachine(sfn_service *svc, sfn_store *st, json_t *req,
                               sfn_error *err)
{
    create_in in = {0};
    if (!create_read(svc, req, &in, err))
        return NULL;
    in.cfg = config_of(req, NULL, err);
    if (!in.cfg && err->name[0])
        return NULL;
    sfn_machine_rec m = {0};
    json_t *out = NULL;
    if (sfn_store_get_machine(st, in.name, 0, &m, err) == SFN_OK) {
        out = create_existing(svc, st, &m, in.def, in.type, in.role, in.cfg,
                              err);
        sfn_machine_rec_free(&m);
        json_decref(in.cfg);
        return out;
    }
    sfn_error_clear(err);
    int64_t now = svc_now_ms();
    char *role = in.role ? strdup(in.role) : default_role(svc);
    char *cfg_text = in.cfg ? sfn_json_dumps(in.cfg, 0) : NULL;
    char rid[37];
    svc_uuid(rid);
    sfn_machine_meta meta = {role, cfg_text, rid, now};
    char *arn = svc_machine_arn(svc, in.name);
    if (!role || !arn ||
        sfn_store_put_machine(st, in.name, in.type, in.def, now, NULL, err) !=
            SFN_OK ||
        sfn_store_put_machine_meta(st, in.name, &meta, err) != SFN_OK)
        goto done;
    if (!svc_tags_put(st, arn, json_object_get(req, "tags"), err))
        goto done;
    out = json_pack("{s:s,s:o}", "stateMachineArn", arn, "creationDate",
                    svc_date(now));
    if (in.publish) {
        json_t *v = svc_publish(svc, st, in.name, in.vdesc, err);
        if (!v) {
            json_decref(out);
            out = NULL;
            goto done;
        }
        json_object_set(out, "stateMachineVersionArn",
                        json_object_get(v, "stateMachineVersionArn"));
        json_decref(v);
    }
done:
    if (!out && !err->name[0])
        svc_internal(err);
    free(arn);
    free(role);
    free(cfg_text);
    json_decref(in.cfg);
    return out;
}

static json_t *machine_not_found(sfn_error *err, const char *arn)
{
    return svc_fail(err, "StateMachineDoesNotExist",
                    "State Machine Does Not Exist: '%s'", arn);
}

/* Describes revision `revision` (0 = latest) of a machine. */
static json_t *describe(sfn_service *svc, sfn_store *st, const char *name,
                        int64_t revision, const char *arn, sfn_error *err)
{
    sfn_machine_rec m = {0};
    if (sfn_store_get_machine(st, name, revision, &m, err) != SFN_OK)
        return machine_not_found(err, arn);
    sfn_machine_meta meta = {0};
    sfn_error e2;
    sfn_store_get_machine_meta(st, name, &meta, &e2);
    char *role = meta.role_arn ? NULL : default_role(svc);
    json_t *out = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:o}", "stateMachineArn", arn, "name",
        m.name, "status", "ACTIVE", "definition", m.definition, "roleArn",
        meta.role_arn ? meta.role_arn : role ? role : "", "type", m.type,
        "creationDate", svc_date(m.created_ms));
    if (out) {
        add_config(out, meta.config);
        if (meta.revision_id)
            json_object_set_new(out, "revisionId",
                                json_string(meta.revision_id));
        /* AWS lists the variables each state reads, when any are read */
        sfn_graph *g = svc_graph(svc, st, m.name, m.revision, &e2);
        json_t *refs = g ? sfn_asl_variable_references(g) : NULL;
        if (json_object_size(refs))
            json_object_set(out, "variableReferences", refs);
        json_decref(refs);
        sfn_graph_unref(g);
    }
    free(role);
    sfn_machine_meta_free(&meta);
    sfn_machine_rec_free(&m);
    return out ? out : svc_internal(err);
}

/* A version: its revision's definition, its own role and description. */
static json_t *describe_version(sfn_service *svc, sfn_store *st,
                                const svc_arn *a, const char *arn,
                                sfn_error *err)
{
    sfn_version_rec v = {0};
    if (sfn_store_get_version(st, a->name, a->version, &v, err) != SFN_OK)
        return machine_not_found(err, arn);
    json_t *out = describe(svc, st, a->name, v.revision, arn, err);
    if (out) {
        json_object_set_new(out, "roleArn", json_string(v.role_arn));
        json_object_set_new(out, "creationDate", svc_date(v.created_ms));
        json_object_set_new(out, "revisionId", json_string(v.revision_id));
        if (v.description)
            json_object_set_new(out, "description",
                                json_string(v.description));
    }
    sfn_version_rec_free(&v);
    return out;
}

json_t *svc_DescribeStateMachine(sfn_service *svc, sfn_store *st, json_t *req,
                                 sfn_error *err)
{
    const char *arn = NULL;
    svc_arn a;
    if (!svc_str(req, "stateMachineArn", true, 256, &arn, err) ||
        !svc_parse_arn(svc, arn,
                       SVC_ALLOW(SVC_ARN_MACHINE) | SVC_ALLOW(SVC_ARN_VERSION),
                       &a, err))
        return NULL;
    if (a.kind == SVC_ARN_VERSION)
        return describe_version(svc, st, &a, arn, err);
    return describe(svc, st, a.name, 0, arn, err);
}

typedef struct update_in {
    const char *def, *role, *vdesc;
    bool publish;
    json_t *cfg;
} update_in;

static json_t *update_apply(sfn_service *svc, sfn_store *st,
                            const sfn_machine_rec *m, update_in *in,
                            sfn_error *err)
{
    sfn_machine_meta meta = {0};
    sfn_error e2;
    sfn_store_get_machine_meta(st, m->name, &meta, &e2);
    json_t *cfg = svc_parse_text(meta.config);
    if (in->cfg) {
        if (!json_is_object(cfg)) {
            json_decref(cfg);
            cfg = json_object();
        }
        json_object_update(cfg, in->cfg);
    }
    int64_t now = svc_now_ms();
    char rid[37];
    svc_uuid(rid);
    char *cfg_text = cfg ? sfn_json_dumps(cfg, 0) : NULL;
    char *role = strdup(in->role ? in->role
                                 : meta.role_arn ? meta.role_arn : "");
    sfn_machine_meta nm = {role, cfg_text, rid, now};
    json_t *out = NULL;
    if (role &&
        sfn_store_put_machine(st, m->name, m->type,
                              in->def ? in->def : m->definition, now, NULL,
                              err) == SFN_OK &&
        sfn_store_put_machine_meta(st, m->name, &nm, err) == SFN_OK)
        out = json_pack("{s:o,s:s}", "updateDate", svc_date(now),
                        "revisionId", rid);
    if (out && in->publish) {
        json_t *v = svc_publish(svc, st, m->name, in->vdesc, err);
        if (v)
            json_object_set(out, "stateMachineVersionArn",
                            json_object_get(v, "stateMachineVersionArn"));
        json_decref(v);
        if (!v) {
            json_decref(out);
            out = NULL;
        }
    }
    json_decref(cfg);
    free(cfg_text);
    free(role);
    sfn_machine_meta_free(&meta);
    return out ? out : svc_internal(err);
}

json_t *svc_UpdateStateMachine(sfn_service *svc, sfn_store *st, json_t *req,
                               sfn_error *err)
{
    const char *arn = NULL;
    update_in in = {0};
    svc_arn a;
    if (!svc_str(req, "stateMachineArn", true, 256, &arn, err) ||
        !svc_parse_arn(svc, arn, SVC_ALLOW(SVC_ARN_MACHINE), &a, err) ||
        !svc_str(req, "definition", false, SFN_ASL_DEFINITION_MAX, &in.def,
                 err) ||
        !svc_str(req, "roleArn", false, 256, &in.role, err) ||
        !svc_bool(req, "publish", &in.publish, err) ||
        !svc_str(req, "versionDescription", false, 256, &in.vdesc, err) ||
        !valid_role(in.role, err))
        return NULL;
    in.cfg = config_of(req, NULL, err);
    if (!in.cfg && err->name[0])
        return NULL;
    json_t *out = NULL;
    sfn_machine_rec m = {0};
    if (!in.def && !in.role && !in.cfg)
        svc_fail(err, "MissingRequiredParameter",
                 "Either the definition, the role ARN, the "
                 "LoggingConfiguration, the EncryptionConfiguration or the "
                 "TracingConfiguration must be specified");
    else if (in.vdesc && !in.publish)
        svc_fail(err, "ValidationException",
                 "Version description can only be set when publish is true");
    else if (sfn_store_get_machine(st, a.name, 0, &m, err) != SFN_OK)
        machine_not_found(err, arn);
    else if (!in.def ||
             svc_compile(in.def, !strcmp(m.type, "EXPRESS"), NULL, err))
        out = update_apply(svc, st, &m, &in, err);
    sfn_machine_rec_free(&m);
    json_decref(in.cfg);
    return out;
}

static int collect_running(const sfn_exec_rec *r, void *ud)
{
    json_array_append_new(ud, json_string(r->arn));
    return 0;
}

json_t *svc_DeleteStateMachine(sfn_service *svc, sfn_store *st, json_t *req,
                               sfn_error *err)
{
    const char *arn = NULL;
    svc_arn a;
    if (!svc_str(req, "stateMachineArn", true, 256, &arn, err))
        return NULL;
    if (!svc_parse_arn(svc, arn, SVC_ALLOW(SVC_ARN_MACHINE), &a, err)) {
        if (svc_parse_arn(svc, arn,
                          SVC_ALLOW(SVC_ARN_VERSION) | SVC_ALLOW(SVC_ARN_ALIAS),
                          &a, NULL))
            return svc_fail(err, "ValidationException",
                            "Use DeleteStateMachineVersion or "
                            "DeleteStateMachineAlias for '%s'",
                            arn);
        return NULL;
    }
    /* decision (asl.md 12.13): running executions are stopped now, as AWS
     * stops them "at their next transition", then the machine goes */
    json_t *running = json_array();
    if (sfn_store_list_executions(st, a.name, 0, 0, 0, 0, collect_running,
                                  running, err) != SFN_OK) {
        json_decref(running);
        return svc_internal(err);
    }
    size_t i;
    json_t *v;
    json_array_foreach(running, i, v)
    {
        sfn_error e2;
        svc_call_stop(svc, st, json_string_value(v), "States.Aborted",
                      "The state machine was deleted", false, NULL, &e2);
    }
    json_decref(running);
    sfn_rc rc = sfn_store_delete_machine(st, a.name, err);
    if (rc != SFN_OK && rc != SFN_ENOTFOUND)
        return svc_internal(err);
    if (sfn_store_drop_tags(st, arn, err) != SFN_OK)
        return svc_internal(err);
    svc_graph_forget(svc, a.name);
    sfn_error_clear(err);
    return json_object();
}

typedef struct list_ctx {
    sfn_service *svc;
    const char *after;
    int64_t limit;
    json_t *items;
    char *next;
} list_ctx;

static int list_one(const sfn_machine_rec *m, void *ud)
{
    list_ctx *c = ud;
    if (c->after && strcmp(m->name, c->after) <= 0)
        return 0;
    if ((int64_t)json_array_size(c->items) == c->limit) {
        json_t *tok = json_pack("{s:s,s:s}", "k", "machines", "after",
                                json_string_value(json_object_get(
                                    json_array_get(c->items,
                                                   json_array_size(c->items) -
                                                       1),
                                    "name")));
        c->next = svc_token_make(tok);
        json_decref(tok);
        return 1;
    }
    char *arn = svc_machine_arn(c->svc, m->name);
    json_array_append_new(c->items,
                          json_pack("{s:s,s:s,s:s,s:o}", "stateMachineArn",
                                    arn ? arn : "", "name", m->name, "type",
                                    m->type, "creationDate",
                                    svc_date(m->created_ms)));
    free(arn);
    return 0;
}

json_t *svc_ListStateMachines(sfn_service *svc, sfn_store *st, json_t *req,
                              sfn_error *err)
{
    list_ctx c = {svc, NULL, 100, NULL, NULL};
    const char *token = NULL;
    json_t *tok = NULL;
    if (!svc_max_results(req, 1000, 100, &c.limit, err) ||
        !svc_str(req, "nextToken", false, 1024, &token, err))
        return NULL;
    if (token) {
        if (!(tok = svc_token_read(token, err)))
            return NULL;
        c.after = json_string_value(json_object_get(tok, "after"));
        if (!c.after || strcmp(json_string_value(json_object_get(tok, "k"))
                                   ? json_string_value(json_object_get(tok,
                                                                       "k"))
                                   : "",
                               "machines")) {
            json_decref(tok);
            return svc_fail(err, "InvalidToken", "Invalid Token: '%s'",
                            token);
        }
    }
    c.items = json_array();
    sfn_rc rc = sfn_store_list_machines(st, list_one, &c, err);
    json_decref(tok);
    if (rc != SFN_OK) {
        json_decref(c.items);
        free(c.next);
        return svc_internal(err);
    }
    json_t *out = json_pack("{s:o}", "stateMachines", c.items);
    if (c.next)
        json_object_set_new(out, "nextToken", json_string(c.next));
    free(c.next);
    return out;
}

json_t *svc_ValidateStateMachineDefinition(sfn_service *svc, sfn_store *st,
                                           json_t *req, sfn_error *err)
{
    (void)svc;
    (void)st;
    static const char *const sev[] = {"ERROR", "WARNING", NULL};
    const char *def = NULL, *type = "STANDARD", *severity = "ERROR";
    int64_t max = 100;
    if (!svc_str(req, "definition", true, SFN_ASL_DEFINITION_MAX, &def,
                 err) ||
        !svc_enum(req, "type", types, &type, err) ||
        !svc_enum(req, "severity", sev, &severity, err) ||
        !svc_max_results(req, 100, 100, &max, err))
        return NULL;
    bool warnings = !strcmp(severity, "WARNING");
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_asl_opts o = {.warnings = warnings,
                      .express = !strcmp(type, "EXPRESS")};
    sfn_graph *g = NULL;
    sfn_asl_compile_text(def, strlen(def), &o, &d, &g);
    sfn_graph_unref(g);
    json_t *out = sfn_diags_to_json(&d, warnings);
    sfn_diags_free(&d);
    if (!out)
        return svc_internal(err);
    json_t *diags = json_object_get(out, "diagnostics");
    bool truncated = (int64_t)json_array_size(diags) > max;
    while ((int64_t)json_array_size(diags) > max)
        json_array_remove(diags, json_array_size(diags) - 1);
    json_object_set_new(out, "truncated", json_boolean(truncated));
    return out;
}
