/* cli_test_state.c: `stepd test-state FILE STATE [--input JSON]
 * [--inspection-level INFO|DEBUG|TRACE] [--mock-result JSON |
 * --mock-error ERROR [--mock-cause CAUSE]]`: runs one state of a
 * definition in isolation through the TestState action (on a temporary
 * database) and prints its answer: output or error, next state, status and
 * the intermediate data-flow values. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "sfn_json.h"
#include "sfn_service.h"

static const char usage[] =
    "usage: stepd test-state FILE STATE [--input JSON]\n"
    "           [--inspection-level INFO|DEBUG|TRACE]\n"
    "           [--mock-result JSON | --mock-error ERROR [--mock-cause C]]\n"
    "  Runs state STATE of the definition in FILE once on the input and\n"
    "  prints TestState's answer (output or error, nextState, status,\n"
    "  inspectionData).  A Task's call is replaced by the mock when given.\n"
    "  Exit 0 SUCCEEDED or CAUGHT_ERROR, 1 FAILED or RETRIABLE, 2 usage or\n"
    "  invalid definition.\n";

typedef struct ts_args {
    const char *file, *state, *input, *level, *mock_result, *mock_error,
        *mock_cause;
} ts_args;

static int parse(int argc, char **argv, ts_args *a)
{
    static const struct option opts[] = {
        {"input", required_argument, NULL, 'i'},
        {"inspection-level", required_argument, NULL, 'l'},
        {"mock-result", required_argument, NULL, 'r'},
        {"mock-error", required_argument, NULL, 'e'},
        {"mock-cause", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    a->input = "{}";
    a->level = "DEBUG";
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'i': a->input = optarg; break;
        case 'l': a->level = optarg; break;
        case 'r': a->mock_result = optarg; break;
        case 'e': a->mock_error = optarg; break;
        case 'c': a->mock_cause = optarg; break;
        case 'h': fputs(usage, stdout); return -1;
        default: fputs(usage, stderr); return SFN_CLI_USAGE;
        }
    }
    if (optind != argc - 2 || (a->mock_result && a->mock_error) ||
        (a->mock_cause && !a->mock_error)) {
        fputs(usage, stderr);
        return SFN_CLI_USAGE;
    }
    a->file = argv[optind];
    a->state = argv[optind + 1];
    return 0;
}

static json_t *request(const ts_args *a, const char *definition)
{
    json_t *req = json_pack("{s:s,s:s,s:s,s:s}", "definition", definition,
                            "stateName", a->state, "input", a->input,
                            "inspectionLevel", a->level);
    if (req && a->mock_result)
        json_object_set_new(req, "mock",
                            json_pack("{s:s}", "result", a->mock_result));
    if (req && a->mock_error) {
        json_t *eo = json_pack("{s:s}", "error", a->mock_error);
        if (a->mock_cause)
            json_object_set_new(eo, "cause", json_string(a->mock_cause));
        json_object_set_new(req, "mock", json_pack("{s:o}", "errorOutput", eo));
    }
    return req;
}

int sfn_cli_test_state(int argc, char **argv)
{
    ts_args a = {0};
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? SFN_CLI_OK : rc;
    size_t len = 0;
    char *text = sfn_cli_read_file(a.file, &len);
    if (!text) {
        fprintf(stderr, "stepd test-state: cannot read '%s': %s\n", a.file,
                strerror(errno));
        return SFN_CLI_USAGE;
    }
    char db[] = "/tmp/stepd-test-state-XXXXXX";
    int fd = mkstemp(db);
    if (fd < 0) {
        fprintf(stderr, "stepd test-state: cannot create a temporary "
                        "database: %s\n", strerror(errno));
        free(text);
        return SFN_CLI_USAGE;
    }
    close(fd);
    unlink(db);
    sfn_error err;
    sfn_error_clear(&err);
    sfn_service_opts so = {.db_path = db};
    sfn_service *svc = sfn_service_new(&so, &err);
    int status = SFN_CLI_USAGE;
    json_t *req = svc ? request(&a, text) : NULL;
    json_t *out = req ? sfn_service_call(svc, "TestState", req, &err) : NULL;
    if (out) {
        char *pretty = sfn_json_dumps(out, 1);
        printf("%s\n", pretty ? pretty : "{}");
        free(pretty);
        const char *st = json_string_value(json_object_get(out, "status"));
        status = st && (!strcmp(st, "SUCCEEDED") || !strcmp(st, "CAUGHT_ERROR"))
                     ? SFN_CLI_OK
                     : SFN_CLI_REJECTED;
    } else {
        fprintf(stderr, "stepd test-state: %s: %s\n",
                err.name[0] ? err.name : "error", err.cause);
    }
    json_decref(out);
    json_decref(req);
    sfn_service_free(svc);
    sfn_cli_remove_db(db);
    free(text);
    return status;
}
