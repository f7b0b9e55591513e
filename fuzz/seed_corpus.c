/* seed_corpus.c: builds the fuzzers' seed corpora from JSON files, so the
 * fuzz scripts need nothing beyond a C compiler and jansson.
 * Usage: seed_corpus MODE OUTDIR FILE...
 *   asl        writes each definition: a file that is itself a definition
 *              (samples/NAME.asl.json), or the "definition" (or raw
 *              "definition_text") of a conformance case file;
 *   jsonpath   writes every string in those definitions that starts
 *              with '$' (paths, `$$` context paths, `$var` references);
 *   intrinsic  writes every string that starts with "States." and has '(';
 *   template   writes every Parameters, ResultSelector, ItemSelector,
 *              Assign, Arguments and Output value of those definitions;
 *   aws        writes a typical request for every AWS action (first byte
 *              the fuzz_aws_targets.h index, then the JSON body), and a
 *              CreateStateMachine and ValidateStateMachineDefinition
 *              request per definition;
 *   rest       writes a request for every REST route (method byte, target
 *              line, body: the fuzz_rest.c layout), and a PUT of and a
 *              validation request for each definition.
 * Output files are named by a hash of their content, so duplicates
 * collapse.  Prints how many files it wrote. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz_aws_targets.h"

typedef enum {
    MODE_ASL, MODE_JSONPATH, MODE_INTRINSIC, MODE_TEMPLATE, MODE_AWS,
    MODE_REST
} seed_mode;

static const char *const mode_names[] = {"asl",      "jsonpath", "intrinsic",
                                         "template", "aws",      "rest"};
#define N_MODES (sizeof mode_names / sizeof mode_names[0])

typedef struct {
    seed_mode mode;
    const char *outdir;
    size_t written;
    int failed;
} seeder;

static unsigned long long fnv1a(const char *s, size_t n)
{
    unsigned long long h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static void emit(seeder *sd, const char *text, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%016llx", sd->outdir, fnv1a(text, len));
    FILE *f = fopen(path, "rb");
    if (f) { /* same content seen before */
        fclose(f);
        return;
    }
    f = fopen(path, "wb");
    if (!f || fwrite(text, 1, len, f) != len) {
        fprintf(stderr, "seed_corpus: cannot write '%s': %s\n", path,
                strerror(errno));
        sd->failed = 1;
    } else {
        sd->written++;
    }
    if (f)
        fclose(f);
}

static void walk_strings(seeder *sd, const json_t *v)
{
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (sd->mode == MODE_JSONPATH && n && s[0] == '$')
            emit(sd, s, n);
        else if (sd->mode == MODE_INTRINSIC && !strncmp(s, "States.", 7) &&
                 strchr(s, '('))
            emit(sd, s, n);
    } else if (json_is_object(v)) {
        const char *key;
        json_t *member;
        json_object_foreach((json_t *)v, key, member)
            walk_strings(sd, member);
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            walk_strings(sd, json_array_get(v, i));
    }
}

static void emit_json(seeder *sd, const json_t *v)
{
    char *text = json_dumps(v, JSON_PRESERVE_ORDER | JSON_COMPACT |
                                   JSON_ENCODE_ANY);
    if (text)
        emit(sd, text, strlen(text));
    free(text);
}

/* Every template-valued field of every state, nested blocks included. */
static void walk_templates(seeder *sd, const json_t *v)
{
    static const char *const fields[] = {"Parameters", "ResultSelector",
                                         "ItemSelector", "Assign",
                                         "Arguments", "Output"};
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            walk_templates(sd, json_array_get(v, i));
        return;
    }
    if (!json_is_object(v))
        return;
    const json_t *type = json_object_get(v, "Type");
    for (size_t i = 0; json_is_string(type) && i < 6; i++) {
        const json_t *t = json_object_get(v, fields[i]);
        if (t)
            emit_json(sd, t);
    }
    const char *key;
    json_t *member;
    json_object_foreach((json_t *)v, key, member)
        if (json_is_object(member) || json_is_array(member))
            walk_templates(sd, member);
}

/* byte + text as one seed file */
static void emit_prefixed(seeder *sd, unsigned char byte, const char *text)
{
    size_t n = strlen(text);
    char *buf = malloc(n + 1);
    if (!buf)
        return;
    buf[0] = (char)byte;
    memcpy(buf + 1, text, n);
    emit(sd, buf, n + 1);
    free(buf);
}

