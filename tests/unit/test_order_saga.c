/* test_order_saga.c: runs the three commands of samples/order-saga/README.md
 * (parsed out of it) with the real `stepd` binary: the demo service as a
 * child on a free port, then the successful and the shipping-failure runs,
 * checking results, histories and the service's request log. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <jansson.h>

#include "cli_harness.h"
#include "serve_harness.h"

#define README "samples/order-saga/README.md"
#define MAX_WORDS 16
#define START_TIMEOUT_MS 10000

typedef struct command {
    int n;
    char *words[MAX_WORDS];
} command;

static command cmds[3];
static int n_cmds;
static char *readme, *words; /* words: the tokenised copy cmds point in */

static pid_t service = -1;
static int service_err = -1; /* read end of the service's stderr */
static int port;
static char log_buf[1 << 16];
static size_t log_len;

/* ---- README ---------------------------------------------------------- */

/* Splits one line of the first ```sh block; a trailing `&` (run in the
 * background) is dropped since the test starts the service itself. */
static void parse_command(char *line, command *c)
{
    c->n = 0;
    for (char *w = strtok(line, " \t"); w; w = strtok(NULL, " \t")) {
        if (!strcmp(w, "&"))
            break;
        assert_true(c->n < MAX_WORDS);
        assert_null(strpbrk(w, "'\"#"));
        c->words[c->n++] = w;
    }
}

static void parse_readme(void)
{
    readme = slurp(README);
    words = strdup(readme);
    assert_non_null(words);
    char *block = strstr(words, "```sh\n");
    assert_non_null(block);
    char *line = block + 6;
    n_cmds = 0;
    for (;;) {
        char *eol = strchr(line, '\n');
        assert_non_null(eol);
        *eol = '\0';
        if (!strncmp(line, "```", 3))
            break;
        if (*line) {
            assert_true(n_cmds < 3);
            parse_command(line, &cmds[n_cmds++]);
        }
        line = eol + 1;
    }
}

/* ---- the demo service -------------------------------------------------- */

/* Appends what the service logged so far; with wait_ms > 0 waits (bounded)
 * for more.  False at end of file (the service exited). */
static bool read_log(int wait_ms)
{
    struct pollfd p = {service_err, POLLIN, 0};
    if (wait_ms > 0 && poll(&p, 1, wait_ms) <= 0)
        return true;
    for (;;) {
        assert_true(log_len < sizeof log_buf - 1);
        ssize_t n = read(service_err, log_buf + log_len,
                         sizeof log_buf - 1 - log_len);
        if (n < 0 && errno == EAGAIN)
            return true;
        if (n <= 0)
            return false;
        log_len += (size_t)n;
        log_buf[log_len] = '\0';
    }
}

/* The README's first command plus --listen on a free port; returns once
 * the service says it listens and a connect succeeds. */
static void start_service(const command *c)
{
    char listen[32];
    port = sh_free_port();
    assert_true(port > 0);
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    const char *bin = getenv("STEPD");
    char *argv[MAX_WORDS + 4];
    int n = 0;
    argv[n++] = (char *)bin;
    for (int i = 1; i < c->n; i++)
        argv[n++] = c->words[i];
    argv[n++] = "--listen";
    argv[n++] = listen;
    argv[n] = NULL;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    service = fork();
    assert_true(service >= 0);
    if (service == 0) {
        close(fds[0]);
        redirect("/dev/null", 0, O_RDONLY);
        redirect("/dev/null", 1, O_WRONLY);
        if (dup2(fds[1], 2) < 0)
            _exit(127);
        execv(bin, argv);
        _exit(127);
    }
    close(fds[1]);
    service_err = fds[0];
    fcntl(service_err, F_SETFL, O_NONBLOCK);
    for (int waited = 0; !strstr(log_buf, "listening on");
         waited += 100)
        if (waited >= START_TIMEOUT_MS || !read_log(100))
            fail_msg("demo service did not start:\n%s", log_buf);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof a), 0);
    close(s);
}

/* ---- running the saga --------------------------------------------------- */

/* The command's input file with serviceUrl pointing at the test's port
 * and, when given, order.failAt replaced.  Returns a malloc'd path. */
