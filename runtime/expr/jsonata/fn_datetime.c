/* fn_datetime.c: JSONata $fromMillis / $now (XPath fn:format-dateTime
 * pictures) and $toMillis (ISO 8601, or a picture read backwards as
 * jsonata-js's parseDateTime does), all in proleptic Gregorian UTC maths. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "jsonata_fmt.h"

#define MS_PER_DAY 86400000.0
#define MARKERS_MAX 64
#define LITERAL_MAX 256

static const char *const month_names[] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};
static const char *const day_names[] = {"Monday",   "Tuesday", "Wednesday",
                                        "Thursday", "Friday",  "Saturday",
                                        "Sunday"};

/* ==== Calendar ==== */

/* Days since 1970-01-01 of a proleptic Gregorian date; month/day may
 * overflow (day 0 is the last of the previous month), as JavaScript's Date. */
static double days_from_civil(double y, double m, double d)
{
    double mz = m - 1;
    y += floor(mz / 12);
    mz -= 12 * floor(mz / 12);
    /* Count from March so the leap day is the last day of the year. */
    double yy = mz < 2 ? y - 1 : y;
    double mm = mz < 2 ? mz + 10 : mz - 2;
    double era = floor(yy / 400);
    double yoe = yy - era * 400;
    double doy = floor((153 * mm + 2) / 5) + d - 1;
    double doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy;
    return era * 146097 + doe - 719468;
}

typedef struct {
    int year, month, day;   /* month 1-12 */
    int doy, dow;           /* day of year 1-366; ISO weekday 1 = Monday */
    int hour, minute, second, ms;
    int iso_year, iso_week; /* [X] [W] */
    int wom_month, wom;     /* [x] [w]: month owning the week, week in it */
    int offset_min;
} civil;

