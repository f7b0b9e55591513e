/* service_tasks.c: callback and activity actions: SendTaskSuccess,
 * SendTaskFailure, SendTaskHeartbeat (through the engine thread, answered
 * after the resulting commit), CreateActivity, DescribeActivity,
 * ListActivities, DeleteActivity (store) and GetActivityTask (a long poll
 * on the engine). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service_internal.h"
#include "sfn_json.h"

#define TOKEN_MAX 2048
#define ERROR_MAX 256
#define CAUSE_MAX 32768
#define WORKER_MAX 80
/* AWS holds a GetActivityTask for at most 60 s */
#define POLL_MAX_S 60

/* ---- callbacks ---------------------------------------------------------- */

static bool read_token(json_t *req, const char **token, sfn_error *err)
{
    if (!svc_str(req, "taskToken", true, TOKEN_MAX, token, err))
        return false;
    if (**token)
        return true;
    svc_fail(err, "ValidationException",
             "1 validation error detected: Value '' at 'taskToken' failed "
             "to satisfy constraint: Member must have length greater than "
             "or equal to 1");
    return false;
}

/* The engine names its errors (InvalidToken, TaskDoesNotExist,
 * TaskTimedOut); anything unnamed is ours. */
static json_t *send_task(sfn_service *svc, sfn_store *st, const char *token,
                         sfn_task_verb verb, json_t *output,
                         const char *error, const char *cause,
                         sfn_error *err)
{
    if (svc_call_task(svc, st, token, verb, output, error, cause, err) !=
        SFN_OK)
        return err->name[0] ? NULL : svc_internal(err);
    return json_object();
}

json_t *svc_SendTaskSuccess(sfn_service *svc, sfn_store *st, json_t *req,
                            sfn_error *err)
{
    const char *token = NULL, *text = NULL;
    if (!read_token(req, &token, err) ||
        !svc_str(req, "output", true, svc->limits.payload_bytes_max, &text,
                 err))
        return NULL;
    json_error_t je;
    json_t *output = sfn_json_loadb(text, strlen(text), JSON_DECODE_ANY, &je);
    if (!output)
        return svc_fail(err, "InvalidOutput",
                        "Invalid Output: '%s at line %d, column %d'",
                        je.text, je.line, je.column);
    json_t *out = send_task(svc, st, token, SFN_TASK_SUCCESS, output, NULL, NULL,
                            err);
    json_decref(output);
    return out;
}

json_t *svc_SendTaskFailure(sfn_service *svc, sfn_store *st, json_t *req,
                            sfn_error *err)
{
    const char *token = NULL, *error = NULL, *cause = NULL;
    if (!read_token(req, &token, err) ||
        !svc_str(req, "error", false, ERROR_MAX, &error, err) ||
        !svc_str(req, "cause", false, CAUSE_MAX, &cause, err))
        return NULL;
    return send_task(svc, st, token, SFN_TASK_FAILURE, NULL, error, cause, err);
}

json_t *svc_SendTaskHeartbeat(sfn_service *svc, sfn_store *st, json_t *req,
                              sfn_error *err)
{
    const char *token = NULL;
    if (!read_token(req, &token, err))
        return NULL;
    return send_task(svc, st, token, SFN_TASK_HEARTBEAT, NULL, NULL, NULL, err);
}

/* ---- activities --------------------------------------------------------- */

static json_t *activity_missing(sfn_error *err, const char *arn)
{
    return svc_fail(err, "ActivityDoesNotExist",
                    "Activity Does Not Exist: '%s'", arn);
}

/* Reads and checks the request's activityArn; *arn_out borrowed from req.
 * rec (may be NULL) gets the row. */
static bool get_activity(sfn_service *svc, sfn_store *st, json_t *req,
                         const char **arn_out, sfn_activity_rec *rec,
                         sfn_error *err)
{
    svc_arn a;
    if (!svc_str(req, "activityArn", true, 256, arn_out, err) ||
        !svc_parse_arn(svc, *arn_out, SVC_ALLOW(SVC_ARN_ACTIVITY), &a, err))
        return false;
    sfn_activity_rec local = {0};
    sfn_rc rc = sfn_store_get_activity(st, *arn_out, rec ? rec : &local, err);
    sfn_activity_rec_free(&local);
    if (rc == SFN_ENOTFOUND)
        return activity_missing(err, *arn_out), false;
    return rc == SFN_OK || (svc_internal(err), false);
}

