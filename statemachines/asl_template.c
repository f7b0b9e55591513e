/* asl_template.c: compiles the dynamic values of a definition: JSONPath
 * fields by flavour (Path, Reference Path, ResultPath), payload templates
 * with ".$" keys (paths and intrinsic calls), and JSONata templates whose
 * "{% %}" strings become compiled expressions.  Static subtrees stay one
 * literal node so evaluation copies them in one step. */
#include <stdlib.h>
#include <string.h>

#include "asl_internal.h"

static const char *flavour_name(int flavour)
{
    switch (flavour) {
    case ASL_PATH_REFERENCE: return "reference path";
    case ASL_PATH_RESULT:
        return "ResultPath (a reference path into the state input)";
    default: return "JSONPath";
    }
}

static unsigned flavour_flags(int flavour)
{
    switch (flavour) {
    case ASL_PATH_REFERENCE:
        return SFN_JP_REFERENCE | SFN_JP_ALLOW_CONTEXT | SFN_JP_ALLOW_VARIABLE;
    case ASL_PATH_RESULT: return SFN_JP_RESULT;
    default: return SFN_JP_ALLOW_CONTEXT | SFN_JP_ALLOW_VARIABLE;
    }
}

sfn_jsonpath *asl_path(asl_ctx *c, const char *text, int flavour,
                       const char *ptr, const char *field)
{
    sfn_jsonpath *p = NULL;
    sfn_error err;
    sfn_error_clear(&err);
    sfn_rc rc = sfn_jsonpath_compile(text, flavour_flags(flavour), &p, &err);
    if (rc == SFN_ENOMEM) {
        c->oom = true;
        return NULL;
    }
    if (rc != SFN_OK) {
        asl_err(c, ASL_BAD_PATH, ptr, field,
                "The value '%s' of '%s' is not a valid %s: %s", text,
                field ? field : ptr, flavour_name(flavour),
                err.cause[0] ? err.cause : sfn_rc_str(rc));
        return NULL;
    }
    return p;
}

sfn_jsonpath *asl_path_or_null(asl_ctx *c, const json_t *v, int flavour,
                               const char *ptr, const char *field,
                               bool *is_null)
{
    *is_null = false;
    if (!v)
        return NULL;
    if (json_is_null(v)) {
        *is_null = true;
        return NULL;
    }
    if (!json_is_string(v)) {
        asl_err(c, ASL_SCHEMA, ptr, field,
                "'%s' must be a %s string or null, not %s", field,
                flavour_name(flavour), asl_json_type_name(v));
        return NULL;
    }
    return asl_path(c, json_string_value(v), flavour, ptr, field);
}

static sfn_intrinsic *intrinsic(asl_ctx *c, const char *text,
                                const char *ptr, const char *field)
{
    sfn_intrinsic *fn = NULL;
    sfn_error err;
    sfn_error_clear(&err);
    sfn_rc rc = sfn_intrinsic_compile(text, &fn, &err);
    if (rc == SFN_ENOMEM) {
        c->oom = true;
        return NULL;
    }
    if (rc != SFN_OK) {
        asl_err(c, ASL_BAD_INTRINSIC, ptr, field,
                "Invalid intrinsic function call '%s' in '%s': %s", text,
                field ? field : ptr,
                err.cause[0] ? err.cause : sfn_rc_str(rc));
        return NULL;
    }
    return fn;
}

void asl_path_or_intrinsic(asl_ctx *c, const json_t *v, const char *ptr,
                           const char *field, sfn_dyn_str *out)
{
    if (!v)
        return;
    if (!json_is_string(v)) {
        asl_err(c, ASL_SCHEMA, ptr, field,
                "'%s' must be a reference path or intrinsic function string,"
                " not %s", field, asl_json_type_name(v));
        return;
    }
    const char *s = json_string_value(v);
    out->set = true;
    if (sfn_intrinsic_is_call(s))
        out->intrinsic = intrinsic(c, s, ptr, field);
    else
        out->path = asl_path(c, s, ASL_PATH_REFERENCE, ptr, field);
}

/* ------------------------------------------------------------------ */
/* Template nodes                                                      */

static sfn_tpl *tpl_new(asl_ctx *c, sfn_tpl_kind kind)
{
    sfn_tpl *t = calloc(1, sizeof *t);
    if (!t)
        c->oom = true;
    else
        t->kind = kind;
    return t;
}

static sfn_tpl *tpl_literal(asl_ctx *c, const json_t *v)
{
    sfn_tpl *t = tpl_new(c, SFN_TPL_LITERAL);
    if (t)
        t->literal = json_incref((json_t *)v);
    return t;
}

void asl_tpl_free(sfn_tpl *t)
{
    if (!t)
        return;
    json_decref(t->literal);
    for (size_t i = 0; i < t->count; i++) {
        if (t->keys)
            free(t->keys[i]);
        if (t->items)
            asl_tpl_free(t->items[i]);
    }
    free(t->keys);
    free(t->items);
    sfn_jsonpath_free(t->path);
    sfn_intrinsic_free(t->intrinsic);
    sfn_jsonata_free(t->jsonata);
    free(t);
}

