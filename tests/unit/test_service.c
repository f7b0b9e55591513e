/* test_service.c: the Step Functions actions through sfn_service_call on a
 * temporary database (the engine thread runs inside the service), plus the
 * AWS JSON 1.0 handler and SigV4 verification.  Callbacks, activities,
 * mock test cases and their REST routes are in test_service_tasks.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "service_fixture.h"

static void test_variable_references(void **state)
{
    fx *f = *state;
    const char *def =
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\","
        "\"Assign\":{\"x\":1,\"y\":2},\"Next\":\"B\"},\"B\":{\"Type\":"
        "\"Pass\",\"Parameters\":{\"s.$\":\"States.Format('{}', $x)\","
        "\"t.$\":\"$y\"},\"End\":true}}}";
    char *q = quoted(def);
    json_t *c = ok(f, "CreateStateMachine",
                   "{\"name\":\"vars\",\"definition\":%s,\"roleArn\":\""
                   ROLE "\"}", q);
    json_decref(c);
    free(q);
    json_t *d = ok(f, "DescribeStateMachine",
                   "{\"stateMachineArn\":\"" M_ARN "vars\"}");
    json_t *want = json_loads("{\"B\":[\"x\",\"y\"]}", 0, NULL);
    assert_true(json_equal(json_object_get(d, "variableReferences"), want));
    json_decref(want);
    json_decref(d);
}

static void test_create_describe(void **state)
{
    fx *f = *state;
    char *q = quoted(PASS_DEF);
    json_t *c = ok(f, "CreateStateMachine",
                   "{\"name\":\"m1\",\"definition\":%s,\"roleArn\":\"" ROLE
                   "\"}",
                   q);
    assert_string_equal(str(c, "stateMachineArn"), M_ARN "m1");
    assert_true(json_is_number(json_object_get(c, "creationDate")));
    json_t *d = ok(f, "DescribeStateMachine",
                   "{\"stateMachineArn\":\"" M_ARN "m1\"}");
    assert_string_equal(str(d, "name"), "m1");
    assert_string_equal(str(d, "definition"), PASS_DEF);
    assert_string_equal(str(d, "type"), "STANDARD");
    assert_string_equal(str(d, "status"), "ACTIVE");
    assert_string_equal(str(d, "roleArn"), ROLE);
    assert_non_null(str(d, "revisionId"));
    /* it reads no workflow variable: no variableReferences member */
    assert_null(json_object_get(d, "variableReferences"));
    json_decref(d);
    /* identical create: same ARN; different definition: conflict */
    json_t *c2 = ok(f, "CreateStateMachine",
                    "{\"name\":\"m1\",\"definition\":%s,\"roleArn\":\"" ROLE
                    "\"}",
                    q);
    assert_true(json_equal(json_object_get(c, "creationDate"),
                           json_object_get(c2, "creationDate")));
    fails(f, "CreateStateMachine", "StateMachineAlreadyExists",
          "{\"name\":\"m1\",\"definition\":%s,\"roleArn\":\"" ROLE "\"}",
          "\"{\\\"StartAt\\\":\\\"X\\\",\\\"States\\\":{\\\"X\\\":"
          "{\\\"Type\\\":\\\"Succeed\\\"}}}\"");
    json_decref(c);
    json_decref(c2);
    free(q);
}

static void test_create_errors(void **state)
{
    fx *f = *state;
    char *q = quoted(PASS_DEF);
    fails(f, "CreateStateMachine", "InvalidName",
          "{\"name\":\"bad name\",\"definition\":%s}", q);
    fails(f, "CreateStateMachine", "ValidationException",
          "{\"definition\":%s}", q);
    fails(f, "CreateStateMachine", "ValidationException",
          "{\"name\":\"x\",\"definition\":%s,\"type\":\"FAST\"}", q);
    free(q);
    sfn_error err;
    json_t *o = call(f, "CreateStateMachine",
                     "{\"name\":\"x\",\"definition\":\"{\\\"StartAt\\\":"
                     "\\\"A\\\",\\\"States\\\":{\\\"A\\\":{\\\"Type\\\":"
                     "\\\"Pass\\\",\\\"Next\\\":\\\"B\\\"}}}\"}",
                     &err);
    assert_null(o);
    assert_string_equal(err.name, "InvalidDefinition");
    assert_non_null(strstr(err.cause, "Invalid State Machine Definition: '"));
    assert_non_null(strstr(err.cause, "MISSING_TRANSITION_TARGET"));
    assert_non_null(strstr(err.cause, "/States/A/Next"));
    fails(f, "DescribeStateMachine", "StateMachineDoesNotExist",
          "{\"stateMachineArn\":\"" M_ARN "nope\"}");
    fails(f, "DescribeStateMachine", "InvalidArn",
          "{\"stateMachineArn\":\"arn:aws:foo\"}");
    fails(f, "DescribeStateMachine", "InvalidArn",
          "{\"stateMachineArn\":\"" E_ARN "m:e\"}");
    fails(f, "NoSuchAction", "UnknownOperationException", "{}");
}

