/* intrinsic_lib.c: the 18 ASL intrinsic functions: their table (arity,
 * argument kinds, result kind), the extra static checks on literal
 * arguments, and their evaluation over already-checked argument values.
 * Parsing and argument evaluation are sfn_intrinsic.c's. */
#include "intrinsic_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "sfn_json.h"

typedef sfn__intrinsic_spec spec_t;
typedef sfn__intrinsic_args args_t;
typedef sfn__intrinsic_static static_t;

/* ==== Shared helpers ==== */

static sfn_rc fail(sfn_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static sfn_rc fail(sfn_error *err, const char *fmt, ...)
{
    char msg[SFN_ERROR_CAUSE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sfn_error_set(err, SFN_ERUNTIME, SFN__INTRINSIC_FAILURE, -1, "%s",
                         msg);
}

static sfn_rc bad_literal(sfn_error *err, long offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static sfn_rc bad_literal(sfn_error *err, long offset, const char *fmt, ...)
{
    char msg[SFN_ERROR_CAUSE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sfn_error_set(err, SFN_ESYNTAX, NULL, offset, "%s", msg);
}

static sfn_rc no_memory(sfn_error *err)
{
    return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
}

/* New reference in *out, or an out-of-memory error when v is NULL. */
static sfn_rc give(json_t *v, json_t **out, sfn_error *err)
{
    if (!v)
        return no_memory(err);
    *out = v;
    return SFN_OK;
}

bool sfn__intrinsic_get_int(const json_t *v, long long *out)
{
    if (json_is_integer(v)) {
        *out = (long long)json_integer_value(v);
        return true;
    }
    if (!json_is_real(v))
        return false;
    double d = json_real_value(v);
    /* 2^63 is exact as a double; the range check keeps the cast defined */
    if (!isfinite(d) || d != floor(d) || d < -9223372036854775808.0 ||
        d >= 9223372036854775808.0)
        return false;
    *out = (long long)d;
    return true;
}

bool sfn__intrinsic_get_rounded(const json_t *v, long long *out)
{
    if (!json_is_real(v))
        return sfn__intrinsic_get_int(v, out);
    double d = floor(json_real_value(v) + 0.5);
    if (!isfinite(d) || d < -9223372036854775808.0 ||
        d >= 9223372036854775808.0)
        return false;
    *out = (long long)d;
    return true;
}

sfn__ikind sfn__intrinsic_arg_kind(const spec_t *spec, size_t pos)
{
    return pos < 3 ? spec->kind[pos] : spec->rest;
}

bool sfn__intrinsic_kind_accepts(sfn__ikind kind, const json_t *v)
{
    long long i;
    switch (kind) {
    case SFN__IK_ANY:
        return true;
    case SFN__IK_STRING:
        return json_is_string(v);
    case SFN__IK_INT:
        return sfn__intrinsic_get_int(v, &i);
    case SFN__IK_ARRAY:
        return json_is_array(v);
    case SFN__IK_OBJECT:
        return json_is_object(v);
    case SFN__IK_BOOL:
        return json_is_boolean(v);
    case SFN__IK_SCALAR:
        return !json_is_array(v) && !json_is_object(v);
    case SFN__IK_NUMBER:
        return sfn__intrinsic_get_rounded(v, &i);
    }
    return false;
}

const char *sfn__intrinsic_kind_name(sfn__ikind kind)
{
    switch (kind) {
    case SFN__IK_ANY:
        return "any value";
    case SFN__IK_STRING:
        return "a string";
    case SFN__IK_INT:
        return "an integer";
    case SFN__IK_ARRAY:
        return "an array";
    case SFN__IK_OBJECT:
        return "an object";
    case SFN__IK_BOOL:
        return "a boolean";
    case SFN__IK_SCALAR:
        return "a string, number, boolean or null";
    case SFN__IK_NUMBER:
        return "a number";
    }
    return "?";
}

const char *sfn__intrinsic_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    case JSON_NULL:
        return "null";
    }
    return "?";
}

/* Characters as code points: UTF-8 bytes that do not continue a sequence. */
static size_t utf8_chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* Length of the well-formed UTF-8 sequence at s (1..4), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, min = 0x10000;
    else
        return 0;
    if (len > n)
        return 0;
    unsigned cp = c & (0x7Fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

static bool utf8_valid(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t l = utf8_seq(s + i, n - i);
        if (!l)
            return false;
        i += l;
    }
    return true;
}

static bool values_equal(const json_t *a, const json_t *b);

static bool numbers_equal(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b))
        return json_integer_value(a) == json_integer_value(b);
    if (json_is_real(a) && json_is_real(b))
        return json_real_value(a) == json_real_value(b);
    const json_t *i = json_is_integer(a) ? a : b;
    long long r;
    return sfn__intrinsic_get_int(json_is_integer(a) ? b : a, &r) &&
           r == (long long)json_integer_value(i);
}

