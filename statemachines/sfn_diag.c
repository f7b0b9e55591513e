/* sfn_diag.c: the diagnostic list that validation fills (code, message,
 * JSON pointer, severity), its JSON rendering for the Validate API, and the
 * RFC 6901 pointer helpers every validator uses to name a location. */
#include "sfn_diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sfn_diags_init(sfn_diags *d)
{
    memset(d, 0, sizeof *d);
}

void sfn_diags_free(sfn_diags *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->count; i++) {
        free(d->items[i].code);
        free(d->items[i].message);
        free(d->items[i].location);
    }
    free(d->items);
    sfn_diags_init(d);
}

static char *vformat(const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

sfn_rc sfn_diags_add(sfn_diags *d, sfn_severity sev, const char *code,
                     const char *location, const char *fmt, ...)
{
    if (d->count == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        sfn_diag *p = realloc(d->items, cap * sizeof *p);
        if (!p)
            return SFN_ENOMEM;
        d->items = p;
        d->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    char *msg = vformat(fmt, ap);
    va_end(ap);
    char *c = strdup(code ? code : "");
    char *loc = strdup(location ? location : "");
    if (!msg || !c || !loc) {
        free(msg);
        free(c);
        free(loc);
        return SFN_ENOMEM;
    }
    sfn_diag *it = &d->items[d->count++];
    it->severity = sev;
    it->code = c;
    it->message = msg;
    it->location = loc;
    if (sev == SFN_SEV_ERROR)
        d->errors++;
    return SFN_OK;
}

static json_t *diag_json(const sfn_diag *it)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "code", it->code, "message",
                     it->message, "location", it->location, "severity",
                     it->severity == SFN_SEV_ERROR ? "ERROR" : "WARNING");
}

json_t *sfn_diags_to_json(const sfn_diags *d, int with_warnings)
{
    json_t *list = json_array();
    if (!list)
        return NULL;
    for (size_t i = 0; i < d->count; i++) {
        const sfn_diag *it = &d->items[i];
        if (it->severity == SFN_SEV_WARNING && !with_warnings)
            continue;
        if (json_array_append_new(list, diag_json(it)) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    return json_pack("{s:s, s:o}", "result", d->errors ? "FAIL" : "OK",
                     "diagnostics", list);
}

char *sfn_pointer_join(const char *base, const char *token)
{
    size_t blen = strlen(base), extra = 0;
    for (const char *p = token; *p; p++)
        extra += (*p == '~' || *p == '/');
    char *out = malloc(blen + 1 + strlen(token) + extra + 1);
    if (!out)
        return NULL;
    memcpy(out, base, blen);
    char *w = out + blen;
    *w++ = '/';
    for (const char *p = token; *p; p++) {
        if (*p == '~') {
            *w++ = '~';
            *w++ = '0';
        } else if (*p == '/') {
            *w++ = '~';
            *w++ = '1';
        } else {
            *w++ = *p;
        }
    }
    *w = '\0';
    return out;
}

char *sfn_pointer_join_index(const char *base, size_t index)
{
    char tok[32];
    snprintf(tok, sizeof tok, "%zu", index);
    return sfn_pointer_join(base, tok);
}
