/* fn_array.c: JSONata's array and higher-order built-ins ($append, $sort,
 * $reverse, $shuffle, $zip, $distinct, $map, $filter, $single, $reduce)
 * and Step Functions' $partition and $range. */
#include "jsonata_eval.h"

#include <math.h>
#include <string.h>

static jv fn_append(jctx *c, jcall *call)
{
    return sfn__jn_append(c, jarg(call, 0), jarg(call, 1));
}

/* ==== $sort ==== */

typedef struct sort_ctx {
    jctx *c;
    jcall *call;
    jv comparator;
} sort_ctx;

static bool swap(sort_ctx *s, jv a, jv b)
{
    if (jv_is_undef(s->comparator)) {
        if (a.k == JV_NUM)
            return a.u.n > b.u.n;
        size_t m = a.len < b.len ? a.len : b.len;
        int r = memcmp(a.u.s, b.u.s, m);
        return r > 0 || (r == 0 && a.len > b.len);
    }
    jv args[2] = {a, b};
    jv r = sfn__jn_apply(s->c, s->comparator, args, 2, jv_undef(),
                         s->call->env, s->call->pos, NULL);
    /* JavaScript truthiness: the comparator result is used by `if`. */
    switch (r.k) {
    case JV_UNDEF:
    case JV_NULL:
        return false;
    case JV_BOOL:
        return r.b;
    case JV_NUM:
        return r.u.n != 0 && !isnan(r.u.n);
    case JV_STR:
        return r.len > 0;
    default:
        return true;
    }
}

static void msort(sort_ctx *s, jv *v, jv *tmp, size_t n)
{
    if (n <= 1)
        return;
    size_t mid = n / 2;
    msort(s, v, tmp, mid);
    msort(s, v + mid, tmp, n - mid);
    size_t i = 0, j = mid, k = 0;
    while (i < mid && j < n)
        tmp[k++] = swap(s, v[i], v[j]) ? v[j++] : v[i++];
    while (i < mid)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof *v);
}

jv sfn__jn_sort(jctx *c, jv arr, jv comparator, jcall *call)
{
    if (jv_is_undef(arr))
        return arr;
    size_t n = sfn__jn_alen(arr);
    if (n <= 1)
        return arr;
    if (jv_is_undef(comparator) && !sfn__jn_is_array_of(arr, JV_NUM) &&
        !sfn__jn_is_array_of(arr, JV_STR))
        sfn__jn_throw(c, "D3070", call->pos,
                      "The single argument form of the sort function can "
                      "only be applied to an array of strings or an array "
                      "of numbers.  Use the second argument to specify a "
                      "comparison function");
    jv *v = sfn__jn_alloc(c, 2 * n * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = sfn__jn_aget(arr, i);
    sort_ctx s = {c, call, comparator};
    msort(&s, v, v + n, n);
    jarr *out = sfn__jn_arr_new(c, 0, 0);
    out->v = v;
    out->n = n;
    out->cap = n;
    return jv_arr(out);
}

static jv fn_sort(jctx *c, jcall *call)
{
    return sfn__jn_sort(c, jarg(call, 0), jarg(call, 1), call);
}

static jv fn_reverse(jctx *c, jcall *call)
{
    jv a = jarg(call, 0);
    size_t n = sfn__jn_alen(a);
    if (jv_is_undef(a) || n <= 1)
        return a;
    jarr *out = sfn__jn_arr_new(c, n, 0);
    for (size_t i = 0; i < n; i++)
        out->v[out->n++] = sfn__jn_aget(a, n - 1 - i);
    return jv_arr(out);
}

static jv fn_shuffle(jctx *c, jcall *call)
{
    jv a = jarg(call, 0);
    size_t n = sfn__jn_alen(a);
    if (jv_is_undef(a) || n <= 1)
        return a;
    jarr *out = sfn__jn_arr_new(c, n, 0);
    for (size_t i = 0; i < n; i++)
        out->v[out->n++] = sfn__jn_aget(a, i);
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)(sfn__jn_rand64(c) % (i + 1));
        jv t = out->v[i];
        out->v[i] = out->v[j];
        out->v[j] = t;
    }
    return jv_arr(out);
}