static char *rewrite_input(const char *path, const char *fail_at)
{
    json_error_t je;
    json_t *in = json_load_file(path, 0, &je);
    assert_non_null(in);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    json_object_set_new(in, "serviceUrl", json_string(url));
    if (fail_at)
        json_object_set_new(json_object_get(in, "order"), "failAt",
                            json_string(fail_at));
    char *text = json_dumps(in, 0);
    json_decref(in);
    char *tmp = write_tmp("input.json", text);
    free(text);
    return tmp;
}

/* Runs README command `i` with the rewritten input and the test's
 * database (cli_db: in the temporary folder, or PostgreSQL); the service's
 * log lines it caused land in log_buf. */
static run_result run_saga(int i, const char *fail_at)
{
    assert_true(i < n_cmds);
    const command *c = &cmds[i];
    const char *args[MAX_WORDS + 1];
    char *input = NULL, db[PGFX_URL_MAX];
    cli_db(db, sizeof db, "saga.db");
    for (int k = 1; k < c->n; k++) {
        const char *w = c->words[k];
        if (k > 1 && !strcmp(c->words[k - 1], "--input-file"))
            w = input = rewrite_input(w, fail_at);
        else if (k > 1 && !strcmp(c->words[k - 1], "--db"))
            w = db;
        args[k - 1] = w;
    }
    args[c->n - 1] = NULL;
    assert_non_null(input);
    run_result r = run(NULL, args);
    free(input);
    read_log(0);
    return r;
}

/* The execution ARN from `run`'s first line ("STATUS ARN"); malloc'd. */
static char *arn_of(const run_result *r)
{
    const char *sp = strchr(r->out, ' ');
    assert_non_null(sp);
    size_t n = strcspn(sp + 1, "\n");
    char *arn = strndup(sp + 1, n);
    assert_non_null(arn);
    return arn;
}

/* The names of the Task states entered, in history order, joined by ' '. */
static void entered_tasks(const char *arn, char *names, size_t size)
{
    char db[PGFX_URL_MAX];
    cli_db(db, sizeof db, "saga.db");
    const char *args[] = {"history", "--db", db, "--json", arn, NULL};
    run_result r = run(NULL, args);
    assert_int_equal(r.status, 0);
    json_error_t je;
    json_t *h = json_loads(r.out, 0, &je);
    assert_non_null(h);
    names[0] = '\0';
    size_t i;
    json_t *ev;
    json_array_foreach(json_object_get(h, "events"), i, ev) {
        if (strcmp(json_string_value(json_object_get(ev, "type")),
                   "TaskStateEntered"))
            continue;
        const char *name = json_string_value(json_object_get(
            json_object_get(ev, "stateEnteredEventDetails"), "name"));
        if (*names)
            strncat(names, " ", size - strlen(names) - 1);
        strncat(names, name, size - strlen(names) - 1);
    }
    json_decref(h);
    run_free(&r);
}

/* True when the log line starting at `line` contains needle. */
static bool line_has(const char *line, const char *needle)
{
    size_t n = strcspn(line, "\n");
    char *copy = strndup(line, n);
    assert_non_null(copy);
    bool found = has(copy, needle);
    free(copy);
    return found;
}

/* ---- tests -------------------------------------------------------------- */

static void test_readme_has_the_three_commands(void **state)
{
    (void)state;
    assert_int_equal(n_cmds, 3);
    assert_string_equal(cmds[0].words[0], "stepd");
    assert_string_equal(cmds[0].words[1], "demo-service");
    for (int i = 1; i < 3; i++) {
        assert_string_equal(cmds[i].words[1], "run");
        assert_string_equal(cmds[i].words[2],
                            "samples/order-saga/order-saga.asl.json");
    }
    assert_non_null(strstr(readme, "--db saga.db\n"));
    assert_non_null(strstr(readme, "stepd history --db saga.db"));
}

