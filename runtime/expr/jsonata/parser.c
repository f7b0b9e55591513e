/* parser.c: phase 1 of JSONata compilation, a Pratt (top-down operator
 * precedence) parser over the lexer's tokens, producing the raw tree that
 * postparse.c then rewrites.  Binding powers and grammar follow jsonata-js
 * 2.0.x so that the same texts parse and fail with the same codes.
 * Every function returning a node returns NULL after filling p->err. */
#include "jsonata_ast.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
    sfn_jn_lexer lx;
    sfn_jn_token tok; /* the current (lookahead) token */
    sfn_jn_arena *a;
    sfn_error *err;
    int depth;
} parser;

#define TRY(x)                                                           \
    do {                                                                 \
        if (!(x))                                                        \
            return NULL;                                                 \
    } while (0)

static sfn_jn_node *expression(parser *p, int rbp);

static void *oom(parser *p, long pos)
{
    sfn_error_set(p->err, SFN_ENOMEM, NULL, pos, "out of memory");
    return NULL;
}

/* The token as it appears in the source, for messages. */
static void describe(const parser *p, const sfn_jn_token *t, char *buf,
                     size_t size)
{
    if (t->type == SFN_JT_END) {
        snprintf(buf, size, "(end)");
        return;
    }
    int n = (int)(t->end - t->pos);
    if (n > 40)
        n = 40;
    snprintf(buf, size, "%.*s", n, p->lx.src + t->pos);
}

static bool is_op(const sfn_jn_token *t, sfn_jn_op op)
{
    return t->type == SFN_JT_OPERATOR && t->op == op;
}

/* Moves past the current token, first checking it is `expect` (unless
 * NONE).  `infix`: the consumed token ends an operand, so a following `/`
 * divides. */
static bool advance(parser *p, sfn_jn_op expect, bool infix)
{
    if (expect != SFN_JO_NONE && !is_op(&p->tok, expect)) {
        char got[64];
        describe(p, &p->tok, got, sizeof got);
        if (p->tok.type == SFN_JT_END)
            sfn__jsonata_syntax(p->err, "S0203", p->tok.pos,
                                "Expected \"%s\" before end of expression",
                                sfn__jsonata_op_text(expect));
        else
            sfn__jsonata_syntax(p->err, "S0202", p->tok.pos,
                                "Expected \"%s\", got \"%s\"",
                                sfn__jsonata_op_text(expect), got);
        return false;
    }
    if (sfn__jsonata_lex(&p->lx, infix, &p->tok, p->err))
        return false;
    if (is_op(&p->tok, SFN_JO_BANG) || is_op(&p->tok, SFN_JO_TILDE)) {
        sfn__jsonata_syntax(p->err, "S0204", p->tok.pos,
                            "Unknown operator: \"%s\"",
                            sfn__jsonata_op_text(p->tok.op));
        return false;
    }
    return true;
}

static sfn_jn_node *node(parser *p, sfn_jn_kind kind, long pos)
{
    sfn_jn_node *n = sfn__jsonata_node_new(p->a, kind, pos);
    return n ? n : oom(p, pos);
}

static bool push(parser *p, sfn_jn_list *l, sfn_jn_node *n)
{
    if (sfn__jsonata_list_push(p->a, l, n) == SFN_OK)
        return true;
    oom(p, n->pos);
    return false;
}

/* ==== Operands (nud) ==== */

static sfn_jn_node *leaf(parser *p, const sfn_jn_token *t)
{
    static const sfn_jn_kind kinds[] = {
        [SFN_JT_END] = SFN_JN_END,         [SFN_JT_NAME] = SFN_JN_NAME,
        [SFN_JT_VARIABLE] = SFN_JN_VARIABLE, [SFN_JT_STRING] = SFN_JN_STRING,
        [SFN_JT_NUMBER] = SFN_JN_NUMBER,   [SFN_JT_VALUE] = SFN_JN_VALUE,
        [SFN_JT_REGEX] = SFN_JN_REGEX,
    };
    sfn_jn_node *n = node(p, kinds[t->type], t->pos);
    TRY(n);
    n->str = t->str;
    n->len = t->len;
    n->num = t->num;
    n->value = t->value;
    memcpy(n->flags, t->flags, sizeof n->flags);
    return n;
}

