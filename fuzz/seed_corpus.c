/* seed_corpus.c: builds the fuzzers' seed corpora from JSON files, so the
 * fuzz scripts need nothing beyond a C compiler and jansson.
 * Usage: seed_corpus asl|jsonpath|intrinsic OUTDIR FILE...
 *   asl        writes each definition: a file that is itself a definition
 *              (samples/NAME.asl.json), or the "definition" (or raw
 *              "definition_text") of a conformance case file;
 *   jsonpath   writes every string in those definitions that starts
 *              with '$' (paths, `$$` context paths, `$var` references);
 *   intrinsic  writes every string that starts with "States." and has '('.
 * Output files are named by a hash of their content, so duplicates
 * collapse.  Prints how many files it wrote. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

typedef enum { MODE_ASL, MODE_JSONPATH, MODE_INTRINSIC } seed_mode;

typedef struct {
    seed_mode mode;
    const char *outdir;
    size_t written;
    int failed;
} seeder;

static unsigned long long fnv1a(const char *s, size_t n)
{
    unsigned long long h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static void emit(seeder *sd, const char *text, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%016llx", sd->outdir, fnv1a(text, len));
    FILE *f = fopen(path, "rb");
    if (f) { /* same content seen before */
        fclose(f);
        return;
    }
    f = fopen(path, "wb");
    if (!f || fwrite(text, 1, len, f) != len) {
        fprintf(stderr, "seed_corpus: cannot write '%s': %s\n", path,
                strerror(errno));
        sd->failed = 1;
    } else {
        sd->written++;
    }
    if (f)
        fclose(f);
}

static void walk_strings(seeder *sd, const json_t *v)
{
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (sd->mode == MODE_JSONPATH && n && s[0] == '$')
            emit(sd, s, n);
        else if (sd->mode == MODE_INTRINSIC && !strncmp(s, "States.", 7) &&
                 strchr(s, '('))
            emit(sd, s, n);
    } else if (json_is_object(v)) {
        const char *key;
        json_t *member;
        json_object_foreach((json_t *)v, key, member)
            walk_strings(sd, member);
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            walk_strings(sd, json_array_get(v, i));
    }
}

static void seed_file(seeder *sd, const char *file)
{
    json_error_t e;
    json_t *root = json_load_file(file, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (!root) {
        fprintf(stderr, "seed_corpus: %s:%d:%d: %s (skipped)\n", file,
                e.line, e.column, e.text);
        return;
    }
    const json_t *def = json_object_get(root, "States") ? root
                        : json_object_get(root, "definition");
    const json_t *raw = json_object_get(root, "definition_text");
    if (sd->mode != MODE_ASL) {
        walk_strings(sd, def);
    } else if (json_is_string(raw)) {
        emit(sd, json_string_value(raw), json_string_length(raw));
    } else if (def) {
        char *text = json_dumps(def, JSON_PRESERVE_ORDER | JSON_COMPACT);
        if (text)
            emit(sd, text, strlen(text));
        free(text);
    }
    json_decref(root);
}

int main(int argc, char **argv)
{
    seeder sd = {0};
    if (argc < 3 || (strcmp(argv[1], "asl") && strcmp(argv[1], "jsonpath") &&
                     strcmp(argv[1], "intrinsic"))) {
        fputs("usage: seed_corpus asl|jsonpath|intrinsic OUTDIR FILE...\n",
              stderr);
        return 2;
    }
    sd.mode = !strcmp(argv[1], "asl")        ? MODE_ASL
              : !strcmp(argv[1], "jsonpath") ? MODE_JSONPATH
                                             : MODE_INTRINSIC;
    sd.outdir = argv[2];
    for (int i = 3; i < argc; i++)
        seed_file(&sd, argv[i]);
    printf("seed_corpus: %s: %zu distinct inputs in %s\n", argv[1],
           sd.written, sd.outdir);
    return sd.failed ? 1 : 0;
}
