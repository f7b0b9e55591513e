/* fuzz_service.h: the service the HTTP dialect fuzz targets call: one per
 * process, on a fresh SQLite file in a private temporary directory that is
 * removed at exit, with small limits so executions the inputs start stay
 * cheap.  Also a fixed-header sfn_http_req helper. */
#ifndef SFN_FUZZ_SERVICE_H
#define SFN_FUZZ_SERVICE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sfn_service.h"

/* An EXPRESS machine made at start, so StartSyncExecution has something
 * to run; the AWS target keeps inputs from changing it (see there). */
#define FUZZ_EXPRESS_MACHINE "fuzz-express"

static sfn_service *fuzz_svc;
static char fuzz_svc_dir[64];

static void fuzz_service_close(void)
{
    if (!fuzz_svc)
        return;
    sfn_service_free(fuzz_svc);
    fuzz_svc = NULL;
    char path[128];
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(path, sizeof path, "%s/db%s", fuzz_svc_dir, suffix[i]);
        unlink(path);
    }
    rmdir(fuzz_svc_dir);
}

static void fuzz_service_seed(sfn_service *svc)
{
    sfn_error err;
    json_t *req = json_pack(
        "{s:s,s:s,s:s,s:s}", "name", FUZZ_EXPRESS_MACHINE, "type", "EXPRESS",
        "roleArn", "arn:aws:iam::123456789012:role/fuzz", "definition",
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true}}}");
    json_t *out = sfn_service_call(svc, "CreateStateMachine", req, &err);
    if (!out)
        fprintf(stderr, "fuzz: cannot create %s: %s: %s\n",
                FUZZ_EXPRESS_MACHINE, err.name, err.cause);
    json_decref(out);
    json_decref(req);
    req = json_pack("{s:s}", "name", "fuzz-activity");
    out = sfn_service_call(svc, "CreateActivity", req, &err);
    json_decref(out);
    json_decref(req);
}

/* The process's service; exits the fuzzer when it cannot be opened, since
 * no input could then be tested. */
static sfn_service *fuzz_service(void)
{
    if (fuzz_svc)
        return fuzz_svc;
    const char *tmp = getenv("TMPDIR");
    snprintf(fuzz_svc_dir, sizeof fuzz_svc_dir, "%.40s/stepd-fz-XXXXXX",
             tmp && *tmp && strlen(tmp) <= 40 ? tmp : "/tmp");
    if (!mkdtemp(fuzz_svc_dir)) {
        perror("fuzz: mkdtemp");
        exit(1);
    }
    char db[128];
    snprintf(db, sizeof db, "%s/db", fuzz_svc_dir);
    sfn_service_opts o = {
        .db_path = db,
        .limits = {.history_events_max = 400, .payload_bytes_max = 65536},
        .max_open_executions = 64,
    };
    sfn_error err;
    fuzz_svc = sfn_service_new(&o, &err);
    if (!fuzz_svc) {
        fprintf(stderr, "fuzz: cannot open the service on %s: %s: %s\n", db,
                err.name, err.cause);
        rmdir(fuzz_svc_dir);
        exit(1);
    }
    fuzz_service_seed(fuzz_svc);
    atexit(fuzz_service_close);
    return fuzz_svc;
}

#endif
