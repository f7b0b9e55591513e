/* config.c: stepd serve's settings (sfn_config.h).  One table lists every
 * setting with its type, default and range; the file, environment and flag
 * layers all go through sfn_config_set, so a value is checked the same way
 * wherever it comes from and every message names the key and its source. */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sfn_config.h"
#include "sfn_httpc.h"

typedef enum {
    T_STR,
    T_OPTSTR,
    T_INT,
    T_SIZE,     /* an integer into a size_t                              */
    T_SYNC,
    T_LEVEL,
    T_FORMAT,
    T_KEYS,
    T_LIST,     /* comma-separated text, or a JSON array in the file     */
    T_UNBOUND,
    T_CONNS,    /* file only: {"name": {...}}                            */
    T_BINDINGS, /* file only: [{...}]                                    */
} kind;

typedef struct {
    const char *key;
    kind type;
    size_t off;
    const char *def;
    int64_t min, max;
    const char *help;
} setting;

#define OFF(m) offsetof(sfn_config, m)

static const setting settings[] = {
    {"listen", T_STR, OFF(listen), "127.0.0.1:8083", 0, 0,
     "address and port to listen on (HOST:PORT, [IPv6]:PORT)"},
    {"db", T_STR, OFF(db), "stepd.db", 0, 0,
     "SQLite database file, or a PostgreSQL URL (postgres://USER@HOST:PORT/"
     "DB) shared by several nodes"},
    {"node.id", T_OPTSTR, OFF(node_id), "", 0, 0,
     "PostgreSQL: this node's id ([A-Za-z0-9_-], up to 40); empty = a "
     "generated one (a node restarting with its id takes its executions "
     "back at once)"},
    {"node.lease_seconds", T_INT, OFF(lease_seconds), "10", 1, 3600,
     "PostgreSQL: node lease; another node takes over this node's "
     "executions this long after it stops renewing"},
    {"sync", T_SYNC, OFF(sync), "normal", 0, 0,
     "SQLite synchronous mode: normal or full (fsync every commit)"},
    {"region", T_STR, OFF(region), "us-east-1", 0, 0, "region in ARNs"},
    {"account", T_STR, OFF(account), "123456789012", 0, 0,
     "account in ARNs (12 digits)"},
    {"auth.token", T_OPTSTR, OFF(auth_token), "", 0, 0,
     "bearer token required by the REST API and /metrics (also "
     "STEPD_TOKEN); empty = no auth"},
    {"auth.aws_keys", T_KEYS, 0, "", 0, 0,
     "SigV4 keys as ACCESS_KEY_ID:SECRET[,...]; empty = signatures not "
     "checked"},
    {"threads", T_INT, OFF(threads), "0", -1, 256,
     "HTTP threads: 0 = an epoll pool of one thread per core, N = a pool "
     "of N (requests waiting for the engine are suspended, not blocking "
     "a thread), -1 = one thread per connection"},
    {"limits.history_events", T_INT, OFF(limits.history_events), "25000", 1,
     1000000, "events per execution before it fails"},
    {"limits.payload_bytes", T_INT, OFF(limits.payload_bytes), "262144", 1,
     16777216, "execution input, output and state data, bytes"},
    {"limits.definition_bytes", T_INT, OFF(limits.definition_bytes),
     "1048576", 1, 16777216, "definition size, bytes"},
    {"limits.request_body_bytes", T_INT, OFF(limits.request_body_bytes),
     "589824", 1024, 67108864,
     "other request bodies (AWS protocol envelope), bytes"},
    {"limits.max_connections", T_INT, OFF(limits.max_connections), "1024", 1,
     65536, "simultaneous HTTP connections"},
    {"limits.per_ip_connections", T_INT, OFF(limits.per_ip_connections),
     "512", 1, 65536, "simultaneous HTTP connections from one address"},
    {"limits.connection_timeout_seconds", T_INT,
     OFF(limits.connection_timeout_seconds), "30", 1, 3600,
     "idle connection timeout (slow clients are dropped)"},
    {"limits.open_executions", T_INT, OFF(limits.open_executions), "1000000",
     1, 1000000000, "running executions before ExecutionLimitExceeded"},
    {"limits.map_concurrency", T_INT, OFF(limits.map_concurrency), "1000", 1,
     1000000,
     "iterations of one Map (inline or distributed) running at once; "
     "MaxConcurrency 0 means up to this"},
    {"limits.requests_per_second_per_connection", T_INT,
     OFF(limits.requests_per_second_per_connection), "20000", 0, 1000000,
     "requests per second on one HTTP connection before 429 "
     "ThrottlingException; 0 = no limit"},
    {"log.level", T_LEVEL, OFF(log_level), "info", 0, 0,
     "debug, info, warn or error"},
    {"log.format", T_FORMAT, OFF(log_format), "text", 0, 0, "text or json"},
    {"http.allow", T_LIST, 0, "", 0, 0,
     "outbound allowlist for HTTP Tasks and bindings: hosts, *.patterns, "
     "CIDRs (comma-separated; an array in the file); empty = any host"},
    {"http.timeout_seconds", T_INT, OFF(tasks.http_timeout_s), "60", 1, 3600,
     "default timeout of an outbound HTTP request"},
    {"http.max_response_bytes", T_SIZE, OFF(tasks.max_response_bytes),
     "262144", 1024, 67108864,
     "largest outbound response body (States.DataLimitExceeded above)"},
    {"http.max_host_connections", T_INT, OFF(tasks.max_host_connections),
     "256", 1, 65536,
     "outbound connections open at once per host:port (more requests wait "
     "for one)"},
    {"tasks.unbound", T_UNBOUND, OFF(tasks.unbound), "state", 0, 0,
     "a Task nothing can run fails: state (when it runs) or start "
     "(StartExecution is refused)"},
    {"mock_config", T_OPTSTR, OFF(tasks.mock_file), "", 0, 0,
     "Step Functions Local mock configuration file (also SFN_MOCK_CONFIG)"},
    {"connections", T_CONNS, 0, "", 0, 0,
     "named connections for HTTP Task authentication (file only)"},
    {"bindings", T_BINDINGS, 0, "", 0, 0,
     "Task resource -> HTTP endpoint bindings (file only)"},
};