static unsigned char aws_index(const char *action)
{
    for (size_t i = 0; i < AWS_N_TARGETS; i++) {
        const char *dot = strchr(aws_targets[i], '.');
        if (!strcmp(dot + 1, action))
            return (unsigned char)i;
    }
    fprintf(stderr, "seed_corpus: no target for %s\n", action);
    exit(2);
}

/* request (stolen) as an AWS protocol seed */
static void emit_aws(seeder *sd, const char *action, json_t *request)
{
    char *text = json_dumps(request, JSON_PRESERVE_ORDER | JSON_COMPACT);
    if (text)
        emit_prefixed(sd, aws_index(action), text);
    free(text);
    json_decref(request);
}

/* a REST seed: method (GET POST PUT DELETE PATCH), JSON Content-Type */
static void emit_rest(seeder *sd, int method, const char *target,
                      const char *body)
{
    char *text = malloc(strlen(target) + strlen(body) + 2);
    if (!text)
        return;
    sprintf(text, "%s\n%s", target, body);
    emit_prefixed(sd, (unsigned char)(method + 5), text);
    free(text);
}

#define ARN "arn:aws:states:us-east-1:123456789012:"
#define ROLE "arn:aws:iam::123456789012:role/r"
#define PASS_DEF                                                           \
    "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","         \
    "\"Result\":{\"x\":1},\"End\":true}}}"
#define EXEC_ARN ARN "execution:hello:e1"

