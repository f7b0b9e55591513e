/* bench_tasks.c: the HTTP Task under load.  1,000 executions, each making
 * 10 sequential arn:aws:states:::http:invoke POSTs, run by the durable
 * engine (SQLite, synchronous=NORMAL, real clock) against an in-process
 * service (libmicrohttpd, epoll) that answers every call after a fixed
 * delay.  Prints wall time against the ideal (10 x delay when every call
 * overlaps), calls/s, executions/s, the per-execution call cycle and
 * engine turnaround seen by the service, the service's peak concurrency,
 * connections opened and peak RSS, then a `json: {...}` line.
 * Usage: bench_tasks [DIR] [--executions N] [--delay MS] [--ports N]
 * (with --delay or --ports only that one run; default: three runs). */
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "sfn_asl.h"
#include "sfn_engine.h"
#include "sfn_json.h"
#include "sfn_store.h"
#include "sfn_tasks.h"

#define STEPS 10
#define MAX_PORTS 64
#define REPLY "{\"ok\":true}"

/* ==== the service ==== */

/* One request; lives from its first access call to its completion. */
typedef struct call {
    struct call *next;          /* in the timer queue                    */
    struct MHD_Connection *conn;
    char body[256];
    size_t len;
    bool counted;               /* arrival recorded                      */
    bool held;                  /* suspended, waiting for the timer      */
    int64_t due_us;
    int slot;                   /* exec * STEPS + step, -1 = unknown     */
} call;

typedef struct svc {
    struct MHD_Daemon *daemon[MAX_PORTS];
    int port[MAX_PORTS];
    int n_ports;
    int delay_ms;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t timer;
    bool stop;
    call *head, *tail;          /* held calls, in due order (one delay)  */
    /* statistics, under mu */
    int64_t requests, inflight, peak_inflight, connections, unknown;
    int n_slots;
    int64_t *arrive_us, *reply_us; /* per slot; 0 = not seen             */
    int64_t dup_slots;
} svc;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The request body is {"exec": n, "step": k}: which slot it fills. */
static int body_slot(const svc *s, const char *body, size_t len)
{
    json_error_t je;
    json_t *o = json_loadb(body, len, 0, &je);
    json_int_t x = json_integer_value(json_object_get(o, "exec"));
    json_int_t k = json_integer_value(json_object_get(o, "step"));
    bool ok = json_is_integer(json_object_get(o, "exec")) &&
              json_is_integer(json_object_get(o, "step")) && k >= 0 &&
              k < STEPS && x >= 0 && x * STEPS + k < s->n_slots;
    json_decref(o);
    return ok ? (int)(x * STEPS + k) : -1;
}

static void note_arrival(svc *s, call *c)
{
    c->slot = body_slot(s, c->body, c->len);
    int64_t t = now_us();
    pthread_mutex_lock(&s->mu);
    s->requests++;
    if (++s->inflight > s->peak_inflight)
        s->peak_inflight = s->inflight;
    if (c->slot < 0)
        s->unknown++;
    else if (s->arrive_us[c->slot])
        s->dup_slots++;
    else
        s->arrive_us[c->slot] = t;
    pthread_mutex_unlock(&s->mu);
    c->counted = true;
}

