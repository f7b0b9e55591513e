/* test_render.c: DOT and Mermaid rendering of compiled graphs
 * (statemachines/asl_render.c).  The output is checked by structure: every
 * edge endpoint is a declared node, braces / subgraphs balance, quotes
 * balance, and the expected nodes, edges, labels and clusters are there. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sfn_asl.h"
#include "sfn_asl_render.h"

/* ==== Helpers ==== */

static sfn_graph *compile(const char *text)
{
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    sfn_asl_opts opts = {0};
    sfn_rc rc = sfn_asl_compile_text(text, strlen(text), &opts, &d, &g);
    for (size_t i = 0; i < d.count; i++)
        print_error("%s: %s: %s\n", d.items[i].location, d.items[i].code,
                    d.items[i].message);
    sfn_diags_free(&d);
    assert_int_equal(rc, SFN_OK);
    assert_non_null(g);
    return g;
}

static char *render(const char *def, sfn_render_fmt fmt)
{
    sfn_graph *g = compile(def);
    char *out = NULL;
    size_t len = 0;
    sfn_error err;
    sfn_rc rc = sfn_asl_render(g, fmt, &out, &len, &err);
    sfn_graph_unref(g);
    assert_int_equal(rc, SFN_OK);
    assert_non_null(out);
    assert_int_equal(len, strlen(out));
    return out;
}

static bool has(const char *text, const char *needle)
{
    if (strstr(text, needle))
        return true;
    print_error("missing: %s\nin:\n%s\n", needle, text);
    return false;
}

static size_t count(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Reads an identifier [A-Za-z0-9_]+ at *p into out; false when none. */
static bool read_ident(const char **p, char *out, size_t cap)
{
    size_t n = 0;
    while (isalnum((unsigned char)**p) || **p == '_') {
        if (n + 1 < cap)
            out[n++] = **p;
        (*p)++;
    }
    out[n] = '\0';
    return n > 0;
}

typedef struct {
    char ids[256][48];
    size_t n;
} idset;

static bool idset_has(const idset *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->ids[i], id))
            return true;
    return false;
}

/* True when every `"` in the line is matched, honouring DOT's `\"`. */
static bool quotes_balance(const char *line, size_t len, bool backslash)
{
    bool in = false;
    for (size_t i = 0; i < len; i++) {
        if (backslash && in && line[i] == '\\') {
            i++;
            continue;
        }
        if (line[i] == '"')
            in = !in;
    }
    return !in;
}

/* Structural check of DOT text: one digraph, balanced braces and quotes,
 * every edge endpoint declared as a node.  Returns the number of edges. */
static size_t check_dot(const char *dot)
{
    assert_true(!strncmp(dot, "digraph stepd {\n", 16));
    idset nodes = {.n = 0};
    int depth = 0;
    size_t edges = 0;
    char (*ends)[2][48] = calloc(1024, sizeof *ends);
    assert_non_null(ends);
    for (const char *line = dot; *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        assert_true(quotes_balance(line, len, true));
        const char *p = line;
        while (*p == ' ')
            p++;
        char a[48], b[48];
        if (!strncmp(p, "subgraph ", 9) || !strncmp(p, "digraph ", 8)) {
            depth++;
        } else if (*p == '}') {
            depth--;
        } else if (read_ident(&p, a, sizeof a)) {
            if (!strncmp(p, " -> ", 4)) {
                p += 4;
                assert_true(read_ident(&p, b, sizeof b));
                assert_true(edges < 1024);
                strcpy(ends[edges][0], a);
                strcpy(ends[edges][1], b);
                edges++;
            } else if (!strncmp(p, " [", 2) && strcmp(a, "graph") &&
                       strcmp(a, "node") && strcmp(a, "edge")) {
                assert_true(nodes.n < 256);
                strcpy(nodes.ids[nodes.n++], a);
            }
        }
        assert_true(depth >= 0);
        line += len + (nl ? 1 : 0);
    }
    assert_int_equal(depth, 0);
    for (size_t i = 0; i < edges; i++) {
        if (!idset_has(&nodes, ends[i][0]) || !idset_has(&nodes, ends[i][1]))
            print_error("edge %s -> %s has an undeclared end\n", ends[i][0],
                        ends[i][1]);
        assert_true(idset_has(&nodes, ends[i][0]));
        assert_true(idset_has(&nodes, ends[i][1]));
    }
    free(ends);
    return edges;
}

