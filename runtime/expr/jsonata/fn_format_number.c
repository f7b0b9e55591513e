/* fn_format_number.c: JSONata $formatNumber, i.e. XPath 3.1 fn:format-number
 * with a decimal format built from defaults and the options object: picture
 * analysis (errors D3080-D3093), then decimal-string rounding and layout. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonata_fmt.h"

enum { T_DIGIT, T_OPT, T_DEC, T_GRP, T_EXP, T_PCT, T_PERMILLE, T_PASSIVE };

typedef struct {
    const char *dec, *grp, *exp, *minus, *inf, *nan, *pct, *permille, *opt,
        *patsep;
    uint32_t zero;
} dformat;

typedef struct {
    int kind, digit;
    const char *text; /* the picture bytes of this token */
    size_t len;
} token;

#define TOKENS_MAX 512

typedef struct {
    const char *prefix, *suffix;
    size_t prefix_len, suffix_len;
    bool pct, permille, has_exp;
    int min_int, scaling, min_frac, max_frac, min_exp;
    int int_groups[TOKENS_MAX], n_int_groups, int_interval;
    int frac_groups[TOKENS_MAX], n_frac_groups;
} subpic;

static bool is_active(int kind)
{
    return kind == T_DIGIT || kind == T_OPT || kind == T_DEC ||
           kind == T_GRP || kind == T_EXP;
}

static bool starts(const char *p, const char *end, const char *s)
{
    size_t n = strlen(s);
    return n > 0 && (size_t)(end - p) >= n && !memcmp(p, s, n);
}

static int tokenize(const char *p, const char *end, const dformat *f,
                    token *toks, sfn_error *err)
{
    int n = 0;
    while (p < end) {
        if (n == TOKENS_MAX) {
            sfn__jn_fail(err, "D3080", "$formatNumber: picture is too long");
            return -1;
        }
        token *t = &toks[n++];
        t->text = p;
        static const int kinds[] = {T_DEC, T_GRP, T_PCT, T_PERMILLE, T_OPT,
                                    T_EXP};
        const char *props[] = {f->dec, f->grp, f->pct, f->permille, f->opt,
                               f->exp};
        int k;
        for (k = 0; k < 6 && !starts(p, end, props[k]); k++)
            ;
        if (k < 6) {
            t->kind = kinds[k];
            t->len = strlen(props[k]);
            p += t->len;
            continue;
        }
        uint32_t cp = sfn__jn_utf8_next(&p);
        t->len = (size_t)(p - t->text);
        t->kind = T_PASSIVE;
        if (cp >= f->zero && cp <= f->zero + 9) {
            t->kind = T_DIGIT;
            t->digit = (int)(cp - f->zero);
        }
    }
    /* An exponent separator needs an active character on both sides. */
    for (int i = 0; i < n; i++)
        if (toks[i].kind == T_EXP) {
            bool before = false, after = false;
            for (int j = 0; j < i; j++)
                before = before || (is_active(toks[j].kind) &&
                                    toks[j].kind != T_EXP);
            for (int j = i + 1; j < n; j++)
                after = after || (is_active(toks[j].kind) &&
                                  toks[j].kind != T_EXP);
            if (!before || !after)
                toks[i].kind = T_PASSIVE;
        }
    return n;
}

static int count(const token *t, int from, int to, int kind)
{
    int c = 0;
    for (int i = from; i < to; i++)
        c += t[i].kind == kind;
    return c;
}

static bool fail(sfn_error *err, const char *code, const char *what)
{
    return sfn__jn_fail(err, code, "$formatNumber picture: %s", what);
}

