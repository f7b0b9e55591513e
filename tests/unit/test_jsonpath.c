/* test_jsonpath.c: the JSONPath module: every grammar production, syntax
 * error classes with offsets, the field-rule flags, evaluation (Jayway and
 * AWS documentation examples), error wording, and ResultPath writes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sfn_jsonpath.h"

/* The Goessner/Jayway README document used by the AWS docs' examples. */
static const char *STORE =
    "{\"store\":{\"book\":["
    "{\"category\":\"reference\",\"author\":\"Nigel Rees\","
    "\"title\":\"Sayings of the Century\",\"price\":8.95},"
    "{\"category\":\"fiction\",\"author\":\"Evelyn Waugh\","
    "\"title\":\"Sword of Honour\",\"price\":12.99},"
    "{\"category\":\"fiction\",\"author\":\"Herman Melville\","
    "\"title\":\"Moby Dick\",\"isbn\":\"0-553-21311-3\",\"price\":8.99},"
    "{\"category\":\"fiction\",\"author\":\"J. R. R. Tolkien\","
    "\"title\":\"The Lord of the Rings\",\"isbn\":\"0-395-19395-8\","
    "\"price\":22.99}],"
    "\"bicycle\":{\"color\":\"red\",\"price\":19.95}},"
    "\"expensive\":10}";

#define B0                                                                 \
    "{\"category\":\"reference\",\"author\":\"Nigel Rees\","               \
    "\"title\":\"Sayings of the Century\",\"price\":8.95}"
#define B1                                                                 \
    "{\"category\":\"fiction\",\"author\":\"Evelyn Waugh\","               \
    "\"title\":\"Sword of Honour\",\"price\":12.99}"
#define B2                                                                 \
    "{\"category\":\"fiction\",\"author\":\"Herman Melville\","            \
    "\"title\":\"Moby Dick\",\"isbn\":\"0-553-21311-3\",\"price\":8.99}"
#define B3                                                                 \
    "{\"category\":\"fiction\",\"author\":\"J. R. R. Tolkien\","           \
    "\"title\":\"The Lord of the Rings\",\"isbn\":\"0-395-19395-8\","      \
    "\"price\":22.99}"

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    if (!v)
        print_error("bad test JSON %s: %s\n", text, e.text);
    assert_non_null(v);
    return v;
}

/* Variables for `$name` roots: a fixed object. */
static json_t *lookup(void *ud, const char *name)
{
    return json_object_get((json_t *)ud, name);
}

static sfn_rc run(const char *path, unsigned flags, json_t *input,
                  json_t *context, json_t *vars, json_t **out,
                  sfn_error *err)
{
    sfn_jsonpath *p = NULL;
    sfn_rc rc = sfn_jsonpath_compile(path, flags, &p, err);
    if (rc != SFN_OK) {
        print_error("compile '%s': %s\n", path, err->cause);
        return rc;
    }
    sfn_expr_env env = {.input = input,
                        .context = context,
                        .lookup_var = lookup,
                        .ud = vars};
    rc = sfn_jsonpath_eval(p, &env, out, err);
    sfn_jsonpath_free(p);
    return rc;
}

static void assert_json(json_t *got, const char *want_text)
{
    json_t *want = J(want_text);
    int same = json_equal(got, want);
    if (!same) {
        char *g = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
        print_error("got  %s\nwant %s\n", g, want_text);
        free(g);
    }
    json_decref(want);
    assert_true(same);
}

/* Evaluates `path` (all roots allowed) against doc and compares. */
static void check(const char *path, const char *doc, const char *want)
{
    json_t *in = J(doc), *out = NULL;
    sfn_error err;
    sfn_error_clear(&err);
    sfn_rc rc = run(path, SFN_JP_ALLOW_CONTEXT | SFN_JP_ALLOW_VARIABLE, in,
                    NULL, NULL, &out, &err);
    if (rc != SFN_OK)
        print_error("eval '%s': %s\n", path, err.cause);
    assert_int_equal(rc, SFN_OK);
    assert_json(out, want);
    json_decref(out);
    json_decref(in);
}

/* Compiling must fail with SFN_ESYNTAX at `offset` and a cause containing
 * `fragment`. */
static void bad(const char *path, unsigned flags, long offset,
                const char *fragment)
{
    sfn_jsonpath *p = NULL;
    sfn_error err;
    sfn_error_clear(&err);
    sfn_rc rc = sfn_jsonpath_compile(path, flags, &p, &err);
    if (rc != SFN_ESYNTAX || err.offset != offset ||
        !strstr(err.cause, fragment))
        print_error("'%s': rc %d offset %ld cause \"%s\"; want offset %ld "
                    "and \"%s\"\n",
                    path, rc, err.offset, err.cause, offset, fragment);
    sfn_jsonpath_free(p);
    assert_int_equal(rc, SFN_ESYNTAX);
    assert_null(p);
    assert_int_equal(err.offset, offset);
    assert_non_null(strstr(err.cause, fragment));
}

static void ok(const char *path, unsigned flags)
{
    sfn_jsonpath *p = NULL;
    sfn_error err;
    sfn_error_clear(&err);
    sfn_rc rc = sfn_jsonpath_compile(path, flags, &p, &err);
    if (rc != SFN_OK)
        print_error("'%s': %s\n", path, err.cause);
    assert_int_equal(rc, SFN_OK);
    sfn_jsonpath_free(p);
}

/* ==== Roots and accessors ==== */

