/* sfn_http.c: the handler-side HTTP response helpers (sfn_http.h).  The
 * response owns copies of its headers and its body, so handlers can build
 * it from temporaries and the server frees it after sending. */
#include <stdlib.h>
#include <string.h>

#include "sfn_http.h"

void sfn_http_resp_header(sfn_http_resp *r, const char *name,
                          const char *value)
{
    if (r->n_headers >= SFN_HTTP_MAX_HEADERS)
        return;
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        /* dropping a header under memory exhaustion beats a half pair */
        free(n);
        free(v);
        return;
    }
    r->header_names[r->n_headers] = n;
    r->header_values[r->n_headers] = v;
    r->n_headers++;
}

void sfn_http_resp_json(sfn_http_resp *r, int status, char *text,
                        const char *content_type)
{
    free(r->body);
    r->status = status;
    r->body = text;
    r->body_len = text ? strlen(text) : 0;
    r->content_type = content_type ? content_type : "application/json";
}

void sfn_http_resp_free(sfn_http_resp *r)
{
    if (!r)
        return;
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
    for (int i = 0; i < r->n_headers; i++) {
        free(r->header_names[i]);
        free(r->header_values[i]);
        r->header_names[i] = r->header_values[i] = NULL;
    }
    r->n_headers = 0;
}
