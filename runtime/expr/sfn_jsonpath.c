/* sfn_jsonpath.c: public face of the JSONPath module: compile (parse, then
 * the ASL field rules behind the SFN_JP_* flags), evaluate with the AWS error
 * wording, and the ResultPath write.  Parsing is in jsonpath_parse.c and
 * walking in jsonpath_eval.c. */
#include "sfn_jsonpath.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpath_internal.h"
#include "sfn_json.h"

/* How much of a document a ResultPath failure message quotes. */
#define JP_INPUT_QUOTE_MAX 256

/* ==== Compile and field rules ==== */

static sfn_rc rule(sfn_error *err, long at, const char *text, bool result,
                   const char *why)
{
    return sfn_error_set(err, SFN_ESYNTAX, NULL, at, "'%.300s' %s: %s", text,
                         result ? "is not a valid ResultPath"
                                : "is not a reference path",
                         why);
}

static sfn_rc check_root(const sfn_jsonpath *p, unsigned flags,
                         sfn_error *err)
{
    bool result = flags & SFN_JP_RESULT;
    if (p->root == SFN_JP_ROOT_CONTEXT) {
        if (result)
            return rule(err, 0, p->text, true,
                        "it must start with '$' (the state input); the "
                        "context object ($$) cannot be written");
        if (!(flags & SFN_JP_ALLOW_CONTEXT))
            return sfn_error_set(err, SFN_ESYNTAX, NULL, 0,
                                 "'%.300s' cannot be used here: context "
                                 "object paths ($$) are not allowed in this "
                                 "field",
                                 p->text);
    }
    if (p->root == SFN_JP_ROOT_VARIABLE) {
        if (result)
            return rule(err, 0, p->text, true,
                        "it must start with '$' (the state input); "
                        "variables cannot be written by a ResultPath");
        if (!(flags & SFN_JP_ALLOW_VARIABLE))
            return sfn_error_set(err, SFN_ESYNTAX, NULL, 0,
                                 "'%.300s' cannot be used here: variable "
                                 "references ($%s) are not allowed in this "
                                 "field",
                                 p->text, p->var);
    }
    return SFN_OK;
}

/* Why a step keeps a path from naming a single node, or NULL. */
static const char *indefinite_reason(const sfn__jp_step *s)
{
    if (s->deep)
        return "deep scan (..) selects more than one node";
    switch (s->kind) {
    case SFN__JP_WILDCARD:
        return "wildcards select more than one node";
    case SFN__JP_SLICE:
        return "slices select more than one node";
    case SFN__JP_NAMES:
    case SFN__JP_INDEXES:
        return "unions select more than one node";
    case SFN__JP_FILTER:
        return "filters select more than one node";
    case SFN__JP_LENGTH:
        return "functions such as length() are not allowed";
    default:
        return NULL;
    }
}

static sfn_rc check_rules(const sfn_jsonpath *p, unsigned flags,
                          sfn_error *err)
{
    bool result = flags & SFN_JP_RESULT;
    sfn_rc rc = check_root(p, flags, err);
    if (rc || !(result || (flags & SFN_JP_REFERENCE)))
        return rc;
    for (size_t i = 0; i < p->prog.n; i++) {
        const sfn__jp_step *s = &p->prog.steps[i];
        const char *why = indefinite_reason(s);
        if (!why && result && s->kind == SFN__JP_INDEX && s->u.index < 0)
            why = "negative indexes cannot be written";
        if (why)
            return rule(err, s->offset, p->text, result, why);
    }
    return SFN_OK;
}

sfn_rc sfn_jsonpath_compile(const char *text, unsigned flags,
                            sfn_jsonpath **out, sfn_error *err)
{
    if (!text || !out)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "sfn_jsonpath_compile: text and out are "
                             "required");
    sfn_jsonpath *p = calloc(1, sizeof *p);
    if (!p)
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1,
                             "out of memory compiling JSONPath");
    sfn_rc rc = sfn__jp_parse(text, p, err);
    if (!rc)
        rc = check_rules(p, flags, err);
    if (rc) {
        sfn__jp_release(p);
        free(p);
        return rc;
    }
    *out = p;
    return SFN_OK;
}

void sfn_jsonpath_free(sfn_jsonpath *p)
{
    if (!p)
        return;
    sfn__jp_release(p);
    free(p);
}

