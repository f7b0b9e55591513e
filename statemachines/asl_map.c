/* asl_map.c: Map states: the processor (ItemProcessor or legacy Iterator)
 * and its ProcessorConfig, item selection (ItemsPath / Items, ItemSelector
 * or legacy Parameters), concurrency and the Distributed-only fields
 * (ItemReader, ItemBatcher, ResultWriter, ToleratedFailure*, Label). */
#include <stdlib.h>
#include <string.h>

#include "asl_internal.h"

#define LABEL_MAX 40

static const json_t *get(const sfn_state *st, const char *f)
{
    return json_object_get(st->raw, f);
}

/* Mode from ProcessorConfig; reports bad values.  Returns distributed. */
static bool processor_config(asl_ctx *c, const json_t *proc, const char *pp)
{
    const json_t *pc = json_object_get(proc, "ProcessorConfig");
    if (!pc)
        return false;
    char *p = asl_ptr(c, pp, "ProcessorConfig");
    bool dist = false;
    if (!json_is_object(pc)) {
        asl_err(c, ASL_SCHEMA, p, NULL, "'ProcessorConfig' must be an "
                "object, not %s", asl_json_type_name(pc));
        asl_ptr_free(p);
        return false;
    }
    static const char *const fields[] = {"Mode", "ExecutionType", NULL};
    asl_check_known(c, pc, p, fields);
    const json_t *mode = json_object_get(pc, "Mode");
    const char *m = json_string_value(mode);
    if (mode && (!m || (strcmp(m, "INLINE") && strcmp(m, "DISTRIBUTED"))))
        asl_err(c, ASL_SCHEMA, p, "Mode",
                "'Mode' must be \"INLINE\" or \"DISTRIBUTED\"");
    dist = m && !strcmp(m, "DISTRIBUTED");
    const json_t *et = json_object_get(pc, "ExecutionType");
    const char *e = json_string_value(et);
    if (et && (!e || (strcmp(e, "STANDARD") && strcmp(e, "EXPRESS"))))
        asl_err(c, ASL_SCHEMA, p, "ExecutionType",
                "'ExecutionType' must be \"STANDARD\" or \"EXPRESS\"");
    else if (dist && !et)
        asl_err(c, ASL_SCHEMA, p, NULL,
                "These fields are required: [ExecutionType]");
    asl_ptr_free(p);
    return dist;
}

static void compile_processor(asl_ctx *c, sfn_block *b, sfn_state *st)
{
    const json_t *ip = get(st, "ItemProcessor"), *it = get(st, "Iterator");
    if (ip && it) {
        asl_err(c, ASL_SCHEMA, st->pointer, "Iterator",
                "'ItemProcessor' and 'Iterator' are mutually exclusive; "
                "Iterator is the legacy name of ItemProcessor");
        return;
    }
    if (!ip && !it) {
        asl_err(c, ASL_SCHEMA, st->pointer, NULL,
                "These fields are required: [ItemProcessor]");
        return;
    }
    char *p = asl_ptr(c, st->pointer, ip ? "ItemProcessor" : "Iterator");
    /* the legacy Iterator accepts a ProcessorConfig as well */
    if (json_is_object(ip ? ip : it))
        st->distributed = processor_config(c, ip ? ip : it, p);
    asl_block_compile(c, ip ? ip : it, p, b, st, true, &st->processor);
    asl_ptr_free(p);
}

