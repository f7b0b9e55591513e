/* sfn_http.h: the HTTP request and response as the handlers see them,
 * independent of libmicrohttpd: the server (server.c) fills a request,
 * calls a dialect's handler (the AWS JSON 1.0 protocol or the REST API),
 * and sends the response.  Handlers do no socket I/O.
 *
 * Ownership: request members are borrowed for the call; response body and
 * headers are malloc'd by the handler and freed by sfn_http_resp_free. */
#ifndef SFN_HTTP_H
#define SFN_HTTP_H

#include <stddef.h>

typedef struct sfn_http_req {
    const char *method;      /* "GET", "POST", ...                          */
    const char *path;        /* URL path without the query, decoded         */
    const char *body;        /* may contain NULs; NUL-terminated too        */
    size_t body_len;
    /* header and query-argument lookup (case-insensitive header names);
     * NULL when absent */
    const char *(*header)(void *ud, const char *name);
    const char *(*query)(void *ud, const char *name);
    void *ud;
    const char *remote_addr; /* "127.0.0.1:54321", for logs                */
} sfn_http_req;

#define SFN_HTTP_MAX_HEADERS 8

typedef struct sfn_http_resp {
    int status;
    char *body;              /* malloc'd, may be NULL                        */
    size_t body_len;
    const char *content_type;/* static string                              */
    char *header_names[SFN_HTTP_MAX_HEADERS];  /* malloc'd pairs           */
    char *header_values[SFN_HTTP_MAX_HEADERS];
    int n_headers;
    /* for logs and metrics: the operation ("StartExecution", "GET
     * /v1/executions/{id}") and the execution ARN when there is one */
    char route[96];
    char exec_arn[320];
} sfn_http_resp;

/* Adds a header (copied).  Silently ignores more than SFN_HTTP_MAX_HEADERS. */
void sfn_http_resp_header(sfn_http_resp *r, const char *name,
                          const char *value);
/* Sets a JSON body from text (taken: the resp frees it). */
void sfn_http_resp_json(sfn_http_resp *r, int status, char *text,
                        const char *content_type);
void sfn_http_resp_free(sfn_http_resp *r);

#endif
