/* sfn_json.c: AWS-faithful JSON text: a serializer with shortest round-trip
 * reals and a loader that accepts integers beyond 64 bits. */
#include "sfn_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DUMP_DEPTH_MAX 2048 /* jansson's own parse depth; values are finite */

typedef sfn_json_buf buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

/* Decimal text of v into the end of out (>= 21 bytes); returns length. */
static size_t format_int(json_int_t v, char *out)
{
    char tmp[24];
    size_t n = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v
                                  : (unsigned long long)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t len = 0;
    if (v < 0)
        out[len++] = '-';
    while (n)
        out[len++] = tmp[--n];
    out[len] = '\0';
    return len;
}

/* Positional rendering of a %e string's value with `digits` significant
 * digits, as JavaScript does for exponents in (-7, 21). */
static void positional(double d, int digits, int exp, char *out, size_t size)
{
    int decimals = digits - 1 - exp;
    snprintf(out, size, "%.*f", decimals > 0 ? decimals : 0, d);
    if (!strchr(out, '.'))
        strncat(out, ".0", size - strlen(out) - 1);
}

char *sfn_json_format_real(double d, char *out, size_t size)
{
    if (!isfinite(d)) {
        snprintf(out, size, "null");
        return out;
    }
    /* hot paths without printf: integral values, and values with up to 6
     * decimals that scale to an exact integer (12.5, 0.25, 19.99) */
    if (d == floor(d) && fabs(d) < 1e15) {
        size_t n = format_int((json_int_t)d, out);
        memcpy(out + n, ".0", 3);
        return out;
    }
    if (fabs(d) < 1e9 && fabs(d) >= 1e-6 && size >= 32) {
        double scale = 10;
        for (int k = 1; k <= 6; k++, scale *= 10) {
            /* k decimals suffice when the rounded scaled value divides
             * back to exactly d (the product itself may be inexact) */
            double m = round(d * scale);
            if (m / scale != d)
                continue;
            long long units = (long long)(d < 0 ? -m : m);
            long long p10 = (long long)scale;
            size_t n = 0;
            if (d < 0)
                out[n++] = '-';
            n += format_int(units / p10, out + n);
            out[n++] = '.';
            long long frac = units % p10;
            for (long long div = p10 / 10; div; div /= 10)
                out[n++] = (char)('0' + (frac / div) % 10);
            out[n] = '\0';
            return out;
        }
    }
    /* fewest significant digits that read back exactly: 15 suffice for
     * every decimal literal of up to 15 digits, so try that first */
    int prec = 15;
    for (; prec < 17; prec++) {
        snprintf(out, size, "%.*g", prec, d);
        if (strtod(out, NULL) == d)
            break;
    }
    if (prec == 17)
        snprintf(out, size, "%.17g", d);
    char *e = strpbrk(out, "eE");
    if (!e)
        return out; /* %g chose positional: already the shortest form */
    int exp = atoi(e + 1);
    if (exp > -7 && exp < 21) {
        /* count the significant digits %g kept, then go positional */
        int digits = 0;
        for (char *p = out; p < e; p++)
            digits += *p >= '0' && *p <= '9';
        positional(d, digits, exp, out, size);
        return out;
    }
    /* "1e-07" -> "1e-7", as JavaScript and Java print exponents */
    char *z = e + 2;
    while (*z == '0' && z[1])
        z++;
    memmove(e + 2, z, strlen(z) + 1);
    return out;
}

/* 1 for bytes that need an escape: control characters, '"' and '\\' */
static const unsigned char needs_escape[256] = {
    [0 ... 31] = 1, ['"'] = 1, ['\\'] = 1,
};

static void dump_string(buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    put(b, "\"", 1);
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && !needs_escape[(unsigned char)s[run]])
            run++;
        put(b, s + i, run - i);
        if (run == n)
            break;
        unsigned char c = (unsigned char)s[run];
        char esc[7] = {'\\', 0};
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
        }
        puts_(b, esc);
        i = run + 1;
    }
    put(b, "\"", 1);
}