static void compile_items(asl_ctx *c, sfn_state *st)
{
    if (st->ql == SFN_QL_JSONPATH) {
        const json_t *v = get(st, "ItemsPath");
        bool isnull = false;
        st->items_path = asl_path_or_null(c, v, ASL_PATH_REFERENCE,
                                          st->pointer, "ItemsPath", &isnull);
        if (isnull)
            asl_err(c, ASL_SCHEMA, st->pointer, "ItemsPath",
                    "'ItemsPath' must be a reference path, not null");
    } else {
        const json_t *v = get(st, "Items");
        if (v && !json_is_array(v) && !json_is_object(v) &&
            !asl_is_jsonata_string(v)) {
            asl_err(c, ASL_SCHEMA, st->pointer, "Items",
                    "'Items' must be an array or a {%% %%} expression, not "
                    "%s", asl_json_type_name(v));
        } else if (v) {
            char *p = asl_ptr(c, st->pointer, "Items");
            st->items = asl_tpl_jsonata(c, v, p);
            asl_ptr_free(p);
        }
    }
    const json_t *sel = get(st, "ItemSelector");
    const json_t *par = st->ql == SFN_QL_JSONPATH ? get(st, "Parameters")
                                                  : NULL;
    if (sel && par) {
        asl_err(c, ASL_SCHEMA, st->pointer, "Parameters",
                "'ItemSelector' and 'Parameters' are mutually exclusive; "
                "Parameters is the legacy name of ItemSelector");
        return;
    }
    const char *f = sel ? "ItemSelector" : "Parameters";
    if (sel || par) {
        char *p = asl_ptr(c, st->pointer, f);
        st->item_selector = asl_tpl(c, st->ql, sel ? sel : par, p);
        asl_ptr_free(p);
    }
}

static void dyn_pair(asl_ctx *c, sfn_state *st, const char *f,
                     long long max, sfn_dyn_int *out)
{
    char path[64];
    snprintf(path, sizeof path, "%sPath", f);
    if (json_object_get(st->raw, f) && json_object_get(st->raw, path)) {
        asl_err(c, ASL_SCHEMA, st->pointer, path,
                "'%s' and '%s' are mutually exclusive; use one of them", f,
                path);
        return;
    }
    asl_dyn_int(c, st, f, 0, max, out);
    asl_dyn_int_path(c, st, path, out);
}

static void tolerated_percentage(asl_ctx *c, sfn_state *st)
{
    const char *f = "ToleratedFailurePercentage";
    const json_t *v = get(st, f);
    if (!v || (st->ql == SFN_QL_JSONATA && asl_is_jsonata_string(v))) {
        dyn_pair(c, st, f, 100, &st->tolerated_failure_percentage);
        return;
    }
    if (json_object_get(st->raw, "ToleratedFailurePercentagePath")) {
        dyn_pair(c, st, f, 100, &st->tolerated_failure_percentage);
        return;
    }
    if (!json_is_number(v) || json_number_value(v) < 0 ||
        json_number_value(v) > 100) {
        char buf[64];
        asl_err(c, ASL_SCHEMA, st->pointer, f,
                "'%s' must be a number from 0 to 100, not %s", f,
                asl_show(v, buf, sizeof buf));
        return;
    }
    st->tolerated_failure_percentage.set = true;
    st->tolerated_failure_percentage_static = json_number_value(v);
    st->tolerated_failure_percentage.value =
        (long long)json_number_value(v);
}

static bool label_char_ok(unsigned char ch)
{
    if (ch < 0x20 || ch == 0x7F)
        return false;
    return !strchr(" <>{}[]?*\"#%\\^|~`$&,;:/", ch);
}

static void compile_label(asl_ctx *c, sfn_state *st)
{
    const json_t *v = get(st, "Label");
    if (!v)
        return;
    if (!json_is_string(v)) {
        asl_err(c, ASL_SCHEMA, st->pointer, "Label",
                "'Label' must be a string, not %s", asl_json_type_name(v));
        return;
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v), chars = asl_utf8_chars(s, len);
    if (chars == 0 || chars > LABEL_MAX) {
        asl_err(c, ASL_SCHEMA, st->pointer, "Label",
                "'Label' must be 1 to %d characters long (it has %zu)",
                LABEL_MAX, chars);
        return;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        /* U+0080..U+009F are encoded C2 80..C2 9F */
        bool c1 = ch == 0xC2 && i + 1 < len &&
                  (unsigned char)s[i + 1] >= 0x80 &&
                  (unsigned char)s[i + 1] <= 0x9F;
        if ((ch < 0x80 && !label_char_ok(ch)) || c1) {
            asl_err(c, ASL_SCHEMA, st->pointer, "Label",
                    "'Label' contains the invalid character U+%04X at "
                    "position %zu; whitespace, control characters and "
                    "< > { } [ ] ? * \" # %% \\ ^ | ~ ` $ & , ; : / are not "
                    "allowed", c1 ? (unsigned char)s[i + 1] : ch,
                    asl_utf8_chars(s, i));
            return;
        }
    }
    st->label = s;
}

