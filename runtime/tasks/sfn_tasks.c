/* sfn_tasks.c: the task dispatcher (sfn_tasks.h).  It picks how a Task
 * request runs (mock, built-in, HTTP Task, binding, else "no binding"),
 * keeps the list of requests in flight on the sfn_httpc client, and owns
 * the helpers the HTTP Task and bindings share (headers, URLs, timeouts). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sfn_builtin.h"
#include "tasks_internal.h"

#define CAUSE_MAX 32768 /* AWS's limit on a cause */
#define ERROR_MAX 256

/* ---- configuration ------------------------------------------------------ */

static void binding_free(sfn_binding *b)
{
    free(b->resource);
    free(b->url);
    free(b->connection);
    json_decref(b->headers);
}

static void connection_free(sfn_connection *c)
{
    free(c->name);
    free(c->key_name);
    free(c->key_value);
    free(c->username);
    free(c->password);
    free(c->token_url);
    free(c->client_id);
    free(c->client_secret);
    free(c->scope);
    json_decref(c->headers);
    json_decref(c->query);
    json_decref(c->body);
}

void sfn_tasks_config_free(sfn_tasks_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_allow; i++)
        free(c->allow[i]);
    free(c->allow);
    for (size_t i = 0; i < c->n_connections; i++)
        connection_free(&c->connections[i]);
    free(c->connections);
    for (size_t i = 0; i < c->n_bindings; i++)
        binding_free(&c->bindings[i]);
    free(c->bindings);
    free(c->mock_file);
    free(c->region);
    memset(c, 0, sizeof *c);
}

/* strdup that tells a NULL source from a failed copy. */
static bool dup_opt(char **dst, const char *src)
{
    *dst = src ? strdup(src) : NULL;
    return !src || *dst;
}

static bool copy_json(json_t **dst, const json_t *src)
{
    *dst = src ? json_deep_copy(src) : NULL;
    return !src || *dst;
}

static bool copy_connection(sfn_connection *d, const sfn_connection *s)
{
    d->kind = s->kind;
    return dup_opt(&d->name, s->name) && dup_opt(&d->key_name, s->key_name) &&
           dup_opt(&d->key_value, s->key_value) &&
           dup_opt(&d->username, s->username) &&
           dup_opt(&d->password, s->password) &&
           dup_opt(&d->token_url, s->token_url) &&
           dup_opt(&d->client_id, s->client_id) &&
           dup_opt(&d->client_secret, s->client_secret) &&
           dup_opt(&d->scope, s->scope) && copy_json(&d->headers, s->headers) &&
           copy_json(&d->query, s->query) && copy_json(&d->body, s->body);
}

static bool copy_binding(sfn_binding *d, const sfn_binding *s)
{
    d->timeout_s = s->timeout_s;
    return dup_opt(&d->resource, s->resource) && dup_opt(&d->url, s->url) &&
           dup_opt(&d->connection, s->connection) &&
           copy_json(&d->headers, s->headers);
}

static bool copy_arrays(sfn_tasks_config *dst, const sfn_tasks_config *src)
{
    if (src->n_allow && !(dst->allow = calloc(src->n_allow, sizeof(char *))))
        return false;
    for (; dst->n_allow < src->n_allow; dst->n_allow++)
        if (!dup_opt(&dst->allow[dst->n_allow], src->allow[dst->n_allow]))
            return false;
    if (src->n_connections &&
        !(dst->connections =
              calloc(src->n_connections, sizeof(sfn_connection))))
        return false;
    for (; dst->n_connections < src->n_connections; dst->n_connections++)
        if (!copy_connection(&dst->connections[dst->n_connections],
                             &src->connections[dst->n_connections])) {
            dst->n_connections++; /* so the partial copy is freed */
            return false;
        }
    if (src->n_bindings &&
        !(dst->bindings = calloc(src->n_bindings, sizeof(sfn_binding))))
        return false;
    for (; dst->n_bindings < src->n_bindings; dst->n_bindings++)
        if (!copy_binding(&dst->bindings[dst->n_bindings],
                          &src->bindings[dst->n_bindings])) {
            dst->n_bindings++;
            return false;
        }
    return true;
}