static void test_root_input_is_same_node(void **state)
{
    (void)state;
    json_t *in = J("{\"a\":1}"), *out = NULL;
    sfn_error err;
    assert_int_equal(run("$", 0, in, NULL, NULL, &out, &err), SFN_OK);
    assert_ptr_equal(out, in); /* a new reference, not a copy */
    json_decref(out);
    json_decref(in);
}

static void test_root_context(void **state)
{
    (void)state;
    json_t *ctx = J("{\"Execution\":{\"Id\":\"arn:x\",\"Input\":{\"k\":[7]}}}");
    json_t *out = NULL;
    sfn_error err;
    assert_int_equal(run("$$.Execution.Id", SFN_JP_ALLOW_CONTEXT, NULL, ctx,
                         NULL, &out, &err),
                     SFN_OK);
    assert_json(out, "\"arn:x\"");
    json_decref(out);
    assert_int_equal(run("$$.Execution.Input.k[0]", SFN_JP_ALLOW_CONTEXT,
                         NULL, ctx, NULL, &out, &err),
                     SFN_OK);
    assert_json(out, "7");
    json_decref(out);
    assert_int_equal(
        run("$$", SFN_JP_ALLOW_CONTEXT, NULL, ctx, NULL, &out, &err), SFN_OK);
    assert_ptr_equal(out, ctx);
    json_decref(out);
    json_decref(ctx);
}

static void test_root_variable(void **state)
{
    (void)state;
    json_t *vars = J("{\"order\":{\"items\":[{\"sku\":\"A1\"}]},\"n\":3}");
    json_t *out = NULL;
    sfn_error err;
    assert_int_equal(run("$order.items[0].sku", SFN_JP_ALLOW_VARIABLE, NULL,
                         NULL, vars, &out, &err),
                     SFN_OK);
    assert_json(out, "\"A1\"");
    json_decref(out);
    assert_int_equal(
        run("$n", SFN_JP_ALLOW_VARIABLE, NULL, NULL, vars, &out, &err),
        SFN_OK);
    assert_json(out, "3");
    json_decref(out);
    json_decref(vars);
}

static void test_unset_variable_is_runtime_error(void **state)
{
    (void)state;
    json_t *vars = J("{}"), *out = NULL;
    sfn_error err;
    sfn_error_clear(&err);
    assert_int_equal(run("$missing.a", SFN_JP_ALLOW_VARIABLE, NULL, NULL,
                         vars, &out, &err),
                     SFN_ENOTFOUND);
    assert_string_equal(err.name, "States.Runtime");
    assert_non_null(strstr(err.cause, "'$missing'"));
    assert_null(out);
    json_decref(vars);
}

static void test_absent_root_in_env(void **state)
{
    (void)state;
    json_t *out = NULL;
    sfn_error err;
    assert_int_equal(run("$.a", 0, NULL, NULL, NULL, &out, &err),
                     SFN_ENOTFOUND);
    assert_string_equal(err.name, "States.Runtime");
    assert_int_equal(
        run("$$.a", SFN_JP_ALLOW_CONTEXT, NULL, NULL, NULL, &out, &err),
        SFN_ENOTFOUND);
    assert_non_null(strstr(err.cause, "context object"));
}

static void test_accessors(void **state)
{
    (void)state;
    sfn_jsonpath *p;
    sfn_error err;
    unsigned all = SFN_JP_ALLOW_CONTEXT | SFN_JP_ALLOW_VARIABLE;
    assert_int_equal(sfn_jsonpath_compile("$.a[0]", 0, &p, &err), SFN_OK);
    assert_string_equal(sfn_jsonpath_text(p), "$.a[0]");
    assert_int_equal(sfn_jsonpath_root(p), SFN_JP_ROOT_INPUT);
    assert_null(sfn_jsonpath_variable(p));
    assert_true(sfn_jsonpath_is_definite(p));
    assert_false(sfn_jsonpath_is_root(p));
    sfn_jsonpath_free(p);
    assert_int_equal(sfn_jsonpath_compile("$$", all, &p, &err), SFN_OK);
    assert_int_equal(sfn_jsonpath_root(p), SFN_JP_ROOT_CONTEXT);
    assert_true(sfn_jsonpath_is_root(p));
    sfn_jsonpath_free(p);
    assert_int_equal(sfn_jsonpath_compile("$my_var1.x", all, &p, &err),
                     SFN_OK);
    assert_int_equal(sfn_jsonpath_root(p), SFN_JP_ROOT_VARIABLE);
    assert_string_equal(sfn_jsonpath_variable(p), "my_var1");
    sfn_jsonpath_free(p);
    const char *indefinite[] = {"$.a[*]", "$..a",      "$.a[1:2]",
                                "$.a[0,1]", "$['a','b']", "$.a[?(@.b)]",
                                "$.*"};
    for (size_t i = 0; i < sizeof indefinite / sizeof *indefinite; i++) {
        assert_int_equal(sfn_jsonpath_compile(indefinite[i], 0, &p, &err),
                         SFN_OK);
        assert_false(sfn_jsonpath_is_definite(p));
        sfn_jsonpath_free(p);
    }
    assert_int_equal(sfn_jsonpath_compile("$.a.length()", 0, &p, &err),
                     SFN_OK);
    assert_true(sfn_jsonpath_is_definite(p));
    sfn_jsonpath_free(p);
    sfn_jsonpath_free(NULL);
}

/* ==== Member and index steps ==== */

