/* eval_ops.c: JSONata's binary operators: arithmetic, comparison, deep
 * equality, and/or with boolean casting, & concatenation, `in`, and the
 * range operator, with jsonata-js's type errors (T2001-T2010, D2014). */
#include "jsonata_eval.h"

#include <math.h>
#include <string.h>

/* Largest range [a..b] that may be built. */
#define RANGE_MAX 10000000.0

static void numeric_operand(jctx *c, jv v, const char *code, long pos,
                            const char *op)
{
    if (jv_is_undef(v))
        return;
    if (v.k != JV_NUM)
        sfn__jn_throw(c, code, pos,
                      "The %s side of the \"%s\" operator must evaluate to a "
                      "number: %s",
                      code[4] == '1' ? "left" : "right", op,
                      sfn__jn_describe(c, v));
    sfn__jn_check_number(c, v.u.n, pos);
}

static jv arithmetic(jctx *c, const sfn_jn_node *n, jv l, jv r)
{
    const char *op = sfn__jsonata_op_text(n->op);
    numeric_operand(c, l, "T2001", n->pos, op);
    numeric_operand(c, r, "T2002", n->pos, op);
    if (jv_is_undef(l) || jv_is_undef(r))
        return jv_undef();
    double a = l.u.n, b = r.u.n, x;
    switch (n->op) {
    case SFN_JO_ADD:
        x = a + b;
        break;
    case SFN_JO_SUB:
        x = a - b;
        break;
    case SFN_JO_MUL:
        x = a * b;
        break;
    case SFN_JO_DIV:
        x = a / b;
        break;
    default:
        x = fmod(a, b);
        break;
    }
    /* A non-finite result is only an error where it is used as a number
     * again (D1001) or leaves the evaluator. */
    return jv_num(x);
}

static int strcmp_len(jv a, jv b)
{
    size_t m = a.len < b.len ? a.len : b.len;
    int r = memcmp(a.u.s, b.u.s, m);
    if (r)
        return r;
    return a.len == b.len ? 0 : a.len < b.len ? -1 : 1;
}

static jv comparison(jctx *c, const sfn_jn_node *n, jv l, jv r)
{
    bool lok = l.k == JV_UNDEF || l.k == JV_STR || l.k == JV_NUM;
    bool rok = r.k == JV_UNDEF || r.k == JV_STR || r.k == JV_NUM;
    const char *op = sfn__jsonata_op_text(n->op);
    if (!lok || !rok)
        sfn__jn_throw(c, "T2010", n->pos,
                      "The expressions either side of operator \"%s\" must "
                      "evaluate to numeric or string values: %s",
                      op, sfn__jn_describe(c, lok ? r : l));
    if (jv_is_undef(l) || jv_is_undef(r))
        return jv_undef();
    if (l.k != r.k)
        sfn__jn_throw(c, "T2009", n->pos,
                      "The values %s and %s either side of operator \"%s\" "
                      "must be of the same data type",
                      sfn__jn_describe(c, l), sfn__jn_describe(c, r), op);
    int cmp = l.k == JV_NUM ? (l.u.n < r.u.n ? -1 : l.u.n > r.u.n ? 1 : 0)
                            : strcmp_len(l, r);
    switch (n->op) {
    case SFN_JO_LT:
        return jv_bool(cmp < 0);
    case SFN_JO_LE:
        return jv_bool(cmp <= 0);
    case SFN_JO_GT:
        return jv_bool(cmp > 0);
    default:
        return jv_bool(cmp >= 0);
    }
}

static jv concat(jctx *c, const sfn_jn_node *n, jv l, jv r)
{
    jv ls = sfn__jn_string(c, l, false, n->pos);
    jv rs = sfn__jn_string(c, r, false, n->pos);
    size_t ll = jv_is_undef(ls) ? 0 : ls.len, rl = jv_is_undef(rs) ? 0 : rs.len;
    if (rl == 0 && ll)
        return ls;
    if (ll == 0 && rl)
        return rs;
    char *p = sfn__jn_alloc(c, ll + rl + 1);
    if (ll)
        memcpy(p, ls.u.s, ll);
    if (rl)
        memcpy(p + ll, rs.u.s, rl);
    return jv_str(p, ll + rl);
}