static enum MHD_Result reply(svc *s, call *c)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(REPLY), (void *)REPLY, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result rc = MHD_queue_response(c->conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    int64_t t = now_us();
    pthread_mutex_lock(&s->mu);
    s->inflight--;
    if (c->slot >= 0 && !s->reply_us[c->slot])
        s->reply_us[c->slot] = t;
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* Suspends the connection (no thread waits) and queues it for the timer
 * thread.  Suspend comes first: a resume must never precede it. */
static void hold(svc *s, call *c)
{
    c->held = true;
    c->due_us = now_us() + (int64_t)s->delay_ms * 1000;
    MHD_suspend_connection(c->conn);
    pthread_mutex_lock(&s->mu);
    c->next = NULL;
    if (s->tail)
        s->tail->next = c;
    else
        s->head = c;
    s->tail = c;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn,
                                 const char *url, const char *method,
                                 const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
    (void)url;
    (void)method;
    (void)version;
    svc *s = cls;
    call *c = *con_cls;
    if (!c) {
        if (!(c = calloc(1, sizeof *c)))
            return MHD_NO;
        c->conn = conn;
        *con_cls = c;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        if (n > sizeof c->body - 1 - c->len)
            n = sizeof c->body - 1 - c->len; /* only the head matters */
        memcpy(c->body + c->len, upload, n);
        c->len += n;
        *upload_size = 0;
        return MHD_YES;
    }
    if (c->held) /* resumed by the timer */
        return reply(s, c);
    note_arrival(s, c);
    if (s->delay_ms > 0) {
        hold(s, c);
        return MHD_YES;
    }
    return reply(s, c);
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode tc)
{
    (void)cls;
    (void)conn;
    (void)tc;
    free(*con_cls);
    *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_ctx, enum MHD_ConnectionNotificationCode
                                                 code)
{
    (void)conn;
    (void)socket_ctx;
    svc *s = cls;
    if (code != MHD_CONNECTION_NOTIFY_STARTED)
        return;
    pthread_mutex_lock(&s->mu);
    s->connections++;
    pthread_mutex_unlock(&s->mu);
}

/* Resumes held calls when they are due, in batches. */
static void *timer_main(void *ud)
{
    svc *s = ud;
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        if (!s->head) {
            pthread_cond_wait(&s->cv, &s->mu);
            continue;
        }
        int64_t now = now_us();
        if (s->head->due_us > now) {
            int64_t wait = s->head->due_us - now;
            struct timespec dl;
            clock_gettime(CLOCK_REALTIME, &dl);
            dl.tv_sec += wait / 1000000;
            dl.tv_nsec += (wait % 1000000) * 1000;
            if (dl.tv_nsec >= 1000000000) {
                dl.tv_sec++;
                dl.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&s->cv, &s->mu, &dl);
            continue;
        }
        call *due = s->head, *last = due;
        while (last->next && last->next->due_us <= now)
            last = last->next;
        s->head = last->next;
        if (!s->head)
            s->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&s->mu);
        for (call *c = due, *n; c; c = n) {
            n = c->next; /* c may complete as soon as it is resumed */
            MHD_resume_connection(c->conn);
        }
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static struct MHD_Daemon *start_daemon(svc *s, int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME, 0, NULL,
        NULL, on_access, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)4000,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)2048,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_END);
    const union MHD_DaemonInfo *info =
        d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    *port = info ? info->port : 0;
    return d;
}

/* false with a message on stderr when a daemon does not start. */
static bool svc_start(svc *s, int ports, int delay_ms, int slots)
{
    memset(s, 0, sizeof *s);
    s->delay_ms = delay_ms;
    s->n_slots = slots;
    s->arrive_us = calloc((size_t)slots, sizeof *s->arrive_us);
    s->reply_us = calloc((size_t)slots, sizeof *s->reply_us);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    if (!s->arrive_us || !s->reply_us ||
        pthread_create(&s->timer, NULL, timer_main, s) != 0) {
        fprintf(stderr, "bench_tasks: cannot start the service\n");
        return false;
    }
    for (s->n_ports = 0; s->n_ports < ports; s->n_ports++) {
        int i = s->n_ports;
        if (!(s->daemon[i] = start_daemon(s, &s->port[i])) || !s->port[i]) {
            fprintf(stderr, "bench_tasks: libmicrohttpd did not start on "
                            "127.0.0.1 (daemon %d)\n", i + 1);
            return false;
        }
    }
    return true;
}

static void svc_stop(svc *s)
{
    pthread_mutex_lock(&s->mu);
    s->stop = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->timer, NULL);
    for (int i = 0; i < s->n_ports; i++)
        if (s->daemon[i])
            MHD_stop_daemon(s->daemon[i]);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s->arrive_us);
    free(s->reply_us);
}

/* ==== the workload ==== */

