/* test_service_tasks.c: task callbacks (SendTask*), activities and
 * GetActivityTask, mock test cases (ARN#Case), tasks.unbound, and the REST
 * routes for callbacks and activities, through sfn_service_call on a
 * temporary database. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "service_fixture.h"

static const char *CALLBACK_DEF =
    "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
    "\"Resource\":\"arn:stepd:task:sleep.waitForTaskToken\","
    "\"Parameters\":{\"token.$\":\"$$.Task.Token\"},\"End\":true}}}";

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static json_t *history(fx *f, const char *arn)
{
    return ok(f, "GetExecutionHistory",
              "{\"executionArn\":\"%s\",\"maxResults\":1000}", arn);
}

/* The event types of an execution joined with spaces (malloc'd). */
static char *event_types(fx *f, const char *arn)
{
    json_t *h = history(f, arn);
    char buf[4096] = "";
    size_t i;
    json_t *ev;
    json_array_foreach(json_object_get(h, "events"), i, ev)
    {
        size_t n = strlen(buf);
        snprintf(buf + n, sizeof buf - n, "%s%s", n ? " " : "",
                 str(ev, "type"));
    }
    json_decref(h);
    return strdup(buf);
}

/* Waits for the TaskScheduled event and returns the token its parameters
 * carry (malloc'd). */
static char *scheduled_token(fx *f, const char *arn)
{
    for (int i = 0; i < 500; i++) {
        json_t *h = history(f, arn);
        size_t k;
        json_t *ev;
        json_array_foreach(json_object_get(h, "events"), k, ev)
        {
            if (strcmp(str(ev, "type"), "TaskScheduled"))
                continue;
            const char *text = str(
                json_object_get(ev, "taskScheduledEventDetails"),
                "parameters");
            json_t *params = json_loads(text ? text : "", 0, NULL);
            const char *tok = str(params, "token");
            char *out = tok ? strdup(tok) : NULL;
            json_decref(params);
            json_decref(h);
            if (!out)
                fail_msg("TaskScheduled parameters carry no token: %s",
                         text ? text : "(none)");
            return out;
        }
        json_decref(h);
        sleep_ms(10);
    }
    fail_msg("no TaskScheduled event in %s", arn);
    return NULL;
}

static char *start(fx *f, const char *machine, const char *name,
                   const char *input)
{
    json_t *s = ok(f, "StartExecution",
                   "{\"stateMachineArn\":\"" M_ARN
                   "%s\",\"name\":\"%s\",\"input\":\"%s\"}",
                   machine, name, input);
    char *arn = strdup(str(s, "executionArn"));
    json_decref(s);
    return arn;
}

static void test_send_task_validation(void **state)
{
    fx *f = *state;
    fails(f, "SendTaskSuccess", "ValidationException", "{\"output\":\"{}\"}");
    fails(f, "SendTaskSuccess", "ValidationException",
          "{\"taskToken\":\"\",\"output\":\"{}\"}");
    fails(f, "SendTaskSuccess", "ValidationException", "{\"taskToken\":\"t\"}");
    fails(f, "SendTaskSuccess", "InvalidOutput",
          "{\"taskToken\":\"t\",\"output\":\"{not json\"}");
    fails(f, "SendTaskSuccess", "ValidationException",
          "{\"taskToken\":7,\"output\":\"{}\"}");
    char *long_token = malloc(2050);
    memset(long_token, 'a', 2049);
    long_token[2049] = 0;
    fails(f, "SendTaskHeartbeat", "ValidationException",
          "{\"taskToken\":\"%s\"}", long_token);
    free(long_token);
    char *long_error = malloc(258);
    memset(long_error, 'e', 257);
    long_error[257] = 0;
    fails(f, "SendTaskFailure", "ValidationException",
          "{\"taskToken\":\"t\",\"error\":\"%s\"}", long_error);
    free(long_error);
    fails(f, "SendTaskHeartbeat", "ValidationException", "{}");
    fails(f, "SendTaskFailure", "ValidationException", "{\"error\":\"E\"}");
}

