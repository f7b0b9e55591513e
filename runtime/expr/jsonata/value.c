/* value.c: the JSONata evaluator's value type: arena allocation, arrays,
 * objects (borrowed JSON and evaluation-made alike), conversion to and from
 * jansson, deep equality and cloning, and error unwinding. */
#include "jsonata_eval.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Memory one evaluation may use before it fails instead of exhausting the
 * machine. */
#define ARENA_BYTES_MAX ((size_t)2 << 30)

/* ==== Errors ==== */

static _Noreturn void vthrow(jctx *c, sfn_rc rc, const char *code, long pos,
                             const char *fmt, va_list ap)
{
    char msg[SFN_ERROR_CAUSE_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    sfn_error_set(c->err, rc, code, pos, "%s", msg);
    longjmp(*c->jb, 1);
}

_Noreturn void sfn__jn_throw(jctx *c, const char *code, long pos,
                             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vthrow(c, SFN_ERUNTIME, code, pos, fmt, ap);
}

_Noreturn void sfn__jn_throw_rc(jctx *c, sfn_rc rc, const char *code,
                                long pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vthrow(c, rc, code, pos, fmt, ap);
}

/* ==== Arena ==== */

void *sfn__jn_alloc(jctx *c, size_t size)
{
    c->arena_bytes += size;
    void *p = c->arena_bytes > ARENA_BYTES_MAX
                  ? NULL
                  : sfn__jsonata_alloc(&c->arena, size);
    if (!p)
        sfn__jn_throw_rc(c, SFN_ENOMEM, NULL, -1,
                         "out of memory evaluating JSONata (%zu bytes)",
                         c->arena_bytes);
    return p;
}

char *sfn__jn_strdup(jctx *c, const char *s, size_t len)
{
    char *d = sfn__jn_alloc(c, len + 1);
    if (len)
        memcpy(d, s, len);
    return d;
}

/* ==== Arrays ==== */

size_t sfn__jn_alen(jv a)
{
    if (a.k == JV_ARR)
        return a.u.a->n;
    if (a.k == JV_JARR)
        return json_array_size(a.u.j);
    return 0;
}

jv sfn__jn_from_json(json_t *j)
{
    jv v = {0};
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        v.k = JV_JOBJ;
        v.u.j = j;
        break;
    case JSON_ARRAY:
        v.k = JV_JARR;
        v.u.j = j;
        break;
    case JSON_STRING:
        return jv_str(json_string_value(j), json_string_length(j));
    case JSON_INTEGER:
    case JSON_REAL:
        return jv_num(json_number_value(j));
    case JSON_TRUE:
        return jv_bool(true);
    case JSON_FALSE:
        return jv_bool(false);
    default:
        return jv_null();
    }
    return v;
}

jv sfn__jn_aget(jv a, size_t i)
{
    if (a.k == JV_ARR)
        return i < a.u.a->n ? a.u.a->v[i] : jv_undef();
    if (a.k == JV_JARR) {
        json_t *e = json_array_get(a.u.j, i);
        return e ? sfn__jn_from_json(e) : jv_undef();
    }
    return jv_undef();
}

jarr *sfn__jn_arr_new(jctx *c, size_t cap, unsigned flags)
{
    jarr *a = sfn__jn_alloc(c, sizeof *a);
    a->flags = flags;
    if (cap) {
        a->v = sfn__jn_alloc(c, cap * sizeof *a->v);
        a->cap = cap;
    }
    return a;
}

void sfn__jn_arr_push(jctx *c, jarr *a, jv v)
{
    if (a->n == a->cap) {
        size_t ncap = a->cap ? a->cap * 2 : 4;
        jv *nv = sfn__jn_alloc(c, ncap * sizeof *nv);
        if (a->n)
            memcpy(nv, a->v, a->n * sizeof *nv);
        a->v = nv;
        a->cap = ncap;
    }
    a->v[a->n++] = v;
}

jv sfn__jn_seq0(jctx *c)
{
    return jv_arr(sfn__jn_arr_new(c, 0, JA_SEQ));
}

jv sfn__jn_seq1(jctx *c, jv v)
{
    jarr *a = sfn__jn_arr_new(c, 1, JA_SEQ);
    a->v[a->n++] = v;
    return jv_arr(a);
}

