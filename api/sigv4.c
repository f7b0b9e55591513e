/* sigv4.c: AWS Signature Version 4 verification: rebuilds the canonical
 * request from the headers the client says it signed, derives the signing
 * key from the secret (HMAC chain over date, region, service) and compares
 * signatures in constant time. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sfn_sigv4.h"

/* A growable string; ok goes false on ENOMEM and stays false. */
typedef struct buf {
    char *s;
    size_t n, cap;
    bool ok;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (!b->ok)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->n + n + 1) * 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->ok = false;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}

static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

static void hex(const unsigned char *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void sha256_hex(const char *s, size_t n, char out[65])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)s, n, md);
    hex(md, sizeof md, out);
}

static void hmac(const unsigned char *key, size_t klen, const char *msg,
                 unsigned char out[32])
{
    unsigned int len = 32;
    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg,
         strlen(msg), out, &len);
}

/* RFC 3986 encoding of a path, keeping '/'. */
static void put_path(buf *b, const char *path)
{
    if (!path || !*path) {
        puts_(b, "/");
        return;
    }
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
            (*p >= '0' && *p <= '9') || strchr("-._~/", *p)) {
            put(b, (const char *)p, 1);
        } else {
            char e[4];
            snprintf(e, sizeof e, "%%%02X", *p);
            puts_(b, e);
        }
    }
}

/* Header value trimmed, inner runs of spaces collapsed. */
static void put_value(buf *b, const char *v)
{
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    bool space = false;
    for (size_t i = 0; i < n; i++) {
        bool sp = v[i] == ' ' || v[i] == '\t';
        if (sp && space)
            continue;
        space = sp;
        put(b, sp ? " " : v + i, 1);
    }
}

static bool canonical(const sfn_sigv4_input *in, const char *signed_headers,
                      buf *b)
{
    puts_(b, in->method);
    puts_(b, "\n");
    put_path(b, in->path);
    puts_(b, "\n");
    puts_(b, in->query ? in->query : "");
    puts_(b, "\n");
    char *names = strdup(signed_headers);
    if (!names)
        return false;
    char *save = NULL;
    for (char *h = strtok_r(names, ";", &save); h;
         h = strtok_r(NULL, ";", &save)) {
        const char *v = in->header(in->ud, h);
        puts_(b, h);
        puts_(b, ":");
        put_value(b, v ? v : "");
        puts_(b, "\n");
    }
    free(names);
    puts_(b, "\n");
    puts_(b, signed_headers);
    puts_(b, "\n");
    const char *payload = in->header(in->ud, "x-amz-content-sha256");
    char h[65];
    if (payload) { /* the client's own hash (or UNSIGNED-PAYLOAD) */
        puts_(b, payload);
    } else {
        sha256_hex(in->body ? in->body : "", in->body_len, h);
        puts_(b, h);
    }
    return b->ok;
}

bool sfn_sigv4_sign(const sfn_sigv4_input *in, const char *secret,
                    const char *amz_date, const char *region,
                    const char *service, const char *signed_headers,
                    char out[65])
{
    buf creq = {.ok = true};
    if (!canonical(in, signed_headers, &creq)) {
        free(creq.s);
        return false;
    }
    char creq_hash[65], date[9];
    sha256_hex(creq.s, creq.n, creq_hash);
    free(creq.s);
    snprintf(date, sizeof date, "%.8s", amz_date);
    char sts[512];
    snprintf(sts, sizeof sts,
             "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", amz_date,
             date, region, service, creq_hash);
    size_t klen = strlen(secret) + 5;
    unsigned char *k0 = malloc(klen + 1);
    if (!k0)
        return false;
    snprintf((char *)k0, klen + 1, "AWS4%s", secret);
    unsigned char k1[32], k2[32], k3[32], k4[32], sig[32];
    hmac(k0, klen - 1, date, k1);
    OPENSSL_cleanse(k0, klen);
    free(k0);
    hmac(k1, 32, region, k2);
    hmac(k2, 32, service, k3);
    hmac(k3, 32, "aws4_request", k4);
    hmac(k4, 32, sts, sig);
    hex(sig, 32, out);
    return true;
}

