/* fn_regex.c: regular expressions for JSONata: regex literals compiled once
 * with PCRE2 right after parsing (JavaScript flavour: flags i and m), the
 * matcher protocol ({match, start, end, groups, next}) that regexes and
 * user-written matcher functions share, and the built-ins that take a
 * pattern: $match, $contains, $split, $replace. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "jsonata_eval.h"

#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== Compile-time pass ==== */

typedef struct prep {
    sfn_jsonata *e;
    sfn_error *err;
    void **codes;
    size_t n, cap;
} prep;

static sfn_rc compile_node(prep *p, sfn_jn_node *n)
{
    uint32_t opts = PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_ALT_BSUX |
                    PCRE2_MATCH_UNSET_BACKREF | PCRE2_ALLOW_EMPTY_CLASS;
    if (strchr(n->flags, 'i'))
        opts |= PCRE2_CASELESS;
    if (strchr(n->flags, 'm'))
        opts |= PCRE2_MULTILINE;
    int ec;
    PCRE2_SIZE eo;
    pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
    if (cc)
        pcre2_set_compile_extra_options(cc, PCRE2_EXTRA_ALT_BSUX);
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)n->str, n->len, opts, &ec,
                                     &eo, cc);
    pcre2_compile_context_free(cc);
    if (!code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ec, msg, sizeof msg);
        return sfn__jsonata_syntax(p->err, "S0303", n->pos,
                                   "Invalid regular expression /%s/: %s at "
                                   "offset %zu",
                                   n->str, (const char *)msg, (size_t)eo);
    }
    if (p->n == p->cap) {
        size_t ncap = p->cap ? p->cap * 2 : 8;
        void **nv = sfn__jsonata_alloc(&p->e->arena, ncap * sizeof *nv);
        if (!nv) {
            pcre2_code_free(code);
            return sfn_error_set(p->err, SFN_ENOMEM, NULL, n->pos,
                                 "out of memory");
        }
        if (p->n)
            memcpy(nv, p->codes, p->n * sizeof *nv);
        p->codes = nv;
        p->cap = ncap;
    }
    p->codes[p->n++] = code;
    p->e->regexes = p->codes;
    p->e->nregexes = p->n;
    n->regex = code;
    return SFN_OK;
}

static sfn_rc walk(prep *p, sfn_jn_node *n);

static sfn_rc walk_list(prep *p, const sfn_jn_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        sfn_rc rc = walk(p, l->v[i]);
        if (rc)
            return rc;
    }
    return SFN_OK;
}

static sfn_rc walk_pairs(prep *p, const sfn_jn_pairs *ps)
{
    if (!ps)
        return SFN_OK;
    sfn_rc rc = walk_list(p, &ps->keys);
    return rc ? rc : walk_list(p, &ps->values);
}

static sfn_rc walk(prep *p, sfn_jn_node *n)
{
    if (!n)
        return SFN_OK;
    if (n->kind == SFN_JN_REGEX && !n->regex)
        return compile_node(p, n);
    sfn_jn_node *one[] = {n->lhs,   n->rhs,   n->expr,    n->cond,
                          n->then_, n->else_, n->procedure, n->body,
                          n->pattern, n->update, n->del};
    for (size_t i = 0; i < sizeof one / sizeof one[0]; i++) {
        sfn_rc rc = walk(p, one[i]);
        if (rc)
            return rc;
    }
    sfn_rc rc = walk_list(p, &n->items);
    if (!rc)
        rc = walk_list(p, &n->stages);
    if (!rc)
        rc = walk_list(p, &n->predicate);
    if (!rc)
        rc = walk_pairs(p, n->pairs);
    if (!rc)
        rc = walk_pairs(p, n->group);
    return rc;
}

sfn_rc sfn__jsonata_prepare(sfn_jsonata *e, sfn_error *err)
{
    prep p = {.e = e, .err = err};
    return walk(&p, e->root);
}