/* Checks of XPath 3.1 section 4.7.3 on one sub-picture, in jsonata's order. */
static bool check_subpic(const token *t, int n, int first, int last, int expi,
                         sfn_error *err)
{
    if (count(t, 0, n, T_DEC) > 1)
        return fail(err, "D3081", "a sub-picture must not contain more than "
                                  "one decimal separator");
    if (count(t, 0, n, T_PCT) > 1)
        return fail(err, "D3082", "a sub-picture must not contain more than "
                                  "one percent character");
    if (count(t, 0, n, T_PERMILLE) > 1)
        return fail(err, "D3083", "a sub-picture must not contain more than "
                                  "one per-mille character");
    if (count(t, 0, n, T_PCT) && count(t, 0, n, T_PERMILLE))
        return fail(err, "D3084", "a sub-picture must not contain both a "
                                  "percent and a per-mille character");
    int mant_end = expi >= 0 ? expi : last + 1;
    if (!count(t, first, mant_end, T_DIGIT) && !count(t, first, mant_end, T_OPT))
        return fail(err, "D3085", "the mantissa of a sub-picture must contain "
                                  "at least one digit or optional digit");
    for (int i = first; i <= last; i++)
        if (!is_active(t[i].kind))
            return fail(err, "D3086", "a sub-picture must not contain a "
                                      "passive character between active "
                                      "characters");
    for (int i = first; i < mant_end; i++) {
        bool grp = t[i].kind == T_GRP;
        bool next_grp = i + 1 < mant_end && t[i + 1].kind == T_GRP;
        if ((grp && i + 1 < mant_end && t[i + 1].kind == T_DEC) ||
            (t[i].kind == T_DEC && next_grp))
            return fail(err, "D3087", "a grouping separator must not be "
                                      "adjacent to the decimal separator");
    }
    int deci = -1;
    for (int i = first; i < mant_end; i++)
        if (t[i].kind == T_DEC)
            deci = i;
    int int_end = deci >= 0 ? deci : mant_end;
    if (int_end > first && t[int_end - 1].kind == T_GRP)
        return fail(err, "D3088", "the integer part must not end with a "
                                  "grouping separator");
    for (int i = first; i + 1 < mant_end; i++)
        if (t[i].kind == T_GRP && t[i + 1].kind == T_GRP)
            return fail(err, "D3089", "a sub-picture must not contain two "
                                      "adjacent grouping separators");
    for (int i = first; i < int_end; i++)
        if (t[i].kind == T_DIGIT && count(t, i + 1, int_end, T_OPT))
            return fail(err, "D3090", "in the integer part, an optional digit "
                                      "must not follow a digit");
    if (deci >= 0)
        for (int i = deci + 1; i < mant_end; i++)
            if (t[i].kind == T_OPT && count(t, i + 1, mant_end, T_DIGIT))
                return fail(err, "D3091", "in the fractional part, a digit "
                                          "must not follow an optional digit");
    if (expi >= 0) {
        if (count(t, 0, n, T_PCT) || count(t, 0, n, T_PERMILLE))
            return fail(err, "D3092", "a sub-picture with a percent or "
                                      "per-mille character must not have an "
                                      "exponent");
        for (int i = expi + 1; i <= last; i++)
            if (t[i].kind != T_DIGIT)
                return fail(err, "D3093", "the exponent part must consist "
                                          "only of digits");
    }
    return true;
}

static void analyse_groups(const token *t, int first, int int_end,
                           int mant_end, subpic *sp)
{
    int digits = 0;
    for (int i = int_end - 1; i >= first; i--) {
        if (t[i].kind == T_GRP)
            sp->int_groups[sp->n_int_groups++] = digits;
        else if (t[i].kind == T_DIGIT || t[i].kind == T_OPT)
            digits++;
    }
    /* Regular: every position a multiple of the smallest G, and every
     * multiple of G below the digit count present. */
    if (sp->n_int_groups > 0) {
        int g = sp->int_groups[0];
        bool regular = g > 0;
        for (int i = 0; regular && i < sp->n_int_groups; i++)
            regular = sp->int_groups[i] % g == 0;
        for (int m = g; regular && m < digits; m += g) {
            bool found = false;
            for (int i = 0; i < sp->n_int_groups; i++)
                found = found || sp->int_groups[i] == m;
            regular = found;
        }
        sp->int_interval = regular ? g : 0;
    }
    digits = 0;
    for (int i = int_end + 1; i < mant_end; i++) {
        if (t[i].kind == T_GRP)
            sp->frac_groups[sp->n_frac_groups++] = digits;
        else if (t[i].kind == T_DIGIT || t[i].kind == T_OPT)
            digits++;
    }
}

