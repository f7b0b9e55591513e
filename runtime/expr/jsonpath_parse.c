/* jsonpath_parse.c: turns JSONPath text into the step program of
 * jsonpath_internal.h.  Recursive descent over the Jayway grammar subset
 * that ASL uses; every rejection names the problem and its byte offset.
 * Knows nothing about ASL field rules (sfn_jsonpath.c applies those). */
#include "jsonpath_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Filters can nest (parentheses, `!`, filters inside filter paths); bound
 * the recursion so hostile input cannot exhaust the stack. */
#define JP_NEST_MAX 64

typedef struct parser {
    const char *t;
    size_t len;
    size_t pos;
    int depth;
    sfn_error *err;
} parser;

static sfn_rc syntax(parser *ps, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static sfn_rc syntax(parser *ps, size_t at, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return sfn_error_set(ps->err, SFN_ESYNTAX, NULL, (long)at,
                         "Invalid JSONPath '%.300s': %s at offset %zu", ps->t,
                         what, at);
}

static sfn_rc nomem(parser *ps)
{
    return sfn_error_set(ps->err, SFN_ENOMEM, NULL, -1,
                         "out of memory compiling JSONPath");
}

static bool at_end(const parser *ps) { return ps->pos >= ps->len; }

static char peek(const parser *ps)
{
    return ps->pos < ps->len ? ps->t[ps->pos] : '\0';
}

static char peek_at(const parser *ps, size_t ahead)
{
    return ps->pos + ahead < ps->len ? ps->t[ps->pos + ahead] : '\0';
}

static void skip_ws(parser *ps)
{
    while (!at_end(ps) && strchr(" \t\r\n", ps->t[ps->pos]))
        ps->pos++;
}

static bool is_ident_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_ident_char(char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* ==== Freeing ==== */

static void expr_free(sfn__jp_expr *e);

static void prog_free(sfn__jp_prog *prog)
{
    for (size_t i = 0; i < prog->n; i++) {
        sfn__jp_step *s = &prog->steps[i];
        switch (s->kind) {
        case SFN__JP_MEMBER:
            free(s->u.name.s);
            break;
        case SFN__JP_NAMES:
            for (size_t k = 0; k < s->u.names.n; k++)
                free(s->u.names.v[k].s);
            free(s->u.names.v);
            break;
        case SFN__JP_INDEXES:
            free(s->u.indexes.v);
            break;
        case SFN__JP_FILTER:
            expr_free(s->u.filter);
            break;
        default:
            break;
        }
    }
    free(prog->steps);
    prog->steps = NULL;
    prog->n = 0;
}

static void expr_free(sfn__jp_expr *e)
{
    if (!e)
        return;
    switch (e->kind) {
    case SFN__JPX_OR:
    case SFN__JPX_AND:
    case SFN__JPX_CMP:
        expr_free(e->u.bin.l);
        expr_free(e->u.bin.r);
        break;
    case SFN__JPX_NOT:
    case SFN__JPX_EXISTS:
        expr_free(e->u.sub);
        break;
    case SFN__JPX_LITERAL:
        json_decref(e->u.literal);
        break;
    case SFN__JPX_PATH:
        prog_free(&e->u.path.prog);
        break;
    }
    free(e);
}

void sfn__jp_release(struct sfn_jsonpath *p)
{
    prog_free(&p->prog);
    free(p->text);
    free(p->var);
    p->text = NULL;
    p->var = NULL;
}

/* ==== Lexical pieces: quoted strings and integers ==== */

static int hex4(const char *s)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

static size_t put_utf8(char *o, unsigned long cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes \uXXXX (and a following low surrogate) at ps->pos, which points
 * just past the `u`.  Appends UTF-8 to o. */
static sfn_rc unicode_escape(parser *ps, size_t esc_at, char *o, size_t *olen)
{
    if (ps->len - ps->pos < 4 || hex4(ps->t + ps->pos) < 0)
        return syntax(ps, esc_at, "'\\u' must be followed by 4 hex digits");
    unsigned long cp = (unsigned long)hex4(ps->t + ps->pos);
    ps->pos += 4;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return syntax(ps, esc_at, "lone low surrogate in '\\u' escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        int lo = -1;
        if (ps->len - ps->pos >= 6 && ps->t[ps->pos] == '\\' &&
            ps->t[ps->pos + 1] == 'u')
            lo = hex4(ps->t + ps->pos + 2);
        if (lo < 0xDC00 || lo > 0xDFFF)
            return syntax(ps, esc_at,
                          "high surrogate in '\\u' escape without a low one");
        ps->pos += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + ((unsigned long)lo - 0xDC00);
    }
    *olen += put_utf8(o + *olen, cp);
    return SFN_OK;
}

static sfn_rc escape(parser *ps, char *o, size_t *olen)
{
    size_t esc_at = ps->pos;
    ps->pos++; /* the backslash */
    if (at_end(ps))
        return syntax(ps, esc_at, "unterminated escape sequence");
    char c = ps->t[ps->pos++];
    const char *from = "\\'\"/bfnrt";
    const char *to = "\\'\"/\b\f\n\r\t";
    const char *hit = strchr(from, c);
    if (c == 'u')
        return unicode_escape(ps, esc_at, o, olen);
    if (!hit || c == '\0')
        return syntax(ps, esc_at, "unknown escape sequence '\\%c'", c);
    o[(*olen)++] = to[hit - from];
    return SFN_OK;
}

/* Reads a '...' or "..." string at ps->pos into a new buffer (the decoded
 * text is never longer than the source, so one allocation suffices). */
static sfn_rc quoted(parser *ps, sfn__jp_name *out)
{
    size_t open = ps->pos;
    char q = ps->t[ps->pos++];
    char *o = malloc(ps->len - ps->pos + 1);
    size_t olen = 0;
    if (!o)
        return nomem(ps);
    for (;;) {
        if (at_end(ps)) {
            free(o);
            return syntax(ps, open, "unterminated string");
        }
        char c = ps->t[ps->pos];
        if (c == q) {
            ps->pos++;
            break;
        }
        /* the other quote escaped keeps its backslash (AWS-recorded:
         * $['Test\""Name"'] selects the member named  Test\""Name"  ) */
        if (c == '\\' && ps->pos + 1 < ps->len &&
            (ps->t[ps->pos + 1] == '"' || ps->t[ps->pos + 1] == '\'') &&
            ps->t[ps->pos + 1] != q) {
            o[olen++] = c;
            o[olen++] = ps->t[ps->pos + 1];
            ps->pos += 2;
            continue;
        }
        if (c == '\\') {
            sfn_rc rc = escape(ps, o, &olen);
            if (rc != SFN_OK) {
                free(o);
                return rc;
            }
            continue;
        }
        o[olen++] = c;
        ps->pos++;
    }
    o[olen] = '\0';
    out->s = o;
    out->len = olen;
    return SFN_OK;
}

/* Optional sign and decimal digits. */
static sfn_rc integer(parser *ps, long long *out)
{
    size_t start = ps->pos;
    bool neg = false;
    if (peek(ps) == '-') {
        neg = true;
        ps->pos++;
    }
    if (!is_digit(peek(ps)))
        return syntax(ps, start, "expected an integer");
    unsigned long long v = 0;
    while (is_digit(peek(ps))) {
        unsigned d = (unsigned)(ps->t[ps->pos++] - '0');
        if (v > (unsigned long long)(INT64_MAX - d) / 10)
            return syntax(ps, start, "index is too large");
        v = v * 10 + d;
    }
    *out = neg ? -(long long)v : (long long)v;
    return SFN_OK;
}

/* ==== Steps ==== */

static sfn_rc parse_steps(parser *ps, sfn__jp_prog *prog, bool in_filter);
static sfn_rc parse_or(parser *ps, sfn__jp_expr **out);

static sfn_rc push_step(parser *ps, sfn__jp_prog *prog, sfn__jp_step **out)
{
    /* Grow by powers of two: the array is built once and then frozen. */
    size_t n = prog->n;
    if ((n & (n - 1)) == 0) {
        size_t cap = n ? n * 2 : 1;
        sfn__jp_step *s = realloc(prog->steps, cap * sizeof *s);
        if (!s)
            return nomem(ps);
        prog->steps = s;
    }
    memset(&prog->steps[n], 0, sizeof prog->steps[n]);
    prog->n = n + 1;
    *out = &prog->steps[n];
    return SFN_OK;
}

/* Inside a filter a bare name also ends where an operator, a closing
 * parenthesis or blank space begins. */
static bool name_ends(const parser *ps, bool in_filter)
{
    char c = peek(ps);
    if (at_end(ps) || c == '.' || c == '[')
        return true;
    return in_filter && strchr(" \t\r\n)=!<>&|,", c);
}

static sfn_rc dot_name(parser *ps, sfn__jp_step *st, bool in_filter)
{
    size_t start = ps->pos;
    while (!name_ends(ps, in_filter)) {
        if (peek(ps) == '(' && peek_at(ps, 1) == ')')
            break;
        ps->pos++;
    }
    size_t len = ps->pos - start;
    if (peek(ps) == '(') {
        ps->pos += 2;
        if (len != 6 || memcmp(ps->t + start, "length", 6))
            return syntax(ps, start,
                          "unsupported function '%.*s()': only length() is "
                          "supported",
                          (int)len, ps->t + start);
        if (st->deep)
            return syntax(ps, start, "length() cannot follow '..'");
        st->kind = SFN__JP_LENGTH; /* parse_steps rejects what follows */
        return SFN_OK;
    }
    if (len == 0)
        return syntax(ps, start, "expected a member name after '.'");
    st->kind = SFN__JP_MEMBER;
    st->u.name.s = strndup(ps->t + start, len);
    st->u.name.len = len;
    return st->u.name.s ? SFN_OK : nomem(ps);
}

/* After `[` and blanks: a closing `]`, possibly after blanks. */
static sfn_rc close_bracket(parser *ps, size_t open)
{
    skip_ws(ps);
    if (at_end(ps))
        return syntax(ps, open, "unterminated bracket");
    if (peek(ps) != ']')
        return syntax(ps, ps->pos, "expected ']' but found '%c'", peek(ps));
    ps->pos++;
    return SFN_OK;
}

static sfn_rc bracket_names(parser *ps, sfn__jp_step *st, size_t open)
{
    size_t n = 0, cap = 0;
    sfn__jp_name *v = NULL;
    sfn_rc rc = SFN_OK;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 2;
            sfn__jp_name *nv = realloc(v, cap * sizeof *v);
            if (!nv) {
                rc = nomem(ps);
                break;
            }
            v = nv;
        }
        if ((rc = quoted(ps, &v[n])) != SFN_OK)
            break;
        n++;
        skip_ws(ps);
        if (peek(ps) != ',')
            break;
        ps->pos++;
        skip_ws(ps);
        if (at_end(ps)) {
            rc = syntax(ps, open, "unterminated bracket");
            break;
        }
        if (peek(ps) != '\'' && peek(ps) != '"') {
            rc = syntax(ps, ps->pos,
                        "a union must list only quoted names or only "
                        "integers");
            break;
        }
    }
    if (rc == SFN_OK)
        rc = close_bracket(ps, open);
    if (rc == SFN_OK && n == 1) {
        st->kind = SFN__JP_MEMBER;
        st->u.name = v[0];
        free(v);
        return SFN_OK;
    }
    st->kind = SFN__JP_NAMES;
    st->u.names.v = v;
    st->u.names.n = n;
    return rc;
}

static sfn_rc slice_part(parser *ps, long long *v, bool *has)
{
    skip_ws(ps);
    *has = peek(ps) == '-' || is_digit(peek(ps));
    return *has ? integer(ps, v) : SFN_OK;
}

static sfn_rc bracket_slice(parser *ps, sfn__jp_step *st, size_t open)
{
    sfn_rc rc;
    bool has_step = false;
    st->kind = SFN__JP_SLICE;
    st->u.slice.step = 1;
    ps->pos++; /* first ':' */
    if ((rc = slice_part(ps, &st->u.slice.end, &st->u.slice.has_end)))
        return rc;
    skip_ws(ps);
    if (peek(ps) == ':') {
        size_t at = ps->pos++;
        if ((rc = slice_part(ps, &st->u.slice.step, &has_step)))
            return rc;
        if (has_step && st->u.slice.step == 0)
            return syntax(ps, at, "slice step cannot be zero");
        if (!has_step)
            st->u.slice.step = 1;
    }
    return close_bracket(ps, open);
}

static sfn_rc bracket_numbers(parser *ps, sfn__jp_step *st, size_t open)
{
    long long first = 0;
    bool has_first = peek(ps) != ':';
    sfn_rc rc = has_first ? integer(ps, &first) : SFN_OK;
    if (rc)
        return rc;
    skip_ws(ps);
    if (peek(ps) == ':') {
        st->u.slice.start = first;
        st->u.slice.has_start = has_first;
        return bracket_slice(ps, st, open);
    }
    if (peek(ps) != ',') {
        st->kind = SFN__JP_INDEX;
        st->u.index = first;
        return close_bracket(ps, open);
    }
    st->kind = SFN__JP_INDEXES;
    size_t cap = 4;
    st->u.indexes.v = malloc(cap * sizeof(long long));
    if (!st->u.indexes.v)
        return nomem(ps);
    st->u.indexes.v[st->u.indexes.n++] = first;
    while (peek(ps) == ',') {
        ps->pos++;
        skip_ws(ps);
        if (at_end(ps))
            return syntax(ps, open, "unterminated bracket");
        if (peek(ps) != '-' && !is_digit(peek(ps)))
            return syntax(ps, ps->pos,
                          "a union must list only quoted names or only "
                          "integers");
        if (st->u.indexes.n == cap) {
            cap *= 2;
            long long *nv = realloc(st->u.indexes.v, cap * sizeof *nv);
            if (!nv)
                return nomem(ps);
            st->u.indexes.v = nv;
        }
        if ((rc = integer(ps, &st->u.indexes.v[st->u.indexes.n])))
            return rc;
        st->u.indexes.n++;
        skip_ws(ps);
    }
    return close_bracket(ps, open);
}

static sfn_rc bracket_filter(parser *ps, sfn__jp_step *st, size_t open)
{
    st->kind = SFN__JP_FILTER;
    ps->pos++; /* '?' */
    skip_ws(ps);
    if (at_end(ps))
        return syntax(ps, open, "unterminated bracket");
    if (peek(ps) != '(')
        return syntax(ps, ps->pos, "expected '(' after '?' in a filter");
    size_t paren = ps->pos++;
    if (++ps->depth > JP_NEST_MAX)
        return syntax(ps, paren, "filter is nested too deeply");
    sfn_rc rc = parse_or(ps, &st->u.filter);
    ps->depth--;
    if (rc)
        return rc;
    skip_ws(ps);
    if (at_end(ps))
        return syntax(ps, open, "unterminated bracket");
    if (peek(ps) != ')')
        return syntax(ps, ps->pos, "expected ')' to close the filter but "
                                   "found '%c'",
                      peek(ps));
    ps->pos++;
    return close_bracket(ps, open);
}

static sfn_rc bracket(parser *ps, sfn__jp_step *st)
{
    size_t open = ps->pos++;
    skip_ws(ps);
    if (at_end(ps))
        return syntax(ps, open, "unterminated bracket");
    char c = peek(ps);
    if (c == '*') {
        ps->pos++;
        st->kind = SFN__JP_WILDCARD;
        return close_bracket(ps, open);
    }
    if (c == '?')
        return bracket_filter(ps, st, open);
    if (c == '\'' || c == '"')
        return bracket_names(ps, st, open);
    if (c == '-' || c == ':' || is_digit(c))
        return bracket_numbers(ps, st, open);
    if (c == ']')
        return syntax(ps, open, "empty brackets");
    return syntax(ps, ps->pos, "unexpected character '%c' in brackets", c);
}

static sfn_rc after_dot(parser *ps, sfn__jp_step *st, bool in_filter)
{
    if (peek(ps) == '*') {
        ps->pos++;
        st->kind = SFN__JP_WILDCARD;
        return SFN_OK;
    }
    if (st->deep && peek(ps) == '[')
        return bracket(ps, st);
    if (st->deep && (at_end(ps) || peek(ps) == '.'))
        return syntax(ps, (size_t)st->offset,
                      "'..' must be followed by a name, '*' or '['");
    return dot_name(ps, st, in_filter);
}

static sfn_rc parse_steps(parser *ps, sfn__jp_prog *prog, bool in_filter)
{
    while (!at_end(ps)) {
        char c = peek(ps);
        if (in_filter && c != '.' && c != '[')
            return SFN_OK;
        if (prog->n && prog->steps[prog->n - 1].kind == SFN__JP_LENGTH)
            return syntax(ps, ps->pos, "length() must be the last step");
        sfn__jp_step *st = NULL;
        sfn_rc rc = push_step(ps, prog, &st);
        if (rc)
            return rc;
        st->offset = (long)ps->pos;
        if (c == '[') {
            rc = bracket(ps, st);
        } else if (c == '.') {
            ps->pos++;
            if (peek(ps) == '.') {
                ps->pos++;
                st->deep = true;
            }
            rc = after_dot(ps, st, in_filter);
        } else {
            rc = syntax(ps, ps->pos, "unexpected character '%c'", c);
        }
        if (rc)
            return rc;
    }
    return SFN_OK;
}

/* ==== Filter expressions ==== */

static sfn_rc new_expr(parser *ps, sfn__jpx_kind kind, sfn__jp_expr **out)
{
    sfn__jp_expr *e = calloc(1, sizeof *e);
    if (!e)
        return nomem(ps);
    e->kind = kind;
    *out = e;
    return SFN_OK;
}

static sfn_rc number_literal(parser *ps, sfn__jp_expr *e)
{
    size_t start = ps->pos;
    bool real = false;
    if (peek(ps) == '-')
        ps->pos++;
    if (!is_digit(peek(ps)))
        return syntax(ps, start, "expected a number");
    while (is_digit(peek(ps)))
        ps->pos++;
    if (peek(ps) == '.' && is_digit(peek_at(ps, 1))) {
        real = true;
        ps->pos++;
        while (is_digit(peek(ps)))
            ps->pos++;
    }
    if (peek(ps) == 'e' || peek(ps) == 'E') {
        real = true;
        ps->pos++;
        if (peek(ps) == '+' || peek(ps) == '-')
            ps->pos++;
        if (!is_digit(peek(ps)))
            return syntax(ps, start, "malformed number exponent");
        while (is_digit(peek(ps)))
            ps->pos++;
    }
    char buf[64];
    size_t len = ps->pos - start;
    if (len >= sizeof buf)
        return syntax(ps, start, "number is too long");
    memcpy(buf, ps->t + start, len);
    buf[len] = '\0';
    char *end;
    long long ll = 0;
    if (!real) {
        errno = 0;
        ll = strtoll(buf, &end, 10);
        real = errno == ERANGE;
    }
    double d = real ? strtod(buf, &end) : 0;
    if (real && (d == HUGE_VAL || d == -HUGE_VAL))
        return syntax(ps, start, "number is out of range");
    e->u.literal = real ? json_real(d) : json_integer(ll);
    return e->u.literal ? SFN_OK : nomem(ps);
}

static sfn_rc keyword_literal(parser *ps, sfn__jp_expr *e)
{
    size_t start = ps->pos;
    while (is_ident_char(peek(ps)))
        ps->pos++;
    size_t len = ps->pos - start;
    const char *w = ps->t + start;
    if (len == 4 && !memcmp(w, "true", 4))
        e->u.literal = json_true();
    else if (len == 5 && !memcmp(w, "false", 5))
        e->u.literal = json_false();
    else if (len == 4 && !memcmp(w, "null", 4))
        e->u.literal = json_null();
    else
        return syntax(ps, start, "unknown word '%.*s' in filter", (int)len,
                      w);
    return SFN_OK;
}

static sfn_rc operand(parser *ps, sfn__jp_expr **out)
{
    skip_ws(ps);
    char c = peek(ps);
    size_t at = ps->pos;
    sfn__jp_expr *e = NULL;
    if (at_end(ps))
        return syntax(ps, at, "unterminated filter");
    bool path = c == '@' || c == '$';
    sfn_rc rc = new_expr(ps, path ? SFN__JPX_PATH : SFN__JPX_LITERAL, &e);
    if (rc)
        return rc;
    *out = e;
    if (path) {
        ps->pos++;
        if (c == '$' && (peek(ps) == '$' || is_ident_start(peek(ps))))
            return syntax(ps, at, "only '@' and '$' paths may be used in "
                                  "filters");
        e->u.path.absolute = c == '$';
        rc = parse_steps(ps, &e->u.path.prog, true);
        e->u.path.definite = sfn__jp_prog_definite(&e->u.path.prog);
        return rc;
    }
    if (c == '\'' || c == '"') {
        sfn__jp_name s;
        if ((rc = quoted(ps, &s)))
            return rc;
        e->u.literal = json_stringn(s.s, s.len);
        free(s.s);
        return e->u.literal ? SFN_OK
                            : syntax(ps, at, "string is not valid UTF-8");
    }
    if (c == '-' || is_digit(c))
        return number_literal(ps, e);
    if (is_ident_start(c))
        return keyword_literal(ps, e);
    return syntax(ps, at, "expected a path, string, number, true, false or "
                          "null but found '%c'",
                  c);
}

/* Returns true with *op set when a comparison operator follows. */
static sfn_rc comparator(parser *ps, bool *found, sfn__jp_op *op)
{
    skip_ws(ps);
    char c = peek(ps), d = peek_at(ps, 1);
    size_t at = ps->pos;
    *found = true;
    if (c == '=' && d == '=')
        *op = SFN__JP_EQ;
    else if (c == '!' && d == '=')
        *op = SFN__JP_NE;
    else if (c == '<' && d == '=')
        *op = SFN__JP_LE;
    else if (c == '>' && d == '=')
        *op = SFN__JP_GE;
    else if (c == '<' || c == '>')
        *op = c == '<' ? SFN__JP_LT : SFN__JP_GT;
    else if (c == '=' && d == '~')
        return syntax(ps, at, "regular expressions (=~) are not supported");
    else if (c == '=')
        return syntax(ps, at, "use '==' to compare");
    else if (is_ident_start(c)) {
        size_t n = 0;
        while (is_ident_char(peek_at(ps, n)))
            n++;
        return syntax(ps, at, "operator '%.*s' is not supported", (int)n,
                      ps->t + at);
    } else {
        *found = false;
        return SFN_OK;
    }
    ps->pos += (*op == SFN__JP_LT || *op == SFN__JP_GT) ? 1 : 2;
    return SFN_OK;
}

static sfn_rc comparison(parser *ps, sfn__jp_expr **out)
{
    size_t at = ps->pos;
    sfn__jp_expr *lhs = NULL, *cmp = NULL;
    bool found = false;
    sfn__jp_op op = SFN__JP_EQ;
    sfn_rc rc = operand(ps, &lhs);
    if (!rc)
        rc = comparator(ps, &found, &op);
    if (!rc && !found && lhs->kind != SFN__JPX_PATH)
        rc = syntax(ps, at, "a literal alone is not a condition");
    if (!rc)
        rc = new_expr(ps, found ? SFN__JPX_CMP : SFN__JPX_EXISTS, &cmp);
    if (rc) {
        expr_free(lhs);
        return rc;
    }
    *out = cmp;
    if (!found) {
        cmp->u.sub = lhs;
        return SFN_OK;
    }
    cmp->u.bin.l = lhs;
    cmp->u.bin.op = op;
    return operand(ps, &cmp->u.bin.r);
}

static sfn_rc unary(parser *ps, sfn__jp_expr **out)
{
    skip_ws(ps);
    size_t at = ps->pos;
    if (++ps->depth > JP_NEST_MAX)
        return syntax(ps, at, "filter is nested too deeply");
    sfn_rc rc;
    if (peek(ps) == '!' && peek_at(ps, 1) != '=') {
        ps->pos++;
        if (!(rc = new_expr(ps, SFN__JPX_NOT, out)))
            rc = unary(ps, &(*out)->u.sub);
    } else if (peek(ps) == '(') {
        ps->pos++;
        if (!(rc = parse_or(ps, out))) {
            skip_ws(ps);
            if (at_end(ps))
                rc = syntax(ps, at, "unclosed parenthesis");
            else if (peek(ps) != ')')
                rc = syntax(ps, ps->pos, "expected ')' but found '%c'",
                            peek(ps));
            else
                ps->pos++;
        }
    } else {
        rc = comparison(ps, out);
    }
    ps->depth--;
    return rc;
}

/* One level of the `||` over `&&` precedence ladder. */
static sfn_rc binary_level(parser *ps, sfn__jp_expr **out, bool is_or)
{
    const char *tok = is_or ? "||" : "&&";
    sfn_rc rc = is_or ? binary_level(ps, out, false) : unary(ps, out);
    for (;;) {
        if (rc)
            return rc;
        skip_ws(ps);
        if (peek(ps) != tok[0] || peek_at(ps, 1) != tok[1]) {
            if (peek(ps) == tok[0])
                return syntax(ps, ps->pos, "use '%s'", tok);
            return SFN_OK;
        }
        ps->pos += 2;
        sfn__jp_expr *e = NULL;
        if ((rc = new_expr(ps, is_or ? SFN__JPX_OR : SFN__JPX_AND, &e)))
            return rc;
        e->u.bin.l = *out;
        *out = e;
        rc = is_or ? binary_level(ps, &e->u.bin.r, false)
                   : unary(ps, &e->u.bin.r);
    }
}

static sfn_rc parse_or(parser *ps, sfn__jp_expr **out)
{
    return binary_level(ps, out, true);
}

/* ==== Entry ==== */

bool sfn__jp_prog_definite(const sfn__jp_prog *prog)
{
    for (size_t i = 0; i < prog->n; i++) {
        const sfn__jp_step *s = &prog->steps[i];
        if (s->deep || (s->kind != SFN__JP_MEMBER &&
                        s->kind != SFN__JP_INDEX &&
                        s->kind != SFN__JP_LENGTH))
            return false;
    }
    return true;
}

static sfn_rc parse_root(parser *ps, struct sfn_jsonpath *p)
{
    if (peek(ps) != '$')
        return syntax(ps, 0, "a path must start with '$'");
    ps->pos = 1;
    if (peek(ps) == '$') {
        ps->pos++;
        p->root = SFN_JP_ROOT_CONTEXT;
    } else if (is_ident_start(peek(ps))) {
        while (is_ident_char(peek(ps)))
            ps->pos++;
        p->root = SFN_JP_ROOT_VARIABLE;
        p->var = strndup(ps->t + 1, ps->pos - 1);
        if (!p->var)
            return nomem(ps);
    }
    return SFN_OK;
}

sfn_rc sfn__jp_parse(const char *text, struct sfn_jsonpath *p,
                     sfn_error *err)
{
    parser ps = {.t = text, .len = strlen(text), .err = err};
    p->text = strdup(text);
    if (!p->text)
        return nomem(&ps);
    sfn_rc rc = parse_root(&ps, p);
    if (!rc)
        rc = parse_steps(&ps, &p->prog, false);
    if (rc)
        return rc;
    p->definite = sfn__jp_prog_definite(&p->prog);
    p->count_children = !p->definite && p->prog.n > 1 &&
                        p->prog.steps[0].deep &&
                        p->prog.steps[p->prog.n - 1].kind == SFN__JP_LENGTH;
    return SFN_OK;
}