#define N_SETTINGS (sizeof settings / sizeof settings[0])

static bool file_only(const setting *s)
{
    return s->type == T_CONNS || s->type == T_BINDINGS;
}

const sfn_config_doc *sfn_config_docs(size_t *n_out)
{
    static sfn_config_doc docs[N_SETTINGS];
    size_t n = 0;
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (!file_only(&settings[i]))
            docs[n++] = (sfn_config_doc){settings[i].key, settings[i].def,
                                         settings[i].help};
    *n_out = n;
    return docs;
}

void sfn_config_env_name(const char *key, char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, "STEPD_");
    for (const char *p = key; *p && n + 1 < size; p++)
        buf[n++] = *p == '.' ? '_' : (char)toupper((unsigned char)*p);
    buf[n < size ? n : size - 1] = '\0';
}

void sfn_config_flag_name(const char *key, char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, "--");
    for (const char *p = key; *p && n + 1 < size; p++)
        buf[n++] = (*p == '.' || *p == '_') ? '-' : *p;
    buf[n < size ? n : size - 1] = '\0';
}

static const setting *find(const char *key)
{
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (!strcmp(settings[i].key, key))
            return &settings[i];
    return NULL;
}

static void free_keys(sfn_config *c)
{
    for (size_t i = 0; i < c->n_aws_keys; i++) {
        free(c->aws_keys[i].access_key_id);
        free(c->aws_keys[i].secret_access_key);
    }
    free(c->aws_keys);
    c->aws_keys = NULL;
    c->n_aws_keys = 0;
}

static sfn_rc add_key(sfn_config *c, const char *id, size_t id_len,
                      const char *secret, sfn_error *err)
{
    sfn_config_key *k =
        realloc(c->aws_keys, (c->n_aws_keys + 1) * sizeof *k);
    if (!k)
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    c->aws_keys = k;
    k[c->n_aws_keys].access_key_id = strndup(id, id_len);
    k[c->n_aws_keys].secret_access_key = strdup(secret);
    c->n_aws_keys++;
    if (!k[c->n_aws_keys - 1].access_key_id ||
        !k[c->n_aws_keys - 1].secret_access_key)
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    return SFN_OK;
}

/* "ID:SECRET,ID2:SECRET2" (the secret may not contain ','). */
static sfn_rc set_keys(sfn_config *c, const char *value, const char *source,
                       sfn_error *err)
{
    free_keys(c);
    char *copy = strdup(value);
    if (!copy)
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    sfn_rc rc = SFN_OK;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok && rc == SFN_OK;
         tok = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(tok, ':');
        if (!colon || colon == tok || !colon[1])
            rc = sfn_error_set(err, SFN_EINVAL, NULL, -1,
                               "%s: auth.aws_keys: expected "
                               "ACCESS_KEY_ID:SECRET, got '%s'",
                               source, tok);
        else
            rc = add_key(c, tok, (size_t)(colon - tok), colon + 1, err);
    }
    free(copy);
    return rc;
}

static sfn_rc set_int(int64_t *dst, const setting *s, const char *value,
                      const char *source, sfn_error *err)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (!*value || *end || errno)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "%s: %s: expected an integer, got '%s'", source,
                             s->key, value);
    if (v < s->min || v > s->max)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "%s: %s: %lld is out of range (%lld..%lld)",
                             source, s->key, v, (long long)s->min,
                             (long long)s->max);
    *dst = v;
    return SFN_OK;
}

