/* test_exec_choice.c: the Choice state run through the in-memory runner:
 * every comparison operator and its ...Path variant (true, false, type
 * mismatch, missing variable), boolean rules, rule order, Default, and the
 * state's own data flow.  Expected behaviour from asl.md section 5. */
#include "exec_run_util.h"

#define MISSING_CAUSE "The choice state's condition path references an " \
                      "invalid value."

/* 1: the rule matched, 0: it did not, -1: States.Runtime (missing path;
 * the cause must name `path`). */
static int outcome(const char *def, const char *input, const char *path)
{
    sfn_run_result r;
    run_def(def, input, &r);
    int res = -2;
    if (r.status == SFN_EXEC_SUCCEEDED && json_is_string(r.output))
        res = !strcmp(json_string_value(r.output), "yes");
    else if (r.status == SFN_EXEC_FAILED && r.error &&
             !strcmp(r.error, "States.Runtime") && r.cause &&
             strstr(r.cause, MISSING_CAUSE) && strstr(r.cause, path))
        res = -1;
    if (res == -2)
        print_result(&r);
    sfn_run_result_free(&r);
    return res;
}

static int choose(const char *op, const char *operand, const char *value)
{
    char def[1024], input[512];
    snprintf(def, sizeof def,
             "{'StartAt':'C','States':{'C':{'Type':'Choice','Choices':["
             "{'Variable':'$.v','%s':%s,'Next':'T'}],'Default':'F'},"
             "'T':{'Type':'Pass','Result':'yes','End':true},"
             "'F':{'Type':'Pass','Result':'no','End':true}}}",
             op, operand);
    if (value)
        snprintf(input, sizeof input, "{'v':%s}", value);
    else
        snprintf(input, sizeof input, "{}");
    return outcome(def, input, "'$.v'");
}

/* The ...Path variant: the operand is read from $.w. */
static int choose_path(const char *op, const char *operand,
                       const char *value)
{
    char def[1024], input[512];
    snprintf(def, sizeof def,
             "{'StartAt':'C','States':{'C':{'Type':'Choice','Choices':["
             "{'Variable':'$.v','%sPath':'$.w','Next':'T'}],'Default':'F'},"
             "'T':{'Type':'Pass','Result':'yes','End':true},"
             "'F':{'Type':'Pass','Result':'no','End':true}}}",
             op);
    if (operand)
        snprintf(input, sizeof input, "{'v':%s,'w':%s}", value, operand);
    else
        snprintf(input, sizeof input, "{'v':%s}", value);
    return outcome(def, input, "'$.w'");
}

/* yes/no: values for which the rule holds / does not; wrong: a value of
 * another type (a mismatch is false, not an error). */
static void check_operator(const char *op, const char *operand,
                           const char *yes, const char *no,
                           const char *wrong, bool has_path)
{
    assert_int_equal(choose(op, operand, yes), 1);
    assert_int_equal(choose(op, operand, no), 0);
    assert_int_equal(choose(op, operand, wrong), 0);
    assert_int_equal(choose(op, operand, NULL), -1);
    if (!has_path)
        return;
    assert_int_equal(choose_path(op, operand, yes), 1);
    assert_int_equal(choose_path(op, operand, no), 0);
    assert_int_equal(choose_path(op, operand, wrong), 0);
    assert_int_equal(choose_path(op, wrong, yes), 0);
    assert_int_equal(choose_path(op, NULL, yes), -1);
}

/* ---- string ------------------------------------------------------------ */

static void test_string_equals(void **state)
{
    (void)state;
    check_operator("StringEquals", "'abc'", "'abc'", "'abd'", "1", true);
}

static void test_string_less_than(void **state)
{
    (void)state;
    check_operator("StringLessThan", "'b'", "'a'", "'b'", "0", true);
}

static void test_string_greater_than(void **state)
{
    (void)state;
    check_operator("StringGreaterThan", "'b'", "'c'", "'b'", "true", true);
}