static void indent(buf *b, int pretty, int depth)
{
    if (!pretty)
        return;
    put(b, "\n", 1);
    for (int i = 0; i < depth; i++)
        put(b, "  ", 2);
}

static void dump(buf *b, const json_t *v, int pretty, int depth)
{
    char num[40];
    if (depth > DUMP_DEPTH_MAX) {
        b->oom = 1;
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *m;
        int first = 1;
        put(b, "{", 1);
        json_object_foreach((json_t *)v, k, m) {
            if (!first)
                put(b, ",", 1);
            first = 0;
            indent(b, pretty, depth + 1);
            dump_string(b, k, strlen(k));
            put(b, pretty ? ": " : ":", pretty ? 2 : 1);
            dump(b, m, pretty, depth + 1);
        }
        if (!first)
            indent(b, pretty, depth);
        put(b, "}", 1);
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *m;
        put(b, "[", 1);
        json_array_foreach((json_t *)v, i, m) {
            if (i)
                put(b, ",", 1);
            indent(b, pretty, depth + 1);
            dump(b, m, pretty, depth + 1);
        }
        if (json_array_size(v))
            indent(b, pretty, depth);
        put(b, "]", 1);
        break;
    }
    case JSON_STRING:
        dump_string(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        put(b, num, format_int(json_integer_value(v), num));
        break;
    case JSON_REAL:
        puts_(b, sfn_json_format_real(json_real_value(v), num, sizeof num));
        break;
    case JSON_TRUE: puts_(b, "true"); break;
    case JSON_FALSE: puts_(b, "false"); break;
    case JSON_NULL: puts_(b, "null"); break;
    }
}

const char *sfn_json_dump_to(const json_t *v, sfn_json_buf *b)
{
    b->len = 0;
    b->oom = 0;
    if (!v)
        return NULL;
    put(b, "", 0); /* a NUL even for an empty result */
    dump(b, v, 0, 0);
    return b->oom ? NULL : b->p;
}

void sfn_json_buf_free(sfn_json_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

char *sfn_json_dumps(const json_t *v, int pretty)
{
    buf b = {0};
    if (!v)
        return NULL;
    dump(&b, v, pretty, 0);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

/* Rewrites integer literals that overflow int64 into real literals by
 * appending ".0" (outside strings only).  Returns a malloc'd copy or NULL
 * when nothing needed rewriting. */
static char *widen_big_integers(const char *text, size_t len, size_t *outlen)
{
    buf b = {0};
    int changed = 0;
    for (size_t i = 0; i < len;) {
        char c = text[i];
        if (c == '"') {
            size_t j = i + 1;
            while (j < len && text[j] != '"')
                j += text[j] == '\\' ? 2 : 1;
            j = j < len ? j + 1 : len;
            put(&b, text + i, j - i);
            i = j;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t j = i + (c == '-');
            while (j < len && text[j] >= '0' && text[j] <= '9')
                j++;
            int frac = j < len && strchr(".eE", text[j]);
            size_t digits = j - i - (c == '-');
            put(&b, text + i, j - i);
            if (!frac && digits >= 19) {
                char tmp[64];
                size_t n = j - i < sizeof tmp - 1 ? j - i : sizeof tmp - 1;
                memcpy(tmp, text + i, n);
                tmp[n] = '\0';
                if (digits > 19 || strcmp(tmp + (c == '-'),
                                          c == '-' ? "9223372036854775808"
                                                   : "9223372036854775807") > 0) {
                    put(&b, ".0", 2);
                    changed = 1;
                }
            }
            i = j;
        } else {
            put(&b, text + i, 1);
            i++;
        }
    }
    if (!changed || b.oom) {
        free(b.p);
        return NULL;
    }
    *outlen = b.len;
    return b.p;
}

json_t *sfn_json_loadb(const char *text, size_t len, size_t flags,
                       json_error_t *error)
{
    json_t *v = json_loadb(text, len, flags, error);
    if (v || !strstr(error->text, "too big"))
        return v;
    size_t n = 0;
    char *wide = widen_big_integers(text, len, &n);
    if (!wide)
        return NULL;
    v = json_loadb(wide, n, flags, error);
    free(wide);
    return v;
}