static bool is_dynamic(const sfn_tpl *t)
{
    return t && t->kind != SFN_TPL_LITERAL;
}

/* A container node with n members; keys only for objects. */
static sfn_tpl *tpl_container(asl_ctx *c, sfn_tpl_kind kind, size_t n)
{
    sfn_tpl *t = tpl_new(c, kind);
    if (!t)
        return NULL;
    t->items = calloc(n ? n : 1, sizeof *t->items);
    if (kind == SFN_TPL_OBJECT)
        t->keys = calloc(n ? n : 1, sizeof *t->keys);
    if (!t->items || (kind == SFN_TPL_OBJECT && !t->keys)) {
        c->oom = true;
        asl_tpl_free(t);
        return NULL;
    }
    return t;
}

/* Replaces a fully static container by one literal node. */
static sfn_tpl *collapse(asl_ctx *c, sfn_tpl *t, const json_t *v)
{
    if (!t)
        return NULL;
    for (size_t i = 0; i < t->count; i++)
        if (is_dynamic(t->items[i]))
            return t;
    asl_tpl_free(t);
    return tpl_literal(c, v);
}

typedef sfn_tpl *(*member_fn)(asl_ctx *c, const char *key, const json_t *v,
                              const char *ptr, int depth, char **out_key);
typedef sfn_tpl *(*value_fn)(asl_ctx *c, const json_t *v, const char *ptr,
                             int depth);

/* The language's handling of object members and array elements. */
typedef struct tpl_lang {
    member_fn member;
    value_fn value;
} tpl_lang;

static sfn_tpl *tpl_walk(asl_ctx *c, const json_t *v, const char *ptr,
                         int depth, const tpl_lang *lang);

static sfn_tpl *tpl_array(asl_ctx *c, const json_t *v, const char *ptr,
                          int depth, const tpl_lang *lang)
{
    sfn_tpl *t = tpl_container(c, SFN_TPL_ARRAY, json_array_size(v));
    size_t i;
    json_t *it;
    json_array_foreach(v, i, it) {
        if (!t || c->oom)
            break;
        char *p = asl_ptr_index(c, ptr, i);
        t->items[t->count++] = lang->value(c, it, p, depth + 1);
        asl_ptr_free(p);
    }
    return collapse(c, t, v);
}

/* Two members giving the same output key ("a" and "a.$").  Templates are
 * small, so a pairwise scan beats building a hash table per object. */
static void check_collisions(asl_ctx *c, const sfn_tpl *t, const json_t *v,
                             const char *ptr)
{
    const char *key;
    json_t *it;
    size_t i = 0;
    json_object_foreach((json_t *)v, key, it) {
        for (size_t k = 0; k < i && t->keys[i]; k++) {
            if (!t->keys[k] || strcmp(t->keys[k], t->keys[i]))
                continue;
            asl_err(c, ASL_DUP_KEY, ptr, key,
                    "The key '%s' collides with another key once '.$' is "
                    "stripped; both would produce '%s'", key, t->keys[i]);
            break;
        }
        if (++i >= t->count)
            break;
    }
}

static sfn_tpl *tpl_object(asl_ctx *c, const json_t *v, const char *ptr,
                           int depth, const tpl_lang *lang)
{
    sfn_tpl *t = tpl_container(c, SFN_TPL_OBJECT, json_object_size(v));
    bool renamed = false;
    const char *key;
    json_t *it;
    json_object_foreach((json_t *)v, key, it) {
        if (!t || c->oom)
            break;
        char *p = asl_ptr(c, ptr, key);
        char *out_key = NULL;
        sfn_tpl *m = lang->member(c, key, it, p, depth, &out_key);
        t->items[t->count] = m;
        t->keys[t->count++] = out_key;
        renamed |= out_key && strcmp(out_key, key);
        asl_ptr_free(p);
    }
    /* collisions exist only when some key was renamed */
    if (renamed && t && !c->oom)
        check_collisions(c, t, v, ptr);
    return collapse(c, t, v);
}

static sfn_tpl *tpl_walk(asl_ctx *c, const json_t *v, const char *ptr,
                         int depth, const tpl_lang *lang)
{
    if (depth > ASL_DEPTH_MAX) {
        asl_err(c, ASL_SCHEMA, ptr, NULL,
                "Value nests deeper than %d levels", ASL_DEPTH_MAX);
        return tpl_literal(c, v);
    }
    if (json_is_object(v))
        return tpl_object(c, v, ptr, depth, lang);
    if (json_is_array(v))
        return tpl_array(c, v, ptr, depth, lang);
    return NULL; /* scalars: the member function decides */
}

/* ------------------------------------------------------------------ */
/* JSONPath payload templates                                          */

