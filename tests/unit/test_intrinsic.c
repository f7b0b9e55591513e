/* test_intrinsic.c: the intrinsic functions (sfn_intrinsic.h): parser,
 * static checks, the 18 functions on the AWS documentation examples, and
 * every error path. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sfn_intrinsic.h"
#include "sfn_json.h"

/* ==== Fixtures ==== */

typedef struct test_ud {
    json_t *vars;
    unsigned long long next; /* deterministic rand64 */
} test_ud;

static json_t *lookup_var(void *ud, const char *name)
{
    return json_object_get(((test_ud *)ud)->vars, name);
}

static unsigned long long counter_rand(void *ud)
{
    test_ud *t = ud;
    t->next = t->next * 6364136223846793005ull + 1442695040888963407ull;
    return t->next;
}

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *v = sfn_json_loadb(text, strlen(text), JSON_DECODE_ANY, &jerr);
    if (!v)
        fail_msg("bad fixture JSON %s: %s", text, jerr.text);
    return v;
}

/* Compiles and evaluates `text` against `input` (JSON text, may be NULL);
 * returns the rc and fills *out / *err. */
static sfn_rc run(const char *text, const char *input, json_t **out,
                  sfn_error *err)
{
    test_ud ud = {
        .vars = parse("{\"myVar\": {\"n\": 7}, \"greeting\": \"hi\"}"),
        .next = 42};
    json_t *in = input ? parse(input) : NULL;
    json_t *ctx = parse("{\"Execution\": {\"Id\": \"arn:exec:1\"}}");
    sfn_expr_env env = {.input = in, .context = ctx,
                        .lookup_var = lookup_var, .ud = &ud,
                        .rand64 = counter_rand};
    sfn_intrinsic *fn = NULL;
    sfn_error_clear(err);
    sfn_rc rc = sfn_intrinsic_compile(text, &fn, err);
    if (rc == SFN_OK)
        rc = sfn_intrinsic_eval(fn, &env, out, err);
    sfn_intrinsic_free(fn);
    json_decref(in);
    json_decref(ctx);
    json_decref(ud.vars);
    return rc;
}

/* Asserts that `text` evaluates to the JSON `expected`. */
static void expect(const char *text, const char *input, const char *expected)
{
    json_t *out = NULL, *want = parse(expected);
    sfn_error err;
    sfn_rc rc = run(text, input, &out, &err);
    if (rc != SFN_OK)
        fail_msg("%s: %s (%s)", text, err.cause, sfn_rc_name(rc));
    if (!json_equal(out, want)) {
        char *got = sfn_json_dumps(out, 0);
        print_error("%s\n  got:  %s\n  want: %s\n", text, got, expected);
        free(got);
        fail();
    }
    json_decref(out);
    json_decref(want);
}

/* Asserts that compiling `text` fails with SFN_ESYNTAX and a cause
 * containing `needle`. */
static void expect_static_error(const char *text, const char *needle)
{
    sfn_intrinsic *fn = NULL;
    sfn_error err;
    sfn_error_clear(&err);
    sfn_rc rc = sfn_intrinsic_compile(text, &fn, &err);
    if (rc == SFN_OK) {
        sfn_intrinsic_free(fn);
        fail_msg("%s: compiled, expected an error containing '%s'", text,
                 needle);
    }
    assert_int_equal(rc, SFN_ESYNTAX);
    if (!strstr(err.cause, needle))
        fail_msg("%s: cause '%s' lacks '%s'", text, err.cause, needle);
    assert_true(err.offset >= 0);
    assert_null(fn);
}

/* Asserts that `text` compiles but evaluation fails with `rc` and ASL error
 * `name`, the cause containing `needle`. */
static void expect_eval_error(const char *text, const char *input,
                              sfn_rc want_rc, const char *name,
                              const char *needle)
{
    json_t *out = NULL;
    sfn_error err;
    sfn_rc rc = run(text, input, &out, &err);
    if (rc == SFN_OK) {
        char *got = sfn_json_dumps(out, 0);
        print_error("%s: gave %s\n", text, got);
        free(got);
        json_decref(out);
        fail();
    }
    if (rc == SFN_ESYNTAX)
        fail_msg("%s: did not compile: %s", text, err.cause);
    assert_int_equal(rc, want_rc);
    assert_string_equal(err.name, name);
    if (!strstr(err.cause, needle))
        fail_msg("%s: cause '%s' lacks '%s'", text, err.cause, needle);
    assert_null(out);
}

static void expect_failure(const char *text, const char *input,
                           const char *needle)
{
    expect_eval_error(text, input, SFN_ERUNTIME, "States.IntrinsicFailure",
                      needle);
}