static void test_send_task_cause_limit(void **state)
{
    fx *f = *state;
    json_t *req = json_pack("{s:s}", "taskToken", "t");
    char *cause = malloc(32770);
    memset(cause, 'c', 32769);
    cause[32769] = 0;
    json_object_set_new(req, "cause", json_string(cause));
    free(cause);
    sfn_error err;
    json_t *out = sfn_service_call(f->svc, "SendTaskFailure", req, &err);
    json_decref(req);
    assert_null(out);
    assert_string_equal(err.name, "ValidationException");
    assert_non_null(strstr(err.cause, "'cause'"));
}

static void test_send_task_unknown_tokens(void **state)
{
    fx *f = *state;
    fails(f, "SendTaskSuccess", "InvalidToken",
          "{\"taskToken\":\"not a token\",\"output\":\"{}\"}");
    fails(f, "SendTaskHeartbeat", "InvalidToken",
          "{\"taskToken\":\"not a token\"}");
}

static void test_callback_success(void **state)
{
    fx *f = *state;
    create(f, "cb", CALLBACK_DEF, "STANDARD");
    char *arn = start(f, "cb", "run1", "{}");
    char *token = scheduled_token(f, arn);
    json_t *o = ok(f, "SendTaskHeartbeat", "{\"taskToken\":\"%s\"}", token);
    json_decref(o);
    o = ok(f, "SendTaskSuccess",
           "{\"taskToken\":\"%s\",\"output\":\"{\\\"r\\\":42}\"}", token);
    assert_int_equal(json_object_size(o), 0);
    json_decref(o);
    json_t *d = wait_end(f, arn);
    assert_string_equal(str(d, "status"), "SUCCEEDED");
    assert_string_equal(str(d, "output"), "{\"r\":42}");
    json_decref(d);
    char *types = event_types(f, arn);
    assert_string_equal(types,
                        "ExecutionStarted TaskStateEntered TaskScheduled "
                        "TaskStarted TaskSubmitted TaskSucceeded "
                        "TaskStateExited ExecutionSucceeded");
    free(types);
    /* single use */
    fails(f, "SendTaskSuccess", "TaskDoesNotExist",
          "{\"taskToken\":\"%s\",\"output\":\"{}\"}", token);
    free(token);
    free(arn);
}

static void test_callback_failure(void **state)
{
    fx *f = *state;
    create(f, "cbf", CALLBACK_DEF, "STANDARD");
    char *arn = start(f, "cbf", "run1", "{}");
    char *token = scheduled_token(f, arn);
    json_t *o = ok(f, "SendTaskFailure",
                   "{\"taskToken\":\"%s\",\"error\":\"Card.Declined\","
                   "\"cause\":\"no money\"}",
                   token);
    json_decref(o);
    json_t *d = wait_end(f, arn);
    assert_string_equal(str(d, "status"), "FAILED");
    assert_string_equal(str(d, "error"), "Card.Declined");
    assert_string_equal(str(d, "cause"), "no money");
    json_decref(d);
    fails(f, "SendTaskHeartbeat", "TaskDoesNotExist",
          "{\"taskToken\":\"%s\"}", token);
    free(token);
    free(arn);
}

static void test_callback_heartbeat_timeout(void **state)
{
    fx *f = *state;
    create(f, "cbh",
           "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
           "\"Resource\":\"arn:stepd:task:sleep.waitForTaskToken\","
           "\"HeartbeatSeconds\":1,\"TimeoutSeconds\":30,"
           "\"Parameters\":{\"token.$\":\"$$.Task.Token\"},\"End\":true}}}",
           "STANDARD");
    char *arn = start(f, "cbh", "run1", "{}");
    char *token = scheduled_token(f, arn);
    json_t *d = wait_end(f, arn);
    assert_string_equal(str(d, "status"), "FAILED");
    assert_string_equal(str(d, "error"), "States.HeartbeatTimeout");
    json_decref(d);
    fails(f, "SendTaskSuccess", "TaskTimedOut",
          "{\"taskToken\":\"%s\",\"output\":\"{}\"}", token);
    free(token);
    free(arn);
}

/* ---- activities ---------------------------------------------------------- */

