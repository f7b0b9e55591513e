/* fn_numeric.c: JSONata's numeric, aggregation and boolean built-ins
 * ($number, $abs, $floor, $ceil, $round, $power, $sqrt, $random, $sum,
 * $max, $min, $average, $count, $boolean, $not, $exists) and the bridge to
 * the picture-string formatters of jsonata_fmt.h. */
#include "jsonata_eval.h"
#include "jsonata_fmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

static bool matches_decimal(const char *s, size_t n)
{
    /* ^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$ */
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    size_t d = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == d)
        return false;
    if (i < n && s[i] == '.') {
        d = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            i++;
        d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    return i == n;
}

static bool radix_literal(const char *s, size_t n, double *out)
{
    if (n < 3 || s[0] != '0')
        return false;
    int base = s[1] == 'x' || s[1] == 'X'   ? 16
               : s[1] == 'o' || s[1] == 'O' ? 8
               : s[1] == 'b' || s[1] == 'B' ? 2
                                            : 0;
    if (!base)
        return false;
    double v = 0;
    for (size_t i = 2; i < n; i++) {
        int d = s[i] >= '0' && s[i] <= '9'   ? s[i] - '0'
                : s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
                : s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 10
                                             : 99;
        if (d >= base)
            return false;
        v = v * base + d;
    }
    *out = v;
    return true;
}

static jv fn_number(jctx *c, jcall *call)
{
    jv v = jarg(call, 0);
    switch (v.k) {
    case JV_UNDEF:
    case JV_NUM:
        return v;
    case JV_BOOL:
        return jv_num(v.b ? 1 : 0);
    case JV_STR: {
        double d;
        if (matches_decimal(v.u.s, v.len)) {
            char *tmp = sfn__jn_strdup(c, v.u.s, v.len);
            d = strtod(tmp, NULL);
            if (isfinite(d))
                return jv_num(d);
        } else if (radix_literal(v.u.s, v.len, &d)) {
            return jv_num(d);
        }
    }
    /* fall through */
    default:
        sfn__jn_throw(c, "D3030", call->pos,
                      "Unable to cast value to a number: %s",
                      sfn__jn_describe(c, v));
    }
}

static jv num1(jctx *c, jcall *call, double (*f)(double))
{
    jv v = jarg(call, 0);
    if (jv_is_undef(v))
        return v;
    double r = f(v.u.n);
    sfn__jn_check_number(c, r, call->pos);
    return jv_num(r + 0.0);
}

static jv fn_abs(jctx *c, jcall *call) { return num1(c, call, fabs); }
static jv fn_floor(jctx *c, jcall *call) { return num1(c, call, floor); }
static jv fn_ceil(jctx *c, jcall *call) { return num1(c, call, ceil); }

static jv fn_sqrt(jctx *c, jcall *call)
{
    jv v = jarg(call, 0);
    if (jv_is_undef(v))
        return v;
    if (v.u.n < 0)
        sfn__jn_throw(c, "D3060", call->pos,
                      "The sqrt function cannot be applied to a negative "
                      "number: %s",
                      sfn__jn_describe(c, v));
    return jv_num(sqrt(v.u.n));
}

static jv fn_power(jctx *c, jcall *call)
{
    jv b = jarg(call, 0), e = jarg(call, 1);
    if (jv_is_undef(b))
        return b;
    double r = pow(b.u.n, e.u.n);
    if (!isfinite(r))
        sfn__jn_throw(c, "D3061", call->pos,
                      "The power function has resulted in a value that "
                      "cannot be represented as a JSON number: base=%s, "
                      "exponent=%s",
                      sfn__jn_describe(c, b), sfn__jn_describe(c, e));
    return jv_num(r);
}

/* x shifted by 10^p through its decimal text, as jsonata-js does to avoid
 * binary rounding error. */
static double shift(double x, int p)
{
    char buf[40];
    sfn__jn_fmt_number(x, buf);
    char *e = strchr(buf, 'e');
    int exp = p;
    if (e) {
        exp += atoi(e + 1);
        *e = '\0';
    }
    char out[64];
    snprintf(out, sizeof out, "%se%d", buf, exp);
    return strtod(out, NULL);
}

static jv fn_round(jctx *c, jcall *call)
{
    (void)c;
    jv v = jarg(call, 0), pv = jarg(call, 1);
    if (jv_is_undef(v))
        return v;
    double x = v.u.n;
    int p = jv_is_undef(pv) ? 0 : (int)trunc(pv.u.n);
    if (p)
        x = shift(x, p);
    double r = floor(x + 0.5);
    if (fabs(r - x) == 0.5 && fabs(fmod(r, 2)) == 1)
        r -= 1;
    if (p)
        r = shift(r, -p);
    return jv_num(r == 0 ? 0 : r);
}

