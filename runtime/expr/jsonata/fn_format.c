/* fn_format.c: integer pictures for JSONata ($formatInteger, $parseInteger,
 * $formatBase) after XPath fn:format-integer, plus the small UTF-8, buffer
 * and English-words helpers that fn_format_number.c and fn_datetime.c share. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonata_fmt.h"

/* ==== Buffers, UTF-8, errors ==== */

void sfn__jn_buf_put(sfn__jn_buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void sfn__jn_buf_str(sfn__jn_buf *b, const char *s)
{
    sfn__jn_buf_put(b, s, strlen(s));
}

void sfn__jn_buf_cp(sfn__jn_buf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    sfn__jn_buf_put(b, u, n);
}

char *sfn__jn_buf_take(sfn__jn_buf *b, sfn_error *err)
{
    if (!b->oom && !b->s)
        sfn__jn_buf_put(b, "", 0);
    if (b->oom) {
        free(b->s);
        b->s = NULL;
        sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory formatting");
        return NULL;
    }
    char *s = b->s;
    b->s = NULL;
    b->len = b->cap = 0;
    return s;
}

uint32_t sfn__jn_utf8_next(const char **pp)
{
    const unsigned char *p = (const unsigned char *)*pp;
    uint32_t cp;
    int extra;
    if (p[0] < 0x80) {
        *pp += 1;
        return p[0];
    }
    if ((p[0] & 0xE0) == 0xC0) {
        cp = p[0] & 0x1F;
        extra = 1;
    } else if ((p[0] & 0xF0) == 0xE0) {
        cp = p[0] & 0x0F;
        extra = 2;
    } else if ((p[0] & 0xF8) == 0xF0) {
        cp = p[0] & 0x07;
        extra = 3;
    } else {
        *pp += 1;
        return 0xFFFD;
    }
    for (int i = 1; i <= extra; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            *pp += i;
            return 0xFFFD;
        }
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    *pp += extra + 1;
    return cp;
}

bool sfn__jn_fail(sfn_error *err, const char *code, const char *fmt, ...)
{
    if (!err)
        return false;
    char msg[SFN_ERROR_CAUSE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sfn_error_set(err, SFN_ERUNTIME, code, -1, "%s", msg);
    return false;
}

/* Zeros of the Unicode decimal digit families (general category Nd). */
static const uint32_t digit_zeros[] = {
    0x30,    0x660,   0x6F0,   0x7C0,   0x966,   0x9E6,   0xA66,   0xAE6,
    0xB66,   0xBE6,   0xC66,   0xCE6,   0xD66,   0xDE6,   0xE50,   0xED0,
    0xF20,   0x1040,  0x1090,  0x17E0,  0x1810,  0x1946,  0x19D0,  0x1A80,
    0x1A90,  0x1B50,  0x1BB0,  0x1C40,  0x1C50,  0xA620,  0xA8D0,  0xA900,
    0xA9D0,  0xA9F0,  0xAA50,  0xABF0,  0xFF10,  0x104A0, 0x10D30, 0x11066,
    0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0,
    0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16B50,
    0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950,
    0x1FBF0,
};

int sfn__jn_digit(uint32_t cp, uint32_t *zero)
{
    for (size_t i = 0; i < sizeof digit_zeros / sizeof digit_zeros[0]; i++)
        if (cp >= digit_zeros[i] && cp <= digit_zeros[i] + 9) {
            if (zero)
                *zero = digit_zeros[i];
            return (int)(cp - digit_zeros[i]);
        }
    return -1;
}

void sfn__jn_int_digits(double v, char *out, size_t cap)
{
    v = fabs(v);
    if (!isfinite(v) || v < 1) {
        snprintf(out, cap, "0");
        return;
    }
    /* Shortest %.Ne that reads back as v, as JavaScript's Number#toString. */
    char e[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, v);
        if (strtod(e, NULL) == v)
            break;
    }
    char mant[24];
    size_t m = 0;
    const char *p = e;
    for (; *p && *p != 'e'; p++)
        if (isdigit((unsigned char)*p) && m < sizeof mant - 1)
            mant[m++] = *p;
    int exp10 = atoi(p + 1);
    size_t len = (size_t)exp10 + 1, i = 0;
    for (; i < len && i + 1 < cap; i++)
        out[i] = i < m ? mant[i] : '0';
    out[i] = '\0';
}

/* ==== English words ==== */

static const char *const small_words[] = {
    "zero",    "one",     "two",       "three",    "four",
    "five",    "six",     "seven",     "eight",    "nine",
    "ten",     "eleven",  "twelve",    "thirteen", "fourteen",
    "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
static const char *const tens_words[] = {"",      "",      "twenty", "thirty",
                                         "forty", "fifty", "sixty",  "seventy",
                                         "eighty", "ninety"};
static const char *const scale_words[] = {"thousand", "million", "billion",
                                          "trillion"};
/* Irregular ordinals; the rest add "th" ("twenty" gives "twentieth"). */
static const char *const ordinal_pairs[][2] = {
    {"one", "first"},   {"two", "second"}, {"three", "third"},
    {"five", "fifth"},  {"eight", "eighth"}, {"nine", "ninth"},
    {"twelve", "twelfth"}};

static void words_below_1000(int n, sfn__jn_buf *b)
{
    if (n >= 100) {
        sfn__jn_buf_str(b, small_words[n / 100]);
        sfn__jn_buf_str(b, " hundred");
        n %= 100;
        if (!n)
            return;
        sfn__jn_buf_str(b, " and ");
    }
    if (n < 20) {
        sfn__jn_buf_str(b, small_words[n]);
        return;
    }
    sfn__jn_buf_str(b, tens_words[n / 10]);
    if (n % 10) {
        sfn__jn_buf_str(b, "-");
        sfn__jn_buf_str(b, small_words[n % 10]);
    }
}

/* Words for the decimal digit string d[0..n) (no leading zeros unless "0").
 * Above the trillions the count of trillions is itself spelled out, which
 * gives "one thousand trillion" and "ten billion trillion trillion". */
static void words_digits(const char *d, size_t n, sfn__jn_buf *b)
{
    while (n > 1 && *d == '0') {
        d++;
        n--;
    }
    if (n <= 3) {
        int v = 0;
        for (size_t i = 0; i < n; i++)
            v = v * 10 + (d[i] - '0');
        words_below_1000(v, b);
        return;
    }
    size_t split = n > 12 ? 12 : n > 9 ? 9 : n > 6 ? 6 : 3;
    words_digits(d, n - split, b);
    sfn__jn_buf_str(b, " ");
    sfn__jn_buf_str(b, scale_words[split / 3 - 1]);
    const char *r = d + n - split;
    size_t rn = split;
    while (rn > 0 && *r == '0') {
        r++;
        rn--;
    }
    if (!rn)
        return;
    sfn__jn_buf_str(b, rn <= 2 ? " and " : ", ");
    words_digits(r, rn, b);
}

static void ordinalize_last_word(sfn__jn_buf *b)
{
    size_t start = b->len;
    while (start > 0 && b->s[start - 1] != ' ' && b->s[start - 1] != '-')
        start--;
    const char *w = b->s + start;
    for (size_t i = 0; i < sizeof ordinal_pairs / sizeof ordinal_pairs[0];
         i++)
        if (!strcmp(w, ordinal_pairs[i][0])) {
            b->len = start;
            sfn__jn_buf_str(b, ordinal_pairs[i][1]);
            return;
        }
    if (b->len - start > 1 && b->s[b->len - 1] == 'y') {
        b->len--;
        sfn__jn_buf_str(b, "ieth");
        return;
    }
    sfn__jn_buf_str(b, "th");
}

static void apply_case(char *s, size_t n, int letter_case)
{
    bool word_start = true;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (letter_case == SFN_JN_CASE_UPPER)
            s[i] = (char)toupper(c);
        else if (letter_case == SFN_JN_CASE_TITLE && word_start &&
                 isalpha(c) && strncmp(s + i, "and ", 4) != 0)
            s[i] = (char)toupper(c);
        word_start = !isalpha(c);
    }
}

/* Value of one number word (cardinal or ordinal), -1 if not one. */
static double word_value(const char *w, size_t n)
{
    char buf[32];
    if (n == 0 || n >= sizeof buf)
        return -1;
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)tolower((unsigned char)w[i]);
    buf[n] = '\0';
    for (size_t i = 0; i < sizeof ordinal_pairs / sizeof ordinal_pairs[0];
         i++)
        if (!strcmp(buf, ordinal_pairs[i][1]))
            snprintf(buf, sizeof buf, "%s", ordinal_pairs[i][0]);
    size_t len = strlen(buf);
    if (len > 4 && !strcmp(buf + len - 4, "ieth"))
        snprintf(buf + len - 4, sizeof buf - (len - 4), "y");
    else if (len > 2 && !strcmp(buf + len - 2, "th") &&
             strcmp(buf, "eighth") != 0)
        buf[len - 2] = '\0';
    for (int i = 0; i < 20; i++)
        if (!strcmp(buf, small_words[i]))
            return i;
    for (int i = 2; i < 10; i++)
        if (!strcmp(buf, tens_words[i]))
            return i * 10;
    if (!strcmp(buf, "hundred"))
        return 100;
    for (int i = 0; i < 4; i++)
        if (!strcmp(buf, scale_words[i]))
            return pow(1000, i + 1);
    return -1;
}