#define NINE "{\"inputArray\": [1,2,3,4,5,6,7,8,9], \"index\": 5, " \
             "\"lookingFor\": 5}"

/* ==== Parser ==== */

static void test_is_call(void **state)
{
    (void)state;
    assert_true(sfn_intrinsic_is_call("States.UUID()"));
    assert_true(sfn_intrinsic_is_call("  States.Format('x')"));
    assert_false(sfn_intrinsic_is_call("$.States"));
    assert_false(sfn_intrinsic_is_call("states.UUID()"));
    assert_false(sfn_intrinsic_is_call(NULL));
}

static void test_whitespace_around_args(void **state)
{
    (void)state;
    expect("  States.MathAdd(  1 ,\t2  )  ", NULL, "3");
    expect("States.Array( )", NULL, "[]");
    expect("States.Array( $.a , $.b )", "{\"a\": 1, \"b\": 2}", "[1,2]");
}

static void test_literals(void **state)
{
    (void)state;
    expect("States.Array('Foo', 2022, true, false, null, -1.5e2, 0)", NULL,
           "[\"Foo\", 2022, true, false, null, -150.0, 0]");
}

static void test_trailing_garbage(void **state)
{
    (void)state;
    expect_static_error("States.UUID() x", "after the closing ')'");
    expect_static_error("States.UUID())", "after the closing ')'");
}

static void test_unknown_function(void **state)
{
    (void)state;
    expect_static_error("States.Foo(1)", "unknown intrinsic function "
                                         "'States.Foo'");
    expect_static_error("States.format('x')", "'States.format'");
    expect_static_error("States.Format", "expected '('");
}

static void test_unbalanced(void **state)
{
    (void)state;
    expect_static_error("States.Array(1, 2", "missing ')'");
    expect_static_error("States.Array(1 2)", "expected ',' or ')'");
    expect_static_error("States.Array(1,)", "argument 2: missing argument");
    expect_static_error("States.Array(,1)", "argument 1: missing argument");
    expect_static_error("States.Array($.a", "is not followed by");
}

static void test_bad_escape(void **state)
{
    (void)state;
    expect_static_error("States.Format('a\\nb')", "invalid escape '\\n'");
    expect_static_error("States.Format('abc\\", "invalid escape");
}

static void test_unterminated_string(void **state)
{
    (void)state;
    expect_static_error("States.Format('abc)", "unterminated string");
}

/* AWS accepts raw control characters in literals (a JSON "\n" in the
 * definition): StringSplit on a newline is a recorded conformance case. */
static void test_control_char_in_string(void **state)
{
    (void)state;
    sfn_intrinsic *fn = NULL;
    sfn_error err;
    assert_int_equal(sfn_intrinsic_compile("States.StringSplit('a\nb', '\n')",
                                           &fn, &err), SFN_OK);
    sfn_expr_env env = {0};
    json_t *out = NULL;
    assert_int_equal(sfn_intrinsic_eval(fn, &env, &out, &err), SFN_OK);
    assert_int_equal(json_array_size(out), 2);
    assert_string_equal(json_string_value(json_array_get(out, 1)), "b");
    json_decref(out);
    sfn_intrinsic_free(fn);
}

static void test_bad_numbers(void **state)
{
    (void)state;
    expect_static_error("States.Array(01)", "invalid number '01'");
    expect_static_error("States.Array(1.)", "invalid number '1.'");
    expect_static_error("States.Array(-x)", "invalid number '-x'");
    expect_static_error("States.Array(1e)", "invalid number '1e'");
    expect_static_error("States.Array(99999999999999999999)",
                        "outside the 64-bit range");
    expect_static_error("States.Array(1e999)", "out of range");
}

static void test_bad_word(void **state)
{
    (void)state;
    expect_static_error("States.Array(True)", "argument 1: unexpected 'True'");
    expect_static_error("States.Array(1, nil)", "argument 2: unexpected 'nil'");
}

/* Builds `n` nested States.Array calls around 1. */
static char *nested_arrays(int n)
{
    char *s = malloc((size_t)n * 16 + 8);
    size_t len = 0;
    for (int i = 0; i < n; i++)
        len += (size_t)sprintf(s + len, "States.Array(");
    len += (size_t)sprintf(s + len, "1");
    for (int i = 0; i < n; i++)
        s[len++] = ')';
    s[len] = '\0';
    return s;
}

static void test_depth_ten_allowed(void **state)
{
    (void)state;
    char *text = nested_arrays(10);
    expect(text, NULL, "[[[[[[[[[[1]]]]]]]]]]");
    free(text);
}

