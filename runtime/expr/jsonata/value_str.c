/* value_str.c: turning values into text the way JavaScript does: numbers
 * (shortest round-trip, exponent past 1e21), JSON.stringify with jsonata's
 * 15-significant-digit rule for $string, and short value descriptions for
 * error messages. */
#include "jsonata_eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Shortest digits that read back as d: digits into dig, returns the
 * decimal exponent (JS's n: value = 0.DIGITS * 10^n). */
static int shortest(double d, char *dig, int *ndig)
{
    char tmp[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, d);
        if (strtod(tmp, NULL) == d || p == 17)
            break;
    }
    /* tmp = d[.ddd]e±x */
    int n = 0;
    const char *q = tmp;
    for (; *q && *q != 'e'; q++)
        if (*q >= '0' && *q <= '9')
            dig[n++] = *q;
    int exp = atoi(q + 1);
    while (n > 1 && dig[n - 1] == '0')
        n--;
    dig[n] = '\0';
    *ndig = n;
    return exp + 1;
}

size_t sfn__jn_fmt_number(double d, char *buf)
{
    if (isnan(d))
        return (size_t)sprintf(buf, "NaN");
    if (isinf(d))
        return (size_t)sprintf(buf, d < 0 ? "-Infinity" : "Infinity");
    if (d == 0)
        return (size_t)sprintf(buf, "0");
    char *o = buf;
    if (d < 0) {
        *o++ = '-';
        d = -d;
    }
    char dig[24];
    int k;
    int n = shortest(d, dig, &k);
    if (k <= n && n <= 21) {
        memcpy(o, dig, (size_t)k);
        o += k;
        for (int i = k; i < n; i++)
            *o++ = '0';
    } else if (0 < n && n <= 21) {
        memcpy(o, dig, (size_t)n);
        o += n;
        *o++ = '.';
        memcpy(o, dig + n, (size_t)(k - n));
        o += k - n;
    } else if (-6 < n && n <= 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -n; i++)
            *o++ = '0';
        memcpy(o, dig, (size_t)k);
        o += k;
    } else {
        *o++ = dig[0];
        if (k > 1) {
            *o++ = '.';
            memcpy(o, dig + 1, (size_t)(k - 1));
            o += k - 1;
        }
        o += sprintf(o, "e%c%d", n - 1 >= 0 ? '+' : '-', abs(n - 1));
    }
    *o = '\0';
    return (size_t)(o - buf);
}

void sfn__jn_check_number(jctx *c, double d, long pos)
{
    if (!isfinite(d))
        sfn__jn_throw(c, "D1001", pos,
                      "Number out of range: %s",
                      isnan(d) ? "NaN" : d < 0 ? "-Infinity" : "Infinity");
}

/* ==== JSON.stringify ==== */

static void put_json_string(jctx *c, jbuf *b, const char *s, size_t n)
{
    sfn__jn_sb_putc(c, b, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        const char *esc = NULL;
        char tmp[8];
        switch (ch) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            if (ch < 0x20) {
                snprintf(tmp, sizeof tmp, "\\u%04x", ch);
                esc = tmp;
            }
        }
        if (esc) {
            sfn__jn_sb_put(c, b, s + i - run, run);
            run = 0;
            sfn__jn_sb_put(c, b, esc, strlen(esc));
        } else {
            run++;
        }
    }
    sfn__jn_sb_put(c, b, s + n - run, run);
    sfn__jn_sb_putc(c, b, '"');
}

static void indent(jctx *c, jbuf *b, bool pretty, int level)
{
    if (!pretty)
        return;
    sfn__jn_sb_putc(c, b, '\n');
    for (int i = 0; i < level; i++)
        sfn__jn_sb_put(c, b, "  ", 2);
}

/* A number to 15 significant digits, then as JS prints it. */
static void put_number15(jctx *c, jbuf *b, double d)
{
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%.14e", d);
    d = strtod(tmp, NULL);
    size_t n = sfn__jn_fmt_number(d, tmp);
    sfn__jn_sb_put(c, b, tmp, n);
}

static void stringify(jctx *c, jbuf *b, jv v, bool pretty, int level,
                      long pos)
{
    switch (v.k) {
    case JV_NULL:
        sfn__jn_sb_put(c, b, "null", 4);
        return;
    case JV_BOOL:
        sfn__jn_sb_put(c, b, v.b ? "true" : "false", v.b ? 4 : 5);
        return;
    case JV_NUM:
        sfn__jn_check_number(c, v.u.n, pos);
        put_number15(c, b, v.u.n);
        return;
    case JV_STR:
        put_json_string(c, b, v.u.s, v.len);
        return;
    case JV_FN:
        sfn__jn_sb_put(c, b, "\"\"", 2);
        return;
    case JV_ARR:
    case JV_JARR: {
        size_t n = sfn__jn_alen(v);
        sfn__jn_sb_putc(c, b, '[');
        for (size_t i = 0; i < n; i++) {
            if (i)
                sfn__jn_sb_putc(c, b, ',');
            indent(c, b, pretty, level + 1);
            jv e = sfn__jn_aget(v, i);
            if (jv_is_undef(e))
                sfn__jn_sb_put(c, b, "null", 4);
            else
                stringify(c, b, e, pretty, level + 1, pos);
        }
        if (n)
            indent(c, b, pretty, level);
        sfn__jn_sb_putc(c, b, ']');
        return;
    }
    case JV_OBJ:
    case JV_JOBJ: {
        jiter it;
        const char *k;
        size_t kl;
        jv e;
        bool any = false;
        sfn__jn_sb_putc(c, b, '{');
        sfn__jn_iter_init(&it, v);
        while (sfn__jn_iter_next(&it, &k, &kl, &e)) {
            if (jv_is_undef(e))
                continue;
            if (any)
                sfn__jn_sb_putc(c, b, ',');
            any = true;
            indent(c, b, pretty, level + 1);
            put_json_string(c, b, k, kl);
            sfn__jn_sb_put(c, b, pretty ? ": " : ":", pretty ? 2 : 1);
            stringify(c, b, e, pretty, level + 1, pos);
        }
        if (any)
            indent(c, b, pretty, level);
        sfn__jn_sb_putc(c, b, '}');
        return;
    }
    default:
        sfn__jn_sb_put(c, b, "null", 4);
        return;
    }
}

jv sfn__jn_string(jctx *c, jv v, bool pretty, long pos)
{
    if (v.k == JV_UNDEF || v.k == JV_STR)
        return v;
    if (v.k == JV_FN)
        return jv_str("", 0);
    if (v.k == JV_NUM && !isfinite(v.u.n))
        sfn__jn_throw(c, "D3001", pos,
                      "Attempting to invoke string function on Infinity or "
                      "NaN");
    if (jv_has(v, JA_OUTER) && v.u.a->n)
        v = v.u.a->v[0];
    jbuf b = {0};
    stringify(c, &b, v, pretty, 0, pos);
    return sfn__jn_sb_str(&b);
}

const char *sfn__jn_describe(jctx *c, jv v)
{
    if (v.k == JV_UNDEF)
        return "undefined";
    if (v.k == JV_FN)
        return "a function";
    if (v.k == JV_NUM && !isfinite(v.u.n))
        return isnan(v.u.n) ? "NaN" : v.u.n < 0 ? "-Infinity" : "Infinity";
    jbuf b = {0};
    stringify(c, &b, v, false, 0, -1);
    if (b.n > 100) {
        b.n = 97;
        while (b.n && ((unsigned char)b.p[b.n] & 0xC0) == 0x80)
            b.n--;
        memcpy(b.p + b.n, "...", 4);
    }
    return b.p;
}
