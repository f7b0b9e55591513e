/* signature.c: parses lambda type signatures such as <s-n?:s> or
 * <a<n>f:a> into a parameter list for the evaluator's argument checks.
 * Follows jsonata-js: unknown letters are ignored, the return type after
 * `:` is not used, and only S0401 / S0402 are compile-time errors. */
#include "jsonata_ast.h"

#include <string.h>

/* Index of the bracket closing the one at `start`, or strlen(s). */
static size_t closing(const char *s, size_t start, char open, char close)
{
    int depth = 1;
    size_t i = start;
    while (s[i] != '\0') {
        i++;
        if (s[i] == close) {
            if (--depth == 0)
                break;
        } else if (s[i] == open) {
            depth++;
        }
    }
    return i;
}

static sfn_rc oom(sfn_error *err, long pos)
{
    return sfn_error_set(err, SFN_ENOMEM, NULL, pos, "out of memory");
}

/* One symbol at text[*i]; *prev is the last complete parameter (or NULL),
 * *count grows as parameters complete. */
static sfn_rc symbol(sfn_jn_arena *a, const char *text, size_t *i,
                     long sig_pos, sfn_jn_sigparam *params, size_t *count,
                     sfn_error *err)
{
    char c = text[*i];
    sfn_jn_sigparam *prev = *count ? &params[*count - 1] : NULL;
    if (c && strchr("snbloafjx", c)) {
        params[(*count)++].type = c;
    } else if (c == '-' || c == '?' || c == '+') {
        if (prev) {
            prev->context |= c == '-';
            prev->optional |= c == '?';
            prev->one_or_more |= c == '+';
        }
    } else if (c == '(') {
        size_t end = closing(text, *i, '(', ')');
        const char *body = text + *i + 1;
        size_t n = end - *i - 1;
        if (memchr(body, '<', n))
            return sfn__jsonata_syntax(
                err, "S0402", sig_pos + (long)*i,
                "Choice groups containing parameterized types are not "
                "supported: (%.*s)",
                (int)n, body);
        sfn_jn_sigparam *q = &params[(*count)++];
        q->type = '(';
        q->choice = sfn__jsonata_strndup(a, body, n);
        if (!q->choice)
            return oom(err, sig_pos);
        *i = end;
    } else if (c == '<') {
        if (!prev || (prev->type != 'a' && prev->type != 'f'))
            return sfn__jsonata_syntax(
                err, "S0401", sig_pos + (long)*i,
                "Type parameters can only be applied to functions and "
                "arrays, not to \"%c\"",
                prev && prev->type ? prev->type : '?');
        size_t end = closing(text, *i, '<', '>');
        prev->subtype = sfn__jsonata_strndup(a, text + *i + 1, end - *i - 1);
        if (!prev->subtype)
            return oom(err, sig_pos);
        *i = end;
    }
    return SFN_OK;
}

sfn_rc sfn__jsonata_signature_parse(sfn_jn_arena *a, const char *text,
                                    long sig_pos, sfn_jn_signature **out,
                                    sfn_error *err)
{
    size_t len = strlen(text);
    sfn_jn_signature *sig = sfn__jsonata_alloc(a, sizeof *sig);
    /* At most one parameter per character. */
    sfn_jn_sigparam *params =
        sfn__jsonata_alloc(a, (len + 1) * sizeof *params);
    char *copy = sfn__jsonata_strndup(a, text, len);
    if (!sig || !params || !copy)
        return oom(err, sig_pos);
    size_t count = 0;
    for (size_t i = 1; i < len && text[i] != ':'; i++) {
        sfn_rc rc = symbol(a, text, &i, sig_pos, params, &count, err);
        if (rc)
            return rc;
    }
    sig->text = copy;
    sig->params = params;
    sig->count = count;
    *out = sig;
    return SFN_OK;
}