static void aws_fixed(seeder *sd)
{
    emit_aws(sd, "CreateStateMachine",
             json_pack("{s:s,s:s,s:s,s:s,s:[{s:s,s:s}],s:b,s:s}", "name",
                       "hello", "definition", PASS_DEF, "roleArn", ROLE,
                       "type", "STANDARD", "tags", "key", "k", "value", "v",
                       "publish", 1, "versionDescription", "v1"));
    emit_aws(sd, "DescribeStateMachine",
             json_pack("{s:s}", "stateMachineArn",
                       ARN "stateMachine:fuzz-express"));
    emit_aws(sd, "UpdateStateMachine",
             json_pack("{s:s,s:s,s:b}", "stateMachineArn",
                       ARN "stateMachine:hello", "definition", PASS_DEF,
                       "publish", 1));
    emit_aws(sd, "DeleteStateMachine",
             json_pack("{s:s}", "stateMachineArn", ARN "stateMachine:hello"));
    emit_aws(sd, "ListStateMachines",
             json_pack("{s:i,s:s}", "maxResults", 10, "nextToken", "abc"));
    emit_aws(sd, "ValidateStateMachineDefinition",
             json_pack("{s:s,s:s,s:s,s:i}", "definition", PASS_DEF, "type",
                       "EXPRESS", "severity", "WARNING", "maxResults", 5));
    emit_aws(sd, "StartExecution",
             json_pack("{s:s,s:s,s:s,s:s}", "stateMachineArn",
                       ARN "stateMachine:hello", "name", "e1", "input",
                       "{\"a\":1}", "traceHeader", "t"));
    emit_aws(sd, "StartSyncExecution",
             json_pack("{s:s,s:s}", "stateMachineArn",
                       ARN "stateMachine:fuzz-express", "input",
                       "{\"a\":[1,2]}"));
    emit_aws(sd, "DescribeExecution",
             json_pack("{s:s}", "executionArn", EXEC_ARN));
    emit_aws(sd, "DescribeStateMachineForExecution",
             json_pack("{s:s}", "executionArn", EXEC_ARN));
    emit_aws(sd, "ListExecutions",
             json_pack("{s:s,s:s,s:i}", "stateMachineArn",
                       ARN "stateMachine:hello", "statusFilter", "RUNNING",
                       "maxResults", 5));
    emit_aws(sd, "StopExecution",
             json_pack("{s:s,s:s,s:s}", "executionArn", EXEC_ARN, "error",
                       "E", "cause", "c"));
    emit_aws(sd, "GetExecutionHistory",
             json_pack("{s:s,s:i,s:b,s:b}", "executionArn", EXEC_ARN,
                       "maxResults", 3, "reverseOrder", 1,
                       "includeExecutionData", 0));
    emit_aws(sd, "TagResource",
             json_pack("{s:s,s:[{s:s,s:s}]}", "resourceArn",
                       ARN "stateMachine:hello", "tags", "key", "a", "value",
                       "b"));
    emit_aws(sd, "UntagResource",
             json_pack("{s:s,s:[s]}", "resourceArn", ARN "stateMachine:hello",
                       "tagKeys", "a"));
    emit_aws(sd, "ListTagsForResource",
             json_pack("{s:s}", "resourceArn", ARN "activity:fuzz-activity"));
    emit_aws(sd, "PublishStateMachineVersion",
             json_pack("{s:s,s:s}", "stateMachineArn",
                       ARN "stateMachine:fuzz-express", "description", "d"));
    emit_aws(sd, "ListStateMachineVersions",
             json_pack("{s:s,s:i}", "stateMachineArn",
                       ARN "stateMachine:fuzz-express", "maxResults", 2));
    emit_aws(sd, "DeleteStateMachineVersion",
             json_pack("{s:s}", "stateMachineVersionArn",
                       ARN "stateMachine:fuzz-express:1"));
    emit_aws(sd, "CreateStateMachineAlias",
             json_pack("{s:s,s:s,s:[{s:s,s:i}]}", "name", "live",
                       "description", "d", "routingConfiguration",
                       "stateMachineVersionArn",
                       ARN "stateMachine:fuzz-express:1", "weight", 100));
    emit_aws(sd, "DescribeStateMachineAlias",
             json_pack("{s:s}", "stateMachineAliasArn",
                       ARN "stateMachine:fuzz-express:live"));
    emit_aws(sd, "UpdateStateMachineAlias",
             json_pack("{s:s,s:[{s:s,s:i},{s:s,s:i}]}",
                       "stateMachineAliasArn",
                       ARN "stateMachine:fuzz-express:live",
                       "routingConfiguration", "stateMachineVersionArn",
                       ARN "stateMachine:fuzz-express:1", "weight", 50,
                       "stateMachineVersionArn",
                       ARN "stateMachine:fuzz-express:2", "weight", 50));
    emit_aws(sd, "DeleteStateMachineAlias",
             json_pack("{s:s}", "stateMachineAliasArn",
                       ARN "stateMachine:fuzz-express:live"));
    emit_aws(sd, "ListStateMachineAliases",
             json_pack("{s:s}", "stateMachineArn",
                       ARN "stateMachine:fuzz-express"));
    emit_aws(sd, "TestState",
             json_pack("{s:s,s:s,s:s,s:s}", "definition",
                       "{\"Type\":\"Pass\",\"Parameters\":{\"a.$\":"
                       "\"$.x\"},\"ResultPath\":\"$.r\",\"End\":true}",
                       "input", "{\"x\":1}", "inspectionLevel", "DEBUG",
                       "roleArn", ROLE));
    emit_aws(sd, "SendTaskSuccess",
             json_pack("{s:s,s:s}", "taskToken", "abc", "output", "{}"));
    emit_aws(sd, "SendTaskFailure",
             json_pack("{s:s,s:s,s:s}", "taskToken", "abc", "error", "E",
                       "cause", "C"));
    emit_aws(sd, "SendTaskHeartbeat", json_pack("{s:s}", "taskToken", "abc"));
    emit_aws(sd, "CreateActivity",
             json_pack("{s:s,s:[{s:s,s:s}]}", "name", "act", "tags", "key",
                       "k", "value", "v"));
    emit_aws(sd, "DescribeActivity",
             json_pack("{s:s}", "activityArn", ARN "activity:fuzz-activity"));
    emit_aws(sd, "ListActivities", json_pack("{s:i}", "maxResults", 2));
    emit_aws(sd, "DeleteActivity",
             json_pack("{s:s}", "activityArn", ARN "activity:act"));
    emit_aws(sd, "GetActivityTask",
             json_pack("{s:s,s:s}", "activityArn",
                       ARN "activity:fuzz-activity", "workerName", "w"));
    emit_aws(sd, "NoSuchAction", json_object());
}

/* GET POST PUT DELETE, as fuzz_rest.c numbers them */
enum { R_GET, R_POST, R_PUT, R_DELETE };