/* Sum of small words, multiplied out at the last occurrence of the largest
 * multiplier word (hundred and up), recursively on both sides. */
static double words_eval(const double *vals, size_t n)
{
    if (n == 0)
        return 0;
    size_t big = n;
    for (size_t i = 0; i < n; i++)
        if (vals[i] >= 100 && (big == n || vals[i] >= vals[big]))
            big = i;
    if (big == n) {
        double sum = 0;
        for (size_t i = 0; i < n; i++)
            sum += vals[i];
        return sum;
    }
    double left = big ? words_eval(vals, big) : 1;
    return left * vals[big] + words_eval(vals + big + 1, n - big - 1);
}

static bool words_scan(const char *s, size_t n, double *out)
{
    double vals[256];
    size_t nv = 0, i = 0;
    while (i < n) {
        if (s[i] == ' ' || s[i] == ',' || s[i] == '-') {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && isalpha((unsigned char)s[j]))
            j++;
        if (j == i)
            return false;
        if (!(j - i == 3 && !strncasecmp(s + i, "and", 3))) {
            double v = word_value(s + i, j - i);
            if (v < 0 || nv == sizeof vals / sizeof vals[0])
                return false;
            vals[nv++] = v;
        }
        i = j;
    }
    if (nv == 0)
        return false;
    *out = words_eval(vals, nv);
    return true;
}