/* Same for Mermaid: `flowchart TD`, subgraph/end balance, node shapes
 * opened with [ { ( , edges `a --> b`, `a -.->|"x"| b`, `a ==>|"x"| b`. */
static size_t check_mermaid(const char *mm)
{
    assert_true(!strncmp(mm, "flowchart TD\n", 13));
    idset nodes = {.n = 0};
    int depth = 0;
    size_t edges = 0;
    char (*ends)[2][48] = calloc(1024, sizeof *ends);
    assert_non_null(ends);
    for (const char *line = mm + 13; *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        assert_true(quotes_balance(line, len, false));
        const char *p = line;
        while (*p == ' ')
            p++;
        char a[48], b[48];
        if (!strncmp(p, "subgraph ", 9)) {
            depth++;
        } else if (!strncmp(p, "end", 3) && len - (size_t)(p - line) == 3) {
            depth--;
        } else if (!strncmp(p, "classDef ", 9)) {
            /* styles */
        } else if (read_ident(&p, a, sizeof a)) {
            const char *arrows[] = {" --> ", " -.-> ", " ==> ", " -->|",
                                    " -.->|", " ==>|"};
            bool edge = false;
            for (size_t k = 0; k < 6 && !edge; k++)
                edge = !strncmp(p, arrows[k], strlen(arrows[k]));
            if (edge) {
                const char *last = line + len;
                while (last > p && last[-1] != ' ')
                    last--;
                assert_true(read_ident(&last, b, sizeof b));
                assert_true(edges < 1024);
                strcpy(ends[edges][0], a);
                strcpy(ends[edges][1], b);
                edges++;
            } else {
                assert_true(*p == '[' || *p == '{' || *p == '(');
                assert_true(nodes.n < 256);
                strcpy(nodes.ids[nodes.n++], a);
            }
        }
        assert_true(depth >= 0);
        line += len + (nl ? 1 : 0);
    }
    assert_int_equal(depth, 0);
    for (size_t i = 0; i < edges; i++) {
        assert_true(idset_has(&nodes, ends[i][0]));
        assert_true(idset_has(&nodes, ends[i][1]));
    }
    free(ends);
    return edges;
}

/* ==== Definitions ==== */

static const char linear[] =
    "{\"Comment\":\"two steps\",\"StartAt\":\"A\",\"States\":{"
    "\"A\":{\"Type\":\"Pass\",\"Next\":\"B\"},"
    "\"B\":{\"Type\":\"Pass\",\"End\":true}}}";

static const char choice[] =
    "{\"StartAt\":\"Pick\",\"States\":{"
    "\"Pick\":{\"Type\":\"Choice\",\"Choices\":["
    "{\"Variable\":\"$.x\",\"StringEquals\":\"a\",\"Next\":\"Yes\"},"
    "{\"And\":[{\"Variable\":\"$.n\",\"NumericGreaterThan\":5},"
    "{\"Not\":{\"Variable\":\"$.y\",\"IsPresent\":true}}],\"Next\":\"Yes\"}"
    "],\"Default\":\"No\"},"
    "\"Yes\":{\"Type\":\"Succeed\"},"
    "\"No\":{\"Type\":\"Fail\",\"Error\":\"E\"}}}";

static const char catching[] =
    "{\"StartAt\":\"Call\",\"States\":{"
    "\"Call\":{\"Type\":\"Task\",\"Resource\":"
    "\"arn:aws:lambda:us-east-1:123456789012:function:f\","
    "\"Catch\":[{\"ErrorEquals\":[\"States.TaskFailed\",\"States.Timeout\"],"
    "\"Next\":\"Recover\"}],\"End\":true},"
    "\"Recover\":{\"Type\":\"Pass\",\"End\":true}}}";