static void rest_fixed(seeder *sd)
{
    emit_rest(sd, R_PUT, "/v1/state-machines/hello?type=STANDARD", PASS_DEF);
    emit_rest(sd, R_PUT, "/v1/state-machines/fuzz-express?type=EXPRESS",
              PASS_DEF);
    emit_rest(sd, R_GET, "/v1/state-machines?limit=2&cursor=x", "");
    emit_rest(sd, R_GET, "/v1/state-machines/fuzz-express", "");
    emit_rest(sd, R_DELETE, "/v1/state-machines/hello", "");
    emit_rest(sd, R_POST, "/v1/state-machines/fuzz-express/executions?name=e1",
              "{\"a\":1}");
    emit_rest(sd, R_GET,
              "/v1/executions?stateMachine=fuzz-express&status=RUNNING"
              "&limit=5&cursor=x", "");
    emit_rest(sd, R_GET, "/v1/executions/fuzz-express:e1", "");
    emit_rest(sd, R_GET, "/v1/executions/" EXEC_ARN, "");
    emit_rest(sd, R_GET,
              "/v1/executions/fuzz-express:e1/history?limit=2&cursor=x"
              "&reverse=true", "");
    emit_rest(sd, R_POST, "/v1/executions/fuzz-express:e1/stop",
              "{\"error\":\"E\",\"cause\":\"C\"}");
    emit_rest(sd, R_POST, "/v1/tasks/tok/success", "{\"r\":1}");
    emit_rest(sd, R_POST, "/v1/tasks/tok/failure",
              "{\"error\":\"E\",\"cause\":\"C\"}");
    emit_rest(sd, R_POST, "/v1/tasks/tok/heartbeat", "");
    emit_rest(sd, R_GET, "/v1/activities?limit=1&cursor=x", "");
    emit_rest(sd, R_POST, "/v1/activities", "{\"name\":\"act\"}");
    emit_rest(sd, R_GET, "/v1/activities/fuzz-activity", "");
    emit_rest(sd, R_DELETE, "/v1/activities/act", "");
    emit_rest(sd, R_POST, "/v1/activities/fuzz-activity/poll?worker=w&wait=0",
              "");
    emit_rest(sd, R_POST, "/v1/validate?type=EXPRESS&severity=WARNING",
              PASS_DEF);
}

/* Requests carrying one definition (text) of the input files. */
static void seed_definition(seeder *sd, const char *text)
{
    char name[32], target[96];
    snprintf(name, sizeof name, "s%016llx", fnv1a(text, strlen(text)));
    if (sd->mode == MODE_AWS) {
        emit_aws(sd, "CreateStateMachine",
                 json_pack("{s:s,s:s,s:s}", "name", name, "definition", text,
                           "roleArn", ROLE));
        emit_aws(sd, "ValidateStateMachineDefinition",
                 json_pack("{s:s}", "definition", text));
    } else {
        snprintf(target, sizeof target, "/v1/state-machines/%s", name);
        emit_rest(sd, R_PUT, target, text);
        emit_rest(sd, R_POST, "/v1/validate", text);
    }
}

static char *copy_text(const char *s)
{
    char *c = malloc(strlen(s) + 1);
    return c ? strcpy(c, s) : NULL;
}

static void seed_file(seeder *sd, const char *file)
{
    json_error_t e;
    json_t *root = json_load_file(file, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (!root) {
        fprintf(stderr, "seed_corpus: %s:%d:%d: %s (skipped)\n", file,
                e.line, e.column, e.text);
        return;
    }
    const json_t *def = json_object_get(root, "States") ? root
                        : json_object_get(root, "definition");
    const json_t *raw = json_object_get(root, "definition_text");
    char *text = json_is_string(raw) ? copy_text(json_string_value(raw))
                 : def ? json_dumps(def, JSON_PRESERVE_ORDER | JSON_COMPACT)
                       : NULL;
    if (sd->mode == MODE_JSONPATH || sd->mode == MODE_INTRINSIC)
        walk_strings(sd, def);
    else if (sd->mode == MODE_TEMPLATE)
        walk_templates(sd, def);
    else if (sd->mode == MODE_ASL && json_is_string(raw))
        emit(sd, json_string_value(raw), json_string_length(raw));
    else if (text && sd->mode == MODE_ASL)
        emit(sd, text, strlen(text));
    else if (text)
        seed_definition(sd, text);
    free(text);
    json_decref(root);
}

int main(int argc, char **argv)
{
    seeder sd = {0};
    size_t mode = N_MODES;
    for (size_t i = 0; argc >= 3 && i < N_MODES; i++)
        if (!strcmp(argv[1], mode_names[i]))
            mode = i;
    if (mode == N_MODES) {
        fputs("usage: seed_corpus asl|jsonpath|intrinsic|template|aws|rest "
              "OUTDIR FILE...\n",
              stderr);
        return 2;
    }
    sd.mode = (seed_mode)mode;
    sd.outdir = argv[2];
    if (sd.mode == MODE_AWS)
        aws_fixed(&sd);
    else if (sd.mode == MODE_REST)
        rest_fixed(&sd);
    for (int i = 3; i < argc; i++)
        seed_file(&sd, argv[i]);
    printf("seed_corpus: %s: %zu distinct inputs in %s\n", argv[1],
           sd.written, sd.outdir);
    return sd.failed ? 1 : 0;
}
