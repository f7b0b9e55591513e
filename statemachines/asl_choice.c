/* asl_choice.c: Choice states: JSONPath comparison and boolean rules
 * (shape, one operator, operand types, RFC 3339 timestamp literals) and
 * JSONata Condition rules, compiled into sfn_rule trees with resolved
 * targets. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "asl_internal.h"

typedef enum { K_STR, K_NUM, K_BOOL, K_TS, K_PATTERN } operand_kind;

typedef struct op_rule {
    const char *name;
    sfn_choice_op op;
    operand_kind kind;
    bool path;
} op_rule;

#define CMP(fam, kind, sfx, op)                                          \
    {fam sfx, SFN_OP_##op, kind, false}, {fam sfx "Path", SFN_OP_##op, kind, true}

static const op_rule OPS[] = {
    CMP("String", K_STR, "Equals", STRING_EQ),
    CMP("String", K_STR, "LessThan", STRING_LT),
    CMP("String", K_STR, "GreaterThan", STRING_GT),
    CMP("String", K_STR, "LessThanEquals", STRING_LE),
    CMP("String", K_STR, "GreaterThanEquals", STRING_GE),
    {"StringMatches", SFN_OP_STRING_MATCHES, K_PATTERN, false},
    CMP("Numeric", K_NUM, "Equals", NUMERIC_EQ),
    CMP("Numeric", K_NUM, "LessThan", NUMERIC_LT),
    CMP("Numeric", K_NUM, "GreaterThan", NUMERIC_GT),
    CMP("Numeric", K_NUM, "LessThanEquals", NUMERIC_LE),
    CMP("Numeric", K_NUM, "GreaterThanEquals", NUMERIC_GE),
    CMP("Boolean", K_BOOL, "Equals", BOOLEAN_EQ),
    CMP("Timestamp", K_TS, "Equals", TIMESTAMP_EQ),
    CMP("Timestamp", K_TS, "LessThan", TIMESTAMP_LT),
    CMP("Timestamp", K_TS, "GreaterThan", TIMESTAMP_GT),
    CMP("Timestamp", K_TS, "LessThanEquals", TIMESTAMP_LE),
    CMP("Timestamp", K_TS, "GreaterThanEquals", TIMESTAMP_GE),
    {"IsNull", SFN_OP_IS_NULL, K_BOOL, false},
    {"IsPresent", SFN_OP_IS_PRESENT, K_BOOL, false},
    {"IsNumeric", SFN_OP_IS_NUMERIC, K_BOOL, false},
    {"IsString", SFN_OP_IS_STRING, K_BOOL, false},
    {"IsBoolean", SFN_OP_IS_BOOLEAN, K_BOOL, false},
    {"IsTimestamp", SFN_OP_IS_TIMESTAMP, K_BOOL, false},
};

static const op_rule *find_op(const char *name)
{
    for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++)
        if (!strcmp(OPS[i].name, name))
            return &OPS[i];
    return NULL;
}

/* ------------------------------------------------------------------ */
/* RFC 3339                                                            */

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30,
                               31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

bool asl_timestamp_valid(const char *s)
{
    int y, mo, d, h, mi, se, oh, om;
    if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
        s[7] != '-' || !digits(s + 8, 2, &d) || s[10] != 'T' ||
        !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) ||
        s[16] != ':' || !digits(s + 17, 2, &se))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
        mi > 59 || se > 60)
        return false;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == 'Z')
        return p[1] == '\0';
    if (*p != '+' && *p != '-')
        return false;
    return digits(p + 1, 2, &oh) && p[3] == ':' && digits(p + 4, 2, &om) &&
           p[6] == '\0' && oh <= 23 && om <= 59;
}

/* ------------------------------------------------------------------ */
/* Rules                                                               */

typedef struct rule_env {
    asl_ctx *c;
    const json_t *names;
    const sfn_state *st;
} rule_env;