static void test_dot_members(void **state)
{
    (void)state;
    check("$.a.b", "{\"a\":{\"b\":[1,2]}}", "[1,2]");
    /* Jayway takes anything up to '.', '[' or the end as a name. */
    check("$.a-b", "{\"a-b\":1}", "1");
    check("$.1x", "{\"1x\":2}", "2");
    check("$.größe", "{\"größe\":3}", "3");
    check("$.a b", "{\"a b\":4}", "4");
}

static void test_bracket_members(void **state)
{
    (void)state;
    check("$['a b']", "{\"a b\":1}", "1");
    check("$[\"a b\"]", "{\"a b\":2}", "2");
    check("$['it\\'s']", "{\"it's\":3}", "3");
    check("$[\"q\\\"x\"]", "{\"q\\\"x\":4}", "4");
    /* AWS-recorded: the other quote escaped keeps its backslash */
    check("$['a\\\"b']", "{\"a\\\\\\\"b\":7}", "7");
    check("$['\\u00e9\\n']", "{\"\\u00e9\\n\":5}", "5");
    check("$['\\ud83d\\ude00']", "{\"\\ud83d\\ude00\":6}", "6");
    check("$['a.b']['c[0]']", "{\"a.b\":{\"c[0]\":7}}", "7");
    check("$[ 'a' ]", "{\"a\":8}", "8");
}

static void test_indexes(void **state)
{
    (void)state;
    const char *d = "{\"a\":[10,20,30]}";
    check("$.a[0]", d, "10");
    check("$.a[2]", d, "30");
    check("$.a[-1]", d, "30");
    check("$.a[-3]", d, "10");
    check("$.a[ 1 ]", d, "20");
    check("$[1][0]", "[[1],[2,3]]", "2");
}

static void test_unions(void **state)
{
    (void)state;
    check("$.a[0,2]", "{\"a\":[10,20,30]}", "[10,30]");
    check("$.a[2,-3,9]", "{\"a\":[10,20,30]}", "[30,10]");
    check("$['x','z', 'y']", "{\"x\":1,\"y\":2,\"z\":3}", "[1,3,2]");
    check("$['x','nope']", "{\"x\":1}", "[1]");
}

static void test_slices(void **state)
{
    (void)state;
    const char *d = "[0,1,2,3,4,5]";
    check("$[1:3]", d, "[1,2]");
    check("$[:2]", d, "[0,1]");
    check("$[4:]", d, "[4,5]");
    check("$[-2:]", d, "[4,5]");
    check("$[:-4]", d, "[0,1]");
    check("$[::2]", d, "[0,2,4]");
    check("$[1:6:2]", d, "[1,3,5]");
    check("$[::-1]", d, "[5,4,3,2,1,0]");
    check("$[4:1:-2]", d, "[4,2]");
    check("$[10:20]", d, "[]");
    check("$[-100:2]", d, "[0,1]");
    check("$[ 1 : 3 ]", d, "[1,2]");
    check("$[:]", d, "[0,1,2,3,4,5]");
    check("$.x[0:1]", "{\"x\":{\"a\":1}}", "[]");
}

static void test_wildcards(void **state)
{
    (void)state;
    check("$.*", "{\"a\":1,\"b\":[2]}", "[1,[2]]");
    check("$[*]", "[3,{\"c\":4}]", "[3,{\"c\":4}]");
    check("$.a[*].b", "{\"a\":[{\"b\":1},{\"c\":2},{\"b\":3}]}", "[1,3]");
    check("$.a.*", "{\"a\":5}", "[]");
}

static void test_deep_scan_forms(void **state)
{
    (void)state;
    const char *d = "{\"a\":{\"k\":1,\"b\":[{\"k\":2},{\"k\":3}]},\"k\":4}";
    /* Matches at a node come before those of its descendants. */
    check("$..k", d, "[4,1,2,3]");
    check("$..['k']", d, "[4,1,2,3]");
    check("$..b[0].k", d, "[2]");
    check("$..[1]", d, "[{\"k\":3}]");
    check("$..*", "{\"a\":{\"b\":1},\"c\":[2]}", "[{\"b\":1},[2],1,2]");
    check("$.a..k", d, "[1,2,3]");
}

/* ==== The store examples (Jayway README, cited by the AWS docs) ==== */

static void test_store_examples(void **state)
{
    (void)state;
    check("$.store.book[*].author", STORE,
          "[\"Nigel Rees\",\"Evelyn Waugh\",\"Herman Melville\","
          "\"J. R. R. Tolkien\"]");
    check("$..author", STORE,
          "[\"Nigel Rees\",\"Evelyn Waugh\",\"Herman Melville\","
          "\"J. R. R. Tolkien\"]");
    check("$.store.*", STORE,
          "[[" B0 "," B1 "," B2 "," B3 "],"
          "{\"color\":\"red\",\"price\":19.95}]");
    check("$.store..price", STORE, "[8.95,12.99,8.99,22.99,19.95]");
    check("$..book[2]", STORE, "[" B2 "]");
    check("$..book[-1:]", STORE, "[" B3 "]");
    check("$..book[0,1]", STORE, "[" B0 "," B1 "]");
    check("$..book[:2]", STORE, "[" B0 "," B1 "]");
    check("$..book[?(@.isbn)]", STORE, "[" B2 "," B3 "]");
    check("$.store.book[?(@.price < 10)]", STORE, "[" B0 "," B2 "]");
    check("$..book[?(@.price<10)]", STORE, "[" B0 "," B2 "]");
    check("$..book[?(@.price <= $['expensive'])]", STORE,
          "[" B0 "," B2 "]");
    check("$..book.length()", STORE, "4");
}