static bool create_activity_read(json_t *req, const char **name,
                                 json_t **tags, sfn_error *err)
{
    json_t *enc = json_object_get(req, "encryptionConfiguration");
    *tags = json_object_get(req, "tags");
    if (!svc_str(req, "name", true, 0, name, err))
        return false;
    if (!svc_valid_name(*name)) {
        svc_fail(err, "InvalidName", "Invalid Name: '%s'", *name);
        return false;
    }
    if (*tags && !json_is_null(*tags) && !json_is_array(*tags)) {
        svc_fail(err, "ValidationException",
                 "1 validation error detected: Value at 'tags' failed to "
                 "satisfy constraint: Member must be a list");
        return false;
    }
    if (enc && !json_is_null(enc) && !json_is_object(enc)) {
        svc_fail(err, "ValidationException",
                 "1 validation error detected: Value at "
                 "'encryptionConfiguration' failed to satisfy constraint: "
                 "Member must be an object");
        return false;
    }
    return true;
}

/* AWS's quota of activities per account and region. */
#define ACTIVITIES_MAX 10000

static int count_one(const sfn_activity_rec *a, void *ud)
{
    (void)a;
    ++*(size_t *)ud;
    return 0;
}

/* A new activity beyond the quota: ActivityLimitExceeded. */
static bool activity_room(sfn_store *st, const char *arn, sfn_error *err)
{
    sfn_activity_rec a = {0};
    sfn_error e2;
    if (sfn_store_get_activity(st, arn, &a, &e2) == SFN_OK) {
        sfn_activity_rec_free(&a);
        return true; /* a repeat: idempotent */
    }
    size_t n = 0;
    if (sfn_store_list_activities(st, NULL, 0, count_one, &n, err) != SFN_OK)
        return false;
    if (n < ACTIVITIES_MAX)
        return true;
    svc_fail(err, "ActivityLimitExceeded",
             "Activity Limit Exceeded: %d activities exist", ACTIVITIES_MAX);
    return false;
}

json_t *svc_CreateActivity(sfn_service *svc, sfn_store *st, json_t *req,
                           sfn_error *err)
{
    const char *name = NULL;
    json_t *tags = NULL;
    if (!create_activity_read(req, &name, &tags, err))
        return NULL;
    char *arn = svc_activity_arn(svc, name);
    if (!arn)
        return svc_internal(err);
    if (!activity_room(st, arn, err)) {
        free(arn);
        if (!err->name[0])
            svc_internal(err);
        return NULL;
    }
    bool created = false;
    json_t *out = NULL;
    sfn_activity_rec a = {0};
    /* idempotent on the name; AWS ignores the tags of a repeat.  The
     * store refuses the name under another ARN (the region or account of
     * this stepd changed since it was created). */
    sfn_rc rc = sfn_store_put_activity(st, arn, name, svc_now_ms(), &created,
                                       err);
    if (rc == SFN_EINVAL) {
        char why[256];
        snprintf(why, sizeof why, "%s", err->cause);
        svc_fail(err, "ActivityAlreadyExists",
                 "Activity Already Exists: '%s' (%s)", name, why);
    }
    if (rc != SFN_OK || (created && !svc_tags_put(st, arn, tags, err)) ||
        sfn_store_get_activity(st, arn, &a, err) != SFN_OK) {
        if (!err->name[0])
            svc_internal(err);
    } else {
        out = json_pack("{s:s,s:o}", "activityArn", arn, "creationDate",
                        svc_date(a.created_ms));
    }
    sfn_activity_rec_free(&a);
    free(arn);
    return out;
}

json_t *svc_DescribeActivity(sfn_service *svc, sfn_store *st, json_t *req,
                             sfn_error *err)
{
    const char *arn = NULL;
    sfn_activity_rec a = {0};
    if (!get_activity(svc, st, req, &arn, &a, err))
        return NULL;
    json_t *out = json_pack("{s:s,s:s,s:o}", "activityArn", a.arn, "name",
                            a.name, "creationDate", svc_date(a.created_ms));
    sfn_activity_rec_free(&a);
    return out ? out : svc_internal(err);
}

typedef struct la_ctx {
    json_t *items;
    int64_t limit;
    char *last; /* name of the last row returned */
    bool more;
} la_ctx;