static sfn_rule *rule_new(asl_ctx *c, sfn_rule_kind kind)
{
    sfn_rule *r = calloc(1, sizeof *r);
    if (!r) {
        c->oom = true;
        return NULL;
    }
    r->kind = kind;
    r->next = -1;
    return r;
}

static sfn_rule *rule_jp(rule_env *e, const json_t *obj, const char *ptr,
                         bool top, int depth);

static void check_operand(asl_ctx *c, const op_rule *op, const json_t *v,
                          const char *ptr, sfn_rule *r)
{
    if (op->path) {
        if (!json_is_string(v))
            asl_err(c, ASL_SCHEMA, ptr, op->name,
                    "'%s' must be a reference path string, not %s", op->name,
                    asl_json_type_name(v));
        else
            r->operand_path = asl_path(c, json_string_value(v),
                                       ASL_PATH_REFERENCE, ptr, op->name);
        return;
    }
    r->operand = (json_t *)v;
    bool ok;
    const char *want;
    switch (op->kind) {
    case K_NUM: ok = json_is_number(v), want = "a number"; break;
    case K_BOOL: ok = json_is_boolean(v), want = "a boolean"; break;
    case K_TS:
        ok = json_is_string(v) && asl_timestamp_valid(json_string_value(v));
        want = "an RFC 3339 timestamp string such as "
               "\"2016-03-14T01:59:00Z\"";
        break;
    default: ok = json_is_string(v), want = "a string"; break;
    }
    if (!ok) {
        char buf[96];
        asl_err(c, ASL_SCHEMA, ptr, op->name, "'%s' must be %s, not %s",
                op->name, want, asl_show(v, buf, sizeof buf));
    }
}

static sfn_rule *rule_compare(rule_env *e, const json_t *obj,
                              const char *ptr)
{
    asl_ctx *c = e->c;
    const op_rule *op = NULL;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        const op_rule *o = find_op(key);
        if (!o)
            continue;
        if (op) {
            asl_err(c, ASL_SCHEMA, ptr, key,
                    "A Choice comparison takes exactly one operator; found "
                    "'%s' and '%s'", op->name, key);
            return NULL;
        }
        op = o;
    }
    const json_t *var = json_object_get(obj, "Variable");
    if (!var) {
        asl_err(c, ASL_SCHEMA, ptr, NULL,
                "These fields are required: [Variable]");
        return NULL;
    }
    if (!op) {
        asl_err(c, ASL_SCHEMA, ptr, NULL,
                "A Choice comparison needs one operator such as "
                "StringEquals or NumericLessThan next to 'Variable'");
        return NULL;
    }
    sfn_rule *r = rule_new(c, SFN_RULE_COMPARE);
    if (!r)
        return NULL;
    r->op = op->op;
    if (!json_is_string(var))
        asl_err(c, ASL_SCHEMA, ptr, "Variable",
                "'Variable' must be a reference path string, not %s",
                asl_json_type_name(var));
    else
        r->variable = asl_path(c, json_string_value(var), ASL_PATH_REFERENCE,
                               ptr, "Variable");
    check_operand(c, op, json_object_get(obj, op->name), ptr, r);
    return r;
}

static sfn_rule *rule_bool(rule_env *e, const json_t *obj, const char *ptr,
                           const char *which, int depth)
{
    asl_ctx *c = e->c;
    const json_t *v = json_object_get(obj, which);
    bool is_not = !strcmp(which, "Not");
    sfn_rule *r = rule_new(c, is_not ? SFN_RULE_NOT
                                     : !strcmp(which, "And") ? SFN_RULE_AND
                                                             : SFN_RULE_OR);
    if (!r)
        return NULL;
    char *p = asl_ptr(c, ptr, which);
    if (is_not && !json_is_object(v)) {
        asl_err(c, ASL_SCHEMA, p, NULL,
                "'Not' must be one Choice rule object, not %s",
                asl_json_type_name(v));
    } else if (!is_not && (!json_is_array(v) || !json_array_size(v))) {
        asl_err(c, ASL_SCHEMA, p, NULL,
                "'%s' must be a non-empty array of Choice rules, not %s",
                which, json_is_array(v) ? "an empty array"
                                        : asl_json_type_name(v));
    } else {
        size_t n = is_not ? 1 : json_array_size(v);
        r->children = calloc(n, sizeof *r->children);
        if (!r->children)
            c->oom = true;
        for (size_t i = 0; r->children && i < n; i++) {
            char *cp = is_not ? p : asl_ptr_index(c, p, i);
            const json_t *child = is_not ? v : json_array_get(v, i);
            sfn_rule *ch = rule_jp(e, child, cp, false, depth + 1);
            if (cp != p)
                asl_ptr_free(cp);
            if (ch)
                r->children[r->n_children++] = ch;
        }
    }
    asl_ptr_free(p);
    return r;
}

