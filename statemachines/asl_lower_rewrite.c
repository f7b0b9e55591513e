/* asl_lower_rewrite.c: the text side of `stepd lower`: unique state and
 * variable names, and the undo payloads rewritten so that what a
 * compensation reads from its {"input","result","error"} input comes from
 * the workflow variables the lowered definition keeps those in. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asl_internal.h"
#include "asl_lower_internal.h"

void lower_diag(lower_ctx *lx, const char *ptr, const char *field,
                const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char *loc = field ? sfn_pointer_join(ptr, field) : NULL;
    lx->bad = true;
    if ((field && !loc) || sfn_diags_add(lx->diags, SFN_SEV_ERROR, LOWER_CODE,
                                         loc ? loc : ptr, "%s", msg))
        lx->oom = true;
    free(loc);
}

/* Cuts s (in place) to at most max UTF-8 characters. */
static void cut_chars(char *s, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; s[i]; i++) {
        if (((unsigned char)s[i] & 0xC0) == 0x80)
            continue;
        if (n++ == max) {
            s[i] = '\0';
            return;
        }
    }
}

char *lower_unique(lower_ctx *lx, json_t *set, const char *base, size_t max,
                   const char *sep)
{
    size_t cap = strlen(base) + strlen(sep) + 24;
    char *name = malloc(cap);
    if (!name) {
        lx->oom = true;
        return NULL;
    }
    /* terminates: the set is finite and every k gives a new candidate */
    for (unsigned k = 1;; k++) {
        char suffix[32] = "";
        if (k > 1)
            snprintf(suffix, sizeof suffix, "%s%u", sep, k);
        snprintf(name, cap, "%s", base);
        cut_chars(name, max - asl_utf8_chars(suffix, strlen(suffix)));
        strcat(name, suffix);
        if (!json_object_get(set, name))
            break;
    }
    if (json_object_set_new(set, name, json_true())) {
        lx->oom = true;
        free(name);
        return NULL;
    }
    return name;
}

/* ------------------------------------------------------------------ */
/* A growing string                                                    */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

/* The finished string ("" when nothing was added), or NULL (freed) on
 * ENOMEM. */
static char *sb_done(sbuf *b, lower_ctx *lx)
{
    if (!b->p)
        sb_add(b, "", 0);
    if (b->oom) {
        free(b->p);
        lx->oom = true;
        return NULL;
    }
    return b->p;
}

/* Copies a quoted literal starting at *s (the quote) including escapes. */
static const char *copy_quoted(sbuf *b, const char *s)
{
    char q = *s;
    const char *e = s + 1;
    while (*e && *e != q)
        e += (*e == '\\' && e[1]) ? 2 : 1;
    if (*e)
        e++;
    sb_add(b, s, (size_t)(e - s));
    return e;
}

/* ------------------------------------------------------------------ */
/* JSONPath: `.$` values and intrinsic calls                           */

typedef struct rw {
    lower_ctx *lx;
    const lower_vars *v;
    unsigned uses;
} rw;

static bool path_end(char ch)
{
    return !ch || ch == '.' || ch == '[' || ch == ')' || ch == ',' ||
           isspace((unsigned char)ch);
}

/* Replaces `$.input` / `$.result` / `$.error` by `$<variable>`; any other
 * use of `$` cannot be expressed on the variables: NULL. */
static char *rewrite_path_text(rw *r, const char *text)
{
    static const struct {
        const char *member;
        unsigned bit;
    } M[] = {{".input", LOWER_USES_INPUT},
             {".result", LOWER_USES_RESULT},
             {".error", LOWER_USES_ERROR}};
    sbuf b = {0};
    const char *s = text;
    while (*s) {
        if (*s == '\'') {
            s = copy_quoted(&b, s);
        } else if (*s == '$' && s[1] == '$') {
            sb_add(&b, s, 2); /* the context object stays as it is */
            s += 2;
        } else if (*s == '$' && (isalpha((unsigned char)s[1]) || s[1] == '_')) {
            sb_add(&b, s++, 1); /* a workflow variable */
        } else if (*s == '$') {
            size_t i = 0, n = 0;
            for (; i < 3; i++) {
                n = strlen(M[i].member);
                if (!strncmp(s + 1, M[i].member, n) && path_end(s[1 + n]))
                    break;
            }
            if (i == 3) {
                free(b.p);
                return NULL;
            }
            const char *var = i == 0 ? r->v->input
                              : i == 1 ? r->v->result : r->v->error;
            sb_str(&b, "$");
            sb_str(&b, var);
            r->uses |= M[i].bit;
            s += 1 + n;
        } else {
            sb_add(&b, s++, 1);
        }
    }
    return sb_done(&b, r->lx);
}