static void test_depth_eleven_rejected(void **state)
{
    (void)state;
    char *text = nested_arrays(11);
    expect_static_error(text, "nested more than 10 deep");
    free(text);
}

static void test_error_offset(void **state)
{
    (void)state;
    sfn_intrinsic *fn = NULL;
    sfn_error err;
    assert_int_equal(sfn_intrinsic_compile("States.Array(1, 'a\\q')", &fn,
                                           &err),
                     SFN_ESYNTAX);
    assert_int_equal(err.offset, 18);
}

/* ==== Static checks ==== */

static void test_arity_fixed(void **state)
{
    (void)state;
    expect_static_error("States.MathAdd(1, 2, 3)",
                        "States.MathAdd expects 2 arguments, got 3");
    expect_static_error("States.ArrayLength()",
                        "States.ArrayLength expects 1 argument, got 0");
    expect_static_error("States.UUID(1)",
                        "States.UUID expects 0 arguments, got 1");
    expect_static_error("States.JsonMerge($.a, $.b)",
                        "States.JsonMerge expects 3 arguments, got 2");
}

static void test_arity_range(void **state)
{
    (void)state;
    expect_static_error("States.MathRandom(1)",
                        "States.MathRandom expects 2 to 3 arguments, got 1");
    expect_static_error("States.MathRandom(1, 2, 3, 4)",
                        "expects 2 to 3 arguments, got 4");
    expect_static_error("States.Format()",
                        "States.Format expects at least 1 argument, got 0");
}

static void test_literal_types(void **state)
{
    (void)state;
    expect_static_error("States.MathAdd('a', 1)",
                        "States.MathAdd argument 1 must be a number, got "
                        "a literal string");
    expect_static_error("States.MathAdd(1, 'x')",
                        "argument 2 must be a number, got a literal string");
    expect_static_error("States.ArrayLength(1)",
                        "argument 1 must be an array");
    expect_static_error("States.Format(1)", "argument 1 must be a string");
    expect_static_error("States.JsonMerge($.a, $.b, 'no')",
                        "argument 3 must be a boolean");
    expect_static_error("States.StringSplit('a', 1)",
                        "States.StringSplit argument 2 must be a string");
}

static void test_nested_result_kind(void **state)
{
    (void)state;
    expect_static_error("States.MathAdd(States.UUID(), 1)",
                        "argument 1 must be a number, but States.UUID "
                        "returns a string");
    expect_static_error("States.ArrayLength(States.UUID())",
                        "but States.UUID returns a string");
    expect("States.Format('{}', States.Array(1, 'a'))", NULL, "\"[1, a]\"");
    expect("States.ArrayLength(States.StringSplit('a b', ' '))", NULL, "2");
}

static void test_static_hash_algorithm(void **state)
{
    (void)state;
    expect_static_error("States.Hash('x', 'SHA1')",
                        "States.Hash argument 2: unknown algorithm 'SHA1'");
    expect_static_error("States.Hash('x', 'sha-256')", "unknown algorithm");
}

static void test_static_json_merge_deep(void **state)
{
    (void)state;
    expect_static_error("States.JsonMerge($.a, $.b, true)",
                        "deep merge (true) is not supported");
}

static void test_static_array_range(void **state)
{
    (void)state;
    expect_static_error("States.ArrayRange(1, 9, 0)",
                        "argument 3: the step must not be 0");
    expect_static_error("States.ArrayRange(0, 1000, 1)",
                        "more than 1000 elements");
    expect("States.ArrayLength(States.ArrayRange(1, 1000, 1))", NULL,
           "1000");
}

static void test_static_format_count(void **state)
{
    (void)state;
    expect_static_error("States.Format('{} and {}', 1)",
                        "template has 2 '{}' placeholders but 1 value "
                        "follows");
    expect_static_error("States.Format('none', 1)",
                        "has 0 '{}' placeholders but 1 value");
    expect_static_error("States.Format('\\{} {}', 1, 2)",
                        "has 1 '{}' placeholder but 2 values");
}

static void test_static_other_literals(void **state)
{
    (void)state;
    expect_static_error("States.ArrayPartition($.a, 0)",
                        "chunk size must be greater than 0");
    expect_static_error("States.ArrayGetItem($.a, -1)",
                        "index must not be negative");
    expect_static_error("States.MathAdd(2147483648, 1)",
                        "argument 1 (2147483648) is outside the 32-bit");
    expect_static_error("States.MathRandom(5, 5)",
                        "start (5) must be less than the end (5)");
}