static void shallow_object(asl_ctx *c, const sfn_state *st, const char *f,
                           const char *const *fields)
{
    const json_t *v = get(st, f);
    char *p = asl_ptr(c, st->pointer, f);
    if (!json_is_object(v))
        asl_err(c, ASL_SCHEMA, p, NULL, "'%s' must be an object, not %s", f,
                asl_json_type_name(v));
    else
        asl_check_known(c, v, p, fields);
    asl_ptr_free(p);
}

/* ToleratedFailure* are documented for Distributed maps only, yet AWS
 * accepts and applies them on inline maps (recorded in the conformance
 * corpus), so they are checked for every Map. */
static const char *const DIST_ONLY[] = {"ItemReader", "ItemBatcher",
                                        "ResultWriter", "Label", NULL};

/* ItemBatcher's fields are checked like the state's own: a view of the
 * sub-object with its pointer lets the same helpers compile them. */
static void compile_batcher(asl_ctx *c, sfn_state *st)
{
    if (!json_is_object(st->item_batcher))
        return;
    char *p = asl_ptr(c, st->pointer, "ItemBatcher");
    sfn_state view = {.raw = st->item_batcher, .pointer = p, .ql = st->ql,
                      .name = st->name};
    dyn_pair(c, &view, "MaxItemsPerBatch", 0x7FFFFFFFLL,
             &st->max_items_per_batch);
    dyn_pair(c, &view, "MaxInputBytesPerBatch", 262144,
             &st->max_input_bytes_per_batch);
    const json_t *bi = json_object_get(st->item_batcher, "BatchInput");
    if (bi) {
        char *bp = asl_ptr(c, p, "BatchInput");
        st->batch_input = asl_tpl(c, st->ql, bi, bp);
        asl_ptr_free(bp);
    }
    asl_ptr_free(p);
}

static void compile_distributed(asl_ctx *c, sfn_state *st)
{
    bool reported = false;
    for (const char *const *f = DIST_ONLY; *f; f++) {
        if (!get(st, *f) || st->distributed)
            continue;
        asl_err(c, ASL_SCHEMA, st->pointer, *f,
                "The field '%s' is only supported by a Map whose "
                "ProcessorConfig Mode is DISTRIBUTED", *f);
        reported = true;
    }
    if (reported || !st->distributed)
        return;
    static const char *const reader[] = {"Resource", "ReaderConfig",
                                         "Parameters", "Arguments", NULL};
    static const char *const batcher[] = {
        "MaxItemsPerBatch", "MaxItemsPerBatchPath", "MaxInputBytesPerBatch",
        "MaxInputBytesPerBatchPath", "BatchInput", NULL};
    static const char *const writer[] = {"Resource", "Parameters",
                                         "Arguments", "WriterConfig", NULL};
    if ((st->item_reader = get(st, "ItemReader")))
        shallow_object(c, st, "ItemReader", reader);
    if ((st->item_batcher = get(st, "ItemBatcher"))) {
        shallow_object(c, st, "ItemBatcher", batcher);
        compile_batcher(c, st);
    }
    if ((st->result_writer = get(st, "ResultWriter")))
        shallow_object(c, st, "ResultWriter", writer);
    compile_label(c, st);
}

void asl_map_compile(asl_ctx *c, sfn_block *b, sfn_state *st)
{
    compile_processor(c, b, st);
    compile_items(c, st);
    dyn_pair(c, st, "MaxConcurrency", 0x7FFFFFFFLL, &st->max_concurrency);
    if (!st->max_concurrency.set && !st->distributed)
        asl_warn(c, ASL_W_NO_MAXCONC, st->pointer, NULL,
                 "Map '%s' has no MaxConcurrency; all iterations may run at "
                 "once", st->name);
    dyn_pair(c, st, "ToleratedFailureCount", 0x7FFFFFFFLL,
             &st->tolerated_failure_count);
    tolerated_percentage(c, st);
    compile_distributed(c, st);
}
