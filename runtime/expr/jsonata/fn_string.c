/* fn_string.c: JSONata's string built-ins ($string, $length, $substring,
 * $substringBefore/After, $uppercase/$lowercase, $trim, $pad, $join,
 * base64 and URL coding).  Lengths and positions count code points, as
 * jsonata-js does. */
#include "jsonata_eval.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static jv fn_string(jctx *c, jcall *call)
{
    jv v = jarg(call, 0);
    bool pretty = sfn__jn_truthy(jarg(call, 1));
    return sfn__jn_string(c, v, pretty, call->pos);
}

static jv fn_length(jctx *c, jcall *call)
{
    (void)c;
    jv s = jarg(call, 0);
    if (jv_is_undef(s))
        return s;
    return jv_num((double)sfn__jn_utf8_len(s.u.s, s.len));
}

/* JS Array.prototype.slice index normalisation. */
static size_t slice_index(double i, size_t len)
{
    if (isnan(i))
        return 0;
    i = trunc(i);
    if (i < 0) {
        i += (double)len;
        return i < 0 ? 0 : (size_t)i;
    }
    return i > (double)len ? len : (size_t)i;
}

static jv cp_slice(jv s, size_t from, size_t to)
{
    if (to <= from)
        return jv_str("", 0);
    size_t a = sfn__jn_utf8_offset(s.u.s, s.len, from);
    size_t b = a + sfn__jn_utf8_offset(s.u.s + a, s.len - a, to - from);
    return jv_str(s.u.s + a, b - a);
}

static jv fn_substring(jctx *c, jcall *call)
{
    (void)c;
    jv s = jarg(call, 0);
    if (jv_is_undef(s))
        return s;
    size_t len = sfn__jn_utf8_len(s.u.s, s.len);
    double start = jarg(call, 1).u.n;
    jv lenv = jarg(call, 2);
    if ((double)len + start < 0)
        start = 0;
    size_t from = slice_index(start, len);
    if (jv_is_undef(lenv))
        return cp_slice(s, from, len);
    double l = lenv.u.n;
    if (l <= 0)
        return jv_str("", 0);
    double end = start >= 0 ? start + l : (double)len + start + l;
    return cp_slice(s, from, slice_index(end, len));
}

static const char *find(jv hay, jv needle)
{
    if (needle.len == 0)
        return hay.u.s;
    if (needle.len > hay.len)
        return NULL;
    return memmem(hay.u.s, hay.len, needle.u.s, needle.len);
}

static jv fn_substring_before(jctx *c, jcall *call)
{
    (void)c;
    jv s = jarg(call, 0), chars = jarg(call, 1);
    if (jv_is_undef(s))
        return s;
    if (jv_is_undef(chars))
        return s;
    const char *p = find(s, chars);
    return p ? jv_str(s.u.s, (size_t)(p - s.u.s)) : s;
}

static jv fn_substring_after(jctx *c, jcall *call)
{
    (void)c;
    jv s = jarg(call, 0), chars = jarg(call, 1);
    if (jv_is_undef(s))
        return s;
    if (jv_is_undef(chars))
        return s;
    const char *p = find(s, chars);
    if (!p)
        return s;
    size_t off = (size_t)(p - s.u.s) + chars.len;
    return jv_str(s.u.s + off, s.len - off);
}

/* Case mapping for the scripts whose cases sit at fixed distances
 * (ASCII, Latin-1, Latin Extended-A pairs, Greek, Cyrillic). */
