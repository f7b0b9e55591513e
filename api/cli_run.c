/* cli_run.c: `stepd run` (one execution to completion in-process, with the
 * same engine, SQLite store and task dispatcher as the server, optionally
 * under a Step Functions Local mock test case) and `stepd history` (the
 * event history of an execution in a database). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "sfn_asl.h"
#include "sfn_config.h"
#include "sfn_engine.h"
#include "sfn_json.h"
#include "sfn_store.h"
#include "sfn_tasks.h"

static const char run_usage[] =
    "usage: stepd run FILE [--input JSON | --input-file F] [--db PATH]\n"
    "                 [--name NAME] [--json] [--sync normal|full]\n"
    "                 [--max-history-events N] [--max-payload-bytes N]\n"
    "                 [--mock-config FILE] [--test-case NAME] [--config FILE]\n"
    "  Runs one execution of the definition in FILE to completion and prints\n"
    "  its result.  --db keeps the database (default: a temporary file).\n"
    "  The state machine is named after FILE (orders.asl.json: orders).\n"
    "  --mock-config: a Step Functions Local mock file (default: env\n"
    "  SFN_MOCK_CONFIG); --test-case runs the execution under that file's\n"
    "  StateMachines.<name>.TestCases.NAME: its states get the mocked\n"
    "  responses, other Task states call their resources as usual.\n"
    "  --config: a stepd config file (as for serve); its http.*, tasks.*,\n"
    "  connections and bindings apply to the run's Task states.\n"
    "  --json prints {\"executionArn\",\"status\",\"output\",\"error\","
    "\"cause\"}.\n"
    "  --sync: SQLite synchronous mode (default normal).  The limits default\n"
    "  to AWS's: 25000 history events, 262144 bytes of state input/output.\n"
    "  Exit 0 SUCCEEDED, 1 FAILED/TIMED_OUT/ABORTED, 2 usage or invalid "
    "definition.\n";

static const char history_usage[] =
    "usage: stepd history --db PATH EXECUTION [--json] [--reverse]\n"
    "  EXECUTION is an execution ARN or name.  Prints the event history as a\n"
    "  table, or with --json as GetExecutionHistory's {\"events\": [...]}.\n";

/* Compiles a stored revision for the engine (recovery). */
static sfn_graph *load_graph(void *ud, const char *machine, int64_t revision,
                             sfn_error *err)
{
    sfn_store *store = ud;
    sfn_machine_rec m = {0};
    if (sfn_store_get_machine(store, machine, revision, &m, err) != SFN_OK)
        return NULL;
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    sfn_asl_opts o = {0};
    if (sfn_asl_compile_text(m.definition, strlen(m.definition), &o, &d, &g) !=
        SFN_OK)
        sfn_error_set(err, SFN_EINVAL, NULL, -1,
                      "stored definition of '%s' no longer compiles", machine);
    sfn_diags_free(&d);
    sfn_machine_rec_free(&m);
    return g;
}

typedef struct progress {
    int64_t start_ms;
    bool live;
} progress;

static void on_event(void *ud, const sfn_execution *x, const sfn_event *ev)
{
    progress *p = ud;
    (void)x;
    if (!p->live)
        return;
    json_t *name = ev->details ? json_object_get(ev->details, "name") : NULL;
    fprintf(stderr, "  %5lld  %-28s %-24s +%.3fs\n", (long long)ev->id,
            sfn_event_type_name(ev->type),
            json_is_string(name) ? json_string_value(name) : "",
            (double)(ev->ts_ms - p->start_ms) / 1000.0);
}

static json_t *parse_input(const char *text, size_t len, const char *what)
{
    json_error_t je;
    json_t *v = sfn_json_loadb(text, len, JSON_DECODE_ANY, &je);
    if (!v)
        fprintf(stderr, "stepd run: %s is not JSON: %s (line %d, column %d)\n",
                what, je.text, je.line, je.column);
    return v;
}

static char *machine_name(const char *path)
{
    const char *base = strrchr(path, '/');
    char *name = strdup(base ? base + 1 : path);
    char *dot = name ? strstr(name, ".asl.json") : NULL;
    if (!dot && name)
        dot = strstr(name, ".json");
    if (dot && dot != name)
        *dot = '\0';
    return name;
}