sfn_rc sfn_tasks_config_copy(sfn_tasks_config *dst,
                             const sfn_tasks_config *src, sfn_error *err)
{
    memset(dst, 0, sizeof *dst);
    dst->http_timeout_s = src->http_timeout_s;
    dst->max_response_bytes = src->max_response_bytes;
    dst->max_host_connections = src->max_host_connections;
    dst->unbound = src->unbound;
    if (!dup_opt(&dst->mock_file, src->mock_file) ||
        !dup_opt(&dst->region, src->region) || !copy_arrays(dst, src)) {
        sfn_tasks_config_free(dst);
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    }
    return SFN_OK;
}

/* ---- shared helpers ------------------------------------------------------ */

int64_t sfn__tasks_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sfn__tasks_fail(sfn_task_outcome *o, const char *error, const char *fmt,
                     ...)
{
    json_decref(o->result);
    o->result = NULL;
    free(o->error);
    free(o->cause);
    o->error = strndup(error, ERROR_MAX);
    o->cause = NULL;
    if (!fmt)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    if (vasprintf(&text, fmt, ap) < 0)
        text = NULL;
    va_end(ap);
    if (text && strlen(text) > CAUSE_MAX)
        text[CAUSE_MAX] = '\0';
    o->cause = text;
}

bool sfn__tasks_glob(const char *p, const char *s)
{
    /* iterative matcher: remember the last '*' and where it resumed */
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*p == '*') {
            star = p++;
            resume = s;
        } else if (*p == *s) {
            p++;
            s++;
        } else if (star) {
            p = star + 1;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return !*p;
}

char *sfn__tasks_url_public(const char *url)
{
    const char *scheme_end = strstr(url, "://");
    const char *host = scheme_end ? scheme_end + 3 : url;
    size_t auth_len = strcspn(host, "/?#");
    const char *at = memchr(host, '@', auth_len);
    const char *shown_host = at ? at + 1 : host;
    size_t rest = strcspn(shown_host, "?#");
    char *out = NULL;
    if (asprintf(&out, "%.*s%.*s", (int)(host - url), url, (int)rest,
                 shown_host) < 0)
        return NULL;
    return out;
}

char *sfn__tasks_pct(const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = malloc(len * 3 + 1), *w = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
            c == '~') {
            *w++ = (char)c;
        } else {
            *w++ = '%';
            *w++ = hex[c >> 4];
            *w++ = hex[c & 15];
        }
    }
    *w = '\0';
    return out;
}

static bool url_append(char **url, const char *key, const char *value)
{
    char *k = sfn__tasks_pct(key, strlen(key));
    char *v = sfn__tasks_pct(value, strlen(value));
    char *joined = NULL;
    bool ok = k && v &&
              asprintf(&joined, "%s%c%s=%s", *url,
                       strchr(*url, '?') ? '&' : '?', k, v) >= 0;
    free(k);
    free(v);
    if (ok) {
        free(*url);
        *url = joined;
    }
    return ok;
}

bool sfn__tasks_url_add_query(char **url, json_t *obj)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        if (json_is_string(v)) {
            if (!url_append(url, key, json_string_value(v)))
                return false;
            continue;
        }
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
            if (!url_append(url, key, json_string_value(item)))
                return false;
    }
    return true;
}

void sfn__tasks_timeout(const sfn_task_req *r, int64_t base_s, task_op *op)
{
    if (base_s <= 0)
        base_s = 60;
    op->timeout_from_task = r->timeout_s > 0 && r->timeout_s <= base_s;
    op->timeout_ms = (op->timeout_from_task ? r->timeout_s : base_s) * 1000;
}

