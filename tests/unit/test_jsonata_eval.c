/* test_jsonata_eval.c: unit tests of the JSONata evaluator
 * (sfn_jsonata_eval): language features, the function library (expected
 * values from the docs.jsonata.org examples), error codes, limits, the Step
 * Functions additions, and a leak loop for the sanitizers / valgrind. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sfn_jsonata.h"

/* The docs.jsonata.org sample document (abridged). */
static const char *const address_doc =
    "{\"FirstName\":\"Fred\",\"Surname\":\"Smith\",\"Age\":28,"
    "\"Address\":{\"Street\":\"Hursley Park\",\"City\":\"Winchester\","
    "\"Postcode\":\"SO21 2JN\"},"
    "\"Phone\":[{\"type\":\"home\",\"number\":\"0203 544 1234\"},"
    "{\"type\":\"office\",\"number\":\"01962 001234\"},"
    "{\"type\":\"office\",\"number\":\"01962 001235\"},"
    "{\"type\":\"mobile\",\"number\":\"077 7700 1234\"}],"
    "\"Email\":[{\"type\":\"work\",\"address\":[\"fred.smith@my-work.com\","
    "\"fsmith@my-work.com\"]},{\"type\":\"home\",\"address\":["
    "\"freddy@my-social.com\",\"frederic.smith@very-serious.com\"]}],"
    "\"Other\":{\"Over 18 ?\":true,\"Misc\":null,"
    "\"Alternative.Address\":{\"Street\":\"Brick Lane\",\"City\":\"London\","
    "\"Postcode\":\"E1 6RF\"}}}";

static const char *const order_doc =
    "{\"Account\":{\"Account Name\":\"Firefly\",\"Order\":["
    "{\"OrderID\":\"order103\",\"Product\":["
    "{\"Product Name\":\"Bowler Hat\",\"ProductID\":858383,\"Price\":34.45,"
    "\"Quantity\":2},"
    "{\"Product Name\":\"Trilby hat\",\"ProductID\":858236,\"Price\":21.67,"
    "\"Quantity\":1}]},"
    "{\"OrderID\":\"order104\",\"Product\":["
    "{\"Product Name\":\"Bowler Hat\",\"ProductID\":858383,\"Price\":34.45,"
    "\"Quantity\":4},"
    "{\"Product Name\":\"Cloak\",\"ProductID\":345664,\"Price\":107.99,"
    "\"Quantity\":1}]}]}}";

static char result_buf[8192];

/* Evaluates expr against input (JSON text, or NULL for no input) and
 * returns the compact JSON of the result, "undefined", or "!CODE" for an
 * error. */
static const char *run(const char *expr, const char *input,
                       const sfn_jsonata_opts *opts)
{
    sfn_jsonata *e = NULL;
    sfn_error err = {0};
    if (sfn_jsonata_compile(expr, strlen(expr), &e, &err) != SFN_OK) {
        snprintf(result_buf, sizeof result_buf, "!%s", err.name);
        return result_buf;
    }
    json_t *in = input ? json_loads(input, JSON_DECODE_ANY, NULL) : NULL;
    json_t *out = NULL;
    sfn_rc rc = sfn_jsonata_eval(e, in, NULL, opts, &out, &err);
    if (rc != SFN_OK) {
        snprintf(result_buf, sizeof result_buf, "!%s", err.name);
    } else if (!out) {
        snprintf(result_buf, sizeof result_buf, "undefined");
    } else {
        char *s = json_dumps(out, JSON_COMPACT | JSON_ENCODE_ANY |
                                      JSON_REAL_PRECISION(15));
        snprintf(result_buf, sizeof result_buf, "%s", s);
        free(s);
    }
    json_decref(out);
    json_decref(in);
    sfn_jsonata_free(e);
    return result_buf;
}

#define EV(expr, input, want) assert_string_equal(run(expr, input, NULL), want)

static const sfn_jsonata_opts aws_opts = {.aws_functions = true};
#define EVA(expr, want) assert_string_equal(run(expr, NULL, &aws_opts), want)

/* ==== Paths and sequences ==== */