const char *sfn_jsonpath_text(const sfn_jsonpath *p) { return p->text; }
sfn_jp_root sfn_jsonpath_root(const sfn_jsonpath *p) { return p->root; }
const char *sfn_jsonpath_variable(const sfn_jsonpath *p) { return p->var; }
bool sfn_jsonpath_is_definite(const sfn_jsonpath *p) { return p->definite; }
bool sfn_jsonpath_is_root(const sfn_jsonpath *p) { return p->prog.n == 0; }

/* ==== Evaluation ==== */

static sfn_rc pick_root(const sfn_jsonpath *p, const sfn_expr_env *env,
                        json_t **doc, sfn_error *err)
{
    const char *missing = NULL;
    switch (p->root) {
    case SFN_JP_ROOT_INPUT:
        *doc = env->input;
        missing = "there is no input to select from";
        break;
    case SFN_JP_ROOT_CONTEXT:
        *doc = env->context;
        missing = "there is no context object to select from";
        break;
    case SFN_JP_ROOT_VARIABLE:
        *doc = env->lookup_var ? env->lookup_var(env->ud, p->var) : NULL;
        if (!*doc)
            return sfn_error_set(err, SFN_ENOTFOUND, "States.Runtime", -1,
                                 "Invalid path '%.300s' : the variable "
                                 "'$%.100s' has not been assigned",
                                 p->text, p->var);
        break;
    }
    if (!*doc)
        return sfn_error_set(err, SFN_ENOTFOUND, "States.Runtime", -1,
                             "Invalid path '%.300s' : %s", p->text, missing);
    return SFN_OK;
}

/* AWS (Jayway) names the path up to the step that found nothing in bracket
 * form: `$['a']['b']`, `$['a'][0]`.  The root is written `$` whatever it is,
 * as Jayway sees the rest of the path applied to a plain document. */
static sfn_rc not_found(const sfn_jsonpath *p, size_t failed, sfn_error *err)
{
    char where[SFN_ERROR_CAUSE_MAX];
    size_t used = (size_t)snprintf(where, sizeof where, "$");
    for (size_t i = 0; i <= failed && used < sizeof where; i++) {
        const sfn__jp_step *s = &p->prog.steps[i];
        int n = s->kind == SFN__JP_MEMBER
                    ? snprintf(where + used, sizeof where - used, "['%.*s']",
                               (int)s->u.name.len, s->u.name.s)
                    : snprintf(where + used, sizeof where - used, "[%lld]",
                               s->u.index);
        used += n > 0 ? (size_t)n : 0;
    }
    return sfn_error_set(err, SFN_ENOTFOUND, "States.Runtime", -1,
                         "Invalid path '%.300s' : No results for path: %s",
                         p->text, where);
}

static sfn_rc eval_definite(const sfn_jsonpath *p, json_t *doc, json_t **out,
                            sfn_error *err)
{
    size_t n = p->prog.n, failed = 0;
    bool len = n && p->prog.steps[n - 1].kind == SFN__JP_LENGTH;
    json_t *node = sfn__jp_lookup(&p->prog, n - len, doc, &failed);
    if (!node)
        return not_found(p, failed, err);
    if (!len) {
        *out = json_incref(node);
        return SFN_OK;
    }
    /* Let the walker produce (and word the failure of) length(). */
    json_t *acc = json_array();
    if (!acc)
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    sfn_rc rc = sfn__jp_collect(&p->prog, n, doc, doc, acc, p->text, err);
    if (!rc)
        *out = json_incref(json_array_get(acc, 0));
    json_decref(acc);
    return rc;
}

sfn_rc sfn_jsonpath_eval(const sfn_jsonpath *p, const sfn_expr_env *env,
                         json_t **out, sfn_error *err)
{
    json_t *doc = NULL;
    if (!p || !env || !out)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "sfn_jsonpath_eval: path, env and out are "
                             "required");
    sfn_rc rc = pick_root(p, env, &doc, err);
    if (rc)
        return rc;
    if (p->definite)
        return eval_definite(p, doc, out, err);
    /* Decision: an indefinite path that matches nothing yields [], as Jayway
     * returns an empty list rather than failing. */
    json_t *acc = json_array();
    if (!acc)
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    size_t n = p->prog.n - (p->count_children ? 1 : 0);
    rc = sfn__jp_collect(&p->prog, n, doc, doc, acc, p->text, err);
    if (rc) {
        json_decref(acc);
        return rc;
    }
    if (!p->count_children) {
        *out = acc;
        return SFN_OK;
    }
    size_t count = 0, k;
    json_t *m;
    json_array_foreach(acc, k, m)
    {
        count += json_is_array(m) ? json_array_size(m)
                 : json_is_object(m) ? json_object_size(m)
                                     : 0;
    }
    json_decref(acc);
    *out = json_integer((json_int_t)count);
    return *out ? SFN_OK
                : sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
}

