/* pg_fixture.h: fresh PostgreSQL databases for tests, on the server that
 * scripts/pg.sh started (ctest's pg_start fixture), and tdb_spec, the one
 * place a test picks its store (SQLite file, or PostgreSQL when
 * STEPD_TEST_DB=pg).  Header-only; links libpq.
 *
 * API (no function asserts: failures return NULL/-1 and say why on stderr):
 *
 *   pgfx_base_url()          env STEPD_TEST_PG, else the first line of the
 *                            file named by env STEPD_TEST_PG_FILE; NULL when
 *                            neither gives one.  Borrowed (static buffer).
 *   pgfx_create_db(tag)      CREATE DATABASE <tag>_<pid>_<n> (lowercase) on
 *                            the base server; the URL of the new database
 *                            (same host, port and user), malloc'd, or NULL
 *   pgfx_drop_db(url)        DROP DATABASE ... WITH (FORCE) of a database
 *                            pgfx_create_db made; 0 or -1
 *   tdb_is_pg()              whether env STEPD_TEST_DB is "pg"
 *   tdb_spec(buf, n, dir)    the store spec a test passes to
 *                            sfn_store_open / --db: a fresh database URL
 *                            under STEPD_TEST_DB=pg, else "<dir>/stepd.db";
 *                            buf, or NULL (too small, or no server)
 *   tdb_release(spec)        drops the database when spec is a URL (no-op
 *                            for a SQLite path; its folder is the test's)
 */
#ifndef SFN_PG_FIXTURE_H
#define SFN_PG_FIXTURE_H

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#define PGFX_UNUSED __attribute__((unused))

/* a database name: identifiers are at most 63 bytes */
enum { PGFX_NAME_MAX = 63, PGFX_URL_MAX = 512 };

PGFX_UNUSED static const char *pgfx_base_url(void)
{
    static char line[PGFX_URL_MAX];
    const char *env = getenv("STEPD_TEST_PG");
    if (env && *env)
        return env;
    const char *file = getenv("STEPD_TEST_PG_FILE");
    if (!file || !*file)
        return NULL;
    FILE *f = fopen(file, "r");
    if (!f) {
        fprintf(stderr, "pg_fixture: STEPD_TEST_PG_FILE %s: %s (did the "
                "pg_start fixture run?)\n", file, strerror(errno));
        return NULL;
    }
    char *got = fgets(line, sizeof line, f);
    fclose(f);
    if (!got) {
        fprintf(stderr, "pg_fixture: STEPD_TEST_PG_FILE %s is empty\n", file);
        return NULL;
    }
    line[strcspn(line, "\r\n")] = '\0';
    return line[0] ? line : NULL;
}

/* The base URL split around its database path: prefix is everything up to
 * the '/' that starts the path (exclusive), suffix the "?params" (or ""). */
static int pgfx_split(const char *url, size_t *prefix_len,
                      const char **suffix)
{
    const char *p = strstr(url, "://");
    if (!p) {
        fprintf(stderr, "pg_fixture: not a postgres:// URL: %s\n", url);
        return -1;
    }
    p += 3;
    size_t auth = strcspn(p, "/?");
    *prefix_len = (size_t)(p - url) + auth;
    const char *q = strchr(p + auth, '?');
    *suffix = q ? q : "";
    return 0;
}

/* url with its database replaced by `db`; malloc'd or NULL. */
static char *pgfx_url_for(const char *url, const char *db)
{
    size_t prefix;
    const char *suffix;
    if (pgfx_split(url, &prefix, &suffix))
        return NULL;
    size_t n = prefix + 1 + strlen(db) + strlen(suffix) + 1;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%.*s/%s%s", (int)prefix, url, db, suffix);
    return out;
}

/* The database name in a URL (path up to '?'), into buf; 0 or -1. */
static int pgfx_db_of(const char *url, char *buf, size_t n)
{
    size_t prefix;
    const char *suffix;
    if (pgfx_split(url, &prefix, &suffix))
        return -1;
    const char *db = url + prefix;
    if (*db != '/') {
        fprintf(stderr, "pg_fixture: no database in %s\n", url);
        return -1;
    }
    db++;
    size_t len = strcspn(db, "?");
    if (len == 0 || len >= n) {
        fprintf(stderr, "pg_fixture: bad database name in %s\n", url);
        return -1;
    }
    memcpy(buf, db, len);
    buf[len] = '\0';
    return 0;
}