static const char parallel[] =
    "{\"StartAt\":\"Fan\",\"States\":{"
    "\"Fan\":{\"Type\":\"Parallel\",\"Branches\":["
    "{\"StartAt\":\"L1\",\"States\":{"
    "\"L1\":{\"Type\":\"Pass\",\"Next\":\"L2\"},"
    "\"L2\":{\"Type\":\"Pass\",\"End\":true}}},"
    "{\"StartAt\":\"R1\",\"States\":{\"R1\":{\"Type\":\"Succeed\"}}}],"
    "\"Next\":\"Each\"},"
    "\"Each\":{\"Type\":\"Map\",\"ItemsPath\":\"$.items\",\"ItemProcessor\":{"
    "\"StartAt\":\"Item\",\"States\":{\"Item\":{\"Type\":\"Pass\","
    "\"End\":true}}},\"End\":true}}}";

/* ==== DOT ==== */

static void test_dot_linear_chain(void **state)
{
    (void)state;
    char *dot = render(linear, SFN_RENDER_DOT);
    assert_int_equal(check_dot(dot), 3);
    assert_true(has(dot, "n_start -> s0;"));
    assert_true(has(dot, "s0 -> s1;"));
    assert_true(has(dot, "s1 -> n_end;"));
    assert_true(has(dot, "s0 [label=\"A\\nPass\""));
    assert_true(has(dot, "s1 [label=\"B\\nPass\""));
    assert_true(has(dot, "label=\"two steps\""));
    free(dot);
}

static void test_dot_choice_rules_and_default(void **state)
{
    (void)state;
    char *dot = render(choice, SFN_RENDER_DOT);
    check_dot(dot);
    assert_true(has(dot, "s0 [label=\"Pick\\nChoice\", shape=diamond"));
    assert_true(has(dot, "s0 -> s1 [label=\"$.x == \\\"a\\\"\"]"));
    assert_true(has(dot, "s0 -> s1 [label=\"$.n > 5 && !(isPresent($.y))\"]"));
    assert_true(has(dot, "s0 -> s2 [label=\"Default\""));
    free(dot);
}

static void test_dot_terminal_styles(void **state)
{
    (void)state;
    char *dot = render(choice, SFN_RENDER_DOT);
    assert_true(has(dot, "s1 [label=\"Yes\\nSucceed\", style=\"rounded,"
                         "filled,bold\", fillcolor=\"#c8e6c9\""));
    assert_true(has(dot, "s2 [label=\"No\\nFail\", style=\"rounded,filled,"
                         "bold\", fillcolor=\"#ffcdd2\""));
    assert_true(has(dot, "s1 -> n_end;"));
    assert_true(has(dot, "s2 -> n_end;"));
    assert_true(has(dot, "n_end [label=\"End\", shape=doublecircle"));
    free(dot);
}

static void test_dot_catch_edges_dashed(void **state)
{
    (void)state;
    char *dot = render(catching, SFN_RENDER_DOT);
    check_dot(dot);
    assert_true(has(dot, "s0 -> s1 [label=\"catch: States.TaskFailed, "
                         "States.Timeout\", style=dashed"));
    assert_true(has(dot, "s0 -> n_end;"));
    free(dot);
}

static void test_dot_parallel_and_map_clusters(void **state)
{
    (void)state;
    char *dot = render(parallel, SFN_RENDER_DOT);
    check_dot(dot);
    assert_true(has(dot, "subgraph cluster_s0 {"));
    assert_true(has(dot, "label=\"Fan (Parallel)\""));
    assert_true(has(dot, "subgraph cluster_s0_b0 {"));
    assert_true(has(dot, "subgraph cluster_s0_b1 {"));
    assert_true(has(dot, "subgraph cluster_s1 {"));
    assert_true(has(dot, "label=\"Each (Map)\""));
    /* branch 1 holds L1 (s2) -> L2 (s3), branch 2 R1 (s4), Map Item (s5) */
    assert_true(has(dot, "s0 -> s2 [label=\"branch 1\", style=dotted"));
    assert_true(has(dot, "s0 -> s4 [label=\"branch 2\", style=dotted"));
    assert_true(has(dot, "s2 -> s3;"));
    assert_true(has(dot, "s3 -> s0_b0_end;"));
    assert_true(has(dot, "s4 -> s0_b1_end;"));
    assert_true(has(dot, "s1 -> s5 [label=\"each item\""));
    assert_true(has(dot, "s5 -> s1_end;"));
    assert_true(has(dot, "s0 -> s1;"));
    assert_true(has(dot, "s1 -> n_end;"));
    free(dot);
}