static bool analyse(const char *p, const char *end, const dformat *f,
                    subpic *sp, sfn_error *err)
{
    token t[TOKENS_MAX];
    int n = tokenize(p, end, f, t, err);
    if (n < 0)
        return false;
    int first = -1, last = -1, expi = -1;
    for (int i = 0; i < n; i++)
        if (is_active(t[i].kind)) {
            if (first < 0)
                first = i;
            last = i;
            if (t[i].kind == T_EXP && expi < 0)
                expi = i;
        }
    if (first < 0)
        return fail(err, "D3086", "a sub-picture must contain at least one "
                                  "digit, optional digit or separator");
    if (!check_subpic(t, n, first, last, expi, err))
        return false;
    memset(sp, 0, sizeof *sp);
    sp->prefix = p;
    sp->prefix_len = (size_t)(t[first].text - p);
    sp->suffix = t[last].text + t[last].len;
    sp->suffix_len = (size_t)(end - sp->suffix);
    sp->pct = count(t, 0, n, T_PCT) > 0;
    sp->permille = count(t, 0, n, T_PERMILLE) > 0;
    sp->has_exp = expi >= 0;
    int mant_end = expi >= 0 ? expi : last + 1, int_end = mant_end;
    for (int i = first; i < mant_end; i++)
        if (t[i].kind == T_DEC)
            int_end = i;
    sp->min_int = sp->scaling = count(t, first, int_end, T_DIGIT);
    sp->min_frac = count(t, int_end, mant_end, T_DIGIT);
    sp->max_frac = sp->min_frac + count(t, int_end, mant_end, T_OPT);
    sp->min_exp = expi >= 0 ? count(t, expi, last + 1, T_DIGIT) : 0;
    if (sp->min_int == 0 && sp->max_frac == 0) {
        if (sp->has_exp)
            sp->min_frac = sp->max_frac = 1;
        else
            sp->min_int = 1;
    }
    if (sp->has_exp && sp->min_int == 0 && count(t, first, int_end, T_OPT))
        sp->min_int = 1;
    analyse_groups(t, first, int_end, mant_end, sp);
    return true;
}

/* ==== Decimal digits and rounding ==== */

/* v >= 0 as digits d (no leading zeros) with value 0.d x 10^exp. */
static void to_decimal(double v, char *d, size_t cap, int *exp)
{
    d[0] = '\0';
    *exp = 0;
    if (v == 0)
        return;
    char e[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, v);
        if (strtod(e, NULL) == v)
            break;
    }
    size_t n = 0;
    const char *p = e;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9' && n + 1 < cap)
            d[n++] = *p;
    while (n > 1 && d[n - 1] == '0')
        n--;
    d[n] = '\0';
    *exp = atoi(p + 1) + 1;
}

/* Rounds 0.d x 10^*point (digits before the point: *point) to `frac`
 * fractional digits, half to even.  d has room for one more digit. */
static void round_digits(char *d, int *point, int frac)
{
    int len = (int)strlen(d);
    int keep = *point + frac;
    if (keep >= len)
        return;
    if (keep < 0) {
        d[0] = '\0';
        return;
    }
    bool up = d[keep] > '5';
    if (d[keep] == '5') {
        bool rest = false;
        for (int i = keep + 1; i < len; i++)
            rest = rest || d[i] != '0';
        up = rest || (keep > 0 && (d[keep - 1] - '0') % 2 == 1);
    }
    d[keep] = '\0';
    if (!up)
        return;
    int i = keep - 1;
    while (i >= 0 && d[i] == '9')
        d[i--] = '0';
    if (i >= 0) {
        d[i]++;
        return;
    }
    memmove(d + 1, d, (size_t)keep + 1);
    d[0] = '1';
    (*point)++;
}

static void put_digit(sfn__jn_buf *b, const dformat *f, char c)
{
    sfn__jn_buf_cp(b, f->zero + (uint32_t)(c - '0'));
}

static void layout_integer(sfn__jn_buf *b, const char *ip, const subpic *sp,
                           const dformat *f)
{
    int n = (int)strlen(ip);
    for (int i = 0; i < n; i++) {
        int pos = n - i;
        bool sep = false;
        if (i > 0 && sp->int_interval > 0)
            sep = pos % sp->int_interval == 0;
        else if (i > 0)
            for (int g = 0; g < sp->n_int_groups; g++)
                sep = sep || sp->int_groups[g] == pos;
        if (sep)
            sfn__jn_buf_str(b, f->grp);
        put_digit(b, f, ip[i]);
    }
}

static void layout_fraction(sfn__jn_buf *b, const char *fp, const subpic *sp,
                            const dformat *f)
{
    for (int i = 0; fp[i]; i++) {
        for (int g = 0; g < sp->n_frac_groups; g++)
            if (i > 0 && sp->frac_groups[g] == i) {
                sfn__jn_buf_str(b, f->grp);
                break;
            }
        put_digit(b, f, fp[i]);
    }
}