bool sfn__tasks_header_set(task_op *op, const char *name, const char *value)
{
    for (size_t i = 0; i < op->n_headers; i++)
        if (!strcasecmp(op->headers[i].name, name)) {
            char *v = strdup(value);
            if (!v)
                return false;
            free(op->headers[i].value);
            op->headers[i].value = v;
            return true;
        }
    task_header *h =
        realloc(op->headers, (op->n_headers + 1) * sizeof *op->headers);
    if (!h)
        return false;
    op->headers = h;
    h[op->n_headers].name = strdup(name);
    h[op->n_headers].value = strdup(value);
    op->n_headers++;
    return h[op->n_headers - 1].name && h[op->n_headers - 1].value;
}

const char *sfn__tasks_header_get(const task_op *op, const char *name)
{
    for (size_t i = 0; i < op->n_headers; i++)
        if (!strcasecmp(op->headers[i].name, name))
            return op->headers[i].value;
    return NULL;
}

/* ---- the op life cycle --------------------------------------------------- */

task_op *sfn__tasks_op_new(sfn_tasks *t, task_op_kind kind)
{
    task_op *op = calloc(1, sizeof *op);
    if (op) {
        op->t = t;
        op->kind = kind;
        op->conn = -1;
    }
    return op;
}

void sfn__tasks_op_free(task_op *op)
{
    if (!op)
        return;
    for (size_t i = 0; i < op->n_headers; i++) {
        free(op->headers[i].name);
        free(op->headers[i].value);
    }
    free(op->headers);
    free(op->method);
    free(op->url);
    free(op->body);
    free(op->what);
    free(op);
}

static void op_link(sfn_tasks *t, task_op *op)
{
    op->next = t->ops;
    if (t->ops)
        t->ops->prev = op;
    t->ops = op;
    t->n_ops++;
}

static void op_unlink(sfn_tasks *t, task_op *op)
{
    if (op->prev)
        op->prev->next = op->next;
    else
        t->ops = op->next;
    if (op->next)
        op->next->prev = op->prev;
    op->prev = op->next = NULL;
    t->n_ops--;
}

void sfn__tasks_op_complete(sfn_tasks *t, task_op *op, sfn_task_outcome *o)
{
    op_unlink(t, op);
    if (op->conn >= 0) {
        sfn__tasks_conn_redact(t, op->conn, &o->error);
        sfn__tasks_conn_redact(t, op->conn, &o->cause);
    }
    t->ran++;
    op->cb(op->ud, o);
    sfn_task_outcome_free(o);
    sfn__tasks_op_free(op);
}

static void on_http_done(void *ud, const sfn_httpc_response *r)
{
    task_op *op = ud;
    sfn_tasks *t = op->t;
    op->http_id = 0;
    if (op->conn >= 0 && r->status == SFN_HTTPC_OK &&
        (r->code == 401 || r->code == 407))
        sfn__tasks_conn_rejected(t, op->conn);
    sfn_task_outcome o = {0};
    op->finish(t, op, r, &o);
    sfn__tasks_op_complete(t, op, &o);
}

bool sfn__tasks_op_send(sfn_tasks *t, task_op *op, sfn_task_outcome *fail)
{
    const char **lines = calloc(op->n_headers + 1, sizeof *lines);
    char **owned = calloc(op->n_headers + 1, sizeof *owned);
    bool ok = lines && owned;
    for (size_t i = 0; ok && i < op->n_headers; i++) {
        ok = asprintf(&owned[i], "%s: %s", op->headers[i].name,
                      op->headers[i].value) >= 0;
        if (!ok)
            owned[i] = NULL;
        lines[i] = owned[i];
    }
    sfn_error err;
    sfn_error_clear(&err);
    if (!ok) {
        sfn__tasks_fail(fail, "States.Runtime", "out of memory");
    } else {
        sfn_httpc_request req = {
            .method = op->method, .url = op->url, .headers = lines,
            .n_headers = op->n_headers, .body = op->body,
            .body_len = op->body_len, .timeout_ms = op->timeout_ms,
            .max_redirects = -1};
        if (sfn_httpc_submit(t->http, &req, on_http_done, op, &op->http_id,
                             &err) != SFN_OK) {
            sfn_httpc_response r = {.status = SFN_HTTPC_IO,
                                    .error = err.cause};
            sfn__tasks_transport_fail(op, &r, fail);
            ok = false;
        }
    }
    for (size_t i = 0; owned && i < op->n_headers; i++)
        free(owned[i]);
    free(owned);
    free(lines);
    return ok;
}