static void test_static_text_limit(void **state)
{
    (void)state;
    size_t n = 10001;
    char *text = malloc(n + 64);
    strcpy(text, "States.Base64Encode('");
    memset(text + strlen(text), 'a', n);
    strcpy(text + 21 + n, "')");
    expect_static_error(text, "longer than 10000 characters");
    free(text);
}

/* ==== Format ==== */

static void test_format_aws_example(void **state)
{
    (void)state;
    expect("States.Format('Hello, my name is {}.', $.name)",
           "{\"name\": \"Arnav\"}", "\"Hello, my name is Arnav.\"");
}

static void test_format_scalars(void **state)
{
    (void)state;
    expect("States.Format('{}|{}|{}|{}|{}|{}', 'a', 1, 1.5, true, null, 2.0)",
           NULL, "\"a|1|1.5|true|null|2.0\"");
    expect("States.Format('{}', 0.1)", NULL, "\"0.1\"");
}

static void test_format_escapes(void **state)
{
    (void)state;
    expect("States.Format('It\\'s \\{\\} {} \\\\ {x}', 'v')", NULL,
           "\"It's {} v \\\\ {x}\"");
    expect("States.Format('\\{}')", NULL, "\"{}\"");
}

static void test_format_template_from_path(void **state)
{
    (void)state;
    expect("States.Format($.t, 'x', 2)", "{\"t\": \"{}-{}\"}", "\"x-2\"");
    expect_failure("States.Format($.t, 'x')", "{\"t\": \"{}-{}\"}",
                   "template has 2 '{}' placeholders but 1 value follows");
}

/* AWS-recorded (intrinsic_functions format_2 #7): Java Map/List text. */
static void test_format_renders_object_java_style(void **state)
{
    (void)state;
    expect("States.Format('fst={}.', $.o)",
           "{\"o\": {\"Arg1\": 1, \"Arg2\": []}}",
           "\"fst={Arg1=1, Arg2=[]}.\"");
    expect("States.Format('{}', $.a)",
           "{\"a\": [\"x\", 1.5, null, true, {\"k\": \"v\"}]}",
           "\"[x, 1.5, null, true, {k=v}]\"");
}

static void test_format_nested(void **state)
{
    (void)state;
    expect("States.Format('{} + 1 = {}', 2, States.MathAdd(2, 1))", NULL,
           "\"2 + 1 = 3\"");
}

/* ==== JSON text ==== */

static void test_string_to_json_aws_example(void **state)
{
    (void)state;
    expect("States.StringToJson($.escapedJsonString)",
           "{\"escapedJsonString\": \"{\\\"foo\\\": \\\"bar\\\"}\"}",
           "{\"foo\": \"bar\"}");
    expect("States.StringToJson('{\"number\": 20}')", NULL,
           "{\"number\": 20}");
}

static void test_string_to_json_empty_is_null(void **state)
{
    (void)state;
    expect("States.StringToJson('')", NULL, "null");
    expect("States.StringToJson('   ')", NULL, "null");
}

static void test_string_to_json_invalid(void **state)
{
    (void)state;
    expect_failure("States.StringToJson('{nope')", NULL,
                   "States.StringToJson: argument 1 is not valid JSON");
}

static void test_json_to_string_aws_example(void **state)
{
    (void)state;
    expect("States.JsonToString($.unescapedJson)",
           "{\"unescapedJson\": {\"foo\": \"bar\", \"a\": [1, 2.5]}}",
           "\"{\\\"foo\\\":\\\"bar\\\",\\\"a\\\":[1,2.5]}\"");
    expect("States.JsonToString('x')", NULL, "\"\\\"x\\\"\"");
}

static void test_json_merge_aws_example(void **state)
{
    (void)state;
    expect("States.JsonMerge($.json1, $.json2, false)",
           "{\"json1\": {\"a\": {\"a1\": 1, \"a2\": 2}, \"b\": 2}, "
           "\"json2\": {\"a\": {\"a3\": 1, \"a4\": 2}, \"c\": 3}}",
           "{\"a\": {\"a3\": 1, \"a4\": 2}, \"b\": 2, \"c\": 3}");
}

static void test_json_merge_deep_at_runtime(void **state)
{
    (void)state;
    expect_failure("States.JsonMerge($.a, $.b, $.deep)",
                   "{\"a\": {}, \"b\": {}, \"deep\": true}",
                   "States.JsonMerge: deep merge");
}

/* ==== Arrays ==== */

