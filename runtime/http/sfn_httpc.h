/* sfn_httpc.h: a non-blocking HTTP client on libcurl's multi interface.
 * One thread (the engine's) submits requests and calls sfn_httpc_poll,
 * which waits for socket activity, a timeout or a wake-up from another
 * thread, and runs the completion callbacks of finished transfers.
 * Thousands of transfers can be in flight; connections are reused.
 *
 * Outbound allowlist (SSRF guard): when entries are configured, a request
 * is sent only if its host matches a host entry ("api.example.com"), a
 * pattern ("*.example.com": any subdomain) or its resolved address lies in
 * a CIDR entry ("10.0.0.0/8", "::1/128").  Redirects are followed by this
 * client hop by hop, so every hop is checked the same way; address entries
 * are checked after DNS resolution, at connect time.
 *
 * Ownership: requests are copied at submit; a response passed to a
 * callback is borrowed for the duration of the call.
 * Threading: everything but sfn_httpc_wakeup runs on the owning thread. */
#ifndef SFN_HTTPC_H
#define SFN_HTTPC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sfn_err.h"

typedef struct sfn_httpc sfn_httpc;

typedef struct sfn_httpc_opts {
    const char *const *allow;   /* allowlist entries; n_allow 0 = any host */
    size_t n_allow;
    size_t max_response_bytes;  /* 0 = 10 MiB; larger bodies fail         */
    const char *user_agent;     /* NULL = "stepd"                          */
    long max_redirects;         /* default when a request says -1: 5       */
    long max_host_connections;  /* open connections per host:port; more
                                   requests queue in curl; 0 = 256         */
    long max_connections;       /* idle connections kept for reuse;
                                   0 = 4 x max_host_connections            */
} sfn_httpc_opts;

typedef struct sfn_httpc_request {
    const char *method;          /* "GET", "POST", ...                      */
    const char *url;             /* absolute http:// or https:// URL        */
    const char *const *headers;  /* "Name: value" lines                     */
    size_t n_headers;
    const char *body;            /* may be NULL                             */
    size_t body_len;
    int64_t timeout_ms;          /* whole exchange incl. redirects; 0 = 60 s */
    long max_redirects;          /* -1 = the client's default, 0 = none     */
} sfn_httpc_request;

typedef enum {
    SFN_HTTPC_OK,        /* a response arrived (any status code)            */
    SFN_HTTPC_DENIED,    /* the allowlist refused the destination           */
    SFN_HTTPC_DNS,       /* the host name did not resolve                   */
    SFN_HTTPC_CONNECT,   /* connection refused / unreachable                */
    SFN_HTTPC_TLS,       /* TLS handshake or certificate failure            */
    SFN_HTTPC_TIMEOUT,   /* timeout_ms elapsed                              */
    SFN_HTTPC_TOO_LARGE, /* body above max_response_bytes                   */
    SFN_HTTPC_IO,        /* anything else (connection dropped, bad URL...)  */
} sfn_httpc_status;

const char *sfn_httpc_status_name(sfn_httpc_status s); /* "DENIED", ... */

typedef struct sfn_httpc_response {
    sfn_httpc_status status;
    long code;            /* HTTP status when OK                           */
    const char *reason;   /* "OK", "Not Found" (from the status line)      */
    json_t *headers;      /* {"content-type":["application/json"], ...}:
                             lower-case names, every value of a repeated
                             header, last response of a redirect chain     */
    const char *body;     /* NUL-terminated; body_len bytes                */
    size_t body_len;
    const char *url;      /* final URL after redirects                     */
    const char *error;    /* human message when status != OK               */
    int64_t elapsed_ms;
} sfn_httpc_response;

typedef void (*sfn_httpc_cb)(void *ud, const sfn_httpc_response *r);

sfn_httpc *sfn_httpc_new(const sfn_httpc_opts *opts, sfn_error *err);
/* Cancels every transfer (no callbacks) and frees.  NULL ok. */
void sfn_httpc_free(sfn_httpc *c);

/* Checks an allowlist entry's syntax (for config validation). */
bool sfn_httpc_allow_entry_valid(const char *entry, sfn_error *err);

/* Starts a transfer.  cb runs later from sfn_httpc_poll (never from
 * inside submit, even for an immediate failure such as DENIED by host
 * name).  *id (may be NULL) identifies it for sfn_httpc_cancel. */
sfn_rc sfn_httpc_submit(sfn_httpc *c, const sfn_httpc_request *req,
                        sfn_httpc_cb cb, void *ud, uint64_t *id,
                        sfn_error *err);

/* Abandons a transfer; its callback will not run.  Unknown id: no-op. */
void sfn_httpc_cancel(sfn_httpc *c, uint64_t id);

/* Drives transfers: waits up to timeout_ms (0 = do not wait) for activity
 * or a wake-up, then runs the callbacks of finished transfers.  Returns
 * the number of callbacks run. */
int sfn_httpc_poll(sfn_httpc *c, int timeout_ms);

/* Makes a current or the next sfn_httpc_poll return at once.  Any thread. */
void sfn_httpc_wakeup(sfn_httpc *c);

size_t sfn_httpc_inflight(const sfn_httpc *c);

/* The allowlist on its own (used by the client; exposed for config checks
 * and tests).  An empty list allows every destination, like n_allow 0. */
struct sockaddr;
typedef struct sfn_httpc_allow sfn_httpc_allow;

/* New list, or NULL with err naming the first bad entry. */
sfn_httpc_allow *sfn_httpc_allow_new(const char *const *entries, size_t n,
                                     sfn_error *err);
void sfn_httpc_allow_free(sfn_httpc_allow *a); /* NULL ok */
/* Host (name or IP literal, "[::1]" ok) matches a host or pattern entry,
 * or is an IP literal inside a CIDR entry. */
bool sfn_httpc_allow_host(const sfn_httpc_allow *a, const char *host);
/* Resolved address (AF_INET or AF_INET6) inside a CIDR entry. */
bool sfn_httpc_allow_addr(const sfn_httpc_allow *a, const struct sockaddr *sa);
/* Whether any CIDR entry exists (else names alone decide). */
bool sfn_httpc_allow_has_cidr(const sfn_httpc_allow *a);

#endif