static bool objects_equal(const json_t *a, const json_t *b)
{
    if (json_object_size(a) != json_object_size(b))
        return false;
    const char *k;
    json_t *va;
    json_object_foreach((json_t *)a, k, va)
    {
        json_t *vb = json_object_get(b, k);
        if (!vb || !values_equal(va, vb))
            return false;
    }
    return true;
}

/* Deep JSON equality in which numbers compare by value, so 1 equals 1.0
 * (jansson's json_equal keeps integers and reals apart). */
static bool values_equal(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return numbers_equal(a, b);
    if (json_typeof(a) != json_typeof(b))
        return false;
    if (json_is_object(a))
        return objects_equal(a, b);
    if (!json_is_array(a))
        return json_equal((json_t *)a, (json_t *)b);
    size_t n = json_array_size(a);
    if (n != json_array_size(b))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!values_equal(json_array_get(a, i), json_array_get(b, i)))
            return false;
    return true;
}

static long long int_arg(const args_t *a, size_t i)
{
    long long v = 0;
    sfn__intrinsic_get_int(a->argv[i], &v);
    return v;
}

/* A NUMBER-kind argument, already known to round within 64 bits. */
static long long num_arg(const args_t *a, size_t i)
{
    long long v = 0;
    sfn__intrinsic_get_rounded(a->argv[i], &v);
    return v;
}

/* ==== Random source ==== */

/* env->rand64 when the embedder gives one (tests, simulation), else
 * OpenSSL's CSPRNG. */
static sfn_rc random_bytes(const sfn_expr_env *env, unsigned char *buf,
                           size_t n, const char *fname, sfn_error *err)
{
    if (env && env->rand64) {
        for (size_t i = 0; i < n; i += 8) {
            unsigned long long r = env->rand64(env->ud);
            for (size_t j = 0; j < 8 && i + j < n; j++)
                buf[i + j] = (unsigned char)(r >> (8 * j));
        }
        return SFN_OK;
    }
    if (RAND_bytes(buf, (int)n) != 1)
        return fail(err, "%s: the random source failed", fname);
    return SFN_OK;
}

/* splitmix64 (Steele, Lea, Flood 2014): a tiny well-mixed generator, so a
 * MathRandom seed maps to the same value on every host and build. */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* ==== Format ==== */

typedef struct buf {
    char *p;
    size_t len, cap;
    bool oom;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
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

/* Offsets of the `{}` placeholders of a template read from a path, where no
 * escapes apply.  *holes malloc'd, NULL when there are none. */
static bool find_holes(const char *s, size_t n, size_t **holes,
                       size_t *nholes)
{
    *holes = NULL;
    *nholes = 0;
    size_t count = 0;
    for (size_t i = 0; i + 1 < n; i++)
        if (s[i] == '{' && s[i + 1] == '}')
            count++, i++;
    if (!count)
        return true;
    size_t *h = malloc(count * sizeof *h);
    if (!h)
        return false;
    for (size_t i = 0, k = 0; i + 1 < n; i++)
        if (s[i] == '{' && s[i + 1] == '}')
            h[k++] = i++;
    *holes = h;
    *nholes = count;
    return true;
}

/* Strings go in raw; numbers, booleans and null as their JSON text (so 1.5
 * is "1.5" and the real 2.0 is "2.0", as JsonToString would print them).
 * Objects and arrays are rendered the way AWS's Java runtime prints a Map or
 * a List, members as `k=v` joined by ", " and strings unquoted: recorded on
 * AWS, {"Arg1": 1, "Arg2": []} gives "{Arg1=1, Arg2=[]}" (asl.md 12.8). */
static sfn_rc format_value(buf *b, const json_t *v, sfn_error *err)
{
    if (json_is_string(v)) {
        put(b, json_string_value(v), json_string_length(v));
        return SFN_OK;
    }
    sfn_rc rc = SFN_OK;
    if (json_is_object(v)) {
        const char *k;
        json_t *m;
        bool first = true;
        put(b, "{", 1);
        json_object_foreach((json_t *)v, k, m)
        {
            if (!first)
                put(b, ", ", 2);
            first = false;
            put(b, k, strlen(k));
            put(b, "=", 1);
            if ((rc = format_value(b, m, err)) != SFN_OK)
                return rc;
        }
        put(b, "}", 1);
        return SFN_OK;
    }
    if (json_is_array(v)) {
        put(b, "[", 1);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                put(b, ", ", 2);
            if ((rc = format_value(b, json_array_get(v, i), err)) != SFN_OK)
                return rc;
        }
        put(b, "]", 1);
        return SFN_OK;
    }
    char *text = sfn_json_dumps(v, 0);
    if (!text)
        return no_memory(err);
    put(b, text, strlen(text));
    free(text);
    return SFN_OK;
}