static void test_store_deep_wildcard(void **state)
{
    (void)state;
    json_t *in = J(STORE), *out = NULL;
    sfn_error err;
    assert_int_equal(run("$..*", 0, in, NULL, NULL, &out, &err), SFN_OK);
    /* 2 top-level + 2 in store + 4 books + 18 book members + 2 bicycle. */
    assert_int_equal(json_array_size(out), 28);
    assert_ptr_equal(json_array_get(out, 0), json_object_get(in, "store"));
    assert_json(json_array_get(out, 1), "10");
    json_decref(out);
    json_decref(in);
}

static void test_aws_inputpath_example(void **state)
{
    (void)state;
    const char *in =
        "{\"comment\":\"Example for InputPath.\","
        "\"dataset1\":{\"val1\":1,\"val2\":2,\"val3\":3},"
        "\"dataset2\":{\"val1\":\"a\",\"val2\":\"b\",\"val3\":\"c\"}}";
    check("$.dataset2", in, "{\"val1\":\"a\",\"val2\":\"b\",\"val3\":\"c\"}");
}

/* ==== Filters ==== */

static void test_filter_comparison_operators(void **state)
{
    (void)state;
    const char *d = "[{\"v\":1},{\"v\":2},{\"v\":3},{\"w\":2}]";
    check("$[?(@.v == 2)]", d, "[{\"v\":2}]");
    check("$[?(@.v != 2)]", d, "[{\"v\":1},{\"v\":3}]");
    check("$[?(@.v < 2)]", d, "[{\"v\":1}]");
    check("$[?(@.v <= 2)]", d, "[{\"v\":1},{\"v\":2}]");
    check("$[?(@.v > 2)]", d, "[{\"v\":3}]");
    check("$[?(@.v >= 2)]", d, "[{\"v\":2},{\"v\":3}]");
    check("$[?(2 < @.v)]", d, "[{\"v\":3}]");
}

static void test_filter_strings(void **state)
{
    (void)state;
    const char *d = "[{\"s\":\"apple\"},{\"s\":\"pear\"},{\"s\":\"b\"}]";
    check("$[?(@.s == 'pear')].s", d, "[\"pear\"]");
    check("$[?(@.s == \"b\")].s", d, "[\"b\"]");
    check("$[?(@.s < 'b')].s", d, "[\"apple\"]");
    check("$[?(@.s >= 'b')].s", d, "[\"pear\",\"b\"]");
    check("$[?(@.s == 'it\\'s')]", "[{\"s\":\"it's\"}]",
          "[{\"s\":\"it's\"}]");
}

static void test_filter_logic(void **state)
{
    (void)state;
    const char *d = "[{\"a\":1,\"b\":1},{\"a\":1,\"b\":2},{\"a\":2,\"b\":2}]";
    check("$[?(@.a == 1 && @.b == 2)]", d, "[{\"a\":1,\"b\":2}]");
    check("$[?(@.a == 2 || @.b == 1)]", d,
          "[{\"a\":1,\"b\":1},{\"a\":2,\"b\":2}]");
    check("$[?(!(@.a == 1))]", d, "[{\"a\":2,\"b\":2}]");
    check("$[?(@.a == 1 && (@.b == 1 || @.b == 3))]", d,
          "[{\"a\":1,\"b\":1}]");
    /* && binds tighter than ||. */
    check("$[?(@.a == 2 || @.a == 1 && @.b == 1)]", d,
          "[{\"a\":1,\"b\":1},{\"a\":2,\"b\":2}]");
    check("$[?(!@.c)]", "[{\"c\":1},{\"d\":1}]", "[{\"d\":1}]");
}

static void test_filter_literals(void **state)
{
    (void)state;
    const char *d = "[{\"f\":true},{\"f\":false},{\"f\":null},{\"f\":0}]";
    check("$[?(@.f == true)]", d, "[{\"f\":true}]");
    check("$[?(@.f == false)]", d, "[{\"f\":false}]");
    check("$[?(@.f == null)]", d, "[{\"f\":null}]");
    check("$[?(@.f == -0.0)]", d, "[{\"f\":0}]");
    check("$[?(@.f < 1e1)]", d, "[{\"f\":0}]");
}

static void test_filter_existence(void **state)
{
    (void)state;
    /* A member holding null or false still exists. */
    check("$[?(@.k)]", "[{\"k\":null},{\"j\":1},{\"k\":false}]",
          "[{\"k\":null},{\"k\":false}]");
    check("$[?(@.k[1])]", "[{\"k\":[1]},{\"k\":[1,2]}]", "[{\"k\":[1,2]}]");
    check("$[?(@.k[*])]", "[{\"k\":[]},{\"k\":[1]}]", "[{\"k\":[1]}]");
}

static void test_filter_on_object_members(void **state)
{
    (void)state;
    check("$.m[?(@.on == true)].id",
          "{\"m\":{\"x\":{\"id\":1,\"on\":true},\"y\":{\"id\":2,"
          "\"on\":false},\"z\":{\"id\":3,\"on\":true}}}",
          "[1,3]");
}

static void test_filter_scalar_elements(void **state)
{
    (void)state;
    check("$[?(@ > 2)]", "[1,5,\"7\",3]", "[5,3]");
    check("$[?(@.k)]", "[1,\"k\",{\"k\":1}]", "[{\"k\":1}]");
}

