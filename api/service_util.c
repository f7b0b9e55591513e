/* service_util.c: the small pieces every action uses: AWS error wording,
 * request-member validation, ARNs, resource names, timestamps and opaque
 * paging tokens. */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "service_internal.h"
#include "sfn_json.h"

json_t *svc_fail(sfn_error *err, const char *type, const char *fmt, ...)
{
    if (!err)
        return NULL;
    err->rc = SFN_EINVAL;
    err->offset = -1;
    snprintf(err->name, sizeof err->name, "%s", type);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->cause, sizeof err->cause, fmt, ap);
    va_end(ap);
    return NULL;
}

json_t *svc_internal(sfn_error *err)
{
    if (err && !err->name[0])
        snprintf(err->name, sizeof err->name, "InternalFailure");
    return NULL;
}

/* AWS's wording of one constraint violation. */
static bool invalid(sfn_error *err, const char *key, json_t *v,
                    const char *constraint)
{
    char *text = v ? sfn_json_dumps(v, 0) : NULL;
    if (text && strlen(text) > 64)
        strcpy(text + 60, "...");
    svc_fail(err, "ValidationException",
             "1 validation error detected: Value %s at '%s' failed to "
             "satisfy constraint: %s",
             text ? text : "null", key, constraint);
    free(text);
    return false;
}

bool svc_str(json_t *req, const char *key, bool required, size_t max_len,
             const char **out, sfn_error *err)
{
    json_t *v = json_object_get(req, key);
    if (!v || json_is_null(v)) {
        if (required)
            return invalid(err, key, NULL, "Member must not be null");
        return true;
    }
    if (!json_is_string(v))
        return invalid(err, key, v, "Member must be a string");
    if (max_len && json_string_length(v) > max_len) {
        char c[96];
        snprintf(c, sizeof c,
                 "Member must have length less than or equal to %zu",
                 max_len);
        return invalid(err, key, v, c);
    }
    *out = json_string_value(v);
    return true;
}

bool svc_bool(json_t *req, const char *key, bool *out, sfn_error *err)
{
    json_t *v = json_object_get(req, key);
    if (!v || json_is_null(v))
        return true;
    if (!json_is_boolean(v))
        return invalid(err, key, v, "Member must be a boolean");
    *out = json_is_true(v);
    return true;
}

bool svc_int(json_t *req, const char *key, int64_t lo, int64_t hi,
             int64_t *out, sfn_error *err)
{
    json_t *v = json_object_get(req, key);
    if (!v || json_is_null(v))
        return true;
    if (!json_is_integer(v))
        return invalid(err, key, v, "Member must be an integer");
    json_int_t n = json_integer_value(v);
    char c[96];
    if (n < lo) {
        snprintf(c, sizeof c,
                 "Member must have value greater than or equal to %lld",
                 (long long)lo);
        return invalid(err, key, v, c);
    }
    if (n > hi) {
        snprintf(c, sizeof c,
                 "Member must have value less than or equal to %lld",
                 (long long)hi);
        return invalid(err, key, v, c);
    }
    *out = n;
    return true;
}

bool svc_max_results(json_t *req, int64_t max, int64_t dflt, int64_t *out,
                     sfn_error *err)
{
    int64_t n = 0;
    if (!svc_int(req, "maxResults", 0, max, &n, err))
        return false;
    *out = n ? n : dflt;
    return true;
}

bool svc_enum(json_t *req, const char *key, const char *const *allowed,
              const char **out, sfn_error *err)
{
    const char *v = NULL;
    if (!svc_str(req, key, false, 0, &v, err))
        return false;
    if (!v)
        return true;
    char set[256] = "";
    for (size_t i = 0; allowed[i]; i++) {
        if (!strcmp(v, allowed[i])) {
            *out = allowed[i];
            return true;
        }
        size_t n = strlen(set);
        snprintf(set + n, sizeof set - n, "%s%s", i ? ", " : "", allowed[i]);
    }
    char c[300];
    snprintf(c, sizeof c, "Member must satisfy enum value set: [%s]", set);
    return invalid(err, key, json_object_get(req, key), c);
}

