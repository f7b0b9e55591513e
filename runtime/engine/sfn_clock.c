/* sfn_clock.c: real (clock_gettime) and fake (test) clocks behind one
 * interface. */
#include "sfn_clock.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

struct sfn_clock {
    int fake;
    _Atomic int64_t now_ms;
};

static sfn_clock real_clock = {0, 0};

sfn_clock *sfn_clock_real(void) { return &real_clock; }

sfn_clock *sfn_clock_fake_new(int64_t start_ms)
{
    sfn_clock *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->fake = 1;
    atomic_store(&c->now_ms, start_ms);
    return c;
}

void sfn_clock_fake_advance(sfn_clock *c, int64_t delta_ms)
{
    if (c && c->fake)
        atomic_fetch_add(&c->now_ms, delta_ms);
}

void sfn_clock_free(sfn_clock *c)
{
    if (c && c->fake)
        free(c);
}

static int64_t read_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sfn_clock_now_ms(const sfn_clock *c)
{
    if (c && c->fake)
        return atomic_load(&((sfn_clock *)c)->now_ms);
    return read_ms(CLOCK_REALTIME);
}

int64_t sfn_clock_mono_ms(const sfn_clock *c)
{
    if (c && c->fake)
        return atomic_load(&((sfn_clock *)c)->now_ms);
    return read_ms(CLOCK_MONOTONIC);
}