static void test_successful_run_books_everything(void **state)
{
    (void)state;
    size_t mark = log_len;
    run_result r = run_saga(1, NULL);
    assert_int_equal(r.status, 0);
    assert_true(has(r.out, "SUCCEEDED arn:"));
    assert_true(has(r.out, "\"reservationId\":\"res-1001\""));
    assert_true(has(r.out, "\"chargeId\":\"ch-1001\""));
    assert_true(has(r.out, "\"shipmentId\":\"shp-1001\""));
    assert_true(has(log_buf + mark,
                    "POST /shipping/book order=1001 key="));
    assert_null(strstr(log_buf + mark, "/payments/refund"));
    assert_null(strstr(log_buf + mark, "/inventory/release"));
    run_free(&r);
}

static void test_shipping_failure_fails_with_its_error(void **state)
{
    (void)state;
    run_result r = run_saga(2, NULL);
    assert_int_equal(r.status, 1);
    assert_true(has(r.out, "FAILED arn:"));
    assert_true(has(r.out, "error: States.Http.StatusCode.500\n"));
    assert_true(has(r.out, "ship failed for order 1002"));
    run_free(&r);
}

static void test_shipping_failure_history_refunds_then_releases(void **state)
{
    (void)state;
    run_result r = run_saga(2, NULL);
    assert_int_equal(r.status, 1);
    char *arn = arn_of(&r);
    char names[512];
    entered_tasks(arn, names, sizeof names);
    assert_string_equal(names, "ReserveInventory ChargePayment BookShipping "
                               "RefundPayment ReleaseInventory");
    free(arn);
    run_free(&r);
}

static void test_shipping_failure_log_refunds_then_releases(void **state)
{
    (void)state;
    size_t mark = log_len;
    run_result r = run_saga(2, NULL);
    assert_int_equal(r.status, 1);
    const char *log = log_buf + mark;
    const char *ship = strstr(log, "POST /shipping/book order=1002");
    const char *refund = strstr(log, "POST /payments/refund order=1002");
    const char *release = strstr(log, "POST /inventory/release order=1002");
    if (!ship || !refund || !release)
        fail_msg("missing requests in the service log:\n%s", log);
    assert_true(line_has(ship, "-> 500"));
    assert_true(ship < refund);
    assert_true(refund < release);
    assert_true(line_has(refund, "-> 200"));
    assert_true(line_has(release, "-> 200"));
    run_free(&r);
}

static void test_charge_failure_only_releases(void **state)
{
    (void)state;
    size_t mark = log_len;
    run_result r = run_saga(2, "charge");
    assert_int_equal(r.status, 1);
    assert_true(has(r.out, "error: States.Http.StatusCode.500\n"));
    assert_true(has(r.out, "charge failed for order 1002"));
    char *arn = arn_of(&r);
    char names[512];
    entered_tasks(arn, names, sizeof names);
    assert_string_equal(names,
                        "ReserveInventory ChargePayment ReleaseInventory");
    const char *log = log_buf + mark;
    assert_true(has(log, "POST /inventory/release order=1002"));
    assert_null(strstr(log, "/payments/refund"));
    assert_null(strstr(log, "/shipping/book"));
    free(arn);
    run_free(&r);
}

static void test_service_stops_on_sigterm(void **state)
{
    (void)state;
    assert_int_equal(kill(service, SIGTERM), 0);
    int ws = 0;
    assert_int_equal(waitpid(service, &ws, 0), service);
    service = -1;
    assert_true(WIFEXITED(ws));
    assert_int_equal(WEXITSTATUS(ws), 0);
    while (read_log(1000))
        ;
    assert_true(has(log_buf, "stopped (SIGTERM)"));
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(tmpdir))
        return -1;
    parse_readme();
    start_service(&cmds[0]);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (service > 0) {
        kill(service, SIGKILL);
        waitpid(service, NULL, 0);
    }
    if (service_err >= 0)
        close(service_err);
    free(readme);
    free(words);
    cli_db_release();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readme_has_the_three_commands),
        cmocka_unit_test(test_successful_run_books_everything),
        cmocka_unit_test(test_shipping_failure_fails_with_its_error),
        cmocka_unit_test(test_shipping_failure_history_refunds_then_releases),
        cmocka_unit_test(test_shipping_failure_log_refunds_then_releases),
        cmocka_unit_test(test_charge_failure_only_releases),
        cmocka_unit_test(test_service_stops_on_sigterm),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
