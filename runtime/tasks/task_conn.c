/* task_conn.c: named connections (stand-ins for EventBridge connections):
 * API key and Basic headers, the OAuth client-credentials grant with a
 * token cache shared by every request of the connection (fetched once
 * through the same async client, requests parked meanwhile), the extra
 * headers/query/body a connection adds, and scrubbing its secrets out of
 * every error and cause. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tasks_internal.h"

#define REDACTED "*****"
#define TOKEN_MARGIN_MS 30000 /* renew a little before the server would */

int sfn__tasks_conn_find(const sfn_tasks *t, const char *name)
{
    for (size_t i = 0; name && i < t->cfg.n_connections; i++)
        if (!strcmp(t->cfg.connections[i].name, name))
            return (int)i;
    return -1;
}

static bool set_str_values(const json_t *obj)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v)
        if (!json_is_string(v))
            return false;
    return true;
}

static sfn_rc need(const sfn_connection *c, const char *v, const char *field,
                   const char *kind, sfn_error *err)
{
    if (v && *v)
        return SFN_OK;
    return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                         "connections.%s: %s is required for type %s",
                         c->name, field, kind);
}

sfn_rc sfn__tasks_conn_check(const sfn_connection *c, sfn_error *err)
{
    if (!c->name || !*c->name)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "connections: a connection needs a name");
    sfn_rc rc = SFN_OK;
    switch (c->kind) {
    case SFN_CONN_API_KEY:
        if ((rc = need(c, c->key_name, "key_name", "API_KEY", err)) == SFN_OK)
            rc = need(c, c->key_value, "key_value", "API_KEY", err);
        break;
    case SFN_CONN_BASIC:
        if ((rc = need(c, c->username, "username", "BASIC", err)) == SFN_OK)
            rc = need(c, c->password, "password", "BASIC", err);
        break;
    case SFN_CONN_OAUTH:
        rc = need(c, c->token_url, "token_url", "OAUTH_CLIENT_CREDENTIALS",
                  err);
        if (rc == SFN_OK && strncasecmp(c->token_url, "http://", 7) &&
            strncasecmp(c->token_url, "https://", 8))
            rc = sfn_error_set(err, SFN_EINVAL, NULL, -1,
                               "connections.%s: token_url must be an "
                               "http:// or https:// URL",
                               c->name);
        if (rc == SFN_OK)
            rc = need(c, c->client_id, "client_id",
                      "OAUTH_CLIENT_CREDENTIALS", err);
        if (rc == SFN_OK)
            rc = need(c, c->client_secret, "client_secret",
                      "OAUTH_CLIENT_CREDENTIALS", err);
        break;
    default:
        rc = sfn_error_set(err, SFN_EINVAL, NULL, -1,
                           "connections.%s: unknown type", c->name);
    }
    if (rc != SFN_OK)
        return rc;
    if ((c->headers && !(json_is_object(c->headers) &&
                         set_str_values(c->headers))) ||
        (c->query && !(json_is_object(c->query) && set_str_values(c->query))))
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "connections.%s: headers and query must be "
                             "objects of strings",
                             c->name);
    if (c->body && !json_is_object(c->body))
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "connections.%s: body must be an object",
                             c->name);
    return SFN_OK;
}

static char *base64(const char *in, size_t len)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((len + 2) / 3 * 4 + 1), *w = out;
    if (!out)
        return NULL;
    const unsigned char *p = (const unsigned char *)in;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < len)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        *w++ = tab[(v >> 18) & 63];
        *w++ = tab[(v >> 12) & 63];
        *w++ = i + 1 < len ? tab[(v >> 6) & 63] : '=';
        *w++ = i + 2 < len ? tab[v & 63] : '=';
    }
    *w = '\0';
    return out;
}

/* "Basic base64(user:password)" (RFC 7617). */
static char *basic_header(const char *user, const char *password)
{
    char *pair = NULL, *b64 = NULL, *out = NULL;
    if (asprintf(&pair, "%s:%s", user, password) < 0)
        return NULL;
    b64 = base64(pair, strlen(pair));
    if (b64 && asprintf(&out, "Basic %s", b64) < 0)
        out = NULL;
    free(pair);
    free(b64);
    return out;
}

sfn_rc sfn__tasks_conn_init(sfn_tasks *t, sfn_error *err)
{
    if (!t->cfg.n_connections)
        return SFN_OK;
    t->conns = calloc(t->cfg.n_connections, sizeof *t->conns);
    if (!t->conns)
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    for (size_t i = 0; i < t->cfg.n_connections; i++) {
        const sfn_connection *c = &t->cfg.connections[i];
        t->conns[i].t = t;
        t->conns[i].idx = (int)i;
        if (c->kind == SFN_CONN_BASIC &&
            !(t->conns[i].basic = basic_header(c->username, c->password)))
            return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    }
    return SFN_OK;
}

