/* sfn_log.h: stepd serve's structured log: one line per event, as text
 * (`2024-05-01T12:00:00.123Z INFO msg key=value ...`) or as one JSON object
 * per line ({"ts","level","msg", "exec" when there is an execution ARN, and
 * the event's fields}).  Lines are written whole under a lock, so threads
 * never interleave.
 *
 * Threading: sfn_log_write is safe from any thread once the logger is set
 * up; the settings are fixed after sfn_log_init. */
#ifndef SFN_LOG_H
#define SFN_LOG_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    SFN_LOG_DEBUG = 0,
    SFN_LOG_INFO = 1,
    SFN_LOG_WARN = 2,
    SFN_LOG_ERROR = 3
} sfn_log_level;

typedef enum { SFN_LOG_TEXT = 0, SFN_LOG_JSON = 1 } sfn_log_format;

typedef struct sfn_log {
    sfn_log_level level;
    sfn_log_format format;
    FILE *out;               /* borrowed (stderr in stepd serve)            */
    pthread_mutex_t mu;
} sfn_log;

/* One extra member of a line: a string (str != NULL) or an integer. */
typedef struct sfn_log_field {
    const char *key;
    const char *str;
    int64_t num;
} sfn_log_field;

void sfn_log_init(sfn_log *l, sfn_log_level level, sfn_log_format format,
                  FILE *out);
void sfn_log_destroy(sfn_log *l);

/* Parses "debug|info|warn|error" / "text|json"; false when unknown. */
bool sfn_log_parse_level(const char *s, sfn_log_level *out);
bool sfn_log_parse_format(const char *s, sfn_log_format *out);
const char *sfn_log_level_name(sfn_log_level level);

static inline bool sfn_log_enabled(const sfn_log *l, sfn_log_level level)
{
    return l && level >= l->level;
}

/* Writes one line: msg (printf format), the execution ARN when exec is
 * not NULL or empty, and n fields (fields may be NULL when n is 0). */
void sfn_log_write(sfn_log *l, sfn_log_level level, const char *exec,
                   const sfn_log_field *fields, size_t n, const char *fmt,
                   ...) __attribute__((format(printf, 6, 7)));

/* Checks the level before the arguments are evaluated. */
#define SFN_LOG(l, level, ...)                                              \
    do {                                                                    \
        if (sfn_log_enabled((l), (level)))                                  \
            sfn_log_write((l), (level), NULL, NULL, 0, __VA_ARGS__);        \
    } while (0)

#endif