static json_t *ref(const char *var)
{
    size_t n = strlen(var) + 2;
    char *s = malloc(n);
    if (!s)
        return NULL;
    snprintf(s, n, "$%s", var);
    json_t *j = json_string(s);
    free(s);
    return j;
}

/* {"input.$": "$in", "result.$": "$res", "error.$": "$err"} */
static json_t *whole_input(rw *r)
{
    json_t *o = json_object();
    if (!o || json_object_set_new(o, "input.$", ref(r->v->input)) ||
        json_object_set_new(o, "result.$", ref(r->v->result)) ||
        json_object_set_new(o, "error.$", ref(r->v->error))) {
        json_decref(o);
        r->lx->oom = true;
        return NULL;
    }
    r->uses |= LOWER_USES_INPUT | LOWER_USES_RESULT | LOWER_USES_ERROR;
    return o;
}

static json_t *rw_jp(rw *r, const json_t *v, const char *ptr, int depth);

static bool rw_member(rw *r, json_t *out, const char *key, const json_t *val,
                      const char *ptr, int depth)
{
    size_t kl = strlen(key);
    json_t *nv;
    char *p = sfn_pointer_join(ptr, key);
    if (!p) {
        r->lx->oom = true;
        return false;
    }
    if (kl > 2 && !strcmp(key + kl - 2, ".$") && json_is_string(val)) {
        const char *text = json_string_value(val);
        if (!strcmp(text, "$")) {
            /* the whole compensation input, rebuilt under the plain key */
            char *plain = strndup(key, kl - 2);
            nv = plain ? whole_input(r) : NULL;
            bool ok = nv && !json_object_set_new(out, plain, nv);
            free(plain);
            free(p);
            if (!ok)
                r->lx->oom = true;
            return ok;
        }
        char *t = rewrite_path_text(r, text);
        if (!t && !r->lx->oom)
            lower_diag(r->lx, p, NULL,
                       "'%s' cannot be lowered: a compensation can read "
                       "only $.input, $.result, $.error (with dot "
                       "members after them), $$ and workflow variables",
                       text);
        nv = t ? json_string(t) : NULL;
        free(t);
    } else {
        nv = rw_jp(r, val, p, depth + 1);
    }
    free(p);
    if (!nv || json_object_set_new(out, key, nv))
        return false;
    return true;
}