jv sfn__jn_append(jctx *c, jv a, jv b)
{
    if (jv_is_undef(a))
        return b;
    if (jv_is_undef(b))
        return a;
    size_t na = jv_is_array(a) ? sfn__jn_alen(a) : 1;
    size_t nb = jv_is_array(b) ? sfn__jn_alen(b) : 1;
    /* concat() on a sequence gives a plain array, except when a was not
     * an array and createSequence wrapped it. */
    jarr *r = sfn__jn_arr_new(c, na + nb, jv_is_array(a) ? 0 : JA_SEQ);
    if (jv_is_array(a)) {
        if (a.k == JV_ARR)
            memcpy(r->v, a.u.a->v, na * sizeof *r->v);
        else
            for (size_t i = 0; i < na; i++)
                r->v[i] = sfn__jn_aget(a, i);
    } else {
        r->v[0] = a;
    }
    r->n = na;
    if (jv_is_array(b)) {
        for (size_t i = 0; i < nb; i++)
            r->v[r->n++] = sfn__jn_aget(b, i);
    } else {
        r->v[r->n++] = b;
    }
    return jv_arr(r);
}

/* ==== Objects ==== */

static uint32_t hash(const char *k, size_t kl)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < kl; i++)
        h = (h ^ (unsigned char)k[i]) * 16777619u;
    return h;
}

jobj *sfn__jn_obj_new(jctx *c, size_t cap)
{
    jobj *o = sfn__jn_alloc(c, sizeof *o);
    if (cap) {
        o->ks = sfn__jn_alloc(c, cap * sizeof *o->ks);
        o->kl = sfn__jn_alloc(c, cap * sizeof *o->kl);
        o->vs = sfn__jn_alloc(c, cap * sizeof *o->vs);
        o->cap = cap;
    }
    return o;
}

static void reindex(jctx *c, jobj *o, size_t icap)
{
    o->idx = sfn__jn_alloc(c, icap * sizeof *o->idx);
    o->icap = icap;
    for (size_t i = 0; i < o->n; i++) {
        size_t h = hash(o->ks[i], o->kl[i]) & (icap - 1);
        while (o->idx[h])
            h = (h + 1) & (icap - 1);
        o->idx[h] = (uint32_t)(i + 1);
    }
}

static long find(const jobj *o, const char *k, size_t kl)
{
    if (!o->idx) {
        for (size_t i = 0; i < o->n; i++)
            if (o->kl[i] == kl && memcmp(o->ks[i], k, kl) == 0)
                return (long)i;
        return -1;
    }
    size_t h = hash(k, kl) & (o->icap - 1);
    while (o->idx[h]) {
        size_t i = o->idx[h] - 1;
        if (o->kl[i] == kl && memcmp(o->ks[i], k, kl) == 0)
            return (long)i;
        h = (h + 1) & (o->icap - 1);
    }
    return -1;
}

void sfn__jn_obj_set(jctx *c, jobj *o, const char *k, size_t kl, jv v)
{
    long at = find(o, k, kl);
    if (at >= 0) {
        o->vs[at] = v;
        return;
    }
    if (o->n == o->cap) {
        size_t ncap = o->cap ? o->cap * 2 : 4;
        const char **ks = sfn__jn_alloc(c, ncap * sizeof *ks);
        size_t *kls = sfn__jn_alloc(c, ncap * sizeof *kls);
        jv *vs = sfn__jn_alloc(c, ncap * sizeof *vs);
        if (o->n) {
            memcpy(ks, o->ks, o->n * sizeof *ks);
            memcpy(kls, o->kl, o->n * sizeof *kls);
            memcpy(vs, o->vs, o->n * sizeof *vs);
        }
        o->ks = ks;
        o->kl = kls;
        o->vs = vs;
        o->cap = ncap;
    }
    o->ks[o->n] = k;
    o->kl[o->n] = kl;
    o->vs[o->n] = v;
    o->n++;
    if (o->n > 8 && o->n * 2 > o->icap)
        reindex(c, o, o->icap ? o->icap * 2 : 32);
    else if (o->idx) {
        size_t h = hash(k, kl) & (o->icap - 1);
        while (o->idx[h])
            h = (h + 1) & (o->icap - 1);
        o->idx[h] = (uint32_t)o->n;
    }
}

bool sfn__jn_obj_del(jobj *o, const char *k, size_t kl)
{
    long at = find(o, k, kl);
    if (at < 0)
        return false;
    size_t rest = o->n - (size_t)at - 1;
    memmove(o->ks + at, o->ks + at + 1, rest * sizeof *o->ks);
    memmove(o->kl + at, o->kl + at + 1, rest * sizeof *o->kl);
    memmove(o->vs + at, o->vs + at + 1, rest * sizeof *o->vs);
    o->n--;
    if (o->idx) {
        /* Rebuild in place: positions shifted. */
        memset(o->idx, 0, o->icap * sizeof *o->idx);
        for (size_t i = 0; i < o->n; i++) {
            size_t h = hash(o->ks[i], o->kl[i]) & (o->icap - 1);
            while (o->idx[h])
                h = (h + 1) & (o->icap - 1);
            o->idx[h] = (uint32_t)(i + 1);
        }
    }
    return true;
}

