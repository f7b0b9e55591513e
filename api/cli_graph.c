/* cli_graph.c: `stepd graph [--format dot|mermaid] FILE`: compiles a
 * definition and prints it as a Graphviz DOT digraph or a Mermaid
 * flowchart.  An invalid definition prints its diagnostics on stderr, as
 * `stepd validate` would, and exits 1. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sfn_asl.h"
#include "sfn_asl_render.h"

static const char graph_usage[] =
    "usage: stepd graph [--format dot|mermaid] FILE\n"
    "  Prints the state machine in FILE ('-' reads standard input) as a\n"
    "  Graphviz DOT digraph (default; e.g. pipe into 'dot -Tsvg') or a\n"
    "  Mermaid flowchart.\n"
    "  Exit status: 0 drawn, 1 invalid definition, 2 usage or read error.\n";

/* Returns the FILE argument, or NULL after printing usage (with *status). */
static const char *parse_flags(int argc, char **argv, sfn_render_fmt *fmt,
                               int *status)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    sfn_error err;
    int c;
    optind = 0;
    opterr = 0;
    *status = SFN_CLI_USAGE;
    while ((c = getopt_long(argc, argv, "hf:", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (sfn_asl_render_fmt_parse(optarg, fmt, &err) == SFN_OK)
                break;
            fprintf(stderr, "stepd graph: %s\n", err.cause);
            return NULL;
        case 'h':
            fputs(graph_usage, stdout);
            *status = SFN_CLI_OK;
            return NULL;
        default:
            fprintf(stderr, "stepd graph: option '%s' %s\n", argv[optind - 1],
                    optopt == 'f' ? "needs a value" : "is unknown");
            fputs(graph_usage, stderr);
            return NULL;
        }
    }
    if (argc - optind != 1) {
        fputs(optind >= argc ? "stepd graph: no FILE given\n"
                             : "stepd graph: give exactly one FILE\n",
              stderr);
        fputs(graph_usage, stderr);
        return NULL;
    }
    return argv[optind];
}

/* Compiles `path`; NULL (status in *status, messages printed) on failure. */
static sfn_graph *compile_file(const char *path, int *status)
{
    const char *name = sfn_cli_display_name(path);
    size_t len = 0;
    char *text = sfn_cli_read_file(path, &len);
    if (!text) {
        fprintf(stderr, "stepd graph: cannot read '%s': %s\n", name,
                strerror(errno));
        *status = SFN_CLI_USAGE;
        return NULL;
    }
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    sfn_asl_opts opts = {0};
    sfn_rc rc = sfn_asl_compile_text(text, len, &opts, &d, &g);
    if (rc != SFN_OK) {
        sfn_cli_print_diags(stderr, name, &d, false);
        if (rc == SFN_ENOMEM)
            fprintf(stderr, "stepd graph: %s: out of memory\n", name);
        *status = rc == SFN_ENOMEM ? SFN_CLI_USAGE : SFN_CLI_REJECTED;
        g = NULL;
    }
    sfn_diags_free(&d);
    free(text);
    return g;
}

int sfn_cli_graph(int argc, char **argv)
{
    sfn_render_fmt fmt = SFN_RENDER_DOT;
    int status;
    const char *path = parse_flags(argc, argv, &fmt, &status);
    if (!path)
        return status;
    sfn_graph *g = compile_file(path, &status);
    if (!g)
        return status;
    char *text = NULL;
    size_t len = 0;
    sfn_error err;
    status = SFN_CLI_OK;
    if (sfn_asl_render(g, fmt, &text, &len, &err) != SFN_OK) {
        fprintf(stderr, "stepd graph: %s\n", err.cause);
        status = SFN_CLI_USAGE;
    } else if (fwrite(text, 1, len, stdout) != len || fflush(stdout)) {
        fprintf(stderr, "stepd graph: cannot write output: %s\n",
                strerror(errno));
        status = SFN_CLI_USAGE;
    }
    free(text);
    sfn_graph_unref(g);
    return status;
}