static void civil_from_days(double days, int *y, int *m, int *d)
{
    double z = days + 719468;
    double era = floor(z / 146097);
    double doe = z - era * 146097;
    double yoe = floor((doe - floor(doe / 1460) + floor(doe / 36524) -
                        floor(doe / 146096)) / 365);
    double doy = doe - (365 * yoe + floor(yoe / 4) - floor(yoe / 100));
    double mp = floor((5 * doy + 2) / 153);
    *d = (int)(doy - floor((153 * mp + 2) / 5) + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static void civil_from_ms(double ms, int offset_min, civil *c)
{
    double local = ms + offset_min * 60000.0;
    double days = floor(local / MS_PER_DAY);
    double rem = local - days * MS_PER_DAY;
    civil_from_days(days, &c->year, &c->month, &c->day);
    c->doy = (int)(days - days_from_civil(c->year, 1, 1)) + 1;
    c->dow = (int)fmod(days + 3, 7.0);
    if (c->dow < 0)
        c->dow += 7;
    c->dow += 1;
    c->hour = (int)(rem / 3600000);
    c->minute = (int)(fmod(rem, 3600000) / 60000);
    c->second = (int)(fmod(rem, 60000) / 1000);
    c->ms = (int)fmod(rem, 1000);
    c->offset_min = offset_min;
    /* A week (Monday-Sunday) belongs to the year and month of its Thursday. */
    double thu = days - (c->dow - 1) + 3;
    int ty, tm, td;
    civil_from_days(thu, &ty, &tm, &td);
    c->iso_year = ty;
    c->iso_week = (int)((thu - days_from_civil(ty, 1, 1)) / 7) + 1;
    c->wom_month = tm;
    c->wom = (td - 1) / 7 + 1;
}

/* ==== Picture strings ==== */

enum { NAME_NONE, NAME_UPPER, NAME_LOWER, NAME_TITLE };

typedef struct {
    char comp;            /* 0 for literal text */
    char lit[LITERAL_MAX];
    size_t lit_len;
    char pres[64];        /* presentation modifier, whitespace removed */
    bool pres_given, ordinal, zulu;
    int name;             /* NAME_* */
    int min_w, max_w;     /* -1 when absent or '*' */
    sfn__jn_intpic ipic;
} marker;

typedef struct {
    marker m[MARKERS_MAX];
    int n;
} picture;

static const char *default_pres(char comp)
{
    switch (comp) {
    case 'F': case 'P': case 'C': case 'E': return "n";
    case 'm': case 's': return "01";
    case 'Z': case 'z': return "01:01";
    default: return "1";
    }
}

static marker *add_marker(picture *pic, sfn_error *err)
{
    if (pic->n == MARKERS_MAX) {
        sfn__jn_fail(err, "D3135", "date/time picture has too many parts");
        return NULL;
    }
    marker *m = &pic->m[pic->n++];
    memset(m, 0, sizeof *m);
    m->min_w = m->max_w = -1;
    return m;
}

static bool add_literal(picture *pic, char c, sfn_error *err)
{
    marker *m = pic->n ? &pic->m[pic->n - 1] : NULL;
    if (!m || m->comp || m->lit_len + 1 >= LITERAL_MAX)
        if (!(m = add_marker(pic, err)))
            return false;
    m->lit[m->lit_len++] = c;
    return true;
}

static int width_value(const char *s, size_t n)
{
    if (n == 1 && *s == '*')
        return -1;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -2;
        v = v * 10 + (s[i] - '0');
    }
    return n ? v : -2;
}

/* Splits ",min-max" off the end of the modifier text when it reads so. */
static void parse_width(marker *m, char *body)
{
    char *comma = strrchr(body, ',');
    if (!comma)
        return;
    char *w = comma + 1, *dash = strchr(w, '-');
    size_t n1 = dash ? (size_t)(dash - w) : strlen(w);
    int mn = width_value(w, n1);
    int mx = dash ? width_value(dash + 1, strlen(dash + 1)) : -1;
    if (mn == -2 || mx == -2)
        return;
    m->min_w = mn;
    m->max_w = mx;
    *comma = '\0';
}

static bool is_name_comp(char c)
{
    return strchr("MxFPCE", c) != NULL;
}

static bool parse_marker(marker *m, const char *body, size_t n, sfn_error *err)
{
    char text[128];
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < sizeof text; i++)
        if (!isspace((unsigned char)body[i]))
            text[k++] = body[i];
    text[k] = '\0';
    if (!k || !strchr("YMDdFWwXxHhPmsfZzCE", text[0]))
        return sfn__jn_fail(err, "D3132",
                            "unknown component specifier '%.*s' in date/time "
                            "picture", k ? 1 : 0, text);
    m->comp = text[0];
    parse_width(m, text + 1);
    size_t pl = strlen(text + 1);
    snprintf(m->pres, sizeof m->pres, "%s", text + 1);
    if (pl > 1 && (m->pres[pl - 1] == 'o' || m->pres[pl - 1] == 'c')) {
        m->ordinal = m->pres[pl - 1] == 'o';
        m->pres[--pl] = '\0';
    } else if (pl > 0 && m->pres[pl - 1] == 't' && strchr("Zz", m->comp)) {
        m->zulu = true;
        m->pres[--pl] = '\0';
    }
    m->pres_given = pl > 0;
    if (!pl)
        snprintf(m->pres, sizeof m->pres, "%s", default_pres(m->comp));
    if (!strcmp(m->pres, "N"))
        m->name = NAME_UPPER;
    else if (!strcmp(m->pres, "n"))
        m->name = NAME_LOWER;
    else if (!strcmp(m->pres, "Nn"))
        m->name = NAME_TITLE;
    if (m->name && !is_name_comp(m->comp))
        return sfn__jn_fail(err, "D3133",
                            "the 'name' modifier is not supported for the "
                            "'%c' component", m->comp);
    if (m->name || strchr("Zz", m->comp) || strchr("CE", m->comp))
        return true;
    if (!sfn__jn_intpic_parse(m->pres, strlen(m->pres), m->ordinal, &m->ipic,
                              err))
        return false;
    if (m->ipic.kind == SFN_JN_INT_DECIMAL && m->min_w > m->ipic.mandatory)
        m->ipic.mandatory = m->min_w;
    return true;
}