static unsigned long long rand64(jctx *c)
{
    if (c->rand64)
        return c->rand64(c->rand_ud);
    unsigned long long r = 0;
    if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
        sfn__jn_throw(c, "D3000", -1, "No random source available");
    return r;
}

double sfn__jn_random(jctx *c)
{
    return (double)(rand64(c) >> 11) / 9007199254740992.0;
}

unsigned long long sfn__jn_rand64(jctx *c) { return rand64(c); }

static jv fn_random(jctx *c, jcall *call)
{
    (void)call;
    return jv_num(sfn__jn_random(c));
}

/* ==== Aggregation ==== */

static jv fn_sum(jctx *c, jcall *call)
{
    (void)c;
    jv a = jarg(call, 0);
    if (jv_is_undef(a))
        return a;
    double t = 0;
    size_t n = sfn__jn_alen(a);
    if (a.k == JV_JARR) /* an input array: read the numbers in place */
        for (size_t i = 0; i < n; i++)
            t += json_number_value(json_array_get(a.u.j, i));
    else
        for (size_t i = 0; i < n; i++)
            t += sfn__jn_aget(a, i).u.n;
    return jv_num(t);
}

static jv extreme(jcall *call, bool max)
{
    jv a = jarg(call, 0);
    size_t n = sfn__jn_alen(a);
    if (jv_is_undef(a) || n == 0)
        return jv_undef();
    double r = sfn__jn_aget(a, 0).u.n;
    for (size_t i = 1; i < n; i++) {
        double x = sfn__jn_aget(a, i).u.n;
        if (max ? x > r : x < r)
            r = x;
    }
    return jv_num(r);
}

static jv fn_max(jctx *c, jcall *call)
{
    (void)c;
    return extreme(call, true);
}

static jv fn_min(jctx *c, jcall *call)
{
    (void)c;
    return extreme(call, false);
}

static jv fn_average(jctx *c, jcall *call)
{
    jv a = jarg(call, 0);
    size_t n = sfn__jn_alen(a);
    if (jv_is_undef(a) || n == 0)
        return jv_undef();
    return jv_num(fn_sum(c, call).u.n / (double)n);
}

static jv fn_count(jctx *c, jcall *call)
{
    (void)c;
    jv a = jarg(call, 0);
    return jv_num(jv_is_undef(a) ? 0 : (double)sfn__jn_alen(a));
}

/* ==== Boolean ==== */

static jv fn_boolean(jctx *c, jcall *call)
{
    (void)c;
    return sfn__jn_boolean(jarg(call, 0));
}

static jv fn_not(jctx *c, jcall *call)
{
    (void)c;
    jv v = jarg(call, 0);
    return jv_is_undef(v) ? v : jv_bool(!sfn__jn_truthy(v));
}

static jv fn_exists(jctx *c, jcall *call)
{
    (void)c;
    return jv_bool(!jv_is_undef(jarg(call, 0)));
}

/* ==== Picture formatting (jsonata_fmt.h) ==== */

static jv fmt_result(jctx *c, char *s, sfn_error *e, long pos)
{
    if (!s)
        sfn__jn_throw(c, e->name[0] ? e->name : "D3000", pos, "%s", e->cause);
    jv r = jv_str(sfn__jn_strdup(c, s, strlen(s)), strlen(s));
    free(s);
    return r;
}

static const char *cstr(jctx *c, jv s)
{
    return jv_is_undef(s) ? NULL : sfn__jn_strdup(c, s.u.s, s.len);
}

static jv fn_format_number(jctx *c, jcall *call)
{
    jv v = jarg(call, 0), opts = jarg(call, 2);
    if (jv_is_undef(v))
        return v;
    sfn_error e = {0};
    json_t *o = NULL;
    if (!jv_is_undef(opts)) {
        bool oom = false;
        o = sfn__jn_to_json(opts, &oom);
    }
    char *s = sfn__jn_format_number(v.u.n, cstr(c, jarg(call, 1)), o, &e);
    json_decref(o);
    return fmt_result(c, s, &e, call->pos);
}

static jv fn_format_base(jctx *c, jcall *call)
{
    jv v = jarg(call, 0), r = jarg(call, 1);
    if (jv_is_undef(v))
        return v;
    sfn_error e = {0};
    char *s = sfn__jn_format_base(v.u.n, jv_is_undef(r) ? NAN : r.u.n, &e);
    return fmt_result(c, s, &e, call->pos);
}