static void render(double v, const subpic *sp, const dformat *f,
                   sfn__jn_buf *b)
{
    char d[800];
    int point;
    to_decimal(v, d, sizeof d - 2, &point);
    int e = 0;
    if (sp->has_exp && d[0]) {
        e = point - sp->scaling;
        point = sp->scaling;
        round_digits(d, &point, sp->max_frac);
        if (point > sp->scaling) {
            e++;
            point = sp->scaling;
        }
    } else {
        round_digits(d, &point, sp->max_frac);
    }
    /* Integer and fractional digit strings around the point. */
    char ip[800], fp[800];
    int len = (int)strlen(d), ni = 0, nf = 0;
    for (int i = 0; i < point && ni < 700; i++)
        ip[ni++] = i < len ? d[i] : '0';
    ip[ni] = '\0';
    for (int i = point; i < len && nf < 700; i++)
        fp[nf++] = i < 0 ? '0' : d[i];
    fp[nf] = '\0';
    char *ipz = ip;
    while (*ipz == '0')
        ipz++;
    while (nf > sp->min_frac && fp[nf - 1] == '0')
        fp[--nf] = '\0';
    while (nf < sp->min_frac && nf < 700)
        fp[nf++] = '0';
    fp[nf] = '\0';
    char ipad[800];
    int nz = (int)strlen(ipz);
    int pad = sp->min_int > nz ? sp->min_int - nz : 0;
    memset(ipad, '0', (size_t)pad);
    snprintf(ipad + pad, sizeof ipad - (size_t)pad, "%s", ipz);
    layout_integer(b, ipad, sp, f);
    if (pad + nz == 0 && nf == 0) /* jsonata keeps one digit: "#.#" gives ".0" */
        fp[nf++] = '0', fp[nf] = '\0';
    if (nf > 0) {
        sfn__jn_buf_str(b, f->dec);
        layout_fraction(b, fp, sp, f);
    }
    if (sp->has_exp) {
        sfn__jn_buf_str(b, f->exp);
        if (e < 0)
            sfn__jn_buf_str(b, f->minus);
        char ed[16];
        int n = snprintf(ed, sizeof ed, "%d", abs(e));
        for (int i = n; i < sp->min_exp; i++)
            put_digit(b, f, '0');
        for (int i = 0; i < n; i++)
            put_digit(b, f, ed[i]);
    }
}

/* ==== Options and entry point ==== */

static bool apply_options(json_t *options, dformat *f, sfn_error *err)
{
    static const char *const keys[] = {
        "decimal-separator", "grouping-separator", "exponent-separator",
        "minus-sign",        "infinity",           "NaN",
        "percent",           "per-mille",          "digit",
        "pattern-separator", "zero-digit"};
    const char **slots[] = {&f->dec,  &f->grp,      &f->exp,    &f->minus,
                            &f->inf,  &f->nan,      &f->pct,    &f->permille,
                            &f->opt,  &f->patsep,   NULL};
    if (!options || !json_is_object(options))
        return true;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(options, keys[i]);
        if (!v)
            continue;
        if (!json_is_string(v) || json_string_length(v) == 0)
            return sfn__jn_fail(err, "D3080",
                                "$formatNumber option '%s' must be a "
                                "non-empty string", keys[i]);
        if (slots[i]) {
            *slots[i] = json_string_value(v);
        } else {
            const char *z = json_string_value(v);
            f->zero = sfn__jn_utf8_next(&z);
        }
    }
    return true;
}

char *sfn__jn_format_number(double v, const char *picture, json_t *options,
                            sfn_error *err)
{
    dformat f = {".", ",", "e", "-", "Infinity", "NaN", "%", "\u2030", "#",
                 ";", '0'};
    if (!apply_options(options, &f, err))
        return NULL;
    const char *end = picture + strlen(picture);
    const char *sep = strstr(picture, f.patsep), *sep2 = NULL;
    if (sep)
        sep2 = strstr(sep + strlen(f.patsep), f.patsep);
    if (sep2) {
        fail(err, "D3080", "a picture must not contain more than one "
                           "pattern separator");
        return NULL;
    }
    subpic pos, neg;
    if (!analyse(picture, sep ? sep : end, &f, &pos, err))
        return NULL;
    if (sep && !analyse(sep + strlen(f.patsep), end, &f, &neg, err))
        return NULL;
    sfn__jn_buf b = {0};
    if (isnan(v)) {
        sfn__jn_buf_str(&b, f.nan);
        return sfn__jn_buf_take(&b, err);
    }
    const subpic *sp = v < 0 && sep ? &neg : &pos;
    if (v < 0 && !sep)
        sfn__jn_buf_str(&b, f.minus);
    sfn__jn_buf_put(&b, sp->prefix, sp->prefix_len);
    double a = fabs(v);
    if (sp->pct)
        a *= 100;
    else if (sp->permille)
        a *= 1000;
    if (isinf(a))
        sfn__jn_buf_str(&b, f.inf);
    else
        render(a, sp, &f, &b);
    sfn__jn_buf_put(&b, sp->suffix, sp->suffix_len);
    return sfn__jn_buf_take(&b, err);
}
