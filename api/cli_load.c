/* cli_load.c: `stepd load [--db PATH] [--name NAME] [--type T] FILE...`:
 * validates definitions and stores each as a state machine (a new revision
 * when it changed) in the SQLite store, the same database `stepd serve`
 * uses.  A file that does not validate is reported and not stored. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sfn_asl.h"
#include "sfn_clock.h"
#include "sfn_store.h"

static const char load_usage[] =
    "usage: stepd load [--db PATH] [--name NAME] [--type STANDARD|EXPRESS] "
    "FILE...\n"
    "  Validates each definition and stores it as a state machine named\n"
    "  after the file (without .asl.json / .json) or NAME (one file only).\n"
    "  --db PATH   SQLite database (default: stepd.db)\n";

/* "samples/order-saga.asl.json" -> "order-saga" (malloc'd). */
static char *name_from_path(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char *name = strdup(base);
    if (!name)
        return NULL;
    const char *suffixes[] = {".asl.json", ".json"};
    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(name), k = strlen(suffixes[i]);
        if (n > k && !strcmp(name + n - k, suffixes[i])) {
            name[n - k] = '\0';
            break;
        }
    }
    return name;
}

static int load_one(sfn_store *store, const char *file, const char *name,
                    const char *type)
{
    size_t len = 0;
    char *text = sfn_cli_read_file(file, &len);
    if (!text) {
        fprintf(stderr, "stepd load: cannot read '%s': %s\n", file,
                strerror(errno));
        return 2;
    }
    sfn_diags diags;
    sfn_diags_init(&diags);
    sfn_graph *g = NULL;
    sfn_asl_opts opts = {0};
    int status = 0;
    if (sfn_asl_compile_text(text, len, &opts, &diags, &g) != SFN_OK) {
        sfn_cli_print_diags(stderr, sfn_cli_display_name(file), &diags, false);
        status = 1;
        goto out;
    }
    char *auto_name = name ? NULL : name_from_path(file);
    sfn_error err;
    int64_t rev = 0;
    if (sfn_store_put_machine(store, name ? name : auto_name, type, text,
                              sfn_clock_now_ms(sfn_clock_real()), &rev,
                              &err) != SFN_OK) {
        fprintf(stderr, "stepd load: %s: %s\n", file, err.cause);
        status = 2;
    } else {
        printf("%s: loaded as '%s' (revision %lld)\n", file,
               name ? name : auto_name, (long long)rev);
    }
    free(auto_name);
out:
    sfn_graph_unref(g);
    sfn_diags_free(&diags);
    free(text);
    return status;
}

int sfn_cli_load(int argc, char **argv)
{
    const char *db = "stepd.db", *name = NULL, *type = "STANDARD";
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"name", required_argument, NULL, 'n'},
        {"type", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'n': name = optarg; break;
        case 't': type = optarg; break;
        case 'h': fputs(load_usage, stdout); return 0;
        default: fputs(load_usage, stderr); return 2;
        }
    }
    if (optind >= argc || (name && argc - optind > 1) ||
        (strcmp(type, "STANDARD") && strcmp(type, "EXPRESS"))) {
        fputs(load_usage, stderr);
        return 2;
    }
    sfn_store *store = NULL;
    sfn_error err;
    if (sfn_store_open(db, NULL, &store, &err) != SFN_OK) {
        fprintf(stderr, "stepd load: %s\n", err.cause);
        return 2;
    }
    int worst = 0;
    for (int i = optind; i < argc; i++) {
        int st = load_one(store, argv[i], name, type);
        if (st > worst)
            worst = st;
    }
    sfn_store_close(store);
    return worst;
}