static jv range(jctx *c, const sfn_jn_node *n, jv l, jv r)
{
    if (!jv_is_undef(l) && (l.k != JV_NUM || floor(l.u.n) != l.u.n))
        sfn__jn_throw(c, "T2003", n->pos,
                      "The left side of the range operator (..) must "
                      "evaluate to an integer: %s",
                      sfn__jn_describe(c, l));
    if (!jv_is_undef(r) && (r.k != JV_NUM || floor(r.u.n) != r.u.n))
        sfn__jn_throw(c, "T2004", n->pos,
                      "The right side of the range operator (..) must "
                      "evaluate to an integer: %s",
                      sfn__jn_describe(c, r));
    if (jv_is_undef(l) || jv_is_undef(r) || l.u.n > r.u.n)
        return jv_undef();
    double size = r.u.n - l.u.n + 1;
    if (size > RANGE_MAX)
        sfn__jn_throw(c, "D2014", n->pos,
                      "The size of the sequence allocated by the range "
                      "operator (..) must not exceed 1e7.  Attempted to "
                      "allocate %.0f.",
                      size);
    size_t cnt = (size_t)size;
    jarr *a = sfn__jn_arr_new(c, cnt, JA_SEQ);
    for (size_t i = 0; i < cnt; i++)
        a->v[i] = jv_num(l.u.n + (double)i);
    a->n = cnt;
    return jv_arr(a);
}

/* `in`: strict (===) membership, so objects match only themselves. */
static bool strict_equal(jv a, jv b)
{
    if (a.k != b.k)
        return false;
    switch (a.k) {
    case JV_NULL:
        return true;
    case JV_BOOL:
        return a.b == b.b;
    case JV_NUM:
        return a.u.n == b.u.n;
    case JV_STR:
        return a.len == b.len && memcmp(a.u.s, b.u.s, a.len) == 0;
    case JV_JARR:
    case JV_JOBJ:
        return a.u.j == b.u.j;
    case JV_ARR:
        return a.u.a == b.u.a;
    case JV_OBJ:
        return a.u.o == b.u.o;
    case JV_FN:
        return a.u.f == b.u.f;
    default:
        return false;
    }
}

static jv includes(jv l, jv r)
{
    if (jv_is_undef(l) || jv_is_undef(r))
        return jv_bool(false);
    if (!jv_is_array(r))
        return jv_bool(strict_equal(l, r));
    size_t n = sfn__jn_alen(r);
    for (size_t i = 0; i < n; i++)
        if (strict_equal(sfn__jn_aget(r, i), l))
            return jv_bool(true);
    return jv_bool(false);
}

jv sfn__jn_eval_binary(jctx *c, const sfn_jn_node *n, jv input, jframe *env)
{
    jv l = sfn__jn_eval(c, n->lhs, input, env);
    /* 2.1: the right side is evaluated only when the left one is not used */
    if (n->op == SFN_JO_COALESCE)
        return jv_is_undef(l) ? sfn__jn_eval(c, n->rhs, input, env) : l;
    if (n->op == SFN_JO_DEFAULT)
        return sfn__jn_truthy(l) ? l : sfn__jn_eval(c, n->rhs, input, env);
    if (n->op == SFN_JO_AND || n->op == SFN_JO_OR) {
        bool lb = sfn__jn_truthy(l);
        if (n->op == SFN_JO_AND && !lb)
            return jv_bool(false);
        if (n->op == SFN_JO_OR && lb)
            return jv_bool(true);
        return jv_bool(sfn__jn_truthy(sfn__jn_eval(c, n->rhs, input, env)));
    }
    jv r = sfn__jn_eval(c, n->rhs, input, env);
    switch (n->op) {
    case SFN_JO_ADD:
    case SFN_JO_SUB:
    case SFN_JO_MUL:
    case SFN_JO_DIV:
    case SFN_JO_MOD:
        return arithmetic(c, n, l, r);
    case SFN_JO_EQ:
    case SFN_JO_NE:
        if (jv_is_undef(l) || jv_is_undef(r))
            return jv_bool(false);
        return jv_bool(sfn__jn_deep_equal(l, r) == (n->op == SFN_JO_EQ));
    case SFN_JO_LT:
    case SFN_JO_LE:
    case SFN_JO_GT:
    case SFN_JO_GE:
        return comparison(c, n, l, r);
    case SFN_JO_CONCAT:
        return concat(c, n, l, r);
    case SFN_JO_RANGE:
        return range(c, n, l, r);
    case SFN_JO_IN:
        return includes(l, r);
    default:
        sfn__jn_throw(c, "S0201", n->pos, "Unknown operator \"%s\"",
                      sfn__jsonata_op_text(n->op));
    }
}