static unsigned map_case(unsigned cp, bool upper)
{
    if (upper) {
        if ((cp >= 'a' && cp <= 'z') || (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7))
            return cp - 32;
        if (cp == 0xFF)
            return 0x178;
        if (cp >= 0x100 && cp <= 0x17F && (cp & 1) && cp != 0x131 &&
            !(cp >= 0x138 && cp <= 0x148) && cp != 0x17F)
            return cp - 1;
        if (cp >= 0x139 && cp <= 0x148 && !(cp & 1))
            return cp - 1;
        if (cp >= 0x3B1 && cp <= 0x3C9 && cp != 0x3C2)
            return cp - 32;
        if (cp >= 0x430 && cp <= 0x44F)
            return cp - 32;
        if (cp >= 0x450 && cp <= 0x45F)
            return cp - 80;
        return cp;
    }
    if ((cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7))
        return cp + 32;
    if (cp == 0x178)
        return 0xFF;
    if (cp >= 0x100 && cp <= 0x17F && !(cp & 1) && cp != 0x130 &&
        !(cp >= 0x138 && cp <= 0x148))
        return cp + 1;
    if (cp >= 0x139 && cp <= 0x148 && (cp & 1))
        return cp + 1;
    if (cp >= 0x391 && cp <= 0x3A9)
        return cp + 32;
    if (cp >= 0x410 && cp <= 0x42F)
        return cp + 32;
    if (cp >= 0x400 && cp <= 0x40F)
        return cp + 80;
    return cp;
}

static jv change_case(jctx *c, jv s, bool upper)
{
    if (jv_is_undef(s))
        return s;
    jbuf b = {0};
    sfn__jn_sb_put(c, &b, "", 0);
    for (size_t i = 0; i < s.len;) {
        size_t adv;
        unsigned cp = sfn__jn_utf8_decode(s.u.s + i, s.len - i, &adv);
        if (upper && cp == 0xDF) {
            sfn__jn_sb_put(c, &b, "SS", 2);
        } else {
            char tmp[4];
            unsigned m = adv == 1 && cp >= 0x80 ? cp : map_case(cp, upper);
            if (m == cp)
                sfn__jn_sb_put(c, &b, s.u.s + i, adv);
            else
                sfn__jn_sb_put(c, &b, tmp, sfn__jn_utf8_encode(m, tmp));
        }
        i += adv;
    }
    return sfn__jn_sb_str(&b);
}

static jv fn_uppercase(jctx *c, jcall *call)
{
    return change_case(c, jarg(call, 0), true);
}

static jv fn_lowercase(jctx *c, jcall *call)
{
    return change_case(c, jarg(call, 0), false);
}

static jv fn_trim(jctx *c, jcall *call)
{
    jv s = jarg(call, 0);
    if (jv_is_undef(s))
        return s;
    jbuf b = {0};
    sfn__jn_sb_put(c, &b, "", 0);
    bool ws = false;
    for (size_t i = 0; i < s.len; i++) {
        char ch = s.u.s[i];
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
            ws = true;
            continue;
        }
        if (ws && b.n)
            sfn__jn_sb_putc(c, &b, ' ');
        ws = false;
        sfn__jn_sb_putc(c, &b, ch);
    }
    return sfn__jn_sb_str(&b);
}

static jv fn_pad(jctx *c, jcall *call)
{
    jv s = jarg(call, 0), ch = jarg(call, 2);
    if (jv_is_undef(s))
        return s;
    double width = trunc(jarg(call, 1).u.n);
    if (jv_is_undef(ch) || ch.len == 0)
        ch = jv_str(" ", 1);
    double padlen = fabs(width) - (double)sfn__jn_utf8_len(s.u.s, s.len);
    if (!(padlen > 0))
        return s;
    if (padlen > 1e8)
        sfn__jn_throw(c, "D3020", call->pos, "$pad width too large");
    size_t need = (size_t)padlen, chn = sfn__jn_utf8_len(ch.u.s, ch.len);
    jbuf pad = {0};
    for (size_t have = 0; have < need; have += chn) {
        size_t take = need - have < chn ? need - have : chn;
        sfn__jn_sb_put(c, &pad, ch.u.s,
                        sfn__jn_utf8_offset(ch.u.s, ch.len, take));
    }
    jbuf b = {0};
    if (width > 0) {
        sfn__jn_sb_put(c, &b, s.u.s, s.len);
        sfn__jn_sb_put(c, &b, pad.p, pad.n);
    } else {
        sfn__jn_sb_put(c, &b, pad.p, pad.n);
        sfn__jn_sb_put(c, &b, s.u.s, s.len);
    }
    return sfn__jn_sb_str(&b);
}