static void print_result(const sfn_exec_rec *r, bool as_json)
{
    static const char *const names[] = {"RUNNING", "SUCCEEDED", "FAILED",
                                        "TIMED_OUT", "ABORTED"};
    const char *status = r->status >= 0 && r->status <= 4 ? names[r->status]
                                                           : "UNKNOWN";
    if (as_json) {
        json_t *o = json_object();
        json_object_set_new(o, "executionArn", json_string(r->arn));
        json_object_set_new(o, "status", json_string(status));
        if (r->output) {
            json_error_t je;
            json_t *out = sfn_json_loadb(r->output, strlen(r->output),
                                         JSON_DECODE_ANY, &je);
            if (out)
                json_object_set_new(o, "output", out);
        }
        if (r->error)
            json_object_set_new(o, "error", json_string(r->error));
        if (r->cause)
            json_object_set_new(o, "cause", json_string(r->cause));
        char *text = sfn_json_dumps(o, 0);
        printf("%s\n", text ? text : "{}");
        free(text);
        json_decref(o);
        return;
    }
    printf("%s %s\n", status, r->arn);
    if (r->output)
        printf("output: %s\n", r->output);
    if (r->error)
        printf("error: %s\n", r->error);
    if (r->cause)
        printf("cause: %s\n", r->cause);
}

typedef struct run_args {
    const char *file, *input_text, *input_file, *db, *name;
    const char *mock_config, *test_case, *config;
    bool json;
    sfn_sync_mode sync;
    sfn_exec_limits limits;
} run_args;

static bool parse_count(const char *s, long long min, long long *out)
{
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v < min)
        return false;
    *out = v;
    return true;
}

static int parse_run_args(int argc, char **argv, run_args *a)
{
    static const struct option longopts[] = {
        {"input", required_argument, NULL, 'i'},
        {"input-file", required_argument, NULL, 'f'},
        {"db", required_argument, NULL, 'd'},
        {"name", required_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},
        {"sync", required_argument, NULL, 's'},
        {"max-history-events", required_argument, NULL, 'H'},
        {"max-payload-bytes", required_argument, NULL, 'P'},
        {"mock-config", required_argument, NULL, 'M'},
        {"test-case", required_argument, NULL, 'T'},
        {"config", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;
    long long v = 0;
    a->limits = sfn_exec_limits_default();
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (!strcmp(optarg, "normal") || !strcmp(optarg, "full")) {
                a->sync = optarg[0] == 'f' ? SFN_SYNC_FULL : SFN_SYNC_NORMAL;
                break;
            }
            fprintf(stderr, "stepd run: --sync must be normal or full, not "
                            "'%s'\n", optarg);
            return SFN_CLI_USAGE;
        case 'H':
        case 'P':
            if (!parse_count(optarg, 1, &v)) {
                fprintf(stderr, "stepd run: --%s needs a positive integer, "
                                "not '%s'\n",
                        c == 'H' ? "max-history-events" : "max-payload-bytes",
                        optarg);
                return SFN_CLI_USAGE;
            }
            if (c == 'H')
                a->limits.history_events_max = v;
            else
                a->limits.payload_bytes_max = (size_t)v;
            break;
        case 'i': a->input_text = optarg; break;
        case 'f': a->input_file = optarg; break;
        case 'd': a->db = optarg; break;
        case 'n': a->name = optarg; break;
        case 'M': a->mock_config = optarg; break;
        case 'T': a->test_case = optarg; break;
        case 'C': a->config = optarg; break;
        case 'j': a->json = true; break;
        case 'h': fputs(run_usage, stdout); return -1;
        default: fputs(run_usage, stderr); return SFN_CLI_USAGE;
        }
    }
    if (optind != argc - 1 || (a->input_text && a->input_file)) {
        fputs(run_usage, stderr);
        return SFN_CLI_USAGE;
    }
    a->file = argv[optind];
    if (!a->mock_config) {
        const char *env = getenv("SFN_MOCK_CONFIG");
        a->mock_config = env && *env ? env : NULL;
    }
    if (a->test_case && !a->mock_config) {
        fprintf(stderr, "stepd run: --test-case '%s' needs a mock config "
                        "(--mock-config FILE or SFN_MOCK_CONFIG)\n",
                a->test_case);
        return SFN_CLI_USAGE;
    }
    return 0;
}

/* The dispatcher of the run: built-in resources, the HTTP Task and, with a
 * mock file, its mocked responses.  NULL (message printed) when the mock
 * file is bad, lacks the test case, or the graph has a Task nothing runs. */