static void test_update_and_revisions(void **state)
{
    fx *f = *state;
    create(f, "up", PASS_DEF, "STANDARD");
    fails(f, "UpdateStateMachine", "MissingRequiredParameter",
          "{\"stateMachineArn\":\"" M_ARN "up\"}");
    /* an execution started before the update keeps its revision */
    json_t *s = ok(f, "StartExecution",
                   "{\"stateMachineArn\":\"" M_ARN "up\",\"name\":\"e1\"}");
    json_t *u = ok(f, "UpdateStateMachine",
                   "{\"stateMachineArn\":\"" M_ARN "up\",\"definition\":"
                   "\"{\\\"StartAt\\\":\\\"S\\\",\\\"States\\\":{\\\"S\\\":"
                   "{\\\"Type\\\":\\\"Succeed\\\"}}}\",\"publish\":true}");
    assert_true(json_is_number(json_object_get(u, "updateDate")));
    assert_string_equal(str(u, "stateMachineVersionArn"), M_ARN "up:1");
    json_t *d = ok(f, "DescribeStateMachineForExecution",
                   "{\"executionArn\":\"%s\"}", str(s, "executionArn"));
    assert_string_equal(str(d, "definition"), PASS_DEF);
    json_decref(d);
    json_decref(u);
    json_decref(s);
    fails(f, "UpdateStateMachine", "StateMachineDoesNotExist",
          "{\"stateMachineArn\":\"" M_ARN "gone\",\"roleArn\":\"" ROLE "\"}");
}

static void test_list_machines_paging(void **state)
{
    fx *f = *state;
    create(f, "a", PASS_DEF, "STANDARD");
    create(f, "b", PASS_DEF, "STANDARD");
    create(f, "c", PASS_DEF, "EXPRESS");
    json_t *p1 = ok(f, "ListStateMachines", "{\"maxResults\":2}");
    json_t *items = json_object_get(p1, "stateMachines");
    assert_int_equal(json_array_size(items), 2);
    assert_string_equal(str(json_array_get(items, 0), "name"), "a");
    assert_non_null(str(p1, "nextToken"));
    json_t *p2 = ok(f, "ListStateMachines", "{\"nextToken\":\"%s\"}",
                    str(p1, "nextToken"));
    items = json_object_get(p2, "stateMachines");
    assert_int_equal(json_array_size(items), 1);
    assert_string_equal(str(json_array_get(items, 0), "type"), "EXPRESS");
    assert_null(json_object_get(p2, "nextToken"));
    json_decref(p1);
    json_decref(p2);
    fails(f, "ListStateMachines", "InvalidToken", "{\"nextToken\":\"zz\"}");
    fails(f, "ListStateMachines", "ValidationException",
          "{\"maxResults\":1001}");
}

static void test_delete_machine(void **state)
{
    fx *f = *state;
    create(f, "del", WAIT_DEF, "STANDARD");
    json_t *s = ok(f, "StartExecution",
                   "{\"stateMachineArn\":\"" M_ARN "del\"}");
    json_decref(ok(f, "DeleteStateMachine",
                   "{\"stateMachineArn\":\"" M_ARN "del\"}"));
    fails(f, "DescribeStateMachine", "StateMachineDoesNotExist",
          "{\"stateMachineArn\":\"" M_ARN "del\"}");
    json_t *d = ok(f, "DescribeExecution", "{\"executionArn\":\"%s\"}",
                   str(s, "executionArn"));
    assert_string_equal(str(d, "status"), "ABORTED");
    json_decref(d);
    json_decref(s);
    /* unknown machine: {} as AWS */
    json_t *o = ok(f, "DeleteStateMachine",
                   "{\"stateMachineArn\":\"" M_ARN "never\"}");
    assert_int_equal(json_object_size(o), 0);
    json_decref(o);
}