static bool parse_picture(const char *s, picture *pic, sfn_error *err)
{
    pic->n = 0;
    /* An unclosed marker is reported before anything inside markers. */
    for (const char *p = s; *p; p++) {
        if (p[0] == '[' && p[1] == '[') {
            p++;
        } else if (*p == '[') {
            if (!(p = strchr(p, ']')))
                return sfn__jn_fail(err, "D3135",
                                    "no matching closing bracket ']' in "
                                    "date/time picture '%s'", s);
        }
    }
    for (const char *p = s; *p;) {
        if ((p[0] == '[' && p[1] == '[') || (p[0] == ']' && p[1] == ']')) {
            if (!add_literal(pic, p[0], err))
                return false;
            p += 2;
        } else if (*p == '[') {
            const char *close = strchr(p, ']');
            if (!close)
                return sfn__jn_fail(err, "D3135",
                                    "no matching closing bracket ']' in "
                                    "date/time picture '%s'", s);
            marker *m = add_marker(pic, err);
            if (!m || !parse_marker(m, p + 1, (size_t)(close - p - 1), err))
                return false;
            p = close + 1;
        } else {
            if (!add_literal(pic, *p, err))
                return false;
            p++;
        }
    }
    return true;
}

/* ==== Formatting ==== */

static void put_name(sfn__jn_buf *b, const char *name, const marker *m)
{
    size_t n = strlen(name);
    if (m->max_w > 0 && (size_t)m->max_w < n)
        n = (size_t)m->max_w;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)name[i];
        if (m->name == NAME_UPPER)
            c = toupper(c);
        else if (m->name == NAME_LOWER)
            c = tolower(c);
        else
            c = i == 0 ? toupper(c) : tolower(c);
        char ch = (char)c;
        sfn__jn_buf_put(b, &ch, 1);
    }
}

static void put_padded(sfn__jn_buf *b, int v, int width)
{
    char d[16];
    int n = snprintf(d, sizeof d, "%d", v);
    for (int i = n; i < width; i++)
        sfn__jn_buf_str(b, "0");
    sfn__jn_buf_str(b, d);
}

static bool put_offset(sfn__jn_buf *b, const marker *m, int off,
                       sfn_error *err)
{
    if (m->comp == 'z')
        sfn__jn_buf_str(b, "GMT");
    if (m->zulu && off == 0) {
        sfn__jn_buf_str(b, "Z");
        return true;
    }
    int digits = 0, sep_at = -1;
    const char *p = m->pres;
    while (*p) {
        const char *at = p;
        uint32_t cp = sfn__jn_utf8_next(&p);
        if (sfn__jn_digit(cp, NULL) >= 0)
            digits++;
        else if (sep_at < 0)
            sep_at = (int)(at - m->pres);
    }
    if (digits > 4)
        return sfn__jn_fail(err, "D3134",
                            "the timezone integer format specifier '%s' "
                            "cannot have more than four digits", m->pres);
    int a = abs(off), hh = a / 60, mm = a % 60;
    sfn__jn_buf_str(b, off < 0 ? "-" : "+");
    if (sep_at >= 0) {
        /* Hours as wide as the digits before the separator, then it. */
        const char *sp = m->pres + sep_at, *after = sp;
        sfn__jn_utf8_next(&after);
        put_padded(b, hh, sep_at);
        sfn__jn_buf_put(b, sp, (size_t)(after - sp));
        put_padded(b, mm, 2);
    } else if (digits <= 2) {
        put_padded(b, hh, digits);
        if (mm) {
            sfn__jn_buf_str(b, ":");
            put_padded(b, mm, 2);
        }
    } else {
        put_padded(b, hh, digits - 2);
        put_padded(b, mm, 2);
    }
    return true;
}

static double component_value(const civil *c, char comp)
{
    switch (comp) {
    case 'Y': return c->year;
    case 'M': return c->month;
    case 'D': return c->day;
    case 'd': return c->doy;
    case 'F': return c->dow;
    case 'W': return c->iso_week;
    case 'X': return c->iso_year;
    case 'w': return c->wom;
    case 'x': return c->wom_month;
    case 'H': return c->hour;
    case 'h': return c->hour % 12 ? c->hour % 12 : 12;
    case 'm': return c->minute;
    case 's': return c->second;
    default: return c->ms;
    }
}

