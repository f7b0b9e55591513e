/* cli_validate.c: `stepd validate [--json] [--strict-asl] [--warnings]
 * FILE...`: compiles each definition and reports every diagnostic, as text
 * lines or as the JSON shape of AWS's ValidateStateMachineDefinition.
 * Exit 0 when all are valid, 1 when any is not, 2 on a usage error or a file
 * that cannot be read. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sfn_asl.h"
#include "sfn_json.h"

static const char validate_usage[] =
    "usage: stepd validate [--json] [--strict-asl] [--warnings] FILE...\n"
    "  Checks each state machine definition (FILE '-' reads standard input)\n"
    "  and prints 'FILE: OK' or one line per problem:\n"
    "    FILE:/json/pointer: CODE: message\n"
    "  --json        one JSON object per file: {\"result\":\"OK\"|\"FAIL\",\n"
    "                \"diagnostics\":[...]}; for several files an array of\n"
    "                such objects with a \"file\" member\n"
    "  --strict-asl  reject stepd extensions to the Amazon States Language\n"
    "  --warnings    also report warnings (unused or suspicious items)\n"
    "  Exit status: 0 all valid, 1 some invalid, 2 usage or read error.\n";

typedef struct {
    bool json;
    bool warnings;
    sfn_asl_opts opts;
} validate_cfg;

/* Parses the flags; returns the index of the first FILE, or -1 after
 * printing usage (with *status set). */
static int parse_flags(int argc, char **argv, validate_cfg *cfg, int *status)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"strict-asl", no_argument, NULL, 's'},
        {"warnings", no_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': cfg->json = true; break;
        case 's': cfg->opts.strict_asl = true; break;
        case 'w': cfg->warnings = cfg->opts.warnings = true; break;
        case 'h':
            fputs(validate_usage, stdout);
            *status = SFN_CLI_OK;
            return -1;
        default:
            fprintf(stderr, "stepd validate: unknown option '%s'\n",
                    argv[optind - 1]);
            fputs(validate_usage, stderr);
            *status = SFN_CLI_USAGE;
            return -1;
        }
    }
    if (optind >= argc) {
        fputs("stepd validate: no FILE given\n", stderr);
        fputs(validate_usage, stderr);
        *status = SFN_CLI_USAGE;
        return -1;
    }
    return optind;
}

/* The JSON report for one compiled file: new reference, NULL on ENOMEM. */
static json_t *file_report(const char *name, const sfn_diags *d,
                           bool warnings, bool with_file)
{
    json_t *body = sfn_diags_to_json(d, warnings);
    if (!body || !with_file)
        return body;
    json_t *obj = json_object();
    if (!obj || json_object_set_new(obj, "file", json_string(name)) ||
        json_object_update(obj, body)) {
        json_decref(obj);
        obj = NULL;
    }
    json_decref(body);
    return obj;
}

/* Validates one file.  Text mode prints as it goes; JSON mode appends the
 * file's report to `reports`.  Returns the file's exit status. */
static int validate_one(const char *path, const validate_cfg *cfg,
                        json_t *reports, bool with_file)
{
    const char *name = sfn_cli_display_name(path);
    size_t len = 0;
    char *text = sfn_cli_read_file(path, &len);
    if (!text) {
        fprintf(stderr, "stepd validate: cannot read '%s': %s\n", name,
                strerror(errno));
        return SFN_CLI_USAGE;
    }
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    sfn_rc rc = sfn_asl_compile_text(text, len, &cfg->opts, &d, &g);
    int status = rc == SFN_OK ? SFN_CLI_OK : SFN_CLI_REJECTED;
    if (rc == SFN_ENOMEM) {
        fprintf(stderr, "stepd validate: %s: out of memory\n", name);
        status = SFN_CLI_USAGE;
    } else if (cfg->json) {
        json_t *r = file_report(name, &d, cfg->warnings, with_file);
        if (!r || json_array_append_new(reports, r)) {
            fprintf(stderr, "stepd validate: %s: out of memory\n", name);
            status = SFN_CLI_USAGE;
        }
    } else {
        sfn_cli_print_diags(stdout, name, &d, cfg->warnings);
        if (status == SFN_CLI_OK)
            printf("%s: OK\n", name);
    }
    sfn_graph_unref(g);
    sfn_diags_free(&d);
    free(text);
    return status;
}

/* Prints the JSON reports: the single object for one FILE, else the array. */
static int print_reports(json_t *reports, bool single)
{
    if (single && json_array_size(reports) == 0)
        return 0;
    json_t *v = single ? json_array_get(reports, 0) : reports;
    char *s = sfn_json_dumps(v, 0);
    if (!s) {
        fputs("stepd validate: out of memory\n", stderr);
        return -1;
    }
    printf("%s\n", s);
    free(s);
    return 0;
}

int sfn_cli_validate(int argc, char **argv)
{
    validate_cfg cfg = {0};
    int status = SFN_CLI_OK;
    int first = parse_flags(argc, argv, &cfg, &status);
    if (first < 0)
        return status;
    json_t *reports = cfg.json ? json_array() : NULL;
    if (cfg.json && !reports) {
        fputs("stepd validate: out of memory\n", stderr);
        return SFN_CLI_USAGE;
    }
    bool single = argc - first == 1;
    for (int i = first; i < argc; i++) {
        int st = validate_one(argv[i], &cfg, reports, !single);
        if (st > status)
            status = st;
    }
    if (cfg.json && print_reports(reports, single) < 0)
        status = SFN_CLI_USAGE;
    json_decref(reports);
    fflush(stdout);
    return status;
}