void sfn__tasks_conn_free(sfn_tasks *t)
{
    for (size_t i = 0; t->conns && i < t->cfg.n_connections; i++) {
        free(t->conns[i].token);
        free(t->conns[i].basic);
    }
    free(t->conns);
    t->conns = NULL;
}

bool sfn__tasks_conn_merge(const sfn_tasks *t, task_op *op, json_t *query,
                           json_t *body)
{
    if (op->conn < 0)
        return true;
    const sfn_connection *c = &t->cfg.connections[op->conn];
    const char *k;
    json_t *v;
    json_object_foreach(c->headers, k, v)
        if (!sfn__tasks_header_set(op, k, json_string_value(v)))
            return false;
    if (query && c->query && json_object_update(query, c->query))
        return false;
    if (json_is_object(body) && c->body && json_object_update(body, c->body))
        return false;
    return true;
}

/* ---- OAuth client credentials ------------------------------------------- */

static bool token_valid(const task_conn_state *cs)
{
    return cs->token &&
           (!cs->expires_ms || sfn__tasks_now_ms() < cs->expires_ms);
}

static bool set_bearer(task_op *op, const char *token)
{
    char *h = NULL;
    if (asprintf(&h, "Bearer %s", token) < 0)
        return false;
    bool ok = sfn__tasks_header_set(op, "Authorization", h);
    free(h);
    return ok;
}

/* Keeps the token from a token endpoint's JSON answer; false if none. */
static bool take_token(task_conn_state *cs, const sfn_httpc_response *r)
{
    json_t *j = json_loadb(r->body, r->body_len, 0, NULL);
    const char *tok = json_string_value(json_object_get(j, "access_token"));
    json_t *exp = json_object_get(j, "expires_in");
    bool ok = tok && *tok;
    if (ok) {
        free(cs->token);
        cs->token = strdup(tok);
        long long s = json_is_integer(exp) ? json_integer_value(exp)
                      : json_is_string(exp)
                          ? strtoll(json_string_value(exp), NULL, 10)
                          : 0;
        int64_t ms = (int64_t)s * 1000;
        cs->expires_ms = s > 0 ? sfn__tasks_now_ms() + ms -
                                     (ms > 2 * TOKEN_MARGIN_MS ? TOKEN_MARGIN_MS
                                                               : 0)
                               : 0;
        ok = cs->token != NULL;
    }
    json_decref(j);
    return ok;
}

static void fetch_failed_cause(const sfn_tasks *t, int idx,
                               const sfn_httpc_response *r, char *buf,
                               size_t size)
{
    const sfn_connection *c = &t->cfg.connections[idx];
    char *url = sfn__tasks_url_public(c->token_url);
    if (r->status != SFN_HTTPC_OK)
        snprintf(buf, size,
                 "connection '%s': the OAuth token request to %s failed "
                 "(%s): %s",
                 c->name, url ? url : "token_url",
                 sfn_httpc_status_name(r->status),
                 r->error ? r->error : "no detail");
    else if (r->code < 200 || r->code > 299)
        snprintf(buf, size,
                 "connection '%s': the OAuth token endpoint %s answered "
                 "HTTP %ld",
                 c->name, url ? url : "token_url", r->code);
    else
        snprintf(buf, size,
                 "connection '%s': the OAuth token endpoint %s gave no "
                 "access_token",
                 c->name, url ? url : "token_url");
    free(url);
}

/* Answers the parked ops one at a time, so a callback that cancels or
 * dispatches another request sees consistent lists. */
static void drain(sfn_tasks *t, task_conn_state *cs, const char *cause)
{
    cs->draining = cs->waiters;
    cs->waiters = NULL;
    while (cs->draining) {
        task_op *op = cs->draining;
        cs->draining = op->next_waiter;
        op->next_waiter = NULL;
        op->waiting_token = false;
        sfn_task_outcome o = {0};
        if (cause)
            sfn__tasks_fail(&o, "Events.ConnectionResource."
                                "InvalidConnectionState",
                            "%s", cause);
        else if (!set_bearer(op, cs->token))
            sfn__tasks_fail(&o, "States.Runtime", "out of memory");
        else if (sfn__tasks_op_send(t, op, &o))
            continue;
        sfn__tasks_op_complete(t, op, &o);
    }
}

static void on_token(void *ud, const sfn_httpc_response *r)
{
    task_conn_state *cs = ud;
    sfn_tasks *t = cs->t;
    cs->fetching = false;
    char cause[1024];
    bool ok = r->status == SFN_HTTPC_OK && r->code >= 200 && r->code <= 299 &&
              take_token(cs, r);
    if (!ok)
        fetch_failed_cause(t, cs->idx, r, cause, sizeof cause);
    drain(t, cs, ok ? NULL : cause);
}

