/* test_jsonata_fmt.c: unit tests of the JSONata picture-string and date/time
 * functions (jsonata_fmt.h), per marker/modifier and error code, plus a
 * data-driven run of the official suite's cases that are plain calls. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonata/jsonata_fmt.h"

/* ==== Helpers ==== */

static void check_str(char *got, const char *want)
{
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void check_code(char *got, const sfn_error *err, const char *code)
{
    assert_null(got);
    assert_string_equal(err->name, code);
    assert_true(err->cause[0] != '\0');
}

static char *fnum(double v, const char *pic)
{
    sfn_error err;
    return sfn__jn_format_number(v, pic, NULL, &err);
}

static char *fint(double v, const char *pic)
{
    sfn_error err;
    return sfn__jn_format_integer(v, pic, &err);
}

static char *fdt(double ms, const char *pic, const char *tz)
{
    sfn_error err;
    return sfn__jn_from_millis(ms, pic, tz, &err);
}

static double pint(const char *s, const char *pic)
{
    double out = NAN;
    bool undef = false;
    sfn_error err;
    assert_true(sfn__jn_parse_integer(s, pic, &out, &undef, &err));
    assert_false(undef);
    return out;
}

static double tms(const char *s, const char *pic)
{
    double out = NAN;
    bool undef = false;
    sfn_error err;
    assert_true(sfn__jn_to_millis_at(s, pic, 1.7e12, &out, &undef, &err));
    assert_false(undef);
    return out;
}

static void fnum_err(const char *pic, const char *code)
{
    sfn_error err;
    check_code(sfn__jn_format_number(20, pic, NULL, &err), &err, code);
}

/* ==== $formatNumber ==== */

static void test_number_grouping(void **s)
{
    (void)s;
    check_str(fnum(12345.6, "#,###.00"), "12,345.60");
    check_str(fnum(1234.56789, "9,999.999,999"), "1,234.567,890");
    check_str(fnum(123412345678.9, "9,9,99.99"), "123412345,6,78.90");
    check_str(fnum(1e20, "#,######"), "100,000000,000000,000000");
}

static void test_number_rounding_and_padding(void **s)
{
    (void)s;
    check_str(fnum(123.9, "9999"), "0124");
    check_str(fnum(-6, "000"), "-006");
    check_str(fnum(2, "000.000"), "002.000");
    check_str(fnum(2.5, "0"), "2");
    check_str(fnum(3.5, "0"), "4");
}

static void test_number_percent_permille(void **s)
{
    (void)s;
    check_str(fnum(0.14, "01%"), "14%");
    check_str(fnum(0.4857, "###.###\u2030"), "485.7\u2030");
}

static void test_number_exponent(void **s)
{
    (void)s;
    check_str(fnum(1234.5678, "00.000e0"), "12.346e2");
    check_str(fnum(1234.5678, "00.000e000"), "12.346e002");
    check_str(fnum(0.234, "0.0e0"), "2.3e-1");
    check_str(fnum(0.234, "#.00e0"), "0.23e0");
    check_str(fnum(0.123, "#.e9"), "0.1e0");
    check_str(fnum(0.234, ".00e0"), ".23e0");
    check_str(fnum(0, "0e0"), "0e0");
    check_str(fnum(-42, "0e0"), "-4e1");
}

static void test_number_subpictures_and_affixes(void **s)
{
    (void)s;
    check_str(fnum(2392.14 * (-36.58), "000,000.000###;###,###.000###"),
              "87,504.4812");
    check_str(fnum(2.14 * 86.58, "PREFIX##00.000###SUFFIX"),
              "PREFIX185.2812SUFFIX");
}

static void test_number_options(void **s)
{
    (void)s;
    sfn_error err;
    json_t *o = json_pack("{s:s}", "per-mille", "pm");
    check_str(sfn__jn_format_number(0.14, "###pm", o, &err), "140pm");
    json_decref(o);
    o = json_pack("{s:s}", "zero-digit", "\u245f");
    check_str(sfn__jn_format_number(1234.5678,
                                    "\u2460\u2460.\u2460\u2460\u2460e\u2460",
                                    o, &err),
              "\u2460\u2461.\u2462\u2463\u2465e\u2461");
    json_decref(o);
    o = json_pack("{s:s, s:s}", "decimal-separator", ",",
                  "grouping-separator", ".");
    check_str(sfn__jn_format_number(1234.5, "#.##0,00", o, &err), "1.234,50");
    json_decref(o);
}

static void test_number_errors(void **s)
{
    (void)s;
    static const char *const cases[][2] = {
        {"#;#;#", "D3080"},   {"#.0.0", "D3081"},    {"#0%%", "D3082"},
        {"#0\u2030\u2030", "D3083"}, {"#0%\u2030", "D3084"},
        {".e0", "D3085"},     {"0+.e0", "D3086"},    {"0,.e0", "D3087"},
        {"0,", "D3088"},      {"0,,0", "D3089"},     {"0#.e0", "D3090"},
        {"#0.#0e0", "D3091"}, {"#0.0e0%", "D3092"},  {"#0.0e0,0", "D3093"},
        {"%%", "D3086"},      {"---", "D3086"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        fnum_err(cases[i][0], cases[i][1]);
}

/* ==== $formatBase ==== */

static void test_base(void **s)
{
    (void)s;
    sfn_error err;
    check_str(sfn__jn_format_base(100, NAN, &err), "100");
    check_str(sfn__jn_format_base(100, 2, &err), "1100100");
    check_str(sfn__jn_format_base(-100, 2, &err), "-1100100");
    check_str(sfn__jn_format_base(100, 36, &err), "2s");
    check_str(sfn__jn_format_base(99.5, 2.5, &err), "1100100");
    check_code(sfn__jn_format_base(100, 1, &err), &err, "D3100");
    check_code(sfn__jn_format_base(100, 37, &err), &err, "D3100");
}

/* ==== $formatInteger / $parseInteger ==== */

static void test_integer_decimal(void **s)
{
    (void)s;
    check_str(fint(123, "0000"), "0123");
    check_str(fint(-3, "0000"), "-0003");
    check_str(fint(12.6, "###0"), "12");
    check_str(fint(1234567890, "#,##0"), "1,234,567,890");
    check_str(fint(1234567890, "#:###,##0"), "1234:567,890");
    check_str(fint(1234567890, "##,##,##0"), "12345,67,890");
    check_str(fint(12340, "###\u0661"), "\u0661\u0662\u0663\u0664\u0660");
}

static void test_integer_ordinal(void **s)
{
    (void)s;
    check_str(fint(123, "000;o"), "123rd");
    check_str(fint(1, "0;o"), "1st");
    check_str(fint(12, "###0;o"), "12th");
    check_str(fint(12, "w;o"), "twelfth");
    check_str(fint(99, "W;o"), "NINETY-NINTH");
    check_str(fint(1000000000001, "w;o"), "one trillion and first");
}

static void test_integer_words(void **s)
{
    (void)s;
    check_str(fint(555, "Ww"), "Five Hundred and Fifty-Five");
    check_str(fint(3730, "w"), "three thousand, seven hundred and thirty");
    check_str(fint(1e15, "w"), "one thousand trillion");
    check_str(fint(1e46, "w"), "ten billion trillion trillion trillion");
    check_str(fint(0, "w"), "zero");
}

static void test_integer_roman_letters(void **s)
{
    (void)s;
    check_str(fint(1984, "I"), "MCMLXXXIV");
    check_str(fint(99, "i"), "xcix");
    check_str(fint(0, "I"), "");
    check_str(fint(27, "a"), "aa");
    check_str(fint(123456, "A"), "FZPH");
}

static void test_integer_errors(void **s)
{
    (void)s;
    sfn_error err;
    check_code(sfn__jn_format_integer(5, "\u03b1", &err), &err, "D3130");
    check_code(sfn__jn_format_integer(5, "##0\uff10", &err), &err, "D3131");
    double out;
    bool undef;
    assert_false(sfn__jn_parse_integer("50", "#", &out, &undef, &err));
    assert_string_equal(err.name, "D3130");
}

static void test_parse_integer(void **s)
{
    (void)s;
    assert_true(pint("12,345,678", "#,##0") == 12345678);
    assert_true(pint("123rd", "000;o") == 123);
    assert_true(pint("MCMLXXXIV", "I") == 1984);
    assert_true(pint("FZPH", "A") == 123456);
    assert_true(pint("one trillion and first", "w;o") == 1000000000001);
    assert_true(pint("ten billion trillion trillion trillion", "w") == 1e46);
    assert_true(pint("Seven Hundred and Thirty-Third", "Ww;o") == 733);
    double out;
    bool undef = false;
    sfn_error err;
    assert_true(sfn__jn_parse_integer("abc", "0", &out, &undef, &err));
    assert_true(undef);
}

/* ==== $fromMillis ==== */

static void test_from_millis_iso(void **s)
{
    (void)s;
    check_str(fdt(1509380732935, NULL, NULL), "2017-10-30T16:25:32.935Z");
    check_str(fdt(1, NULL, NULL), "1970-01-01T00:00:00.001Z");
    check_str(fdt(1540127100000, NULL, "-0500"),
              "2018-10-21T08:05:00.000-05:00");
    check_str(fdt(-1521801216617, NULL, NULL), "1921-10-11T13:26:23.383Z");
}

static void test_from_millis_numeric_markers(void **s)
{
    (void)s;
    check_str(fdt(1521801216617, "[M01]/[D01]/[Y0001] at [H01]:[m01]:[s01]",
                  NULL),
              "03/23/2018 at 10:33:36");
    check_str(fdt(1521801216617, "[D#1,2]/[M1,2]/[Y,2]", NULL), "23/03/18");
    check_str(fdt(1521801216617, "[D#1,2]/[M1,2]/[Y0001,2]", NULL),
              "23/03/2018");
    check_str(fdt(1521801216617, "Year: <[Y9,999,*]>", NULL),
              "Year: <2,018>");
    check_str(fdt(1546257600000, "[d] days in [Y0001]", NULL),
              "365 days in 2018");
    check_str(fdt(1521801216617, "[f001]", NULL), "617");
}

static void test_from_millis_presentations(void **s)
{
    (void)s;
    check_str(fdt(1521801216617, "[D1] [M01] [YI]", NULL), "23 03 MMXVIII");
    check_str(fdt(1521801216617, "[Da] [MA] [Yi]", NULL), "w C mmxviii");
    check_str(fdt(1521801216617, "[Dwo] [MNn] [Y]", NULL),
              "twenty-third March 2018");
    check_str(fdt(1521801216617, "[FNn,3-3], [D1o] [MNn,3-3] [Y] [C] [E]",
                  NULL),
              "Fri, 23rd Mar 2018 ISO ISO");
    check_str(fdt(1204405500000, "[F], [D]/[M]/[Y] [h]:[m]:[s] [P]", NULL),
              "saturday, 1/3/2008 9:05:00 pm");
    check_str(fdt(1521801216617, "[h] [PN]", NULL), "10 AM");
}

static void test_from_millis_weeks(void **s)
{
    (void)s;
    check_str(fdt(1451304000000, "Week: [W]", NULL), "Week: 53");
    check_str(fdt(1483272000000, "Week: [w] of [xNn]", NULL),
              "Week: 5 of December");
    check_str(fdt(1104537600000, "[X0001]-W[W01]-[F1]", NULL), "2004-W53-6");
    check_str(fdt(1522616700000, "[F0] [FNn]", NULL), "7 Sunday");
}

static void test_from_millis_timezones(void **s)
{
    (void)s;
    check_str(fdt(1531310400000, "[Z01:01]", NULL), "+00:00");
    check_str(fdt(1531310400000, "[Z01:01t]", NULL), "Z");
    check_str(fdt(1531310400000, "[H01][Z]", "-0500"), "07-05:00");
    check_str(fdt(1531310400000, "[Z0]", "+0530"), "+5:30");
    check_str(fdt(1531310400000, "[Z0101t]", "+0530"), "+0530");
    check_str(fdt(1531310400000, "[z]", "-0500"), "GMT-05:00");
}

static void test_from_millis_escapes(void **s)
{
    (void)s;
    check_str(fdt(1521801216617, "[[Year]]: [[[Y0001]]]", NULL),
              "[Year]: [2018]");
    check_str(fdt(1521801216617, "[Y]-[ M01]-[D 01]", NULL), "2018-03-23");
}

static void test_from_millis_errors(void **s)
{
    (void)s;
    sfn_error err;
    check_code(sfn__jn_from_millis(0, "[YN]", NULL, &err), &err, "D3133");
    check_code(sfn__jn_from_millis(0, "[Y]-[M", NULL, &err), &err, "D3135");
    check_code(sfn__jn_from_millis(0, "[Z010101t]", "+0530", &err), &err,
               "D3134");
    check_code(sfn__jn_from_millis(0, "[q]", NULL, &err), &err, "D3132");
}

static void test_now(void **s)
{
    (void)s;
    sfn_error err;
    check_str(sfn__jn_now(1509380732935, NULL, NULL, &err),
              "2017-10-30T16:25:32.935Z");
    check_str(sfn__jn_now(1509380732935, "[Y]", "+1000", &err), "2017");
}

/* ==== $toMillis ==== */

static void test_to_millis_iso(void **s)
{
    (void)s;
    assert_true(tms("1970-01-01T00:00:00.001Z", NULL) == 1);
    assert_true(tms("2018-02-01T09:42:13.123+0000", NULL) == 1517478133123);
    assert_true(tms("2017-10-30", NULL) == 1509321600000);
    assert_true(tms("2018", NULL) == 1514764800000);
    double out;
    bool undef;
    sfn_error err;
    assert_false(sfn__jn_to_millis("2018-02-03 11:15:33", NULL, &out, &undef,
                                   &err));
    assert_string_equal(err.name, "D3110");
}

static void test_to_millis_picture(void **s)
{
    (void)s;
    assert_true(tms("201802", "[Y0001][M01]") == 1517443200000);
    assert_true(tms("20240101123849", "[Y0000][M00][D00][H00][m00][s00]") ==
                tms("2024-01-01T12:38:49Z", NULL));
    assert_true(tms("27th 3 1976", "[D1o] [M#1] [Y0001]") == 196732800000);
    assert_true(tms("2 Feb 2012", "[D1] [MNn,3-3] [Y0001]") == 1328140800000);
    assert_true(tms("twenty-first August two thousand and seventeen",
                    "[Dw] [MNn] [Yw]") == 1503273600000);
    assert_true(tms("4/4/2018 12:06 am", "[D1]/[M1]/[Y0001] [h]:[m] [P]") ==
                1522800360000);
    assert_true(tms("2018-094", "[Y0001]-[d001]") == 1522800000000);
    assert_true(tms("2020-09-09 12:00:00 +05:30",
                    "[Y0001]-[M01]-[D01] [H01]:[m01]:[s01] [Z]") ==
                1599633000000);
}

static void test_to_millis_defaults_from_now(void **s)
{
    (void)s;
    /* 1.7e12 is 2023-11-14T22:13:20Z: the date comes from "now". */
    assert_true(tms("13:45", "[H]:[m]") == 1699969500000);
}

static void test_to_millis_undefined_and_errors(void **s)
{
    (void)s;
    double out;
    bool undef = false;
    sfn_error err;
    assert_true(sfn__jn_to_millis_at("irrelevent string", "[Y]-[M]-[D]", 0,
                                     &out, &undef, &err));
    assert_true(undef);
    static const char *const cases[][3] = {
        {"2018-05-22", "[Y]-[M]-[q]", "D3132"},
        {"2018-05-22", "[YN]-[M]-[D]", "D3133"},
        {"2018-22", "[Y]-[D]", "D3136"},
        {"2018-32-5", "[X]-[W]-[F1]", "D3136"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_false(sfn__jn_to_millis_at(cases[i][0], cases[i][1], 0, &out,
                                          &undef, &err));
        assert_string_equal(err.name, cases[i][2]);
    }
}

/* ==== Data-driven run over the official test suite ==== */

typedef struct {
    const char *p;
    bool ok;
} lit_parser;

static void skip_ws(lit_parser *lp)
{
    while (isspace((unsigned char)*lp->p))
        lp->p++;
}

static json_t *parse_call(lit_parser *lp, json_t *piped);

/* A quoted string, a number (or a product of two), an object literal or a
 * nested call; anything else makes the case ineligible. */
static json_t *parse_arg(lit_parser *lp)
{
    skip_ws(lp);
    char q = *lp->p;
    if (q == '\'' || q == '"') {
        const char *end = strchr(lp->p + 1, q);
        if (!end)
            return lp->ok = false, NULL;
        json_t *s = json_stringn(lp->p + 1, (size_t)(end - lp->p - 1));
        lp->p = end + 1;
        return s;
    }
    if (q == '{') {
        const char *end = strchr(lp->p, '}');
        if (!end)
            return lp->ok = false, NULL;
        char *txt = strndup(lp->p, (size_t)(end - lp->p + 1));
        for (char *c = txt; *c; c++)
            if (*c == '\'')
                *c = '"';
        json_t *o = json_loads(txt, 0, NULL);
        free(txt);
        lp->p = end + 1;
        if (!o)
            lp->ok = false;
        return o;
    }
    if (q == '$')
        return parse_call(lp, NULL);
    bool paren = q == '(';
    if (paren)
        lp->p++;
    char *end;
    double v = strtod(lp->p, &end);
    if (end == lp->p)
        return lp->ok = false, NULL;
    lp->p = end;
    skip_ws(lp);
    if (paren && *lp->p++ != ')')
        return lp->ok = false, NULL;
    if (*lp->p == '*') {
        lp->p++;
        json_t *rhs = parse_arg(lp);
        if (!json_is_number(rhs)) {
            json_decref(rhs);
            return lp->ok = false, NULL;
        }
        v *= json_number_value(rhs);
        json_decref(rhs);
    }
    return json_real(v);
}

/* Result of a call: string, real, or a {"code": ...} / {"undefined": true}
 * object standing for an error or JSONata's undefined. */
static json_t *invoke(const char *fn, json_t **a, int n)
{
    sfn_error err;
    sfn_error_clear(&err);
    char *s = NULL;
    double num = 0;
    bool undef = false, ok = true, is_num = false;
#define STR(i) (i < n && json_is_string(a[i]) ? json_string_value(a[i]) : NULL)
#define NUM(i) (i < n ? json_number_value(a[i]) : NAN)
    if (!strcmp(fn, "formatNumber"))
        ok = (s = sfn__jn_format_number(NUM(0), STR(1), n > 2 ? a[2] : NULL,
                                        &err)) != NULL;
    else if (!strcmp(fn, "formatBase"))
        ok = (s = sfn__jn_format_base(NUM(0), NUM(1), &err)) != NULL;
    else if (!strcmp(fn, "formatInteger"))
        ok = (s = sfn__jn_format_integer(NUM(0), STR(1), &err)) != NULL;
    else if (!strcmp(fn, "fromMillis") || !strcmp(fn, "now"))
        ok = (s = sfn__jn_from_millis(NUM(0), STR(1), STR(2), &err)) != NULL;
    else if (!strcmp(fn, "parseInteger"))
        ok = is_num = sfn__jn_parse_integer(STR(0), STR(1), &num, &undef, &err);
    else if (!strcmp(fn, "toMillis"))
        ok = is_num = sfn__jn_to_millis_at(STR(0), STR(1), 1.7e12, &num,
                                           &undef, &err);
    else
        return NULL;
#undef STR
#undef NUM
    if (!ok)
        return json_pack("{s:s}", "code", err.name);
    if (undef)
        return json_pack("{s:b}", "undefined", 1);
    if (is_num)
        return json_real(num);
    json_t *r = json_string(s);
    free(s);
    return r;
}

static bool arg_ok(json_t *v)
{
    return v && !json_object_get(v, "code") && !json_object_get(v, "undefined");
}

/* $name(args) with literal args; `piped` is the left side of ~>. */
static json_t *parse_call(lit_parser *lp, json_t *piped)
{
    skip_ws(lp);
    const char *p = lp->p;
    if (*p != '$')
        return lp->ok = false, NULL;
    const char *name = ++p;
    while (isalpha((unsigned char)*p))
        p++;
    char fn[32];
    snprintf(fn, sizeof fn, "%.*s", (int)(p - name), name);
    if (*p != '(')
        return lp->ok = false, NULL;
    lp->p = p + 1;
    json_t *args[4];
    int n = 0;
    if (piped)
        args[n++] = json_incref(piped);
    skip_ws(lp);
    while (lp->ok && *lp->p != ')' && n < 4) {
        json_t *a = parse_arg(lp);
        if (!lp->ok || !arg_ok(a)) {
            json_decref(a);
            lp->ok = false;
            break;
        }
        args[n++] = a;
        skip_ws(lp);
        if (*lp->p == ',')
            lp->p++;
        else if (*lp->p != ')')
            lp->ok = false;
    }
    json_t *r = NULL;
    if (lp->ok) {
        lp->p++;
        r = invoke(fn, args, n);
        if (!r)
            lp->ok = false;
    }
    for (int i = 0; i < n; i++)
        json_decref(args[i]);
    return r;
}

/* Evaluates "call (~> call)*" or "($v := call; $f($v, ...))"; NULL when
 * the expression is not of those shapes. */
static json_t *eval_expr(const char *expr)
{
    lit_parser lp = {expr, true};
    skip_ws(&lp);
    json_t *v = NULL;
    if (*lp.p == '(') {
        const char *assign = strstr(lp.p, ":=");
        const char *semi = assign ? strchr(assign, ';') : NULL;
        if (!semi)
            return NULL;
        char var[32];
        if (sscanf(lp.p, "( $%31[A-Za-z_] :=", var) != 1)
            return NULL;
        lp.p = assign + 2;
        v = parse_call(&lp, NULL);
        skip_ws(&lp);
        if (!lp.ok || *lp.p != ';' || !arg_ok(v)) {
            json_decref(v);
            return NULL;
        }
        lp.p++;
        skip_ws(&lp);
        char head[64];
        const char *fn = lp.p;
        const char *open = strchr(fn, '(');
        snprintf(head, sizeof head, "$%s", var);
        if (!open || strncmp(open + 1, head, strlen(head))) {
            json_decref(v);
            return NULL;
        }
        /* Rewrite $f($v, rest) as a pipe of v into $f(rest). */
        char *rest = strdup(open + 1 + strlen(head));
        char *call = malloc(strlen(rest) + 64);
        const char *r = rest;
        while (*r == ' ' || *r == ',')
            r++;
        snprintf(call, strlen(rest) + 64, "%.*s(%s", (int)(open - fn), fn, r);
        char *close = strrchr(call, ')');
        lp = (lit_parser){call, true};
        if (close) /* drop the block's own ')' */
            *close = '\0';
        json_t *out = parse_call(&lp, v);
        skip_ws(&lp);
        bool whole = lp.ok && *lp.p == '\0';
        free(rest);
        free(call);
        json_decref(v);
        if (!whole) {
            json_decref(out);
            return NULL;
        }
        return out;
    }
    v = parse_call(&lp, NULL);
    for (;;) {
        skip_ws(&lp);
        if (!lp.ok || strncmp(lp.p, "~>", 2))
            break;
        lp.p += 2;
        if (!arg_ok(v))
            break;
        json_t *next = parse_call(&lp, v);
        json_decref(v);
        v = next;
    }
    skip_ws(&lp);
    if (!lp.ok || *lp.p) {
        json_decref(v);
        return NULL;
    }
    return v;
}

static bool matches(json_t *got, json_t *c)
{
    json_t *code = json_object_get(c, "code");
    if (code)
        return json_equal(json_object_get(got, "code"), code);
    if (json_is_true(json_object_get(c, "undefinedResult")))
        return json_object_get(got, "undefined") != NULL;
    json_t *want = json_object_get(c, "result");
    if (json_is_number(want))
        return json_is_number(got) &&
               json_number_value(got) == json_number_value(want);
    return json_equal(got, want);
}

static void run_case(json_t *c, int *pass, int *fail, int *skip)
{
    const char *expr = json_string_value(json_object_get(c, "expr"));
    json_t *got = expr ? eval_expr(expr) : NULL;
    if (!got) {
        if (getenv("SFN_FMT_VERBOSE"))
            printf("  skip %s\n", expr ? expr : "(expr-file)");
        (*skip)++;
        return;
    }
    if (matches(got, c)) {
        (*pass)++;
    } else {
        (*fail)++;
        char *g = json_dumps(got, JSON_ENCODE_ANY);
        printf("  FAIL %s => %s\n", expr, g);
        free(g);
    }
    json_decref(got);
}

static void test_conformance_cases(void **s)
{
    (void)s;
    static const char *const groups[] = {
        "function-formatNumber", "function-formatBase",
        "function-formatInteger", "function-parseInteger",
        "function-fromMillis", "function-tomillis",
        "function-now", "function-millis"};
    const char *shared = getenv("SFN_SHARED");
    if (!shared)
        shared = "/work/shared";
    int pass = 0, fail = 0, skip = 0;
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        char dir[512];
        snprintf(dir, sizeof dir, "%s/conformance/jsonata/groups/%s", shared,
                 groups[g]);
        DIR *d = opendir(dir);
        if (!d)
            continue; /* function-now and function-millis have no cases */
        struct dirent *e;
        while ((e = readdir(d))) {
            size_t len = strlen(e->d_name);
            if (len < 5 || strcmp(e->d_name + len - 5, ".json"))
                continue;
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            json_t *doc = json_load_file(path, 0, NULL);
            assert_non_null(doc);
            if (json_is_array(doc)) {
                size_t i;
                json_t *c;
                json_array_foreach(doc, i, c)
                    run_case(c, &pass, &fail, &skip);
            } else {
                run_case(doc, &pass, &fail, &skip);
            }
            json_decref(doc);
        }
        closedir(d);
    }
    printf("jsonata-fmt: %d passed, %d failed (%d not plain calls)\n", pass,
           fail, skip);
    assert_true(pass >= 300);
    assert_int_equal(fail, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_number_grouping),
        cmocka_unit_test(test_number_rounding_and_padding),
        cmocka_unit_test(test_number_percent_permille),
        cmocka_unit_test(test_number_exponent),
        cmocka_unit_test(test_number_subpictures_and_affixes),
        cmocka_unit_test(test_number_options),
        cmocka_unit_test(test_number_errors),
        cmocka_unit_test(test_base),
        cmocka_unit_test(test_integer_decimal),
        cmocka_unit_test(test_integer_ordinal),
        cmocka_unit_test(test_integer_words),
        cmocka_unit_test(test_integer_roman_letters),
        cmocka_unit_test(test_integer_errors),
        cmocka_unit_test(test_parse_integer),
        cmocka_unit_test(test_from_millis_iso),
        cmocka_unit_test(test_from_millis_numeric_markers),
        cmocka_unit_test(test_from_millis_presentations),
        cmocka_unit_test(test_from_millis_weeks),
        cmocka_unit_test(test_from_millis_timezones),
        cmocka_unit_test(test_from_millis_escapes),
        cmocka_unit_test(test_from_millis_errors),
        cmocka_unit_test(test_now),
        cmocka_unit_test(test_to_millis_iso),
        cmocka_unit_test(test_to_millis_picture),
        cmocka_unit_test(test_to_millis_defaults_from_now),
        cmocka_unit_test(test_to_millis_undefined_and_errors),
        cmocka_unit_test(test_conformance_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