static sfn_tpl *jp_dynamic(asl_ctx *c, const char *key, const json_t *v,
                           const char *ptr)
{
    if (!json_is_string(v)) {
        asl_err(c, ASL_SCHEMA, ptr, NULL,
                "The value of '%s' must be a string holding a path or an "
                "intrinsic function, not %s", key, asl_json_type_name(v));
        return tpl_literal(c, json_null());
    }
    const char *s = json_string_value(v);
    if (sfn_intrinsic_is_call(s)) {
        sfn_intrinsic *fn = intrinsic(c, s, ptr, NULL);
        sfn_tpl *t = fn ? tpl_new(c, SFN_TPL_INTRINSIC) : NULL;
        if (t)
            t->intrinsic = fn;
        else
            sfn_intrinsic_free(fn);
        return t ? t : tpl_literal(c, json_null());
    }
    sfn_jsonpath *p = asl_path(c, s, ASL_PATH_ANY, ptr, NULL);
    sfn_tpl *t = p ? tpl_new(c, SFN_TPL_PATH) : NULL;
    if (t)
        t->path = p;
    else
        sfn_jsonpath_free(p);
    return t ? t : tpl_literal(c, json_null());
}

static sfn_tpl *jp_value(asl_ctx *c, const json_t *v, const char *ptr,
                         int depth);

static sfn_tpl *jp_member(asl_ctx *c, const char *key, const json_t *v,
                          const char *ptr, int depth, char **out_key)
{
    size_t len = strlen(key);
    bool dyn = len >= 2 && !strcmp(key + len - 2, ".$");
    *out_key = strndup(key, dyn ? len - 2 : len);
    if (!*out_key)
        c->oom = true;
    return dyn ? jp_dynamic(c, key, v, ptr) : jp_value(c, v, ptr, depth + 1);
}

static const tpl_lang JSONPATH_LANG = {jp_member, jp_value};

static sfn_tpl *jp_value(asl_ctx *c, const json_t *v, const char *ptr,
                         int depth)
{
    sfn_tpl *t = tpl_walk(c, v, ptr, depth, &JSONPATH_LANG);
    return t || c->oom ? t : tpl_literal(c, v);
}

sfn_tpl *asl_tpl_jsonpath(asl_ctx *c, const json_t *v, const char *ptr)
{
    return v ? jp_value(c, v, ptr, 0) : NULL;
}

/* ------------------------------------------------------------------ */
/* JSONata templates                                                   */

bool asl_is_jsonata_string(const json_t *v)
{
    if (!json_is_string(v))
        return false;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    return n >= 4 && s[0] == '{' && s[1] == '%' && s[n - 2] == '%' &&
           s[n - 1] == '}';
}

sfn_jsonata *asl_jsonata(asl_ctx *c, const char *text, const char *ptr)
{
    size_t n = strlen(text);
    sfn_jsonata *e = NULL;
    sfn_error err;
    sfn_error_clear(&err);
    sfn_rc rc = sfn_jsonata_compile(text + 2, n - 4, &e, &err);
    if (rc == SFN_ENOMEM) {
        c->oom = true;
        return NULL;
    }
    if (rc != SFN_OK) {
        asl_err(c, ASL_BAD_JSONATA, ptr, NULL,
                "Invalid JSONata expression %s: %s%s%s (at offset %ld)",
                text, err.name, err.name[0] ? ": " : "",
                err.cause[0] ? err.cause : sfn_rc_str(rc), err.offset);
        return NULL;
    }
    return e;
}

static sfn_tpl *ja_value(asl_ctx *c, const json_t *v, const char *ptr,
                         int depth);

static sfn_tpl *ja_member(asl_ctx *c, const char *key, const json_t *v,
                          const char *ptr, int depth, char **out_key)
{
    *out_key = strdup(key);
    if (!*out_key)
        c->oom = true;
    return ja_value(c, v, ptr, depth + 1);
}

static sfn_tpl *ja_value(asl_ctx *c, const json_t *v, const char *ptr,
                         int depth)
{
    if (asl_is_jsonata_string(v)) {
        sfn_jsonata *e = asl_jsonata(c, json_string_value(v), ptr);
        sfn_tpl *t = e ? tpl_new(c, SFN_TPL_JSONATA) : NULL;
        if (t)
            t->jsonata = e;
        else
            sfn_jsonata_free(e);
        return t ? t : tpl_literal(c, json_null());
    }
    static const tpl_lang JSONATA_LANG = {ja_member, ja_value};
    sfn_tpl *t = tpl_walk(c, v, ptr, depth, &JSONATA_LANG);
    return t || c->oom ? t : tpl_literal(c, v);
}

sfn_tpl *asl_tpl_jsonata(asl_ctx *c, const json_t *v, const char *ptr)
{
    return v ? ja_value(c, v, ptr, 0) : NULL;
}

sfn_tpl *asl_tpl(asl_ctx *c, sfn_ql ql, const json_t *v, const char *ptr)
{
    return ql == SFN_QL_JSONATA ? asl_tpl_jsonata(c, v, ptr)
                                : asl_tpl_jsonpath(c, v, ptr);
}