static void test_string_less_than_equals(void **state)
{
    (void)state;
    check_operator("StringLessThanEquals", "'b'", "'b'", "'c'", "null",
                   true);
}

static void test_string_greater_than_equals(void **state)
{
    (void)state;
    check_operator("StringGreaterThanEquals", "'b'", "'b'", "'a'", "[]",
                   true);
}

/* `*` matches any run; `\\*` in JSON is a literal star. */
static void test_string_matches(void **state)
{
    (void)state;
    check_operator("StringMatches", "'log-*.txt'", "'log-2024.txt'",
                   "'log-2024.csv'", "1", false);
    assert_int_equal(choose("StringMatches", "'a\\\\*b'", "'a*b'"), 1);
    assert_int_equal(choose("StringMatches", "'a\\\\*b'", "'axb'"), 0);
    assert_int_equal(choose("StringMatches", "'*'", "''"), 1);
}

/* ---- numeric ----------------------------------------------------------- */

static void test_numeric_equals(void **state)
{
    (void)state;
    check_operator("NumericEquals", "1", "1.0", "2", "'1'", true);
}

static void test_numeric_less_than(void **state)
{
    (void)state;
    check_operator("NumericLessThan", "10", "9.5", "10", "'9'", true);
}

static void test_numeric_greater_than(void **state)
{
    (void)state;
    check_operator("NumericGreaterThan", "10", "11", "10", "true", true);
}

static void test_numeric_less_than_equals(void **state)
{
    (void)state;
    check_operator("NumericLessThanEquals", "10", "10", "10.5", "null",
                   true);
}

static void test_numeric_greater_than_equals(void **state)
{
    (void)state;
    check_operator("NumericGreaterThanEquals", "-1.5", "-1.5", "-2", "{}",
                   true);
}

/* ---- boolean ----------------------------------------------------------- */

static void test_boolean_equals(void **state)
{
    (void)state;
    check_operator("BooleanEquals", "true", "true", "false", "'true'", true);
}

/* ---- timestamps: compared as instants ---------------------------------- */

static void test_timestamp_equals(void **state)
{
    (void)state;
    check_operator("TimestampEquals", "'2016-03-14T01:59:00Z'",
                   "'2016-03-14T02:59:00+01:00'", "'2016-03-14T01:59:01Z'",
                   "'yesterday'", true);
}

static void test_timestamp_less_than(void **state)
{
    (void)state;
    check_operator("TimestampLessThan", "'2016-03-14T01:59:00Z'",
                   "'2016-03-14T01:58:59.999Z'", "'2016-03-14T01:59:00Z'",
                   "1", true);
}

static void test_timestamp_greater_than(void **state)
{
    (void)state;
    check_operator("TimestampGreaterThan", "'2016-03-14T01:59:00Z'",
                   "'2017-01-01T00:00:00Z'", "'2016-03-14T01:59:00Z'",
                   "'2017-01-01 00:00:00Z'", true);
}

static void test_timestamp_less_than_equals(void **state)
{
    (void)state;
    check_operator("TimestampLessThanEquals", "'2016-03-14T01:59:00Z'",
                   "'2016-03-14T01:59:00Z'", "'2016-03-14T01:59:01Z'",
                   "false", true);
}

static void test_timestamp_greater_than_equals(void **state)
{
    (void)state;
    check_operator("TimestampGreaterThanEquals", "'2016-03-14T01:59:00Z'",
                   "'2016-03-14T01:59:00Z'", "'2016-03-14T01:58:00Z'",
                   "'2016-13-14T01:59:00Z'", true);
}

/* ---- type tests -------------------------------------------------------- */

static void test_is_null(void **state)
{
    (void)state;
    assert_int_equal(choose("IsNull", "true", "null"), 1);
    assert_int_equal(choose("IsNull", "true", "0"), 0);
    assert_int_equal(choose("IsNull", "false", "0"), 1);
    assert_int_equal(choose("IsNull", "true", NULL), -1);
}