static void test_activity_crud(void **state)
{
    fx *f = *state;
    json_t *a = ok(f, "CreateActivity",
                   "{\"name\":\"work\",\"tags\":[{\"key\":\"team\","
                   "\"value\":\"a\"}]}");
    assert_string_equal(str(a, "activityArn"), A_ARN "work");
    assert_true(json_is_number(json_object_get(a, "creationDate")));
    /* idempotent: same ARN and creation date */
    json_t *again = ok(f, "CreateActivity", "{\"name\":\"work\"}");
    assert_string_equal(str(again, "activityArn"), A_ARN "work");
    assert_true(json_equal(json_object_get(a, "creationDate"),
                           json_object_get(again, "creationDate")));
    json_decref(again);
    json_t *d = ok(f, "DescribeActivity",
                   "{\"activityArn\":\"" A_ARN "work\"}");
    assert_string_equal(str(d, "name"), "work");
    assert_string_equal(str(d, "activityArn"), A_ARN "work");
    assert_true(json_equal(json_object_get(a, "creationDate"),
                           json_object_get(d, "creationDate")));
    json_decref(d);
    json_decref(a);
    json_t *t = ok(f, "ListTagsForResource",
                   "{\"resourceArn\":\"" A_ARN "work\"}");
    assert_string_equal(str(json_array_get(json_object_get(t, "tags"), 0),
                            "key"),
                        "team");
    json_decref(t);
    json_t *del = ok(f, "DeleteActivity",
                     "{\"activityArn\":\"" A_ARN "work\"}");
    json_decref(del);
    fails(f, "DescribeActivity", "ActivityDoesNotExist",
          "{\"activityArn\":\"" A_ARN "work\"}");
    /* deleting what is gone answers {} as AWS does */
    del = ok(f, "DeleteActivity", "{\"activityArn\":\"" A_ARN "work\"}");
    json_decref(del);
}

static void test_activity_errors(void **state)
{
    fx *f = *state;
    fails(f, "CreateActivity", "ValidationException", "{}");
    fails(f, "CreateActivity", "InvalidName", "{\"name\":\"a b\"}");
    fails(f, "CreateActivity", "InvalidName", "{\"name\":\"a:b\"}");
    fails(f, "CreateActivity", "InvalidName", "{\"name\":\"\"}");
    fails(f, "CreateActivity", "InvalidName",
          "{\"name\":\"%081d\"}", 0);
    fails(f, "CreateActivity", "ValidationException",
          "{\"name\":\"ok\",\"tags\":{}}");
    fails(f, "DescribeActivity", "ValidationException", "{}");
    fails(f, "DescribeActivity", "InvalidArn",
          "{\"activityArn\":\"" M_ARN "m\"}");
    fails(f, "DescribeActivity", "InvalidArn",
          "{\"activityArn\":\"arn:aws:states:eu-west-1:123456789012:"
          "activity:x\"}");
    fails(f, "DescribeActivity", "ActivityDoesNotExist",
          "{\"activityArn\":\"" A_ARN "nope\"}");
    fails(f, "DeleteActivity", "InvalidArn", "{\"activityArn\":\"x\"}");
    fails(f, "GetActivityTask", "ActivityDoesNotExist",
          "{\"activityArn\":\"" A_ARN "nope\"}");
    fails(f, "GetActivityTask", "InvalidArn",
          "{\"activityArn\":\"" M_ARN "nope\"}");
    json_decref(ok(f, "CreateActivity", "{\"name\":\"w\"}"));
    fails(f, "GetActivityTask", "ValidationException",
          "{\"activityArn\":\"" A_ARN "w\",\"workerName\":\"%081d\"}", 0);
    fails(f, "GetActivityTask", "ValidationException",
          "{\"activityArn\":\"" A_ARN "w\",\"waitSeconds\":61}");
    fails(f, "ListActivities", "ValidationException", "{\"maxResults\":1001}");
    fails(f, "ListActivities", "InvalidToken", "{\"nextToken\":\"garbage\"}");
}

/* The same name under another region's ARN (the configuration changed):
 * refused by name, not created twice. */