void sfn__jsonata_release(sfn_jsonata *e)
{
    for (size_t i = 0; i < e->nregexes; i++)
        pcre2_code_free(e->regexes[i]);
    e->nregexes = 0;
}

void sfn__jn_regex_cleanup(jctx *c)
{
    pcre2_match_data_free(c->match_data);
    c->match_data = NULL;
}

/* ==== Matching ==== */

/* One match: byte offsets into str plus the capture groups. */
typedef struct mres {
    jv str;
    size_t start, end;
    jv groups; /* array of strings (undefined for unset groups) */
    jv match;
    jv next;   /* generic matchers: their `next` function */
    jfn *re;   /* native regex: the literal */
} mres;

static bool native_at(jctx *c, jfn *re, jv str, size_t from, mres *m,
                      long pos)
{
    pcre2_code *code = re->node->regex;
    if (!c->match_data) {
        c->match_data = pcre2_match_data_create(64, NULL);
        if (!c->match_data)
            sfn__jn_throw_rc(c, SFN_ENOMEM, NULL, pos, "out of memory");
    }
    int rc = pcre2_match(code, (PCRE2_SPTR)str.u.s, str.len, from, 0,
                         c->match_data, NULL);
    if (rc == PCRE2_ERROR_NOMATCH)
        return false;
    if (rc < 0) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(rc, msg, sizeof msg);
        sfn__jn_throw(c, "D1004", pos, "Regular expression failed: %s",
                      (const char *)msg);
    }
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(c->match_data);
    uint32_t ngroups = pcre2_get_ovector_count(c->match_data);
    uint32_t cap;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &cap);
    m->str = str;
    m->start = ov[0];
    m->end = ov[1];
    m->match = jv_str(str.u.s + ov[0], ov[1] - ov[0]);
    jarr *g = sfn__jn_arr_new(c, cap, 0);
    for (uint32_t i = 1; i <= cap; i++) {
        if (i < ngroups && (int)i < rc && ov[2 * i] != PCRE2_UNSET)
            g->v[g->n++] = jv_str(str.u.s + ov[2 * i],
                                  ov[2 * i + 1] - ov[2 * i]);
        else
            g->v[g->n++] = jv_str("", 0);
    }
    m->groups = jv_arr(g);
    m->re = re;
    m->next = jv_undef();
    return true;
}

static size_t cp_to_byte(jv s, double cp)
{
    if (cp <= 0)
        return 0;
    return sfn__jn_utf8_offset(s.u.s, s.len, (size_t)cp);
}

static double byte_to_cp(jv s, size_t off)
{
    return (double)sfn__jn_utf8_len(s.u.s, off);
}

/* Reads a matcher function's result object into m. */
static bool generic_result(jctx *c, jv r, jv str, mres *m, long pos)
{
    if (jv_is_undef(r) || r.k == JV_NULL)
        return false;
    jv start, end, groups, next, match;
    sfn__jn_get(r, "start", 5, &start);
    sfn__jn_get(r, "end", 3, &end);
    sfn__jn_get(r, "groups", 6, &groups);
    sfn__jn_get(r, "next", 4, &next);
    sfn__jn_get(r, "match", 5, &match);
    if (!(start.k == JV_NUM || end.k == JV_NUM || jv_is_array(groups) ||
          next.k == JV_FN))
        sfn__jn_throw(c, "T1010", pos,
                      "The matcher function argument passed to function "
                      "does not return the correct object structure");
    m->str = str;
    m->start = start.k == JV_NUM ? cp_to_byte(str, start.u.n) : 0;
    m->end = end.k == JV_NUM ? cp_to_byte(str, end.u.n) : m->start;
    m->match = match.k == JV_STR ? match : jv_str("", 0);
    m->groups = jv_is_array(groups) ? groups : sfn__jn_seq0(c);
    m->next = next;
    m->re = NULL;
    return true;
}