/* The one operator for which a missing Variable is not an error. */
static void test_is_present(void **state)
{
    (void)state;
    assert_int_equal(choose("IsPresent", "true", "null"), 1);
    assert_int_equal(choose("IsPresent", "true", NULL), 0);
    assert_int_equal(choose("IsPresent", "false", NULL), 1);
    assert_int_equal(choose("IsPresent", "false", "1"), 0);
}

static void test_is_numeric(void **state)
{
    (void)state;
    assert_int_equal(choose("IsNumeric", "true", "1.5"), 1);
    assert_int_equal(choose("IsNumeric", "true", "'1'"), 0);
    assert_int_equal(choose("IsNumeric", "false", "'1'"), 1);
    assert_int_equal(choose("IsNumeric", "true", NULL), -1);
}

static void test_is_string(void **state)
{
    (void)state;
    assert_int_equal(choose("IsString", "true", "'a'"), 1);
    assert_int_equal(choose("IsString", "true", "1"), 0);
    assert_int_equal(choose("IsString", "false", "null"), 1);
    assert_int_equal(choose("IsString", "true", NULL), -1);
}

static void test_is_boolean(void **state)
{
    (void)state;
    assert_int_equal(choose("IsBoolean", "true", "false"), 1);
    assert_int_equal(choose("IsBoolean", "true", "'false'"), 0);
    assert_int_equal(choose("IsBoolean", "false", "0"), 1);
    assert_int_equal(choose("IsBoolean", "true", NULL), -1);
}

static void test_is_timestamp(void **state)
{
    (void)state;
    assert_int_equal(choose("IsTimestamp", "true", "'2016-03-14T01:59:00Z'"),
                     1);
    assert_int_equal(choose("IsTimestamp", "true", "'2016-03-14 01:59:00Z'"),
                     0);
    assert_int_equal(choose("IsTimestamp", "true", "1458000000"), 0);
    assert_int_equal(choose("IsTimestamp", "false", "'x'"), 1);
    assert_int_equal(choose("IsTimestamp", "true", NULL), -1);
}

/* ---- boolean rules, order, Default, data flow -------------------------- */

#define TWO_WAY(rules)                                                      \
    "{'StartAt':'C','States':{'C':{'Type':'Choice','Choices':[" rules      \
    "],'Default':'F'},'T':{'Type':'Pass','Result':'yes','End':true},"     \
    "'F':{'Type':'Pass','Result':'no','End':true}}}"

static void test_and_or_not(void **state)
{
    (void)state;
    const char *def = TWO_WAY(
        "{'And':[{'Variable':'$.a','NumericGreaterThan':1},"
        "{'Or':[{'Variable':'$.b','StringEquals':'x'},"
        "{'Not':{'Variable':'$.c','IsPresent':true}}]}],'Next':'T'}");
    assert_int_equal(outcome(def, "{'a':2,'b':'x','c':1}", ""), 1);
    assert_int_equal(outcome(def, "{'a':2,'b':'y'}", ""), 1);
    assert_int_equal(outcome(def, "{'a':2,'b':'y','c':1}", ""), 0);
    assert_int_equal(outcome(def, "{'a':1,'b':'x'}", ""), 0);
}

/* And stops at the first false rule: the missing $.b is never read. */
static void test_and_short_circuits(void **state)
{
    (void)state;
    const char *def = TWO_WAY(
        "{'And':[{'Variable':'$.a','IsPresent':true},"
        "{'Variable':'$.b','StringEquals':'x'}],'Next':'T'}");
    assert_int_equal(outcome(def, "{}", ""), 0);
    assert_int_equal(outcome(def, "{'a':1}", "'$.b'"), -1);
}

static void test_first_matching_rule_wins(void **state)
{
    (void)state;
    expect_output("{'StartAt':'C','States':{'C':{'Type':'Choice',"
                  "'Choices':[{'Variable':'$.n','NumericGreaterThan':5,"
                  "'Next':'Big'},{'Variable':'$.n','NumericGreaterThan':1,"
                  "'Next':'Small'}]},"
                  "'Big':{'Type':'Pass','Result':'big','End':true},"
                  "'Small':{'Type':'Pass','Result':'small','End':true}}}",
                  "{'n':9}", "'big'");
}