sfn_task_disp sfn__tasks_op_start(sfn_tasks *t, task_op *op, sfn_task_cb cb,
                                  void *ud, uint64_t *handle,
                                  sfn_task_outcome *out)
{
    op->cb = cb;
    op->ud = ud;
    op->handle = ++t->next_handle;
    op_link(t, op);
    if (!sfn__tasks_conn_send(t, op, out)) {
        op_unlink(t, op);
        if (op->conn >= 0) {
            sfn__tasks_conn_redact(t, op->conn, &out->error);
            sfn__tasks_conn_redact(t, op->conn, &out->cause);
        }
        sfn__tasks_op_free(op);
        return SFN_TASK_DONE;
    }
    if (handle)
        *handle = op->handle;
    return SFN_TASK_ASYNC;
}

void sfn__tasks_transport_fail(const task_op *op, const sfn_httpc_response *r,
                               sfn_task_outcome *o)
{
    bool lambda = op->kind == OP_KIND_LAMBDA || op->kind == OP_KIND_INVOKE;
    const char *socket = op->kind == OP_KIND_HTTP ? "States.Http.Socket"
                         : lambda                 ? "Lambda.SdkClientException"
                                                  : "States.TaskFailed";
    const char *msg = r->error && *r->error ? r->error : "no detail";
    switch (r->status) {
    case SFN_HTTPC_TOO_LARGE:
        sfn__tasks_fail(o, "States.DataLimitExceeded",
                        "the response of %s %s is larger than "
                        "http.max_response_bytes",
                        op->method, op->what);
        break;
    case SFN_HTTPC_TIMEOUT:
        sfn__tasks_fail(o, op->timeout_from_task ? "States.Timeout" : socket,
                        "%s %s timed out after %lld s%s", op->method, op->what,
                        (long long)(op->timeout_ms / 1000),
                        op->timeout_from_task ? " (TimeoutSeconds)"
                                              : " (http.timeout_seconds)");
        break;
    default:
        sfn__tasks_fail(o, socket, "%s %s failed (%s): %s", op->method,
                        op->what, sfn_httpc_status_name(r->status), msg);
        break;
    }
}

/* ---- the dispatcher ------------------------------------------------------ */

static sfn_rc check_allow(const sfn_tasks_config *c, sfn_error *err)
{
    for (size_t i = 0; i < c->n_allow; i++) {
        sfn_error e;
        sfn_error_clear(&e);
        if (!sfn_httpc_allow_entry_valid(c->allow[i], &e))
            return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                                 "http.allow[%zu]: '%s': %s", i, c->allow[i],
                                 e.cause);
    }
    return SFN_OK;
}

static bool is_http_url(const char *u)
{
    return u && (!strncasecmp(u, "http://", 7) ||
                 !strncasecmp(u, "https://", 8)) &&
           strlen(u) > 8;
}

static sfn_rc check_bindings(const sfn_tasks *t, sfn_error *err)
{
    for (size_t i = 0; i < t->cfg.n_bindings; i++) {
        const sfn_binding *b = &t->cfg.bindings[i];
        if (!b->resource || !*b->resource)
            return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                                 "bindings[%zu]: resource is required", i);
        if (!is_http_url(b->url))
            return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                                 "bindings[%zu] (%s): url must be an "
                                 "http:// or https:// URL",
                                 i, b->resource);
        if (b->connection && sfn__tasks_conn_find(t, b->connection) < 0)
            return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                                 "bindings[%zu] (%s): connection '%s' is "
                                 "not defined in connections",
                                 i, b->resource, b->connection);
    }
    return SFN_OK;
}