/* ==== Roman numerals and letters ==== */

static const struct {
    int v;
    const char *s;
} roman_table[] = {{1000, "m"}, {900, "cm"}, {500, "d"}, {400, "cd"},
                   {100, "c"},  {90, "xc"},  {50, "l"},  {40, "xl"},
                   {10, "x"},   {9, "ix"},   {5, "v"},   {4, "iv"},
                   {1, "i"}};

static void roman_render(double v, sfn__jn_buf *b)
{
    if (v > 1e6) { /* a million 'm's is the sane limit; beyond, digits */
        char digits[512];
        sfn__jn_int_digits(v, digits, sizeof digits);
        sfn__jn_buf_str(b, digits);
        return;
    }
    for (size_t i = 0; i < sizeof roman_table / sizeof roman_table[0]; i++)
        while (v >= roman_table[i].v) {
            sfn__jn_buf_str(b, roman_table[i].s);
            v -= roman_table[i].v;
        }
}

static int roman_digit(char c)
{
    switch (tolower((unsigned char)c)) {
    case 'i': return 1;
    case 'v': return 5;
    case 'x': return 10;
    case 'l': return 50;
    case 'c': return 100;
    case 'd': return 500;
    case 'm': return 1000;
    default: return -1;
    }
}

static bool roman_scan(const char *s, size_t n, double *out)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        int d = roman_digit(s[i]);
        if (d < 0)
            return false;
        int next = i + 1 < n ? roman_digit(s[i + 1]) : 0;
        sum += next > d ? -d : d;
    }
    *out = sum;
    return true;
}