/* [Y,2] and [Y01,2-2] keep the last digits; an explicit digit pattern
 * without a maximum width ([Y0001,2]) keeps the whole year. */
static void put_year(sfn__jn_buf *b, const marker *m, size_t start)
{
    int keep = m->max_w > 0 ? m->max_w : !m->pres_given ? m->min_w : -1;
    if (keep <= 0 || m->ipic.kind != SFN_JN_INT_DECIMAL || b->oom)
        return;
    size_t len = b->len - start;
    if (len > (size_t)keep) {
        memmove(b->s + start, b->s + b->len - keep, (size_t)keep + 1);
        b->len = start + (size_t)keep;
    }
}

static bool put_marker(sfn__jn_buf *b, const marker *m, const civil *c,
                       sfn_error *err)
{
    if (strchr("Zz", m->comp))
        return put_offset(b, m, c->offset_min, err);
    if (strchr("CE", m->comp)) {
        put_name(b, "ISO", &(marker){.name = NAME_UPPER, .max_w = -1});
        return true;
    }
    if (m->name) {
        if (m->comp == 'M' || m->comp == 'x')
            put_name(b, month_names[(int)component_value(c, m->comp) - 1], m);
        else if (m->comp == 'F')
            put_name(b, day_names[c->dow - 1], m);
        else
            put_name(b, c->hour < 12 ? "am" : "pm", m);
        return true;
    }
    if (m->comp == 'P') {
        sfn__jn_buf_str(b, c->hour < 12 ? "am" : "pm");
        return true;
    }
    size_t start = b->len;
    sfn__jn_intpic_render(component_value(c, m->comp), &m->ipic, b);
    if (m->comp == 'Y')
        put_year(b, m, start);
    return true;
}

/* "+HHMM", "-HHMM" or "HHMM" to minutes east of UTC. */
static bool parse_tz(const char *tz, int *out, sfn_error *err)
{
    int sign = 1;
    const char *p = tz;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    size_t n = strlen(p);
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)p[i]))
            n = 0;
    if (n < 1 || n > 4)
        return sfn__jn_fail(err, "D3110",
                            "the timezone '%s' must be in the form +HHMM or "
                            "-HHMM", tz);
    int v = atoi(p);
    *out = sign * (n > 2 ? (v / 100) * 60 + v % 100 : v * 60);
    return true;
}

char *sfn__jn_from_millis(double ms, const char *picture_text, const char *tz,
                          sfn_error *err)
{
    if (!isfinite(ms) || fabs(ms) > 8.64e15) {
        sfn__jn_fail(err, "D3110", "$fromMillis: %g is not a valid time", ms);
        return NULL;
    }
    int off = 0;
    if (tz && !parse_tz(tz, &off, err))
        return NULL;
    picture *pic = malloc(sizeof *pic);
    if (!pic) {
        sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
        return NULL;
    }
    const char *text = picture_text ? picture_text
                                    : "[Y0001]-[M01]-[D01]T[H01]:[m01]:"
                                      "[s01].[f001][Z01:01t]";
    sfn__jn_buf b = {0};
    bool ok = parse_picture(text, pic, err);
    civil c;
    civil_from_ms(floor(ms), off, &c);
    for (int i = 0; ok && i < pic->n; i++)
        if (pic->m[i].comp)
            ok = put_marker(&b, &pic->m[i], &c, err);
        else
            sfn__jn_buf_put(&b, pic->m[i].lit, pic->m[i].lit_len);
    free(pic);
    if (!ok) {
        free(b.s);
        return NULL;
    }
    return sfn__jn_buf_take(&b, err);
}

char *sfn__jn_now(double now_ms, const char *picture, const char *tz,
                  sfn_error *err)
{
    return sfn__jn_from_millis(now_ms, picture, tz, err);
}

/* ==== ISO 8601 parsing ==== */

