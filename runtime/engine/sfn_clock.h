/* sfn_clock.h: the engine's only source of time.  Wait states, retry
 * back-off and timeouts read the clock through this interface so tests can
 * substitute a fake one and run instantly.
 *
 * Threading: a real clock is stateless and thread-safe; a fake clock may be
 * advanced from one thread while others read it (atomic). */
#ifndef SFN_CLOCK_H
#define SFN_CLOCK_H

#include <stdint.h>

typedef struct sfn_clock sfn_clock;

/* The process-wide real clock (borrowed; never freed). */
sfn_clock *sfn_clock_real(void);

/* A fake clock starting at `start_ms` (epoch milliseconds).  Caller owns;
 * free with sfn_clock_free.  Returns NULL on allocation failure. */
sfn_clock *sfn_clock_fake_new(int64_t start_ms);
/* Moves a fake clock forward (or backward, to test clock jumps). */
void sfn_clock_fake_advance(sfn_clock *c, int64_t delta_ms);
void sfn_clock_free(sfn_clock *c); /* NULL and the real clock are ignored */

/* Wall time in epoch milliseconds (history timestamps, Timestamp waits). */
int64_t sfn_clock_now_ms(const sfn_clock *c);
/* Monotonic milliseconds for measuring intervals (never jumps back on a
 * real clock; equals now_ms on a fake one). */
int64_t sfn_clock_mono_ms(const sfn_clock *c);

#endif