static int la_one(const sfn_activity_rec *a, void *ud)
{
    la_ctx *c = ud;
    if ((int64_t)json_array_size(c->items) == c->limit) {
        c->more = true;
        return 1;
    }
    json_array_append_new(c->items,
                          json_pack("{s:s,s:s,s:o}", "activityArn", a->arn,
                                    "name", a->name, "creationDate",
                                    svc_date(a->created_ms)));
    free(c->last);
    c->last = strdup(a->name);
    return 0;
}

/* The name a ListActivities nextToken continues after (new reference to
 * the decoded token, *after borrowed from it), NULL with InvalidToken. */
static json_t *la_cursor(const char *token, const char **after,
                         sfn_error *err)
{
    json_t *tok = svc_token_read(token, err);
    if (!tok)
        return NULL;
    const char *k = json_string_value(json_object_get(tok, "k"));
    *after = json_string_value(json_object_get(tok, "after"));
    if (k && !strcmp(k, "activities") && *after)
        return tok;
    json_decref(tok);
    return svc_fail(err, "InvalidToken", "Invalid Token: '%s'", token);
}

json_t *svc_ListActivities(sfn_service *svc, sfn_store *st, json_t *req,
                           sfn_error *err)
{
    (void)svc;
    la_ctx c = {.limit = 100};
    const char *token = NULL, *after = NULL;
    json_t *tok = NULL;
    if (!svc_max_results(req, 1000, 100, &c.limit, err) ||
        !svc_str(req, "nextToken", false, 1024, &token, err))
        return NULL;
    if (token && !(tok = la_cursor(token, &after, err)))
        return NULL;
    c.items = json_array();
    sfn_rc rc = sfn_store_list_activities(st, after, (size_t)c.limit + 1,
                                          la_one, &c, err);
    json_decref(tok);
    if (rc != SFN_OK) {
        json_decref(c.items);
        free(c.last);
        return svc_internal(err);
    }
    json_t *out = json_pack("{s:o}", "activities", c.items);
    if (c.more && c.last) {
        json_t *next = json_pack("{s:s,s:s}", "k", "activities", "after",
                                 c.last);
        char *t = svc_token_make(next);
        svc_set(out, "nextToken", t ? json_string(t) : NULL);
        free(t);
        json_decref(next);
    }
    free(c.last);
    return out;
}

json_t *svc_DeleteActivity(sfn_service *svc, sfn_store *st, json_t *req,
                           sfn_error *err)
{
    const char *arn = NULL;
    svc_arn a;
    if (!svc_str(req, "activityArn", true, 256, &arn, err) ||
        !svc_parse_arn(svc, arn, SVC_ALLOW(SVC_ARN_ACTIVITY), &a, err))
        return NULL;
    if (sfn_store_delete_activity(st, arn, err) != SFN_OK ||
        sfn_store_drop_tags(st, arn, err) != SFN_OK)
        return svc_internal(err);
    return json_object();
}

/* GetActivityTask holds the request up to 60 s, as AWS does.  The
 * non-AWS member waitSeconds (0..60) shortens that: the REST dialect's
 * ?wait= and tests use it.  No task in time: {} (AWS documents "a
 * taskToken with a null string"; SDKs read an absent member as that). */
json_t *svc_GetActivityTask(sfn_service *svc, sfn_store *st, json_t *req,
                            sfn_error *err)
{
    const char *arn = NULL, *worker = NULL;
    int64_t wait_s = POLL_MAX_S;
    if (!svc_str(req, "workerName", false, WORKER_MAX, &worker, err) ||
        !svc_int(req, "waitSeconds", 0, POLL_MAX_S, &wait_s, err) ||
        !get_activity(svc, st, req, &arn, NULL, err))
        return NULL;
    sfn_activity_poll p = {.activity_arn = arn,
                           .worker = worker,
                           .timeout_ms = wait_s * 1000};
    if (svc_call_activity(svc, &p, err) != SFN_OK) {
        sfn_activity_poll_done(&p);
        return err->name[0] ? NULL : svc_internal(err);
    }
    json_t *out = p.token ? json_pack("{s:s,s:s}", "taskToken", p.token,
                                      "input", p.input ? p.input : "{}")
                          : json_object();
    sfn_activity_poll_done(&p);
    return out ? out : svc_internal(err);
}
