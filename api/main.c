/* main.c: the `stepd` binary, the composition root.  It only picks the
 * subcommand; each one lives in its own api/cli_<name>.c.  Adding a
 * subcommand is one entry in the table below. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifndef STEPD_VERSION
#define STEPD_VERSION "0.1.0"
#endif

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"validate", sfn_cli_validate, "check state machine definitions"},
    {"graph", sfn_cli_graph, "draw a definition as Graphviz DOT or Mermaid"},
    {"lower", sfn_cli_lower,
     "turn stepd extensions (Compensation) into plain ASL for AWS"},
    {"load", sfn_cli_load, "validate and store definitions in the database"},
    {"run", sfn_cli_run, "run one execution (optionally with mocked tasks)"},
    {"history", sfn_cli_history, "print the event history of an execution"},
    {"test-state", sfn_cli_test_state, "run one state in isolation (TestState)"},
    {"serve", sfn_cli_serve, "run the engine and the HTTP API"},
    {"demo-service", sfn_cli_demo_service,
     "run the demo order service of samples/order-saga"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fputs("usage: stepd [--help] [--version] COMMAND [ARGS...]\n\n"
          "commands:\n",
          out);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fputs("\nRun 'stepd help COMMAND' or 'stepd COMMAND --help' for the "
          "options of a command.\n",
          out);
}

static const command *find(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

/* `stepd help [COMMAND]`: the command's own --help output. */
static int help(int argc, char **argv)
{
    if (argc < 2) {
        usage(stdout);
        return SFN_CLI_OK;
    }
    const command *c = find(argv[1]);
    if (!c || argc > 2) {
        if (c)
            fputs("stepd help: give one COMMAND\n\n", stderr);
        else
            fprintf(stderr, "stepd help: unknown command '%s'\n\n",
                    argv[1]);
        usage(stderr);
        return SFN_CLI_USAGE;
    }
    char *sub[] = {argv[1], "--help", NULL};
    return c->run(2, sub);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return SFN_CLI_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
        usage(stdout);
        return SFN_CLI_OK;
    }
    if (!strcmp(name, "--version")) {
        printf("stepd %s\n", STEPD_VERSION);
        return SFN_CLI_OK;
    }
    if (!strcmp(name, "help"))
        return help(argc - 1, argv + 1);
    const command *c = find(name);
    if (!c) {
        fprintf(stderr, "stepd: unknown %s '%s'\n\n",
                name[0] == '-' ? "option" : "command", name);
        usage(stderr);
        return SFN_CLI_USAGE;
    }
    return c->run(argc - 1, argv + 1);
}