static jv fn_zip(jctx *c, jcall *call)
{
    size_t len = (size_t)-1;
    for (size_t i = 0; i < call->n; i++) {
        size_t l = jv_is_array(call->args[i]) ? sfn__jn_alen(call->args[i]) : 0;
        if (l < len)
            len = l;
    }
    if (call->n == 0)
        len = 0;
    jarr *out = sfn__jn_arr_new(c, len, 0);
    for (size_t i = 0; i < len; i++) {
        jarr *t = sfn__jn_arr_new(c, call->n, 0);
        for (size_t k = 0; k < call->n; k++)
            t->v[t->n++] = sfn__jn_aget(call->args[k], i);
        out->v[out->n++] = jv_arr(t);
    }
    return jv_arr(out);
}

static jv fn_distinct(jctx *c, jcall *call)
{
    jv a = jarg(call, 0);
    if (!jv_is_array(a) || sfn__jn_alen(a) <= 1)
        return a;
    size_t n = sfn__jn_alen(a);
    jarr *out = sfn__jn_arr_new(c, 0, jv_is_seq(a) ? JA_SEQ : 0);
    for (size_t i = 0; i < n; i++) {
        jv v = sfn__jn_aget(a, i);
        bool dup = false;
        for (size_t j = 0; !dup && j < out->n; j++)
            dup = sfn__jn_deep_equal(v, out->v[j]);
        if (!dup)
            sfn__jn_arr_push(c, out, v);
        sfn__jn_tick(c, call->pos);
    }
    return jv_arr(out);
}

/* ==== Higher-order ==== */

static jv fn_map(jctx *c, jcall *call)
{
    jv a = jarg(call, 0), f = jarg(call, 1);
    if (jv_is_undef(a))
        return a;
    size_t n = sfn__jn_alen(a);
    jarr *out = sfn__jn_arr_new(c, n, JA_SEQ);
    for (size_t i = 0; i < n; i++) {
        jv r = sfn__jn_hof_call(c, call, f, sfn__jn_aget(a, i),
                                jv_num((double)i), a);
        if (!jv_is_undef(r))
            sfn__jn_arr_push(c, out, r);
    }
    return jv_arr(out);
}

static jv fn_filter(jctx *c, jcall *call)
{
    jv a = jarg(call, 0), f = jarg(call, 1);
    if (jv_is_undef(a))
        return a;
    size_t n = sfn__jn_alen(a);
    jarr *out = sfn__jn_arr_new(c, 0, JA_SEQ);
    for (size_t i = 0; i < n; i++) {
        jv v = sfn__jn_aget(a, i);
        if (sfn__jn_truthy(
                sfn__jn_hof_call(c, call, f, v, jv_num((double)i), a)))
            sfn__jn_arr_push(c, out, v);
    }
    return jv_arr(out);
}

static jv fn_single(jctx *c, jcall *call)
{
    jv a = jarg(call, 0), f = jarg(call, 1);
    if (jv_is_undef(a))
        return a;
    size_t n = sfn__jn_alen(a);
    jv found = jv_undef();
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        jv v = sfn__jn_aget(a, i);
        bool ok = jv_is_undef(f) ||
                  sfn__jn_truthy(
                      sfn__jn_hof_call(c, call, f, v, jv_num((double)i), a));
        if (!ok)
            continue;
        if (any)
            sfn__jn_throw(c, "D3138", call->pos,
                          "The $single() function expected exactly 1 "
                          "matching result.  Instead it matched more.");
        found = v;
        any = true;
    }
    if (!any)
        sfn__jn_throw(c, "D3139", call->pos,
                      "The $single() function expected exactly 1 matching "
                      "result.  Instead it matched 0.");
    return found;
}