static void test_array_aws_example(void **state)
{
    (void)state;
    expect("States.Array('Foo', 2022, $.someJson, null)",
           "{\"someJson\": {\"random\": \"abcdefg\"}}",
           "[\"Foo\", 2022, {\"random\": \"abcdefg\"}, null]");
}

static void test_array_partition_aws_example(void **state)
{
    (void)state;
    expect("States.ArrayPartition($.inputArray,4)", NINE,
           "[[1,2,3,4],[5,6,7,8],[9]]");
    expect("States.ArrayPartition(States.Array(), 3)", NULL, "[]");
}

static void test_array_partition_bad_size(void **state)
{
    (void)state;
    expect_failure("States.ArrayPartition($.inputArray, $.z)",
                   "{\"inputArray\": [1], \"z\": -2}",
                   "chunk size (argument 2) must be greater than 0");
}

static void test_array_contains_aws_example(void **state)
{
    (void)state;
    expect("States.ArrayContains($.inputArray, $.lookingFor)", NINE, "true");
    expect("States.ArrayContains($.inputArray, 10)", NINE, "false");
    expect("States.ArrayContains($.a, $.b)",
           "{\"a\": [{\"x\": [1, 2]}], \"b\": {\"x\": [1, 2.0]}}", "true");
}

static void test_array_range_aws_example(void **state)
{
    (void)state;
    expect("States.ArrayRange(1, 9, 2)", NULL, "[1,3,5,7,9]");
    expect("States.ArrayRange(10, 0, -5)", NULL, "[10,5,0]");
    expect("States.ArrayRange(1, 0, 1)", NULL, "[]");
}

static void test_array_range_runtime_limits(void **state)
{
    (void)state;
    expect_failure("States.ArrayRange(0, $.end, 1)", "{\"end\": 5000}",
                   "more than 1000 elements");
    expect_failure("States.ArrayRange(0, 5, $.step)", "{\"step\": 0}",
                   "step (argument 3) must not be 0");
}

static void test_array_get_item_aws_example(void **state)
{
    (void)state;
    expect("States.ArrayGetItem($.inputArray, $.index)", NINE, "6");
}

static void test_array_get_item_out_of_range(void **state)
{
    (void)state;
    expect_failure("States.ArrayGetItem($.inputArray, 9)", NINE,
                   "States.ArrayGetItem: index 9 is out of range for an "
                   "array of 9 elements");
}

static void test_array_length_aws_example(void **state)
{
    (void)state;
    expect("States.ArrayLength($.inputArray)", NINE, "9");
}

static void test_array_unique_aws_example(void **state)
{
    (void)state;
    expect("States.ArrayUnique($.inputArray)",
           "{\"inputArray\": [1,2,3,3,3,3,3,3,4]}", "[1,2,3,4]");
    expect("States.ArrayUnique(States.Array(1, 1.0, 'a', 'a', null))", NULL,
           "[1, \"a\", null]");
}

static void test_runtime_type_mismatch(void **state)
{
    (void)state;
    expect_failure("States.ArrayLength($.s)", "{\"s\": \"abc\"}",
                   "States.ArrayLength: argument 1 must be an array, got "
                   "string");
    expect_failure("States.MathAdd($.x, 1)", "{\"x\": \"1\"}",
                   "States.MathAdd: argument 1 must be a number, got "
                   "string");
}

/* ==== Encoding and hashing ==== */

static void test_base64_encode_aws_example(void **state)
{
    (void)state;
    expect("States.Base64Encode($.input)", "{\"input\": \"Data to encode\"}",
           "\"RGF0YSB0byBlbmNvZGU=\"");
    expect("States.Base64Encode('')", NULL, "\"\"");
}

static void test_base64_decode_aws_example(void **state)
{
    (void)state;
    expect("States.Base64Decode($.base64)",
           "{\"base64\": \"RGF0YSB0byBlbmNvZGU=\"}", "\"Data to encode\"");
    expect("States.Base64Decode(States.Base64Encode('h\xc3\xa9'))", NULL,
           "\"h\xc3\xa9\"");
}

static void test_base64_decode_invalid(void **state)
{
    (void)state;
    expect_failure("States.Base64Decode('abc')", NULL, "not valid base64");
    expect_failure("States.Base64Decode('ab=c')", NULL, "not valid base64");
    expect_failure("States.Base64Decode('ab c')", NULL, "not valid base64");
    expect_failure("States.Base64Decode('/w==')", NULL,
                   "decoded bytes are not valid UTF-8");
}

