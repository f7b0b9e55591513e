/* httpc_allow.c: the outbound allowlist of the HTTP client (sfn_httpc.h):
 * entry syntax checks, host / pattern matching on names, and CIDR matching
 * on the addresses DNS produced. */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "sfn_httpc.h"

#define HOST_MAX 253

typedef enum { ENTRY_HOST, ENTRY_PATTERN, ENTRY_CIDR } entry_kind;

typedef struct allow_entry {
    entry_kind kind;
    char *name;          /* HOST: the name; PATTERN: the suffix ".x.com" */
    int family;          /* CIDR: AF_INET or AF_INET6 */
    unsigned char net[16];
    int prefix;
} allow_entry;

struct sfn_httpc_allow {
    allow_entry *e;
    size_t n;
    bool has_cidr;
};

/* Letters, digits, '-', '_' in dot-separated non-empty labels.  '_' is
 * not legal in host names but appears in real internal names. */
static bool host_name_valid(const char *s)
{
    size_t n = strlen(s), label = 0;
    if (n == 0 || n > HOST_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '.') {
            if (label == 0)
                return false;
            label = 0;
        } else if (isalnum(ch) || ch == '-' || ch == '_') {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    return label > 0 || (n > 1 && s[n - 1] == '.');
}

/* Parses "a.b.c.d[/p]" or "v6[/p]"; a bare address is a full prefix. */
static bool parse_cidr(const char *s, allow_entry *out, const char **why)
{
    char addr[64];
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);
    if (alen == 0 || alen >= sizeof addr) {
        *why = "not an IP address";
        return false;
    }
    memcpy(addr, s, alen);
    addr[alen] = '\0';
    if (inet_pton(AF_INET, addr, out->net) == 1)
        out->family = AF_INET;
    else if (inet_pton(AF_INET6, addr, out->net) == 1)
        out->family = AF_INET6;
    else {
        *why = "not an IP address";
        return false;
    }
    int max = out->family == AF_INET ? 32 : 128;
    out->prefix = max;
    if (slash) {
        const char *p = slash + 1;
        if (!*p || strlen(p) > 3) {
            *why = "bad prefix length";
            return false;
        }
        int v = 0;
        for (; *p; p++) {
            if (!isdigit((unsigned char)*p)) {
                *why = "bad prefix length";
                return false;
            }
            v = v * 10 + (*p - '0');
        }
        if (v > max) {
            *why = out->family == AF_INET ? "prefix length above 32"
                                          : "prefix length above 128";
            return false;
        }
        out->prefix = v;
    }
    return true;
}

static bool looks_like_ip(const char *s)
{
    return strchr(s, ':') != NULL || strchr(s, '/') != NULL ||
           (isdigit((unsigned char)s[0]) &&
            strspn(s, "0123456789.") == strlen(s));
}

/* Classifies and checks one entry; fills out (name borrowed from s). */
static bool parse_entry(const char *s, allow_entry *out, const char **why)
{
    memset(out, 0, sizeof *out);
    if (!s || !*s) {
        *why = "empty entry";
        return false;
    }
    for (const char *p = s; *p; p++)
        if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p)) {
            *why = "contains white space or a control character";
            return false;
        }
    if (looks_like_ip(s)) {
        out->kind = ENTRY_CIDR;
        return parse_cidr(s, out, why);
    }
    if (s[0] == '*') {
        out->kind = ENTRY_PATTERN;
        if (s[1] != '.' || !host_name_valid(s + 2) || strchr(s + 2, '*')) {
            *why = "a pattern must be \"*.\" followed by a domain name";
            return false;
        }
        return true;
    }
    out->kind = ENTRY_HOST;
    if (!host_name_valid(s)) {
        *why = "not a host name, \"*.domain\" pattern or CIDR";
        return false;
    }
    return true;
}

bool sfn_httpc_allow_entry_valid(const char *entry, sfn_error *err)
{
    allow_entry e;
    const char *why = NULL;
    if (parse_entry(entry, &e, &why))
        return true;
    sfn_error_set(err, SFN_EINVAL, NULL, -1, "http.allow entry \"%s\": %s",
                  entry ? entry : "", why);
    return false;
}

static char *lower_dup(const char *s, size_t skip_trailing_dot)
{
    size_t n = strlen(s);
    if (skip_trailing_dot && n > 1 && s[n - 1] == '.')
        n--;
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    for (size_t i = 0; i < n; i++)
        d[i] = (char)tolower((unsigned char)s[i]);
    d[n] = '\0';
    return d;
}