static sfn_rc check_config(sfn_tasks *t, sfn_error *err)
{
    sfn_rc rc = check_allow(&t->cfg, err);
    for (size_t i = 0; rc == SFN_OK && i < t->cfg.n_connections; i++)
        rc = sfn__tasks_conn_check(&t->cfg.connections[i], err);
    if (rc == SFN_OK)
        rc = check_bindings(t, err);
    if (rc == SFN_OK && t->cfg.mock_file) {
        sfn_error e;
        sfn_error_clear(&e);
        t->mocks = sfn_mock_load_file(t->cfg.mock_file, &e);
        if (!t->mocks)
            rc = sfn_error_set(err, e.rc ? e.rc : SFN_EINVAL, NULL, -1,
                               "mock file %s: %s", t->cfg.mock_file, e.cause);
    }
    return rc;
}

sfn_tasks *sfn_tasks_new(const sfn_tasks_config *cfg, sfn_error *err)
{
    sfn_tasks *t = calloc(1, sizeof *t);
    if (!t) {
        sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
        return NULL;
    }
    if (sfn_tasks_config_copy(&t->cfg, cfg, err) != SFN_OK) {
        free(t);
        return NULL;
    }
    sfn_rc rc = check_config(t, err);
    if (rc == SFN_OK)
        rc = sfn__tasks_conn_init(t, err);
    if (rc == SFN_OK) {
        sfn_httpc_opts o = {
            .allow = (const char *const *)t->cfg.allow,
            .n_allow = t->cfg.n_allow,
            .max_response_bytes = t->cfg.max_response_bytes,
            .user_agent = "stepd",
            .max_redirects = 5,
            .max_host_connections = (long)t->cfg.max_host_connections};
        t->http = sfn_httpc_new(&o, err);
        if (!t->http)
            rc = SFN_EIO;
    }
    if (rc != SFN_OK) {
        sfn_tasks_free(t);
        return NULL;
    }
    return t;
}

void sfn_tasks_free(sfn_tasks *t)
{
    if (!t)
        return;
    sfn_httpc_free(t->http); /* cancels every transfer, no callbacks */
    while (t->ops) {
        task_op *op = t->ops;
        op_unlink(t, op);
        sfn__tasks_op_free(op);
    }
    sfn__tasks_conn_free(t);
    sfn_mock_free(t->mocks);
    sfn_tasks_config_free(&t->cfg);
    free(t);
}

static bool mock_answer(sfn_tasks *t, const sfn_task_req *r,
                        sfn_task_outcome *out)
{
    sfn_mock_answer a = {0};
    if (!t->mocks || !r->test_case || !r->machine || !r->state ||
        !sfn_mock_lookup(t->mocks, r->machine, r->test_case, r->state,
                         r->invocation, &a))
        return false;
    /* Step Functions Local completes a mocked callback task with the
     * mocked answer: no SendTaskSuccess is awaited */
    out->final = true;
    if (a.error) {
        sfn__tasks_fail(out, a.error, a.cause ? "%s" : NULL, a.cause);
        out->final = true;
        return true;
    }
    out->result = a.result ? json_deep_copy(a.result) : json_null();
    if (!out->result)
        sfn__tasks_fail(out, "States.Runtime", "out of memory");
    return true;
}

sfn_task_disp sfn_tasks_dispatch(sfn_tasks *t, const sfn_task_req *r,
                                 sfn_task_outcome *out, sfn_task_cb cb,
                                 void *ud, uint64_t *handle)
{
    memset(out, 0, sizeof *out);
    if (handle)
        *handle = 0;
    if (mock_answer(t, r, out))
        return SFN_TASK_DONE;
    if (sfn_builtin_is(r->resource)) {
        sfn_builtin_invoke(r->resource, r->payload, out);
        return SFN_TASK_DONE;
    }
    if (sfn__tasks_is_http(r->resource))
        return sfn__tasks_http(t, r, out, cb, ud, handle);
    return sfn__tasks_bind(t, r, out, cb, ud, handle);
}