static void test_base64_runtime_limit(void **state)
{
    (void)state;
    size_t n = 10001;
    char *input = malloc(n + 16);
    strcpy(input, "{\"s\": \"");
    memset(input + 7, 'a', n);
    strcpy(input + 7 + n, "\"}");
    expect_failure("States.Base64Encode($.s)", input,
                   "has 10001 characters, more than the limit of 10000");
    free(input);
}

static void test_hash_aws_example(void **state)
{
    (void)state;
    expect("States.Hash($.Data, $.Algorithm)",
           "{\"Data\": \"input data\", \"Algorithm\": \"SHA-1\"}",
           "\"aaff4a450a104cd177d28d18d74485e8cae074b7\"");
}

/* FIPS 180 / RFC 1321 test vectors for "abc". */
static void test_hash_all_algorithms(void **state)
{
    (void)state;
    expect("States.Hash('abc', 'MD5')", NULL,
           "\"900150983cd24fb0d6963f7d28e17f72\"");
    expect("States.Hash('abc', 'SHA-256')", NULL,
           "\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015"
           "ad\"");
    expect("States.Hash('abc', 'SHA-384')", NULL,
           "\"cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5b"
           "ed8086072ba1e7cc2358baeca134c825a7\"");
    expect("States.Hash('abc', 'SHA-512')", NULL,
           "\"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d3"
           "9a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca4"
           "9f\"");
}

static void test_hash_unknown_algorithm_at_runtime(void **state)
{
    (void)state;
    expect_failure("States.Hash('x', $.alg)", "{\"alg\": \"SHA-3\"}",
                   "States.Hash: unknown algorithm 'SHA-3'");
}

/* ==== Math ==== */

static void test_math_add_aws_example(void **state)
{
    (void)state;
    expect("States.MathAdd($.value1, $.step)",
           "{\"value1\": 111, \"step\": -1}", "110");
    expect("States.MathAdd(111, -1)", NULL, "110");
    expect("States.MathAdd(2.0, 3)", NULL, "5");
    expect("States.MathAdd(2147483647, 1)", NULL, "2147483648");
}

/* AWS-recorded (intrinsic_functions math_add #1..#20): reals are rounded
 * half up before the addition. */
static void test_math_add_rounds_reals(void **state)
{
    (void)state;
    expect("States.MathAdd($.a, $.b)", "{\"a\": 1.49, \"b\": 1.5}", "3");
    expect("States.MathAdd($.a, $.b)", "{\"a\": -1.5, \"b\": -1.51}",
           "-3");
    expect("States.MathAdd($.a, $.b)", "{\"a\": -0.5, \"b\": 0.5}", "1");
    expect("States.MathAdd($.a, 0)", "{\"a\": -2.5}", "-2");
    expect("States.MathAdd(2.5, 0)", NULL, "3");
}

static void test_math_random_accepts_reals(void **state)
{
    (void)state;
    json_t *out = NULL;
    sfn_error err;
    assert_int_equal(run("States.MathRandom($.a, $.b)",
                         "{\"a\": 12.5, \"b\": 44.51}", &out, &err),
                     SFN_OK);
    assert_true(json_is_integer(out));
    assert_true(json_integer_value(out) >= 13 &&
                json_integer_value(out) < 45);
    json_decref(out);
}

static void test_math_add_out_of_range(void **state)
{
    (void)state;
    expect_failure("States.MathAdd($.x, 1)", "{\"x\": -2147483649}",
                   "argument 1 (-2147483649) is outside the 32-bit");
}

static void test_math_random_range(void **state)
{
    (void)state;
    for (int i = 0; i < 20; i++) {
        json_t *out = NULL;
        sfn_error err;
        assert_int_equal(run("States.MathRandom(1, 4)", NULL, &out, &err),
                         SFN_OK);
        assert_true(json_is_integer(out));
        json_int_t v = json_integer_value(out);
        assert_true(v >= 1 && v < 4);
        json_decref(out);
    }
}

static void test_math_random_seed_reproducible(void **state)
{
    (void)state;
    json_t *a = NULL, *b = NULL;
    sfn_error err;
    assert_int_equal(run("States.MathRandom($.start, $.end, 1234)",
                         "{\"start\": 1, \"end\": 999}", &a, &err),
                     SFN_OK);
    assert_int_equal(run("States.MathRandom(1, 999, 1234)", NULL, &b, &err),
                     SFN_OK);
    assert_true(json_equal(a, b));
    json_int_t v = json_integer_value(a);
    assert_true(v >= 1 && v < 999);
    json_decref(a);
    json_decref(b);
}

static void test_math_random_bad_range(void **state)
{
    (void)state;
    expect_failure("States.MathRandom($.s, 3)", "{\"s\": 3}",
                   "start (3) must be less than the end (3)");
}