/* ==== ResultPath ==== */

static sfn_rc match_failure(const sfn_jsonpath *p, json_t *doc,
                            sfn_error *err)
{
    char *text = sfn_json_dumps(doc, 0);
    if (!text)
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    size_t len = strlen(text);
    const char *more = "";
    if (len > JP_INPUT_QUOTE_MAX) {
        /* Cut on a UTF-8 character boundary. */
        len = JP_INPUT_QUOTE_MAX;
        while (len && ((unsigned char)text[len] & 0xC0) == 0x80)
            len--;
        more = "...";
    }
    sfn_rc rc = sfn_error_set(err, SFN_ETYPE, "States.ResultPathMatchFailure",
                              -1,
                              "Unable to apply ResultPath '%.300s' to input "
                              "'%.*s%s'",
                              p->text, (int)len, text, more);
    free(text);
    return rc;
}

/* Finds or creates the container the step after `s` writes into. */
static json_t *descend(json_t *cur, const sfn__jp_step *s,
                       const sfn__jp_step *next)
{
    if (s->kind == SFN__JP_INDEX) {
        size_t size = json_array_size(cur);
        long long k = s->u.index < 0 ? s->u.index + (long long)size
                                     : s->u.index;
        return k >= 0 && k < (long long)size ? json_array_get(cur, (size_t)k)
                                             : NULL;
    }
    json_t *child = json_object_getn(cur, s->u.name.s, s->u.name.len);
    if (child || next->kind != SFN__JP_MEMBER)
        return child; /* a missing array cannot be created: no size */
    child = json_object();
    if (json_object_setn_new(cur, s->u.name.s, s->u.name.len, child))
        return NULL;
    return child;
}

/* Writes value at the last step; false when cur cannot take it. */
static bool place(json_t *cur, const sfn__jp_step *s, json_t *value)
{
    if (s->kind == SFN__JP_MEMBER)
        return json_is_object(cur) &&
               !json_object_setn(cur, s->u.name.s, s->u.name.len, value);
    if (!json_is_array(cur))
        return false;
    size_t size = json_array_size(cur);
    long long k = s->u.index < 0 ? s->u.index + (long long)size : s->u.index;
    return k >= 0 && k < (long long)size &&
           !json_array_set(cur, (size_t)k, value);
}

static bool writable(const sfn_jsonpath *p)
{
    if (p->root != SFN_JP_ROOT_INPUT)
        return false;
    for (size_t i = 0; i < p->prog.n; i++) {
        sfn__jp_kind k = p->prog.steps[i].kind;
        if (p->prog.steps[i].deep ||
            (k != SFN__JP_MEMBER && k != SFN__JP_INDEX))
            return false;
    }
    return true;
}

sfn_rc sfn_jsonpath_set(const sfn_jsonpath *p, json_t *doc, json_t *value,
                        json_t **out, sfn_error *err)
{
    if (!p || !doc || !value || !out)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "sfn_jsonpath_set: path, doc, value and out are "
                             "required");
    if (!writable(p))
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "'%.300s' cannot be used as a ResultPath: only "
                             "'$' followed by member names and indexes can "
                             "be written",
                             p->text);
    if (p->prog.n == 0) {
        *out = json_incref(value);
        return SFN_OK;
    }
    json_t *copy = json_deep_copy(doc);
    if (!copy)
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    json_t *cur = copy;
    const sfn__jp_step *s = p->prog.steps;
    for (size_t i = 0; cur && i + 1 < p->prog.n; i++) {
        bool fits = s[i].kind == SFN__JP_MEMBER ? json_is_object(cur)
                                                : json_is_array(cur);
        cur = fits ? descend(cur, &s[i], &s[i + 1]) : NULL;
    }
    if (!cur || !place(cur, &s[p->prog.n - 1], value)) {
        json_decref(copy);
        return match_failure(p, doc, err);
    }
    *out = copy;
    return SFN_OK;
}