static void test_filter_mismatched_types(void **state)
{
    (void)state;
    const char *d = "[{\"v\":\"1\"},{\"v\":1},{\"v\":[1]},{\"v\":true}]";
    check("$[?(@.v == 1)]", d, "[{\"v\":1}]");
    check("$[?(@.v < 2)]", d, "[{\"v\":1}]");
    check("$[?(@.v > '0')]", d, "[{\"v\":\"1\"}]");
    /* A missing member makes even != false. */
    check("$[?(@.w != 1)]", d, "[]");
}

static void test_filter_nested_and_length(void **state)
{
    (void)state;
    const char *d = "[{\"t\":[1,2]},{\"t\":[]},{\"t\":\"abc\"},{\"t\":{}}]";
    check("$[?(@.t.length() > 1)]", d, "[{\"t\":[1,2]},{\"t\":\"abc\"}]");
    check("$[?(@.t[?(@ == 2)])]", d, "[{\"t\":[1,2]}]");
}

static void test_integer_real_comparisons(void **state)
{
    (void)state;
    const char *d = "[{\"v\":1},{\"v\":1.0},{\"v\":2.5},{\"v\":3}]";
    check("$[?(@.v == 1)]", d, "[{\"v\":1},{\"v\":1.0}]");
    check("$[?(@.v == 1.0)]", d, "[{\"v\":1},{\"v\":1.0}]");
    check("$[?(@.v < 2.5)]", d, "[{\"v\":1},{\"v\":1.0}]");
    check("$[?(@.v > 2)]", d, "[{\"v\":2.5},{\"v\":3}]");
    check("$[?(@.v >= 2.5)]", d, "[{\"v\":2.5},{\"v\":3}]");
    /* 2^53 + 1 is not a double; it still compares above 2^53. */
    check("$[?(@.v > 9007199254740992.0)]",
          "[{\"v\":9007199254740993},{\"v\":9007199254740992}]",
          "[{\"v\":9007199254740993}]");
    check("$[?(@ > -1.5)]", "[-1,-2,0.5,-1.5]", "[-1,0.5]");
    check("$[?(@ < -1)]", "[-1,-2,-1.5,-0.5]", "[-2,-1.5]");
    check("$[?(@ < 1e19 && @ > -1e19)]",
          "[9223372036854775807,-9223372036854775807,1e20]",
          "[9223372036854775807,-9223372036854775807]");
    check("$[?(@ == 3)]", "[3.0,3.5,2.9999999999999996]", "[3.0]");
}

/* ==== length() ==== */

static void test_length(void **state)
{
    (void)state;
    check("$.a.length()", "{\"a\":[1,2,3]}", "3");
    check("$.s.length()", "{\"s\":\"h\\u00e9llo \\ud83d\\ude00\"}", "7");
    check("$.a[*].length()", "{\"a\":[[1],\"xy\"]}", "[1,2]");
    json_t *in = J("{\"o\":{}}"), *out = NULL;
    sfn_error err;
    sfn_error_clear(&err);
    assert_int_equal(run("$.o.length()", 0, in, NULL, NULL, &out, &err),
                     SFN_ETYPE);
    assert_string_equal(err.name, "States.Runtime");
    assert_non_null(strstr(err.cause, "found an object"));
    json_decref(in);
}

/* ==== Evaluation results and failures ==== */

static void test_not_found_wording(void **state)
{
    (void)state;
    json_t *in = J("{\"a\":{\"b\":[1]}}"), *out = NULL;
    sfn_error err;
    sfn_error_clear(&err);
    assert_int_equal(run("$.a.c.d", 0, in, NULL, NULL, &out, &err),
                     SFN_ENOTFOUND);
    assert_string_equal(err.name, "States.Runtime");
    assert_string_equal(err.cause, "Invalid path '$.a.c.d' : No results for "
                                   "path: $['a']['c']");
    assert_int_equal(run("$.a.b[3]", 0, in, NULL, NULL, &out, &err),
                     SFN_ENOTFOUND);
    assert_string_equal(err.cause, "Invalid path '$.a.b[3]' : No results "
                                   "for path: $['a']['b'][3]");
    assert_int_equal(run("$['x y']", 0, in, NULL, NULL, &out, &err),
                     SFN_ENOTFOUND);
    assert_string_equal(err.cause, "Invalid path '$['x y']' : No results "
                                   "for path: $['x y']");
    /* A member of a non-object is missing too. */
    assert_int_equal(run("$.a.b.c", 0, in, NULL, NULL, &out, &err),
                     SFN_ENOTFOUND);
    assert_null(out);
    json_decref(in);
}

static void test_indefinite_no_match_is_empty(void **state)
{
    (void)state;
    check("$.a[*]", "{\"a\":[]}", "[]");
    check("$..zzz", "{\"a\":{\"b\":1}}", "[]");
    check("$.nope[?(@.x)]", "{}", "[]");
}

/* ==== Syntax errors ==== */

static void test_syntax_exact_message(void **state)
{
    (void)state;
    sfn_jsonpath *p = NULL;
    sfn_error err;
    assert_int_equal(sfn_jsonpath_compile("$.a[", 0, &p, &err), SFN_ESYNTAX);
    assert_string_equal(err.cause,
                        "Invalid JSONPath '$.a[': unterminated bracket at "
                        "offset 3");
    assert_int_equal(err.offset, 3);
    assert_null(p);
}