static void test_validate_definition(void **state)
{
    fx *f = *state;
    char *q = quoted(PASS_DEF);
    json_t *v = ok(f, "ValidateStateMachineDefinition", "{\"definition\":%s}",
                   q);
    free(q);
    assert_string_equal(str(v, "result"), "OK");
    assert_int_equal(json_array_size(json_object_get(v, "diagnostics")), 0);
    assert_false(json_is_true(json_object_get(v, "truncated")));
    json_decref(v);
    v = ok(f, "ValidateStateMachineDefinition",
           "{\"definition\":\"{not json\",\"maxResults\":1}");
    assert_string_equal(str(v, "result"), "FAIL");
    json_t *d0 = json_array_get(json_object_get(v, "diagnostics"), 0);
    assert_string_equal(str(d0, "code"), "INVALID_JSON_DESCRIPTION");
    assert_string_equal(str(d0, "severity"), "ERROR");
    json_decref(v);
}

/* ---- executions --------------------------------------------------------- */

static void test_start_describe_history(void **state)
{
    fx *f = *state;
    create(f, "run", PASS_DEF, "STANDARD");
    json_t *s = ok(f, "StartExecution",
                   "{\"stateMachineArn\":\"" M_ARN "run\",\"name\":\"x1\","
                   "\"input\":\"{\\\"a\\\":1}\"}");
    assert_string_equal(str(s, "executionArn"), E_ARN "run:x1");
    json_t *d = wait_end(f, E_ARN "run:x1");
    assert_string_equal(str(d, "status"), "SUCCEEDED");
    assert_string_equal(str(d, "output"), "{\"a\":1,\"r\":{\"ok\":1}}");
    assert_string_equal(str(d, "input"), "{\"a\":1}");
    assert_string_equal(str(d, "stateMachineArn"), M_ARN "run");
    assert_true(json_is_number(json_object_get(d, "stopDate")));
    json_decref(d);
    json_t *h = ok(f, "GetExecutionHistory",
                   "{\"executionArn\":\"" E_ARN "run:x1\"}");
    json_t *ev = json_object_get(h, "events");
    assert_int_equal(json_array_size(ev), 4);
    const char *want[] = {"ExecutionStarted", "PassStateEntered",
                          "PassStateExited", "ExecutionSucceeded"};
    for (int i = 0; i < 4; i++)
        assert_string_equal(str(json_array_get(ev, i), "type"), want[i]);
    json_decref(h);
    /* reverse, paged, without data */
    h = ok(f, "GetExecutionHistory",
           "{\"executionArn\":\"" E_ARN "run:x1\",\"reverseOrder\":true,"
           "\"maxResults\":3,\"includeExecutionData\":false}");
    ev = json_object_get(h, "events");
    assert_int_equal(json_array_size(ev), 3);
    assert_string_equal(str(json_array_get(ev, 0), "type"),
                        "ExecutionSucceeded");
    json_t *det = json_object_get(json_array_get(ev, 0),
                                  "executionSucceededEventDetails");
    assert_null(json_object_get(det, "output"));
    json_t *h2 = ok(f, "GetExecutionHistory",
                    "{\"executionArn\":\"" E_ARN "run:x1\",\"reverseOrder\":"
                    "true,\"maxResults\":3,\"nextToken\":\"%s\"}",
                    str(h, "nextToken"));
    ev = json_object_get(h2, "events");
    assert_int_equal(json_array_size(ev), 1);
    assert_string_equal(str(json_array_get(ev, 0), "type"),
                        "ExecutionStarted");
    json_decref(h);
    json_decref(h2);
    json_decref(s);
}

static void test_start_errors_and_idempotency(void **state)
{
    fx *f = *state;
    create(f, "w", WAIT_DEF, "STANDARD");
    fails(f, "StartExecution", "InvalidName",
          "{\"stateMachineArn\":\"" M_ARN "w\",\"name\":\"a/b\"}");
    fails(f, "StartExecution", "InvalidExecutionInput",
          "{\"stateMachineArn\":\"" M_ARN "w\",\"input\":\"{nope\"}");
    fails(f, "StartExecution", "StateMachineDoesNotExist",
          "{\"stateMachineArn\":\"" M_ARN "zz\"}");
    fails(f, "StartExecution", "InvalidArn",
          "{\"stateMachineArn\":\"arn:aws:states:eu-west-1:1:x\"}");
    json_t *a = ok(f, "StartExecution",
                   "{\"stateMachineArn\":\"" M_ARN "w\",\"name\":\"same\"}");
    json_t *b = ok(f, "StartExecution",
                   "{\"stateMachineArn\":\"" M_ARN "w\",\"name\":\"same\"}");
    assert_string_equal(str(a, "executionArn"), str(b, "executionArn"));
    assert_true(json_equal(json_object_get(a, "startDate"),
                           json_object_get(b, "startDate")));
    fails(f, "StartExecution", "ExecutionAlreadyExists",
          "{\"stateMachineArn\":\"" M_ARN "w\",\"name\":\"same\","
          "\"input\":\"{\\\"x\\\":2}\"}");
    json_decref(a);
    json_decref(b);
    fails(f, "StartSyncExecution", "StateMachineTypeNotSupported",
          "{\"stateMachineArn\":\"" M_ARN "w\"}");
}