static void test_default_when_nothing_matches(void **state)
{
    (void)state;
    assert_int_equal(outcome(TWO_WAY("{'Variable':'$.v','StringEquals':'a',"
                                     "'Next':'T'}"),
                             "{'v':'b'}", ""),
                     0);
}

/* The output is the input after InputPath then OutputPath. */
static void test_choice_input_and_output_path(void **state)
{
    (void)state;
    expect_output("{'StartAt':'C','States':{'C':{'Type':'Choice',"
                  "'InputPath':'$.in','OutputPath':'$.keep',"
                  "'Choices':[{'Variable':'$.v','IsPresent':true,"
                  "'Next':'S'}]},'S':{'Type':'Succeed'}}}",
                  "{'in':{'v':1,'keep':{'k':2}},'other':3}", "{'k':2}");
}

static void test_variable_from_context_and_workflow_variable(void **state)
{
    (void)state;
    expect_output("{'StartAt':'A','States':{'A':{'Type':'Pass',"
                  "'Assign':{'limit':3},'Next':'C'},"
                  "'C':{'Type':'Choice','Choices':[{'And':["
                  "{'Variable':'$$.State.Name','StringEquals':'C'},"
                  "{'Variable':'$limit','NumericEqualsPath':'$.n'}],"
                  "'Next':'T'}],'Default':'F'},"
                  "'T':{'Type':'Pass','Result':'yes','End':true},"
                  "'F':{'Type':'Pass','Result':'no','End':true}}}",
                  "{'n':3}", "'yes'");
}

/* Choice Assign reads `$` as the (effective) input. */
static void test_choice_assign(void **state)
{
    (void)state;
    expect_output("{'StartAt':'C','States':{'C':{'Type':'Choice',"
                  "'Assign':{'seen.$':'$.v'},'Choices':[{'Variable':'$.v',"
                  "'IsPresent':true,'Next':'P'}]},"
                  "'P':{'Type':'Pass','Parameters':{'got.$':'$seen'},"
                  "'End':true}}}",
                  "{'v':'x'}", "{'got':'x'}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string_equals),
        cmocka_unit_test(test_string_less_than),
        cmocka_unit_test(test_string_greater_than),
        cmocka_unit_test(test_string_less_than_equals),
        cmocka_unit_test(test_string_greater_than_equals),
        cmocka_unit_test(test_string_matches),
        cmocka_unit_test(test_numeric_equals),
        cmocka_unit_test(test_numeric_less_than),
        cmocka_unit_test(test_numeric_greater_than),
        cmocka_unit_test(test_numeric_less_than_equals),
        cmocka_unit_test(test_numeric_greater_than_equals),
        cmocka_unit_test(test_boolean_equals),
        cmocka_unit_test(test_timestamp_equals),
        cmocka_unit_test(test_timestamp_less_than),
        cmocka_unit_test(test_timestamp_greater_than),
        cmocka_unit_test(test_timestamp_less_than_equals),
        cmocka_unit_test(test_timestamp_greater_than_equals),
        cmocka_unit_test(test_is_null),
        cmocka_unit_test(test_is_present),
        cmocka_unit_test(test_is_numeric),
        cmocka_unit_test(test_is_string),
        cmocka_unit_test(test_is_boolean),
        cmocka_unit_test(test_is_timestamp),
        cmocka_unit_test(test_and_or_not),
        cmocka_unit_test(test_and_short_circuits),
        cmocka_unit_test(test_first_matching_rule_wins),
        cmocka_unit_test(test_default_when_nothing_matches),
        cmocka_unit_test(test_choice_input_and_output_path),
        cmocka_unit_test(test_variable_from_context_and_workflow_variable),
        cmocka_unit_test(test_choice_assign),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