static void test_paths(void **state)
{
    (void)state;
    EV("Surname", address_doc, "\"Smith\"");
    EV("Address.City", address_doc, "\"Winchester\"");
    EV("Other.Misc", address_doc, "null");
    EV("Other.Nothing", address_doc, "undefined");
    EV("Other.`Over 18 ?`", address_doc, "true");
    EV("Phone[0].number", address_doc, "\"0203 544 1234\"");
    EV("Phone[-1].number", address_doc, "\"077 7700 1234\"");
    EV("Phone[type='office'].number", address_doc,
       "[\"01962 001234\",\"01962 001235\"]");
    EV("Email.address", address_doc,
       "[\"fred.smith@my-work.com\",\"fsmith@my-work.com\","
       "\"freddy@my-social.com\",\"frederic.smith@very-serious.com\"]");
}

static void test_singleton_and_keep_array(void **state)
{
    (void)state;
    EV("Phone[type='home'].number", address_doc, "\"0203 544 1234\"");
    EV("Phone[type='home'].number[]", address_doc, "[\"0203 544 1234\"]");
    EV("$[0]", "[1,2,3]", "1");
    EV("$", "[1,2,3]", "[1,2,3]");
    EV("[1,2,3][[1,2]]", NULL, "[2,3]");
}

static void test_undefined_vs_null(void **state)
{
    (void)state;
    EV("$", NULL, "undefined");
    EV("$", "null", "null");
    EV("$exists($)", NULL, "false");
    EV("$exists($)", "null", "true");
}

static void test_wildcards_descendants(void **state)
{
    (void)state;
    EV("Address.*", address_doc, "[\"Hursley Park\",\"Winchester\",\"SO21 2JN\"]");
    EV("**.Postcode", address_doc, "[\"SO21 2JN\",\"E1 6RF\"]");
}

static void test_array_constructor_and_range(void **state)
{
    (void)state;
    EV("[1..5]", NULL, "[1,2,3,4,5]");
    EV("[1, [2, 3], 4..5]", NULL, "[1,[2,3],4,5]");
    EV("[Address, Other.`Alternative.Address`].City", address_doc,
       "[\"Winchester\",\"London\"]");
    EV("[1..10000001]", NULL, "!D2014");
    EV("[1.5..3]", NULL, "!T2003");
}

static void test_object_constructor_grouping(void **state)
{
    (void)state;
    EV("Phone{type: number}", address_doc,
       "{\"home\":\"0203 544 1234\",\"office\":[\"01962 001234\","
       "\"01962 001235\"],\"mobile\":\"077 7700 1234\"}");
    EV("Account.Order.Product{`Product Name`: Price}", order_doc,
       "{\"Bowler Hat\":[34.45,34.45],\"Trilby hat\":21.67,"
       "\"Cloak\":107.99}");
    EV("Account.Order.Product{`Product Name`: $sum(Price * Quantity)}",
       order_doc, "!T2001");
    EV("{\"a\": 1, \"b\": nothing}", NULL, "{\"a\":1}");
    EV("{1: 2}", NULL, "!T1003");
}

static void test_parent_operator(void **state)
{
    (void)state;
    EV("Account.Order.Product.{'Product': `Product Name`, 'Order': "
       "%.OrderID}[0]",
       order_doc, "{\"Product\":\"Bowler Hat\",\"Order\":\"order103\"}");
}

static void test_focus_and_index_binding(void **state)
{
    (void)state;
    EV("Account.Order#$i.Product.{'i': $i, 'p': `Product Name`}", order_doc,
       "[{\"i\":0,\"p\":\"Bowler Hat\"},{\"i\":0,\"p\":\"Trilby hat\"},"
       "{\"i\":1,\"p\":\"Bowler Hat\"},{\"i\":1,\"p\":\"Cloak\"}]");
    EV("a@$a.b@$b[$a.id = $b.id].$b.v",
       "{\"a\":[{\"id\":1},{\"id\":2}],\"b\":[{\"id\":2,\"v\":\"x\"}]}",
       "\"x\"");
}

static void test_sorting(void **state)
{
    (void)state;
    EV("Account.Order.Product^(>Price).`Product Name`", order_doc,
       "[\"Cloak\",\"Bowler Hat\",\"Bowler Hat\",\"Trilby hat\"]");
    EV("Account.Order.Product^(Price, >Quantity).Quantity", order_doc,
       "[1,4,2,1]");
    EV("[{\"a\":1},{\"a\":\"x\"}]^(a)", NULL, "!T2007");
}

/* ==== Operators ==== */