static sfn_rc format_fill(const char *t, size_t tlen, const size_t *holes,
                          const args_t *a, json_t **out, sfn_error *err)
{
    buf b = {0};
    size_t at = 0;
    sfn_rc rc = SFN_OK;
    for (size_t i = 0; i + 1 < a->argc && rc == SFN_OK; i++) {
        put(&b, t + at, holes[i] - at);
        rc = format_value(&b, a->argv[i + 1], err);
        at = holes[i] + 2;
    }
    put(&b, t + at, tlen - at);
    if (rc == SFN_OK)
        rc = b.oom ? no_memory(err)
                   : give(json_stringn(b.p ? b.p : "", b.len), out, err);
    free(b.p);
    return rc;
}

/* A literal template's placeholders were found at parse time, honouring
 * \{ and \}; a template read from a path is plain text in which every `{}`
 * is a placeholder (no escape processing happens on run-time data). */
static sfn_rc fn_format(const spec_t *sp, const args_t *a, json_t **out,
                        sfn_error *err)
{
    const char *t = json_string_value(a->argv[0]);
    size_t tlen = json_string_length(a->argv[0]);
    size_t *found = NULL, nholes = a->nholes;
    const size_t *holes = a->holes;
    if (!holes) {
        if (!find_holes(t, tlen, &found, &nholes))
            return no_memory(err);
        holes = found;
    }
    sfn_rc rc;
    if (nholes != a->argc - 1)
        rc = fail(err, "%s: the template has %zu '{}' placeholder%s but %zu "
                       "value%s follow%s it",
                  sp->name, nholes, nholes == 1 ? "" : "s", a->argc - 1,
                  a->argc == 2 ? "" : "s", a->argc == 2 ? "s" : "");
    else
        rc = format_fill(t, tlen, holes, a, out, err);
    free(found);
    return rc;
}

static sfn_rc check_format(const spec_t *sp, const static_t *st,
                           sfn_error *err)
{
    if (!st->lit[0] || st->tmpl_holes == st->argc - 1)
        return SFN_OK;
    return bad_literal(err, st->offset[0],
                       "%s template has %zu '{}' placeholder%s but %zu "
                       "value%s follow%s it",
                       sp->name, st->tmpl_holes,
                       st->tmpl_holes == 1 ? "" : "s", st->argc - 1,
                       st->argc == 2 ? "" : "s", st->argc == 2 ? "s" : "");
}

/* ==== JSON text ==== */

/* An empty or all-whitespace string gives null, as LocalStack does
 * (asl.md 12.8): there is no JSON text to reject and nothing else to give. */
static sfn_rc fn_string_to_json(const spec_t *sp, const args_t *a,
                                json_t **out, sfn_error *err)
{
    const char *s = json_string_value(a->argv[0]);
    size_t n = json_string_length(a->argv[0]);
    if (strspn(s, " \t\r\n") == n)
        return give(json_null(), out, err);
    json_error_t jerr;
    json_t *v = sfn_json_loadb(s, n, JSON_DECODE_ANY, &jerr);
    if (!v)
        return fail(err, "%s: argument 1 is not valid JSON: %s (at "
                         "character %d)",
                    sp->name, jerr.text, jerr.position);
    *out = v;
    return SFN_OK;
}

/* Compact text with object keys in their original order. */
static sfn_rc fn_json_to_string(const spec_t *sp, const args_t *a,
                                json_t **out, sfn_error *err)
{
    (void)sp;
    char *text = sfn_json_dumps(a->argv[0], 0);
    if (!text)
        return no_memory(err);
    json_t *s = json_string(text);
    free(text);
    return give(s, out, err);
}