/* ( expr ; expr ; ... ) */
static sfn_jn_node *block(parser *p, long pos)
{
    sfn_jn_node *n = node(p, SFN_JN_BLOCK, pos);
    TRY(n);
    while (!is_op(&p->tok, SFN_JO_RPAREN)) {
        sfn_jn_node *e = expression(p, 0);
        TRY(e && push(p, &n->items, e));
        if (!is_op(&p->tok, SFN_JO_SEMI))
            break;
        TRY(advance(p, SFN_JO_SEMI, false));
    }
    TRY(advance(p, SFN_JO_RPAREN, true));
    return n;
}

/* [ item, lo..hi, ... ] */
static sfn_jn_node *array(parser *p, long pos)
{
    sfn_jn_node *n = node(p, SFN_JN_ARRAY, pos);
    TRY(n);
    if (!is_op(&p->tok, SFN_JO_RBRACK)) {
        for (;;) {
            sfn_jn_node *item = expression(p, 0);
            TRY(item);
            if (is_op(&p->tok, SFN_JO_RANGE)) {
                sfn_jn_node *r = node(p, SFN_JN_BINARY, p->tok.pos);
                TRY(r);
                r->op = SFN_JO_RANGE;
                r->lhs = item;
                TRY(advance(p, SFN_JO_RANGE, false));
                TRY(r->rhs = expression(p, 0));
                item = r;
            }
            TRY(push(p, &n->items, item));
            if (!is_op(&p->tok, SFN_JO_COMMA))
                break;
            TRY(advance(p, SFN_JO_COMMA, false));
        }
    }
    TRY(advance(p, SFN_JO_RBRACK, true));
    return n;
}

/* { key: value, ... } after the `{`, both as constructor and group-by. */
static sfn_jn_pairs *pairs(parser *p, long pos)
{
    sfn_jn_pairs *ps = sfn__jsonata_alloc(p->a, sizeof *ps);
    TRY(ps ? ps : oom(p, pos));
    ps->pos = pos;
    if (!is_op(&p->tok, SFN_JO_RBRACE)) {
        for (;;) {
            sfn_jn_node *k = expression(p, 0);
            TRY(k && advance(p, SFN_JO_COLON, false));
            sfn_jn_node *v = expression(p, 0);
            TRY(v && push(p, &ps->keys, k) && push(p, &ps->values, v));
            if (!is_op(&p->tok, SFN_JO_COMMA))
                break;
            TRY(advance(p, SFN_JO_COMMA, false));
        }
    }
    TRY(advance(p, SFN_JO_RBRACE, true));
    return ps;
}

/* | pattern | update [, delete] | */
static sfn_jn_node *transform(parser *p, long pos)
{
    sfn_jn_node *n = node(p, SFN_JN_TRANSFORM, pos);
    TRY(n);
    TRY(n->pattern = expression(p, 0));
    TRY(advance(p, SFN_JO_PIPE, false));
    TRY(n->update = expression(p, 0));
    if (is_op(&p->tok, SFN_JO_COMMA)) {
        TRY(advance(p, SFN_JO_COMMA, false));
        TRY(n->del = expression(p, 0));
    }
    TRY(advance(p, SFN_JO_PIPE, false));
    return n;
}