static void test_syntax_root(void **state)
{
    (void)state;
    bad("", 0, 0, "must start with '$'");
    bad("a.b", 0, 0, "must start with '$'");
    bad("$ .a", 0, 1, "unexpected character ' '");
    bad("$-x", 0, 1, "unexpected character '-'");
}

static void test_syntax_brackets(void **state)
{
    (void)state;
    bad("$.a[0", 0, 3, "unterminated bracket");
    bad("$.a[0,", 0, 3, "unterminated bracket");
    bad("$.a[*", 0, 3, "unterminated bracket");
    bad("$.a[]", 0, 3, "empty brackets");
    bad("$.a[x]", 0, 4, "unexpected character 'x' in brackets");
    bad("$.a[0 1]", 0, 6, "expected ']'");
    bad("$[0,'b']", 0, 4, "only quoted names or only integers");
    bad("$['a',1]", 0, 6, "only quoted names or only integers");
    bad("$[1:2:0]", 0, 5, "slice step cannot be zero");
    bad("$[99999999999999999999]", 0, 2, "index is too large");
    bad("$[-]", 0, 2, "expected an integer");
}

static void test_syntax_strings(void **state)
{
    (void)state;
    bad("$['ab", 0, 2, "unterminated string");
    bad("$['a\\qb']", 0, 4, "unknown escape sequence '\\q'");
    bad("$['\\u12']", 0, 3, "4 hex digits");
    bad("$['\\ud800x']", 0, 3, "surrogate");
    bad("$['\\udc00']", 0, 3, "surrogate");
}

static void test_syntax_dots(void **state)
{
    (void)state;
    bad("$.", 0, 2, "expected a member name after '.'");
    bad("$.a.[0]", 0, 4, "expected a member name after '.'");
    bad("$.a..", 0, 3, "'..' must be followed by a name, '*' or '['");
    bad("$...a", 0, 1, "'..' must be followed by a name, '*' or '['");
    bad("$.*x", 0, 3, "unexpected character 'x'");
}

static void test_syntax_functions(void **state)
{
    (void)state;
    bad("$.a.max()", 0, 4, "unsupported function 'max()'");
    bad("$.a.length().b", 0, 12, "length() must be the last step");
    bad("$..length()", 0, 3, "length() cannot follow '..'");
}

static void test_syntax_filters(void **state)
{
    (void)state;
    bad("$.a[?@.b]", 0, 5, "expected '(' after '?'");
    bad("$.a[?(@.b == 1]", 0, 14, "expected ')' to close the filter");
    bad("$.a[?(@.b == 1)", 0, 3, "unterminated bracket");
    bad("$.a[?(@.b = 1)]", 0, 10, "use '==' to compare");
    bad("$.a[?(@.b =~ /x/)]", 0, 10, "regular expressions");
    bad("$.a[?(@.b in ['x'])]", 0, 10, "operator 'in' is not supported");
    bad("$.a[?(1)]", 0, 6, "a literal alone is not a condition");
    bad("$.a[?(@.b == )]", 0, 13, "expected a path, string, number");
    bad("$.a[?(@.b == 1 & @.c)]", 0, 15, "use '&&'");
    bad("$.a[?(@.b == 1 | @.c)]", 0, 15, "use '||'");
    bad("$.a[?($x.b == 1)]", 0, 6, "only '@' and '$' paths");
    bad("$.a[?($$.b == 1)]", 0, 6, "only '@' and '$' paths");
    bad("$.a[?(@.b == tru)]", 0, 13, "unknown word 'tru'");
    bad("$.a[?((@.b == 1 ]", 0, 16, "expected ')' but found ']'");
    bad("$.a[?((@.b == 1", 0, 6, "unclosed parenthesis");
    bad("$.a[?(@.b == 1e)]", 0, 13, "malformed number exponent");
    bad("$.a[?(@.b == -1e999)]", 0, 13, "number is out of range");
}

static void test_syntax_nesting_limit(void **state)
{
    (void)state;
    char path[256] = "$[?(";
    for (int i = 0; i < 100; i++)
        strcat(path, "(");
    strcat(path, "@.a");
    sfn_jsonpath *p = NULL;
    sfn_error err;
    assert_int_equal(sfn_jsonpath_compile(path, 0, &p, &err), SFN_ESYNTAX);
    assert_non_null(strstr(err.cause, "nested too deeply"));
}

/* ==== Flags ==== */

static void test_flag_context_gate(void **state)
{
    (void)state;
    bad("$$.Execution.Id", 0, 0, "context object paths ($$) are not allowed");
    ok("$$.Execution.Id", SFN_JP_ALLOW_CONTEXT);
    ok("$$.Map.Item.Value", SFN_JP_ALLOW_CONTEXT | SFN_JP_REFERENCE);
}

static void test_flag_variable_gate(void **state)
{
    (void)state;
    bad("$x.a", 0, 0, "variable references ($x) are not allowed");
    bad("$x", SFN_JP_ALLOW_CONTEXT, 0, "variable references");
    ok("$x.a[0]", SFN_JP_ALLOW_VARIABLE);
}