static bool first_match(jctx *c, jcall *call, jv matcher, jv str, mres *m)
{
    if (matcher.k != JV_FN)
        return false;
    jfn *f = matcher.u.f;
    if (f->kind == JF_REGEX)
        return native_at(c, f, str, 0, m, call->pos);
    jv r = sfn__jn_apply(c, matcher, &str, 1, jv_undef(), call->env,
                         call->pos, NULL);
    return generic_result(c, r, str, m, call->pos);
}

static bool next_match(jctx *c, jcall *call, mres *m)
{
    if (m->re) {
        if (m->end >= m->str.len)
            return false;
        size_t from = m->end;
        if (!native_at(c, m->re, m->str, from, m, call->pos))
            return false;
        if (m->start == m->end)
            sfn__jn_throw(c, "D1004", call->pos,
                          "Regular expression matches zero length string");
        return true;
    }
    if (m->next.k != JV_FN)
        return false;
    jv r = sfn__jn_apply(c, m->next, NULL, 0, jv_undef(), call->env,
                         call->pos, NULL);
    return generic_result(c, r, m->str, m, call->pos);
}

static jv match_object(jctx *c, const mres *m, bool with_next)
{
    jobj *o = sfn__jn_obj_new(c, 5);
    sfn__jn_obj_set(c, o, "match", 5, m->match);
    if (with_next) {
        sfn__jn_obj_set(c, o, "start", 5, jv_num(byte_to_cp(m->str, m->start)));
        sfn__jn_obj_set(c, o, "end", 3, jv_num(byte_to_cp(m->str, m->end)));
    } else {
        sfn__jn_obj_set(c, o, "index", 5, jv_num(byte_to_cp(m->str, m->start)));
    }
    sfn__jn_obj_set(c, o, "groups", 6, m->groups);
    if (with_next && m->re) {
        jfn *nf = sfn__jn_alloc(c, sizeof *nf);
        nf->kind = JF_REGEX_NEXT;
        nf->node = m->re->node;
        nf->str = m->str;
        nf->offset = m->end;
        sfn__jn_obj_set(c, o, "next", 4, jv_fn(nf));
    }
    return jv_obj(o);
}

jv sfn__jn_regex_call(jctx *c, jfn *f, jv str, long pos)
{
    mres m;
    if (f->kind == JF_REGEX_NEXT) {
        jfn re = {.kind = JF_REGEX, .node = f->node};
        if (f->offset >= f->str.len)
            return jv_undef();
        jfn *rp = sfn__jn_alloc(c, sizeof *rp);
        *rp = re;
        if (!native_at(c, rp, f->str, f->offset, &m, pos))
            return jv_undef();
        if (m.start == m.end)
            sfn__jn_throw(c, "D1004", pos,
                          "Regular expression matches zero length string");
        return match_object(c, &m, true);
    }
    if (str.k != JV_STR)
        return jv_undef();
    if (!native_at(c, f, str, 0, &m, pos))
        return jv_undef();
    return match_object(c, &m, true);
}

/* ==== Built-ins ==== */

static void check_limit(jctx *c, jcall *call, jv limit, const char *code)
{
    if (!jv_is_undef(limit) && limit.u.n < 0)
        sfn__jn_throw(c, code, call->pos,
                      "Third argument of %s function must evaluate to a "
                      "positive number: %s",
                      call->name, sfn__jn_describe(c, limit));
}

static bool under(jv limit, size_t count)
{
    return jv_is_undef(limit) || (double)count < limit.u.n;
}

static jv fn_match(jctx *c, jcall *call)
{
    jv str = jarg(call, 0), re = jarg(call, 1), limit = jarg(call, 2);
    if (jv_is_undef(str))
        return str;
    check_limit(c, call, limit, "D3040");
    jarr *out = sfn__jn_arr_new(c, 0, JA_SEQ);
    mres m;
    size_t count = 0;
    if (!under(limit, 0) || !first_match(c, call, re, str, &m))
        return jv_arr(out);
    do {
        sfn__jn_arr_push(c, out, match_object(c, &m, false));
        count++;
    } while (under(limit, count) && next_match(c, call, &m));
    return jv_arr(out);
}