static sfn_jn_node *prefix_op(parser *p, const sfn_jn_token *t)
{
    sfn_jn_node *n;
    switch (t->op) {
    case SFN_JO_SUB:
        TRY(n = node(p, SFN_JN_NEGATE, t->pos));
        n->op = SFN_JO_SUB;
        TRY(n->expr = expression(p, 70));
        return n;
    case SFN_JO_MUL:
        return node(p, SFN_JN_WILDCARD, t->pos);
    case SFN_JO_DESCEND:
        return node(p, SFN_JN_DESCENDANT, t->pos);
    case SFN_JO_MOD:
        return node(p, SFN_JN_PARENT, t->pos);
    case SFN_JO_LPAREN:
        return block(p, t->pos);
    case SFN_JO_LBRACK:
        return array(p, t->pos);
    case SFN_JO_LBRACE:
        TRY(n = node(p, SFN_JN_OBJECT, t->pos));
        TRY(n->pairs = pairs(p, t->pos));
        return n;
    case SFN_JO_PIPE:
        return transform(p, t->pos);
    case SFN_JO_AND:
    case SFN_JO_OR:
    case SFN_JO_IN:
        /* The words stay operands here; postparse turns them into names. */
        TRY(n = node(p, SFN_JN_OPERATOR, t->pos));
        n->op = t->op;
        return n;
    default:
        sfn__jsonata_syntax(p->err, "S0211", t->pos,
                            "The symbol \"%s\" cannot be used as a unary "
                            "operator",
                            sfn__jsonata_op_text(t->op));
        return NULL;
    }
}

static sfn_jn_node *nud(parser *p, const sfn_jn_token *t)
{
    if (t->type == SFN_JT_OPERATOR)
        return prefix_op(p, t);
    return leaf(p, t);
}

/* ==== Infix forms (led) ==== */

static sfn_jn_node *binary(parser *p, const sfn_jn_token *t, sfn_jn_node *l,
                           int rbp)
{
    sfn_jn_node *n = node(p, SFN_JN_BINARY, t->pos);
    TRY(n);
    n->op = t->op;
    n->lhs = l;
    TRY(n->rhs = expression(p, rbp));
    return n;
}

static bool append(parser *p, char **buf, size_t *n, size_t *cap,
                   const char *s, size_t len)
{
    if (*n + len + 1 > *cap) {
        size_t ncap = (*n + len + 1) * 2;
        char *nb = realloc(*buf, ncap);
        if (!nb) {
            oom(p, p->tok.pos);
            return false;
        }
        *buf = nb;
        *cap = ncap;
    }
    memcpy(*buf + *n, s, len);
    *n += len;
    (*buf)[*n] = '\0';
    return true;
}

/* Gathers the tokens of a <...> signature (nested <> balanced) back into
 * text, the way jsonata-js does, and parses it. */
static bool signature(parser *p, sfn_jn_node *lambda)
{
    long sig_pos = p->tok.pos;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int depth = 1;
    bool ok = append(p, &buf, &n, &cap, "<", 1);
    while (ok && depth > 0 && !is_op(&p->tok, SFN_JO_LBRACE) &&
           p->tok.type != SFN_JT_END) {
        ok = advance(p, SFN_JO_NONE, false);
        if (!ok || p->tok.type == SFN_JT_END)
            break;
        if (is_op(&p->tok, SFN_JO_GT))
            depth--;
        else if (is_op(&p->tok, SFN_JO_LT))
            depth++;
        const sfn_jn_token *t = &p->tok;
        if (t->type == SFN_JT_STRING || t->type == SFN_JT_VARIABLE)
            ok = append(p, &buf, &n, &cap, t->str, t->len);
        else
            ok = append(p, &buf, &n, &cap, p->lx.src + t->pos,
                        (size_t)(t->end - t->pos));
    }
    ok = ok && advance(p, SFN_JO_GT, false);
    ok = ok && sfn__jsonata_signature_parse(p->a, buf, sig_pos,
                                            &lambda->signature,
                                            p->err) == SFN_OK;
    free(buf);
    return ok;
}

static bool is_function_keyword(const sfn_jn_node *n)
{
    return n->kind == SFN_JN_NAME &&
           (strcmp(n->str, "function") == 0 || strcmp(n->str, "\xCE\xBB") == 0);
}