static sfn_rc set_str(char **dst, const setting *s, const char *value,
                      const char *source, sfn_error *err)
{
    if (s->type == T_STR && !*value)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "%s: %s: must not be empty", source, s->key);
    char *copy = NULL;
    if (*value && !(copy = strdup(value)))
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    free(*dst);
    *dst = copy;
    return SFN_OK;
}

/* tasks.region follows region (ARNs and the HTTP Task's User-Agent). */
static sfn_rc sync_region(sfn_config *c, sfn_error *err)
{
    free(c->tasks.region);
    c->tasks.region = c->region ? strdup(c->region) : NULL;
    if (c->region && !c->tasks.region)
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    return SFN_OK;
}

static void free_allow(sfn_config *c)
{
    for (size_t i = 0; i < c->tasks.n_allow; i++)
        free(c->tasks.allow[i]);
    free(c->tasks.allow);
    c->tasks.allow = NULL;
    c->tasks.n_allow = 0;
}

static sfn_rc add_allow(sfn_config *c, const char *entry, size_t len,
                        sfn_error *err)
{
    char **a = realloc(c->tasks.allow, (c->tasks.n_allow + 1) * sizeof *a);
    if (!a)
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    c->tasks.allow = a;
    if (!(a[c->tasks.n_allow] = strndup(entry, len)))
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    c->tasks.n_allow++;
    return SFN_OK;
}

/* "a.example.com, *.b.com,10.0.0.0/8": entries trimmed, empty ones
 * skipped; replaces the list. */
static sfn_rc set_list(sfn_config *c, const char *value, sfn_error *err)
{
    free_allow(c);
    const char *p = value;
    while (*p) {
        size_t n = strcspn(p, ",");
        const char *b = p, *e = p + n;
        while (b < e && isspace((unsigned char)*b))
            b++;
        while (e > b && isspace((unsigned char)e[-1]))
            e--;
        if (e > b) {
            sfn_rc rc = add_allow(c, b, (size_t)(e - b), err);
            if (rc != SFN_OK)
                return rc;
        }
        p += n + (p[n] == ',');
    }
    return SFN_OK;
}

static sfn_rc set_enum(sfn_config *c, const setting *s, const char *value,
                       const char *source, sfn_error *err)
{
    char *base = (char *)c + s->off;
    bool ok = false;
    const char *allowed = "";
    if (s->type == T_SYNC) {
        allowed = "normal, full";
        ok = !strcmp(value, "normal") || !strcmp(value, "full");
        if (ok)
            *(sfn_sync_mode *)(void *)base =
                !strcmp(value, "full") ? SFN_SYNC_FULL : SFN_SYNC_NORMAL;
    } else if (s->type == T_UNBOUND) {
        allowed = "state, start";
        ok = !strcmp(value, "state") || !strcmp(value, "start");
        if (ok)
            *(sfn_unbound_mode *)(void *)base = !strcmp(value, "start")
                                                    ? SFN_UNBOUND_AT_START
                                                    : SFN_UNBOUND_AT_STATE;
    } else if (s->type == T_LEVEL) {
        allowed = "debug, info, warn, error";
        ok = sfn_log_parse_level(value, (sfn_log_level *)(void *)base);
    } else {
        allowed = "text, json";
        ok = sfn_log_parse_format(value, (sfn_log_format *)(void *)base);
    }
    if (!ok)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "%s: %s: '%s' is not one of %s", source, s->key,
                             value, allowed);
    return SFN_OK;
}

sfn_rc sfn_config_set(sfn_config *c, const char *key, const char *value,
                      const char *source, sfn_error *err)
{
    const setting *s = find(key);
    if (!s)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "%s: unknown setting '%s'", source, key);
    char *base = (char *)c + s->off;
    sfn_rc rc;
    int64_t n = 0;
    switch (s->type) {
    case T_STR:
    case T_OPTSTR:
        rc = set_str((char **)(void *)base, s, value, source, err);
        return rc == SFN_OK && !strcmp(key, "region") ? sync_region(c, err)
                                                      : rc;
    case T_INT:
        return set_int((int64_t *)(void *)base, s, value, source, err);
    case T_SIZE:
        if ((rc = set_int(&n, s, value, source, err)) == SFN_OK)
            *(size_t *)(void *)base = (size_t)n;
        return rc;
    case T_KEYS:
        return set_keys(c, value, source, err);
    case T_LIST:
        return set_list(c, value, err);
    case T_CONNS:
    case T_BINDINGS:
        if (!*value)
            return SFN_OK;
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "%s: %s can only be set in the config file",
                             source, s->key);
    default:
        return set_enum(c, s, value, source, err);
    }
}

sfn_rc sfn_config_defaults(sfn_config *c, sfn_error *err)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < N_SETTINGS; i++) {
        sfn_rc rc = sfn_config_set(c, settings[i].key, settings[i].def,
                                   "default", err);
        if (rc != SFN_OK)
            return rc;
    }
    return SFN_OK;
}

