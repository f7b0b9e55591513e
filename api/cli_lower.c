/* cli_lower.c: `stepd lower FILE [-o OUT]`: prints the plain-ASL form of a
 * definition that uses the stepd Compensation extension (see
 * statemachines/sfn_asl_lower.h), ready for AWS Step Functions.  Exit 0 on
 * success, 1 when the definition is invalid or cannot be lowered, 2 on a
 * usage error or a file that cannot be read or written. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sfn_asl.h"
#include "sfn_asl_lower.h"
#include "sfn_json.h"

static const char lower_usage[] =
    "usage: stepd lower FILE [-o OUT]\n"
    "  Turns a definition that uses stepd extensions (Compensation,\n"
    "  PointOfNoReturn, Compensate, CompensationPolicy) into plain Amazon\n"
    "  States Language that AWS Step Functions accepts and that runs to the\n"
    "  same outcome: Catch chains into generated undo states, with what the\n"
    "  undos read kept in workflow variables.  The result passes\n"
    "  `stepd validate --strict-asl`.  FILE '-' reads standard input.\n"
    "  -o, --output OUT  write to OUT instead of standard output\n"
    "  Problems print as FILE:/json/pointer: CODE: message.\n"
    "  Exit status: 0 lowered, 1 invalid or not lowerable, 2 usage or I/O "
    "error.\n";

/* Parses the flags; returns the FILE argument, or NULL after printing
 * usage (with *status set). */
static const char *parse_flags(int argc, char **argv, const char **out,
                               int *status)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
        if (c == 'o') {
            *out = optarg;
        } else if (c == 'h') {
            fputs(lower_usage, stdout);
            *status = SFN_CLI_OK;
            return NULL;
        } else {
            fprintf(stderr, "stepd lower: %s '%s'\n",
                    optopt == 'o' ? "missing OUT after" : "unknown option",
                    argv[optind - 1]);
            fputs(lower_usage, stderr);
            *status = SFN_CLI_USAGE;
            return NULL;
        }
    }
    if (argc - optind != 1) {
        fputs(argc - optind ? "stepd lower: give exactly one FILE\n"
                            : "stepd lower: no FILE given\n", stderr);
        fputs(lower_usage, stderr);
        *status = SFN_CLI_USAGE;
        return NULL;
    }
    return argv[optind];
}

/* The definition as JSON, or NULL after printing why (*status set).  The
 * compiler reads the text first so that unusable text gets the same
 * diagnostics as `stepd validate`. */
static json_t *load(const char *path, int *status)
{
    const char *name = sfn_cli_display_name(path);
    size_t len = 0;
    char *text = sfn_cli_read_file(path, &len);
    if (!text) {
        fprintf(stderr, "stepd lower: cannot read '%s': %s\n", name,
                strerror(errno));
        *status = SFN_CLI_USAGE;
        return NULL;
    }
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    sfn_rc rc = sfn_asl_compile_text(text, len, NULL, &d, &g);
    json_t *def = NULL;
    if (rc == SFN_OK)
        def = json_incref(g->definition);
    else if (rc == SFN_ENOMEM)
        fprintf(stderr, "stepd lower: %s: out of memory\n", name);
    else
        sfn_cli_print_diags(stderr, name, &d, false);
    *status = rc == SFN_ENOMEM ? SFN_CLI_USAGE : SFN_CLI_REJECTED;
    sfn_graph_unref(g);
    sfn_diags_free(&d);
    free(text);
    return def;
}

static int write_out(const char *out, const char *text)
{
    FILE *f = out ? fopen(out, "w") : stdout;
    if (!f) {
        fprintf(stderr, "stepd lower: cannot write '%s': %s\n", out,
                strerror(errno));
        return SFN_CLI_USAGE;
    }
    bool ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    ok = (out ? fclose(f) == 0 : fflush(f) == 0) && ok;
    if (!ok) {
        fprintf(stderr, "stepd lower: cannot write '%s': %s\n",
                out ? out : "<stdout>", strerror(errno));
        return SFN_CLI_USAGE;
    }
    return SFN_CLI_OK;
}

int sfn_cli_lower(int argc, char **argv)
{
    const char *out = NULL;
    int status = SFN_CLI_OK;
    const char *path = parse_flags(argc, argv, &out, &status);
    if (!path)
        return status;
    json_t *def = load(path, &status);
    if (!def)
        return status;
    sfn_diags d;
    sfn_diags_init(&d);
    json_t *lowered = sfn_asl_lower(def, &d);
    char *text = lowered ? sfn_json_dumps(lowered, 1) : NULL;
    if (!lowered) {
        sfn_cli_print_diags(stderr, sfn_cli_display_name(path), &d, false);
        status = SFN_CLI_REJECTED;
    } else if (!text) {
        fputs("stepd lower: out of memory\n", stderr);
        status = SFN_CLI_USAGE;
    } else {
        status = write_out(out, text);
    }
    free(text);
    json_decref(lowered);
    json_decref(def);
    sfn_diags_free(&d);
    return status;
}
