/* cli_serve.c: `stepd serve`: one process running the durable engine and
 * the HTTP API (AWS JSON 1.0 protocol and REST) over one SQLite database.
 * It reads the settings (sfn_config.h), starts the service and the server,
 * then waits for SIGTERM/SIGINT to stop gracefully: stop accepting, answer
 * what is in flight, let the engine commit, exit 0. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sfn_config.h"
#include "sfn_log.h"
#include "sfn_metrics.h"
#include "sfn_server.h"
#include "sfn_service.h"
#include "sfn_tasks.h"

static void serve_usage(FILE *out)
{
    fputs("usage: stepd serve [--listen HOST:PORT] [--db FILE|URL] "
          "[--config FILE]\n"
          "                   [--log-level debug|info|warn|error] "
          "[--log-format text|json] [--KEY VALUE...]\n"
          "  Runs the engine and the HTTP API: the AWS Step Functions "
          "protocol\n"
          "  (POST / with X-Amz-Target) and REST under /v1, /healthz and "
          "/metrics.\n"
          "  Settings come from defaults < the JSON file (--config, "
          "STEPD_CONFIG)\n"
          "  < STEPD_* environment variables < flags:\n\n",
          out);
    size_t n = 0;
    const sfn_config_doc *d = sfn_config_docs(&n);
    for (size_t i = 0; i < n; i++) {
        char flag[96];
        sfn_config_flag_name(d[i].key, flag, sizeof flag);
        fprintf(out, "  %-36s %s (default: %s)\n", flag, d[i].help,
                *d[i].def ? d[i].def : "none");
    }
}

static const char *env(const char *name)
{
    return getenv(name);
}

static sfn_service *open_service(const sfn_config *c, sfn_tasks *tasks,
                                 sfn_error *err)
{
    sfn_service_opts o;
    memset(&o, 0, sizeof o);
    o.db_path = c->db;
    o.node_id = c->node_id;
    o.lease_ms = c->lease_seconds * 1000;
    o.sync = c->sync;
    o.region = c->region;
    o.account = c->account;
    o.limits.history_events_max = c->limits.history_events;
    o.limits.payload_bytes_max = (size_t)c->limits.payload_bytes;
    o.limits.map_concurrency_max = (uint32_t)c->limits.map_concurrency;
    o.max_open_executions = c->limits.open_executions;
    o.tasks = tasks;
    return sfn_service_new(&o, err);
}

static void announce(sfn_log *log, const sfn_config *c, bool loopback)
{
    char url[300];
    snprintf(url, sizeof url, "http://%s", c->listen);
    char *db = sfn_store_spec_redacted(c->db); /* never a password */
    sfn_log_field f[] = {{"url", url, 0},
                         {"db", db ? db : "", 0},
                         {"config", c->config_file ? c->config_file : "", 0}};
    sfn_log_write(log, SFN_LOG_INFO, NULL, f, c->config_file ? 3 : 2,
                  "stepd serve listening");
    free(db);
    sfn_log_write(log, SFN_LOG_INFO, NULL, NULL, 0,
                  "try: curl -s -X PUT -H 'Content-Type: application/json'%s "
                  "--data-binary @samples/hello-world.asl.json "
                  "%s/v1/state-machines/hello-world",
                  c->auth_token ? " -H \"Authorization: Bearer $STEPD_TOKEN\""
                                : "",
                  url);
    sfn_log_write(log, SFN_LOG_INFO, NULL, NULL, 0, "web console: %s/ui/",
                  url);
    if (!c->tasks.n_allow)
        sfn_log_write(log, SFN_LOG_WARN, NULL, NULL, 0,
                      "http.allow is not set: HTTP tasks and resource "
                      "bindings may call any destination, internal "
                      "addresses included");
    else
        sfn_log_write(log, SFN_LOG_INFO, NULL, NULL, 0,
                      "outbound HTTP limited to %zu http.allow entries",
                      c->tasks.n_allow);
    if (c->tasks.mock_file)
        sfn_log_write(log, SFN_LOG_INFO, NULL, NULL, 0,
                      "mock config %s: start executions of ARN#TestCase "
                      "to use it",
                      c->tasks.mock_file);
    if (!loopback && !c->auth_token)
        sfn_log_write(log, SFN_LOG_WARN, NULL, NULL, 0,
                      "listening on a non-loopback address without "
                      "auth.token: anyone who can reach %s can run "
                      "workflows",
                      c->listen);
}

/* Blocks until SIGTERM or SIGINT (blocked in every thread, see below). */
static int wait_signal(const sigset_t *set)
{
    int sig = 0;
    while (sigwait(set, &sig) != 0)
        ;
    return sig;
}

static int run(const sfn_config *c, sfn_log *log, const sigset_t *set)
{
    sfn_error err;
    sfn_error_clear(&err);
    sfn_tasks *tasks = sfn_tasks_new(&c->tasks, &err);
    if (!tasks) {
        sfn_log_write(log, SFN_LOG_ERROR, NULL, NULL, 0, "%s", err.cause);
        return 1;
    }
    sfn_service *svc = open_service(c, tasks, &err);
    if (!svc) {
        sfn_tasks_free(tasks);
        char *db = sfn_store_spec_redacted(c->db);
        sfn_log_write(log, SFN_LOG_ERROR, NULL, NULL, 0,
                      "cannot open the service on '%s': %s", db ? db : "",
                      err.cause);
        free(db);
        return 1;
    }
    sfn_metrics metrics;
    sfn_metrics_init(&metrics);
    sfn_server_opts so = {svc, c, log, &metrics};
    sfn_server *server = sfn_server_start(&so, &err);
    if (!server) {
        sfn_log_write(log, SFN_LOG_ERROR, NULL, NULL, 0, "%s", err.cause);
        sfn_service_free(svc);
        sfn_tasks_free(tasks);
        sfn_metrics_destroy(&metrics);
        return 1;
    }
    announce(log, c, sfn_server_is_loopback(server));
    int sig = wait_signal(set);
    sfn_log_write(log, SFN_LOG_INFO, NULL, NULL, 0,
                  "%s: finishing requests in flight, then stopping",
                  strsignal(sig));
    sfn_server_stop(server);
    sfn_service_free(svc);
    sfn_tasks_free(tasks);
    sfn_metrics_destroy(&metrics);
    sfn_log_write(log, SFN_LOG_INFO, NULL, NULL, 0, "stopped");
    return 0;
}

int sfn_cli_serve(int argc, char **argv)
{
    sfn_config cfg;
    sfn_error err;
    sfn_error_clear(&err);
    bool help = false;
    if (sfn_config_load(&cfg, argc, argv, env, &help, &err) != SFN_OK) {
        fprintf(stderr, "stepd serve: %s\n", err.cause);
        sfn_config_free(&cfg);
        return SFN_CLI_USAGE;
    }
    if (help) {
        serve_usage(stdout);
        sfn_config_free(&cfg);
        return SFN_CLI_OK;
    }
    /* blocked before any thread starts, so every thread inherits the mask
     * and only sigwait below sees the signals */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    sfn_log log;
    sfn_log_init(&log, cfg.log_level, cfg.log_format, stderr);
    int status = run(&cfg, &log, &set);
    sfn_log_destroy(&log);
    sfn_config_free(&cfg);
    return status;
}