/* ==== Strings ==== */

static void test_string_split_aws_example(void **state)
{
    (void)state;
    expect("States.StringSplit($.inputString, $.splitter)",
           "{\"inputString\": \"1,2,3,4,5\", \"splitter\": \",\"}",
           "[\"1\",\"2\",\"3\",\"4\",\"5\"]");
    expect("States.StringSplit($.inputString, $.splitter)",
           "{\"inputString\": \"This.is+a,test=string\", "
           "\"splitter\": \".+,=\"}",
           "[\"This\",\"is\",\"a\",\"test\",\"string\"]");
}

static void test_string_split_drops_empty(void **state)
{
    (void)state;
    expect("States.StringSplit('a,,b,', ',')", NULL, "[\"a\",\"b\"]");
    expect("States.StringSplit(',,', ',')", NULL, "[]");
    expect("States.StringSplit('ab', '')", NULL, "[\"ab\"]");
}

static void test_string_split_utf8(void **state)
{
    (void)state;
    /* U+2192 and U+2190 share their first two bytes; only U+2192 splits */
    expect("States.StringSplit('a\xe2\x86\x92" "b\xe2\x86\x90" "c', "
           "'\xe2\x86\x92')",
           NULL, "[\"a\", \"b\xe2\x86\x90" "c\"]");
}

static void test_uuid_shape(void **state)
{
    (void)state;
    json_t *out = NULL;
    sfn_error err;
    assert_int_equal(run("States.UUID()", NULL, &out, &err), SFN_OK);
    const char *u = json_string_value(out);
    assert_non_null(u);
    assert_int_equal(strlen(u), 36);
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal(u[i], '-');
        else
            assert_true(isxdigit((unsigned char)u[i]) &&
                        !isupper((unsigned char)u[i]));
    }
    assert_int_equal(u[14], '4');
    assert_non_null(strchr("89ab", u[19]));
    json_decref(out);
}

static void test_uuid_default_random_source(void **state)
{
    (void)state;
    sfn_intrinsic *fn = NULL;
    sfn_error err;
    assert_int_equal(sfn_intrinsic_compile("States.UUID()", &fn, &err),
                     SFN_OK);
    json_t *a = NULL, *b = NULL;
    assert_int_equal(sfn_intrinsic_eval(fn, NULL, &a, &err), SFN_OK);
    assert_int_equal(sfn_intrinsic_eval(fn, NULL, &b, &err), SFN_OK);
    assert_string_not_equal(json_string_value(a), json_string_value(b));
    json_decref(a);
    json_decref(b);
    sfn_intrinsic_free(fn);
}

/* ==== Paths ==== */

static void test_unresolved_path(void **state)
{
    (void)state;
    expect_eval_error("States.ArrayLength($.missing)", "{}", SFN_ENOTFOUND,
                      "States.Runtime", "States.ArrayLength argument 1");
    expect_eval_error("States.Format('{}', States.JsonToString($.nope))",
                      "{}", SFN_ENOTFOUND, "States.Runtime", "$.nope");
}

static void test_context_and_variable_paths(void **state)
{
    (void)state;
    expect("States.Format('{} {} {}', $$.Execution.Id, $myVar.n, $greeting)",
           "{}", "\"arn:exec:1 7 hi\"");
}

static void test_path_with_quotes_and_filters(void **state)
{
    (void)state;
    expect("States.Array($['x,y'], $.a[?(@.b == 'c')].v)",
           "{\"x,y\": 1, \"a\": [{\"b\": \"c\", \"v\": 2}, "
           "{\"b\": \"d\", \"v\": 3}]}",
           "[1, [2]]");
}

static void test_invalid_path(void **state)
{
    (void)state;
    expect_static_error("States.Array($.a[)", "argument 1");
}

static void count_path(const sfn_jsonpath *p, void *ud)
{
    (void)p;
    (*(int *)ud)++;
}

static void test_foreach_path(void **state)
{
    (void)state;
    sfn_intrinsic *fn = NULL;
    sfn_error err;
    assert_int_equal(
        sfn_intrinsic_compile("States.Format('{} {}', $.a, "
                              "States.JsonToString(States.Array($$.b, "
                              "$v, 1)))",
                              &fn, &err),
        SFN_OK);
    int n = 0;
    sfn_intrinsic_foreach_path(fn, count_path, &n);
    assert_int_equal(n, 3);
    sfn_intrinsic_free(fn);
}