static json_t *rw_jp(rw *r, const json_t *v, const char *ptr, int depth)
{
    if (depth > ASL_DEPTH_MAX)
        return NULL; /* the compiler refused such a template already */
    if (json_is_object(v)) {
        json_t *out = json_object();
        const char *key;
        json_t *val;
        bool ok = out != NULL;
        json_object_foreach((json_t *)v, key, val) {
            if (ok && !rw_member(r, out, key, val, ptr, depth))
                ok = false;
        }
        if (!ok)
            json_decref(out);
        return ok ? out : NULL;
    }
    if (json_is_array(v)) {
        json_t *out = json_array();
        size_t i;
        json_t *it;
        json_array_foreach(v, i, it) {
            char *p = sfn_pointer_join_index(ptr, i);
            json_t *nv = p ? rw_jp(r, it, p, depth + 1) : NULL;
            free(p);
            if (!out || !nv || json_array_append_new(out, nv)) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    return json_deep_copy(v);
}

json_t *lower_rewrite_jsonpath(lower_ctx *lx, const json_t *params,
                               const char *ptr, const lower_vars *v,
                               unsigned *uses)
{
    rw r = {.lx = lx, .v = v};
    json_t *out = params ? rw_jp(&r, params, ptr, 0) : whole_input(&r);
    if (!out && !lx->bad)
        lx->oom = true;
    *uses = r.uses;
    return out;
}

/* ------------------------------------------------------------------ */
/* JSONata                                                             */

static bool ident(char ch)
{
    return isalnum((unsigned char)ch) || ch == '_';
}

/* "({'input': $in, 'result': $res, 'error': $err})" */
static void whole_expr(sbuf *b, const lower_vars *v)
{
    sb_str(b, "({'input': $");
    sb_str(b, v->input);
    sb_str(b, ", 'result': $");
    sb_str(b, v->result);
    sb_str(b, ", 'error': $");
    sb_str(b, v->error);
    sb_str(b, "})");
}

/* `$states.input` (outside string literals, names and comments) becomes
 * the object built from the variables. */
static char *rewrite_jsonata_text(rw *r, const char *text)
{
    static const char tok[] = "$states.input";
    size_t tl = sizeof tok - 1;
    sbuf b = {0};
    const char *s = text;
    while (*s) {
        if (*s == '\'' || *s == '"' || *s == '`') {
            s = copy_quoted(&b, s);
        } else if (s[0] == '/' && s[1] == '*') {
            const char *e = strstr(s + 2, "*/");
            e = e ? e + 2 : s + strlen(s);
            sb_add(&b, s, (size_t)(e - s));
            s = e;
        } else if (!strncmp(s, tok, tl) && !ident(s[tl])) {
            whole_expr(&b, r->v);
            r->uses |= LOWER_USES_INPUT | LOWER_USES_RESULT |
                       LOWER_USES_ERROR;
            s += tl;
        } else {
            sb_add(&b, s++, 1);
        }
    }
    return sb_done(&b, r->lx);
}

static json_t *rw_ja(rw *r, const json_t *v, int depth)
{
    if (depth > ASL_DEPTH_MAX)
        return NULL;
    if (asl_is_jsonata_string(v)) {
        char *t = rewrite_jsonata_text(r, json_string_value(v));
        json_t *j = t ? json_string(t) : NULL;
        free(t);
        return j;
    }
    if (json_is_object(v)) {
        json_t *out = json_object();
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)v, key, val) {
            json_t *nv = out ? rw_ja(r, val, depth + 1) : NULL;
            if (!nv || json_object_set_new(out, key, nv)) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    if (json_is_array(v)) {
        json_t *out = json_array();
        size_t i;
        json_t *it;
        json_array_foreach(v, i, it) {
            json_t *nv = out ? rw_ja(r, it, depth + 1) : NULL;
            if (!nv || json_array_append_new(out, nv)) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    return json_deep_copy(v);
}

json_t *lower_rewrite_jsonata(lower_ctx *lx, const json_t *args,
                              const lower_vars *v, unsigned *uses)
{
    rw r = {.lx = lx, .v = v};
    json_t *out;
    if (args) {
        out = rw_ja(&r, args, 0);
    } else {
        sbuf b = {0};
        sb_str(&b, "{% ");
        whole_expr(&b, v);
        sb_str(&b, " %}");
        r.uses = LOWER_USES_INPUT | LOWER_USES_RESULT | LOWER_USES_ERROR;
        char *t = sb_done(&b, lx);
        out = t ? json_string(t) : NULL;
        free(t);
    }
    if (!out)
        lx->oom = true;
    *uses = r.uses;
    return out;
}

/* ------------------------------------------------------------------ */

const char *lower_state_dependent(const json_t *v, sfn_ql ql)
{
    static const char *const jp[] = {"$$.State", "$$.Task", "States.UUID(",
                                     NULL};
    static const char *const ja[] = {"$states.context.State",
                                     "$states.context.Task", "$uuid(",
                                     "$random(", "$now(", "$millis(", NULL};
    if (!v)
        return NULL;
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    const char *found = NULL;
    for (const char *const *m = ql == SFN_QL_JSONATA ? ja : jp;
         text && *m && !found; m++)
        if (strstr(text, *m))
            found = *m;
    free(text);
    return found;
}