static void test_arithmetic_and_errors(void **state)
{
    (void)state;
    EV("5 + 3 * 2", NULL, "11");
    EV("7 % 3", NULL, "1");
    EV("-(2 + 3)", NULL, "-5");
    EV("1 / 4", NULL, "0.25");
    EV("'a' + 1", NULL, "!T2001");
    EV("1 + 'a'", NULL, "!T2002");
    EV("1 / 0", NULL, "!D1001");
    EV("-'a'", NULL, "!D1002");
    EV("1 + nothing", NULL, "undefined");
}

static void test_comparison_and_boolean(void **state)
{
    (void)state;
    EV("1 < 2 and 'a' < 'b'", NULL, "true");
    EV("1 < 'a'", NULL, "!T2009");
    EV("[1] < 2", NULL, "!T2010");
    EV("[1,{'a':2}] = [1,{'a':2}]", NULL, "true");
    EV("nothing = nothing", NULL, "false");
    EV("'' or 0", NULL, "false");
    EV("'x' and [0, 1]", NULL, "true");
    EV("3 in [1,2,3]", NULL, "true");
    EV("'a' & 1 & true & null", NULL, "\"a1truenull\"");
}

static void test_conditional_and_blocks(void **state)
{
    (void)state;
    EV("Age > 18 ? 'adult' : 'minor'", address_doc, "\"adult\"");
    EV("false ? 1", NULL, "undefined");
    EV("($a := 2; $b := $a * 3; $a + $b)", NULL, "8");
    EV("($a := 1; ($a := 2); $a)", NULL, "1");
}

/* ==== Functions and lambdas ==== */

static void test_lambdas_and_closures(void **state)
{
    (void)state;
    EV("($f := function($x){$x * 2}; $f(21))", NULL, "42");
    EV("($factorial := function($x){ $x <= 1 ? 1 : $x * $factorial($x-1) };"
       " $factorial(5))",
       NULL, "120");
    EV("($mk := function($n){function($x){$x + $n}}; $add2 := $mk(2); "
       "$add2(40))",
       NULL, "42");
    EV("λ($x){$x}(7)", NULL, "7");
}

static void test_partial_application(void **state)
{
    (void)state;
    EV("($first5 := $substring(?, 0, 5); $first5('Hello World'))", NULL,
       "\"Hello\"");
    EV("($add := function($a,$b){$a+$b}; $inc := $add(?, 1); $inc(41))",
       NULL, "42");
}

static void test_chaining(void **state)
{
    (void)state;
    EV("'  Hello  ' ~> $trim() ~> $uppercase()", NULL, "\"HELLO\"");
    EV("($f := $uppercase ~> $substring(?, 0, 2); $f('abc'))", NULL,
       "\"AB\"");
    EV("1 ~> 2", NULL, "!T2006");
}

static void test_signatures(void **state)
{
    (void)state;
    EV("function($x)<n:n>{$x+1}(1)", NULL, "2");
    EV("function($x)<n:n>{$x+1}('a')", NULL, "!T0410");
    EV("$sum(['a'])", NULL, "!T0412");
    EV("$uppercase()", "1", "!T0411");
    EV("$substring('abc', 1, 2, 3)", NULL, "!T0410");
    EV("uppercase('a')", NULL, "!T1005");
    EV("$nothing()", NULL, "!T1006");
}

static void test_transform(void **state)
{
    (void)state;
    EV("($ ~> |Account.Order.Product|{'Price': Price * 2}, ['ProductID', "
       "'Quantity']|).Account.Order[0].Product[0]",
       order_doc, "{\"Product Name\":\"Bowler Hat\",\"Price\":68.9}");
    EV("$ ~> |a|{'b': 1}|", "{\"a\":{}}", "{\"a\":{\"b\":1}}");
    EV("$ ~> |a|1|", "{\"a\":{}}", "!T2011");
}

static void test_regex(void **state)
{
    (void)state;
    EV("$match('ababbabbcc', /a(b+)/)", NULL,
       "[{\"match\":\"ab\",\"index\":0,\"groups\":[\"b\"]},"
       "{\"match\":\"abb\",\"index\":2,\"groups\":[\"bb\"]},"
       "{\"match\":\"abb\",\"index\":5,\"groups\":[\"bb\"]}]");
    EV("$contains('abracadabra', /a.*a/)", NULL, "true");
    EV("$contains('ABC', /b/i)", NULL, "true");
    EV("$replace('abracadabra', /a.*?a/, '*')", NULL, "\"*c*bra\"");
    EV("$replace('John Smith', /(\\w+)\\s(\\w+)/, '$2, $1')", NULL,
       "\"Smith, John\"");
    EV("$replace('265USD', /([0-9]+)USD/, '$$$1')", NULL, "\"$265\"");
    EV("$split('a1b22c', /[0-9]+/)", NULL, "[\"a\",\"b\",\"c\"]");
    EV("Phone[number ~> /^077/].type", address_doc, "\"mobile\"");
    EV("/a{2,1}/", NULL, "!S0303");
}