/* Shallow merge: o2's keys overwrite o1's.  Values are shared with the
 * arguments (new references to the same nodes), as with every result. */
static sfn_rc fn_json_merge(const spec_t *sp, const args_t *a, json_t **out,
                            sfn_error *err)
{
    if (json_is_true(a->argv[2]))
        return fail(err, "%s: deep merge (argument 3 true) is not supported; "
                         "pass false",
                    sp->name);
    json_t *m = json_copy(a->argv[0]);
    if (!m || json_object_update(m, a->argv[1]) != 0) {
        json_decref(m);
        return no_memory(err);
    }
    *out = m;
    return SFN_OK;
}

static sfn_rc check_json_merge(const spec_t *sp, const static_t *st,
                               sfn_error *err)
{
    if (st->lit[2] && json_is_true(st->lit[2]))
        return bad_literal(err, st->offset[2],
                           "%s argument 3: deep merge (true) is not "
                           "supported; pass false",
                           sp->name);
    return SFN_OK;
}

/* ==== Arrays ==== */

static sfn_rc fn_array(const spec_t *sp, const args_t *a, json_t **out,
                       sfn_error *err)
{
    (void)sp;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < a->argc; i++)
        if (json_array_append(arr, a->argv[i]) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    return give(arr, out, err);
}

static sfn_rc fn_array_partition(const spec_t *sp, const args_t *a,
                                 json_t **out, sfn_error *err)
{
    json_t *in = a->argv[0];
    long long size = int_arg(a, 1);
    if (size <= 0)
        return fail(err, "%s: the chunk size (argument 2) must be greater "
                         "than 0, got %lld",
                    sp->name, size);
    size_t n = json_array_size(in);
    json_t *res = json_array(), *chunk = NULL;
    for (size_t i = 0; res && i < n; i++) {
        if (i % (size_t)size == 0) {
            chunk = json_array();
            if (!chunk || json_array_append_new(res, chunk) != 0)
                goto oom;
        }
        if (json_array_append(chunk, json_array_get(in, i)) != 0)
            goto oom;
    }
    return give(res, out, err);
oom:
    json_decref(res);
    return no_memory(err);
}

static sfn_rc check_array_partition(const spec_t *sp, const static_t *st,
                                    sfn_error *err)
{
    long long size;
    if (st->lit[1] && sfn__intrinsic_get_int(st->lit[1], &size) && size <= 0)
        return bad_literal(err, st->offset[1],
                           "%s argument 2: the chunk size must be greater "
                           "than 0, got %lld",
                           sp->name, size);
    return SFN_OK;
}

/* Deep equality, numbers by value (1 is 1.0). */
static sfn_rc fn_array_contains(const spec_t *sp, const args_t *a,
                                json_t **out, sfn_error *err)
{
    (void)sp;
    size_t i;
    json_t *v;
    json_array_foreach(a->argv[0], i, v)
    {
        if (values_equal(v, a->argv[1]))
            return give(json_true(), out, err);
    }
    return give(json_false(), out, err);
}

/* Elements from start to end inclusive; the differences are taken in
 * unsigned arithmetic so no int64 pair can overflow.  Returns the count, or
 * SIZE_MAX when it exceeds SFN__INTRINSIC_RANGE_MAX. */
static size_t range_count(long long start, long long end, long long step)
{
    uint64_t diff, ustep;
    if (step > 0) {
        if (start > end)
            return 0;
        diff = (uint64_t)end - (uint64_t)start;
        ustep = (uint64_t)step;
    } else {
        if (start < end)
            return 0;
        diff = (uint64_t)start - (uint64_t)end;
        ustep = 0 - (uint64_t)step;
    }
    if (diff / ustep >= SFN__INTRINSIC_RANGE_MAX)
        return SIZE_MAX;
    return (size_t)(diff / ustep) + 1;
}

static sfn_rc fn_array_range(const spec_t *sp, const args_t *a, json_t **out,
                             sfn_error *err)
{
    long long start = int_arg(a, 0), end = int_arg(a, 1),
              step = int_arg(a, 2);
    if (step == 0)
        return fail(err, "%s: the step (argument 3) must not be 0", sp->name);
    size_t n = range_count(start, end, step);
    if (n == SIZE_MAX)
        return fail(err, "%s: the range from %lld to %lld by %lld has more "
                         "than %d elements",
                    sp->name, start, end, step, SFN__INTRINSIC_RANGE_MAX);
    json_t *res = json_array();
    for (size_t i = 0; res && i < n; i++) {
        uint64_t v = (uint64_t)start + (uint64_t)i * (uint64_t)step;
        if (json_array_append_new(res, json_integer((json_int_t)v)) != 0) {
            json_decref(res);
            res = NULL;
        }
    }
    return give(res, out, err);
}