static jv fn_format_integer(jctx *c, jcall *call)
{
    jv v = jarg(call, 0);
    if (jv_is_undef(v))
        return v;
    sfn_error e = {0};
    char *s = sfn__jn_format_integer(v.u.n, cstr(c, jarg(call, 1)), &e);
    return fmt_result(c, s, &e, call->pos);
}

static jv fn_parse_integer(jctx *c, jcall *call)
{
    jv v = jarg(call, 0);
    if (jv_is_undef(v))
        return v;
    sfn_error e = {0};
    double out = 0;
    bool undef = false;
    if (!sfn__jn_parse_integer(cstr(c, v), cstr(c, jarg(call, 1)), &out,
                               &undef, &e))
        sfn__jn_throw(c, e.name[0] ? e.name : "D3000", call->pos, "%s",
                      e.cause);
    return undef ? jv_undef() : jv_num(out);
}

static jv fn_from_millis(jctx *c, jcall *call)
{
    jv v = jarg(call, 0);
    if (jv_is_undef(v))
        return v;
    sfn_error e = {0};
    char *s = sfn__jn_from_millis(v.u.n, cstr(c, jarg(call, 1)),
                                  cstr(c, jarg(call, 2)), &e);
    return fmt_result(c, s, &e, call->pos);
}

static jv fn_to_millis(jctx *c, jcall *call)
{
    jv v = jarg(call, 0);
    if (jv_is_undef(v))
        return v;
    sfn_error e = {0};
    double out = 0;
    bool undef = false;
    if (!sfn__jn_to_millis(cstr(c, v), cstr(c, jarg(call, 1)), &out, &undef,
                           &e))
        sfn__jn_throw(c, e.name[0] ? e.name : "D3000", call->pos, "%s",
                      e.cause);
    return undef ? jv_undef() : jv_num(out);
}

static jv fn_now(jctx *c, jcall *call)
{
    sfn_error e = {0};
    char *s = sfn__jn_now(c->now_ms, cstr(c, jarg(call, 0)),
                          cstr(c, jarg(call, 1)), &e);
    return fmt_result(c, s, &e, call->pos);
}

static jv fn_millis(jctx *c, jcall *call)
{
    (void)call;
    return jv_num(c->now_ms);
}

const jbuiltin sfn__jn_fn_numeric[] = {
    {"number", "<(nsb)-:n>", 1, fn_number, JB_ALL},
    {"abs", "<n-:n>", 1, fn_abs, JB_ALL},
    {"floor", "<n-:n>", 1, fn_floor, JB_ALL},
    {"ceil", "<n-:n>", 1, fn_ceil, JB_ALL},
    {"round", "<n-n?:n>", 2, fn_round, JB_ALL},
    {"power", "<n-n:n>", 2, fn_power, JB_ALL},
    {"sqrt", "<n-:n>", 1, fn_sqrt, JB_ALL},
    {"random", "<:n>", 0, fn_random, JB_ALL},
    {"sum", "<a<n>:n>", 1, fn_sum, JB_ALL},
    {"max", "<a<n>:n>", 1, fn_max, JB_ALL},
    {"min", "<a<n>:n>", 1, fn_min, JB_ALL},
    {"average", "<a<n>:n>", 1, fn_average, JB_ALL},
    {"count", "<a:n>", 1, fn_count, JB_ALL},
    {"boolean", "<x-:b>", 1, fn_boolean, JB_ALL},
    {"not", "<x-:b>", 1, fn_not, JB_ALL},
    {"exists", "<x:b>", 1, fn_exists, JB_ALL},
    {"formatNumber", "<n-so?:s>", 3, fn_format_number, JB_ALL},
    {"formatBase", "<n-n?:s>", 2, fn_format_base, JB_ALL},
    {"formatInteger", "<n-s:s>", 2, fn_format_integer, JB_ALL},
    {"parseInteger", "<s-s:n>", 2, fn_parse_integer, JB_ALL},
    {"fromMillis", "<n-s?s?:s>", 3, fn_from_millis, JB_ALL},
    {"toMillis", "<s-s?:n>", 2, fn_to_millis, JB_ALL},
    {"now", "<s?s?:s>", 2, fn_now, JB_ALL},
    {"millis", "<:n>", 0, fn_millis, JB_ALL},
    {NULL, NULL, 0, NULL, 0},
};
