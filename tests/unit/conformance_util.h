/* conformance_util.h: what the two runners over the LocalStack-derived
 * corpus ($SFN_SHARED/conformance/localstack) share: listing the cases,
 * compiling a case's definition as AWS would (Express rules for the
 * Express tests), and telling JSONata cases apart.  Header-only. */
#ifndef SFN_CONFORMANCE_UTIL_H
#define SFN_CONFORMANCE_UTIL_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sfn_asl.h"
#include "sfn_json.h"

#define SFN_UNUSED_FN __attribute__((unused))

static int cmp_case_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted *.json case names of the corpus (caller frees each and the
 * array); NULL when the folder cannot be read.  dir gets the folder. */
SFN_UNUSED_FN static char **conformance_cases(char *dir, size_t dir_size,
                                              size_t *n)
{
    const char *shared = getenv("SFN_SHARED");
    snprintf(dir, dir_size, "%s/conformance/localstack",
             shared ? shared : "../shared");
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t cap = 0;
    *n = 0;
    if (!d)
        return NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json"))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            names = realloc(names, cap * sizeof *names);
        }
        names[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, *n, sizeof *names, cmp_case_names);
    return names;
}

/* The corpus marks Express machines only through the test they come
 * from; the express rules (no .sync / .waitForTaskToken) apply there. */
SFN_UNUSED_FN static bool conformance_is_express(const char *name)
{
    return !strncmp(name, "api_express__", 13) ||
           !strncmp(name, "express__", 9) || strstr(name, "type_express_");
}

/* A case uses JSONata when any QueryLanguage in its definition says so. */
SFN_UNUSED_FN static bool conformance_is_jsonata(json_t *c)
{
    const char *text = json_string_value(json_object_get(c, "definition_text"));
    char *dumped = NULL;
    if (!text)
        text = dumped = sfn_json_dumps(json_object_get(c, "definition"), 0);
    bool yes = text && strstr(text, "\"QueryLanguage\":\"JSONata\"");
    free(dumped);
    return yes;
}

/* Compiles the case's definition (definition_text when the definition is
 * not an object).  Returns the compile status; *g set on success. */
SFN_UNUSED_FN static sfn_rc conformance_compile(json_t *c, const char *name,
                                                sfn_diags *d, sfn_graph **g)
{
    const char *text = json_string_value(json_object_get(c, "definition_text"));
    char *dumped = NULL;
    if (!text)
        text = dumped = sfn_json_dumps(json_object_get(c, "definition"), 0);
    sfn_asl_opts opts = {.express = conformance_is_express(name)};
    sfn_rc rc = text ? sfn_asl_compile_text(text, strlen(text), &opts, d, g)
                     : SFN_ENOMEM;
    free(dumped);
    return rc;
}

#endif