/* function($a, $b)<sig>{ body } once the argument list is read. */
static sfn_jn_node *lambda(parser *p, sfn_jn_node *n)
{
    for (size_t i = 0; i < n->items.n; i++) {
        const sfn_jn_node *arg = n->items.v[i];
        if (arg->kind != SFN_JN_VARIABLE) {
            sfn__jsonata_syntax(p->err, "S0208", arg->pos,
                                "Parameter %zu of function definition must "
                                "be a variable name (start with $)",
                                i + 1);
            return NULL;
        }
    }
    n->kind = SFN_JN_LAMBDA;
    n->procedure = NULL;
    if (is_op(&p->tok, SFN_JO_LT))
        TRY(signature(p, n));
    TRY(advance(p, SFN_JO_LBRACE, false));
    TRY(n->body = expression(p, 0));
    TRY(advance(p, SFN_JO_RBRACE, false));
    return n;
}

/* callee(args) ; `?` arguments make a partial application. */
static sfn_jn_node *call(parser *p, const sfn_jn_token *t, sfn_jn_node *l)
{
    sfn_jn_node *n = node(p, SFN_JN_FUNCTION, t->pos);
    TRY(n);
    n->procedure = l;
    if (!is_op(&p->tok, SFN_JO_RPAREN)) {
        for (;;) {
            sfn_jn_node *arg;
            if (is_op(&p->tok, SFN_JO_QUESTION)) {
                n->kind = SFN_JN_PARTIAL;
                TRY(arg = node(p, SFN_JN_OPERATOR, p->tok.pos));
                arg->op = SFN_JO_QUESTION;
                TRY(advance(p, SFN_JO_QUESTION, false));
            } else {
                TRY(arg = expression(p, 0));
            }
            TRY(push(p, &n->items, arg));
            if (!is_op(&p->tok, SFN_JO_COMMA))
                break;
            TRY(advance(p, SFN_JO_COMMA, false));
        }
    }
    TRY(advance(p, SFN_JO_RPAREN, true));
    return is_function_keyword(l) ? lambda(p, n) : n;
}

/* step[predicate], or step[] which only marks the step keep-array. */
static sfn_jn_node *predicate(parser *p, const sfn_jn_token *t,
                              sfn_jn_node *l)
{
    if (is_op(&p->tok, SFN_JO_RBRACK)) {
        sfn_jn_node *step = l;
        while (step->kind == SFN_JN_BINARY && step->op == SFN_JO_LBRACK)
            step = step->lhs;
        step->keep_array = true;
        TRY(advance(p, SFN_JO_RBRACK, false));
        return l;
    }
    sfn_jn_node *n = node(p, SFN_JN_BINARY, t->pos);
    TRY(n);
    n->op = SFN_JO_LBRACK;
    n->lhs = l;
    TRY(n->rhs = expression(p, 0));
    TRY(advance(p, SFN_JO_RBRACK, true));
    return n;
}

/* lhs^(<a, >b, c) */
static sfn_jn_node *order_by(parser *p, const sfn_jn_token *t, sfn_jn_node *l)
{
    sfn_jn_node *n = node(p, SFN_JN_BINARY, t->pos);
    TRY(n);
    n->op = SFN_JO_SORT;
    n->lhs = l;
    TRY(advance(p, SFN_JO_LPAREN, false));
    for (;;) {
        sfn_jn_node *term = node(p, SFN_JN_SORT_TERM, p->tok.pos);
        TRY(term);
        if (is_op(&p->tok, SFN_JO_LT)) {
            TRY(advance(p, SFN_JO_LT, false));
        } else if (is_op(&p->tok, SFN_JO_GT)) {
            term->descending = true;
            TRY(advance(p, SFN_JO_GT, false));
        }
        TRY(term->expr = expression(p, 0));
        TRY(push(p, &n->items, term));
        if (!is_op(&p->tok, SFN_JO_COMMA))
            break;
        TRY(advance(p, SFN_JO_COMMA, false));
    }
    TRY(advance(p, SFN_JO_RPAREN, false));
    return n;
}