static const char *const BOOL_KEYS[] = {"And", "Or", "Not", NULL};

static bool rule_keys_ok(rule_env *e, const json_t *obj, const char *ptr,
                         bool top)
{
    bool ok = true;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        bool toponly = !strcmp(key, "Next") || !strcmp(key, "Assign");
        if (toponly && !top) {
            asl_err(e->c, ASL_SCHEMA, ptr, key,
                    "Only top-level Choice rules may have '%s'; rules nested"
                    " in And, Or or Not must not", key);
            ok = false;
        } else if (!toponly && !find_op(key) && strcmp(key, "Variable") &&
                   strcmp(key, "Comment") && strcmp(key, "And") &&
                   strcmp(key, "Or") && strcmp(key, "Not")) {
            asl_err(e->c, ASL_SCHEMA, ptr, key,
                    "The field '%s' is not supported by Step Functions", key);
            ok = false;
        }
    }
    return ok;
}

static sfn_rule *rule_jp(rule_env *e, const json_t *obj, const char *ptr,
                         bool top, int depth)
{
    asl_ctx *c = e->c;
    if (!json_is_object(obj)) {
        asl_err(c, ASL_SCHEMA, ptr, NULL, "A Choice rule must be an object, "
                "not %s", asl_json_type_name(obj));
        return NULL;
    }
    if (depth > ASL_DEPTH_MAX) {
        asl_err(c, ASL_SCHEMA, ptr, NULL, "Choice rules nest deeper than %d "
                "levels", ASL_DEPTH_MAX);
        return NULL;
    }
    if (!rule_keys_ok(e, obj, ptr, top))
        return NULL;
    const char *boolop = NULL;
    for (const char *const *k = BOOL_KEYS; *k; k++) {
        if (!json_object_get(obj, *k))
            continue;
        if (boolop) {
            asl_err(c, ASL_SCHEMA, ptr, *k, "A Choice rule takes one of And,"
                    " Or, Not; found '%s' and '%s'", boolop, *k);
            return NULL;
        }
        boolop = *k;
    }
    bool compare = json_object_get(obj, "Variable") != NULL;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) compare |= find_op(key) != NULL;
    if (boolop && compare) {
        asl_err(c, ASL_SCHEMA, ptr, boolop,
                "A Choice rule is either a boolean rule (And, Or, Not) or a "
                "comparison (Variable and an operator), not both");
        return NULL;
    }
    if (!boolop && !compare) {
        asl_err(c, ASL_SCHEMA, ptr, NULL,
                "A Choice rule needs a comparison (Variable and one operator)"
                " or one of And, Or, Not");
        return NULL;
    }
    return boolop ? rule_bool(e, obj, ptr, boolop, depth)
                  : rule_compare(e, obj, ptr);
}

static const char *const JA_RULE_FIELDS[] = {"Condition", "Next", "Assign",
                                             "Output", "Comment", NULL};