static void test_stop_and_list(void **state)
{
    fx *f = *state;
    create(f, "s", WAIT_DEF, "STANDARD");
    for (int i = 0; i < 3; i++)
        json_decref(ok(f, "StartExecution",
                       "{\"stateMachineArn\":\"" M_ARN "s\",\"name\":\"n%d\"}",
                       i));
    json_t *st = ok(f, "StopExecution",
                    "{\"executionArn\":\"" E_ARN "s:n1\",\"error\":\"E\","
                    "\"cause\":\"C\"}");
    assert_true(json_is_number(json_object_get(st, "stopDate")));
    json_decref(st);
    json_t *d = ok(f, "DescribeExecution",
                   "{\"executionArn\":\"" E_ARN "s:n1\"}");
    assert_string_equal(str(d, "status"), "ABORTED");
    assert_string_equal(str(d, "error"), "E");
    assert_string_equal(str(d, "cause"), "C");
    json_decref(d);
    fails(f, "StopExecution", "ExecutionDoesNotExist",
          "{\"executionArn\":\"" E_ARN "s:none\"}");
    fails(f, "DescribeExecution", "ExecutionDoesNotExist",
          "{\"executionArn\":\"" E_ARN "s:none\"}");
    json_t *l = ok(f, "ListExecutions",
                   "{\"stateMachineArn\":\"" M_ARN "s\",\"statusFilter\":"
                   "\"RUNNING\",\"maxResults\":1}");
    json_t *ex = json_object_get(l, "executions");
    assert_int_equal(json_array_size(ex), 1);
    assert_string_equal(str(json_array_get(ex, 0), "name"), "n2");
    json_t *l2 = ok(f, "ListExecutions",
                    "{\"stateMachineArn\":\"" M_ARN "s\",\"statusFilter\":"
                    "\"RUNNING\",\"nextToken\":\"%s\"}",
                    str(l, "nextToken"));
    ex = json_object_get(l2, "executions");
    assert_int_equal(json_array_size(ex), 1);
    assert_string_equal(str(json_array_get(ex, 0), "name"), "n0");
    json_decref(l);
    json_decref(l2);
    fails(f, "ListExecutions", "ValidationException", "{}");
    fails(f, "ListExecutions", "InvalidToken",
          "{\"stateMachineArn\":\"" M_ARN "s\",\"nextToken\":\"abc\"}");
}

static void test_express_sync(void **state)
{
    fx *f = *state;
    create(f, "ex", PASS_DEF, "EXPRESS");
    json_t *r = ok(f, "StartSyncExecution",
                   "{\"stateMachineArn\":\"" M_ARN "ex\",\"input\":"
                   "\"{\\\"a\\\":2}\"}");
    assert_string_equal(str(r, "status"), "SUCCEEDED");
    assert_string_equal(str(r, "output"), "{\"a\":2,\"r\":{\"ok\":1}}");
    assert_non_null(strstr(str(r, "executionArn"), ":express:ex:"));
    json_decref(r);
    fails(f, "ListExecutions", "StateMachineTypeNotSupported",
          "{\"stateMachineArn\":\"" M_ARN "ex\"}");
}

/* ---- versions, aliases, tags ------------------------------------------- */