/* A connection to the base server's maintenance database, or NULL. */
static PGconn *pgfx_connect_base(void)
{
    const char *base = pgfx_base_url();
    if (!base) {
        fprintf(stderr, "pg_fixture: no PostgreSQL server: set STEPD_TEST_PG "
                "to a postgres:// URL or STEPD_TEST_PG_FILE to a file "
                "holding one (ctest's pg_start fixture writes it)\n");
        return NULL;
    }
    PGconn *c = PQconnectdb(base);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "pg_fixture: cannot connect to %s: %s", base,
                PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    return c;
}

/* Runs one utility statement; 0, or -1 with the server's message.  *dup
 * (may be NULL) is set when it failed because the object already exists. */
static int pgfx_exec(PGconn *c, const char *sql, bool *dup)
{
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (dup) {
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        *dup = !ok && state && strcmp(state, "42P04") == 0;
    }
    if (!ok && !(dup && *dup))
        fprintf(stderr, "pg_fixture: %s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    return ok ? 0 : -1;
}

/* tag reduced to what an unquoted identifier may hold, lowercase. */
static void pgfx_clean_tag(const char *tag, char *out, size_t n)
{
    size_t j = 0;
    for (const char *p = tag ? tag : "t"; *p && j + 1 < n; p++) {
        unsigned char ch = (unsigned char)*p;
        out[j++] = isalnum(ch) ? (char)tolower(ch) : '_';
    }
    if (j == 0 || isdigit((unsigned char)out[0]))
        out[0] = 't', j = j ? j : 1;
    out[j] = '\0';
}

PGFX_UNUSED static char *pgfx_create_db(const char *tag)
{
    static unsigned counter;
    char clean[40], name[PGFX_NAME_MAX + 1], sql[PGFX_NAME_MAX + 32];
    pgfx_clean_tag(tag, clean, sizeof clean);
    PGconn *c = pgfx_connect_base();
    if (!c)
        return NULL;
    /* a leftover of an earlier process with the same pid: next number */
    for (int tries = 0; tries < 100; tries++) {
        snprintf(name, sizeof name, "%s_%ld_%u", clean, (long)getpid(),
                 counter++);
        snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", name);
        bool dup = false;
        if (pgfx_exec(c, sql, &dup) == 0) {
            PQfinish(c);
            return pgfx_url_for(pgfx_base_url(), name);
        }
        if (!dup)
            break;
    }
    PQfinish(c);
    return NULL;
}

PGFX_UNUSED static int pgfx_drop_db(const char *url)
{
    char name[PGFX_NAME_MAX + 1], sql[PGFX_NAME_MAX + 48];
    if (!url || pgfx_db_of(url, name, sizeof name))
        return -1;
    for (const char *p = name; *p; p++)
        if (*p == '"') {
            fprintf(stderr, "pg_fixture: refusing database name %s\n", name);
            return -1;
        }
    PGconn *c = pgfx_connect_base();
    if (!c)
        return -1;
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)",
             name);
    int rc = pgfx_exec(c, sql, NULL);
    PQfinish(c);
    return rc;
}

PGFX_UNUSED static bool tdb_is_pg(void)
{
    const char *db = getenv("STEPD_TEST_DB");
    return db && strcmp(db, "pg") == 0;
}

PGFX_UNUSED static const char *tdb_spec(char *buf, size_t n, const char *dir)
{
    if (!tdb_is_pg()) {
        int len = snprintf(buf, n, "%s/stepd.db", dir);
        if (len < 0 || (size_t)len >= n) {
            fprintf(stderr, "pg_fixture: %s/stepd.db does not fit %zu bytes\n",
                    dir, n);
            return NULL;
        }
        return buf;
    }
    const char *prog = program_invocation_short_name;
    char *url = pgfx_create_db(prog && *prog ? prog : "t");
    if (!url)
        return NULL;
    if (strlen(url) >= n) {
        fprintf(stderr, "pg_fixture: URL %s does not fit %zu bytes\n", url, n);
        pgfx_drop_db(url);
        free(url);
        return NULL;
    }
    strcpy(buf, url);
    free(url);
    return buf;
}

PGFX_UNUSED static void tdb_release(const char *spec)
{
    if (spec && (strncmp(spec, "postgres://", 11) == 0 ||
                 strncmp(spec, "postgresql://", 13) == 0))
        pgfx_drop_db(spec);
}

#endif