static void test_activity_name_taken_elsewhere(void **state)
{
    fx *f = *state;
    json_decref(ok(f, "CreateActivity", "{\"name\":\"dup\"}"));
    sfn_service_free(f->svc);
    sfn_error err;
    sfn_service_opts o = {.db_path = f->path, .region = "eu-west-1"};
    f->svc = sfn_service_new(&o, &err);
    assert_non_null(f->svc);
    fails(f, "CreateActivity", "ActivityAlreadyExists", "{\"name\":\"dup\"}");
}

static void test_list_activities_paging(void **state)
{
    fx *f = *state;
    const char *names[] = {"c", "a", "e", "b", "d"};
    for (int i = 0; i < 5; i++)
        json_decref(ok(f, "CreateActivity", "{\"name\":\"%s\"}", names[i]));
    char seen[32] = "";
    json_t *page = ok(f, "ListActivities", "{\"maxResults\":2}");
    int pages = 0;
    for (;;) {
        pages++;
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(page, "activities"), i, it)
        {
            strcat(seen, str(it, "name"));
            char want[96];
            snprintf(want, sizeof want, A_ARN "%s", str(it, "name"));
            assert_string_equal(str(it, "activityArn"), want);
        }
        const char *next = str(page, "nextToken");
        if (!next)
            break;
        json_t *n = ok(f, "ListActivities",
                       "{\"maxResults\":2,\"nextToken\":\"%s\"}", next);
        json_decref(page);
        page = n;
    }
    json_decref(page);
    assert_string_equal(seen, "abcde");
    assert_int_equal(pages, 3);
    json_t *all = ok(f, "ListActivities", "{}");
    assert_int_equal(json_array_size(json_object_get(all, "activities")), 5);
    assert_null(json_object_get(all, "nextToken"));
    json_decref(all);
}

static void test_get_activity_task_none(void **state)
{
    fx *f = *state;
    json_decref(ok(f, "CreateActivity", "{\"name\":\"idle\"}"));
    double t0 = now_s();
    json_t *o = ok(f, "GetActivityTask",
                   "{\"activityArn\":\"" A_ARN "idle\",\"waitSeconds\":1}");
    double took = now_s() - t0;
    assert_int_equal(json_object_size(o), 0);
    json_decref(o);
    assert_true(took >= 0.9);
    assert_true(took < 10.0);
}

typedef struct poller {
    fx *f;
    json_t *out;
    double took;
} poller;

static void *poll_thread(void *ud)
{
    poller *p = ud;
    double t0 = now_s();
    sfn_error err;
    json_t *req = json_pack("{s:s,s:s,s:i}", "activityArn", A_ARN "work",
                            "workerName", "w1", "waitSeconds", 30);
    p->out = sfn_service_call(p->f->svc, "GetActivityTask", req, &err);
    json_decref(req);
    p->took = now_s() - t0;
    return NULL;
}

static const char *ACTIVITY_DEF =
    "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\","
    "\"Resource\":\"" A_ARN "work\",\"HeartbeatSeconds\":30,"
    "\"End\":true}}}";

/* A worker waiting first is answered as soon as the task is scheduled,
 * not at the end of its wait. */
static void test_activity_worker_flow(void **state)
{
    fx *f = *state;
    json_decref(ok(f, "CreateActivity", "{\"name\":\"work\"}"));
    create(f, "act", ACTIVITY_DEF, "STANDARD");
    poller p = {.f = f};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, poll_thread, &p), 0);
    char *arn = start(f, "act", "run1", "{\\\"x\\\":1}");
    pthread_join(th, NULL);
    assert_non_null(p.out);
    assert_true(p.took < 20.0);
    const char *token = str(p.out, "taskToken");
    assert_non_null(token);
    assert_string_equal(str(p.out, "input"), "{\"x\":1}");
    json_decref(ok(f, "SendTaskHeartbeat", "{\"taskToken\":\"%s\"}", token));
    json_decref(ok(f, "SendTaskSuccess",
                   "{\"taskToken\":\"%s\",\"output\":\"{\\\"done\\\":true}\"}",
                   token));
    json_t *d = wait_end(f, arn);
    assert_string_equal(str(d, "status"), "SUCCEEDED");
    assert_string_equal(str(d, "output"), "{\"done\":true}");
    json_decref(d);
    char *types = event_types(f, arn);
    assert_string_equal(types,
                        "ExecutionStarted TaskStateEntered ActivityScheduled "
                        "ActivityStarted ActivitySucceeded TaskStateExited "
                        "ExecutionSucceeded");
    free(types);
    json_t *h = history(f, arn);
    json_t *started = json_array_get(json_object_get(h, "events"), 3);
    assert_string_equal(
        str(json_object_get(started, "activityStartedEventDetails"),
            "workerName"),
        "w1");
    json_decref(h);
    fails(f, "SendTaskSuccess", "TaskDoesNotExist",
          "{\"taskToken\":\"%s\",\"output\":\"{}\"}", token);
    json_decref(p.out);
    free(arn);
}