/* ---- the JSON file -------------------------------------------------- */

static sfn_rc file_keys(sfn_config *c, json_t *arr, const char *src,
                        sfn_error *err)
{
    free_keys(c);
    size_t i;
    json_t *k;
    json_array_foreach(arr, i, k) {
        const char *id = json_string_value(json_object_get(k, "access_key_id"));
        const char *sec =
            json_string_value(json_object_get(k, "secret_access_key"));
        sfn_rc rc;
        if (json_is_string(k))
            rc = set_keys(c, json_string_value(k), src, err);
        else if (id && sec && *id && *sec)
            rc = add_key(c, id, strlen(id), sec, err);
        else
            rc = sfn_error_set(err, SFN_EINVAL, NULL, -1,
                               "%s: auth.aws_keys[%zu]: expected "
                               "{\"access_key_id\":...,"
                               "\"secret_access_key\":...}",
                               src, i);
        if (rc != SFN_OK)
            return rc;
    }
    return SFN_OK;
}

/* ---- connections and bindings (file only) ---------------------------- */

typedef struct {
    const char *src; /* the file, for messages */
    sfn_config_getenv getenv_fn;
    sfn_error *err;
} file_ctx;

/* A string member, "env:NAME" read from the environment.  *out malloc'd
 * or NULL when absent. */
static sfn_rc file_str(const file_ctx *fc, json_t *obj, const char *member,
                       const char *where, char **out)
{
    json_t *v = json_object_get(obj, member);
    *out = NULL;
    if (!v)
        return SFN_OK;
    const char *s = json_string_value(v);
    if (!s)
        return sfn_error_set(fc->err, SFN_EINVAL, NULL, -1,
                             "%s: %s.%s: expected a string", fc->src, where,
                             member);
    if (!strncmp(s, "env:", 4)) {
        const char *e = fc->getenv_fn(s + 4);
        if (!e)
            return sfn_error_set(fc->err, SFN_EINVAL, NULL, -1,
                                 "%s: %s.%s: environment variable %s is not "
                                 "set",
                                 fc->src, where, member, s + 4);
        s = e;
    }
    if (!(*out = strdup(s)))
        return sfn_error_set(fc->err, SFN_ENOMEM, NULL, -1, "out of memory");
    return SFN_OK;
}

/* An object of strings (headers, query), values resolved like file_str.
 * New reference in *out, or NULL when absent. */
static sfn_rc file_strings(const file_ctx *fc, json_t *obj,
                           const char *member, const char *where,
                           json_t **out)
{
    json_t *v = json_object_get(obj, member);
    *out = NULL;
    if (!v)
        return SFN_OK;
    char at[300];
    snprintf(at, sizeof at, "%s.%s", where, member);
    if (!json_is_object(v))
        return sfn_error_set(fc->err, SFN_EINVAL, NULL, -1,
                             "%s: %s: expected an object of strings", fc->src,
                             at);
    if (!(*out = json_object()))
        return sfn_error_set(fc->err, SFN_ENOMEM, NULL, -1, "out of memory");
    const char *k;
    json_t *item;
    json_object_foreach(v, k, item) {
        char *text = NULL;
        sfn_rc rc = file_str(fc, v, k, at, &text);
        if (rc == SFN_OK &&
            json_object_set_new(*out, k, json_string(text)) != 0)
            rc = sfn_error_set(fc->err, SFN_EINVAL, NULL, -1,
                               "%s: %s.%s: not valid UTF-8", fc->src, at, k);
        free(text);
        if (rc != SFN_OK)
            return rc;
    }
    return SFN_OK;
}

static sfn_rc only_keys(const file_ctx *fc, json_t *obj, const char *where,
                        const char *const *allowed)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = !strcmp(*a, k);
        if (!ok)
            return sfn_error_set(fc->err, SFN_EINVAL, NULL, -1,
                                 "%s: %s: unknown member '%s'", fc->src,
                                 where, k);
    }
    return SFN_OK;
}

static const char *const conn_keys[] = {
    "type",      "key_name",      "key_value", "username", "password",
    "token_url", "client_id",     "client_secret", "scope", "headers",
    "query",     "body",          NULL};

/* The members one type needs, NULL-terminated. */
static const char *const *conn_required(sfn_conn_kind k)
{
    static const char *const api[] = {"key_name", "key_value", NULL};
    static const char *const basic[] = {"username", "password", NULL};
    static const char *const oauth[] = {"token_url", "client_id",
                                        "client_secret", NULL};
    return k == SFN_CONN_API_KEY ? api : k == SFN_CONN_BASIC ? basic : oauth;
}