static sfn_tasks *open_tasks(const run_args *a, const char *machine,
                             const sfn_graph *g)
{
    sfn_tasks_config tc = {.http_timeout_s = 60,
                           .mock_file = (char *)a->mock_config,
                           .region = "us-east-1"};
    sfn_error err;
    sfn_config cfg;
    bool have_cfg = false;
    if (a->config) {
        /* the same file `stepd serve --config` reads */
        if (sfn_config_defaults(&cfg, &err) != SFN_OK ||
            sfn_config_apply_file(&cfg, a->config, &err) != SFN_OK) {
            fprintf(stderr, "stepd run: %s\n", err.cause);
            sfn_config_free(&cfg);
            return NULL;
        }
        have_cfg = true;
        tc = cfg.tasks;
        if (a->mock_config)
            tc.mock_file = (char *)a->mock_config;
    }
    sfn_tasks *t = sfn_tasks_new(&tc, &err);
    if (have_cfg)
        sfn_config_free(&cfg);
    if (!t) {
        fprintf(stderr, "stepd run: %s\n", err.cause);
        return NULL;
    }
    if (a->test_case && !sfn_tasks_has_test_case(t, machine, a->test_case)) {
        fprintf(stderr,
                "stepd run: --test-case '%s': the mock config '%s' has no "
                "test case '%s' for state machine '%s' (expected at "
                "/StateMachines/%s/TestCases/%s)\n",
                a->test_case, a->mock_config, a->test_case, machine, machine,
                a->test_case);
        sfn_tasks_free(t);
        return NULL;
    }
    if (sfn_tasks_check_graph(t, g, a->test_case, &err) != SFN_OK) {
        fprintf(stderr, "stepd run: %s\n", err.cause);
        sfn_tasks_free(t);
        return NULL;
    }
    return t;
}

static int execute(const run_args *a, const char *mname, sfn_tasks *tasks,
                   sfn_graph *g, const char *text, json_t *input,
                   sfn_store *store)
{
    sfn_error err;
    int64_t rev = 0;
    if (sfn_store_put_machine(store, mname, "STANDARD", text,
                              sfn_clock_now_ms(sfn_clock_real()), &rev,
                              &err) != SFN_OK) {
        fprintf(stderr, "stepd run: %s\n", err.cause);
        return SFN_CLI_USAGE;
    }
    progress p = {sfn_clock_now_ms(sfn_clock_real()),
                  !a->json && isatty(STDERR_FILENO)};
    sfn_engine_opts o = {.store = store, .load_graph = load_graph,
                         .load_ud = store, .observer = on_event,
                         .observer_ud = &p, .limits = a->limits,
                         .tasks = tasks};
    sfn_engine *e = sfn_engine_new(&o, &err);
    char *arn = NULL;
    int status = SFN_CLI_USAGE;
    if (e &&
        sfn_engine_start_case(e, mname, rev, g, a->name, input, a->test_case,
                              &arn, &err) == SFN_OK &&
        sfn_engine_run_until_idle(e, &err) == SFN_OK) {
        sfn_exec_rec r = {0};
        if (sfn_store_get_execution(store, arn, &r, &err) == SFN_OK) {
            print_result(&r, a->json);
            status = r.status == 1 ? SFN_CLI_OK : SFN_CLI_REJECTED;
            sfn_exec_rec_free(&r);
        }
    }
    if (status == SFN_CLI_USAGE)
        fprintf(stderr, "stepd run: %s\n", err.cause);
    free(arn);
    sfn_engine_free(e);
    return status;
}

int sfn_cli_run(int argc, char **argv)
{
    run_args a = {0};
    int rc = parse_run_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? SFN_CLI_OK : rc;
    size_t len = 0;
    char *text = sfn_cli_read_file(a.file, &len);
    if (!text) {
        fprintf(stderr, "stepd run: cannot read '%s': %s\n", a.file,
                strerror(errno));
        return SFN_CLI_USAGE;
    }
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    sfn_asl_opts opts = {0};
    json_t *input = NULL;
    sfn_store *store = NULL;
    sfn_tasks *tasks = NULL;
    char *mname = NULL;
    char tmp[] = "/tmp/stepd-run-XXXXXX";
    bool made_tmp = false;
    int status = SFN_CLI_USAGE;
    if (sfn_asl_compile_text(text, len, &opts, &d, &g) != SFN_OK) {
        sfn_cli_print_diags(stderr, sfn_cli_display_name(a.file), &d, false);
        goto out;
    }
    if (a.input_file) {
        size_t n = 0;
        char *t = sfn_cli_read_file(a.input_file, &n);
        if (!t) {
            fprintf(stderr, "stepd run: cannot read '%s': %s\n", a.input_file,
                    strerror(errno));
            goto out;
        }
        input = parse_input(t, n, a.input_file);
        free(t);
    } else {
        const char *t = a.input_text ? a.input_text : "{}";
        input = parse_input(t, strlen(t), "--input");
    }
    if (!input)
        goto out;
    mname = machine_name(a.file);
    if (!mname) {
        fprintf(stderr, "stepd run: out of memory\n");
        goto out;
    }
    tasks = open_tasks(&a, mname, g);
    if (!tasks)
        goto out;
    const char *db = a.db;
    if (!db) {
        int fd = mkstemp(tmp);
        if (fd < 0) {
            fprintf(stderr, "stepd run: cannot create a temporary database: "
                            "%s\n", strerror(errno));
            goto out;
        }
        close(fd);
        db = tmp;
        made_tmp = true;
    }
    sfn_error err;
    /* an engine: refused while a stepd serve runs on the same database */
    sfn_store_opts so = {.sync = a.sync, .engine = true};
    if (sfn_store_open(db, &so, &store, &err) != SFN_OK) {
        fprintf(stderr, "stepd run: %s\n", err.cause);
        goto out;
    }
    status = execute(&a, mname, tasks, g, text, input, store);
out:
    sfn_store_close(store);
    sfn_tasks_free(tasks);
    free(mname);
    if (made_tmp)
        sfn_cli_remove_db(tmp);
    json_decref(input);
    sfn_graph_unref(g);
    sfn_diags_free(&d);
    free(text);
    return status;
}

