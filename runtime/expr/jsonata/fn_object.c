/* fn_object.c: JSONata's object built-ins ($keys, $lookup, $spread, $merge,
 * $sift, $each, $type, $clone) and the control functions $error and
 * $assert. */
#include "jsonata_eval.h"

#include <string.h>

static void keys_into(jctx *c, jv v, jobj *seen, jarr *out)
{
    if (jv_is_array(v)) {
        size_t n = sfn__jn_alen(v);
        for (size_t i = 0; i < n; i++)
            keys_into(c, sfn__jn_aget(v, i), seen, out);
        return;
    }
    if (!jv_is_obj(v))
        return;
    jiter it;
    const char *k;
    size_t kl;
    jv e, dummy;
    sfn__jn_iter_init(&it, v);
    while (sfn__jn_iter_next(&it, &k, &kl, &e)) {
        if (sfn__jn_get(jv_obj(seen), k, kl, &dummy))
            continue;
        sfn__jn_obj_set(c, seen, k, kl, jv_bool(true));
        sfn__jn_arr_push(c, out, jv_str(k, kl));
    }
}

static jv fn_keys(jctx *c, jcall *call)
{
    jv v = jarg(call, 0);
    jarr *out = sfn__jn_arr_new(c, 0, JA_SEQ);
    keys_into(c, v, sfn__jn_obj_new(c, 0), out);
    return jv_arr(out);
}

static jv fn_lookup(jctx *c, jcall *call)
{
    jv v = jarg(call, 0), k = jarg(call, 1);
    if (jv_is_undef(k))
        return jv_undef();
    return sfn__jn_field(c, v, k.u.s, k.len);
}

static void spread_into(jctx *c, jv v, jarr *out)
{
    if (jv_is_array(v)) {
        size_t n = sfn__jn_alen(v);
        for (size_t i = 0; i < n; i++)
            spread_into(c, sfn__jn_aget(v, i), out);
        return;
    }
    if (!jv_is_obj(v)) {
        if (!jv_is_undef(v))
            sfn__jn_arr_push(c, out, v);
        return;
    }
    jiter it;
    const char *k;
    size_t kl;
    jv e;
    sfn__jn_iter_init(&it, v);
    while (sfn__jn_iter_next(&it, &k, &kl, &e)) {
        jobj *o = sfn__jn_obj_new(c, 1);
        sfn__jn_obj_set(c, o, k, kl, e);
        sfn__jn_arr_push(c, out, jv_obj(o));
    }
}

static jv fn_spread(jctx *c, jcall *call)
{
    jv v = jarg(call, 0);
    if (!jv_is_array(v) && !jv_is_obj(v))
        return v;
    jarr *out = sfn__jn_arr_new(c, 0, JA_SEQ);
    spread_into(c, v, out);
    return jv_arr(out);
}

static jv fn_merge(jctx *c, jcall *call)
{
    jv a = jarg(call, 0);
    if (jv_is_undef(a))
        return a;
    jobj *o = sfn__jn_obj_new(c, 0);
    size_t n = sfn__jn_alen(a);
    for (size_t i = 0; i < n; i++) {
        jiter it;
        const char *k;
        size_t kl;
        jv e;
        sfn__jn_iter_init(&it, sfn__jn_aget(a, i));
        while (sfn__jn_iter_next(&it, &k, &kl, &e))
            sfn__jn_obj_set(c, o, k, kl, e);
    }
    return jv_obj(o);
}

static jv fn_sift(jctx *c, jcall *call)
{
    jv v = jarg(call, 0), f = jarg(call, 1);
    if (jv_is_undef(v))
        return v;
    jobj *o = sfn__jn_obj_new(c, 0);
    jiter it;
    const char *k;
    size_t kl;
    jv e;
    sfn__jn_iter_init(&it, v);
    while (sfn__jn_iter_next(&it, &k, &kl, &e))
        if (sfn__jn_truthy(sfn__jn_hof_call(c, call, f, e, jv_str(k, kl), v)))
            sfn__jn_obj_set(c, o, k, kl, e);
    return o->n ? jv_obj(o) : jv_undef();
}

static jv fn_each(jctx *c, jcall *call)
{
    jv v = jarg(call, 0), f = jarg(call, 1);
    if (jv_is_undef(v))
        return v;
    jarr *out = sfn__jn_arr_new(c, 0, JA_SEQ);
    jiter it;
    const char *k;
    size_t kl;
    jv e;
    sfn__jn_iter_init(&it, v);
    while (sfn__jn_iter_next(&it, &k, &kl, &e)) {
        jv r = sfn__jn_hof_call(c, call, f, e, jv_str(k, kl), v);
        if (!jv_is_undef(r))
            sfn__jn_arr_push(c, out, r);
    }
    return jv_arr(out);
}

static jv fn_type(jctx *c, jcall *call)
{
    (void)c;
    jv v = jarg(call, 0);
    if (jv_is_undef(v))
        return v;
    const char *t = sfn__jn_type_name(v);
    return jv_str(t, strlen(t));
}

static jv fn_clone(jctx *c, jcall *call)
{
    return sfn__jn_deep_clone(c, jarg(call, 0));
}

static jv fn_error(jctx *c, jcall *call)
{
    jv m = jarg(call, 0);
    if (jv_is_undef(m) || m.len == 0)
        sfn__jn_throw(c, "D3137", call->pos, "$error() function evaluated");
    sfn__jn_throw(c, "D3137", call->pos, "%.*s", (int)m.len, m.u.s);
}

static jv fn_assert(jctx *c, jcall *call)
{
    jv cond = jarg(call, 0), m = jarg(call, 1);
    if (cond.b)
        return jv_undef();
    if (jv_is_undef(m) || m.len == 0)
        sfn__jn_throw(c, "D3141", call->pos, "$assert() statement failed");
    sfn__jn_throw(c, "D3141", call->pos, "%.*s", (int)m.len, m.u.s);
}

const jbuiltin sfn__jn_fn_object[] = {
    {"keys", "<x-:a<s>>", 1, fn_keys, JB_ALL},
    {"lookup", "<x-s:x>", 2, fn_lookup, JB_ALL},
    {"spread", "<x-:a<o>>", 1, fn_spread, JB_ALL},
    {"merge", "<a<o>:o>", 1, fn_merge, JB_ALL},
    {"sift", "<o-f?:o>", 2, fn_sift, JB_ALL},
    {"each", "<o-f:a>", 2, fn_each, JB_ALL},
    {"type", "<x:s>", 1, fn_type, JB_ALL},
    {"clone", "<(oa)-:o>", 1, fn_clone, JB_ALL},
    {"error", "<s?:x>", 1, fn_error, JB_ALL},
    {"assert", "<bs?:x>", 2, fn_assert, JB_ALL},
    {NULL, NULL, 0, NULL, 0},
};
