/* exec_choice.c: Choice rules and RFC 3339 timestamps.  JSONPath: a type
 * mismatch makes a comparison false; a missing Variable is an error for
 * every operator but IsPresent, as AWS behaves.  JSONata: a Condition must
 * give a boolean (asl.md 5.4). */
#include "exec_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int yoe = (int)(y - era * 400);
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool exec_parse_timestamp(const char *s, int64_t *ms)
{
    int y, mo, d, h, mi, sec, frac_ms = 0;
    if (strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' ||
        !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d) ||
        s[10] != 'T' || !digits(s + 11, 2, &h) || s[13] != ':' ||
        !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec))
        return false;
    const char *p = s + 19;
    if (*p == '.') {
        int n = 0, scale = 100;
        for (p++; isdigit((unsigned char)*p); p++, n++) {
            frac_ms += (*p - '0') * scale;
            scale /= 10;
        }
        if (n == 0)
            return false;
    }
    int offset_min = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om))
            return false;
        offset_min = (oh * 60 + om) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return false;
    }
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (*p || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
        mi > 59 || sec > 60)
        return false;
    int64_t days = days_from_civil(y, mo, d);
    *ms = ((days * 86400 + h * 3600 + mi * 60 + sec) - offset_min * 60) *
              1000 + frac_ms;
    return true;
}

void exec_format_timestamp(int64_t ms, char *buf, size_t size)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

/* StringMatches: `*` any run; `\*` a literal star, `\\` a backslash. */
static bool glob_match(const char *pat, const char *s)
{
    while (*pat) {
        if (*pat == '*') {
            while (*pat == '*')
                pat++;
            if (!*pat)
                return true;
            for (; *s; s++)
                if (glob_match(pat, s))
                    return true;
            return glob_match(pat, s);
        }
        char want = *pat;
        if (want == '\\' && (pat[1] == '*' || pat[1] == '\\'))
            want = *++pat;
        if (*s != want)
            return false;
        pat++;
        s++;
    }
    return !*s;
}

static int cmp_order(sfn_choice_op op, int c)
{
    switch (op) {
    case SFN_OP_STRING_EQ: case SFN_OP_NUMERIC_EQ: case SFN_OP_TIMESTAMP_EQ:
        return c == 0;
    case SFN_OP_STRING_LT: case SFN_OP_NUMERIC_LT: case SFN_OP_TIMESTAMP_LT:
        return c < 0;
    case SFN_OP_STRING_GT: case SFN_OP_NUMERIC_GT: case SFN_OP_TIMESTAMP_GT:
        return c > 0;
    case SFN_OP_STRING_LE: case SFN_OP_NUMERIC_LE: case SFN_OP_TIMESTAMP_LE:
        return c <= 0;
    default:
        return c >= 0;
    }
}

static int num_cmp(json_t *a, json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b)) {
        json_int_t x = json_integer_value(a), y = json_integer_value(b);
        return (x > y) - (x < y);
    }
    double x = json_number_value(a), y = json_number_value(b);
    return (x > y) - (x < y);
}

static bool compare(sfn_choice_op op, json_t *v, json_t *operand)
{
    int64_t t1, t2;
    switch (op) {
    case SFN_OP_IS_NULL: return json_is_null(v) == json_is_true(operand);
    case SFN_OP_IS_PRESENT: return json_is_true(operand);
    case SFN_OP_IS_NUMERIC: return json_is_number(v) == json_is_true(operand);
    case SFN_OP_IS_STRING: return json_is_string(v) == json_is_true(operand);
    case SFN_OP_IS_BOOLEAN: return json_is_boolean(v) == json_is_true(operand);
    case SFN_OP_IS_TIMESTAMP:
        return (json_is_string(v) &&
                exec_parse_timestamp(json_string_value(v), &t1)) ==
               json_is_true(operand);
    case SFN_OP_BOOLEAN_EQ:
        return json_is_boolean(v) && json_is_boolean(operand) &&
               json_is_true(v) == json_is_true(operand);
    case SFN_OP_STRING_MATCHES:
        return json_is_string(v) && json_is_string(operand) &&
               glob_match(json_string_value(operand), json_string_value(v));
    case SFN_OP_STRING_EQ: case SFN_OP_STRING_LT: case SFN_OP_STRING_GT:
    case SFN_OP_STRING_LE: case SFN_OP_STRING_GE:
        /* UTF-8 byte order is code-point order */
        return json_is_string(v) && json_is_string(operand) &&
               cmp_order(op, strcmp(json_string_value(v),
                                    json_string_value(operand)));
    case SFN_OP_NUMERIC_EQ: case SFN_OP_NUMERIC_LT: case SFN_OP_NUMERIC_GT:
    case SFN_OP_NUMERIC_LE: case SFN_OP_NUMERIC_GE:
        return json_is_number(v) && json_is_number(operand) &&
               cmp_order(op, num_cmp(v, operand));
    default: /* timestamps */
        if (!json_is_string(v) || !json_is_string(operand) ||
            !exec_parse_timestamp(json_string_value(v), &t1) ||
            !exec_parse_timestamp(json_string_value(operand), &t2))
            return false;
        return cmp_order(op, (t1 > t2) - (t1 < t2));
    }
}