static sfn_rc conn_kind(const file_ctx *fc, json_t *o, const char *where,
                        sfn_conn_kind *kind)
{
    const char *t = json_string_value(json_object_get(o, "type"));
    if (t && !strcmp(t, "API_KEY"))
        *kind = SFN_CONN_API_KEY;
    else if (t && !strcmp(t, "BASIC"))
        *kind = SFN_CONN_BASIC;
    else if (t && !strcmp(t, "OAUTH_CLIENT_CREDENTIALS"))
        *kind = SFN_CONN_OAUTH;
    else
        return sfn_error_set(fc->err, SFN_EINVAL, NULL, -1,
                             "%s: %s.type: expected API_KEY, BASIC or "
                             "OAUTH_CLIENT_CREDENTIALS",
                             fc->src, where);
    for (const char *const *r = conn_required(*kind); *r; r++)
        if (!json_string_value(json_object_get(o, *r)) ||
            !*json_string_value(json_object_get(o, *r)))
            return sfn_error_set(fc->err, SFN_EINVAL, NULL, -1,
                                 "%s: %s: %s is required for type %s",
                                 fc->src, where, *r, t);
    return SFN_OK;
}

static bool is_http_url(const char *u)
{
    return u && (!strncasecmp(u, "http://", 7) ||
                 !strncasecmp(u, "https://", 8)) &&
           strlen(u) > 8;
}

static sfn_rc conn_strings(const file_ctx *fc, json_t *o, const char *where,
                           sfn_connection *c)
{
    struct {
        const char *m;
        char **dst;
    } f[] = {{"key_name", &c->key_name},   {"key_value", &c->key_value},
             {"username", &c->username},   {"password", &c->password},
             {"token_url", &c->token_url}, {"client_id", &c->client_id},
             {"client_secret", &c->client_secret}, {"scope", &c->scope}};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
        sfn_rc rc = file_str(fc, o, f[i].m, where, f[i].dst);
        if (rc != SFN_OK)
            return rc;
    }
    if (c->kind == SFN_CONN_OAUTH && !is_http_url(c->token_url))
        return sfn_error_set(fc->err, SFN_EINVAL, NULL, -1,
                             "%s: %s.token_url: expected an http:// or "
                             "https:// URL",
                             fc->src, where);
    return SFN_OK;
}

static sfn_rc file_connection(const file_ctx *fc, const char *name,
                              json_t *o, sfn_connection *c)
{
    char where[300];
    snprintf(where, sizeof where, "connections.%s", name);
    if (!json_is_object(o))
        return sfn_error_set(fc->err, SFN_EINVAL, NULL, -1,
                             "%s: %s: expected an object", fc->src, where);
    sfn_rc rc = only_keys(fc, o, where, conn_keys);
    if (rc == SFN_OK)
        rc = conn_kind(fc, o, where, &c->kind);
    if (rc == SFN_OK && !(c->name = strdup(name)))
        rc = sfn_error_set(fc->err, SFN_ENOMEM, NULL, -1, "out of memory");
    if (rc == SFN_OK)
        rc = conn_strings(fc, o, where, c);
    if (rc == SFN_OK)
        rc = file_strings(fc, o, "headers", where, &c->headers);
    if (rc == SFN_OK)
        rc = file_strings(fc, o, "query", where, &c->query);
    json_t *body = json_object_get(o, "body");
    if (rc == SFN_OK && body && !json_is_object(body))
        rc = sfn_error_set(fc->err, SFN_EINVAL, NULL, -1,
                           "%s: %s.body: expected an object", fc->src, where);
    if (rc == SFN_OK && body && !(c->body = json_deep_copy(body)))
        rc = sfn_error_set(fc->err, SFN_ENOMEM, NULL, -1, "out of memory");
    return rc;
}

/* Replaces the tasks config's connections or bindings with `n` zeroed
 * entries (the old ones freed through a scratch config). */
static sfn_rc reset_tasks_array(sfn_config *c, bool conns, size_t n,
                                sfn_error *err)
{
    sfn_tasks_config old = {0};
    if (conns) {
        old.connections = c->tasks.connections;
        old.n_connections = c->tasks.n_connections;
        c->tasks.connections = NULL;
        c->tasks.n_connections = 0;
    } else {
        old.bindings = c->tasks.bindings;
        old.n_bindings = c->tasks.n_bindings;
        c->tasks.bindings = NULL;
        c->tasks.n_bindings = 0;
    }
    sfn_tasks_config_free(&old);
    if (!n)
        return SFN_OK;
    void *p = calloc(n, conns ? sizeof(sfn_connection) : sizeof(sfn_binding));
    if (!p)
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    if (conns)
        c->tasks.connections = p;
    else
        c->tasks.bindings = p;
    return SFN_OK;
}

