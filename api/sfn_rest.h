/* sfn_rest.h: the REST dialect of stepd serve, for curl and browsers:
 * /v1/state-machines, /v1/executions and /v1/validate mapped onto the AWS
 * actions of sfn_service, with friendly JSON (input, output and
 * definitions as JSON values, timestamps as ISO 8601 strings) and errors
 * as {"error":"Code","message":"...","details":...}.  No socket I/O.
 *
 * Threading: as sfn_service_call, callable from any number of threads. */
#ifndef SFN_REST_H
#define SFN_REST_H

#include <stdbool.h>

#include "sfn_http.h"
#include "sfn_service.h"

/* Handles one request under /v1/.  Fills resp (status, JSON body, headers,
 * route and exec_arn for logs); the caller frees it with
 * sfn_http_resp_free. */
void sfn_rest_handle(sfn_service *svc, const sfn_http_req *req,
                     sfn_http_resp *resp);

/* Bearer-token check: true when token is NULL (auth off) or the request's
 * "Authorization: Bearer <token>" matches (compared in constant time).
 * Otherwise fills resp with 401 and WWW-Authenticate and returns false. */
bool sfn_rest_authorized(const char *token, const sfn_http_req *req,
                         sfn_http_resp *resp);

/* Fills resp with the REST error shape {"error","message"[,"details"]};
 * details (may be NULL) is stolen. */
void sfn_rest_error(sfn_http_resp *resp, int status, const char *code,
                    const char *message, json_t *details);

/* The HTTP status the REST dialect uses for an AWS error type:
 * *DoesNotExist / ResourceNotFound 404, *AlreadyExists / Conflict 409,
 * limits and throttling 429, else the AWS status (400 / 500). */
int sfn_rest_status(const char *error_type);

/* Epoch seconds (AWS timestamps) as "2024-05-01T12:00:00.123Z" into buf
 * (>= 32 bytes). */
void sfn_rest_iso8601(double epoch_seconds, char *buf, size_t size);

#endif
