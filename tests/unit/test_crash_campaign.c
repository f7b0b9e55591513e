/* test_crash_campaign.c: "acknowledged means never lost", end to end.  The
 * real `stepd serve` ($STEPD) runs on a temporary database while a thread
 * starts executions of mixed machines (Pass chain, Map, Parallel, Wait,
 * Retry with back-off then Catch, two HTTP Tasks against a slow echo
 * service served from this process, a callback) through the REST API and
 * another answers pending callbacks; stepd is killed with SIGKILL at random
 * moments and restarted on the same database, STEPD_CRASH_KILLS times
 * (default 7; scripts/crash-campaign.sh runs the long form).  Afterwards
 * every acknowledged execution must have ended as an uninterrupted run ends,
 * once, with a gap-free history, and every HTTP attempt must have reached
 * the service under one Idempotency-Key whose re-sends repeat its body. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http_fixture.h"
#include "serve_harness.h"
#include "campaign.h"

#define DEFAULT_KILLS 7
#define ECHO_DELAY_MS 120
#define DRAIN_SECONDS 90

/* ---- the server ---- */

/* The first start picks the port; every restart (the campaign's threads
 * keep using cp->base[0]) reuses it on the same database. */
static void start_server(campaign *cp)
{
    static const char *const quiet[] = {"--log-level", "warn", NULL};
    sh_opts o = {.args = quiet};
    bool first = cp->sv[0].port <= 0;
    if (first ? sh_start(&cp->sv[0], &o) : sh_restart(&cp->sv[0]))
        fail_msg("stepd serve did not come up; see %s", cp->sv[0].log);
    if (first)
        snprintf(cp->base[0], sizeof cp->base[0], "%s", cp->sv[0].base);
}

static void kill_server(campaign *cp)
{
    sh_kill(&cp->sv[0]);
}

static void stop_server(campaign *cp)
{
    if (sh_stop(&cp->sv[0]) != 0)
        fail_msg("stepd serve did not exit 0 on SIGTERM (%d); see %s",
                 cp->sv[0].exit_status, cp->sv[0].log);
}

static int kills_wanted(void)
{
    const char *v = getenv("STEPD_CRASH_KILLS");
    int k = v ? atoi(v) : DEFAULT_KILLS;
    return k > 0 ? k : DEFAULT_KILLS;
}

static void test_crash_campaign(void **state)
{
    (void)state;
    const char *bin = getenv("STEPD");
    if (!bin || access(bin, X_OK))
        fail_msg("$STEPD (the stepd binary) is not set; run through ctest");
    campaign *cp = calloc(1, sizeof *cp);
    assert_non_null(cp);
    assert_int_equal(sh_make_dir(&cp->sv[0], "/tmp/stepd-crash-XXXXXX"), 0);
    cp->n_nodes = 1;
    srand((unsigned)time(NULL) ^ (unsigned)getpid());

    hfx_server *srv = hfx_start();
    assert_non_null(srv);
    hfx_route echo = {.method = "POST", .path = "/echo",
                      .echo = HFX_ECHO_REQUEST, .delay_ms = ECHO_DELAY_MS};
    hfx_route_add(srv, &echo);
    char echo_url[128];
    snprintf(echo_url, sizeof echo_url, "%s", hfx_url(srv, "/echo"));

    CURL *c = curl_easy_init();
    start_server(cp);
    put_machines(cp, c, echo_url);
    pthread_t t_start, t_cb;
    assert_int_equal(pthread_create(&t_start, NULL, starter, cp), 0);
    assert_int_equal(pthread_create(&t_cb, NULL, answerer, cp), 0);

    int kills = kills_wanted();
    for (int k = 0; k < kills; k++) {
        if (k)
            start_server(cp);
        sh_pause_ms(200 + rand() % 1000);
        kill_server(cp);
    }
    atomic_store(&cp->stop_starting, 1);
    pthread_join(t_start, NULL);

    start_server(cp);
    bool done = false;
    for (int i = 0; i < DRAIN_SECONDS * 10 && !(done = all_finished(cp, c));
         i++)
        sh_pause_ms(100);
    atomic_store(&cp->stop_callbacks, 1);
    pthread_join(t_cb, NULL);
    stop_server(cp);
    curl_easy_cleanup(c);
    if (!done)
        fail_msg("acknowledged executions still running after %d s; see %s",
                 DRAIN_SECONDS, cp->sv[0].log);

    int checked = verify_store(cp);
    size_t resent = verify_http(cp, srv);
    int n_cb = 0;
    for (int i = 0; i < atomic_load(&cp->n_started); i++)
        n_cb += cp->slots[i].kind == K_CB && atomic_load(&cp->slots[i].acked);
    assert_true(checked > 0);
    print_message("crash campaign: %d kills, %d executions acknowledged, all "
                  "finished, %zu HTTP re-sends, %d callbacks\n",
                  kills, checked, resent, n_cb);
    hfx_stop(srv);
    sh_remove_dir(&cp->sv[0]);
    free(cp);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crash_campaign),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