/* ---- mock test cases (ARN#TestCase) ------------------------------------- */

static const char *MOCKED_DEF =
    "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
    "\"Resource\":\"arn:aws:lambda:us-east-1:123456789012:function:pay\","
    "\"End\":true}}}";

static void test_test_case_without_mock_config(void **state)
{
    fx *f = *state;
    create(f, "mocked", MOCKED_DEF, "STANDARD");
    sfn_error err;
    json_t *out = call(f, "StartExecution",
                       "{\"stateMachineArn\":\"" M_ARN "mocked#Happy\"}", &err);
    assert_null(out);
    assert_string_equal(err.name, "ValidationException");
    assert_non_null(strstr(err.cause, "'Happy'"));
    fails(f, "StartExecution", "ValidationException",
          "{\"stateMachineArn\":\"" M_ARN "mocked#\"}");
    fails(f, "StartExecution", "StateMachineDoesNotExist",
          "{\"stateMachineArn\":\"" M_ARN "other#Happy\"}");
}

static void test_test_case_selects_mock(void **state)
{
    fx *f = *state;
    create(f, "mocked", MOCKED_DEF, "STANDARD");
    json_t *s = ok(f, "StartExecution",
                   "{\"stateMachineArn\":\"" M_ARN "mocked#Happy\","
                   "\"name\":\"happy\"}");
    assert_string_equal(str(s, "executionArn"), E_ARN "mocked:happy");
    json_decref(s);
    json_t *d = wait_end(f, E_ARN "mocked:happy");
    assert_string_equal(str(d, "status"), "SUCCEEDED");
    assert_string_equal(str(d, "output"), "{\"paid\":true}");
    json_decref(d);
    s = ok(f, "StartExecution",
           "{\"stateMachineArn\":\"" M_ARN "mocked#Declined\","
           "\"name\":\"declined\"}");
    json_decref(s);
    d = wait_end(f, E_ARN "mocked:declined");
    assert_string_equal(str(d, "status"), "FAILED");
    assert_string_equal(str(d, "error"), "Card.Declined");
    json_decref(d);
    sfn_error err;
    json_t *out = call(f, "StartExecution",
                       "{\"stateMachineArn\":\"" M_ARN "mocked#Nope\"}", &err);
    assert_null(out);
    assert_string_equal(err.name, "ValidationException");
    assert_non_null(strstr(err.cause, "'Nope'"));
    assert_non_null(strstr(err.cause, "'mocked'"));
}

/* ---- REST routes for callbacks and activities ---------------------------- */

typedef struct kv {
    const char *k[4], *v[4];
} kv;

static const char *kv_get(void *ud, const char *name)
{
    kv *q = ud;
    for (int i = 0; q && i < 4 && q->k[i]; i++)
        if (!strcasecmp(q->k[i], name))
            return q->v[i];
    return NULL;
}

static void rest(fx *f, const char *method, const char *path,
                 const char *body, kv *q, sfn_http_resp *r)
{
    kv none = {{0}, {0}};
    sfn_http_req req = {method, path, body ? body : "",
                        body ? strlen(body) : 0, kv_get, kv_get,
                        q ? q : &none, "127.0.0.1:1"};
    memset(r, 0, sizeof *r);
    sfn_rest_handle(f->svc, &req, r);
}