static void mask_net(allow_entry *e)
{
    int bytes = e->family == AF_INET ? 4 : 16;
    for (int i = 0; i < bytes; i++) {
        int bits = e->prefix - i * 8;
        if (bits <= 0)
            e->net[i] = 0;
        else if (bits < 8)
            e->net[i] &= (unsigned char)(0xffu << (8 - bits));
    }
}

sfn_httpc_allow *sfn_httpc_allow_new(const char *const *entries, size_t n,
                                     sfn_error *err)
{
    sfn_httpc_allow *a = calloc(1, sizeof *a);
    if (!a || (n && !(a->e = calloc(n, sizeof *a->e)))) {
        free(a);
        sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory (allowlist)");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        allow_entry *e = &a->e[a->n];
        const char *why = NULL;
        if (!parse_entry(entries[i], e, &why)) {
            sfn_error_set(err, SFN_EINVAL, NULL, -1,
                          "http.allow entry %zu \"%s\": %s", i,
                          entries[i] ? entries[i] : "", why);
            sfn_httpc_allow_free(a);
            return NULL;
        }
        if (e->kind == ENTRY_CIDR) {
            mask_net(e);
            a->has_cidr = true;
        } else {
            /* a pattern keeps its leading '.', so a suffix compare
             * matches subdomains only */
            e->name = lower_dup(entries[i] + (e->kind == ENTRY_PATTERN), 1);
            if (!e->name) {
                sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
                sfn_httpc_allow_free(a);
                return NULL;
            }
        }
        a->n++;
    }
    return a;
}

void sfn_httpc_allow_free(sfn_httpc_allow *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++)
        free(a->e[i].name);
    free(a->e);
    free(a);
}

bool sfn_httpc_allow_has_cidr(const sfn_httpc_allow *a)
{
    return a && a->has_cidr;
}

static bool in_cidr(const allow_entry *e, int family, const unsigned char *b)
{
    if (e->kind != ENTRY_CIDR || e->family != family)
        return false;
    int full = e->prefix / 8, rest = e->prefix % 8;
    if (memcmp(e->net, b, (size_t)full) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char m = (unsigned char)(0xffu << (8 - rest));
    return (b[full] & m) == e->net[full];
}

/* family/bytes of an address; an IPv4-mapped IPv6 address counts as the
 * IPv4 address it carries, so "::ffff:10.0.0.1" cannot dodge 10.0.0.0/8. */
static bool addr_in_list(const sfn_httpc_allow *a, int family,
                         const unsigned char *b)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0,
                                             0, 0, 0, 0, 0xff, 0xff};
    if (family == AF_INET6 && memcmp(b, mapped, 12) == 0) {
        family = AF_INET;
        b += 12;
    }
    for (size_t i = 0; i < a->n; i++)
        if (in_cidr(&a->e[i], family, b))
            return true;
    return false;
}

bool sfn_httpc_allow_addr(const sfn_httpc_allow *a, const struct sockaddr *sa)
{
    if (!a || a->n == 0)
        return true;
    if (!sa)
        return false;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return addr_in_list(a, AF_INET,
                            (const unsigned char *)&in->sin_addr);
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        return addr_in_list(a, AF_INET6,
                            (const unsigned char *)&in6->sin6_addr);
    }
    return false;
}

static bool name_matches(const allow_entry *e, const char *host, size_t n)
{
    if (e->kind == ENTRY_HOST)
        return strlen(e->name) == n && strncmp(e->name, host, n) == 0;
    if (e->kind != ENTRY_PATTERN)
        return false;
    size_t sl = strlen(e->name); /* ".example.com" */
    return n > sl && strncmp(host + n - sl, e->name, sl) == 0;
}

bool sfn_httpc_allow_host(const sfn_httpc_allow *a, const char *host)
{
    if (!a || a->n == 0)
        return true;
    if (!host || !*host)
        return false;
    char buf[HOST_MAX + 3];
    size_t n = strlen(host);
    if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
        host++;
        n -= 2;
    }
    if (n >= sizeof buf)
        return false;
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)tolower((unsigned char)host[i]);
    buf[n] = '\0';
    char *zone = strchr(buf, '%'); /* fe80::1%eth0 */
    if (zone)
        *zone = '\0';
    unsigned char b[16];
    if (inet_pton(AF_INET, buf, b) == 1)
        return addr_in_list(a, AF_INET, b);
    if (inet_pton(AF_INET6, buf, b) == 1)
        return addr_in_list(a, AF_INET6, b);
    n = strlen(buf);
    if (n > 1 && buf[n - 1] == '.')
        buf[--n] = '\0';
    for (size_t i = 0; i < a->n; i++)
        if (name_matches(&a->e[i], buf, n))
            return true;
    return false;
}