/* Edges are written after all clusters: an edge statement inside a cluster
 * would pull the owner state into it. */
static void test_dot_edges_outside_clusters(void **state)
{
    (void)state;
    char *dot = render(parallel, SFN_RENDER_DOT);
    const char *last_brace = strrchr(dot, '}');
    const char *first_edge = strstr(dot, " -> ");
    const char *last_cluster_end = NULL;
    for (const char *p = strstr(dot, "\n  }\n"); p;
         p = strstr(p + 1, "\n  }\n"))
        last_cluster_end = p;
    assert_non_null(last_cluster_end);
    assert_true(first_edge > last_cluster_end);
    assert_true(first_edge < last_brace);
    free(dot);
}

static void test_dot_escapes_names(void **state)
{
    (void)state;
    const char *def =
        "{\"StartAt\":\"Say \\\"hi\\\" \\\\ now\",\"States\":{"
        "\"Say \\\"hi\\\" \\\\ now\":{\"Type\":\"Pass\",\"Next\":"
        "\"\\u00dcberpr\\u00fcfung \\u2713 {x}\"},"
        "\"\\u00dcberpr\\u00fcfung \\u2713 {x}\":{\"Type\":\"Pass\","
        "\"End\":true}}}";
    char *dot = render(def, SFN_RENDER_DOT);
    check_dot(dot);
    assert_true(has(dot, "s0 [label=\"Say \\\"hi\\\" \\\\ now\\nPass\""));
    assert_true(has(dot, "s1 [label=\"\xc3\x9c" "berpr\xc3\xbc" "fung "
                         "\xe2\x9c\x93 {x}\\nPass\""));
    free(dot);
}

/* ==== Mermaid ==== */

static void test_mermaid_linear_chain(void **state)
{
    (void)state;
    char *mm = render(linear, SFN_RENDER_MERMAID);
    assert_int_equal(check_mermaid(mm), 3);
    assert_true(has(mm, "  n_start --> s0\n"));
    assert_true(has(mm, "  s0 --> s1\n"));
    assert_true(has(mm, "  s1 --> n_end\n"));
    assert_true(has(mm, "s0[\"A<br/>Pass\"]"));
    free(mm);
}

static void test_mermaid_choice_and_catch(void **state)
{
    (void)state;
    char *mm = render(choice, SFN_RENDER_MERMAID);
    check_mermaid(mm);
    assert_true(has(mm, "s0{\"Pick<br/>Choice\"}:::choice"));
    assert_true(has(mm, "s1([\"Yes<br/>Succeed\"]):::succeed"));
    assert_true(has(mm, "s2([\"No<br/>Fail\"]):::fail"));
    assert_true(has(mm, "s0 -->|\"$.x == #quot;a#quot;\"| s1"));
    assert_true(has(mm, "s0 -->|\"Default\"| s2"));
    free(mm);
    mm = render(catching, SFN_RENDER_MERMAID);
    check_mermaid(mm);
    assert_true(has(mm, "s0 -.->|\"catch: States.TaskFailed, "
                        "States.Timeout\"| s1"));
    free(mm);
}