bool sfn__jn_get(jv obj, const char *k, size_t kl, jv *out)
{
    *out = jv_undef();
    if (obj.k == JV_OBJ) {
        long at = find(obj.u.o, k, kl);
        if (at < 0)
            return false;
        *out = obj.u.o->vs[at];
        return true;
    }
    if (obj.k == JV_JOBJ) {
        json_t *m = json_object_getn(obj.u.j, k, kl);
        if (!m)
            return false;
        *out = sfn__jn_from_json(m);
        return true;
    }
    return false;
}

void sfn__jn_iter_init(jiter *it, jv o)
{
    it->o = o;
    it->i = 0;
    it->it = o.k == JV_JOBJ ? json_object_iter(o.u.j) : NULL;
}

bool sfn__jn_iter_next(jiter *it, const char **k, size_t *kl, jv *v)
{
    if (it->o.k == JV_OBJ) {
        jobj *o = it->o.u.o;
        if (it->i >= o->n)
            return false;
        *k = o->ks[it->i];
        *kl = o->kl[it->i];
        *v = o->vs[it->i];
        it->i++;
        return true;
    }
    if (it->o.k != JV_JOBJ || !it->it)
        return false;
    *k = json_object_iter_key(it->it);
    *kl = json_object_iter_key_len(it->it);
    *v = sfn__jn_from_json(json_object_iter_value(it->it));
    it->it = json_object_iter_next(it->o.u.j, it->it);
    return true;
}

size_t sfn__jn_obj_size(jv o)
{
    if (o.k == JV_OBJ)
        return o.u.o->n;
    if (o.k == JV_JOBJ)
        return json_object_size(o.u.j);
    return 0;
}

/* ==== Conversion to JSON ==== */

static json_t *num_json(double d)
{
    if (d == floor(d) && fabs(d) <= 9007199254740992.0)
        return json_integer((json_int_t)d);
    return json_real(d);
}

json_t *sfn__jn_to_json(jv v, bool *oom)
{
    json_t *r = NULL;
    switch (v.k) {
    case JV_UNDEF:
    case JV_FN:
    case JV_TUPLE:
        return NULL;
    case JV_NULL:
        r = json_null();
        break;
    case JV_BOOL:
        r = json_boolean(v.b);
        break;
    case JV_NUM:
        r = num_json(v.u.n);
        break;
    case JV_STR:
        r = json_stringn_nocheck(v.u.s, v.len);
        break;
    case JV_JARR:
    case JV_JOBJ:
        return json_incref(v.u.j);
    case JV_ARR:
        r = json_array();
        for (size_t i = 0; r && i < v.u.a->n; i++) {
            json_t *e = sfn__jn_to_json(v.u.a->v[i], oom);
            if (e && json_array_append_new(r, e))
                *oom = true;
        }
        break;
    case JV_OBJ:
        r = json_object();
        for (size_t i = 0; r && i < v.u.o->n; i++) {
            json_t *e = sfn__jn_to_json(v.u.o->vs[i], oom);
            if (e && json_object_setn_new_nocheck(r, v.u.o->ks[i],
                                                  v.u.o->kl[i], e))
                *oom = true;
        }
        break;
    }
    if (!r)
        *oom = true;
    return r;
}

/* ==== Predicates ==== */

/* The signature symbol of a JSON value, without converting it (hot in
 * checks over big input arrays). */
char sfn__jn_json_symbol(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_STRING: return 's';
    case JSON_INTEGER:
    case JSON_REAL: return 'n';
    case JSON_TRUE:
    case JSON_FALSE: return 'b';
    case JSON_NULL: return 'l';
    case JSON_ARRAY: return 'a';
    default: return 'o';
    }
}

char sfn__jn_symbol(jv v)
{
    switch (v.k) {
    case JV_STR:
        return 's';
    case JV_NUM:
        return 'n';
    case JV_BOOL:
        return 'b';
    case JV_NULL:
        return 'l';
    case JV_ARR:
    case JV_JARR:
        return 'a';
    case JV_OBJ:
    case JV_JOBJ:
    case JV_TUPLE:
        return 'o';
    case JV_FN:
        return 'f';
    default:
        return 'm';
    }
}

const char *sfn__jn_type_name(jv v)
{
    switch (v.k) {
    case JV_STR:
        return "string";
    case JV_NUM:
        return "number";
    case JV_BOOL:
        return "boolean";
    case JV_NULL:
        return "null";
    case JV_ARR:
    case JV_JARR:
        return "array";
    case JV_FN:
        return "function";
    case JV_UNDEF:
        return "undefined";
    default:
        return "object";
    }
}

bool sfn__jn_is_array_of(jv v, jv_kind k)
{
    if (!jv_is_array(v))
        return false;
    size_t n = sfn__jn_alen(v);
    for (size_t i = 0; i < n; i++)
        if (sfn__jn_aget(v, i).k != k)
            return false;
    return true;
}