static sfn_rc check_array_range(const spec_t *sp, const static_t *st,
                                sfn_error *err)
{
    long long v[3];
    bool all = true;
    for (int i = 0; i < 3; i++)
        all = (st->lit[i] && sfn__intrinsic_get_int(st->lit[i], &v[i])) &&
              all;
    if (st->lit[2] && sfn__intrinsic_get_int(st->lit[2], &v[2]) && v[2] == 0)
        return bad_literal(err, st->offset[2],
                           "%s argument 3: the step must not be 0", sp->name);
    if (all && range_count(v[0], v[1], v[2]) == SIZE_MAX)
        return bad_literal(err, st->call_offset,
                           "%s: the range from %lld to %lld by %lld has more "
                           "than %d elements",
                           sp->name, v[0], v[1], v[2],
                           SFN__INTRINSIC_RANGE_MAX);
    return SFN_OK;
}

/* Out of range is an error rather than null (asl.md 12.8): a silent null
 * would hide an off-by-one in the workflow. */
static sfn_rc fn_array_get_item(const spec_t *sp, const args_t *a,
                                json_t **out, sfn_error *err)
{
    long long i = int_arg(a, 1);
    size_t n = json_array_size(a->argv[0]);
    if (i < 0 || (unsigned long long)i >= n)
        return fail(err, "%s: index %lld is out of range for an array of "
                         "%zu element%s",
                    sp->name, i, n, n == 1 ? "" : "s");
    return give(json_incref(json_array_get(a->argv[0], (size_t)i)), out, err);
}

static sfn_rc check_array_get_item(const spec_t *sp, const static_t *st,
                                   sfn_error *err)
{
    long long i;
    if (st->lit[1] && sfn__intrinsic_get_int(st->lit[1], &i) && i < 0)
        return bad_literal(err, st->offset[1],
                           "%s argument 2: the index must not be negative, "
                           "got %lld",
                           sp->name, i);
    return SFN_OK;
}

static sfn_rc fn_array_length(const spec_t *sp, const args_t *a,
                              json_t **out, sfn_error *err)
{
    (void)sp;
    return give(json_integer((json_int_t)json_array_size(a->argv[0])), out,
                err);
}

/* Keeps each value's first occurrence, in order; equality as ArrayContains. */
static sfn_rc fn_array_unique(const spec_t *sp, const args_t *a,
                              json_t **out, sfn_error *err)
{
    (void)sp;
    json_t *res = json_array();
    size_t i, j;
    json_t *v, *seen;
    json_array_foreach(a->argv[0], i, v)
    {
        if (!res)
            break;
        bool dup = false;
        json_array_foreach(res, j, seen) dup = dup || values_equal(seen, v);
        if (!dup && json_array_append(res, v) != 0) {
            json_decref(res);
            res = NULL;
        }
    }
    return give(res, out, err);
}

/* ==== Encoding and hashing ==== */

static sfn_rc check_text_size(const spec_t *sp, const json_t *s,
                              sfn_error *err)
{
    size_t chars =
        utf8_chars(json_string_value(s), json_string_length(s));
    if (chars > SFN__INTRINSIC_TEXT_CHARS_MAX)
        return fail(err, "%s: argument 1 has %zu characters, more than the "
                         "limit of %d",
                    sp->name, chars, SFN__INTRINSIC_TEXT_CHARS_MAX);
    return SFN_OK;
}

static sfn_rc check_text_literal(const spec_t *sp, const static_t *st,
                                 sfn_error *err)
{
    const json_t *s = st->lit[0];
    if (s && utf8_chars(json_string_value(s), json_string_length(s)) >
                 SFN__INTRINSIC_TEXT_CHARS_MAX)
        return bad_literal(err, st->offset[0],
                           "%s argument 1 is longer than %d characters",
                           sp->name, SFN__INTRINSIC_TEXT_CHARS_MAX);
    return SFN_OK;
}

