/* sfn_sigv4.h: AWS Signature Version 4 verification (AWS4-HMAC-SHA256 in
 * the Authorization header), as the AWS CLI and SDKs sign requests:
 * canonical request, string to sign, HMAC-SHA256 key chain (OpenSSL).
 * The request's clock is not compared with ours (a local endpoint). */
#ifndef SFN_SIGV4_H
#define SFN_SIGV4_H

#include <stdbool.h>
#include <stddef.h>

#include "sfn_aws_protocol.h"
#include "sfn_err.h"

/* What the signature covers.  path is decoded (re-encoded here); query is
 * the canonical query string ("" for none). */
typedef struct sfn_sigv4_input {
    const char *method, *path, *query;
    const char *(*header)(void *ud, const char *name); /* case-insensitive */
    void *ud;
    const char *body;
    size_t body_len;
} sfn_sigv4_input;

/* SFN_OK when the request is signed by one of keys for `service`.  Else
 * SFN_EINVAL with err->name: "MissingAuthenticationTokenException" (no
 * Authorization), "IncompleteSignatureException" (malformed),
 * "UnrecognizedClientException" (unknown access key),
 * "InvalidSignatureException" (wrong signature). */
sfn_rc sfn_sigv4_verify(const sfn_sigv4_input *in, const char *service,
                        const sfn_aws_key *keys, size_t n_keys,
                        sfn_error *err);

/* The hex signature (65 bytes with NUL) of a request for the given scope
 * parts and signed headers ("host;x-amz-date"); amz_date
 * "20150830T123600Z".  false on ENOMEM. */
bool sfn_sigv4_sign(const sfn_sigv4_input *in, const char *secret,
                    const char *amz_date, const char *region,
                    const char *service, const char *signed_headers,
                    char hex[65]);

#endif