bool sfn__jn_truthy(jv v)
{
    switch (v.k) {
    case JV_ARR:
    case JV_JARR: {
        size_t n = sfn__jn_alen(v);
        if (n == 1)
            return sfn__jn_truthy(sfn__jn_aget(v, 0));
        for (size_t i = 0; i < n; i++)
            if (sfn__jn_truthy(sfn__jn_aget(v, i)))
                return true;
        return false;
    }
    case JV_STR:
        return v.len > 0;
    case JV_NUM:
        return v.u.n != 0;
    case JV_OBJ:
    case JV_JOBJ:
        return sfn__jn_obj_size(v) > 0;
    case JV_BOOL:
        return v.b;
    default:
        return false;
    }
}

jv sfn__jn_boolean(jv v)
{
    return jv_is_undef(v) ? v : jv_bool(sfn__jn_truthy(v));
}

bool sfn__jn_deep_equal(jv a, jv b)
{
    if (jv_is_array(a) && jv_is_array(b)) {
        size_t n = sfn__jn_alen(a);
        if (n != sfn__jn_alen(b))
            return false;
        for (size_t i = 0; i < n; i++)
            if (!sfn__jn_deep_equal(sfn__jn_aget(a, i), sfn__jn_aget(b, i)))
                return false;
        return true;
    }
    if (jv_is_obj(a) && jv_is_obj(b)) {
        if (a.k == JV_JOBJ && b.k == JV_JOBJ && a.u.j == b.u.j)
            return true;
        if (sfn__jn_obj_size(a) != sfn__jn_obj_size(b))
            return false;
        jiter it;
        const char *k;
        size_t kl;
        jv va, vb;
        sfn__jn_iter_init(&it, a);
        while (sfn__jn_iter_next(&it, &k, &kl, &va))
            if (!sfn__jn_get(b, k, kl, &vb) || !sfn__jn_deep_equal(va, vb))
                return false;
        return true;
    }
    if (a.k != b.k)
        return false;
    switch (a.k) {
    case JV_NULL:
    case JV_UNDEF:
        return true;
    case JV_BOOL:
        return a.b == b.b;
    case JV_NUM:
        return a.u.n == b.u.n;
    case JV_STR:
        return a.len == b.len && memcmp(a.u.s, b.u.s, a.len) == 0;
    case JV_FN:
        return a.u.f == b.u.f;
    default:
        return false;
    }
}

jv sfn__jn_deep_clone(jctx *c, jv v)
{
    if (jv_is_array(v)) {
        size_t n = sfn__jn_alen(v);
        jarr *r = sfn__jn_arr_new(c, n, 0);
        for (size_t i = 0; i < n; i++) {
            jv e = sfn__jn_aget(v, i);
            /* JSON.stringify turns functions in arrays into null */
            e = e.k == JV_FN || e.k == JV_UNDEF ? jv_null()
                                                 : sfn__jn_deep_clone(c, e);
            r->v[r->n++] = e;
        }
        return jv_arr(r);
    }
    if (jv_is_obj(v)) {
        jobj *o = sfn__jn_obj_new(c, sfn__jn_obj_size(v));
        jiter it;
        const char *k;
        size_t kl;
        jv e;
        sfn__jn_iter_init(&it, v);
        while (sfn__jn_iter_next(&it, &k, &kl, &e))
            if (e.k != JV_FN && e.k != JV_UNDEF)
                sfn__jn_obj_set(c, o, k, kl, sfn__jn_deep_clone(c, e));
        return jv_obj(o);
    }
    return v;
}

/* ==== Buffers ==== */

void sfn__jn_sb_put(jctx *c, jbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t ncap = (b->n + n + 1) * 2;
        if (ncap < 32)
            ncap = 32;
        char *np = sfn__jn_alloc(c, ncap);
        if (b->n)
            memcpy(np, b->p, b->n);
        b->p = np;
        b->cap = ncap;
    }
    if (n)
        memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void sfn__jn_sb_putc(jctx *c, jbuf *b, char ch)
{
    sfn__jn_sb_put(c, b, &ch, 1);
}

jv sfn__jn_sb_str(jbuf *b)
{
    return jv_str(b->p ? b->p : "", b->n);
}

/* ==== UTF-8 ==== */

unsigned sfn__jn_utf8_decode(const char *s, size_t n, size_t *adv)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned c = u[0];
    size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (len > n)
        len = 1;
    unsigned cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    for (size_t i = 1; i < len; i++)
        cp = (cp << 6) | (u[i] & 0x3F);
    *adv = len;
    return cp;
}

size_t sfn__jn_utf8_encode(unsigned cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t sfn__jn_utf8_len(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            count++;
    return count;
}

size_t sfn__jn_utf8_offset(const char *s, size_t n, size_t cp)
{
    size_t i = 0;
    while (i < n && cp > 0) {
        i++;
        while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        cp--;
    }
    return i;
}
