/* sfn_err.c: status names and the sfn_error helpers. */
#include "sfn_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *sfn_rc_name(sfn_rc rc)
{
    switch (rc) {
#define SFN__RC_NAME(name, val, str) case SFN_##name: return #name;
        SFN_ERR_MAP(SFN__RC_NAME)
#undef SFN__RC_NAME
    }
    return "EUNKNOWN";
}

const char *sfn_rc_str(sfn_rc rc)
{
    switch (rc) {
#define SFN__RC_STR(name, val, str) case SFN_##name: return str;
        SFN_ERR_MAP(SFN__RC_STR)
#undef SFN__RC_STR
    }
    return "unknown error";
}

void sfn_error_clear(sfn_error *err)
{
    if (!err)
        return;
    err->rc = SFN_OK;
    err->offset = -1;
    err->name[0] = '\0';
    err->cause[0] = '\0';
}

sfn_rc sfn_error_set(sfn_error *err, sfn_rc rc, const char *name, long offset,
                     const char *fmt, ...)
{
    if (!err)
        return rc;
    err->rc = rc;
    err->offset = offset;
    snprintf(err->name, sizeof err->name, "%s", name ? name : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->cause, sizeof err->cause, fmt, ap);
    va_end(ap);
    return rc;
}