/* ---- history ---------------------------------------------------------- */

typedef struct hist_ctx {
    json_t *events;
    bool as_json;
} hist_ctx;

static int print_event(const sfn_store_event *se, void *ud)
{
    hist_ctx *h = ud;
    sfn_event ev = {se->id, se->prev, se->ts_ms, (sfn_event_type)se->type,
                    NULL};
    json_error_t je;
    if (se->details)
        ev.details = sfn_json_loadb(se->details, strlen(se->details), 0, &je);
    if (h->as_json) {
        json_array_append_new(h->events, sfn_event_to_json(&ev, 1));
    } else {
        json_t *name = ev.details ? json_object_get(ev.details, "name") : NULL;
        const char *type = sfn_event_type_name(ev.type);
        printf("%6lld %6lld  %13.3f  %-28s %s\n", (long long)ev.id,
               (long long)ev.prev, (double)ev.ts_ms / 1000.0,
               type ? type : "?",
               json_is_string(name) ? json_string_value(name) : "");
    }
    json_decref(ev.details);
    return 0;
}

int sfn_cli_history(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {"reverse", no_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *db = NULL;
    bool as_json = false, reverse = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'j': as_json = true; break;
        case 'r': reverse = true; break;
        case 'h': fputs(history_usage, stdout); return SFN_CLI_OK;
        default: fputs(history_usage, stderr); return SFN_CLI_USAGE;
        }
    }
    if (!db || optind != argc - 1) {
        fputs(history_usage, stderr);
        return SFN_CLI_USAGE;
    }
    const char *which = argv[optind];
    sfn_store *store = NULL;
    sfn_error err;
    sfn_store_opts so = {.read_only = true};
    if (!sfn_store_spec_is_url(db) && access(db, R_OK) != 0) {
        fprintf(stderr, "stepd history: cannot read '%s': %s\n", db,
                strerror(errno));
        return SFN_CLI_USAGE;
    }
    if (sfn_store_open(db, &so, &store, &err) != SFN_OK) {
        fprintf(stderr, "stepd history: %s\n", err.cause);
        return SFN_CLI_USAGE;
    }
    char *arn = NULL;
    sfn_exec_rec r = {0};
    int status = SFN_CLI_REJECTED;
    if (strncmp(which, "arn:", 4) &&
        sfn_store_find_execution(store, which, &arn, &err) != SFN_OK) {
        fprintf(stderr, "stepd history: %s\n", err.cause);
        goto out;
    }
    if (sfn_store_get_execution(store, arn ? arn : which, &r, &err) !=
        SFN_OK) {
        fprintf(stderr, "stepd history: %s\n", err.cause);
        goto out;
    }
    hist_ctx h = {as_json ? json_array() : NULL, as_json};
    if (!as_json)
        printf("%6s %6s  %13s  %-28s %s\n", "ID", "PREV", "TIMESTAMP", "TYPE",
               "STATE");
    if (sfn_store_get_history(store, r.id, 0, 0, reverse, print_event, &h,
                              &err) == SFN_OK) {
        status = SFN_CLI_OK;
        if (as_json) {
            json_t *o = json_pack("{s:o}", "events", h.events);
            char *text = sfn_json_dumps(o, 0);
            printf("%s\n", text ? text : "{}");
            free(text);
            json_decref(o);
        }
    } else {
        json_decref(h.events);
        fprintf(stderr, "stepd history: %s\n", err.cause);
    }
out:
    sfn_exec_rec_free(&r);
    free(arn);
    sfn_store_close(store);
    return status;
}