static bool read_num(const char **p, int digits, int *out)
{
    int v = 0;
    for (int i = 0; i < digits; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += digits;
    *out = v;
    return true;
}

/* YYYY[-MM[-DD[THH:MM:SS[.f+]]]][Z|±HH[:]MM]; false if s is not one. */
static bool iso_parse(const char *s, double *out)
{
    const char *p = s;
    int y, mo = 1, d = 1, h = 0, mi = 0, sec = 0, off = 0;
    double frac = 0;
    if (!read_num(&p, 4, &y))
        return false;
    if (*p == '-' && !(p++, read_num(&p, 2, &mo)))
        return false;
    if (*p == '-' && !(p++, read_num(&p, 2, &d)))
        return false;
    if (*p == 'T') {
        p++;
        if (!read_num(&p, 2, &h) || *p++ != ':' || !read_num(&p, 2, &mi) ||
            *p++ != ':' || !read_num(&p, 2, &sec))
            return false;
        if (*p == '.') {
            double scale = 0.1;
            if (!isdigit((unsigned char)*++p))
                return false;
            for (; isdigit((unsigned char)*p); p++, scale /= 10)
                frac += (*p - '0') * scale;
        }
    }
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (!read_num(&p, 2, &oh))
            return false;
        if (*p == ':')
            p++;
        if (!read_num(&p, 2, &om))
            return false;
        off = sign * (oh * 60 + om);
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59 ||
        sec > 59)
        return false;
    *out = days_from_civil(y, mo, d) * MS_PER_DAY + h * 3600000.0 +
           mi * 60000.0 + sec * 1000.0 + floor(frac * 1000 + 1e-6) -
           off * 60000.0;
    return true;
}

/* ==== Picture parsing (toMillis with a picture) ==== */

typedef struct {
    const picture *pic;
    const char *text;
    size_t len;
    double val[MARKERS_MAX];
    int fdigits;  /* digits read for [f] */
    int pm;       /* [P]: 0 am, 1 pm, -1 absent */
} matcher;

static bool match_from(matcher *mt, int i, size_t pos);

static bool name_at(const char *s, size_t n, const char *name, int max_w,
                    size_t *len)
{
    size_t full = strlen(name);
    size_t want = max_w > 0 && (size_t)max_w < full ? (size_t)max_w : full;
    if (n >= want && !strncasecmp(s, name, want)) {
        *len = want;
        return true;
    }
    return false;
}

static bool try_names(matcher *mt, int i, size_t pos, const char *const *names,
                      int count, int base)
{
    const marker *m = &mt->pic->m[i];
    for (int k = 0; k < count; k++) {
        size_t len;
        if (name_at(mt->text + pos, mt->len - pos, names[k], m->max_w, &len)) {
            mt->val[i] = base + k;
            if (match_from(mt, i + 1, pos + len))
                return true;
        }
    }
    return false;
}

static bool offset_text(const char *s, size_t n, double *out)
{
    if (n == 1 && *s == 'Z') {
        *out = 0;
        return true;
    }
    if (n < 2 || (*s != '+' && *s != '-'))
        return false;
    int sign = *s == '-' ? -1 : 1, d[4], nd = 0;
    bool colon = false;
    for (size_t i = 1; i < n; i++) {
        if (s[i] == ':' && !colon && nd > 0) {
            colon = true;
            continue;
        }
        if (!isdigit((unsigned char)s[i]) || nd == 4)
            return false;
        d[nd++] = s[i] - '0';
    }
    int hours, minutes = 0;
    if (colon || nd <= 2) {
        const char *c = memchr(s, ':', n);
        int hd = c ? (int)(c - s - 1) : nd;
        hours = hd == 2 ? d[0] * 10 + d[1] : d[0];
        if (c)
            minutes = nd - hd == 2 ? d[hd] * 10 + d[hd + 1] : -1;
        if (minutes < 0 || hd < 1 || hd > 2)
            return false;
    } else {
        hours = nd == 4 ? d[0] * 10 + d[1] : d[0];
        minutes = d[nd - 2] * 10 + d[nd - 1];
    }
    *out = sign * (hours * 60 + minutes);
    return true;
}