/* STEPS Task states C0..C9 in a chain, each POSTing {"exec","step"}. */
static char *definition(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fprintf(f, "{\"StartAt\":\"C0\",\"States\":{");
    for (int i = 0; i < STEPS; i++) {
        fprintf(f,
                "%s\"C%d\":{\"Type\":\"Task\",\"Resource\":"
                "\"arn:aws:states:::http:invoke\",\"Parameters\":{"
                "\"ApiEndpoint.$\":\"$.url\",\"Method\":\"POST\","
                "\"RequestBody\":{\"exec.$\":\"$.n\",\"step\":%d}},"
                "\"ResultSelector\":{\"code.$\":\"$.StatusCode\"},"
                "\"ResultPath\":\"$.last\",",
                i ? "," : "", i, i);
        if (i + 1 < STEPS)
            fprintf(f, "\"Next\":\"C%d\"}", i + 1);
        else
            fprintf(f, "\"End\":true}");
    }
    fprintf(f, "}}");
    fclose(f);
    return buf;
}

static sfn_graph *compile(const char *text)
{
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    sfn_asl_opts o = {0};
    if (sfn_asl_compile_text(text, strlen(text), &o, &d, &g) != SFN_OK) {
        fprintf(stderr, "bench_tasks: definition does not compile: %s at %s\n",
                d.count ? d.items[0].message : "?",
                d.count ? d.items[0].location : "");
        exit(2);
    }
    sfn_diags_free(&d);
    return g;
}

typedef struct result {
    int executions, ports, delay_ms;
    double secs;
    int64_t calls, succeeded, peak_inflight, connections, dup_slots;
    double cycle_p50, cycle_p99, turn_p50, turn_p99; /* ms */
    double engine_cpu;          /* s of CPU on the engine's thread      */
    char first_failure[300];
} result;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double pct(int64_t *v, size_t n, double p)
{
    if (!n)
        return 0;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return (double)v[i] / 1000.0;
}

/* Per execution and call after the first: from the previous call's
 * arrival (cycle) or reply (turnaround: client, engine and commit) to
 * this call's arrival at the service. */
static void latencies(const svc *s, result *r)
{
    size_t n = 0, cap = (size_t)s->n_slots;
    int64_t *cyc = malloc(cap * sizeof *cyc), *turn = malloc(cap * sizeof *turn);
    if (!cyc || !turn) {
        free(cyc);
        free(turn);
        return;
    }
    for (int x = 0; x < s->n_slots / STEPS; x++)
        for (int k = 1; k < STEPS; k++) {
            int i = x * STEPS + k;
            if (!s->arrive_us[i] || !s->arrive_us[i - 1] || !s->reply_us[i - 1])
                continue;
            cyc[n] = s->arrive_us[i] - s->arrive_us[i - 1];
            turn[n++] = s->arrive_us[i] - s->reply_us[i - 1];
        }
    qsort(cyc, n, sizeof *cyc, cmp_i64);
    qsort(turn, n, sizeof *turn, cmp_i64);
    r->cycle_p50 = pct(cyc, n, 0.50);
    r->cycle_p99 = pct(cyc, n, 0.99);
    r->turn_p50 = pct(turn, n, 0.50);
    r->turn_p99 = pct(turn, n, 0.99);
    free(cyc);
    free(turn);
}