static jv fn_contains(jctx *c, jcall *call)
{
    jv str = jarg(call, 0), pat = jarg(call, 1);
    if (jv_is_undef(str) || jv_is_undef(pat))
        return jv_undef();
    if (pat.k == JV_STR)
        return jv_bool(pat.len == 0 ||
                       (pat.len <= str.len &&
                        memmem(str.u.s, str.len, pat.u.s, pat.len)));
    mres m;
    return jv_bool(first_match(c, call, pat, str, &m));
}

static jv fn_split(jctx *c, jcall *call)
{
    jv str = jarg(call, 0), sep = jarg(call, 1), limit = jarg(call, 2);
    if (jv_is_undef(str))
        return str;
    if (!jv_is_undef(limit) && limit.u.n < 0)
        sfn__jn_throw(c, "D3020", call->pos,
                      "Third argument of split function must evaluate to a "
                      "positive number: %s",
                      sfn__jn_describe(c, limit));
    jarr *out = sfn__jn_arr_new(c, 0, 0);
    if (!jv_is_undef(limit)) /* String.split takes ToUint32(limit) */
        limit = jv_num(floor(limit.u.n));
    if (!under(limit, 0))
        return jv_arr(out);
    if (sep.k == JV_STR) {
        size_t at = 0;
        if (sep.len == 0) {
            for (size_t i = 0; i < str.len && under(limit, out->n);) {
                size_t adv;
                sfn__jn_utf8_decode(str.u.s + i, str.len - i, &adv);
                sfn__jn_arr_push(c, out, jv_str(str.u.s + i, adv));
                i += adv;
            }
            return jv_arr(out);
        }
        while (under(limit, out->n)) {
            const char *p = sep.len <= str.len - at
                                ? memmem(str.u.s + at, str.len - at, sep.u.s,
                                         sep.len)
                                : NULL;
            if (!p) {
                sfn__jn_arr_push(c, out, jv_str(str.u.s + at, str.len - at));
                break;
            }
            size_t idx = (size_t)(p - str.u.s);
            sfn__jn_arr_push(c, out, jv_str(str.u.s + at, idx - at));
            at = idx + sep.len;
        }
        return jv_arr(out);
    }
    mres m;
    if (!first_match(c, call, sep, str, &m)) {
        sfn__jn_arr_push(c, out, str);
        return jv_arr(out);
    }
    size_t start = 0, count = 0;
    bool more = true;
    while (more && under(limit, count)) {
        size_t s = m.start < start ? start : m.start;
        sfn__jn_arr_push(c, out, jv_str(str.u.s + start, s - start));
        start = m.end;
        count++;
        more = next_match(c, call, &m);
    }
    if (under(limit, count))
        sfn__jn_arr_push(c, out, jv_str(str.u.s + start, str.len - start));
    return jv_arr(out);
}

/* $n substitution in a replacement string, as jsonata-js does it. */
static void substitute(jctx *c, jbuf *b, jv rep, const mres *m)
{
    size_t ng = sfn__jn_alen(m->groups);
    size_t i = 0;
    while (i < rep.len) {
        const char *d = memchr(rep.u.s + i, '$', rep.len - i);
        if (!d)
            break;
        size_t at = (size_t)(d - rep.u.s);
        sfn__jn_sb_put(c, b, rep.u.s + i, at - i);
        i = at + 1;
        char ch = i < rep.len ? rep.u.s[i] : '\0';
        if (ch == '$') {
            sfn__jn_sb_putc(c, b, '$');
            i++;
        } else if (ch == '0') {
            sfn__jn_sb_put(c, b, m->match.u.s, m->match.len);
            i++;
        } else {
            int maxd = 1;
            for (size_t g = ng; g >= 10; g /= 10)
                maxd++;
            if (ng == 0)
                maxd = 1;
            size_t digits = 0;
            long idx = 0;
            while ((int)digits < maxd && i + digits < rep.len &&
                   rep.u.s[i + digits] >= '0' && rep.u.s[i + digits] <= '9')
                idx = idx * 10 + (rep.u.s[i + digits++] - '0');
            if (maxd > 1 && digits == (size_t)maxd && (size_t)idx > ng) {
                idx /= 10;
                digits--;
            }
            if (digits == 0) {
                sfn__jn_sb_putc(c, b, '$');
                continue;
            }
            if (ng > 0 && idx >= 1 && (size_t)idx <= ng) {
                jv g = sfn__jn_aget(m->groups, (size_t)idx - 1);
                if (g.k == JV_STR)
                    sfn__jn_sb_put(c, b, g.u.s, g.len);
            }
            /* position += index.toString().length */
            char tmp[24];
            i += (size_t)snprintf(tmp, sizeof tmp, "%ld", idx);
        }
    }
    if (i < rep.len)
        sfn__jn_sb_put(c, b, rep.u.s + i, rep.len - i);
}