static void expect_rest(fx *f, const char *method, const char *path,
                        const char *body, kv *q, int status,
                        const char *needle)
{
    sfn_http_resp r;
    rest(f, method, path, body, q, &r);
    if (r.status != status || (needle && (!r.body || !strstr(r.body, needle))))
        fail_msg("%s %s: got %d %s, want %d with %s", method, path, r.status,
                 r.body ? r.body : "", status, needle ? needle : "-");
    sfn_http_resp_free(&r);
}

static void test_rest_activities(void **state)
{
    fx *f = *state;
    sfn_http_resp r;
    rest(f, "POST", "/v1/activities", "{\"name\":\"rw\"}", NULL, &r);
    assert_int_equal(r.status, 201);
    assert_string_equal(r.header_names[0], "Location");
    assert_string_equal(r.header_values[0], "/v1/activities/rw");
    assert_non_null(strstr(r.body, "\"activityArn\":\"" A_ARN "rw\""));
    assert_non_null(strstr(r.body, "\"creationDate\":\"20"));
    sfn_http_resp_free(&r);
    expect_rest(f, "POST", "/v1/activities", "{\"name\":\"rw\"}", NULL, 200,
                A_ARN "rw");
    expect_rest(f, "POST", "/v1/activities", "{\"nom\":1}", NULL, 400,
                "ValidationException");
    expect_rest(f, "POST", "/v1/activities", "{\"name\":\"a b\"}", NULL, 400,
                "InvalidName");
    expect_rest(f, "GET", "/v1/activities", NULL, NULL, 200, "\"name\":\"rw\"");
    expect_rest(f, "GET", "/v1/activities/rw", NULL, NULL, 200,
                "\"name\":\"rw\"");
    expect_rest(f, "GET", "/v1/activities/" A_ARN "rw", NULL, NULL, 200,
                "\"name\":\"rw\"");
    expect_rest(f, "GET", "/v1/activities/nope", NULL, NULL, 404,
                "ActivityDoesNotExist");
    kv wait0 = {{"wait", "worker"}, {"0", "w"}};
    expect_rest(f, "POST", "/v1/activities/rw/poll", NULL, &wait0, 204, NULL);
    kv wait61 = {{"wait"}, {"61"}};
    expect_rest(f, "POST", "/v1/activities/rw/poll", NULL, &wait61, 400,
                "wait");
    expect_rest(f, "GET", "/v1/activities/rw/poll", NULL, NULL, 405, NULL);
    expect_rest(f, "POST", "/v1/activities/nope/poll", NULL, &wait0, 404,
                "ActivityDoesNotExist");
    expect_rest(f, "PUT", "/v1/activities/rw", NULL, NULL, 405, NULL);
    expect_rest(f, "DELETE", "/v1/activities/rw", NULL, NULL, 204, NULL);
    expect_rest(f, "DELETE", "/v1/activities/rw", NULL, NULL, 404,
                "ActivityDoesNotExist");
}

static void test_rest_task_routes(void **state)
{
    fx *f = *state;
    expect_rest(f, "POST", "/v1/tasks/abc", NULL, NULL, 404, "NotFound");
    expect_rest(f, "POST", "/v1/tasks/abc/finish", NULL, NULL, 404,
                "NotFound");
    expect_rest(f, "POST", "/v1/tasks//success", NULL, NULL, 404, "NotFound");
    expect_rest(f, "GET", "/v1/tasks/abc/success", NULL, NULL, 405, NULL);
    expect_rest(f, "POST", "/v1/tasks/abc/success", "{bad", NULL, 400,
                "InvalidOutput");
    expect_rest(f, "POST", "/v1/tasks/abc/failure", "[1]", NULL, 400,
                "SerializationException");
    expect_rest(f, "POST", "/v1/tasks/not a token/heartbeat", NULL, NULL, 400,
                "InvalidToken");
}