static void test_mermaid_subgraphs(void **state)
{
    (void)state;
    char *mm = render(parallel, SFN_RENDER_MERMAID);
    check_mermaid(mm);
    assert_true(has(mm, "subgraph cluster_s0 [\"Fan (Parallel)\"]"));
    assert_true(has(mm, "subgraph cluster_s0_b0 [\"Branch 1\"]"));
    assert_true(has(mm, "subgraph cluster_s0_b1 [\"Branch 2\"]"));
    assert_true(has(mm, "subgraph cluster_s1 [\"Each (Map)\"]"));
    assert_true(has(mm, "s0 ==>|\"branch 1\"| s2"));
    assert_true(has(mm, "s1 ==>|\"each item\"| s5"));
    assert_int_equal(count(mm, "subgraph "), 4);
    free(mm);
}

static void test_mermaid_escapes_names(void **state)
{
    (void)state;
    const char *def =
        "{\"StartAt\":\"a \\\"q\\\" #1 <b> & `c` 50%\",\"States\":{"
        "\"a \\\"q\\\" #1 <b> & `c` 50%\":{\"Type\":\"Pass\","
        "\"End\":true}}}";
    char *mm = render(def, SFN_RENDER_MERMAID);
    check_mermaid(mm);
    assert_true(has(mm, "s0[\"a #quot;q#quot; #35;1 #lt;b#gt; #amp; "
                        "#96;c#96; 50#37;<br/>Pass\"]"));
    free(mm);
}

/* ==== Rules and formats ==== */

static char *first_rule(const char *def, size_t max)
{
    sfn_graph *g = compile(def);
    const sfn_state *s = &g->root->states[g->root->start];
    assert_int_equal(s->type, SFN_ST_CHOICE);
    const json_t *raw = json_array_get(json_object_get(s->raw, "Choices"), 0);
    char *text = sfn_asl_render_rule(s->choices[0], raw, max);
    sfn_graph_unref(g);
    assert_non_null(text);
    return text;
}

static char *rule_text(const char *rule_json, size_t max)
{
    char def[1024];
    snprintf(def, sizeof def,
             "{\"StartAt\":\"C\",\"States\":{\"C\":{\"Type\":\"Choice\","
             "\"Choices\":[%s],\"Default\":\"D\"},"
             "\"D\":{\"Type\":\"Succeed\"}}}",
             rule_json);
    return first_rule(def, max);
}

static void expect_rule(const char *rule_json, const char *want)
{
    char *got = rule_text(rule_json, 0);
    if (strcmp(got, want))
        print_error("rule %s: got '%s', want '%s'\n", rule_json, got, want);
    int same = !strcmp(got, want);
    free(got);
    assert_true(same);
}

static void test_rule_operators(void **state)
{
    (void)state;
    expect_rule("{\"Variable\":\"$.s\",\"StringLessThan\":\"m\","
                "\"Next\":\"D\"}",
                "$.s < \"m\"");
    expect_rule("{\"Variable\":\"$.n\",\"NumericGreaterThanEquals\":1.5,"
                "\"Next\":\"D\"}",
                "$.n >= 1.5");
    expect_rule("{\"Variable\":\"$.b\",\"BooleanEquals\":false,"
                "\"Next\":\"D\"}",
                "$.b == false");
    expect_rule("{\"Variable\":\"$.t\",\"TimestampLessThan\":"
                "\"2016-03-14T01:59:00Z\",\"Next\":\"D\"}",
                "$.t < \"2016-03-14T01:59:00Z\"");
    expect_rule("{\"Variable\":\"$.a\",\"StringEqualsPath\":\"$.b\","
                "\"Next\":\"D\"}",
                "$.a == $.b");
    expect_rule("{\"Variable\":\"$.f\",\"StringMatches\":\"log-*.txt\","
                "\"Next\":\"D\"}",
                "$.f matches \"log-*.txt\"");
    expect_rule("{\"Variable\":\"$.x\",\"IsPresent\":false,\"Next\":\"D\"}",
                "!isPresent($.x)");
    expect_rule("{\"Variable\":\"$.x\",\"IsNull\":true,\"Next\":\"D\"}",
                "isNull($.x)");
}

