/* lexer.c: turns JSONata text into tokens one at a time (names, $variables,
 * operators, string/number/true/false/null literals, /regex/flags), skipping
 * whitespace and comments.  Reports the lexical errors S0101-S0106 and
 * S0301-S0302.  Byte-oriented: non-ASCII UTF-8 passes through in names and
 * strings unchanged. */
#include "jsonata_ast.h"

#include <stdlib.h>
#include <string.h>

static bool is_space(char c)
{
    /* jsonata-js skips exactly these; \f is a name character there. */
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v';
}

static bool is_op_char(char c)
{
    return c != '\0' && strchr(".[]{}(),@#;:?+-*/%|=<>^&!~", c) != NULL;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static char at(const sfn_jn_lexer *lx, size_t i)
{
    return i < lx->len ? lx->src[i] : '\0';
}

static void finish(sfn_jn_lexer *lx, sfn_jn_token *tok, sfn_jn_toktype type,
                   size_t start)
{
    tok->type = type;
    tok->pos = (long)start;
    tok->end = (long)lx->pos;
}

/* Skips blanks and comments; S0106 for a comment without its closing. */
static sfn_rc skip_blank(sfn_jn_lexer *lx, sfn_error *err)
{
    for (;;) {
        while (lx->pos < lx->len && is_space(lx->src[lx->pos]))
            lx->pos++;
        if (!(at(lx, lx->pos) == '/' && at(lx, lx->pos + 1) == '*'))
            return SFN_OK;
        size_t start = lx->pos;
        const char *close = NULL;
        if (lx->len - start >= 4)
            close = memmem(lx->src + start + 2, lx->len - start - 2, "*/", 2);
        if (!close)
            return sfn__jsonata_syntax(err, "S0106", (long)start,
                                       "Comment has no closing tag");
        lx->pos = (size_t)(close - lx->src) + 2;
    }
}

/* An even number of backslashes before i: the character at i is live. */
static bool unescaped(const sfn_jn_lexer *lx, size_t i, size_t floor)
{
    size_t n = 0;
    while (i > floor + n && lx->src[i - n - 1] == '\\')
        n++;
    return n % 2 == 0;
}

/* After the opening `/`: the pattern runs to the first unescaped `/` not
 * nested in (), [] or {}; then optional i / m flags. */
static sfn_rc scan_regex(sfn_jn_lexer *lx, sfn_jn_token *tok, size_t open,
                         sfn_error *err)
{
    size_t start = lx->pos;
    int depth = 0;
    while (lx->pos < lx->len) {
        char c = lx->src[lx->pos];
        if (c == '/' && depth == 0 && unescaped(lx, lx->pos, open)) {
            if (lx->pos == start)
                return sfn__jsonata_syntax(
                    err, "S0301", (long)open,
                    "Empty regular expressions are not allowed");
            tok->str = sfn__jsonata_strndup(lx->arena, lx->src + start,
                                            lx->pos - start);
            if (!tok->str)
                return sfn_error_set(err, SFN_ENOMEM, NULL, (long)open,
                                     "out of memory");
            tok->len = lx->pos - start;
            lx->pos++;
            size_t nf = 0;
            while (at(lx, lx->pos) == 'i' || at(lx, lx->pos) == 'm') {
                if (!memchr(tok->flags, lx->src[lx->pos], nf))
                    tok->flags[nf++] = lx->src[lx->pos];
                lx->pos++;
            }
            finish(lx, tok, SFN_JT_REGEX, open);
            return SFN_OK;
        }
        bool live = lx->src[lx->pos - 1] != '\\';
        if (live && (c == '(' || c == '[' || c == '{'))
            depth++;
        if (live && (c == ')' || c == ']' || c == '}'))
            depth--;
        lx->pos++;
    }
    return sfn__jsonata_syntax(err, "S0302", (long)open,
                               "No terminating / in regular expression");
}

static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Four hex digits at i, or -1. */
static long hex4(const sfn_jn_lexer *lx, size_t i)
{
    if (lx->len < 4 || i > lx->len - 4)
        return -1;
    long v = 0;
    for (size_t k = 0; k < 4; k++) {
        int h = hex_value(lx->src[i + k]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* 1-3 hex digits running into the end of input: jsonata-js takes them and
 * then reports the string unterminated, not the escape malformed. */
static bool truncated_hex(const sfn_jn_lexer *lx, size_t i)
{
    if (i >= lx->len || lx->len - i >= 4)
        return false;
    for (; i < lx->len; i++)
        if (hex_value(lx->src[i]) < 0)
            return false;
    return true;
}

/* \uXXXX at lx->pos (pointing at the 'u'); pairs surrogates, and encodes a
 * lone surrogate as its 3-byte form so no input is silently dropped. */
static sfn_rc unicode_escape(sfn_jn_lexer *lx, char *out, size_t *n,
                             sfn_error *err)
{
    long cp = hex4(lx, lx->pos + 1);
    if (cp < 0 && truncated_hex(lx, lx->pos + 1))
        return sfn__jsonata_syntax(
            err, "S0101", (long)lx->pos - 1,
            "String literal must be terminated by a matching quote");
    if (cp < 0)
        return sfn__jsonata_syntax(
            err, "S0104", (long)lx->pos - 1,
            "The escape sequence \\u must be followed by 4 hex digits");
    lx->pos += 4;
    if (cp >= 0xD800 && cp <= 0xDBFF && at(lx, lx->pos + 1) == '\\' &&
        at(lx, lx->pos + 2) == 'u') {
        long lo = hex4(lx, lx->pos + 3);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            lx->pos += 6;
        }
    }
    *n += put_utf8(out + *n, (unsigned)cp);
    return SFN_OK;
}

static sfn_rc simple_escape(sfn_jn_lexer *lx, char *out, size_t *n,
                            sfn_error *err)
{
    static const char from[] = "\"\\/bfnrt";
    static const char to[] = "\"\\/\b\f\n\r\t";
    char c = at(lx, lx->pos);
    const char *hit = c ? strchr(from, c) : NULL;
    if (hit) {
        out[(*n)++] = to[hit - from];
        return SFN_OK;
    }
    if (c == 'u')
        return unicode_escape(lx, out, n, err);
    if (lx->pos >= lx->len)
        return sfn__jsonata_syntax(err, "S0103", (long)lx->pos - 1,
                                   "Unsupported escape sequence: \\ at end "
                                   "of input");
    return sfn__jsonata_syntax(err, "S0103", (long)lx->pos - 1,
                               "Unsupported escape sequence: \\%c", c);
}

/* "..." or '...' with JSON escapes.  The decoded text is never longer than
 * the source span, so one allocation of that size suffices. */
static sfn_rc scan_string(sfn_jn_lexer *lx, sfn_jn_token *tok, sfn_error *err)
{
    size_t start = lx->pos;
    char quote = lx->src[start];
    size_t end = start + 1;
    while (end < lx->len && lx->src[end] != quote)
        end += lx->src[end] == '\\' ? 2 : 1;
    if (end > lx->len)
        end = lx->len;
    char *out = sfn__jsonata_alloc(lx->arena, end - start + 1);
    if (!out)
        return sfn_error_set(err, SFN_ENOMEM, NULL, (long)start,
                             "out of memory");
    size_t n = 0;
    lx->pos = start + 1;
    while (lx->pos < lx->len) {
        char c = lx->src[lx->pos];
        if (c == quote) {
            lx->pos++;
            tok->str = out;
            tok->len = n;
            finish(lx, tok, SFN_JT_STRING, start);
            return SFN_OK;
        }
        if (c == '\\') {
            lx->pos++;
            sfn_rc rc = simple_escape(lx, out, &n, err);
            if (rc)
                return rc;
        } else {
            out[n++] = c;
        }
        lx->pos++;
    }
    return sfn__jsonata_syntax(
        err, "S0101", (long)start,
        "String literal must be terminated by a matching quote");
}

/* (0|[1-9][0-9]*)(\.[0-9]+)?([Ee][-+]?[0-9]+)? ; S0102 if not finite. */
static sfn_rc scan_number(sfn_jn_lexer *lx, sfn_jn_token *tok, sfn_error *err)
{
    size_t start = lx->pos, i = start;
    if (lx->src[i] == '0')
        i++;
    else
        while (is_digit(at(lx, i)))
            i++;
    if (at(lx, i) == '.' && is_digit(at(lx, i + 1))) {
        i++;
        while (is_digit(at(lx, i)))
            i++;
    }
    if (at(lx, i) == 'e' || at(lx, i) == 'E') {
        size_t j = i + 1;
        if (at(lx, j) == '+' || at(lx, j) == '-')
            j++;
        if (is_digit(at(lx, j))) {
            while (is_digit(at(lx, j)))
                j++;
            i = j;
        }
    }
    char buf[64];
    char *text = i - start < sizeof buf ? buf : malloc(i - start + 1);
    if (!text)
        return sfn_error_set(err, SFN_ENOMEM, NULL, (long)start,
                             "out of memory");
    memcpy(text, lx->src + start, i - start);
    text[i - start] = '\0';
    double v = strtod(text, NULL);
    bool finite = v - v == 0;
    if (!finite)
        sfn__jsonata_syntax(err, "S0102", (long)start,
                            "Number out of range: %.60s", text);
    if (text != buf)
        free(text);
    if (!finite)
        return SFN_ESYNTAX;
    tok->num = v;
    lx->pos = i;
    finish(lx, tok, SFN_JT_NUMBER, start);
    return SFN_OK;
}

static sfn_rc scan_backquoted(sfn_jn_lexer *lx, sfn_jn_token *tok,
                              sfn_error *err)
{
    size_t start = lx->pos;
    const char *close = memchr(lx->src + start + 1, '`', lx->len - start - 1);
    if (!close)
        return sfn__jsonata_syntax(err, "S0105", (long)start,
                                   "Quoted property name must be terminated "
                                   "with a backquote (`)");
    size_t n = (size_t)(close - (lx->src + start + 1));
    tok->str = sfn__jsonata_strndup(lx->arena, lx->src + start + 1, n);
    if (!tok->str)
        return sfn_error_set(err, SFN_ENOMEM, NULL, (long)start,
                             "out of memory");
    tok->len = n;
    lx->pos = start + 1 + n + 1;
    finish(lx, tok, SFN_JT_NAME, start);
    return SFN_OK;
}

static bool word_is(const char *s, size_t n, const char *w)
{
    return strlen(w) == n && memcmp(s, w, n) == 0;
}

/* Bare names run to blank, operator character or end; a leading $ makes a
 * variable.  and/or/in are operators, true/false/null literals. */
static sfn_rc scan_name(sfn_jn_lexer *lx, sfn_jn_token *tok, sfn_error *err)
{
    size_t start = lx->pos, i = start;
    while (i < lx->len && !is_space(lx->src[i]) && !is_op_char(lx->src[i]))
        i++;
    lx->pos = i;
    const char *s = lx->src + start;
    size_t n = i - start;
    bool var = s[0] == '$';
    if (!var) {
        static const struct {
            const char *w;
            sfn_jn_toktype t;
            sfn_jn_op op;
            sfn_jn_value v;
        } words[] = {
            {"and", SFN_JT_OPERATOR, SFN_JO_AND, SFN_JV_NULL},
            {"or", SFN_JT_OPERATOR, SFN_JO_OR, SFN_JV_NULL},
            {"in", SFN_JT_OPERATOR, SFN_JO_IN, SFN_JV_NULL},
            {"true", SFN_JT_VALUE, SFN_JO_NONE, SFN_JV_TRUE},
            {"false", SFN_JT_VALUE, SFN_JO_NONE, SFN_JV_FALSE},
            {"null", SFN_JT_VALUE, SFN_JO_NONE, SFN_JV_NULL},
        };
        for (size_t k = 0; k < sizeof words / sizeof words[0]; k++) {
            if (word_is(s, n, words[k].w)) {
                tok->op = words[k].op;
                tok->value = words[k].v;
                finish(lx, tok, words[k].t, start);
                return SFN_OK;
            }
        }
    }
    tok->str = sfn__jsonata_strndup(lx->arena, s + var, n - var);
    if (!tok->str)
        return sfn_error_set(err, SFN_ENOMEM, NULL, (long)start,
                             "out of memory");
    tok->len = n - var;
    finish(lx, tok, var ? SFN_JT_VARIABLE : SFN_JT_NAME, start);
    return SFN_OK;
}

static sfn_jn_op two_char_op(char a, char b)
{
    static const struct {
        char a, b;
        sfn_jn_op op;
    } ops[] = {
        {'.', '.', SFN_JO_RANGE}, {':', '=', SFN_JO_BIND},
        {'!', '=', SFN_JO_NE},    {'>', '=', SFN_JO_GE},
        {'<', '=', SFN_JO_LE},    {'*', '*', SFN_JO_DESCEND},
        {'~', '>', SFN_JO_CHAIN},    {'?', '?', SFN_JO_COALESCE},
        {'?', ':', SFN_JO_DEFAULT},
    };
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
        if (ops[k].a == a && ops[k].b == b)
            return ops[k].op;
    return SFN_JO_NONE;
}

static sfn_jn_op one_char_op(char c)
{
    for (int op = SFN_JO_NONE + 1; op < SFN_JO_COUNT_; op++) {
        const char *t = sfn__jsonata_op_text((sfn_jn_op)op);
        if (t[0] == c && t[1] == '\0')
            return (sfn_jn_op)op;
    }
    return SFN_JO_NONE;
}

static bool scan_operator(sfn_jn_lexer *lx, sfn_jn_token *tok)
{
    size_t start = lx->pos;
    sfn_jn_op op = two_char_op(lx->src[start], at(lx, start + 1));
    /* ?? and ?: exist from JSONata 2.1 on; in 2.0.6 they stay '?' + ... */
    if (!lx->v2_1 && (op == SFN_JO_COALESCE || op == SFN_JO_DEFAULT))
        op = SFN_JO_NONE;
    if (op != SFN_JO_NONE) {
        lx->pos += 2;
    } else {
        op = one_char_op(lx->src[start]);
        if (op == SFN_JO_NONE)
            return false;
        lx->pos++;
    }
    tok->op = op;
    finish(lx, tok, SFN_JT_OPERATOR, start);
    return true;
}

sfn_rc sfn__jsonata_lex(sfn_jn_lexer *lx, bool infix, sfn_jn_token *tok,
                        sfn_error *err)
{
    memset(tok, 0, sizeof *tok);
    sfn_rc rc = skip_blank(lx, err);
    if (rc)
        return rc;
    if (lx->pos >= lx->len) {
        finish(lx, tok, SFN_JT_END, lx->len);
        return SFN_OK;
    }
    char c = lx->src[lx->pos];
    if (!infix && c == '/') {
        size_t open = lx->pos++;
        return scan_regex(lx, tok, open, err);
    }
    if (scan_operator(lx, tok))
        return SFN_OK;
    if (c == '"' || c == '\'')
        return scan_string(lx, tok, err);
    if (is_digit(c))
        return scan_number(lx, tok, err);
    if (c == '`')
        return scan_backquoted(lx, tok, err);
    return scan_name(lx, tok, err);
}