static sfn_rc file_connections(sfn_config *c, const file_ctx *fc, json_t *v)
{
    if (!json_is_object(v))
        return sfn_error_set(fc->err, SFN_EINVAL, NULL, -1,
                             "%s: connections: expected an object of named "
                             "connections",
                             fc->src);
    sfn_rc rc = reset_tasks_array(c, true, json_object_size(v), fc->err);
    const char *name;
    json_t *o;
    json_object_foreach(v, name, o) {
        if (rc != SFN_OK)
            break;
        /* counted first, so a half-filled entry is freed with the rest */
        sfn_connection *conn = &c->tasks.connections[c->tasks.n_connections++];
        rc = file_connection(fc, name, o, conn);
    }
    return rc;
}

static const char *const binding_keys[] = {"resource", "url", "headers",
                                           "connection", "timeout_seconds",
                                           NULL};

static sfn_rc file_binding(const file_ctx *fc, size_t i, json_t *o,
                           sfn_binding *b)
{
    char where[64];
    snprintf(where, sizeof where, "bindings[%zu]", i);
    if (!json_is_object(o))
        return sfn_error_set(fc->err, SFN_EINVAL, NULL, -1,
                             "%s: %s: expected an object", fc->src, where);
    sfn_rc rc = only_keys(fc, o, where, binding_keys);
    if (rc == SFN_OK)
        rc = file_str(fc, o, "resource", where, &b->resource);
    if (rc == SFN_OK)
        rc = file_str(fc, o, "url", where, &b->url);
    if (rc == SFN_OK)
        rc = file_str(fc, o, "connection", where, &b->connection);
    if (rc == SFN_OK)
        rc = file_strings(fc, o, "headers", where, &b->headers);
    if (rc != SFN_OK)
        return rc;
    if (!b->resource || !*b->resource)
        return sfn_error_set(fc->err, SFN_EINVAL, NULL, -1,
                             "%s: %s.resource: required", fc->src, where);
    if (!is_http_url(b->url))
        return sfn_error_set(fc->err, SFN_EINVAL, NULL, -1,
                             "%s: %s.url: expected an http:// or https:// "
                             "URL",
                             fc->src, where);
    json_t *t = json_object_get(o, "timeout_seconds");
    if (t && (!json_is_integer(t) || json_integer_value(t) < 1 ||
              json_integer_value(t) > 3600))
        return sfn_error_set(fc->err, SFN_EINVAL, NULL, -1,
                             "%s: %s.timeout_seconds: expected an integer in "
                             "1..3600",
                             fc->src, where);
    b->timeout_s = t ? json_integer_value(t) : 0;
    return SFN_OK;
}

static sfn_rc file_bindings(sfn_config *c, const file_ctx *fc, json_t *v)
{
    if (!json_is_array(v))
        return sfn_error_set(fc->err, SFN_EINVAL, NULL, -1,
                             "%s: bindings: expected an array", fc->src);
    sfn_rc rc = reset_tasks_array(c, false, json_array_size(v), fc->err);
    size_t i;
    json_t *o;
    json_array_foreach(v, i, o) {
        if (rc != SFN_OK)
            break;
        sfn_binding *b = &c->tasks.bindings[c->tasks.n_bindings++];
        rc = file_binding(fc, i, o, b);
    }
    return rc;
}

static sfn_rc file_list(sfn_config *c, const file_ctx *fc, const char *key,
                        json_t *arr)
{
    free_allow(c);
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) {
        const char *s = json_string_value(e);
        if (!s)
            return sfn_error_set(fc->err, SFN_EINVAL, NULL, -1,
                                 "%s: %s[%zu]: expected a string", fc->src,
                                 key, i);
        sfn_rc rc = add_allow(c, s, strlen(s), fc->err);
        if (rc != SFN_OK)
            return rc;
    }
    return SFN_OK;
}

static sfn_rc file_value(sfn_config *c, const char *key, json_t *v,
                         const file_ctx *fc)
{
    char num[32];
    const char *src = fc->src;
    sfn_error *err = fc->err;
    const setting *s = find(key);
    if (s && s->type == T_KEYS && json_is_array(v))
        return file_keys(c, v, src, err);
    if (s && s->type == T_LIST && json_is_array(v))
        return file_list(c, fc, key, v);
    if (s && s->type == T_CONNS)
        return file_connections(c, fc, v);
    if (s && s->type == T_BINDINGS)
        return file_bindings(c, fc, v);
    if (json_is_string(v))
        return sfn_config_set(c, key, json_string_value(v), src, err);
    if (json_is_integer(v) && s && (s->type == T_INT || s->type == T_SIZE)) {
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        return sfn_config_set(c, key, num, src, err);
    }
    if (!s)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "%s: unknown setting '%s'", src, key);
    return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                         "%s: %s: expected %s", src, key,
                         s->type == T_INT || s->type == T_SIZE
                             ? "an integer"
                         : s->type == T_KEYS ? "an array of keys"
                         : s->type == T_LIST ? "an array of strings"
                                             : "a string");
}