static void test_versions_aliases(void **state)
{
    fx *f = *state;
    create(f, "v", PASS_DEF, "STANDARD");
    json_t *p = ok(f, "PublishStateMachineVersion",
                   "{\"stateMachineArn\":\"" M_ARN "v\",\"description\":"
                   "\"first\"}");
    assert_string_equal(str(p, "stateMachineVersionArn"), M_ARN "v:1");
    json_decref(p);
    json_decref(ok(f, "UpdateStateMachine",
                   "{\"stateMachineArn\":\"" M_ARN "v\",\"definition\":"
                   "\"{\\\"StartAt\\\":\\\"S\\\",\\\"States\\\":{\\\"S\\\":"
                   "{\\\"Type\\\":\\\"Succeed\\\"}}}\",\"publish\":true}"));
    json_t *l = ok(f, "ListStateMachineVersions",
                   "{\"stateMachineArn\":\"" M_ARN "v\"}");
    json_t *vs = json_object_get(l, "stateMachineVersions");
    assert_int_equal(json_array_size(vs), 2);
    assert_string_equal(str(json_array_get(vs, 0), "stateMachineVersionArn"),
                        M_ARN "v:2");
    json_decref(l);
    json_t *dv = ok(f, "DescribeStateMachine",
                    "{\"stateMachineArn\":\"" M_ARN "v:1\"}");
    assert_string_equal(str(dv, "definition"), PASS_DEF);
    assert_string_equal(str(dv, "description"), "first");
    json_decref(dv);
    /* an alias all on version 1: executions run version 1 */
    fails(f, "CreateStateMachineAlias", "ValidationException",
          "{\"name\":\"prod\",\"routingConfiguration\":[{"
          "\"stateMachineVersionArn\":\"" M_ARN "v:1\",\"weight\":50}]}");
    json_t *a = ok(f, "CreateStateMachineAlias",
                   "{\"name\":\"prod\",\"routingConfiguration\":[{"
                   "\"stateMachineVersionArn\":\"" M_ARN "v:1\","
                   "\"weight\":100}]}");
    assert_string_equal(str(a, "stateMachineAliasArn"), M_ARN "v:prod");
    json_decref(a);
    json_t *s = ok(f, "StartExecution",
                   "{\"stateMachineArn\":\"" M_ARN "v:prod\",\"name\":"
                   "\"viaalias\"}");
    json_t *d = wait_end(f, str(s, "executionArn"));
    assert_string_equal(str(d, "stateMachineAliasArn"), M_ARN "v:prod");
    assert_string_equal(str(d, "stateMachineVersionArn"), M_ARN "v:1");
    assert_string_equal(str(d, "output"), "{\"r\":{\"ok\":1}}");
    json_decref(d);
    json_decref(s);
    fails(f, "DeleteStateMachineVersion", "ConflictException",
          "{\"stateMachineVersionArn\":\"" M_ARN "v:1\"}");
    json_decref(ok(f, "UpdateStateMachineAlias",
                   "{\"stateMachineAliasArn\":\"" M_ARN "v:prod\","
                   "\"routingConfiguration\":[{\"stateMachineVersionArn\":"
                   "\"" M_ARN "v:2\",\"weight\":100}]}"));
    json_t *da = ok(f, "DescribeStateMachineAlias",
                    "{\"stateMachineAliasArn\":\"" M_ARN "v:prod\"}");
    assert_string_equal(
        str(json_array_get(json_object_get(da, "routingConfiguration"), 0),
            "stateMachineVersionArn"),
        M_ARN "v:2");
    json_decref(da);
    json_decref(ok(f, "DeleteStateMachineVersion",
                   "{\"stateMachineVersionArn\":\"" M_ARN "v:1\"}"));
    json_t *la = ok(f, "ListStateMachineAliases",
                    "{\"stateMachineArn\":\"" M_ARN "v\"}");
    assert_int_equal(
        json_array_size(json_object_get(la, "stateMachineAliases")), 1);
    json_decref(la);
    json_decref(ok(f, "DeleteStateMachineAlias",
                   "{\"stateMachineAliasArn\":\"" M_ARN "v:prod\"}"));
    fails(f, "DescribeStateMachineAlias", "ResourceNotFound",
          "{\"stateMachineAliasArn\":\"" M_ARN "v:prod\"}");
}

static void test_tags(void **state)
{
    fx *f = *state;
    create(f, "t", PASS_DEF, "STANDARD");
    json_decref(ok(f, "TagResource",
                   "{\"resourceArn\":\"" M_ARN "t\",\"tags\":[{\"key\":"
                   "\"team\",\"value\":\"a\"},{\"key\":\"env\",\"value\":"
                   "\"dev\"}]}"));
    json_decref(ok(f, "UntagResource",
                   "{\"resourceArn\":\"" M_ARN "t\",\"tagKeys\":[\"env\"]}"));
    json_t *l = ok(f, "ListTagsForResource",
                   "{\"resourceArn\":\"" M_ARN "t\"}");
    json_t *tags = json_object_get(l, "tags");
    assert_int_equal(json_array_size(tags), 1);
    assert_string_equal(str(json_array_get(tags, 0), "key"), "team");
    json_decref(l);
    fails(f, "TagResource", "ValidationException",
          "{\"resourceArn\":\"" M_ARN "t\",\"tags\":[{\"key\":\"aws:x\","
          "\"value\":\"v\"}]}");
    char req[8192];
    size_t n = (size_t)snprintf(req, sizeof req,
                                "{\"resourceArn\":\"" M_ARN "t\",\"tags\":[");
    for (int i = 0; i < 50; i++)
        n += (size_t)snprintf(req + n, sizeof req - n,
                              "%s{\"key\":\"k%d\",\"value\":\"v\"}",
                              i ? "," : "", i);
    snprintf(req + n, sizeof req - n, "]}");
    fails(f, "TagResource", "TooManyTags", "%s", req);
    fails(f, "ListTagsForResource", "ResourceNotFound",
          "{\"resourceArn\":\"" M_ARN "nobody\"}");
}