static jv fn_join(jctx *c, jcall *call)
{
    jv arr = jarg(call, 0), sep = jarg(call, 1);
    if (jv_is_undef(arr))
        return arr;
    jbuf b = {0};
    sfn__jn_sb_put(c, &b, "", 0);
    size_t n = sfn__jn_alen(arr);
    for (size_t i = 0; i < n; i++) {
        if (i && !jv_is_undef(sep))
            sfn__jn_sb_put(c, &b, sep.u.s, sep.len);
        jv e = sfn__jn_aget(arr, i);
        sfn__jn_sb_put(c, &b, e.u.s, e.len);
    }
    return sfn__jn_sb_str(&b);
}

/* ==== base64 (over the Latin-1 bytes of the text, as Buffer 'binary') ==== */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static jv fn_base64encode(jctx *c, jcall *call)
{
    jv s = jarg(call, 0);
    if (jv_is_undef(s))
        return s;
    unsigned char *bytes = sfn__jn_alloc(c, s.len + 1);
    size_t nb = 0;
    for (size_t i = 0; i < s.len;) {
        size_t adv;
        unsigned cp = sfn__jn_utf8_decode(s.u.s + i, s.len - i, &adv);
        if (cp >= 0x10000) /* a surrogate pair: two UTF-16 units */
            bytes[nb++] = (unsigned char)((0xD800 + ((cp - 0x10000) >> 10)) & 0xFF);
        bytes[nb++] = (unsigned char)(cp >= 0x10000
                                          ? (0xDC00 + ((cp - 0x10000) & 0x3FF)) & 0xFF
                                          : cp & 0xFF);
        i += adv;
    }
    jbuf b = {0};
    sfn__jn_sb_put(c, &b, "", 0);
    for (size_t i = 0; i < nb; i += 3) {
        unsigned v = (unsigned)bytes[i] << 16;
        if (i + 1 < nb)
            v |= (unsigned)bytes[i + 1] << 8;
        if (i + 2 < nb)
            v |= bytes[i + 2];
        char q[4] = {b64[(v >> 18) & 63], b64[(v >> 12) & 63],
                     i + 1 < nb ? b64[(v >> 6) & 63] : '=',
                     i + 2 < nb ? b64[v & 63] : '='};
        sfn__jn_sb_put(c, &b, q, 4);
    }
    return sfn__jn_sb_str(&b);
}

static int b64val(char ch)
{
    const char *p = ch ? strchr(b64, ch) : NULL;
    if (p)
        return (int)(p - b64);
    if (ch == '-')
        return 62;
    if (ch == '_')
        return 63;
    return -1;
}

static jv fn_base64decode(jctx *c, jcall *call)
{
    jv s = jarg(call, 0);
    if (jv_is_undef(s))
        return s;
    jbuf b = {0};
    sfn__jn_sb_put(c, &b, "", 0);
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < s.len; i++) {
        int v = b64val(s.u.s[i]);
        if (s.u.s[i] == '=')
            break;
        if (v < 0)
            continue;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            char tmp[4];
            unsigned byte = (acc >> bits) & 0xFF;
            sfn__jn_sb_put(c, &b, tmp, sfn__jn_utf8_encode(byte, tmp));
        }
    }
    return sfn__jn_sb_str(&b);
}

/* ==== URL coding ==== */

static bool is_lone_surrogate(const char *s, size_t n)
{
    return n >= 3 && (unsigned char)s[0] == 0xED &&
           ((unsigned char)s[1] & 0xE0) == 0xA0;
}

static jv url_encode(jctx *c, jcall *call, const char *keep)
{
    jv s = jarg(call, 0);
    if (jv_is_undef(s))
        return s;
    jbuf b = {0};
    sfn__jn_sb_put(c, &b, "", 0);
    for (size_t i = 0; i < s.len; i++) {
        unsigned char ch = (unsigned char)s.u.s[i];
        if (is_lone_surrogate(s.u.s + i, s.len - i))
            sfn__jn_throw(c, "D3140", call->pos,
                          "Malformed URL passed to $%s(): %s", call->name,
                          sfn__jn_describe(c, s));
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
            (ch >= '0' && ch <= '9') || (ch && strchr(keep, ch))) {
            sfn__jn_sb_putc(c, &b, (char)ch);
        } else {
            char tmp[4];
            snprintf(tmp, sizeof tmp, "%%%02X", ch);
            sfn__jn_sb_put(c, &b, tmp, 3);
        }
    }
    return sfn__jn_sb_str(&b);
}