static sfn_rc file_object(sfn_config *c, json_t *obj, const char *prefix,
                          const file_ctx *fc)
{
    const char *name;
    json_t *v;
    json_object_foreach(obj, name, v) {
        char key[256];
        snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "." : "",
                 name);
        sfn_rc rc = json_is_object(v) && !find(key)
                        ? file_object(c, v, key, fc)
                        : file_value(c, key, v, fc);
        if (rc != SFN_OK)
            return rc;
    }
    return SFN_OK;
}

static const char *real_getenv(const char *name)
{
    return getenv(name);
}

sfn_rc sfn_config_apply_file(sfn_config *c, const char *path, sfn_error *err)
{
    return sfn_config_apply_file_env(c, path, real_getenv, err);
}

sfn_rc sfn_config_apply_file_env(sfn_config *c, const char *path,
                                 sfn_config_getenv getenv_fn, sfn_error *err)
{
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        if (je.line < 1)
            return sfn_error_set(err, SFN_EIO, NULL, -1,
                                 "config file '%s': %s", path, je.text);
        return sfn_error_set(err, SFN_ESYNTAX, NULL, je.position,
                             "config file '%s': line %d column %d: %s", path,
                             je.line, je.column, je.text);
    }
    sfn_rc rc;
    if (!json_is_object(root))
        rc = sfn_error_set(err, SFN_EINVAL, NULL, -1,
                           "config file '%s': expected a JSON object", path);
    else {
        char src[600];
        snprintf(src, sizeof src, "%s", path);
        file_ctx fc = {src, getenv_fn, err};
        rc = file_object(c, root, "", &fc);
    }
    json_decref(root);
    if (rc == SFN_OK) {
        free(c->config_file);
        c->config_file = strdup(path);
    }
    return rc;
}

/* ---- environment and flags ----------------------------------------- */

sfn_rc sfn_config_apply_env(sfn_config *c, sfn_config_getenv getenv_fn,
                            sfn_error *err)
{
    /* the short aliases first, so the full names win when both are set;
     * SFN_MOCK_CONFIG is the variable Step Functions Local reads */
    const char *tok = getenv_fn("STEPD_TOKEN");
    if (tok) {
        sfn_rc rc = sfn_config_set(c, "auth.token", tok, "STEPD_TOKEN", err);
        if (rc != SFN_OK)
            return rc;
    }
    const char *mock = getenv_fn("SFN_MOCK_CONFIG");
    if (mock) {
        sfn_rc rc =
            sfn_config_set(c, "mock_config", mock, "SFN_MOCK_CONFIG", err);
        if (rc != SFN_OK)
            return rc;
    }
    for (size_t i = 0; i < N_SETTINGS; i++) {
        char name[96];
        sfn_config_env_name(settings[i].key, name, sizeof name);
        const char *v = getenv_fn(name);
        if (!v)
            continue;
        sfn_rc rc = sfn_config_set(c, settings[i].key, v, name, err);
        if (rc != SFN_OK)
            return rc;
    }
    return SFN_OK;
}

/* The setting a flag names ("--limits-payload-bytes"), or NULL. */
static const setting *find_flag(const char *flag, size_t len)
{
    for (size_t i = 0; i < N_SETTINGS; i++) {
        char name[96];
        sfn_config_flag_name(settings[i].key, name, sizeof name);
        if (strlen(name) == len && !strncmp(name, flag, len))
            return &settings[i];
    }
    return NULL;
}

/* Splits argv[*i] into flag and value (from "=" or the next argument). */
static sfn_rc next_flag(int argc, char **argv, int *i, const char **flag,
                        size_t *flag_len, const char **value, sfn_error *err)
{
    const char *a = argv[*i];
    if (strncmp(a, "--", 2))
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "unexpected argument '%s'", a);
    const char *eq = strchr(a, '=');
    *flag = a;
    *flag_len = eq ? (size_t)(eq - a) : strlen(a);
    if (eq) {
        *value = eq + 1;
        return SFN_OK;
    }
    if (*i + 1 >= argc)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "option '%s' needs a value", a);
    *value = argv[++*i];
    return SFN_OK;
}

static bool is_flag(const char *flag, size_t len, const char *name)
{
    return strlen(name) == len && !strncmp(flag, name, len);
}

static sfn_rc apply_flags(sfn_config *c, int argc, char **argv,
                          sfn_error *err)
{
    for (int i = 1; i < argc; i++) {
        const char *flag = NULL, *value = NULL;
        size_t len = 0;
        sfn_rc rc = next_flag(argc, argv, &i, &flag, &len, &value, err);
        if (rc != SFN_OK)
            return rc;
        if (is_flag(flag, len, "--config"))
            continue;
        const setting *s = find_flag(flag, len);
        if (!s)
            return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                                 "unknown option '%.*s'", (int)len, flag);
        char src[128];
        snprintf(src, sizeof src, "%.*s", (int)len, flag);
        if ((rc = sfn_config_set(c, s->key, value, src, err)) != SFN_OK)
            return rc;
    }
    return SFN_OK;
}

