/* jsonpath_eval.c: runs a compiled step program over a jansson document.
 * Selected nodes are borrowed from the document (appending them to a result
 * array takes a reference; nothing is copied).  Filters, comparisons and
 * length() live here; error wording for whole paths is in sfn_jsonpath.c. */
#include "jsonpath_internal.h"

#include <string.h>

typedef struct walker {
    const sfn__jp_prog *prog;
    size_t n;     /* steps to run */
    json_t *root; /* what `$` means inside filters */
    json_t *acc;  /* matches, in order */
    const char *text;
    sfn_error *err;
} walker;

/* A filter operand: a borrowed node, a new value (owned), or nothing. */
typedef struct val {
    json_t *v;
    bool owned;
} val;

static sfn_rc walk(walker *w, size_t i, json_t *node);

static sfn_rc nomem(walker *w)
{
    return sfn_error_set(w->err, SFN_ENOMEM, NULL, -1,
                         "out of memory evaluating JSONPath");
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

long long sfn__jp_length(const json_t *v)
{
    if (json_is_array(v))
        return (long long)json_array_size(v);
    if (!json_is_string(v))
        return -1;
    /* Code points: count the bytes that do not continue a sequence. */
    const unsigned char *s = (const unsigned char *)json_string_value(v);
    size_t len = json_string_length(v);
    long long n = 0;
    for (size_t i = 0; i < len; i++)
        n += (s[i] & 0xC0) != 0x80;
    return n;
}

/* Resolves a possibly negative index against an array of `size`; -1 when
 * it falls outside. */
static long long norm_index(long long idx, size_t size)
{
    long long sz = (long long)size;
    if (idx < 0)
        idx += sz;
    return idx >= 0 && idx < sz ? idx : -1;
}

/* The one node a MEMBER or INDEX step selects from `node`, or NULL. */
static json_t *child_of(const sfn__jp_step *s, json_t *node)
{
    if (s->kind == SFN__JP_MEMBER && json_is_object(node))
        return json_object_getn(node, s->u.name.s, s->u.name.len);
    if (s->kind == SFN__JP_INDEX && json_is_array(node)) {
        long long k = norm_index(s->u.index, json_array_size(node));
        return k < 0 ? NULL : json_array_get(node, (size_t)k);
    }
    return NULL;
}

json_t *sfn__jp_lookup(const sfn__jp_prog *prog, size_t nsteps, json_t *node,
                       size_t *failed_step)
{
    for (size_t i = 0; i < nsteps; i++) {
        node = child_of(&prog->steps[i], node);
        if (!node) {
            *failed_step = i;
            return NULL;
        }
    }
    return node;
}

/* ==== Filters ==== */

static sfn_rc test(walker *w, const sfn__jp_expr *e, json_t *cur, bool *res);

static sfn_rc path_value(walker *w, const sfn__jp_expr *e, json_t *cur,
                         val *out)
{
    json_t *base = e->u.path.absolute ? w->root : cur;
    const sfn__jp_prog *prog = &e->u.path.prog;
    if (!e->u.path.definite) {
        json_t *acc = json_array();
        if (!acc)
            return nomem(w);
        *out = (val){acc, true};
        return sfn__jp_collect(prog, prog->n, base, w->root, acc, w->text,
                               w->err);
    }
    bool len = prog->n && prog->steps[prog->n - 1].kind == SFN__JP_LENGTH;
    size_t failed;
    json_t *node = sfn__jp_lookup(prog, prog->n - len, base, &failed);
    *out = (val){node, false};
    if (!node || !len)
        return SFN_OK;
    /* length() of something without a length is simply no value here: the
     * comparison is false, as with a missing member. */
    long long n = sfn__jp_length(node);
    out->v = n < 0 ? NULL : json_integer(n);
    out->owned = out->v != NULL;
    return n >= 0 && !out->v ? nomem(w) : SFN_OK;
}

static sfn_rc value_of(walker *w, const sfn__jp_expr *e, json_t *cur,
                       val *out)
{
    if (e->kind == SFN__JPX_LITERAL) {
        *out = (val){e->u.literal, false};
        return SFN_OK;
    }
    return path_value(w, e, cur, out);
}

/* Exact: an integer beyond 2^53 still orders correctly against a real. */
static int int_real_cmp(json_int_t i, double d)
{
    if (d >= 9223372036854775808.0)
        return -1;
    if (d < -9223372036854775808.0)
        return 1;
    json_int_t t = (json_int_t)d; /* in range now; truncates toward 0 */
    if (i != t)
        return i < t ? -1 : 1;
    double whole = (double)t;
    return d > whole ? -1 : d < whole ? 1 : 0;
}

static int num_cmp(const json_t *a, const json_t *b)
{
    bool ia = json_is_integer(a), ib = json_is_integer(b);
    if (ia && ib) {
        json_int_t x = json_integer_value(a), y = json_integer_value(b);
        return (x > y) - (x < y);
    }
    if (ia)
        return int_real_cmp(json_integer_value(a), json_real_value(b));
    if (ib)
        return -int_real_cmp(json_integer_value(b), json_real_value(a));
    double x = json_real_value(a), y = json_real_value(b);
    return (x > y) - (x < y);
}

/* Byte order of UTF-8 is code-point order. */
static int str_cmp(const json_t *a, const json_t *b)
{
    size_t la = json_string_length(a), lb = json_string_length(b);
    int c = memcmp(json_string_value(a), json_string_value(b),
                   la < lb ? la : lb);
    if (c)
        return c < 0 ? -1 : 1;
    return (la > lb) - (la < lb);
}

static bool holds(sfn__jp_op op, int c)
{
    switch (op) {
    case SFN__JP_EQ:
        return c == 0;
    case SFN__JP_NE:
        return c != 0;
    case SFN__JP_LT:
        return c < 0;
    case SFN__JP_LE:
        return c <= 0;
    case SFN__JP_GT:
        return c > 0;
    case SFN__JP_GE:
        return c >= 0;
    }
    return false;
}

/* Decisions: a missing operand makes every comparison false (`!=`
 * included).  Numbers compare numerically and strings by code point; for
 * any other pair only `==` and `!=` apply (structural equality), and
 * ordering between mismatched types is false. */
static bool compare(sfn__jp_op op, const json_t *a, const json_t *b)
{
    if (!a || !b)
        return false;
    if (json_is_number(a) && json_is_number(b))
        return holds(op, num_cmp(a, b));
    if (json_is_string(a) && json_is_string(b))
        return holds(op, str_cmp(a, b));
    if (op == SFN__JP_EQ)
        return json_equal(a, b);
    if (op == SFN__JP_NE)
        return !json_equal(a, b);
    return false;
}

static sfn_rc test_cmp(walker *w, const sfn__jp_expr *e, json_t *cur,
                       bool *res)
{
    val l = {0}, r = {0};
    sfn_rc rc = value_of(w, e->u.bin.l, cur, &l);
    if (!rc)
        rc = value_of(w, e->u.bin.r, cur, &r);
    if (!rc)
        *res = compare(e->u.bin.op, l.v, r.v);
    if (l.owned)
        json_decref(l.v);
    if (r.owned)
        json_decref(r.v);
    return rc;
}

static sfn_rc test(walker *w, const sfn__jp_expr *e, json_t *cur, bool *res)
{
    sfn_rc rc;
    val v = {0};
    switch (e->kind) {
    case SFN__JPX_OR:
    case SFN__JPX_AND:
        if ((rc = test(w, e->u.bin.l, cur, res)))
            return rc;
        if (*res == (e->kind == SFN__JPX_OR))
            return SFN_OK;
        return test(w, e->u.bin.r, cur, res);
    case SFN__JPX_NOT:
        rc = test(w, e->u.sub, cur, res);
        *res = !*res;
        return rc;
    case SFN__JPX_EXISTS:
        rc = path_value(w, e->u.sub, cur, &v);
        *res = v.v && (e->u.sub->u.path.definite || json_array_size(v.v));
        if (v.owned)
            json_decref(v.v);
        return rc;
    case SFN__JPX_CMP:
        return test_cmp(w, e, cur, res);
    default:
        *res = false; /* literals and paths are wrapped by the parser */
        return SFN_OK;
    }
}

/* ==== Steps ==== */

static sfn_rc each_child(walker *w, size_t i, json_t *node,
                         const sfn__jp_expr *filter)
{
    sfn_rc rc = SFN_OK;
    bool keep = true;
    if (json_is_array(node)) {
        size_t k;
        json_t *v;
        json_array_foreach(node, k, v)
        {
            if (filter && (rc = test(w, filter, v, &keep)))
                return rc;
            if (keep && (rc = walk(w, i + 1, v)))
                return rc;
        }
    } else if (json_is_object(node)) {
        const char *key;
        json_t *v;
        json_object_foreach(node, key, v)
        {
            if (filter && (rc = test(w, filter, v, &keep)))
                return rc;
            if (keep && (rc = walk(w, i + 1, v)))
                return rc;
        }
    }
    return rc;
}

static sfn_rc slice(walker *w, size_t i, json_t *arr)
{
    const sfn__jp_step *s = &w->prog->steps[i];
    long long len = (long long)json_array_size(arr), st = s->u.slice.step;
    long long lo = st > 0 ? 0 : -1, hi = st > 0 ? len : len - 1;
    long long a = s->u.slice.has_start ? s->u.slice.start : st > 0 ? 0 : hi;
    long long b = s->u.slice.has_end ? s->u.slice.end : st > 0 ? len : lo;
    /* Python's rules: negatives count from the end, then clamp. */
    if (s->u.slice.has_start && a < 0)
        a += len;
    if (s->u.slice.has_end && b < 0)
        b += len;
    a = a < lo ? lo : a > hi ? hi : a;
    b = b < lo ? lo : b > hi ? hi : b;
    for (long long k = a; st > 0 ? k < b : k > b;) {
        sfn_rc rc = walk(w, i + 1, json_array_get(arr, (size_t)k));
        if (rc)
            return rc;
        if (st > 0 ? st >= b - k : -st >= k - b)
            break;
        k += st;
    }
    return SFN_OK;
}

static sfn_rc length_step(walker *w, json_t *node)
{
    long long n = sfn__jp_length(node);
    if (n < 0)
        return sfn_error_set(w->err, SFN_ETYPE, "States.Runtime", -1,
                             "Invalid path '%.300s' : length() needs an "
                             "array or a string, found %s",
                             w->text, type_name(node));
    json_t *v = json_integer(n);
    if (!v)
        return nomem(w);
    return json_array_append_new(w->acc, v) ? nomem(w) : SFN_OK;
}

static sfn_rc apply(walker *w, size_t i, json_t *node)
{
    const sfn__jp_step *s = &w->prog->steps[i];
    sfn_rc rc = SFN_OK;
    switch (s->kind) {
    case SFN__JP_MEMBER:
    case SFN__JP_INDEX: {
        json_t *v = child_of(s, node);
        return v ? walk(w, i + 1, v) : SFN_OK;
    }
    case SFN__JP_WILDCARD:
        return each_child(w, i, node, NULL);
    case SFN__JP_FILTER:
        return each_child(w, i, node, s->u.filter);
    case SFN__JP_SLICE:
        return json_is_array(node) ? slice(w, i, node) : SFN_OK;
    case SFN__JP_NAMES:
        for (size_t k = 0; !rc && k < s->u.names.n && json_is_object(node);
             k++) {
            const sfn__jp_name *nm = &s->u.names.v[k];
            json_t *v = json_object_getn(node, nm->s, nm->len);
            rc = v ? walk(w, i + 1, v) : SFN_OK;
        }
        return rc;
    case SFN__JP_INDEXES:
        for (size_t k = 0; !rc && k < s->u.indexes.n && json_is_array(node);
             k++) {
            size_t size = json_array_size(node);
            long long j = norm_index(s->u.indexes.v[k], size);
            rc = j < 0 ? SFN_OK
                       : walk(w, i + 1, json_array_get(node, (size_t)j));
        }
        return rc;
    case SFN__JP_LENGTH:
        return length_step(w, node);
    }
    return SFN_OK;
}

/* `..X`: X applied at this node, then at every descendant, parents before
 * children (Jayway's scan order). */
static sfn_rc walk_deep(walker *w, size_t i, json_t *node)
{
    sfn_rc rc = apply(w, i, node);
    if (rc)
        return rc;
    if (json_is_array(node)) {
        size_t k;
        json_t *v;
        json_array_foreach(node, k, v)
        {
            if ((rc = walk_deep(w, i, v)))
                return rc;
        }
    } else if (json_is_object(node)) {
        const char *key;
        json_t *v;
        json_object_foreach(node, key, v)
        {
            if ((rc = walk_deep(w, i, v)))
                return rc;
        }
    }
    return SFN_OK;
}

static sfn_rc walk(walker *w, size_t i, json_t *node)
{
    if (i == w->n)
        return json_array_append(w->acc, node) ? nomem(w) : SFN_OK;
    if (w->prog->steps[i].deep)
        return walk_deep(w, i, node);
    return apply(w, i, node);
}

sfn_rc sfn__jp_collect(const sfn__jp_prog *prog, size_t nsteps, json_t *node,
                       json_t *root, json_t *acc, const char *path_text,
                       sfn_error *err)
{
    walker w = {.prog = prog,
                .n = nsteps,
                .root = root,
                .acc = acc,
                .text = path_text,
                .err = err};
    return walk(&w, 0, node);
}