/* Bijective base 26: 1 = a, 26 = z, 27 = aa. */
static void alpha_render(double v, sfn__jn_buf *b)
{
    char tmp[64];
    size_t n = 0;
    while (v > 0 && n < sizeof tmp) {
        double q = floor((v - 1) / 26);
        tmp[n++] = (char)('a' + (int)(v - 1 - q * 26));
        v = q;
    }
    while (n > 0)
        sfn__jn_buf_put(b, &tmp[--n], 1);
}

static bool alpha_scan(const char *s, size_t n, double *out)
{
    double v = 0;
    for (size_t i = 0; i < n; i++) {
        int c = tolower((unsigned char)s[i]);
        if (c < 'a' || c > 'z')
            return false;
        v = v * 26 + (c - 'a' + 1);
    }
    *out = v;
    return true;
}

/* ==== Integer pictures ==== */

static bool decimal_parse(const char *p, size_t n, sfn__jn_intpic *pic,
                          sfn_error *err)
{
    uint32_t cps[256];
    size_t ncp = 0;
    const char *end = p + n;
    while (p < end) {
        if (ncp == sizeof cps / sizeof cps[0])
            return sfn__jn_fail(err, "D3130", "integer picture is too long");
        cps[ncp++] = sfn__jn_utf8_next(&p);
    }
    bool have_family = false;
    int positions = 0;
    for (size_t k = ncp; k-- > 0;) {
        uint32_t zero;
        uint32_t cp = cps[k];
        if (sfn__jn_digit(cp, &zero) >= 0) {
            if (have_family && zero != pic->zero)
                return sfn__jn_fail(err, "D3131",
                                    "in a decimal digit pattern, all digits "
                                    "must be from the same decimal group");
            pic->zero = zero;
            have_family = true;
            pic->mandatory++;
            positions++;
        } else if (cp == '#') {
            pic->optional++;
            positions++;
        } else if (pic->ngroups < SFN_JN_GROUPS_MAX) {
            pic->group_pos[pic->ngroups] = positions;
            pic->group_sep[pic->ngroups++] = cp;
        }
    }
    if (!have_family)
        return sfn__jn_fail(err, "D3130",
                            "integer picture '%.*s' is neither a name format "
                            "(A a I i W w Ww) nor a decimal digit pattern "
                            "with at least one digit",
                            (int)n, end - n);
    /* Separators all alike at N, 2N, 3N... repeat every N digits. */
    int first = pic->ngroups ? pic->group_pos[0] : 0;
    bool regular = first > 0;
    for (int i = 0; regular && i < pic->ngroups; i++)
        regular = pic->group_sep[i] == pic->group_sep[0] &&
                  pic->group_pos[i] == first * (i + 1);
    pic->interval = regular ? first : 0;
    return true;
}

bool sfn__jn_intpic_parse(const char *primary, size_t n, bool ordinal,
                          sfn__jn_intpic *pic, sfn_error *err)
{
    memset(pic, 0, sizeof *pic);
    pic->ordinal = ordinal;
    static const struct {
        const char *tok;
        int kind, letter_case;
    } names[] = {{"a", SFN_JN_INT_ALPHA, SFN_JN_CASE_LOWER},
                 {"A", SFN_JN_INT_ALPHA, SFN_JN_CASE_UPPER},
                 {"i", SFN_JN_INT_ROMAN, SFN_JN_CASE_LOWER},
                 {"I", SFN_JN_INT_ROMAN, SFN_JN_CASE_UPPER},
                 {"w", SFN_JN_INT_WORDS, SFN_JN_CASE_LOWER},
                 {"W", SFN_JN_INT_WORDS, SFN_JN_CASE_UPPER},
                 {"Ww", SFN_JN_INT_WORDS, SFN_JN_CASE_TITLE}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].tok) == n && !strncmp(primary, names[i].tok, n)) {
            pic->kind = names[i].kind;
            pic->letter_case = names[i].letter_case;
            return true;
        }
    pic->kind = SFN_JN_INT_DECIMAL;
    return decimal_parse(primary, n, pic, err);
}