static sfn_rule *rule_ja(rule_env *e, const json_t *obj, const char *ptr)
{
    asl_ctx *c = e->c;
    if (!json_is_object(obj)) {
        asl_err(c, ASL_SCHEMA, ptr, NULL, "A Choice rule must be an object, "
                "not %s", asl_json_type_name(obj));
        return NULL;
    }
    asl_check_known(c, obj, ptr, JA_RULE_FIELDS);
    const json_t *cond = json_object_get(obj, "Condition");
    sfn_rule *r = rule_new(c, SFN_RULE_CONDITION);
    if (!r)
        return NULL;
    if (!cond) {
        asl_err(c, ASL_SCHEMA, ptr, NULL,
                "These fields are required: [Condition]");
    } else if (json_is_boolean(cond)) {
        r->condition_literal = true;
        r->condition_value = json_is_true(cond);
    } else if (asl_is_jsonata_string(cond)) {
        char *p = asl_ptr(c, ptr, "Condition");
        r->condition = asl_jsonata(c, json_string_value(cond), p);
        asl_ptr_free(p);
    } else {
        asl_err(c, ASL_SCHEMA, ptr, "Condition",
                "'Condition' must be a boolean or a {%% %%} expression, not "
                "%s", asl_json_type_name(cond));
    }
    const json_t *out = json_object_get(obj, "Output");
    if (out) {
        char *p = asl_ptr(c, ptr, "Output");
        r->output = asl_tpl_jsonata(c, out, p);
        asl_ptr_free(p);
    }
    return r;
}

static sfn_rule *top_rule(rule_env *e, const json_t *obj, const char *ptr)
{
    asl_ctx *c = e->c;
    bool ja = e->st->ql == SFN_QL_JSONATA;
    sfn_rule *r = ja ? rule_ja(e, obj, ptr) : rule_jp(e, obj, ptr, true, 0);
    if (!r) {
        c->bad_edges++;
        return NULL;
    }
    const json_t *next = json_object_get(obj, "Next");
    if (!next) {
        asl_err(c, ASL_SCHEMA, ptr, NULL,
                "These fields are required: [Next]");
        c->bad_edges++;
    }
    else
        r->next = asl_resolve(c, e->names, next, ptr, "Next");
    const json_t *assign = json_object_get(obj, "Assign");
    if (assign) {
        char *p = asl_ptr(c, ptr, "Assign");
        r->assign = asl_assign_compile(c, e->st->ql, assign, p);
        asl_ptr_free(p);
    }
    return r;
}

void asl_choice_compile(asl_ctx *c, const json_t *names, sfn_state *st)
{
    rule_env e = {c, names, st};
    const json_t *choices = json_object_get(st->raw, "Choices");
    const json_t *def = json_object_get(st->raw, "Default");
    if (def)
        st->default_next = asl_resolve(c, names, def, st->pointer, "Default");
    else
        asl_warn(c, ASL_W_NO_DEFAULT, st->pointer, NULL,
                 "Choice '%s' has no Default; when no rule matches the "
                 "execution fails with States.NoChoiceMatched", st->name);
    if (!choices) {
        asl_err(c, ASL_SCHEMA, st->pointer, NULL,
                "These fields are required: [Choices]");
        c->bad_edges++;
        return;
    }
    if (!json_is_array(choices) || !json_array_size(choices)) {
        asl_err(c, ASL_SCHEMA, st->pointer, "Choices",
                "'Choices' must be a non-empty array of rules, not %s",
                json_is_array(choices) ? "an empty array"
                                       : asl_json_type_name(choices));
        c->bad_edges++;
        return;
    }
    st->choices = calloc(json_array_size(choices), sizeof *st->choices);
    if (!st->choices) {
        c->oom = true;
        return;
    }
    char *cp = asl_ptr(c, st->pointer, "Choices");
    size_t i;
    json_t *it;
    json_array_foreach(choices, i, it) {
        char *p = asl_ptr_index(c, cp, i);
        sfn_rule *r = top_rule(&e, it, p);
        asl_ptr_free(p);
        if (r)
            st->choices[st->n_choices++] = r;
    }
    asl_ptr_free(cp);
}
