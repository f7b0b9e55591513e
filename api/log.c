/* log.c: the structured log of stepd serve (sfn_log.h).  Each line is
 * built in memory and written with one fwrite under the logger's lock; the
 * JSON form goes through jansson so every value is escaped correctly. */
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "sfn_log.h"

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void sfn_log_init(sfn_log *l, sfn_log_level level, sfn_log_format format,
                  FILE *out)
{
    l->level = level;
    l->format = format;
    l->out = out;
    pthread_mutex_init(&l->mu, NULL);
}

void sfn_log_destroy(sfn_log *l)
{
    if (l)
        pthread_mutex_destroy(&l->mu);
}

bool sfn_log_parse_level(const char *s, sfn_log_level *out)
{
    for (int i = 0; i < 4; i++)
        if (s && !strcmp(s, level_names[i])) {
            *out = (sfn_log_level)i;
            return true;
        }
    return false;
}

bool sfn_log_parse_format(const char *s, sfn_log_format *out)
{
    if (s && !strcmp(s, "text")) {
        *out = SFN_LOG_TEXT;
        return true;
    }
    if (s && !strcmp(s, "json")) {
        *out = SFN_LOG_JSON;
        return true;
    }
    return false;
}

const char *sfn_log_level_name(sfn_log_level level)
{
    return level >= SFN_LOG_DEBUG && level <= SFN_LOG_ERROR
               ? level_names[level]
               : "info";
}

/* "2024-05-01T12:00:00.123Z" into buf (>= 32 bytes). */
static void now_iso(char *buf, size_t size)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, size - n, ".%03dZ", (int)(tv.tv_usec / 1000));
}

/* Text values with spaces, quotes or '=' are quoted so lines stay
 * splittable on spaces. */
static void text_value(FILE *m, const char *v)
{
    if (*v && !strpbrk(v, " \t\n\"=")) {
        fputs(v, m);
        return;
    }
    fputc('"', m);
    for (const char *p = v; *p; p++) {
        if (*p == '"' || *p == '\\')
            fputc('\\', m);
        if (*p == '\n')
            fputs("\\n", m);
        else
            fputc(*p, m);
    }
    fputc('"', m);
}

static char *text_line(const char *ts, sfn_log_level level, const char *msg,
                       const char *exec, const sfn_log_field *f, size_t n,
                       size_t *len)
{
    char *buf = NULL;
    FILE *m = open_memstream(&buf, len);
    if (!m)
        return NULL;
    char lv[8];
    snprintf(lv, sizeof lv, "%s", sfn_log_level_name(level));
    for (char *p = lv; *p; p++)
        *p = (char)(*p - 'a' + 'A');
    fprintf(m, "%s %-5s %s", ts, lv, msg);
    for (size_t i = 0; i < n; i++) {
        fprintf(m, " %s=", f[i].key);
        if (f[i].str)
            text_value(m, f[i].str);
        else
            fprintf(m, "%lld", (long long)f[i].num);
    }
    if (exec && *exec)
        fprintf(m, " exec=%s", exec);
    fputc('\n', m);
    fclose(m);
    return buf;
}

static char *json_line(const char *ts, sfn_log_level level, const char *msg,
                       const char *exec, const sfn_log_field *f, size_t n,
                       size_t *len)
{
    json_t *o = json_object();
    json_object_set_new(o, "ts", json_string(ts));
    json_object_set_new(o, "level", json_string(sfn_log_level_name(level)));
    json_object_set_new(o, "msg", json_string(msg));
    if (exec && *exec)
        json_object_set_new(o, "exec", json_string(exec));
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, f[i].key,
                            f[i].str ? json_string(f[i].str)
                                     : json_integer(f[i].num));
    char *body = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!body)
        return NULL;
    *len = strlen(body);
    char *line = realloc(body, *len + 2);
    if (!line) {
        free(body);
        return NULL;
    }
    line[(*len)++] = '\n';
    line[*len] = '\0';
    return line;
}

void sfn_log_write(sfn_log *l, sfn_log_level level, const char *exec,
                   const sfn_log_field *fields, size_t n, const char *fmt,
                   ...)
{
    if (!sfn_log_enabled(l, level) || !l->out)
        return;
    char msg[1024], ts[40];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    now_iso(ts, sizeof ts);
    size_t len = 0;
    char *line = l->format == SFN_LOG_JSON
                     ? json_line(ts, level, msg, exec, fields, n, &len)
                     : text_line(ts, level, msg, exec, fields, n, &len);
    pthread_mutex_lock(&l->mu);
    if (line)
        fwrite(line, 1, len, l->out);
    else /* out of memory: still say something */
        fprintf(l->out, "%s %s\n", ts, msg);
    fflush(l->out);
    pthread_mutex_unlock(&l->mu);
    free(line);
}