/* ==== Function library ==== */

static void test_fn_string(void **state)
{
    (void)state;
    EV("$string(5)", NULL, "\"5\"");
    EV("$string([1,{'a':0.1+0.2}])", NULL, "\"[1,{\\\"a\\\":0.3}]\"");
    EV("$string(1e21)", NULL, "\"1e+21\"");
    EV("$length('Hello World')", NULL, "11");
    EV("$length('ščř')", NULL, "3");
    EV("$substring('Hello World', 3)", NULL, "\"lo World\"");
    EV("$substring('Hello World', 3, 5)", NULL, "\"lo Wo\"");
    EV("$substring('Hello World', -4)", NULL, "\"orld\"");
    EV("$substring('Hello World', -4, 1)", NULL, "\"o\"");
    EV("$substringBefore('Hello World', ' ')", NULL, "\"Hello\"");
    EV("$substringAfter('Hello World', ' ')", NULL, "\"World\"");
    EV("$uppercase('Hello World')", NULL, "\"HELLO WORLD\"");
    EV("$lowercase('Hello World')", NULL, "\"hello world\"");
    EV("$trim('   Hello    \n World  ')", NULL, "\"Hello World\"");
    EV("$pad('foo', 5)", NULL, "\"foo  \"");
    EV("$pad('foo', -5, '#')", NULL, "\"##foo\"");
    EV("$split('so many words', ' ', 2)", NULL, "[\"so\",\"many\"]");
    EV("$join(['a','b','c'], ',')", NULL, "\"a,b,c\"");
    EV("$replace('John Smith and John Jones', 'John', 'Mr')", NULL,
       "\"Mr Smith and Mr Jones\"");
}

static void test_fn_encoding(void **state)
{
    (void)state;
    EV("$base64encode('myuser:mypass')", NULL, "\"bXl1c2VyOm15cGFzcw==\"");
    EV("$base64decode('bXl1c2VyOm15cGFzcw==')", NULL, "\"myuser:mypass\"");
    EV("$encodeUrlComponent('?x=test')", NULL, "\"%3Fx%3Dtest\"");
    EV("$encodeUrl('https://mozilla.org/?x=шеллы')", NULL,
       "\"https://mozilla.org/?x=%D1%88%D0%B5%D0%BB%D0%BB%D1%8B\"");
    EV("$decodeUrlComponent('%3Fx%3Dtest')", NULL, "\"?x=test\"");
    EV("$decodeUrl('https://mozilla.org/?x=%D1%88%D0%B5%D0%BB%D0%BB%D1%8B')",
       NULL, "\"https://mozilla.org/?x=шеллы\"");
    EV("$decodeUrlComponent('%E0%A4%A')", NULL, "!D3140");
}

static void test_fn_numeric(void **state)
{
    (void)state;
    EV("$number('0x12')", NULL, "18");
    EV("$number('1e2')", NULL, "100");
    EV("$number('abc')", NULL, "!D3030");
    EV("$abs(-5)", NULL, "5");
    EV("$floor(5.3)", NULL, "5");
    EV("$ceil(5.3)", NULL, "6");
    EV("$round(123.456, 2)", NULL, "123.46");
    EV("$round(11.5)", NULL, "12");
    EV("$round(12.5)", NULL, "12");
    EV("$round(125, -1)", NULL, "120");
    EV("$power(2, 8)", NULL, "256");
    EV("$sqrt(4)", NULL, "2");
    EV("$sqrt(-1)", NULL, "!D3060");
    EV("$random() < 1", NULL, "true");
}

static void test_fn_aggregation(void **state)
{
    (void)state;
    EV("$sum([5,1,3,7,4])", NULL, "20");
    EV("$max([5,1,3,7,4])", NULL, "7");
    EV("$min([5,1,3,7,4])", NULL, "1");
    EV("$average([5,1,3,7,4])", NULL, "4");
    EV("$count([1,2,3,1])", NULL, "4");
    EV("$count(nothing)", NULL, "0");
    EV("$sum(Account.Order.Product.(Price * Quantity))", order_doc,
       "336.36");
}