/* Standard alphabet with `=` padding, over the UTF-8 bytes. */
static sfn_rc fn_base64_encode(const spec_t *sp, const args_t *a,
                               json_t **out, sfn_error *err)
{
    sfn_rc rc = check_text_size(sp, a->argv[0], err);
    if (rc != SFN_OK)
        return rc;
    size_t n = json_string_length(a->argv[0]);
    unsigned char *enc = malloc(4 * ((n + 2) / 3) + 1);
    if (!enc)
        return no_memory(err);
    int len = EVP_EncodeBlock(
        enc, (const unsigned char *)json_string_value(a->argv[0]), (int)n);
    rc = give(json_stringn((const char *)enc, (size_t)len), out, err);
    free(enc);
    return rc;
}

/* EVP_DecodeBlock skips whitespace and does not check padding, so the shape
 * is checked first: groups of 4 alphabet characters, `=` only at the end.
 * Returns the padding count, or -1 when s is not base64. */
static int base64_shape(const char *s, size_t n)
{
    if (n % 4)
        return -1;
    int pad = 0;
    if (n && s[n - 1] == '=')
        pad = (n >= 2 && s[n - 2] == '=') ? 2 : 1;
    for (size_t i = 0; i < n - (size_t)pad; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '+' || c == '/'))
            return -1;
    }
    return pad;
}

/* The decoded bytes must be UTF-8 text: the result is a JSON string. */
static sfn_rc fn_base64_decode(const spec_t *sp, const args_t *a,
                               json_t **out, sfn_error *err)
{
    sfn_rc rc = check_text_size(sp, a->argv[0], err);
    if (rc != SFN_OK)
        return rc;
    const char *s = json_string_value(a->argv[0]);
    size_t n = json_string_length(a->argv[0]);
    int pad = base64_shape(s, n);
    if (pad < 0)
        return fail(err, "%s: argument 1 is not valid base64 (standard "
                         "alphabet, padded to a multiple of 4)",
                    sp->name);
    unsigned char *dec = malloc(n / 4 * 3 + 1);
    if (!dec)
        return no_memory(err);
    int len = n ? EVP_DecodeBlock(dec, (const unsigned char *)s, (int)n) : 0;
    if (len < 0) {
        rc = fail(err, "%s: argument 1 is not valid base64", sp->name);
    } else if (!utf8_valid(dec, (size_t)len - (size_t)pad)) {
        rc = fail(err, "%s: the decoded bytes are not valid UTF-8 text",
                  sp->name);
    } else {
        rc = give(json_stringn((const char *)dec, (size_t)len - (size_t)pad),
                  out, err);
    }
    free(dec);
    return rc;
}

static const EVP_MD *hash_algorithm(const char *name)
{
    static const struct {
        const char *name;
        const EVP_MD *(*md)(void);
    } algs[] = {
        {"MD5", EVP_md5},         {"SHA-1", EVP_sha1},
        {"SHA-256", EVP_sha256}, {"SHA-384", EVP_sha384},
        {"SHA-512", EVP_sha512},
    };
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++)
        if (!strcmp(name, algs[i].name))
            return algs[i].md();
    return NULL;
}

#define HASH_ALGS "MD5, SHA-1, SHA-256, SHA-384 or SHA-512"

/* Lowercase hex digest of the UTF-8 bytes.  Only strings are hashed: what
 * AWS does with other JSON values is undocumented (asl.md 4.3). */
static sfn_rc fn_hash(const spec_t *sp, const args_t *a, json_t **out,
                      sfn_error *err)
{
    sfn_rc rc = check_text_size(sp, a->argv[0], err);
    if (rc != SFN_OK)
        return rc;
    const char *alg = json_string_value(a->argv[1]);
    const EVP_MD *md = hash_algorithm(alg);
    if (!md)
        return fail(err, "%s: unknown algorithm '%s' (argument 2); use "
                         HASH_ALGS, sp->name, alg);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    if (!EVP_Digest(json_string_value(a->argv[0]),
                    json_string_length(a->argv[0]), digest, &dlen, md, NULL))
        return fail(err, "%s: %s digest failed", sp->name, alg);
    static const char hex[] = "0123456789abcdef";
    char text[2 * EVP_MAX_MD_SIZE + 1];
    for (unsigned int i = 0; i < dlen; i++) {
        text[2 * i] = hex[digest[i] >> 4];
        text[2 * i + 1] = hex[digest[i] & 0xF];
    }
    text[2 * dlen] = '\0';
    return give(json_string(text), out, err);
}

