/* sfn_intrinsic.c: parses an intrinsic call (`States.Name(arg, ...)`) into a
 * call tree, runs the static checks (known name, arity, literal and nested
 * result kinds, per-function literal rules) and evaluates the tree.  The 18
 * functions themselves live in intrinsic_lib.c. */
#include "sfn_intrinsic.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intrinsic_internal.h"

typedef enum { ARG_LITERAL, ARG_PATH, ARG_CALL } arg_type;

typedef struct iarg {
    arg_type type;
    long offset;
    json_t *lit;         /* ARG_LITERAL */
    size_t *holes;       /* string literal: its unescaped `{}` offsets */
    size_t nholes;
    sfn_jsonpath *path;  /* ARG_PATH */
    sfn_intrinsic *call; /* ARG_CALL */
} iarg;

struct sfn_intrinsic {
    const sfn__intrinsic_spec *spec;
    long offset;
    iarg *args;
    size_t argc;
};

typedef struct parser {
    const char *text;
    size_t pos;
    sfn_error *err;
} parser;

#define PREFIX "States."
#define PREFIX_LEN (sizeof PREFIX - 1)

/* ==== Errors ==== */

static sfn_rc syntax(parser *p, long offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static sfn_rc syntax(parser *p, long offset, const char *fmt, ...)
{
    char msg[SFN_ERROR_CAUSE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sfn_error_set(p->err, SFN_ESYNTAX, NULL, offset, "%s", msg);
}

static sfn_rc no_memory(sfn_error *err)
{
    return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
}

/* ==== Tree ==== */

static void arg_clear(iarg *a)
{
    json_decref(a->lit);
    free(a->holes);
    sfn_jsonpath_free(a->path);
    sfn_intrinsic_free(a->call);
}

void sfn_intrinsic_free(sfn_intrinsic *fn)
{
    if (!fn)
        return;
    for (size_t i = 0; i < fn->argc; i++)
        arg_clear(&fn->args[i]);
    free(fn->args);
    free(fn);
}

static iarg *push_arg(sfn_intrinsic *fn, size_t *cap)
{
    if (fn->argc == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        iarg *na = realloc(fn->args, ncap * sizeof *na);
        if (!na)
            return NULL;
        fn->args = na;
        *cap = ncap;
    }
    iarg *a = &fn->args[fn->argc++];
    memset(a, 0, sizeof *a);
    return a;
}

/* ==== Lexing helpers ==== */

static void skip_ws(parser *p)
{
    while (p->text[p->pos] && isspace((unsigned char)p->text[p->pos]))
        p->pos++;
}

static bool is_delim(char c)
{
    return c == '\0' || c == ',' || c == ')' || isspace((unsigned char)c);
}

bool sfn_intrinsic_is_call(const char *text)
{
    if (!text)
        return false;
    while (*text && isspace((unsigned char)*text))
        text++;
    return strncmp(text, PREFIX, PREFIX_LEN) == 0;
}

/* ==== Arguments ==== */

static sfn_rc parse_call(parser *p, int depth, sfn_intrinsic **out);

/* Single-quoted string.  The only escapes are \' \{ \} \\; the text is static,
 * so any other backslash is reported now rather than at run time.  Unescaped
 * `{}` pairs are recorded as Format placeholders; lone braces are text. */
static sfn_rc parse_string(parser *p, const char *fname, size_t argno,
                           iarg *a)
{
    const char *s = p->text;
    size_t start = p->pos++;
    size_t rest = strlen(s + p->pos);
    char *buf = malloc(rest + 1);
    size_t *holes = malloc((rest / 2 + 1) * sizeof *holes);
    size_t len = 0, nholes = 0;
    sfn_rc rc = SFN_OK;
    if (!buf || !holes) {
        rc = no_memory(p->err);
        goto out;
    }
    for (;;) {
        unsigned char c = (unsigned char)s[p->pos];
        if (c == '\0') {
            rc = syntax(p, (long)start,
                        "%s argument %zu: unterminated string literal",
                        fname, argno);
            goto out;
        }
        if (c == '\'') {
            p->pos++;
            break;
        }
        /* raw control characters (a JSON "\n" in the definition) are
         * literal text: AWS accepts States.StringSplit('a\nb', '\n') */
        if (c == '\\') {
            char e = s[p->pos + 1];
            if (e != '\'' && e != '{' && e != '}' && e != '\\') {
                rc = syntax(p, (long)p->pos,
                            "%s argument %zu: invalid escape '\\%c' in "
                            "string literal (only \\' \\{ \\} \\\\ allowed)",
                            fname, argno, e ? e : ' ');
                goto out;
            }
            buf[len++] = e;
            p->pos += 2;
            continue;
        }
        if (c == '{' && s[p->pos + 1] == '}')
            holes[nholes++] = len;
        buf[len++] = (char)c;
        p->pos++;
    }
    a->lit = json_stringn(buf, len);
    if (!a->lit) {
        rc = syntax(p, (long)start,
                    "%s argument %zu: string literal is not valid UTF-8",
                    fname, argno);
        goto out;
    }
    /* shrink: the buffer was sized for the worst case */
    size_t *fit = realloc(holes, (nholes ? nholes : 1) * sizeof *holes);
    a->holes = fit ? fit : holes;
    a->nholes = nholes;
    holes = NULL;
out:
    free(buf);
    free(holes);
    return rc;
}

static size_t scan_digits(const char *s, size_t i)
{
    while (isdigit((unsigned char)s[i]))
        i++;
    return i;
}

/* INT := -?(0|[1-9][0-9]*)   NUMBER := INT ('.' digits)? ([eE][+-]?digits)? */
static sfn_rc parse_number(parser *p, const char *fname, size_t argno,
                           iarg *a)
{
    const char *s = p->text;
    size_t start = p->pos, i = p->pos;
    bool integral = true;
    if (s[i] == '-')
        i++;
    if (s[i] == '0')
        i++;
    else if (isdigit((unsigned char)s[i]))
        i = scan_digits(s, i);
    else
        goto bad;
    if (s[i] == '.') {
        if (!isdigit((unsigned char)s[i + 1]))
            goto bad;
        i = scan_digits(s, i + 1);
        integral = false;
    }
    if (s[i] == 'e' || s[i] == 'E') {
        i++;
        if (s[i] == '+' || s[i] == '-')
            i++;
        if (!isdigit((unsigned char)s[i]))
            goto bad;
        i = scan_digits(s, i);
        integral = false;
    }
    if (!is_delim(s[i]))
        goto bad;
    errno = 0;
    if (integral) {
        long long v = strtoll(s + start, NULL, 10);
        if (errno == ERANGE)
            return syntax(p, (long)start,
                          "%s argument %zu: integer literal %.*s is outside "
                          "the 64-bit range",
                          fname, argno, (int)(i - start), s + start);
        a->lit = json_integer((json_int_t)v);
    } else {
        double d = strtod(s + start, NULL);
        if (!isfinite(d))
            return syntax(p, (long)start,
                          "%s argument %zu: number literal %.*s is out of "
                          "range",
                          fname, argno, (int)(i - start), s + start);
        a->lit = json_real(d);
    }
    if (!a->lit)
        return no_memory(p->err);
    p->pos = i;
    return SFN_OK;
bad:
    while (!is_delim(s[i]))
        i++;
    return syntax(p, (long)start, "%s argument %zu: invalid number '%.*s'",
                  fname, argno, (int)(i - start), s + start);
}

/* A path runs to the next `,` or `)` outside brackets, parentheses and
 * quotes, so `$.a['x,y']` and `$.a[?(@.b == 'c')]` stay whole.  The text
 * itself is the JSONPath module's to judge. */
static sfn_rc parse_path(parser *p, const char *fname, size_t argno,
                         iarg *a)
{
    const char *s = p->text;
    size_t start = p->pos, i = p->pos;
    int depth = 0;
    char quote = 0;
    for (; s[i]; i++) {
        char c = s[i];
        if (quote) {
            if (c == '\\' && s[i + 1])
                i++;
            else if (c == quote)
                quote = 0;
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '[' || c == '(') {
            depth++;
        } else if ((c == ']' || c == ')') && depth > 0) {
            depth--;
        } else if (depth == 0 && (c == ',' || c == ')')) {
            break;
        }
    }
    if (!s[i])
        return syntax(p, (long)start,
                      "%s argument %zu: path '%s' is not followed by ',' "
                      "or ')'",
                      fname, argno, s + start);
    size_t end = i;
    while (end > start && isspace((unsigned char)s[end - 1]))
        end--;
    char *text = strndup(s + start, end - start);
    if (!text)
        return no_memory(p->err);
    sfn_error perr;
    sfn_error_clear(&perr);
    sfn_rc rc = sfn_jsonpath_compile(
        text, SFN_JP_ALLOW_CONTEXT | SFN_JP_ALLOW_VARIABLE, &a->path, &perr);
    if (rc != SFN_OK) {
        long off = perr.offset >= 0 ? (long)start + perr.offset : (long)start;
        rc = sfn_error_set(p->err, rc, NULL, off,
                           "%s argument %zu: invalid path '%s': %s", fname,
                           argno, text, perr.cause);
    }
    free(text);
    p->pos = i;
    return rc;
}

static sfn_rc parse_word(parser *p, const char *fname, size_t argno,
                         iarg *a)
{
    const char *s = p->text + p->pos;
    size_t n = 0;
    while (!is_delim(s[n]) && s[n] != '(')
        n++;
    if (n == 4 && !strncmp(s, "true", 4))
        a->lit = json_true();
    else if (n == 5 && !strncmp(s, "false", 5))
        a->lit = json_false();
    else if (n == 4 && !strncmp(s, "null", 4))
        a->lit = json_null();
    else
        return syntax(p, (long)p->pos,
                      "%s argument %zu: unexpected '%.*s' (expected a "
                      "string, number, true, false, null, path or call)",
                      fname, argno, (int)(n ? n : 1), s);
    p->pos += n;
    return SFN_OK;
}

static sfn_rc parse_arg(parser *p, const char *fname, size_t argno,
                        int depth, iarg *a)
{
    char c = p->text[p->pos];
    a->offset = (long)p->pos;
    if (c == '\'') {
        a->type = ARG_LITERAL;
        return parse_string(p, fname, argno, a);
    }
    if (c == '-' || isdigit((unsigned char)c)) {
        a->type = ARG_LITERAL;
        return parse_number(p, fname, argno, a);
    }
    if (c == '$') {
        a->type = ARG_PATH;
        return parse_path(p, fname, argno, a);
    }
    if (!strncmp(p->text + p->pos, PREFIX, PREFIX_LEN)) {
        a->type = ARG_CALL;
        return parse_call(p, depth + 1, &a->call);
    }
    if (c == ',' || c == ')' || c == '\0')
        return syntax(p, (long)p->pos, "%s argument %zu: missing argument",
                      fname, argno);
    a->type = ARG_LITERAL;
    return parse_word(p, fname, argno, a);
}

static sfn_rc parse_args(parser *p, sfn_intrinsic *fn, int depth)
{
    const char *fname = fn->spec->name;
    size_t cap = 0;
    skip_ws(p);
    if (p->text[p->pos] == ')') {
        p->pos++;
        return SFN_OK;
    }
    for (;;) {
        iarg *a = push_arg(fn, &cap);
        if (!a)
            return no_memory(p->err);
        skip_ws(p);
        sfn_rc rc = parse_arg(p, fname, fn->argc, depth, a);
        if (rc != SFN_OK)
            return rc;
        skip_ws(p);
        char c = p->text[p->pos];
        if (c == ')') {
            p->pos++;
            return SFN_OK;
        }
        if (c != ',')
            return syntax(p, (long)p->pos,
                          c ? "%s: expected ',' or ')' after argument %zu"
                            : "%s: missing ')' after argument %zu",
                          fname, fn->argc);
        p->pos++;
    }
}

/* ==== Static checks ==== */

/* Whether a nested call returning `have` can fill a position wanting `want`;
 * ANY on either side is decided at run time. */
static bool kinds_compatible(sfn__ikind want, sfn__ikind have)
{
    if (want == SFN__IK_ANY || have == SFN__IK_ANY || want == have)
        return true;
    if (want == SFN__IK_NUMBER)
        return have == SFN__IK_INT;
    return want == SFN__IK_SCALAR &&
           (have == SFN__IK_STRING || have == SFN__IK_INT ||
            have == SFN__IK_BOOL);
}

static sfn_rc check_arity(parser *p, const sfn_intrinsic *fn)
{
    const sfn__intrinsic_spec *sp = fn->spec;
    size_t n = fn->argc;
    if ((int)n >= sp->min_args && (sp->max_args < 0 || (int)n <= sp->max_args))
        return SFN_OK;
    if (sp->max_args < 0)
        return syntax(p, fn->offset,
                      "%s expects at least %d argument%s, got %zu", sp->name,
                      sp->min_args, sp->min_args == 1 ? "" : "s", n);
    if (sp->min_args == sp->max_args)
        return syntax(p, fn->offset, "%s expects %d argument%s, got %zu",
                      sp->name, sp->min_args, sp->min_args == 1 ? "" : "s",
                      n);
    return syntax(p, fn->offset, "%s expects %d to %d arguments, got %zu",
                  sp->name, sp->min_args, sp->max_args, n);
}

static sfn_rc check_kinds(parser *p, const sfn_intrinsic *fn)
{
    const sfn__intrinsic_spec *sp = fn->spec;
    for (size_t i = 0; i < fn->argc; i++) {
        const iarg *a = &fn->args[i];
        sfn__ikind want = sfn__intrinsic_arg_kind(sp, i);
        if (a->type == ARG_LITERAL &&
            !sfn__intrinsic_kind_accepts(want, a->lit))
            return syntax(p, a->offset,
                          "%s argument %zu must be %s, got a literal %s",
                          sp->name, i + 1, sfn__intrinsic_kind_name(want),
                          sfn__intrinsic_type_name(a->lit));
        if (a->type == ARG_CALL &&
            !kinds_compatible(want, a->call->spec->result))
            return syntax(p, a->offset,
                          "%s argument %zu must be %s, but %s returns %s",
                          sp->name, i + 1, sfn__intrinsic_kind_name(want),
                          a->call->spec->name,
                          sfn__intrinsic_kind_name(a->call->spec->result));
    }
    return SFN_OK;
}

static sfn_rc check_call(parser *p, const sfn_intrinsic *fn)
{
    sfn_rc rc = check_arity(p, fn);
    if (rc == SFN_OK)
        rc = check_kinds(p, fn);
    if (rc != SFN_OK || !fn->spec->check)
        return rc;
    const json_t **lit = calloc(fn->argc + 1, sizeof *lit);
    long *off = calloc(fn->argc + 1, sizeof *off);
    if (!lit || !off) {
        free(lit);
        free(off);
        return no_memory(p->err);
    }
    for (size_t i = 0; i < fn->argc; i++) {
        lit[i] = fn->args[i].type == ARG_LITERAL ? fn->args[i].lit : NULL;
        off[i] = fn->args[i].offset;
    }
    sfn__intrinsic_static st = {
        .lit = lit, .offset = off, .argc = fn->argc,
        .call_offset = fn->offset,
        .tmpl_holes = fn->argc ? fn->args[0].nholes : 0,
    };
    rc = fn->spec->check(fn->spec, &st, p->err);
    free(lit);
    free(off);
    return rc;
}

/* ==== Calls ==== */

static sfn_rc parse_name(parser *p, const sfn__intrinsic_spec **spec)
{
    const char *s = p->text;
    size_t start = p->pos;
    if (strncmp(s + start, PREFIX, PREFIX_LEN) != 0)
        return syntax(p, (long)start, "expected an intrinsic function "
                                      "call starting with 'States.'");
    size_t i = start + PREFIX_LEN;
    while (isalnum((unsigned char)s[i]))
        i++;
    *spec = sfn__intrinsic_lookup(s + start, i - start);
    if (!*spec)
        return syntax(p, (long)start,
                      "unknown intrinsic function '%.*s' (names are "
                      "case-sensitive)",
                      (int)(i - start), s + start);
    p->pos = i;
    skip_ws(p);
    if (s[p->pos] != '(')
        return syntax(p, (long)p->pos, "%s: expected '(' after the name",
                      (*spec)->name);
    p->pos++;
    return SFN_OK;
}

/* Depth counts calls: the outermost is 1, and at most
 * SFN_INTRINSIC_DEPTH_MAX (10) calls may be nested inside one another. */
static sfn_rc parse_call(parser *p, int depth, sfn_intrinsic **out)
{
    if (depth > SFN_INTRINSIC_DEPTH_MAX)
        return syntax(p, (long)p->pos,
                      "intrinsic functions nested more than %d deep",
                      SFN_INTRINSIC_DEPTH_MAX);
    sfn_intrinsic *fn = calloc(1, sizeof *fn);
    if (!fn)
        return no_memory(p->err);
    fn->offset = (long)p->pos;
    sfn_rc rc = parse_name(p, &fn->spec);
    if (rc == SFN_OK)
        rc = parse_args(p, fn, depth);
    if (rc == SFN_OK)
        rc = check_call(p, fn);
    if (rc != SFN_OK) {
        sfn_intrinsic_free(fn);
        return rc;
    }
    *out = fn;
    return SFN_OK;
}

sfn_rc sfn_intrinsic_compile(const char *text, sfn_intrinsic **out,
                             sfn_error *err)
{
    if (!text || !out)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "sfn_intrinsic_compile: NULL argument");
    parser p = {.text = text, .pos = 0, .err = err};
    sfn_intrinsic *fn = NULL;
    skip_ws(&p);
    sfn_rc rc = parse_call(&p, 1, &fn);
    if (rc != SFN_OK)
        return rc;
    skip_ws(&p);
    if (text[p.pos] != '\0') {
        rc = syntax(&p, (long)p.pos,
                    "unexpected '%.20s' after the closing ')' of %s",
                    text + p.pos, fn->spec->name);
        sfn_intrinsic_free(fn);
        return rc;
    }
    *out = fn;
    return SFN_OK;
}

/* ==== Evaluation ==== */

static sfn_rc eval_call(const sfn_intrinsic *fn, const sfn_expr_env *env,
                        json_t **out, sfn_error *err);

static sfn_rc eval_path(const sfn_intrinsic *fn, size_t i,
                        const sfn_expr_env *env, json_t **out, sfn_error *err)
{
    sfn_error perr;
    sfn_error_clear(&perr);
    sfn_rc rc = sfn_jsonpath_eval(fn->args[i].path, env, out, &perr);
    if (rc == SFN_OK)
        return SFN_OK;
    const char *name = perr.name[0] ? perr.name
                       : rc == SFN_ENOTFOUND ? "States.Runtime"
                                             : NULL;
    return sfn_error_set(err, rc, name, -1, "%s argument %zu (%s): %s",
                         fn->spec->name, i + 1,
                         sfn_jsonpath_text(fn->args[i].path), perr.cause);
}

static sfn_rc eval_arg(const sfn_intrinsic *fn, size_t i,
                       const sfn_expr_env *env, json_t **out, sfn_error *err)
{
    const iarg *a = &fn->args[i];
    switch (a->type) {
    case ARG_LITERAL:
        *out = json_incref(a->lit);
        return SFN_OK;
    case ARG_PATH:
        return eval_path(fn, i, env, out, err);
    case ARG_CALL:
        return eval_call(a->call, env, out, err);
    }
    return sfn_error_set(err, SFN_EINVAL, NULL, -1, "corrupt intrinsic call");
}

static sfn_rc check_values(const sfn_intrinsic *fn, json_t *const *argv,
                           sfn_error *err)
{
    for (size_t i = 0; i < fn->argc; i++) {
        sfn__ikind want = sfn__intrinsic_arg_kind(fn->spec, i);
        if (!sfn__intrinsic_kind_accepts(want, argv[i]))
            return sfn_error_set(err, SFN_ERUNTIME, SFN__INTRINSIC_FAILURE,
                                 -1, "%s: argument %zu must be %s, got %s",
                                 fn->spec->name, i + 1,
                                 sfn__intrinsic_kind_name(want),
                                 sfn__intrinsic_type_name(argv[i]));
    }
    return SFN_OK;
}

static sfn_rc eval_call(const sfn_intrinsic *fn, const sfn_expr_env *env,
                        json_t **out, sfn_error *err)
{
    json_t **argv = calloc(fn->argc + 1, sizeof *argv);
    if (!argv)
        return no_memory(err);
    sfn_rc rc = SFN_OK;
    for (size_t i = 0; i < fn->argc && rc == SFN_OK; i++)
        rc = eval_arg(fn, i, env, &argv[i], err);
    if (rc == SFN_OK)
        rc = check_values(fn, argv, err);
    if (rc == SFN_OK) {
        bool lit_tmpl = fn->argc && fn->args[0].type == ARG_LITERAL;
        sfn__intrinsic_args a = {
            .argv = argv, .argc = fn->argc, .env = env,
            .holes = lit_tmpl ? fn->args[0].holes : NULL,
            .nholes = lit_tmpl ? fn->args[0].nholes : 0,
        };
        rc = fn->spec->eval(fn->spec, &a, out, err);
    }
    for (size_t i = 0; i < fn->argc; i++)
        json_decref(argv[i]);
    free(argv);
    return rc;
}

sfn_rc sfn_intrinsic_eval(const sfn_intrinsic *fn, const sfn_expr_env *env,
                          json_t **out, sfn_error *err)
{
    static const sfn_expr_env none = {0};
    if (!fn || !out)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "sfn_intrinsic_eval: NULL argument");
    json_t *res = NULL;
    sfn_rc rc = eval_call(fn, env ? env : &none, &res, err);
    if (rc == SFN_OK)
        *out = res;
    return rc;
}

void sfn_intrinsic_foreach_path(const sfn_intrinsic *fn,
                                void (*cb)(const sfn_jsonpath *p, void *ud),
                                void *ud)
{
    if (!fn || !cb)
        return;
    for (size_t i = 0; i < fn->argc; i++) {
        if (fn->args[i].type == ARG_PATH)
            cb(fn->args[i].path, ud);
        else if (fn->args[i].type == ARG_CALL)
            sfn_intrinsic_foreach_path(fn->args[i].call, cb, ud);
    }
}