static void remove_db(const char *path)
{
    char side[600];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

/* Every execution's final status; the first failure is kept. */
static void count_succeeded(sfn_store *store, char **arns, int n, result *r)
{
    for (int i = 0; i < n; i++) {
        sfn_exec_rec rec = {0};
        sfn_error err;
        if (!arns[i] ||
            sfn_store_get_execution(store, arns[i], &rec, &err) != SFN_OK)
            continue;
        if (rec.status == SFN_EXEC_SUCCEEDED)
            r->succeeded++;
        else if (!r->first_failure[0])
            snprintf(r->first_failure, sizeof r->first_failure, "%s: %s",
                     rec.error ? rec.error : "?", rec.cause ? rec.cause : "");
        sfn_exec_rec_free(&rec);
    }
}

/* Starts every execution at once, then runs the engine until idle. */
static void drive(sfn_engine *e, sfn_graph *g, const svc *s, char **arns,
                  int n)
{
    sfn_error err;
    for (int i = 0; i < n; i++) {
        char url[64];
        snprintf(url, sizeof url, "http://127.0.0.1:%d/call",
                 s->port[i % s->n_ports]);
        json_t *in = json_pack("{s:s,s:i}", "url", url, "n", i);
        if (sfn_engine_start(e, "calls", 1, g, NULL, in, &arns[i], &err) !=
            SFN_OK)
            fprintf(stderr, "bench_tasks: start %d: %s\n", i, err.cause);
        json_decref(in);
    }
    if (sfn_engine_run_until_idle(e, &err) != SFN_OK)
        fprintf(stderr, "bench_tasks: %s\n", err.cause);
}

static double thread_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static bool run(const char *dir, sfn_graph *g, int executions, int ports,
                int delay_ms, result *r)
{
    memset(r, 0, sizeof *r);
    r->executions = executions;
    r->ports = ports;
    r->delay_ms = delay_ms;
    svc s;
    if (!svc_start(&s, ports, delay_ms, executions * STEPS)) {
        svc_stop(&s);
        return false;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/bench-tasks-%d.db", dir, (int)getpid());
    remove_db(path);
    sfn_store *store = NULL;
    sfn_error err;
    sfn_store_opts so = {.sync = SFN_SYNC_NORMAL};
    /* as `http.max_host_connections = 2048` in the config: all 1,000
     * executions may have a call open to the one service at once */
    sfn_tasks_config tc = {.max_host_connections = 2048};
    sfn_tasks *tasks = NULL;
    sfn_engine *e = NULL;
    char **arns = calloc((size_t)executions, sizeof *arns);
    bool ok = arns && sfn_store_open(path, &so, &store, &err) == SFN_OK &&
              (tasks = sfn_tasks_new(&tc, &err)) != NULL;
    if (ok) {
        sfn_engine_opts o = {.store = store, .tasks = tasks};
        ok = (e = sfn_engine_new(&o, &err)) != NULL;
    }
    if (ok) {
        int64_t t0 = now_us();
        double c0 = thread_cpu_s();
        drive(e, g, &s, arns, executions);
        r->secs = (double)(now_us() - t0) / 1e6;
        r->engine_cpu = thread_cpu_s() - c0;
        count_succeeded(store, arns, executions, r);
    } else {
        fprintf(stderr, "bench_tasks: %s\n", arns ? err.cause : "no memory");
    }
    sfn_engine_free(e);
    sfn_tasks_free(tasks);
    if (store)
        sfn_store_close(store);
    remove_db(path);
    for (int i = 0; arns && i < executions; i++)
        free(arns[i]);
    free(arns);
    pthread_mutex_lock(&s.mu);
    r->calls = s.requests;
    r->peak_inflight = s.peak_inflight;
    r->connections = s.connections;
    r->dup_slots = s.dup_slots + s.unknown;
    latencies(&s, r);
    pthread_mutex_unlock(&s.mu);
    svc_stop(&s);
    return ok;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void report(const char *label, const result *r)
{
    double ideal = STEPS * r->delay_ms / 1000.0;
    printf("%s\n", label);
    printf("  wall %.3f s (ideal %.3f s = %d x %d ms, %.2fx)  %.0f calls/s"
           "  %.0f executions/s\n",
           r->secs, ideal, STEPS, r->delay_ms,
           ideal > 0 ? r->secs / ideal : 0.0, (double)r->calls / r->secs,
           (double)r->executions / r->secs);
    printf("  %lld calls, %lld of %d executions SUCCEEDED; service: peak "
           "%lld calls in flight, %lld connections opened\n",
           (long long)r->calls, (long long)r->succeeded, r->executions,
           (long long)r->peak_inflight, (long long)r->connections);
    printf("  engine thread: %.3f s CPU (%.0f%% of the wall time)\n",
           r->engine_cpu, 100.0 * r->engine_cpu / r->secs);
    printf("  per execution, call to next call: p50 %.1f ms, p99 %.1f ms;"
           " reply to next call: p50 %.1f ms, p99 %.1f ms\n",
           r->cycle_p50, r->cycle_p99, r->turn_p50, r->turn_p99);
    if (r->dup_slots)
        printf("  %lld calls repeated or unrecognised\n",
               (long long)r->dup_slots);
    if (r->first_failure[0])
        printf("  first failure: %s\n", r->first_failure);
}

static void json_run(const char *key, const result *r, bool first)
{
    printf("%s\"%s\":{\"executions\":%d,\"ports\":%d,\"delay_ms\":%d,"
           "\"wall_s\":%.3f,\"calls_per_s\":%.1f,\"executions_per_s\":%.1f,"
           "\"succeeded\":%lld,\"peak_inflight\":%lld,\"connections\":%lld,"
           "\"cycle_p50_ms\":%.2f,\"cycle_p99_ms\":%.2f,"
           "\"turnaround_p50_ms\":%.2f,\"turnaround_p99_ms\":%.2f,"
           "\"engine_cpu_s\":%.3f}",
           first ? "" : ",", key, r->executions, r->ports, r->delay_ms,
           r->secs, (double)r->calls / r->secs,
           (double)r->executions / r->secs, (long long)r->succeeded,
           (long long)r->peak_inflight, (long long)r->connections,
           r->cycle_p50, r->cycle_p99, r->turn_p50, r->turn_p99,
           r->engine_cpu);
}

/* Both ends of 1,000+ connections live in this process. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int arg_int(const char *name, const char *v, int lo, int hi)
{
    char *end = NULL;
    errno = 0;
    long n = v ? strtol(v, &end, 10) : 0;
    if (!v || errno || *end || n < lo || n > hi) {
        fprintf(stderr, "bench_tasks: %s wants an integer from %d to %d, "
                        "got '%s'\n", name, lo, hi, v ? v : "");
        exit(2);
    }
    return (int)n;
}

int main(int argc, char **argv)
{
    const char *dir = "/tmp";
    int executions = 1000, delay = -1, ports = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--executions"))
            executions = arg_int(argv[i], argv[i + 1], 1, 100000), i++;
        else if (!strcmp(argv[i], "--delay"))
            delay = arg_int(argv[i], argv[i + 1], 0, 10000), i++;
        else if (!strcmp(argv[i], "--ports"))
            ports = arg_int(argv[i], argv[i + 1], 1, MAX_PORTS), i++;
        else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: bench_tasks [DIR] [--executions N] "
                            "[--delay MS] [--ports N]\n");
            return 2;
        } else
            dir = argv[i];
    }
    raise_fd_limit();
    char *text = definition();
    sfn_graph *g = compile(text);
    printf("stepd bench_tasks: %d executions x %d sequential http:invoke "
           "POSTs, durable engine (SQLite NORMAL)\n", executions, STEPS);
    result res[3];
    const char *keys[3] = {"slow", "slow_ports", "instant"};
    const char *labels[3] = {
        "(a) service answers in %d ms, one host:port",
        "(b) service answers in %d ms, executions spread over %d ports",
        "(c) instant service (%d ms), one host:port"};
    int cfg[3][2] = {{50, 1}, {50, 16}, {0, 1}};
    int n_runs = 3;
    if (delay >= 0 || ports > 0) {
        cfg[0][0] = delay >= 0 ? delay : 50;
        cfg[0][1] = ports > 0 ? ports : 1;
        keys[0] = "custom";
        labels[0] = "service answers in %d ms, %d port(s)";
        n_runs = 1;
    }
    int failed = 0;
    for (int i = 0; i < n_runs; i++) {
        char label[160];
        snprintf(label, sizeof label, labels[i], cfg[i][0], cfg[i][1]);
        if (!run(dir, g, executions, cfg[i][1], cfg[i][0], &res[i]))
            return 2;
        report(label, &res[i]);
        failed |= res[i].succeeded != executions;
    }
    printf("peak RSS: %ld KiB\n", peak_rss_kb());
    printf("json: {\"tool\":\"stepd\",\"bench\":\"tasks\",\"steps\":%d,", STEPS);
    for (int i = 0; i < n_runs; i++)
        json_run(keys[i], &res[i], i == 0);
    printf(",\"peak_rss_kib\":%ld}\n", peak_rss_kb());
    sfn_graph_unref(g);
    free(text);
    return failed ? 1 : 0;
}