static bool start_fetch(sfn_tasks *t, task_conn_state *cs, sfn_error *err)
{
    const sfn_connection *c = &t->cfg.connections[cs->idx];
    char *auth = basic_header(c->client_id, c->client_secret);
    char *scope = c->scope ? sfn__tasks_pct(c->scope, strlen(c->scope)) : NULL;
    char *body = NULL, *auth_line = NULL;
    bool ok = auth && (!c->scope || scope) &&
              asprintf(&body, "grant_type=client_credentials%s%s",
                       scope ? "&scope=" : "", scope ? scope : "") >= 0 &&
              asprintf(&auth_line, "Authorization: %s", auth) >= 0;
    if (!ok)
        sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    if (ok) {
        const char *headers[] = {
            auth_line, "Content-Type: application/x-www-form-urlencoded",
            "Accept: application/json"};
        sfn_httpc_request req = {
            .method = "POST", .url = c->token_url, .headers = headers,
            .n_headers = 3, .body = body, .body_len = strlen(body),
            .timeout_ms = (t->cfg.http_timeout_s > 0 ? t->cfg.http_timeout_s
                                                     : 60) * 1000,
            .max_redirects = -1};
        ok = sfn_httpc_submit(t->http, &req, on_token, cs, NULL, err) ==
             SFN_OK;
    }
    free(auth);
    free(scope);
    free(body);
    free(auth_line);
    cs->fetching = ok;
    return ok;
}

static void park(task_conn_state *cs, task_op *op)
{
    task_op **tail = &cs->waiters;
    while (*tail)
        tail = &(*tail)->next_waiter;
    *tail = op;
    op->next_waiter = NULL;
    op->waiting_token = true;
}

static bool send_oauth(sfn_tasks *t, task_op *op, sfn_task_outcome *fail)
{
    task_conn_state *cs = &t->conns[op->conn];
    if (token_valid(cs)) {
        if (!set_bearer(op, cs->token)) {
            sfn__tasks_fail(fail, "States.Runtime", "out of memory");
            return false;
        }
        return sfn__tasks_op_send(t, op, fail);
    }
    sfn_error err;
    sfn_error_clear(&err);
    if (!cs->fetching && !start_fetch(t, cs, &err)) {
        sfn__tasks_fail(fail,
                        "Events.ConnectionResource.InvalidConnectionState",
                        "connection '%s': the OAuth token request could not "
                        "start: %s",
                        t->cfg.connections[op->conn].name, err.cause);
        return false;
    }
    park(cs, op);
    return true;
}

bool sfn__tasks_conn_send(sfn_tasks *t, task_op *op, sfn_task_outcome *fail)
{
    if (op->conn < 0)
        return sfn__tasks_op_send(t, op, fail);
    const sfn_connection *c = &t->cfg.connections[op->conn];
    bool ok = true;
    switch (c->kind) {
    case SFN_CONN_API_KEY:
        ok = sfn__tasks_header_set(op, c->key_name, c->key_value);
        break;
    case SFN_CONN_BASIC:
        ok = sfn__tasks_header_set(op, "Authorization",
                                   t->conns[op->conn].basic);
        break;
    case SFN_CONN_OAUTH:
        return send_oauth(t, op, fail);
    }
    if (!ok) {
        sfn__tasks_fail(fail, "States.Runtime", "out of memory");
        return false;
    }
    return sfn__tasks_op_send(t, op, fail);
}

void sfn__tasks_conn_rejected(sfn_tasks *t, int conn)
{
    if (t->cfg.connections[conn].kind != SFN_CONN_OAUTH)
        return;
    free(t->conns[conn].token);
    t->conns[conn].token = NULL;
}

static void unlink_from(task_op **list, task_op *op)
{
    for (task_op **p = list; *p; p = &(*p)->next_waiter)
        if (*p == op) {
            *p = op->next_waiter;
            op->next_waiter = NULL;
            return;
        }
}

void sfn__tasks_conn_unpark(sfn_tasks *t, task_op *op)
{
    if (op->conn < 0)
        return;
    unlink_from(&t->conns[op->conn].waiters, op);
    unlink_from(&t->conns[op->conn].draining, op);
    op->waiting_token = false;
}

/* ---- keeping secrets out of messages ------------------------------------ */

static void replace_all(char **s, const char *secret)
{
    if (!*s || !secret || strlen(secret) < 3)
        return; /* tiny "secrets" would blank out ordinary words */
    size_t n = strlen(secret);
    char *hit;
    while ((hit = strstr(*s, secret))) {
        char *out = NULL;
        if (asprintf(&out, "%.*s%s%s", (int)(hit - *s), *s, REDACTED,
                     hit + n) < 0)
            return;
        free(*s);
        *s = out;
    }
}

void sfn__tasks_conn_redact(const sfn_tasks *t, int conn, char **s)
{
    if (conn < 0 || !*s)
        return;
    const sfn_connection *c = &t->cfg.connections[conn];
    const task_conn_state *cs = &t->conns[conn];
    replace_all(s, c->key_value);
    replace_all(s, c->password);
    replace_all(s, c->client_secret);
    replace_all(s, cs->token);
    if (cs->basic)
        replace_all(s, cs->basic + 6); /* the base64 part */
}