static void test_flag_reference(void **state)
{
    (void)state;
    unsigned r = SFN_JP_REFERENCE;
    sfn_jsonpath *p = NULL;
    sfn_error err;
    assert_int_equal(sfn_jsonpath_compile("$.a[*]", r, &p, &err),
                     SFN_ESYNTAX);
    assert_string_equal(err.cause, "'$.a[*]' is not a reference path: "
                                   "wildcards select more than one node");
    assert_int_equal(err.offset, 3);
    bad("$.a.*", r, 3, "wildcards select more than one node");
    bad("$..a", r, 1, "deep scan (..) selects more than one node");
    bad("$.a[1:2]", r, 3, "slices select more than one node");
    bad("$.a[0,1]", r, 3, "unions select more than one node");
    bad("$['a','b']", r, 1, "unions select more than one node");
    bad("$.a[?(@.b)]", r, 3, "filters select more than one node");
    bad("$.a.length()", r, 3, "functions such as length() are not allowed");
    ok("$", r);
    ok("$.a['b c'][0][-1]", r);
}

static void test_flag_result(void **state)
{
    (void)state;
    unsigned all = SFN_JP_RESULT | SFN_JP_ALLOW_CONTEXT |
                   SFN_JP_ALLOW_VARIABLE;
    bad("$$.a", all, 0, "is not a valid ResultPath: it must start with '$'");
    bad("$v.a", all, 0, "variables cannot be written");
    bad("$.a[-1]", SFN_JP_RESULT, 3, "negative indexes cannot be written");
    bad("$.a[*]", SFN_JP_RESULT, 3,
        "is not a valid ResultPath: wildcards select more than one node");
    bad("$.a.length()", SFN_JP_RESULT, 3, "functions such as length()");
    ok("$", SFN_JP_RESULT);
    ok("$.a.b", SFN_JP_RESULT);
    ok("$.a['b c']", SFN_JP_RESULT);
    ok("$.a[0].b", SFN_JP_RESULT);
}

/* ==== ResultPath writes ==== */

static sfn_rc set(const char *path, json_t *doc, json_t *value, json_t **out,
                  sfn_error *err)
{
    sfn_jsonpath *p = NULL;
    sfn_rc rc = sfn_jsonpath_compile(path, SFN_JP_RESULT, &p, err);
    assert_int_equal(rc, SFN_OK);
    rc = sfn_jsonpath_set(p, doc, value, out, err);
    sfn_jsonpath_free(p);
    return rc;
}

static void check_set(const char *path, const char *doc, const char *value,
                      const char *want)
{
    json_t *d = J(doc), *v = J(value), *out = NULL;
    sfn_error err;
    sfn_error_clear(&err);
    sfn_rc rc = set(path, d, v, &out, &err);
    if (rc != SFN_OK)
        print_error("set '%s': %s\n", path, err.cause);
    assert_int_equal(rc, SFN_OK);
    assert_json(out, want);
    assert_json(d, doc); /* the input is not modified */
    json_decref(out);
    json_decref(d);
    json_decref(v);
}

static void check_set_fails(const char *path, const char *doc)
{
    json_t *d = J(doc), *v = J("1"), *out = NULL;
    sfn_error err;
    sfn_error_clear(&err);
    assert_int_equal(set(path, d, v, &out, &err), SFN_ETYPE);
    assert_string_equal(err.name, "States.ResultPathMatchFailure");
    assert_null(out);
    assert_json(d, doc);
    json_decref(d);
    json_decref(v);
}

static void test_set_root_replaces(void **state)
{
    (void)state;
    json_t *d = J("{\"a\":1}"), *v = J("[1]"), *out = NULL;
    sfn_error err;
    assert_int_equal(set("$", d, v, &out, &err), SFN_OK);
    assert_ptr_equal(out, v);
    json_decref(out);
    json_decref(d);
    json_decref(v);
}

static void test_set_aws_example(void **state)
{
    (void)state;
    check_set("$.taskresult",
              "{\"comment\":\"This is a test of the input and output of a "
              "Task state.\",\"details\":\"Default example\",\"who\":\"AWS "
              "Step Functions\"}",
              "\"Hello, AWS Step Functions!\"",
              "{\"comment\":\"This is a test of the input and output of a "
              "Task state.\",\"details\":\"Default example\",\"who\":\"AWS "
              "Step Functions\",\"taskresult\":\"Hello, AWS Step "
              "Functions!\"}");
}

static void test_set_creates_intermediates(void **state)
{
    (void)state;
    check_set("$.a.b", "{\"x\":1}", "{\"r\":true}",
              "{\"x\":1,\"a\":{\"b\":{\"r\":true}}}");
    check_set("$.a['b c'].d", "{\"a\":{\"k\":2}}", "3",
              "{\"a\":{\"k\":2,\"b c\":{\"d\":3}}}");
}

static void test_set_overwrites(void **state)
{
    (void)state;
    check_set("$.x", "{\"x\":{\"old\":1},\"y\":2}", "\"new\"",
              "{\"x\":\"new\",\"y\":2}");
    check_set("$.x.y", "{\"x\":{\"y\":[1,2]}}", "null",
              "{\"x\":{\"y\":null}}");
}

static void test_set_indexes(void **state)
{
    (void)state;
    check_set("$.l[1]", "{\"l\":[1,2,3]}", "\"v\"", "{\"l\":[1,\"v\",3]}");
    check_set("$.l[0].n", "{\"l\":[{}]}", "5", "{\"l\":[{\"n\":5}]}");
    check_set("$[0]", "[9]", "8", "[8]");
    check_set_fails("$.l[3]", "{\"l\":[1,2,3]}");
    check_set_fails("$.m[0]", "{}");
    check_set_fails("$.l[0]", "{\"l\":{\"0\":1}}");
}