static sfn_rc check_hash(const spec_t *sp, const static_t *st,
                         sfn_error *err)
{
    sfn_rc rc = check_text_literal(sp, st, err);
    if (rc == SFN_OK && st->lit[1] &&
        !hash_algorithm(json_string_value(st->lit[1])))
        rc = bad_literal(err, st->offset[1],
                         "%s argument 2: unknown algorithm '%s'; use "
                         HASH_ALGS, sp->name, json_string_value(st->lit[1]));
    return rc;
}

/* ==== Math ==== */

/* Uniform integer in [start, end): the end is exclusive as the AWS docs say
 * (asl.md 12.8).  With a seed the value comes from splitmix64 seeded with it
 * and so is the same on every run; without one from the env's random
 * source.  Rejection sampling keeps every value equally likely. */
static sfn_rc fn_math_random(const spec_t *sp, const args_t *a, json_t **out,
                             sfn_error *err)
{
    long long start = num_arg(a, 0), end = num_arg(a, 1);
    if (start >= end)
        return fail(err, "%s: the start (%lld) must be less than the end "
                         "(%lld), which is exclusive",
                    sp->name, start, end);
    uint64_t range = (uint64_t)end - (uint64_t)start;
    uint64_t reject_below = (0 - range) % range, r = 0;
    uint64_t state = a->argc == 3 ? (uint64_t)num_arg(a, 2) : 0;
    /* each draw is rejected with probability < 1/2; 64 draws bound the loop */
    for (int tries = 0; tries < 64; tries++) {
        if (a->argc == 3) {
            r = splitmix64(&state);
        } else {
            unsigned char b[8];
            sfn_rc rc = random_bytes(a->env, b, sizeof b, sp->name, err);
            if (rc != SFN_OK)
                return rc;
            memcpy(&r, b, sizeof r);
        }
        if (r >= reject_below)
            break;
    }
    uint64_t v = (uint64_t)start + r % range;
    return give(json_integer((json_int_t)v), out, err);
}

static sfn_rc check_math_random(const spec_t *sp, const static_t *st,
                                sfn_error *err)
{
    long long s, e;
    if (st->lit[0] && st->lit[1] &&
        sfn__intrinsic_get_rounded(st->lit[0], &s) &&
        sfn__intrinsic_get_rounded(st->lit[1], &e) && s >= e)
        return bad_literal(err, st->offset[1],
                           "%s: the start (%lld) must be less than the end "
                           "(%lld), which is exclusive",
                           sp->name, s, e);
    return SFN_OK;
}

static bool in_int32(long long v) { return v >= INT32_MIN && v <= INT32_MAX; }

/* Operands are numbers rounded half up to integers, as AWS does (recorded:
 * MathAdd(1.49, 1.5) = 3, MathAdd(-1.5, -1.51) = -3); each must then fit
 * 32 bits.  The sum is exact (it may leave the 32-bit range) rather than
 * wrapping. */
static sfn_rc fn_math_add(const spec_t *sp, const args_t *a, json_t **out,
                          sfn_error *err)
{
    long long x = num_arg(a, 0), y = num_arg(a, 1);
    for (size_t i = 0; i < 2; i++)
        if (!in_int32(num_arg(a, i)))
            return fail(err, "%s: argument %zu (%lld) is outside the 32-bit "
                             "integer range",
                        sp->name, i + 1, num_arg(a, i));
    return give(json_integer((json_int_t)(x + y)), out, err);
}

static sfn_rc check_math_add(const spec_t *sp, const static_t *st,
                             sfn_error *err)
{
    for (size_t i = 0; i < 2; i++) {
        long long v;
        if (st->lit[i] && sfn__intrinsic_get_rounded(st->lit[i], &v) &&
            !in_int32(v))
            return bad_literal(err, st->offset[i],
                               "%s argument %zu (%lld) is outside the 32-bit "
                               "integer range",
                               sp->name, i + 1, v);
    }
    return SFN_OK;
}

/* ==== Strings ==== */

static bool has_char(const char *set, size_t n, const char *c, size_t clen)
{
    for (size_t i = 0; i < n;) {
        size_t l = utf8_seq((const unsigned char *)set + i, n - i);
        if (!l)
            l = 1;
        if (l == clen && !memcmp(set + i, c, clen))
            return true;
        i += l;
    }
    return false;
}

/* Every character of the second argument is a delimiter on its own, and
 * empty tokens are dropped (AWS-recorded: "a,,b" on "," gives ["a","b"]). */
