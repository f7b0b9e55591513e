/* test_fuzz_regressions.c: replays every input the fuzzers once failed on
 * (each file of tests/fuzz-regressions/<target>/) through the very entry
 * the target uses, so the sanitizers and valgrind see them on every run. */
#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FUZZ_NO_ENTRY
#include "../../fuzz/fuzz_aws_protocol.c"
#include "../../fuzz/fuzz_rest.c"
#include "../../fuzz/fuzz_template.c"

typedef int (*fuzz_entry)(const uint8_t *data, size_t size);

/* A libFuzzer run stops an input after 10 s (fuzz/run.sh -timeout=10); an
 * input that takes as long here would be a finding there too. */
#define INPUT_MAX_S 10.0

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint8_t *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (!got)
            break;
    }
    fclose(f);
    *size = n;
    return buf;
}

/* Feeds every file of tests/fuzz-regressions/<target>/ to entry; returns
 * how many there were. */
static int replay(const char *target, fuzz_entry entry)
{
    char dir[256];
    snprintf(dir, sizeof dir, "tests/fuzz-regressions/%s", target);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t size;
        uint8_t *data = read_all(path, &size);
        print_message("%s: %s (%zu bytes)\n", target, e->d_name, size);
        double t0 = now_s();
        assert_int_equal(entry(data, size), 0);
        assert_true(now_s() - t0 < INPUT_MAX_S);
        free(data);
        n++;
    }
    closedir(d);
    return n;
}

static void test_template_regressions(void **state)
{
    (void)state;
    assert_true(replay("fuzz_template", fuzz_template_one) > 0);
}

static void test_aws_protocol_regressions(void **state)
{
    (void)state;
    assert_true(replay("fuzz_aws_protocol", fuzz_aws_protocol_one) > 0);
}

static void test_rest_regressions(void **state)
{
    (void)state;
    assert_true(replay("fuzz_rest", fuzz_rest_one) > 0);
}

static int close_service(void **state)
{
    (void)state;
    fuzz_service_close();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_template_regressions),
        cmocka_unit_test(test_aws_protocol_regressions),
        cmocka_unit_test(test_rest_regressions),
    };
    return cmocka_run_group_tests(tests, NULL, close_service);
}