static void test_fn_boolean(void **state)
{
    (void)state;
    EV("$boolean([])", NULL, "false");
    EV("$boolean([0, 1])", NULL, "true");
    EV("$boolean({})", NULL, "false");
    EV("$boolean('0')", NULL, "true");
    EV("$not(true)", NULL, "false");
    EV("$exists(nothing)", NULL, "false");
}

static void test_fn_array(void **state)
{
    (void)state;
    EV("$append([1,2,3], [4,5,6])", NULL, "[1,2,3,4,5,6]");
    EV("$append([1,2,3], 4)", NULL, "[1,2,3,4]");
    EV("$sort([3,1,2])", NULL, "[1,2,3]");
    EV("$sort(Account.Order.Product, function($l, $r){$l.Price > "
       "$r.Price}).Price",
       order_doc, "[21.67,34.45,34.45,107.99]");
    EV("$reverse(['Hello', 'World'])", NULL, "[\"World\",\"Hello\"]");
    EV("$count($shuffle([1..10]))", NULL, "10");
    EV("$zip([1,2,3], [4,5,6])", NULL, "[[1,4],[2,5],[3,6]]");
    EV("$zip([1,2,3], [4,5])", NULL, "[[1,4],[2,5]]");
    EV("$distinct([1,2,3,3,4,3,5])", NULL, "[1,2,3,4,5]");
}

static void test_fn_object(void **state)
{
    (void)state;
    EV("$keys({'a':1,'b':2})", NULL, "[\"a\",\"b\"]");
    EV("$lookup({'a':1}, 'a')", NULL, "1");
    EV("$spread({'a':1,'b':2})", NULL, "[{\"a\":1},{\"b\":2}]");
    EV("$merge([{'a':1},{'b':2},{'a':3}])", NULL, "{\"a\":3,\"b\":2}");
    EV("$sift({'a':1,'b':2}, function($v){$v > 1})", NULL, "{\"b\":2}");
    EV("$each({'a':1,'b':2}, function($v, $k){$k & '=' & $v})", NULL,
       "[\"a=1\",\"b=2\"]");
    EV("$type(null)", NULL, "\"null\"");
    EV("$type($sum)", NULL, "\"function\"");
    EV("$type({})", NULL, "\"object\"");
}

static void test_fn_higher_order(void **state)
{
    (void)state;
    EV("$map([1,2,3], function($v, $i){$v * $i})", NULL, "[0,2,6]");
    EV("$map(['1','2'], $number)", NULL, "[1,2]");
    EV("$filter([1,2,3,4], function($v){$v % 2 = 0})", NULL, "[2,4]");
    EV("$single([1,2,3], function($v){$v = 2})", NULL, "2");
    EV("$single([1,2,3], function($v){$v > 1})", NULL, "!D3138");
    EV("$single([1,2,3], function($v){$v > 5})", NULL, "!D3139");
    EV("$reduce([1..5], function($a, $b){$a * $b})", NULL, "120");
    EV("$reduce([1..5], function($a){$a})", NULL, "!D3050");
}

static void test_fn_error_assert(void **state)
{
    (void)state;
    sfn_jsonata *e = NULL;
    sfn_error err = {0};
    const char *x = "$error('Too Expensive')";
    assert_int_equal(sfn_jsonata_compile(x, strlen(x), &e, &err), SFN_OK);
    json_t *out = NULL;
    assert_int_equal(sfn_jsonata_eval(e, NULL, NULL, NULL, &out, &err),
                     SFN_ERUNTIME);
    assert_string_equal(err.name, "D3137");
    assert_string_equal(err.cause, "Too Expensive");
    sfn_jsonata_free(e);
    EV("$assert(1 = 2, 'no')", NULL, "!D3141");
    EV("$assert(1 = 1, 'no')", NULL, "undefined");
}

static void test_fn_eval(void **state)
{
    (void)state;
    EV("$eval('[1,2,3]')", NULL, "[1,2,3]");
    EV("$eval('$sum(a)', {'a': [1,2]})", NULL, "3");
    EV("$eval('1 +')", NULL, "!D3120");
    EV("$eval('1 + \"a\"')", NULL, "!D3121");
    EVA("$eval('1')", "!T1006");
}

