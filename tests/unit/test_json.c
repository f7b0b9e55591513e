/* test_json.c: AWS-faithful JSON text (shortest reals, big integers, key
 * order, escapes). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sfn_json.h"

static void roundtrip(const char *in, const char *expect)
{
    json_error_t e;
    json_t *v = sfn_json_loadb(in, strlen(in), JSON_DECODE_ANY, &e);
    assert_non_null(v);
    char *out = sfn_json_dumps(v, 0);
    assert_non_null(out);
    int same = !strcmp(out, expect);
    if (!same)
        print_error("got %s, want %s\n", out, expect);
    free(out);
    json_decref(v);
    assert_true(same);
    return;
    json_decref(v);
}

static void test_reals_shortest(void **state)
{
    (void)state;
    roundtrip("0.1", "0.1");
    roundtrip("3.14159", "3.14159");
    roundtrip("[1.5,-0.25,100.0]", "[1.5,-0.25,100.0]");
    roundtrip("1e300", "1e+300");
    roundtrip("0.30000000000000004", "0.30000000000000004");
    roundtrip("123456789.123", "123456789.123");
    roundtrip("1e21", "1e+21");
    roundtrip("0.000001", "0.000001");
    roundtrip("1e-7", "1e-7");
    roundtrip("2.5e10", "25000000000.0");
    roundtrip("[19.99,-0.25,1234.5678,-7.0,0.125]",
              "[19.99,-0.25,1234.5678,-7.0,0.125]");
}

static void test_integers_stay_integers(void **state)
{
    (void)state;
    roundtrip("42", "42");
    roundtrip("-9223372036854775808", "-9223372036854775808");
    roundtrip("9223372036854775807", "9223372036854775807");
}

static void test_big_integers_accepted(void **state)
{
    (void)state;
    json_error_t e;
    const char *t = "{\"big\":123456789012345678901234567890,"
                    "\"s\":\"123456789012345678901234567890\"}";
    json_t *v = sfn_json_loadb(t, strlen(t), 0, &e);
    assert_non_null(v);
    assert_true(json_is_real(json_object_get(v, "big")));
    assert_string_equal(json_string_value(json_object_get(v, "s")),
                        "123456789012345678901234567890");
    json_decref(v);
    /* malformed text is still refused with jansson's message */
    v = sfn_json_loadb("{\"a\":", 5, 0, &e);
    assert_null(v);
    assert_true(e.line >= 1);
}

static void test_key_order_and_escapes(void **state)
{
    (void)state;
    roundtrip("{\"z\":1,\"a\":{\"y\":[],\"b\":{}}}",
              "{\"z\":1,\"a\":{\"y\":[],\"b\":{}}}");
    roundtrip("\"a\\\"b\\\\c\\n\\u0001/\xc3\xa9\"",
              "\"a\\\"b\\\\c\\n\\u0001/\xc3\xa9\"");
    roundtrip("[true,false,null]", "[true,false,null]");
}

static void test_pretty(void **state)
{
    (void)state;
    json_t *v = json_pack("{s:[i,i],s:{}}", "a", 1, 2, "b");
    char *out = sfn_json_dumps(v, 1);
    assert_string_equal(out, "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {}\n}");
    free(out);
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reals_shortest),
        cmocka_unit_test(test_integers_stay_integers),
        cmocka_unit_test(test_big_integers_accepted),
        cmocka_unit_test(test_key_order_and_escapes),
        cmocka_unit_test(test_pretty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