static bool digits_only(const char *s, size_t n, int *count)
{
    *count = 0;
    for (const char *p = s; p < s + n;) {
        if (sfn__jn_digit(sfn__jn_utf8_next(&p), NULL) >= 0)
            (*count)++;
    }
    return true;
}

/* Tries every length the marker could take at pos, longest first. */
static bool try_marker(matcher *mt, int i, size_t pos)
{
    const marker *m = &mt->pic->m[i];
    const char *s = mt->text + pos;
    size_t rest = mt->len - pos;
    if (m->name && (m->comp == 'M' || m->comp == 'x'))
        return try_names(mt, i, pos, month_names, 12, 1);
    if (m->name && m->comp == 'F')
        return try_names(mt, i, pos, day_names, 7, 1);
    if (m->comp == 'P') {
        static const char *const ampm[] = {"am", "pm"};
        return try_names(mt, i, pos, ampm, 2, 0);
    }
    if (m->comp == 'C' || m->comp == 'E') {
        static const char *const iso[] = {"ISO"};
        return try_names(mt, i, pos, iso, 1, 0);
    }
    size_t skip = 0;
    if (m->comp == 'z') {
        if (rest < 3 || strncmp(s, "GMT", 3))
            return false;
        skip = 3;
    }
    for (size_t len = rest; len > skip; len--) {
        double v;
        bool ok;
        if (strchr("Zz", m->comp)) {
            ok = offset_text(s + skip, len - skip, &v);
        } else {
            ok = sfn__jn_intpic_scan(s, len, &m->ipic, &v);
            int nd;
            if (ok && m->ipic.kind == SFN_JN_INT_DECIMAL &&
                digits_only(s, len, &nd)) {
                /* All-mandatory patterns such as 0001 are fixed width. */
                bool fixed = m->ipic.optional == 0 && m->ipic.mandatory > 1;
                if (m->max_w > 0 && nd > m->max_w)
                    ok = false;
                else if (m->min_w > 0 && nd < m->min_w)
                    ok = false;
                else if (fixed && m->min_w < 0 && m->max_w < 0 &&
                         nd != m->ipic.mandatory)
                    ok = false;
                if (m->comp == 'f')
                    mt->fdigits = nd;
            }
            if (ok && m->ipic.kind == SFN_JN_INT_WORDS &&
                (s[len - 1] == ' ' || s[len - 1] == ',' || s[len - 1] == '-'))
                ok = false;
        }
        if (ok) {
            mt->val[i] = v;
            if (match_from(mt, i + 1, pos + len))
                return true;
        }
    }
    return false;
}

static bool match_from(matcher *mt, int i, size_t pos)
{
    if (i == mt->pic->n)
        return pos == mt->len;
    const marker *m = &mt->pic->m[i];
    if (!m->comp) {
        if (mt->len - pos < m->lit_len ||
            memcmp(mt->text + pos, m->lit, m->lit_len))
            return false;
        return match_from(mt, i + 1, pos + m->lit_len);
    }
    return try_marker(mt, i, pos);
}

/* Index of component c in the picture, or -1. */
static int find(const picture *pic, char c)
{
    for (int i = 0; i < pic->n; i++)
        if (pic->m[i].comp == c)
            return i;
    return -1;
}

/* Fields present must run without a gap from the most significant one
 * given; week-based dates cannot be read back. */
static bool check_fields(const picture *pic, const bool *have, int n,
                         sfn_error *err)
{
    int first = -1, last = -1;
    for (int k = 0; k < n; k++)
        if (have[k]) {
            if (first < 0)
                first = k;
            last = k;
        }
    for (int k = first; k >= 0 && k <= last; k++)
        if (!have[k])
            return sfn__jn_fail(err, "D3136",
                                "the date/time picture string is missing "
                                "specifiers required to parse the timestamp");
    if (find(pic, 'X') >= 0 || find(pic, 'W') >= 0 || find(pic, 'x') >= 0 ||
        find(pic, 'w') >= 0)
        return sfn__jn_fail(err, "D3136",
                            "week-based date/time pictures ([X] [W] [x] [w]) "
                            "cannot be used to parse a timestamp");
    return true;
}