/* ==== Step Functions additions ==== */

static void test_aws_functions(void **state)
{
    (void)state;
    EVA("$partition([1,2,3,4,5,6,7,8,9], 3)", "[[1,2,3],[4,5,6],[7,8,9]]");
    EVA("$partition([1,2,3,4,5], 2)", "[[1,2],[3,4],[5]]");
    EVA("$range(0, 10, 2)", "[0,2,4,6,8,10]");
    EVA("$range(5, 1, -2)", "[5,3,1]");
    EVA("$hash('hello', 'SHA-256')",
        "\"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\"");
    EVA("$hash('hello', 'MD5')", "\"5d41402abc4b2a76b9719d911017c592\"");
    EVA("$hash('hello', 'SHA-2')", "!D3137");
    EVA("$random(7) = $random(7)", "true");
    EVA("$length($uuid())", "36");
    EVA("$substring($uuid(), 14, 1)", "\"4\"");
    EVA("$parse('{\"a\":[1,2]}').a[1]", "2");
    EV("$partition([1], 1)", NULL, "!T1006");
}

/* ==== Boundary, limits, bindings ==== */

static void test_number_boundary(void **state)
{
    (void)state;
    sfn_jsonata *e = NULL;
    sfn_error err = {0};
    assert_int_equal(sfn_jsonata_compile("[2, 1.5, 1e300]", 15,
                                         &e, &err),
                     SFN_OK);
    json_t *out = NULL;
    assert_int_equal(sfn_jsonata_eval(e, NULL, NULL, NULL, &out, &err),
                     SFN_OK);
    assert_true(json_is_integer(json_array_get(out, 0)));
    assert_true(json_is_real(json_array_get(out, 1)));
    assert_true(json_is_real(json_array_get(out, 2)));
    json_decref(out);
    sfn_jsonata_free(e);
}

static void test_bindings(void **state)
{
    (void)state;
    sfn_jsonata *e = NULL;
    sfn_error err = {0};
    assert_int_equal(sfn_jsonata_compile("$x + $y.z", 9, &e, &err), SFN_OK);
    json_t *b = json_pack("{s:i,s:{s:i}}", "x", 1, "y", "z", 41);
    json_t *out = NULL;
    assert_int_equal(sfn_jsonata_eval(e, NULL, b, NULL, &out, &err), SFN_OK);
    assert_int_equal(json_integer_value(out), 42);
    json_decref(out);
    json_t *bad = json_array();
    assert_int_equal(sfn_jsonata_eval(e, NULL, bad, NULL, &out, &err),
                     SFN_EINVAL);
    json_decref(bad);
    json_decref(b);
    sfn_jsonata_free(e);
}

static void test_depth_limit(void **state)
{
    (void)state;
    /* not a tail call: fails cleanly once the depth limit is reached */
    EV("($f := function($n){$n <= 0 ? 0 : 1 + $f($n-1)}; $f(100000))", NULL,
       "!U1001");
    sfn_jsonata_opts deep = {.depth_max = 20};
    char nested[128];
    memset(nested, '[', 30);
    nested[30] = '1';
    memset(nested + 31, ']', 30);
    nested[61] = '\0';
    assert_string_equal(run(nested, NULL, &deep), "!U1001");
}

static void test_tail_calls(void **state)
{
    (void)state;
    EV("($f := function($n){$n <= 0 ? 0 : $f($n-1)}; $f(100000))", NULL,
       "0");
    EV("($even := function($n){$n = 0 ? true : $odd($n-1)}; "
       "$odd := function($n){$n = 0 ? false : $even($n-1)}; $odd(6555))",
       NULL, "true");
}

static void test_time_limit(void **state)
{
    (void)state;
    sfn_jsonata_opts quick = {.time_max_ms = 50};
    assert_string_equal(run("($f := function(){$f()}; $f())", NULL, &quick),
                        "!U1002");
}

static unsigned long long fixed_rand(void *ud)
{
    (void)ud;
    return 0;
}

static void test_injected_clock_and_random(void **state)
{
    (void)state;
    sfn_jsonata_opts o = {.now_ms = 1500000000000, .rand64 = fixed_rand};
    assert_string_equal(run("$millis()", NULL, &o), "1500000000000");
    assert_string_equal(run("$random()", NULL, &o), "0");
}