/* --config FILE from argv (the last one wins), else NULL. */
static const char *flag_config(int argc, char **argv, bool *help)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            *help = true;
        else if (!strcmp(argv[i], "--config") && i + 1 < argc)
            path = argv[++i];
        else if (!strncmp(argv[i], "--config=", 9))
            path = argv[i] + 9;
    }
    return path;
}

sfn_rc sfn_config_load(sfn_config *c, int argc, char **argv,
                       sfn_config_getenv getenv_fn, bool *help,
                       sfn_error *err)
{
    *help = false;
    sfn_rc rc = sfn_config_defaults(c, err);
    if (rc != SFN_OK)
        return rc;
    const char *file = flag_config(argc, argv, help);
    if (*help)
        return SFN_OK;
    if (!file)
        file = getenv_fn("STEPD_CONFIG");
    if (file && *file &&
        (rc = sfn_config_apply_file_env(c, file, getenv_fn, err)) != SFN_OK)
        return rc;
    if ((rc = sfn_config_apply_env(c, getenv_fn, err)) != SFN_OK)
        return rc;
    if ((rc = apply_flags(c, argc, argv, err)) != SFN_OK)
        return rc;
    return sfn_config_validate(c, err);
}

/* ---- validation ---------------------------------------------------- */

sfn_rc sfn_config_listen_addr(const sfn_config *c, char **host, int *port,
                              sfn_error *err)
{
    const char *l = c->listen;
    const char *colon = strrchr(l, ':');
    const char *h = l, *h_end = colon;
    if (l[0] == '[') {
        const char *close = strchr(l, ']');
        if (!close || close[1] != ':')
            colon = NULL;
        h = l + 1;
        h_end = close;
    }
    char *end = NULL;
    long p = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || h_end <= h || !colon[1] || *end || p < 1 || p > 65535)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "listen: '%s' is not HOST:PORT with a port in "
                             "1..65535",
                             l);
    *host = strndup(h, (size_t)(h_end - h));
    if (!*host)
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    *port = (int)p;
    return SFN_OK;
}

static bool all_chars(const char *s, const char *allowed_extra, bool digits,
                      bool lower)
{
    if (!*s)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (!((digits && isdigit(*p)) || (lower && islower(*p)) ||
              strchr(allowed_extra, *p)))
            return false;
    return true;
}

static sfn_rc validate_tasks(const sfn_tasks_config *t, sfn_error *err)
{
    for (size_t i = 0; i < t->n_allow; i++) {
        sfn_error e;
        sfn_error_clear(&e);
        if (!sfn_httpc_allow_entry_valid(t->allow[i], &e))
            return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                                 "http.allow[%zu]: '%s': %s", i, t->allow[i],
                                 e.cause);
    }
    for (size_t i = 0; i < t->n_bindings; i++) {
        const char *name = t->bindings[i].connection;
        bool found = !name;
        for (size_t j = 0; name && j < t->n_connections && !found; j++)
            found = !strcmp(t->connections[j].name, name);
        if (!found)
            return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                                 "bindings[%zu] (%s): connection '%s' is not "
                                 "defined in connections",
                                 i, t->bindings[i].resource, name);
    }
    return SFN_OK;
}

sfn_rc sfn_config_validate(const sfn_config *c, sfn_error *err)
{
    char *host = NULL;
    int port = 0;
    sfn_rc rc = sfn_config_listen_addr(c, &host, &port, err);
    free(host);
    if (rc != SFN_OK)
        return rc;
    if (strlen(c->account) != 12 || !all_chars(c->account, "", true, false))
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "account: '%s' is not 12 digits", c->account);
    if (!all_chars(c->region, "-", true, true))
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "region: '%s' is not a region name such as "
                             "us-east-1",
                             c->region);
    if (c->auth_token && strlen(c->auth_token) < 8)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "auth.token: must be at least 8 characters");
    if ((rc = validate_tasks(&c->tasks, err)) != SFN_OK)
        return rc;
    if (c->limits.per_ip_connections > c->limits.max_connections)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "limits.per_ip_connections: %lld is above "
                             "limits.max_connections (%lld)",
                             (long long)c->limits.per_ip_connections,
                             (long long)c->limits.max_connections);
    return SFN_OK;
}

void sfn_config_free(sfn_config *c)
{
    if (!c)
        return;
    free(c->listen);
    free(c->db);
    free(c->node_id);
    free(c->region);
    free(c->account);
    free(c->auth_token);
    free(c->config_file);
    free_keys(c);
    sfn_tasks_config_free(&c->tasks);
    memset(c, 0, sizeof *c);
}