static jv fn_reduce(jctx *c, jcall *call)
{
    jv a = jarg(call, 0), f = jarg(call, 1), init = jarg(call, 2);
    if (jv_is_undef(a))
        return a;
    int arity = sfn__jn_arity(f);
    if (arity < 2)
        sfn__jn_throw(c, "D3050", call->pos,
                      "The second argument of reduce function must be a "
                      "function with at least two arguments");
    size_t n = sfn__jn_alen(a), i = 0;
    jv acc = init;
    if (jv_is_undef(init) && n > 0)
        acc = sfn__jn_aget(a, i++);
    for (; i < n; i++) {
        jv args[4] = {acc, sfn__jn_aget(a, i), jv_num((double)i), a};
        size_t na = arity >= 4 ? 4 : arity >= 3 ? 3 : 2;
        acc = sfn__jn_apply(c, f, args, na, jv_undef(), call->env, call->pos,
                            NULL);
    }
    return acc;
}

/* ==== Step Functions additions ==== */

static jv fn_partition(jctx *c, jcall *call)
{
    jv a = jarg(call, 0), sz = jarg(call, 1);
    if (jv_is_undef(a))
        return a;
    if (sz.k != JV_NUM || sz.u.n < 1 || floor(sz.u.n) != sz.u.n)
        sfn__jn_throw(c, "D3030", call->pos,
                      "$partition: the chunk size must be a positive "
                      "integer: %s",
                      sfn__jn_describe(c, sz));
    if (!jv_is_array(a))
        a = sfn__jn_seq1(c, a);
    size_t n = sfn__jn_alen(a), size = (size_t)sz.u.n;
    jarr *out = sfn__jn_arr_new(c, 0, 0);
    for (size_t i = 0; i < n; i += size) {
        jarr *chunk = sfn__jn_arr_new(c, 0, 0);
        for (size_t k = i; k < n && k < i + size; k++)
            sfn__jn_arr_push(c, chunk, sfn__jn_aget(a, k));
        sfn__jn_arr_push(c, out, jv_arr(chunk));
    }
    return jv_arr(out);
}

static jv fn_range(jctx *c, jcall *call)
{
    jv s = jarg(call, 0), e = jarg(call, 1), st = jarg(call, 2);
    if (jv_is_undef(s) || jv_is_undef(e))
        return jv_undef();
    double step = jv_is_undef(st) ? 1 : st.u.n;
    if (step == 0)
        sfn__jn_throw(c, "D3030", call->pos, "$range: step must not be 0");
    double count = floor((e.u.n - s.u.n) / step) + 1;
    if (count > 10000000)
        sfn__jn_throw(c, "D2014", call->pos,
                      "$range: the result would have %.0f items; the limit "
                      "is 1e7",
                      count);
    /* a sequence: one item comes back unwrapped, as AWS records for
     * $range(1, 9, 9) -> 1 */
    jarr *out = sfn__jn_arr_new(c, count > 0 ? (size_t)count : 0, JA_SEQ);
    for (double i = 0; i < count; i++)
        out->v[out->n++] = jv_num(s.u.n + i * step);
    return jv_arr(out);
}

const jbuiltin sfn__jn_fn_array[] = {
    {"append", "<xx:a>", 2, fn_append, JB_ALL},
    {"sort", "<af?:a>", 2, fn_sort, JB_ALL},
    {"reverse", "<a:a>", 1, fn_reverse, JB_ALL},
    {"shuffle", "<a:a>", 1, fn_shuffle, JB_ALL},
    {"zip", "<a+>", 0, fn_zip, JB_ALL},
    {"distinct", "<x:x>", 1, fn_distinct, JB_ALL},
    {"map", "<af>", 2, fn_map, JB_ALL},
    {"filter", "<af>", 2, fn_filter, JB_ALL},
    {"single", "<af?>", 2, fn_single, JB_ALL},
    {"reduce", "<afj?:j>", 3, fn_reduce, JB_ALL},
    {"partition", "<an:a>", 2, fn_partition, JB_AWS},
    {"range", "<nnn?:a>", 3, fn_range, JB_AWS},
    {NULL, NULL, 0, NULL, 0},
};