static void test_leak_loop(void **state)
{
    (void)state;
    const char *x =
        "$join($sort($each(Account.Order.Product{`Product Name`: "
        "$sum($.(Price * Quantity))}, function($v, $k){ $k & ': ' & "
        "$string($v) })), '; ') & $string($match('aXbXc', /X/).index)";
    sfn_jsonata *e = NULL;
    sfn_error err = {0};
    assert_int_equal(sfn_jsonata_compile(x, strlen(x), &e, &err), SFN_OK);
    json_t *in = json_loads(order_doc, 0, NULL);
    for (int i = 0; i < 200; i++) {
        json_t *out = NULL;
        assert_int_equal(sfn_jsonata_eval(e, in, NULL, NULL, &out, &err),
                         SFN_OK);
        assert_string_equal(json_string_value(out),
                            "Bowler Hat: 206.7; Cloak: 107.99; Trilby hat: "
                            "21.67[1,3]");
        json_decref(out);
    }
    json_decref(in);
    sfn_jsonata_free(e);
}

/* JSONata 2.1's ?? and ?: only with SFN_JSONATA_V2_1: Step Functions runs
 * 2.0.6, where they are syntax errors. */
static void test_v2_1_operators_are_opt_in(void **state)
{
    (void)state;
    sfn_jsonata *e = NULL;
    sfn_error err;
    assert_int_equal(sfn_jsonata_compile("a ?? 1", 6, &e, &err), SFN_ESYNTAX);
    assert_int_equal(sfn_jsonata_compile("a ?: 1", 6, &e, &err), SFN_ESYNTAX);
    const char *cases[][3] = {
        {"a ?? 1", "{\"a\":0}", "0"},      {"b ?? 1", "{\"a\":0}", "1"},
        {"a ?: 7", "{\"a\":0}", "7"},      {"a ?: 7", "{\"a\":\"x\"}", "\"x\""},
        {"null ?? 2", "{}", "null"},        {"[] ?: 3 + 1", "{}", "4"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *x = cases[i][0];
        assert_int_equal(sfn_jsonata_compile_ex(x, strlen(x), SFN_JSONATA_V2_1,
                                                &e, &err), SFN_OK);
        json_error_t je;
        json_t *in = json_loads(cases[i][1], 0, &je);
        json_t *want = json_loads(cases[i][2], JSON_DECODE_ANY, &je);
        json_t *out = NULL;
        assert_int_equal(sfn_jsonata_eval(e, in, NULL, NULL, &out, &err),
                         SFN_OK);
        assert_true(json_equal(out, want));
        json_decref(out);
        json_decref(in);
        json_decref(want);
        sfn_jsonata_free(e);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v2_1_operators_are_opt_in),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_singleton_and_keep_array),
        cmocka_unit_test(test_undefined_vs_null),
        cmocka_unit_test(test_wildcards_descendants),
        cmocka_unit_test(test_array_constructor_and_range),
        cmocka_unit_test(test_object_constructor_grouping),
        cmocka_unit_test(test_parent_operator),
        cmocka_unit_test(test_focus_and_index_binding),
        cmocka_unit_test(test_sorting),
        cmocka_unit_test(test_arithmetic_and_errors),
        cmocka_unit_test(test_comparison_and_boolean),
        cmocka_unit_test(test_conditional_and_blocks),
        cmocka_unit_test(test_lambdas_and_closures),
        cmocka_unit_test(test_partial_application),
        cmocka_unit_test(test_chaining),
        cmocka_unit_test(test_signatures),
        cmocka_unit_test(test_transform),
        cmocka_unit_test(test_regex),
        cmocka_unit_test(test_fn_string),
        cmocka_unit_test(test_fn_encoding),
        cmocka_unit_test(test_fn_numeric),
        cmocka_unit_test(test_fn_aggregation),
        cmocka_unit_test(test_fn_boolean),
        cmocka_unit_test(test_fn_array),
        cmocka_unit_test(test_fn_object),
        cmocka_unit_test(test_fn_higher_order),
        cmocka_unit_test(test_fn_error_assert),
        cmocka_unit_test(test_fn_eval),
        cmocka_unit_test(test_aws_functions),
        cmocka_unit_test(test_number_boundary),
        cmocka_unit_test(test_bindings),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_tail_calls),
        cmocka_unit_test(test_time_limit),
        cmocka_unit_test(test_injected_clock_and_random),
        cmocka_unit_test(test_leak_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