static jv fn_encode_url_component(jctx *c, jcall *call)
{
    return url_encode(c, call, "-_.!~*'()");
}

static jv fn_encode_url(jctx *c, jcall *call)
{
    return url_encode(c, call, "-_.!~*'();/?:@&=+$,#");
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static size_t utf8_need(unsigned char lead)
{
    return lead < 0x80 ? 1 : lead >= 0xF0 && lead <= 0xF4 ? 4
           : lead >= 0xE0                                ? 3
           : lead >= 0xC2 && lead < 0xE0                 ? 2
                                                         : 0;
}

static _Noreturn void bad_url(jctx *c, jcall *call, jv s)
{
    sfn__jn_throw(c, "D3140", call->pos, "Malformed URL passed to $%s(): %s",
                  call->name, sfn__jn_describe(c, s));
}

static jv url_decode(jctx *c, jcall *call, const char *reserved)
{
    jv s = jarg(call, 0);
    if (jv_is_undef(s))
        return s;
    jbuf b = {0};
    sfn__jn_sb_put(c, &b, "", 0);
    for (size_t i = 0; i < s.len;) {
        if (s.u.s[i] != '%') {
            sfn__jn_sb_putc(c, &b, s.u.s[i++]);
            continue;
        }
        unsigned char seq[4];
        size_t need = 1, at = i;
        for (size_t k = 0; k < need; k++) {
            if (at + 2 >= s.len || s.u.s[at] != '%')
                bad_url(c, call, s);
            int h = hexval(s.u.s[at + 1]), l = hexval(s.u.s[at + 2]);
            if (h < 0 || l < 0)
                bad_url(c, call, s);
            seq[k] = (unsigned char)(h * 16 + l);
            if (k == 0 && !(need = utf8_need(seq[0])))
                bad_url(c, call, s);
            if (k > 0 && (seq[k] & 0xC0) != 0x80)
                bad_url(c, call, s);
            at += 3;
        }
        if (need == 1 && reserved && seq[0] && strchr(reserved, seq[0]))
            sfn__jn_sb_put(c, &b, s.u.s + i, 3);
        else
            sfn__jn_sb_put(c, &b, (const char *)seq, need);
        i = at;
    }
    return sfn__jn_sb_str(&b);
}

static jv fn_decode_url_component(jctx *c, jcall *call)
{
    return url_decode(c, call, NULL);
}

static jv fn_decode_url(jctx *c, jcall *call)
{
    return url_decode(c, call, ";/?:@&=+$,#");
}

const jbuiltin sfn__jn_fn_string[] = {
    {"string", "<x-b?:s>", 1, fn_string, JB_ALL},
    {"length", "<s-:n>", 1, fn_length, JB_ALL},
    {"substring", "<s-nn?:s>", 3, fn_substring, JB_ALL},
    {"substringBefore", "<s-s:s>", 2, fn_substring_before, JB_ALL},
    {"substringAfter", "<s-s:s>", 2, fn_substring_after, JB_ALL},
    {"uppercase", "<s-:s>", 1, fn_uppercase, JB_ALL},
    {"lowercase", "<s-:s>", 1, fn_lowercase, JB_ALL},
    {"trim", "<s-:s>", 1, fn_trim, JB_ALL},
    {"pad", "<s-ns?:s>", 3, fn_pad, JB_ALL},
    {"join", "<a<s>s?:s>", 2, fn_join, JB_ALL},
    {"base64encode", "<s-:s>", 1, fn_base64encode, JB_ALL},
    {"base64decode", "<s-:s>", 1, fn_base64decode, JB_ALL},
    {"encodeUrlComponent", "<s-:s>", 1, fn_encode_url_component, JB_ALL},
    {"encodeUrl", "<s-:s>", 1, fn_encode_url, JB_ALL},
    {"decodeUrlComponent", "<s-:s>", 1, fn_decode_url_component, JB_ALL},
    {"decodeUrl", "<s-:s>", 1, fn_decode_url, JB_ALL},
    {NULL, NULL, 0, NULL, 0},
};