/* Decodes one UTF-8 code point; returns its length, 0 when malformed. */
static size_t utf8_next(const unsigned char *s, unsigned *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t n = (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3
               : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (!n)
        return 0;
    unsigned c = s[0] & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    *cp = c;
    return n;
}

bool svc_valid_name(const char *name)
{
    static const char forbidden[] = " <>{}[]?*\"#%\\^|~`$&,;:/";
    size_t count = 0;
    const unsigned char *p = (const unsigned char *)name;
    while (*p) {
        unsigned cp;
        size_t n = utf8_next(p, &cp);
        if (!n || cp <= 0x20 || (cp >= 0x7F && cp <= 0x9F) ||
            (cp < 0x80 && strchr(forbidden, (int)cp)) || cp == 0x85 ||
            cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
            cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
            cp == 0x3000)
            return false;
        p += n;
        count++;
    }
    return count >= 1 && count <= 80;
}

/* ---- ARNs --------------------------------------------------------------- */

static bool arn_bad(sfn_error *err, const char *arn)
{
    svc_fail(err, "InvalidArn", "Invalid Arn: '%s'", arn);
    return false;
}

/* Splits "a:b:c" into at most max parts (the last keeps the rest). */
static size_t split(char *s, char **parts, size_t max)
{
    size_t n = 0;
    parts[n++] = s;
    for (char *p = s; *p && n < max; p++)
        if (*p == ':') {
            *p = 0;
            parts[n++] = p + 1;
        }
    return n;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

static bool copy_part(char *dst, size_t size, const char *src)
{
    if (!*src || strlen(src) >= size)
        return false;
    memcpy(dst, src, strlen(src) + 1);
    return true;
}

static bool classify(const sfn_service *svc, char **p, size_t n,
                     svc_arn *out)
{
    if (n < 7 || strcmp(p[0], "arn") || strcmp(p[1], "aws") ||
        strcmp(p[2], "states") || strcmp(p[3], svc->region) ||
        strcmp(p[4], svc->account) || !copy_part(out->name, sizeof out->name,
                                                 p[6]))
        return false;
    if (!strcmp(p[5], "stateMachine")) {
        if (n == 7) {
            out->kind = SVC_ARN_MACHINE;
            return true;
        }
        if (n != 8 || !copy_part(out->qualifier, sizeof out->qualifier, p[7]))
            return false;
        if (all_digits(p[7])) {
            out->kind = SVC_ARN_VERSION;
            out->version = strtoll(p[7], NULL, 10);
            return out->version > 0;
        }
        out->kind = SVC_ARN_ALIAS;
        return true;
    }
    if (!strcmp(p[5], "activity") && n == 7) {
        out->kind = SVC_ARN_ACTIVITY;
        return true;
    }
    if (!strcmp(p[5], "execution") && n == 8) {
        out->kind = SVC_ARN_EXECUTION;
        return copy_part(out->qualifier, sizeof out->qualifier, p[7]);
    }
    if (!strcmp(p[5], "express") && n == 9) {
        out->kind = SVC_ARN_EXPRESS;
        return copy_part(out->qualifier, sizeof out->qualifier, p[7]);
    }
    return false;
}

bool svc_parse_arn(const sfn_service *svc, const char *arn, unsigned allowed,
                   svc_arn *out, sfn_error *err)
{
    memset(out, 0, sizeof *out);
    if (strlen(arn) > 2048)
        return arn_bad(err, arn);
    char *copy = strdup(arn);
    if (!copy)
        return svc_internal(err), false;
    char *parts[10];
    size_t n = split(copy, parts, 10);
    bool ok = classify(svc, parts, n, out) && (allowed & (1u << out->kind));
    free(copy);
    return ok ? true : arn_bad(err, arn);
}

char *svc_machine_arn(const sfn_service *svc, const char *name)
{
    char *s = NULL;
    if (asprintf(&s, "arn:aws:states:%s:%s:stateMachine:%s", svc->region,
                 svc->account, name) < 0)
        return NULL;
    return s;
}

char *svc_version_arn(const sfn_service *svc, const char *name, int64_t v)
{
    char *s = NULL;
    if (asprintf(&s, "arn:aws:states:%s:%s:stateMachine:%s:%lld", svc->region,
                 svc->account, name, (long long)v) < 0)
        return NULL;
    return s;
}

char *svc_alias_arn(const sfn_service *svc, const char *name,
                    const char *alias)
{
    char *s = NULL;
    if (asprintf(&s, "arn:aws:states:%s:%s:stateMachine:%s:%s", svc->region,
                 svc->account, name, alias) < 0)
        return NULL;
    return s;
}

char *svc_activity_arn(const sfn_service *svc, const char *name)
{
    char *s = NULL;
    if (asprintf(&s, "arn:aws:states:%s:%s:activity:%s", svc->region,
                 svc->account, name) < 0)
        return NULL;
    return s;
}

/* ---- time, ids, tokens -------------------------------------------------- */

json_t *svc_date(int64_t ms)
{
    /* exact in binary only to the ms; sfn_json_dumps prints the shortest
     * form, so 1700000000123 ms reads "1700000000.123" */
    return json_real((double)ms / 1000.0);
}

int64_t svc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void svc_uuid(char *buf)
{
    unsigned char b[16] = {0};
    RAND_bytes(b, sizeof b);
    snprintf(buf, 37,
             "%02x%02x%02x%02x-%02x%02x-4%x%02x-%x%x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6] & 15, b[7],
             8 | (b[8] & 3), b[8] >> 4, b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

/* token = base64(json) "." hex(sha256(json))[0..16]: the digest only
 * catches garbage and truncation, the content is not secret. */
char *svc_token_make(json_t *state)
{
    char *text = sfn_json_dumps(state, 0);
    if (!text)
        return NULL;
    size_t n = strlen(text);
    char *out = malloc(4 * ((n + 2) / 3) + 1 + 17 + 1);
    if (!out) {
        free(text);
        return NULL;
    }
    int len = EVP_EncodeBlock((unsigned char *)out, (unsigned char *)text,
                              (int)n);
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((unsigned char *)text, n, md);
    out[len++] = '.';
    for (int i = 0; i < 8; i++)
        len += sprintf(out + len, "%02x", md[i]);
    free(text);
    return out;
}

json_t *svc_token_read(const char *token, sfn_error *err)
{
    const char *dot = strrchr(token, '.');
    size_t b64 = dot ? (size_t)(dot - token) : 0;
    if (!dot || !b64 || b64 % 4 || strlen(dot + 1) != 16 || b64 > 4096)
        goto bad;
    unsigned char buf[3 * 4096 / 4 + 1];
    int n = EVP_DecodeBlock(buf, (const unsigned char *)token, (int)b64);
    if (n < 0)
        goto bad;
    /* EVP_DecodeBlock counts padding as zero bytes */
    for (size_t k = b64; k > b64 - 2 && token[k - 1] == '='; k--)
        n--;
    if (n <= 0)
        goto bad;
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(buf, (size_t)n, md);
    char hex[17];
    for (int i = 0; i < 8; i++)
        sprintf(hex + 2 * i, "%02x", md[i]);
    if (strcmp(hex, dot + 1))
        goto bad;
    json_error_t je;
    json_t *v = sfn_json_loadb((const char *)buf, (size_t)n, 0, &je);
    if (v && json_is_object(v))
        return v;
    json_decref(v);
bad:
    svc_fail(err, "InvalidToken", "Invalid Token: '%s'", token);
    return NULL;
}

void svc_set(json_t *obj, const char *key, json_t *v)
{
    if (v)
        json_object_set_new(obj, key, v);
}

json_t *svc_parse_text(const char *text)
{
    if (!text)
        return NULL;
    json_error_t je;
    return sfn_json_loadb(text, strlen(text), JSON_DECODE_ANY, &je);
}