static void test_set_type_failures(void **state)
{
    (void)state;
    check_set_fails("$.x", "[1,2]");
    check_set_fails("$.a.b", "{\"a\":5}");
    check_set_fails("$.a.b", "{\"a\":null}");
    json_t *d = J("\"abc\""), *v = J("1"), *out = NULL;
    sfn_error err;
    assert_int_equal(set("$.x", d, v, &out, &err), SFN_ETYPE);
    assert_string_equal(err.name, "States.ResultPathMatchFailure");
    assert_string_equal(err.cause,
                        "Unable to apply ResultPath '$.x' to input '\"abc\"'");
    json_decref(d);
    json_decref(v);
}

static void test_set_failure_truncates_input(void **state)
{
    (void)state;
    char big[2100] = "[\"";
    memset(big + 2, 'x', 2000);
    strcpy(big + 2002, "\"]");
    json_t *d = J(big), *v = J("1"), *out = NULL;
    sfn_error err;
    assert_int_equal(set("$.x", d, v, &out, &err), SFN_ETYPE);
    assert_true(strlen(err.cause) < 400);
    size_t n = strlen(err.cause);
    assert_string_equal(err.cause + n - 4, "...'");
    json_decref(d);
    json_decref(v);
}

static void test_set_rejects_non_result_path(void **state)
{
    (void)state;
    sfn_jsonpath *p = NULL;
    sfn_error err;
    json_t *d = J("{}"), *out = NULL;
    assert_int_equal(sfn_jsonpath_compile("$.a[*]", 0, &p, &err), SFN_OK);
    assert_int_equal(sfn_jsonpath_set(p, d, d, &out, &err), SFN_EINVAL);
    assert_null(out);
    sfn_jsonpath_free(p);
    json_decref(d);
}

/* ==== Repetition ==== */

static void test_many_compiles_and_evals(void **state)
{
    (void)state;
    json_t *in = J(STORE);
    sfn_expr_env env = {.input = in};
    for (int i = 0; i < 100000; i++) {
        sfn_jsonpath *p = NULL;
        json_t *out = NULL;
        sfn_error err;
        const char *path = (i & 1) ? "$.store.book[?(@.price < 10 && "
                                     "@.isbn)].title"
                                   : "$.store.book[-1]['title']";
        if (sfn_jsonpath_compile(path, 0, &p, &err) != SFN_OK ||
            sfn_jsonpath_eval(p, &env, &out, &err) != SFN_OK)
            fail_msg("iteration %d: %s", i, err.cause);
        if (i & 1)
            assert_int_equal(json_array_size(out), 1);
        else
            assert_string_equal(json_string_value(out),
                                "The Lord of the Rings");
        json_decref(out);
        sfn_jsonpath_free(p);
    }
    json_decref(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_root_input_is_same_node),
        cmocka_unit_test(test_root_context),
        cmocka_unit_test(test_root_variable),
        cmocka_unit_test(test_unset_variable_is_runtime_error),
        cmocka_unit_test(test_absent_root_in_env),
        cmocka_unit_test(test_accessors),
        cmocka_unit_test(test_dot_members),
        cmocka_unit_test(test_bracket_members),
        cmocka_unit_test(test_indexes),
        cmocka_unit_test(test_unions),
        cmocka_unit_test(test_slices),
        cmocka_unit_test(test_wildcards),
        cmocka_unit_test(test_deep_scan_forms),
        cmocka_unit_test(test_store_examples),
        cmocka_unit_test(test_store_deep_wildcard),
        cmocka_unit_test(test_aws_inputpath_example),
        cmocka_unit_test(test_filter_comparison_operators),
        cmocka_unit_test(test_filter_strings),
        cmocka_unit_test(test_filter_logic),
        cmocka_unit_test(test_filter_literals),
        cmocka_unit_test(test_filter_existence),
        cmocka_unit_test(test_filter_on_object_members),
        cmocka_unit_test(test_filter_scalar_elements),
        cmocka_unit_test(test_filter_mismatched_types),
        cmocka_unit_test(test_filter_nested_and_length),
        cmocka_unit_test(test_integer_real_comparisons),
        cmocka_unit_test(test_length),
        cmocka_unit_test(test_not_found_wording),
        cmocka_unit_test(test_indefinite_no_match_is_empty),
        cmocka_unit_test(test_syntax_exact_message),
        cmocka_unit_test(test_syntax_root),
        cmocka_unit_test(test_syntax_brackets),
        cmocka_unit_test(test_syntax_strings),
        cmocka_unit_test(test_syntax_dots),
        cmocka_unit_test(test_syntax_functions),
        cmocka_unit_test(test_syntax_filters),
        cmocka_unit_test(test_syntax_nesting_limit),
        cmocka_unit_test(test_flag_context_gate),
        cmocka_unit_test(test_flag_variable_gate),
        cmocka_unit_test(test_flag_reference),
        cmocka_unit_test(test_flag_result),
        cmocka_unit_test(test_set_root_replaces),
        cmocka_unit_test(test_set_aws_example),
        cmocka_unit_test(test_set_creates_intermediates),
        cmocka_unit_test(test_set_overwrites),
        cmocka_unit_test(test_set_indexes),
        cmocka_unit_test(test_set_type_failures),
        cmocka_unit_test(test_set_failure_truncates_input),
        cmocka_unit_test(test_set_rejects_non_result_path),
        cmocka_unit_test(test_many_compiles_and_evals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