static sfn_rc fn_string_split(const spec_t *sp, const args_t *a,
                              json_t **out, sfn_error *err)
{
    (void)sp;
    const char *s = json_string_value(a->argv[0]);
    size_t n = json_string_length(a->argv[0]);
    const char *d = json_string_value(a->argv[1]);
    size_t dn = json_string_length(a->argv[1]);
    json_t *res = json_array();
    size_t tok = 0;
    for (size_t i = 0; res && i <= n;) {
        size_t l = i < n ? utf8_seq((const unsigned char *)s + i, n - i) : 1;
        if (!l)
            l = 1;
        if (i == n || has_char(d, dn, s + i, l)) {
            if (i > tok &&
                json_array_append_new(res, json_stringn(s + tok, i - tok))) {
                json_decref(res);
                res = NULL;
            }
            tok = i + l;
        }
        i += l;
    }
    return give(res, out, err);
}

/* Version 4 (random) UUID, lowercase hex with hyphens (RFC 9562). */
static sfn_rc fn_uuid(const spec_t *sp, const args_t *a, json_t **out,
                      sfn_error *err)
{
    unsigned char b[16];
    sfn_rc rc = random_bytes(a->env, b, sizeof b, sp->name, err);
    if (rc != SFN_OK)
        return rc;
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
    char text[37];
    snprintf(text, sizeof text,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
             b[10], b[11], b[12], b[13], b[14], b[15]);
    return give(json_string(text), out, err);
}

/* ==== Table ==== */

#define K(x) SFN__IK_##x

static const spec_t specs[] = {
    {"States.Format", 1, -1, {K(STRING), K(ANY), K(ANY)}, K(ANY),
     K(STRING), check_format, fn_format},
    {"States.StringToJson", 1, 1, {K(STRING)}, K(ANY), K(ANY), NULL,
     fn_string_to_json},
    {"States.JsonToString", 1, 1, {K(ANY)}, K(ANY), K(STRING), NULL,
     fn_json_to_string},
    {"States.Array", 0, -1, {K(ANY), K(ANY), K(ANY)}, K(ANY), K(ARRAY), NULL,
     fn_array},
    {"States.ArrayPartition", 2, 2, {K(ARRAY), K(INT)}, K(ANY), K(ARRAY),
     check_array_partition, fn_array_partition},
    {"States.ArrayContains", 2, 2, {K(ARRAY), K(ANY)}, K(ANY), K(BOOL), NULL,
     fn_array_contains},
    {"States.ArrayRange", 3, 3, {K(INT), K(INT), K(INT)}, K(ANY), K(ARRAY),
     check_array_range, fn_array_range},
    {"States.ArrayGetItem", 2, 2, {K(ARRAY), K(INT)}, K(ANY), K(ANY),
     check_array_get_item, fn_array_get_item},
    {"States.ArrayLength", 1, 1, {K(ARRAY)}, K(ANY), K(INT), NULL,
     fn_array_length},
    {"States.ArrayUnique", 1, 1, {K(ARRAY)}, K(ANY), K(ARRAY), NULL,
     fn_array_unique},
    {"States.Base64Encode", 1, 1, {K(STRING)}, K(ANY), K(STRING),
     check_text_literal, fn_base64_encode},
    {"States.Base64Decode", 1, 1, {K(STRING)}, K(ANY), K(STRING),
     check_text_literal, fn_base64_decode},
    {"States.Hash", 2, 2, {K(STRING), K(STRING)}, K(ANY), K(STRING),
     check_hash, fn_hash},
    {"States.JsonMerge", 3, 3, {K(OBJECT), K(OBJECT), K(BOOL)}, K(ANY),
     K(OBJECT), check_json_merge, fn_json_merge},
    {"States.MathRandom", 2, 3, {K(NUMBER), K(NUMBER), K(NUMBER)}, K(ANY),
     K(INT),
     check_math_random, fn_math_random},
    {"States.MathAdd", 2, 2, {K(NUMBER), K(NUMBER)}, K(ANY), K(INT),
     check_math_add, fn_math_add},
    {"States.StringSplit", 2, 2, {K(STRING), K(STRING)}, K(ANY), K(ARRAY),
     NULL, fn_string_split},
    {"States.UUID", 0, 0, {K(ANY)}, K(ANY), K(STRING), NULL, fn_uuid},
};

const spec_t *sfn__intrinsic_lookup(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        if (strlen(specs[i].name) == len && !memcmp(specs[i].name, name, len))
            return &specs[i];
    return NULL;
}