static jv fn_replace(jctx *c, jcall *call)
{
    jv str = jarg(call, 0), pat = jarg(call, 1), rep = jarg(call, 2),
       limit = jarg(call, 3);
    if (jv_is_undef(str))
        return str;
    if (pat.k == JV_STR && pat.len == 0)
        sfn__jn_throw(c, "D3010", call->pos,
                      "Second argument of replace function cannot be an "
                      "empty string");
    if (!jv_is_undef(limit) && limit.u.n < 0)
        sfn__jn_throw(c, "D3011", call->pos,
                      "Fourth argument of replace function must evaluate to "
                      "a positive number");
    if (!under(limit, 0))
        return str;
    jbuf b = {0};
    sfn__jn_sb_put(c, &b, "", 0);
    size_t count = 0, pos = 0;
    if (pat.k == JV_STR) {
        while (under(limit, count)) {
            const char *p = pat.len <= str.len - pos
                                ? memmem(str.u.s + pos, str.len - pos,
                                         pat.u.s, pat.len)
                                : NULL;
            if (!p)
                break;
            size_t idx = (size_t)(p - str.u.s);
            sfn__jn_sb_put(c, &b, str.u.s + pos, idx - pos);
            if (rep.k == JV_STR)
                sfn__jn_sb_put(c, &b, rep.u.s, rep.len);
            pos = idx + pat.len;
            count++;
        }
        sfn__jn_sb_put(c, &b, str.u.s + pos, str.len - pos);
        return sfn__jn_sb_str(&b);
    }
    mres m;
    if (!first_match(c, call, pat, str, &m))
        return str;
    bool more = true;
    while (more && under(limit, count)) {
        if (m.start > pos)
            sfn__jn_sb_put(c, &b, str.u.s + pos, m.start - pos);
        if (rep.k == JV_STR) {
            substitute(c, &b, rep, &m);
        } else {
            jv mo = match_object(c, &m, true);
            jv r = sfn__jn_apply(c, rep, &mo, 1, jv_undef(), call->env,
                                 call->pos, NULL);
            if (r.k != JV_STR)
                sfn__jn_throw(c, "D3012", call->pos,
                              "Attempted to replace a matched string with a "
                              "non-string value: %s",
                              sfn__jn_describe(c, r));
            sfn__jn_sb_put(c, &b, r.u.s, r.len);
        }
        pos = m.start + m.match.len;
        count++;
        more = next_match(c, call, &m);
    }
    if (pos < str.len)
        sfn__jn_sb_put(c, &b, str.u.s + pos, str.len - pos);
    return sfn__jn_sb_str(&b);
}

const jbuiltin sfn__jn_fn_regex[] = {
    {"match", "<s-f<s:o>n?:a<o>>", 3, fn_match, JB_ALL},
    {"contains", "<s-(sf):b>", 2, fn_contains, JB_ALL},
    {"split", "<s-(sf)n?:a<s>>", 3, fn_split, JB_ALL},
    {"replace", "<s-(sf)(sf)n?:s>", 4, fn_replace, JB_ALL},
    {NULL, NULL, 0, NULL, 0},
};