/* A JSONata Condition: a boolean, or States.QueryEvaluationError.
 * raw: the rule's JSON (for the expression text), may be NULL.  1 true, 0
 * false, -1 error. */
static int eval_condition(exec_env *e, const sfn_rule *r, const json_t *raw,
                          sfn_error *err)
{
    if (r->condition_literal)
        return r->condition_value;
    const json_t *text = json_object_get(raw, "Condition");
    json_t *v = exec_ja_expr(e, r->condition, text, "Condition", err);
    if (!v)
        return -1;
    int res = json_is_boolean(v) ? json_is_true(v) : -1;
    if (res < 0)
        exec_ja_type_error(e, text, "Condition", "boolean", v, err);
    json_decref(v);
    return res;
}

/* 1 true, 0 false, -1 error */
static int eval_rule(exec_env *e, const sfn_rule *r, sfn_error *err)
{
    switch (r->kind) {
    case SFN_RULE_AND:
        for (size_t i = 0; i < r->n_children; i++) {
            int v = eval_rule(e, r->children[i], err);
            if (v != 1)
                return v;
        }
        return 1;
    case SFN_RULE_OR:
        for (size_t i = 0; i < r->n_children; i++) {
            int v = eval_rule(e, r->children[i], err);
            if (v != 0)
                return v;
        }
        return 0;
    case SFN_RULE_NOT: {
        int v = eval_rule(e, r->children[0], err);
        return v < 0 ? v : !v;
    }
    case SFN_RULE_CONDITION:
        return eval_condition(e, r, NULL, err);
    case SFN_RULE_COMPARE:
        break;
    }
    sfn_error sub;
    json_t *v = exec_apply_path(e, r->variable, false, e->expr.input, &sub);
    if (!v) {
        if (r->op == SFN_OP_IS_PRESENT)
            return !json_is_true(r->operand);
        sfn_error_set(err, SFN_ERUNTIME, "States.Runtime", -1,
                      "Invalid path '%s': The choice state's condition path "
                      "references an invalid value.",
                      sfn_jsonpath_text(r->variable));
        return -1;
    }
    json_t *operand = r->operand;
    json_t *owned = NULL;
    if (r->operand_path) {
        owned = exec_apply_path(e, r->operand_path, false, e->expr.input,
                                &sub);
        if (!owned) {
            json_decref(v);
            sfn_error_set(err, SFN_ERUNTIME, "States.Runtime", -1,
                          "Invalid path '%s': The choice state's condition "
                          "path references an invalid value.",
                          sfn_jsonpath_text(r->operand_path));
            return -1;
        }
        operand = owned;
    }
    int res = compare(r->op, v, operand);
    json_decref(v);
    json_decref(owned);
    return res;
}

int exec_choice_select(exec_env *e, const sfn_state *st, json_t *input,
                       sfn_error *err)
{
    exec_env_set_input(e, input);
    const json_t *raw = json_object_get(st->raw, "Choices");
    for (size_t i = 0; i < st->n_choices; i++) {
        const sfn_rule *r = st->choices[i];
        int v = r->kind == SFN_RULE_CONDITION
                    ? eval_condition(e, r, json_array_get(raw, i), err)
                    : eval_rule(e, r, err);
        if (v < 0)
            return -3;
        if (v)
            return (int)i;
    }
    return -1;
}