static void test_eval_reuses_compiled(void **state)
{
    (void)state;
    sfn_intrinsic *fn = NULL;
    sfn_error err;
    assert_int_equal(sfn_intrinsic_compile("States.MathAdd($.x, 1)", &fn,
                                           &err),
                     SFN_OK);
    for (int i = 0; i < 3; i++) {
        json_t *in = json_pack("{s:i}", "x", i), *out = NULL;
        sfn_expr_env env = {.input = in};
        assert_int_equal(sfn_intrinsic_eval(fn, &env, &out, &err), SFN_OK);
        assert_int_equal(json_integer_value(out), i + 1);
        json_decref(out);
        json_decref(in);
    }
    sfn_intrinsic_free(fn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_call),
        cmocka_unit_test(test_whitespace_around_args),
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_trailing_garbage),
        cmocka_unit_test(test_unknown_function),
        cmocka_unit_test(test_unbalanced),
        cmocka_unit_test(test_bad_escape),
        cmocka_unit_test(test_unterminated_string),
        cmocka_unit_test(test_control_char_in_string),
        cmocka_unit_test(test_bad_numbers),
        cmocka_unit_test(test_bad_word),
        cmocka_unit_test(test_depth_ten_allowed),
        cmocka_unit_test(test_depth_eleven_rejected),
        cmocka_unit_test(test_error_offset),
        cmocka_unit_test(test_arity_fixed),
        cmocka_unit_test(test_arity_range),
        cmocka_unit_test(test_literal_types),
        cmocka_unit_test(test_nested_result_kind),
        cmocka_unit_test(test_static_hash_algorithm),
        cmocka_unit_test(test_static_json_merge_deep),
        cmocka_unit_test(test_static_array_range),
        cmocka_unit_test(test_static_format_count),
        cmocka_unit_test(test_static_other_literals),
        cmocka_unit_test(test_static_text_limit),
        cmocka_unit_test(test_format_aws_example),
        cmocka_unit_test(test_format_scalars),
        cmocka_unit_test(test_format_escapes),
        cmocka_unit_test(test_format_template_from_path),
        cmocka_unit_test(test_format_renders_object_java_style),
        cmocka_unit_test(test_format_nested),
        cmocka_unit_test(test_string_to_json_aws_example),
        cmocka_unit_test(test_string_to_json_empty_is_null),
        cmocka_unit_test(test_string_to_json_invalid),
        cmocka_unit_test(test_json_to_string_aws_example),
        cmocka_unit_test(test_json_merge_aws_example),
        cmocka_unit_test(test_json_merge_deep_at_runtime),
        cmocka_unit_test(test_array_aws_example),
        cmocka_unit_test(test_array_partition_aws_example),
        cmocka_unit_test(test_array_partition_bad_size),
        cmocka_unit_test(test_array_contains_aws_example),
        cmocka_unit_test(test_array_range_aws_example),
        cmocka_unit_test(test_array_range_runtime_limits),
        cmocka_unit_test(test_array_get_item_aws_example),
        cmocka_unit_test(test_array_get_item_out_of_range),
        cmocka_unit_test(test_array_length_aws_example),
        cmocka_unit_test(test_array_unique_aws_example),
        cmocka_unit_test(test_runtime_type_mismatch),
        cmocka_unit_test(test_base64_encode_aws_example),
        cmocka_unit_test(test_base64_decode_aws_example),
        cmocka_unit_test(test_base64_decode_invalid),
        cmocka_unit_test(test_base64_runtime_limit),
        cmocka_unit_test(test_hash_aws_example),
        cmocka_unit_test(test_hash_all_algorithms),
        cmocka_unit_test(test_hash_unknown_algorithm_at_runtime),
        cmocka_unit_test(test_math_add_aws_example),
        cmocka_unit_test(test_math_add_rounds_reals),
        cmocka_unit_test(test_math_random_accepts_reals),
        cmocka_unit_test(test_math_add_out_of_range),
        cmocka_unit_test(test_math_random_range),
        cmocka_unit_test(test_math_random_seed_reproducible),
        cmocka_unit_test(test_math_random_bad_range),
        cmocka_unit_test(test_string_split_aws_example),
        cmocka_unit_test(test_string_split_drops_empty),
        cmocka_unit_test(test_string_split_utf8),
        cmocka_unit_test(test_uuid_shape),
        cmocka_unit_test(test_uuid_default_random_source),
        cmocka_unit_test(test_unresolved_path),
        cmocka_unit_test(test_context_and_variable_paths),
        cmocka_unit_test(test_path_with_quotes_and_filters),
        cmocka_unit_test(test_invalid_path),
        cmocka_unit_test(test_foreach_path),
        cmocka_unit_test(test_eval_reuses_compiled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
