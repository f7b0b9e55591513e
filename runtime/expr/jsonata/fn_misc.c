/* fn_misc.c: the remaining JSONata built-ins: $eval (plain JSONata only)
 * and Step Functions' additions $hash, $uuid, $parse and the seedable
 * $random (available with opts->aws_functions). */
#include "jsonata_eval.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

/* ==== $eval ==== */

static jv fn_eval(jctx *c, jcall *call)
{
    jv text = jarg(call, 0), focus = jarg(call, 1);
    if (jv_is_undef(text))
        return text;
    jv input = call->input;
    if (!jv_is_undef(focus)) {
        input = focus;
        if (jv_is_array(input) && !jv_is_seq(input)) {
            input = sfn__jn_seq1(c, input);
            input.u.a->flags |= JA_OUTER;
        }
    }
    sfn_jsonata *e = NULL;
    sfn_error perr = {0};
    if (sfn_jsonata_compile(text.u.s, text.len, &e, &perr) != SFN_OK)
        sfn__jn_throw(c, "D3120", call->pos,
                      "Syntax error in expression passed to function eval: "
                      "%s",
                      perr.cause);
    sfn__jn_keep_eval(c, e);
    /* Catch the inner failure to report it as D3121, as jsonata-js. */
    jmp_buf jb, *outer = c->jb;
    int depth = c->depth;
    c->jb = &jb;
    if (setjmp(jb)) {
        c->jb = outer;
        c->depth = depth;
        if (c->err->rc == SFN_ELIMIT || c->err->rc == SFN_ENOMEM)
            longjmp(*outer, 1);
        char cause[SFN_ERROR_CAUSE_MAX];
        snprintf(cause, sizeof cause, "%s", c->err->cause);
        sfn__jn_throw(c, "D3121", call->pos,
                      "Dynamic error evaluating the expression passed to "
                      "function eval: %s",
                      cause);
    }
    jv r = sfn__jn_eval(c, sfn__jsonata_root(e), input, call->env);
    c->jb = outer;
    return r;
}

/* ==== Step Functions additions ==== */

static jv fn_hash(jctx *c, jcall *call)
{
    jv data = jarg(call, 0), alg = jarg(call, 1);
    if (jv_is_undef(data))
        return data;
    static const struct {
        const char *name;
        const char *evp;
    } algs[] = {{"MD5", "MD5"},         {"SHA-1", "SHA1"},
                {"SHA-256", "SHA256"},  {"SHA-384", "SHA384"},
                {"SHA-512", "SHA512"}};
    const EVP_MD *md = NULL;
    for (size_t i = 0; !md && i < sizeof algs / sizeof algs[0]; i++)
        if (alg.k == JV_STR && strlen(algs[i].name) == alg.len &&
            memcmp(algs[i].name, alg.u.s, alg.len) == 0)
            md = EVP_get_digestbyname(algs[i].evp);
    if (!md)
        sfn__jn_throw(c, "D3137", call->pos,
                      "$hash: unsupported algorithm %s; use one of MD5, "
                      "SHA-1, SHA-256, SHA-384, SHA-512",
                      sfn__jn_describe(c, alg));
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!EVP_Digest(data.u.s, data.len, out, &n, md, NULL))
        sfn__jn_throw(c, "D3137", call->pos, "$hash: digest failed");
    char *hex = sfn__jn_alloc(c, 2 * n + 1);
    for (unsigned i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", out[i]);
    return jv_str(hex, 2 * n);
}

static jv fn_uuid(jctx *c, jcall *call)
{
    (void)call;
    unsigned char b[16];
    unsigned long long r1 = sfn__jn_rand64(c), r2 = sfn__jn_rand64(c);
    memcpy(b, &r1, 8);
    memcpy(b + 8, &r2, 8);
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
    char *s = sfn__jn_alloc(c, 37);
    snprintf(s, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x"
             "%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
             b[10], b[11], b[12], b[13], b[14], b[15]);
    return jv_str(s, 36);
}

static jv fn_parse(jctx *c, jcall *call)
{
    jv s = jarg(call, 0);
    if (jv_is_undef(s))
        return s;
    json_error_t je;
    json_t *j = json_loadb(s.u.s, s.len, JSON_DECODE_ANY | JSON_ALLOW_NUL,
                           &je);
    if (!j)
        sfn__jn_throw(c, "D3137", call->pos,
                      "$parse: the string is not valid JSON: %s", je.text);
    sfn__jn_keep_json(c, j);
    return sfn__jn_from_json(j);
}

/* splitmix64: a seeded $random gives the same value for the same seed. */
static jv fn_random_seeded(jctx *c, jcall *call)
{
    jv seed = jarg(call, 0);
    if (jv_is_undef(seed))
        return jv_num(sfn__jn_random(c));
    unsigned long long z = (unsigned long long)(long long)floor(seed.u.n) +
                           0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return jv_num((double)(z >> 11) / 9007199254740992.0);
}

const jbuiltin sfn__jn_fn_misc[] = {
    {"eval", "<sx?:x>", 2, fn_eval, JB_NOAWS},
    {"hash", "<s-s:s>", 2, fn_hash, JB_AWS},
    {"uuid", "<:s>", 0, fn_uuid, JB_AWS},
    {"parse", "<s-:x>", 1, fn_parse, JB_AWS},
    {"random", "<n?:n>", 1, fn_random_seeded, JB_AWS},
    {NULL, NULL, 0, NULL, 0},
};
