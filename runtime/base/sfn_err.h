/* sfn_err.h: the one status type of stepd and the error detail that goes
 * with it.  Every fallible function returns an sfn_rc; callers that want to
 * know more pass an sfn_error which the callee fills on failure only. */
#ifndef SFN_ERR_H
#define SFN_ERR_H

#include <stddef.h>

#define SFN_ERR_MAP(XX)                                                  \
    XX(OK, 0, "success")                                                 \
    XX(ENOMEM, -1, "out of memory")                                      \
    XX(EINVAL, -2, "invalid argument")                                   \
    XX(ESYNTAX, -3, "syntax error")                                      \
    XX(ENOTFOUND, -4, "not found")                                       \
    XX(ETYPE, -5, "wrong type")                                          \
    XX(ELIMIT, -6, "limit exceeded")                                     \
    XX(EIO, -7, "input/output error")                                    \
    XX(ERUNTIME, -8, "runtime error")                                    \
    XX(EUNSUPPORTED, -9, "not supported")                                \
    XX(EBUSY, -10, "in use")                                             \
    XX(ELEASE, -11, "lease lost")

typedef enum {
#define SFN__RC_ENUM(name, val, str) SFN_##name = (val),
    SFN_ERR_MAP(SFN__RC_ENUM)
#undef SFN__RC_ENUM
} sfn_rc;

/* Name ("ENOMEM") and description of a status; never NULL. */
const char *sfn_rc_name(sfn_rc rc);
const char *sfn_rc_str(sfn_rc rc);

#define SFN_ERROR_NAME_MAX 256
#define SFN_ERROR_CAUSE_MAX 1024

/* Caller-owned detail of a failure.  `name` is an ASL error name where one
 * applies ("States.Runtime", "States.IntrinsicFailure"), else empty.
 * `offset` is a 0-based byte offset into the text being parsed, or -1. */
typedef struct sfn_error {
    sfn_rc rc;
    long offset;
    char name[SFN_ERROR_NAME_MAX];
    char cause[SFN_ERROR_CAUSE_MAX];
} sfn_error;

/* Resets err to "no error".  err may be NULL. */
void sfn_error_clear(sfn_error *err);

/* Fills err (if not NULL) and returns rc, so callers can write
 * `return sfn_error_set(err, SFN_ESYNTAX, NULL, -1, "bad %s", x);`.
 * name may be NULL.  The cause is truncated to fit. */
sfn_rc sfn_error_set(sfn_error *err, sfn_rc rc, const char *name, long offset,
                     const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