static void test_rest_callback(void **state)
{
    fx *f = *state;
    create(f, "rcb", CALLBACK_DEF, "STANDARD");
    char *arn = start(f, "rcb", "run1", "{}");
    char *token = scheduled_token(f, arn);
    char path[4096];
    snprintf(path, sizeof path, "/v1/tasks/%s/heartbeat", token);
    expect_rest(f, "POST", path, NULL, NULL, 204, NULL);
    snprintf(path, sizeof path, "/v1/tasks/%s/success", token);
    expect_rest(f, "POST", path, "{\"via\":\"rest\"}", NULL, 204, NULL);
    expect_rest(f, "POST", path, "{}", NULL, 404, "TaskDoesNotExist");
    json_t *d = wait_end(f, arn);
    assert_string_equal(str(d, "status"), "SUCCEEDED");
    assert_string_equal(str(d, "output"), "{\"via\":\"rest\"}");
    json_decref(d);
    free(token);
    free(arn);
}

static void test_unbound_resource_refused_at_start(void **state)
{
    fx *f = *state;
    json_t *m = ok(f, "CreateStateMachine",
                   "{\"name\":\"unbound\",\"roleArn\":\"arn:aws:iam::"
                   "123456789012:role/r\",\"definition\":\"{\\\"StartAt\\\":"
                   "\\\"Q\\\",\\\"States\\\":{\\\"Q\\\":{\\\"Type\\\":"
                   "\\\"Task\\\",\\\"Resource\\\":\\\"arn:aws:states:::sqs:"
                   "sendMessage\\\",\\\"End\\\":true}}}\"}");
    const char *arn =
        json_string_value(json_object_get(m, "stateMachineArn"));
    char req[512];
    snprintf(req, sizeof req, "{\"stateMachineArn\":\"%s\"}", arn);
    sfn_error err;
    json_t *out = call(f, "StartExecution", req, &err);
    assert_null(out);
    assert_string_equal(err.name, "ValidationException");
    assert_non_null(strstr(err.cause, "state 'Q'"));
    assert_non_null(strstr(err.cause, "sqs:sendMessage"));
    /* nothing was started */
    snprintf(req, sizeof req, "{\"stateMachineArn\":\"%s\"}", arn);
    json_t *list = ok(f, "ListExecutions", "%s", req);
    assert_int_equal(json_array_size(json_object_get(list, "executions")), 0);
    json_decref(list);
    json_decref(m);
}

/* AWS's quota: 10,000 activities; a repeat of an existing name is still
 * answered (CreateActivity is idempotent). */
static void test_activity_limit(void **state)
{
    fx *f = *state;
    json_decref(ok(f, "CreateActivity", "{\"name\":\"first\"}"));
    sfn_store *st = NULL;
    sfn_error err;
    assert_int_equal(sfn_store_open(f->path, NULL, &st, &err), SFN_OK);
    assert_int_equal(sfn_store_begin(st, &err), SFN_OK);
    for (int i = 1; i < 10000; i++) {
        char name[32], arn[128];
        snprintf(name, sizeof name, "bulk-%05d", i);
        snprintf(arn, sizeof arn, A_ARN "%s", name);
        bool created = false;
        assert_int_equal(sfn_store_put_activity(st, arn, name, 1, &created,
                                                &err),
                         SFN_OK);
    }
    assert_int_equal(sfn_store_commit(st, &err), SFN_OK);
    sfn_store_close(st);
    fails(f, "CreateActivity", "ActivityLimitExceeded",
          "{\"name\":\"one-too-many\"}");
    json_t *again = ok(f, "CreateActivity", "{\"name\":\"first\"}");
    assert_string_equal(str(again, "activityArn"), A_ARN "first");
    json_decref(again);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        cmocka_unit_test_setup_teardown(
            test_unbound_resource_refused_at_start, setup_unbound_start,
            teardown),
        cmocka_unit_test_setup_teardown(test_test_case_selects_mock,
                                        setup_mock, teardown),
        T(test_send_task_validation),
        T(test_send_task_cause_limit),
        T(test_send_task_unknown_tokens),
        T(test_callback_success),
        T(test_callback_failure),
        T(test_callback_heartbeat_timeout),
        T(test_activity_crud),
        T(test_activity_limit),
        T(test_activity_errors),
        T(test_activity_name_taken_elsewhere),
        T(test_list_activities_paging),
        T(test_get_activity_task_none),
        T(test_activity_worker_flow),
        T(test_test_case_without_mock_config),
        T(test_rest_activities),
        T(test_rest_task_routes),
        T(test_rest_callback),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