/* ---- TestState --------------------------------------------------------- */

static void test_test_state_pass(void **state)
{
    fx *f = *state;
    json_t *r = ok(f, "TestState",
                   "{\"definition\":\"{\\\"Type\\\":\\\"Pass\\\","
                   "\\\"InputPath\\\":\\\"$.a\\\",\\\"Parameters\\\":"
                   "{\\\"v.$\\\":\\\"$.b\\\"},\\\"ResultPath\\\":\\\"$.out\\\","
                   "\\\"Next\\\":\\\"Done\\\"}\",\"input\":"
                   "\"{\\\"a\\\":{\\\"b\\\":7}}\",\"inspectionLevel\":"
                   "\"DEBUG\"}");
    assert_string_equal(str(r, "status"), "SUCCEEDED");
    assert_string_equal(str(r, "nextState"), "Done");
    assert_string_equal(str(r, "output"),
                        "{\"a\":{\"b\":7},\"out\":{\"v\":7}}");
    json_t *in = json_object_get(r, "inspectionData");
    assert_string_equal(str(in, "afterInputPath"), "{\"b\":7}");
    assert_string_equal(str(in, "afterParameters"), "{\"v\":7}");
    assert_string_equal(str(in, "afterResultPath"),
                        "{\"a\":{\"b\":7},\"out\":{\"v\":7}}");
    json_decref(r);
}

static void test_test_state_task_mock(void **state)
{
    fx *f = *state;
    const char *task =
        "\"{\\\"Type\\\":\\\"Task\\\",\\\"Resource\\\":"
        "\\\"arn:aws:lambda:us-east-1:123456789012:function:f\\\","
        "\\\"ResultSelector\\\":{\\\"n.$\\\":\\\"$.x\\\"},"
        "\\\"ResultPath\\\":\\\"$.res\\\",\\\"Retry\\\":[{\\\"ErrorEquals\\\":"
        "[\\\"Busy\\\"]}],\\\"Catch\\\":[{\\\"ErrorEquals\\\":"
        "[\\\"States.ALL\\\"],\\\"Next\\\":\\\"Handler\\\",\\\"ResultPath\\\":"
        "\\\"$.err\\\"}],\\\"End\\\":true}\"";
    json_t *r = ok(f, "TestState",
                   "{\"definition\":%s,\"input\":\"{}\",\"inspectionLevel\":"
                   "\"TRACE\",\"mock\":{\"result\":\"{\\\"x\\\":5}\"}}",
                   task);
    assert_string_equal(str(r, "status"), "SUCCEEDED");
    assert_string_equal(str(r, "output"), "{\"res\":{\"n\":5}}");
    json_t *in = json_object_get(r, "inspectionData");
    assert_string_equal(str(in, "result"), "{\"x\":5}");
    assert_string_equal(str(in, "afterResultSelector"), "{\"n\":5}");
    json_decref(r);
    r = ok(f, "TestState",
           "{\"definition\":%s,\"mock\":{\"errorOutput\":{\"error\":"
           "\"Busy\",\"cause\":\"later\"}}}",
           task);
    assert_string_equal(str(r, "status"), "RETRIABLE");
    assert_string_equal(str(r, "error"), "Busy");
    json_decref(r);
    r = ok(f, "TestState",
           "{\"definition\":%s,\"input\":\"{}\",\"mock\":{\"errorOutput\":"
           "{\"error\":\"Boom\",\"cause\":\"bad\"}}}",
           task);
    assert_string_equal(str(r, "status"), "CAUGHT_ERROR");
    assert_string_equal(str(r, "nextState"), "Handler");
    assert_string_equal(str(r, "output"),
                        "{\"err\":{\"Error\":\"Boom\",\"Cause\":\"bad\"}}");
    json_decref(r);
}