static const char *english_suffix(const char *digits)
{
    size_t n = strlen(digits);
    int last = digits[n - 1] - '0';
    int tens = n > 1 ? digits[n - 2] - '0' : 0;
    if (tens == 1)
        return "th";
    return last == 1 ? "st" : last == 2 ? "nd" : last == 3 ? "rd" : "th";
}

static bool group_before(const sfn__jn_intpic *pic, int pos, uint32_t *sep)
{
    if (pic->interval > 0) {
        *sep = pic->group_sep[0];
        return pos % pic->interval == 0;
    }
    for (int i = 0; i < pic->ngroups; i++)
        if (pic->group_pos[i] == pos) {
            *sep = pic->group_sep[i];
            return true;
        }
    return false;
}

static void decimal_render(const char *digits, const sfn__jn_intpic *pic,
                           sfn__jn_buf *out)
{
    int len = (int)strlen(digits);
    int width = len > pic->mandatory ? len : pic->mandatory;
    for (int i = 0; i < width; i++) {
        int pos = width - i; /* digits from here to the right end */
        uint32_t sep;
        if (i > 0 && group_before(pic, pos, &sep))
            sfn__jn_buf_cp(out, sep);
        int d = i < width - len ? 0 : digits[i - (width - len)] - '0';
        sfn__jn_buf_cp(out, pic->zero + (uint32_t)d);
    }
    /* A separator placed after the last digit position stays there. */
    uint32_t sep;
    if (pic->interval == 0 && group_before(pic, 0, &sep))
        sfn__jn_buf_cp(out, sep);
    if (pic->ordinal)
        sfn__jn_buf_str(out, english_suffix(digits));
}

void sfn__jn_intpic_render(double v, const sfn__jn_intpic *pic,
                           sfn__jn_buf *out)
{
    v = floor(v);
    if (v < 0) {
        sfn__jn_buf_str(out, "-");
        v = -v;
    }
    char digits[512];
    sfn__jn_int_digits(v, digits, sizeof digits);
    size_t start = out->len;
    switch (pic->kind) {
    case SFN_JN_INT_DECIMAL:
        decimal_render(digits, pic, out);
        return;
    case SFN_JN_INT_ALPHA:
        alpha_render(v, out);
        break;
    case SFN_JN_INT_ROMAN:
        roman_render(v, out);
        break;
    default:
        words_digits(digits, strlen(digits), out);
        if (pic->ordinal && !out->oom)
            ordinalize_last_word(out);
        break;
    }
    if (!out->oom)
        apply_case(out->s + start, out->len - start, pic->letter_case);
}

static bool decimal_scan(const char *s, size_t n, const sfn__jn_intpic *pic,
                         double *out)
{
    const char *p = s, *end = s + n;
    bool neg = false, any = false;
    double v = 0;
    if (p < end && *p == '-') {
        neg = true;
        p++;
    }
    while (p < end) {
        const char *at = p;
        uint32_t cp = sfn__jn_utf8_next(&p);
        uint32_t zero;
        int d = sfn__jn_digit(cp, &zero);
        if (d >= 0 && zero == pic->zero) {
            v = v * 10 + d;
            any = true;
            continue;
        }
        bool is_sep = false;
        for (int i = 0; i < pic->ngroups; i++)
            is_sep = is_sep || pic->group_sep[i] == cp;
        if (is_sep && any)
            continue;
        p = at;
        break;
    }
    if (!any)
        return false;
    if (pic->ordinal) {
        static const char *const sfx[] = {"st", "nd", "rd", "th"};
        bool ok = false;
        for (int i = 0; i < 4 && !ok; i++)
            ok = end - p >= 2 && !strncasecmp(p, sfx[i], 2);
        if (!ok)
            return false;
        p += 2;
    }
    if (p != end)
        return false;
    *out = neg ? -v : v;
    return true;
}