void sfn_tasks_cancel(sfn_tasks *t, uint64_t handle)
{
    for (task_op *op = t->ops; op; op = op->next) {
        if (op->handle != handle)
            continue;
        if (op->waiting_token)
            sfn__tasks_conn_unpark(t, op);
        else if (op->http_id)
            sfn_httpc_cancel(t->http, op->http_id);
        op_unlink(t, op);
        sfn__tasks_op_free(op);
        return;
    }
}

int sfn_tasks_poll(sfn_tasks *t, int timeout_ms)
{
    t->ran = 0;
    sfn_httpc_poll(t->http, timeout_ms);
    return t->ran;
}

void sfn_tasks_wakeup(sfn_tasks *t)
{
    sfn_httpc_wakeup(t->http);
}

size_t sfn_tasks_inflight(const sfn_tasks *t)
{
    return t->n_ops;
}

bool sfn_tasks_has_test_case(const sfn_tasks *t, const char *machine,
                             const char *name)
{
    return t->mocks && machine && name &&
           sfn_mock_has_case(t->mocks, machine, name);
}

bool sfn_tasks_allow_all(const sfn_tasks *t)
{
    return t->cfg.n_allow == 0;
}

/* ---- what can run -------------------------------------------------------- */

static bool is_activity(const char *resource)
{
    return !strncmp(resource, "arn:aws:states:", 15) &&
           strstr(resource, ":activity:");
}

bool sfn_tasks_can_run(const sfn_tasks *t, const char *resource)
{
    if (!resource)
        return false;
    if (sfn_builtin_is(resource) || sfn__tasks_is_http(resource) ||
        is_activity(resource))
        return true;
    if (sfn__tasks_is_lambda_invoke(resource))
        return t->cfg.n_bindings > 0;
    return sfn__tasks_binding_for(t, resource) != NULL;
}

/* A lambda:invoke state whose FunctionName is written in the definition
 * can be checked now; a computed one only when it runs. */
static bool invoke_runnable(const sfn_tasks *t, const sfn_state *s)
{
    const json_t *raw = s->raw;
    json_t *p = json_object_get(raw, "Parameters");
    if (!p)
        p = json_object_get(raw, "Arguments");
    const char *fn = json_string_value(json_object_get(p, "FunctionName"));
    if (!fn || (fn[0] == '{' && fn[1] == '%'))
        return true;
    return sfn__tasks_binding_for_function(t, fn, NULL) != NULL;
}

static const sfn_state *first_unrunnable(const sfn_tasks *t,
                                         const sfn_block *b)
{
    for (size_t i = 0; b && i < b->n_states; i++) {
        const sfn_state *s = &b->states[i];
        const sfn_state *bad = NULL;
        if (s->type == SFN_ST_TASK && s->resource) {
            bool ok = sfn__tasks_is_lambda_invoke(s->resource)
                          ? invoke_runnable(t, s)
                          : sfn_tasks_can_run(t, s->resource);
            if (!ok)
                return s;
        }
        for (size_t j = 0; j < s->n_branches && !bad; j++)
            bad = first_unrunnable(t, s->branches[j]);
        if (!bad && s->processor)
            bad = first_unrunnable(t, s->processor);
        if (bad)
            return bad;
    }
    return NULL;
}

sfn_rc sfn_tasks_check_graph(const sfn_tasks *t, const sfn_graph *g,
                             const char *test_case, sfn_error *err)
{
    /* With a test case any state may be mocked, and which ones are depends
     * on the machine name, which this check is not given: the states that
     * are neither mocked nor bound fail when they run. */
    if (t->cfg.unbound != SFN_UNBOUND_AT_START || test_case || !g)
        return SFN_OK;
    const sfn_state *s = first_unrunnable(t, g->root);
    if (!s)
        return SFN_OK;
    return sfn_error_set(err, SFN_ENOTFOUND, "States.TaskFailed", -1,
                         "state '%s': no binding for resource '%s' (add one "
                         "to \"bindings\" in the stepd config)",
                         s->name, s->resource);
}