static void test_test_state_choice_fail(void **state)
{
    fx *f = *state;
    json_t *r = ok(f, "TestState",
                   "{\"definition\":\"{\\\"StartAt\\\":\\\"C\\\",\\\"States"
                   "\\\":{\\\"C\\\":{\\\"Type\\\":\\\"Choice\\\",\\\"Choices"
                   "\\\":[{\\\"Variable\\\":\\\"$.n\\\",\\\"NumericGreaterThan"
                   "\\\":1,\\\"Next\\\":\\\"Big\\\"}],\\\"Default\\\":"
                   "\\\"Small\\\"},\\\"Big\\\":{\\\"Type\\\":\\\"Succeed\\\"},"
                   "\\\"Small\\\":{\\\"Type\\\":\\\"Succeed\\\"}}}\","
                   "\"stateName\":\"C\",\"input\":\"{\\\"n\\\":3}\"}");
    assert_string_equal(str(r, "nextState"), "Big");
    assert_string_equal(str(r, "status"), "SUCCEEDED");
    assert_null(json_object_get(r, "inspectionData"));
    json_decref(r);
    r = ok(f, "TestState",
           "{\"definition\":\"{\\\"Type\\\":\\\"Fail\\\",\\\"Error\\\":"
           "\\\"E\\\",\\\"Cause\\\":\\\"C\\\"}\"}");
    assert_string_equal(str(r, "status"), "FAILED");
    assert_string_equal(str(r, "error"), "E");
    assert_string_equal(str(r, "cause"), "C");
    json_decref(r);
    fails(f, "TestState", "InvalidDefinition", "{\"definition\":\"{x\"}");
}

/* ---- AWS JSON 1.0 protocol and SigV4 ----------------------------------- */

typedef struct hdrs {
    const char *names[8], *values[8];
} hdrs;

static const char *hdr(void *ud, const char *name)
{
    hdrs *h = ud;
    for (int i = 0; i < 8 && h->names[i]; i++)
        if (!strcasecmp(h->names[i], name))
            return h->values[i];
    return NULL;
}

static void handle(fx *f, const sfn_aws_auth *auth, hdrs *h,
                   const char *body, sfn_http_resp *resp)
{
    sfn_http_req req = {"POST", "/", body, strlen(body), hdr, NULL, h,
                        "127.0.0.1:1"};
    memset(resp, 0, sizeof *resp);
    sfn_aws_protocol_handle(f->svc, auth, &req, resp);
}

static void test_protocol(void **state)
{
    fx *f = *state;
    hdrs h = {{"X-Amz-Target", "Content-Type"},
              {"AWSStepFunctions.ListStateMachines",
               "application/x-amz-json-1.0"}};
    sfn_http_resp r;
    handle(f, NULL, &h, "{}", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"stateMachines\":[]}");
    assert_string_equal(r.route, "ListStateMachines");
    sfn_http_resp_free(&r);
    handle(f, NULL, &h, "{bad", &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"__type\":\"SerializationException\""));
    assert_string_equal(r.header_names[0], "x-amzn-ErrorType");
    sfn_http_resp_free(&r);
    handle(f, NULL, &h, "[1]", &r);
    assert_non_null(strstr(r.body, "SerializationException"));
    sfn_http_resp_free(&r);
    h.values[0] = "AWSStepFunctions.Nope";
    handle(f, NULL, &h, "{}", &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "UnknownOperationException"));
    sfn_http_resp_free(&r);
    h.values[0] = "AWSStepFunctions.DescribeExecution";
    handle(f, NULL, &h,
           "{\"executionArn\":\"" E_ARN "m:e\"}", &r);
    assert_non_null(strstr(r.body, "ExecutionDoesNotExist"));
    assert_string_equal(r.exec_arn, E_ARN "m:e");
    sfn_http_resp_free(&r);
    hdrs none = {{"Content-Type"}, {"application/x-amz-json-1.0"}};
    handle(f, NULL, &none, "{}", &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "MissingAction"));
    sfn_http_resp_free(&r);
}