bool sfn__jn_intpic_scan(const char *text, size_t n, const sfn__jn_intpic *pic,
                         double *out)
{
    switch (pic->kind) {
    case SFN_JN_INT_DECIMAL:
        return decimal_scan(text, n, pic, out);
    case SFN_JN_INT_ALPHA:
        return alpha_scan(text, n, out);
    case SFN_JN_INT_ROMAN:
        return roman_scan(text, n, out);
    default:
        return words_scan(text, n, out);
    }
}

/* ==== The JSONata functions ==== */

/* Splits "primary;modifier" at the last ';'; the modifier 'o' (optionally
 * with a parenthesised variant) asks for an ordinal. */
static bool picture_split(const char *picture, sfn__jn_intpic *pic,
                          sfn_error *err)
{
    const char *semi = strrchr(picture, ';');
    size_t n = semi ? (size_t)(semi - picture) : strlen(picture);
    bool ordinal = semi && semi[1] == 'o';
    return sfn__jn_intpic_parse(picture, n, ordinal, pic, err);
}

char *sfn__jn_format_integer(double v, const char *picture, sfn_error *err)
{
    if (!isfinite(v)) {
        sfn__jn_fail(err, "D3130", "$formatInteger: cannot format %s",
                     isnan(v) ? "NaN" : "an infinite number");
        return NULL;
    }
    sfn__jn_intpic pic;
    if (!picture_split(picture, &pic, err))
        return NULL;
    sfn__jn_buf b = {0};
    sfn__jn_intpic_render(v, &pic, &b);
    return sfn__jn_buf_take(&b, err);
}

bool sfn__jn_parse_integer(const char *s, const char *picture, double *out,
                           bool *undefined, sfn_error *err)
{
    sfn__jn_intpic pic;
    *undefined = false;
    if (!picture_split(picture, &pic, err))
        return false;
    size_t n = strlen(s);
    if (pic.kind == SFN_JN_INT_ROMAN && n == 0) {
        *out = 0;
        return true;
    }
    /* Like jsonata-js, ignore anything after a leading run of digits. */
    if (pic.kind == SFN_JN_INT_DECIMAL && !pic.ordinal) {
        const char *p = s, *stop = s;
        if (*p == '-')
            p++;
        while (*p) {
            uint32_t zero, cp = sfn__jn_utf8_next(&p);
            bool sep = false;
            for (int i = 0; i < pic.ngroups; i++)
                sep = sep || pic.group_sep[i] == cp;
            if (!sep && !(sfn__jn_digit(cp, &zero) >= 0 && zero == pic.zero))
                break;
            stop = p;
        }
        n = (size_t)(stop - s);
    }
    if (!sfn__jn_intpic_scan(s, n, &pic, out))
        *undefined = true;
    return true;
}

/* Round half to even, as JSONata's $round. */
static double round_half_even(double v)
{
    double r = round(v);
    if (fabs(v - trunc(v)) == 0.5 && fmod(r, 2) != 0)
        r -= copysign(1, v);
    return r;
}

char *sfn__jn_format_base(double v, double radix, sfn_error *err)
{
    if (isnan(radix))
        radix = 10;
    radix = round_half_even(radix);
    if (radix < 2 || radix > 36) {
        sfn__jn_fail(err, "D3100",
                     "$formatBase: the radix must be between 2 and 36, "
                     "got %g", radix);
        return NULL;
    }
    if (!isfinite(v)) {
        sfn__jn_fail(err, "D3100", "$formatBase: cannot format %s",
                     isnan(v) ? "NaN" : "an infinite number");
        return NULL;
    }
    v = round_half_even(v);
    char tmp[1100];
    size_t n = 0;
    double a = fabs(v);
    int base = (int)radix;
    do {
        double q = floor(a / base);
        int d = (int)(a - q * base);
        tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        a = q;
    } while (a >= 1 && n < sizeof tmp - 2);
    if (v < 0)
        tmp[n++] = '-';
    sfn__jn_buf b = {0};
    while (n > 0)
        sfn__jn_buf_put(&b, &tmp[--n], 1);
    return sfn__jn_buf_take(&b, err);
}