/* lhs @ $v  /  lhs # $v */
static sfn_jn_node *var_binding(parser *p, const sfn_jn_token *t,
                                sfn_jn_node *l)
{
    sfn_jn_node *n = binary(p, t, l, sfn__jsonata_op_lbp(t->op));
    TRY(n);
    if (n->rhs->kind != SFN_JN_VARIABLE) {
        sfn__jsonata_syntax(p->err, "S0214", n->rhs->pos,
                            "The right side of \"%s\" must be a variable "
                            "name (start with $)",
                            sfn__jsonata_op_text(t->op));
        return NULL;
    }
    return n;
}

static sfn_jn_node *led(parser *p, const sfn_jn_token *t, sfn_jn_node *l)
{
    sfn_jn_node *n;
    switch (t->op) {
    case SFN_JO_LPAREN:
        return call(p, t, l);
    case SFN_JO_LBRACK:
        return predicate(p, t, l);
    case SFN_JO_SORT:
        return order_by(p, t, l);
    case SFN_JO_LBRACE:
        TRY(n = node(p, SFN_JN_BINARY, t->pos));
        n->op = SFN_JO_LBRACE;
        n->lhs = l;
        TRY(n->pairs = pairs(p, t->pos));
        return n;
    case SFN_JO_BIND:
        if (l->kind != SFN_JN_VARIABLE) {
            sfn__jsonata_syntax(p->err, "S0212", l->pos,
                                "The left side of := must be a variable "
                                "name (start with $)");
            return NULL;
        }
        /* Right associative: one less than its own binding power. */
        return binary(p, t, l, sfn__jsonata_op_lbp(SFN_JO_BIND) - 1);
    case SFN_JO_AT:
    case SFN_JO_HASH:
        return var_binding(p, t, l);
    case SFN_JO_QUESTION:
        TRY(n = node(p, SFN_JN_CONDITION, t->pos));
        n->cond = l;
        TRY(n->then_ = expression(p, 0));
        if (is_op(&p->tok, SFN_JO_COLON)) {
            TRY(advance(p, SFN_JO_COLON, false));
            TRY(n->else_ = expression(p, 0));
        }
        return n;
    default:
        return binary(p, t, l, sfn__jsonata_op_lbp(t->op));
    }
}

static int lbp(const sfn_jn_token *t)
{
    return t->type == SFN_JT_OPERATOR ? sfn__jsonata_op_lbp(t->op) : 0;
}

static sfn_jn_node *expression(parser *p, int rbp)
{
    if (++p->depth > SFN_JSONATA_DEPTH_MAX) {
        sfn_error_set(p->err, SFN_ELIMIT, "U1001", p->tok.pos,
                      "Expression nests deeper than %d levels (at byte %ld)",
                      SFN_JSONATA_DEPTH_MAX, p->tok.pos);
        return NULL;
    }
    sfn_jn_token t = p->tok;
    TRY(advance(p, SFN_JO_NONE, true));
    sfn_jn_node *left = nud(p, &t);
    TRY(left);
    while (rbp < lbp(&p->tok)) {
        t = p->tok;
        TRY(advance(p, SFN_JO_NONE, false));
        TRY(left = led(p, &t, left));
    }
    p->depth--;
    return left;
}

sfn_rc sfn__jsonata_parse(const char *text, size_t len, bool v2_1,
                          sfn_jn_arena *a, sfn_jn_node **out, sfn_error *err)
{
    parser p = {.lx = {.src = text, .len = len, .arena = a, .v2_1 = v2_1},
                .a = a,
                .err = err};
    if (!advance(&p, SFN_JO_NONE, false))
        return err ? err->rc : SFN_ESYNTAX;
    sfn_jn_node *root = expression(&p, 0);
    if (!root)
        return err ? err->rc : SFN_ESYNTAX;
    if (p.tok.type != SFN_JT_END) {
        char got[64];
        describe(&p, &p.tok, got, sizeof got);
        return sfn__jsonata_syntax(err, "S0201", p.tok.pos,
                                   "Syntax error: unexpected \"%s\"", got);
    }
    *out = root;
    return SFN_OK;
}