static void test_rule_boolean_nesting(void **state)
{
    (void)state;
    expect_rule("{\"Or\":[{\"Variable\":\"$.a\",\"NumericEquals\":1},"
                "{\"And\":[{\"Variable\":\"$.b\",\"IsString\":true},"
                "{\"Variable\":\"$.c\",\"IsBoolean\":true}]}],"
                "\"Next\":\"D\"}",
                "$.a == 1 || (isString($.b) && isBoolean($.c))");
    expect_rule("{\"Not\":{\"Variable\":\"$.a\",\"StringEquals\":\"x\"},"
                "\"Next\":\"D\"}",
                "!($.a == \"x\")");
}

static void test_rule_truncated(void **state)
{
    (void)state;
    char *got = rule_text("{\"Variable\":\"$.s\",\"StringEquals\":"
                          "\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
                          "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\","
                          "\"Next\":\"D\"}",
                          12);
    /* 12 characters: 9 kept, then "..."; an é is 2 bytes, 1 character */
    assert_string_equal(got, "$.s == \"\xc3\xa9...");
    free(got);
}

static void test_rule_jsonata_condition(void **state)
{
    (void)state;
    char *got = first_rule(
        "{\"QueryLanguage\":\"JSONata\",\"StartAt\":\"C\",\"States\":{"
        "\"C\":{\"Type\":\"Choice\",\"Choices\":[{\"Condition\":"
        "\"{% $states.input.n > 1 %}\",\"Next\":\"D\"}],\"Default\":\"D\"},"
        "\"D\":{\"Type\":\"Succeed\"}}}",
        0);
    assert_string_equal(got, "$states.input.n > 1");
    free(got);
}

static void test_format_parse(void **state)
{
    (void)state;
    sfn_render_fmt f = SFN_RENDER_MERMAID;
    sfn_error err;
    assert_int_equal(sfn_asl_render_fmt_parse("dot", &f, &err), SFN_OK);
    assert_int_equal(f, SFN_RENDER_DOT);
    assert_int_equal(sfn_asl_render_fmt_parse("mermaid", &f, &err), SFN_OK);
    assert_int_equal(f, SFN_RENDER_MERMAID);
    assert_int_equal(sfn_asl_render_fmt_parse("svg", &f, &err), SFN_EINVAL);
    assert_non_null(strstr(err.cause, "'svg'"));
}

static void test_render_rejects_null_graph(void **state)
{
    (void)state;
    char *out = NULL;
    sfn_error err;
    assert_int_equal(sfn_asl_render(NULL, SFN_RENDER_DOT, &out, NULL, &err),
                     SFN_EINVAL);
    assert_null(out);
}

/* Graphviz itself, when installed, must accept the output. */
static void test_dot_accepted_by_graphviz(void **state)
{
    (void)state;
    if (system("command -v dot >/dev/null 2>&1") != 0)
        skip();
    char *dot = render(parallel, SFN_RENDER_DOT);
    FILE *p = popen("dot -Tsvg -o /dev/null", "w");
    assert_non_null(p);
    fputs(dot, p);
    free(dot);
    assert_int_equal(pclose(p), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dot_linear_chain),
        cmocka_unit_test(test_dot_choice_rules_and_default),
        cmocka_unit_test(test_dot_terminal_styles),
        cmocka_unit_test(test_dot_catch_edges_dashed),
        cmocka_unit_test(test_dot_parallel_and_map_clusters),
        cmocka_unit_test(test_dot_edges_outside_clusters),
        cmocka_unit_test(test_dot_escapes_names),
        cmocka_unit_test(test_mermaid_linear_chain),
        cmocka_unit_test(test_mermaid_choice_and_catch),
        cmocka_unit_test(test_mermaid_subgraphs),
        cmocka_unit_test(test_mermaid_escapes_names),
        cmocka_unit_test(test_rule_operators),
        cmocka_unit_test(test_rule_boolean_nesting),
        cmocka_unit_test(test_rule_truncated),
        cmocka_unit_test(test_rule_jsonata_condition),
        cmocka_unit_test(test_format_parse),
        cmocka_unit_test(test_render_rejects_null_graph),
        cmocka_unit_test(test_dot_accepted_by_graphviz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