static double field(const matcher *mt, char c, double dflt)
{
    int i = find(mt->pic, c);
    return i >= 0 ? mt->val[i] : dflt;
}

static bool assemble(const matcher *mt, double now_ms, double *out,
                     bool *undefined, sfn_error *err)
{
    const picture *pic = mt->pic;
    bool by_doy = find(pic, 'd') >= 0;
    int hi = find(pic, 'H') >= 0 ? find(pic, 'H') : find(pic, 'h');
    bool have[7] = {find(pic, 'Y') >= 0,
                    by_doy || find(pic, 'M') >= 0,
                    by_doy || find(pic, 'D') >= 0,
                    hi >= 0,
                    find(pic, 'm') >= 0,
                    find(pic, 's') >= 0,
                    find(pic, 'f') >= 0};
    if (by_doy)
        have[1] = have[2] = true;
    if (!check_fields(pic, have, 7, err))
        return false;
    int first = 0;
    while (first < 7 && !have[first])
        first++;
    if (first == 7) {
        *undefined = true;
        return true;
    }
    civil now;
    civil_from_ms(floor(now_ms), 0, &now);
    double y = field(mt, 'Y', now.year);
    if (y >= 0 && y <= 99) /* JavaScript's Date.UTC reads 0-99 as 19xx */
        y += 1900;
    double mo = field(mt, 'M', first > 1 ? now.month : 1);
    double d = field(mt, 'D', first > 2 ? now.day : 1);
    double days = by_doy ? days_from_civil(y, 1, 1) + field(mt, 'd', 1) - 1
                         : days_from_civil(y, mo, d);
    double h = find(pic, 'H') >= 0 ? field(mt, 'H', 0) : field(mt, 'h', 0);
    int pi = find(pic, 'P');
    if (pi >= 0 && find(pic, 'H') < 0) {
        h = fmod(h, 12);
        if (mt->val[pi] == 1)
            h += 12;
    }
    double f = 0;
    if (find(pic, 'f') >= 0) {
        f = field(mt, 'f', 0);
        for (int k = mt->fdigits; k < 3; k++)
            f *= 10;
        for (int k = 3; k < mt->fdigits; k++)
            f = floor(f / 10);
    }
    double off = find(pic, 'Z') >= 0   ? field(mt, 'Z', 0)
                 : find(pic, 'z') >= 0 ? field(mt, 'z', 0)
                                       : 0;
    *out = days * MS_PER_DAY + h * 3600000 + field(mt, 'm', 0) * 60000 +
           field(mt, 's', 0) * 1000 + f - off * 60000;
    return true;
}

bool sfn__jn_to_millis_at(const char *s, const char *picture_text,
                          double now_ms, double *out, bool *undefined,
                          sfn_error *err)
{
    *undefined = false;
    if (!picture_text) {
        if (iso_parse(s, out))
            return true;
        return sfn__jn_fail(err, "D3110",
                            "the argument of $toMillis must be an ISO 8601 "
                            "formatted timestamp, given \"%s\"", s);
    }
    matcher *mt = calloc(1, sizeof *mt);
    picture *pic = malloc(sizeof *pic);
    if (!mt || !pic) {
        free(mt);
        free(pic);
        sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
        return false;
    }
    bool ok = parse_picture(picture_text, pic, err);
    if (ok) {
        mt->pic = pic;
        mt->text = s;
        mt->len = strlen(s);
        if (!match_from(mt, 0, 0)) {
            /* Still report a picture that could never be read back. */
            double dummy;
            bool u;
            memset(mt->val, 0, sizeof mt->val);
            ok = assemble(mt, now_ms, &dummy, &u, err);
            *undefined = true;
        } else {
            ok = assemble(mt, now_ms, out, undefined, err);
        }
    }
    free(mt);
    free(pic);
    return ok;
}

bool sfn__jn_to_millis(const char *s, const char *picture, double *out,
                       bool *undefined, sfn_error *err)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double now_ms = (double)ts.tv_sec * 1000 + (double)(ts.tv_nsec / 1000000);
    return sfn__jn_to_millis_at(s, picture, now_ms, out, undefined, err);
}
