/* sfn_aws_protocol.h: the AWS JSON 1.0 dialect (POST /, X-Amz-Target:
 * AWSStepFunctions.<Action>) over sfn_service_call, with optional SigV4
 * verification.  No socket I/O: the server fills the request and sends
 * the response this fills. */
#ifndef SFN_AWS_PROTOCOL_H
#define SFN_AWS_PROTOCOL_H

#include <stddef.h>

#include "sfn_http.h"
#include "sfn_service.h"

typedef struct sfn_aws_key {
    const char *access_key_id, *secret_access_key;
} sfn_aws_key;

/* keys == NULL or n_keys == 0: signatures are not checked (AWS tooling
 * always signs, stepd accepts any signature).  Otherwise every request
 * must carry a valid AWS4-HMAC-SHA256 signature by one of the keys. */
typedef struct sfn_aws_auth {
    const sfn_aws_key *keys;
    size_t n_keys;
} sfn_aws_auth;

/* Handles one request; auth may be NULL (no checking).  Fills resp
 * (status, body, content type, x-amzn-ErrorType on errors, route and
 * exec_arn for logs).  The caller frees resp with sfn_http_resp_free. */
void sfn_aws_protocol_handle(sfn_service *svc, const sfn_aws_auth *auth,
                             const sfn_http_req *req, sfn_http_resp *resp);

#endif