/* Authorization: AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/SERVICE/
 * aws4_request, SignedHeaders=a;b, Signature=hex */
typedef struct auth_parts {
    char key[128], date[16], region[64], service[64], headers[1024],
        sig[65];
} auth_parts;

static bool field(const char *auth, const char *name, char *out,
                  size_t size)
{
    const char *p = strstr(auth, name);
    if (!p)
        return false;
    p += strlen(name);
    size_t n = strcspn(p, ", ");
    if (!n || n >= size)
        return false;
    memcpy(out, p, n);
    out[n] = 0;
    return true;
}

static bool parse_auth(const char *auth, auth_parts *a)
{
    char cred[512];
    if (strncmp(auth, "AWS4-HMAC-SHA256 ", 17) ||
        !field(auth, "Credential=", cred, sizeof cred) ||
        !field(auth, "SignedHeaders=", a->headers, sizeof a->headers) ||
        !field(auth, "Signature=", a->sig, sizeof a->sig))
        return false;
    char *parts[5];
    size_t n = 0;
    char *save = NULL;
    for (char *t = strtok_r(cred, "/", &save); t && n < 5;
         t = strtok_r(NULL, "/", &save))
        parts[n++] = t;
    if (n != 5 || strcmp(parts[4], "aws4_request") ||
        strlen(parts[0]) >= sizeof a->key ||
        strlen(parts[1]) != 8 || strlen(parts[2]) >= sizeof a->region ||
        strlen(parts[3]) >= sizeof a->service)
        return false;
    strcpy(a->key, parts[0]);
    strcpy(a->date, parts[1]);
    strcpy(a->region, parts[2]);
    strcpy(a->service, parts[3]);
    return true;
}

sfn_rc sfn_sigv4_verify(const sfn_sigv4_input *in, const char *service,
                        const sfn_aws_key *keys, size_t n_keys,
                        sfn_error *err)
{
    const char *auth = in->header(in->ud, "authorization");
    if (!auth)
        return sfn_error_set(err, SFN_EINVAL,
                             "MissingAuthenticationTokenException", -1,
                             "Missing Authentication Token");
    auth_parts a;
    const char *amz_date = in->header(in->ud, "x-amz-date");
    if (!parse_auth(auth, &a) || !amz_date || strncmp(amz_date, a.date, 8) ||
        !strstr(a.headers, "host"))
        return sfn_error_set(err, SFN_EINVAL, "IncompleteSignatureException",
                             -1,
                             "Authorization header requires 'Credential', "
                             "'Signature' and 'SignedHeaders' (with host) "
                             "parameters and an X-Amz-Date header");
    if (strcmp(a.service, service))
        return sfn_error_set(err, SFN_EINVAL, "InvalidSignatureException", -1,
                             "Credential should be scoped to correct "
                             "service: '%s'",
                             service);
    const sfn_aws_key *k = NULL;
    for (size_t i = 0; i < n_keys && !k; i++)
        if (!strcmp(keys[i].access_key_id, a.key))
            k = &keys[i];
    if (!k)
        return sfn_error_set(err, SFN_EINVAL, "UnrecognizedClientException",
                             -1,
                             "The security token included in the request is "
                             "invalid.");
    char want[65];
    if (!sfn_sigv4_sign(in, k->secret_access_key, amz_date, a.region,
                        a.service, a.headers, want))
        return sfn_error_set(err, SFN_ENOMEM, "InternalFailure", -1,
                             "out of memory");
    if (strlen(a.sig) != 64 || CRYPTO_memcmp(want, a.sig, 64))
        return sfn_error_set(err, SFN_EINVAL, "InvalidSignatureException", -1,
                             "The request signature we calculated does not "
                             "match the signature you provided. Check your "
                             "AWS Secret Access Key and signing method.");
    return SFN_OK;
}