/* AWS SigV4 test suite, "get-vanilla". */
static void test_sigv4_vector(void **state)
{
    (void)state;
    hdrs h = {{"Host", "X-Amz-Date", "Authorization"},
              {"example.amazonaws.com", "20150830T123600Z",
               "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/"
               "service/aws4_request, SignedHeaders=host;x-amz-date, "
               "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b"
               "8aae1d763fbf31"}};
    sfn_sigv4_input in = {"GET", "/", "", hdr, &h, "", 0};
    char sig[65];
    assert_true(sfn_sigv4_sign(&in, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                               "20150830T123600Z", "us-east-1", "service",
                               "host;x-amz-date", sig));
    assert_string_equal(sig, "5fa00fa31553b73ebf1942676e86291e8372ff2a226095"
                             "6d9b8aae1d763fbf31");
    sfn_aws_key key = {"AKIDEXAMPLE",
                       "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};
    sfn_error err;
    assert_int_equal(sfn_sigv4_verify(&in, "service", &key, 1, &err), SFN_OK);
    sfn_aws_key other = {"AKIDOTHER", "x"};
    assert_int_not_equal(sfn_sigv4_verify(&in, "service", &other, 1, &err),
                         SFN_OK);
    assert_string_equal(err.name, "UnrecognizedClientException");
    sfn_aws_key wrong = {"AKIDEXAMPLE", "not-the-secret"};
    assert_int_not_equal(sfn_sigv4_verify(&in, "service", &wrong, 1, &err),
                         SFN_OK);
    assert_string_equal(err.name, "InvalidSignatureException");
}

static void test_protocol_auth(void **state)
{
    fx *f = *state;
    sfn_aws_key key = {"AKID", "secret"};
    sfn_aws_auth auth = {&key, 1};
    const char *body = "{}";
    hdrs h = {{"X-Amz-Target", "Content-Type", "Host", "X-Amz-Date",
               "Authorization"},
              {"AWSStepFunctions.ListStateMachines",
               "application/x-amz-json-1.0", "127.0.0.1:8083",
               "20240101T000000Z", NULL}};
    sfn_sigv4_input in = {"POST", "/", "", hdr, &h, body, strlen(body)};
    char sig[65], auth_hdr[300];
    assert_true(sfn_sigv4_sign(&in, "secret", "20240101T000000Z",
                               "us-east-1", "states",
                               "content-type;host;x-amz-date;x-amz-target",
                               sig));
    snprintf(auth_hdr, sizeof auth_hdr,
             "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/states/"
             "aws4_request, SignedHeaders=content-type;host;x-amz-date;"
             "x-amz-target, Signature=%s",
             sig);
    h.values[4] = auth_hdr;
    sfn_http_resp r;
    handle(f, &auth, &h, body, &r);
    assert_int_equal(r.status, 200);
    sfn_http_resp_free(&r);
    sig[0] = sig[0] == 'a' ? 'b' : 'a';
    snprintf(strstr(auth_hdr, "Signature=") + 10, 65, "%s", sig);
    handle(f, &auth, &h, body, &r);
    assert_int_equal(r.status, 403);
    assert_non_null(strstr(r.body, "InvalidSignatureException"));
    sfn_http_resp_free(&r);
}

/* ---- limits and threads ------------------------------------------------ */

static void test_execution_limit(void **state)
{
    fx *f = *state;
    sfn_service_free(f->svc);
    sfn_error err;
    sfn_service_opts o = {.db_path = f->path, .max_open_executions = 1};
    f->svc = sfn_service_new(&o, &err);
    assert_non_null(f->svc);
    create(f, "lim", WAIT_DEF, "STANDARD");
    json_decref(ok(f, "StartExecution",
                   "{\"stateMachineArn\":\"" M_ARN "lim\"}"));
    fails(f, "StartExecution", "ExecutionLimitExceeded",
          "{\"stateMachineArn\":\"" M_ARN "lim\"}");
    sfn_service_stats st = sfn_service_get_stats(f->svc);
    assert_int_equal(st.executions_open, 1);
    assert_int_equal(st.executions_started, 1);
}

typedef struct worker {
    fx *f;
    int id, failures;
} worker;

static void *start_many(void *ud)
{
    worker *w = ud;
    for (int i = 0; i < 20; i++) {
        char req[256];
        snprintf(req, sizeof req,
                 "{\"stateMachineArn\":\"" M_ARN "par\",\"name\":"
                 "\"t%d-%d\"}",
                 w->id, i);
        sfn_error err;
        json_t *out = call(w->f, "StartExecution", req, &err);
        w->failures += out == NULL;
        json_decref(out);
        out = call(w->f, "ListStateMachines", "{}", &err);
        w->failures += out == NULL;
        json_decref(out);
    }
    return NULL;
}

static void test_concurrent_calls(void **state)
{
    fx *f = *state;
    create(f, "par", PASS_DEF, "STANDARD");
    pthread_t t[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){f, i, 0};
        pthread_create(&t[i], NULL, start_many, &w[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    json_t *l = ok(f, "ListExecutions",
                   "{\"stateMachineArn\":\"" M_ARN "par\",\"maxResults\":"
                   "1000}");
    assert_int_equal(json_array_size(json_object_get(l, "executions")), 80);
    json_decref(l);
}

/* ---- task callbacks ---------------------------------------------------- */

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        cmocka_unit_test(test_sigv4_vector),
        T(test_create_describe),
        T(test_variable_references),
        T(test_create_errors),
        T(test_update_and_revisions),
        T(test_list_machines_paging),
        T(test_delete_machine),
        T(test_validate_definition),
        T(test_start_describe_history),
        T(test_start_errors_and_idempotency),
        T(test_stop_and_list),
        T(test_express_sync),
        T(test_versions_aliases),
        T(test_tags),
        T(test_test_state_pass),
        T(test_test_state_task_mock),
        T(test_test_state_choice_fail),
        T(test_protocol),
        T(test_protocol_auth),
        T(test_execution_limit),
        T(test_concurrent_calls),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
