#!/usr/bin/env bash
# The whole test suite: plain build + ctest, ASan+UBSan build + ctest, then a
# short libFuzzer run of every fuzz target.  Installs what it needs.
# This is the command the README names and .ci/run calls.
# ctest starts a throwaway PostgreSQL server per build (the pg_start /
# pg_stop fixture, scripts/pg.sh) for the PostgreSQL tests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export SFN_SHARED=${SFN_SHARED:-$(cd "$root/.." && pwd)/shared}
bash "$root/scripts/deps.sh"
jobs=$(nproc)
passed=0 failed=0

run_ctest() { # name build_dir
    local log
    log=$(mktemp)
    set +e
    (cd "$2" && ctest --output-on-failure -j"$jobs") 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    set -e
    local line total nfail
    line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -n1)
    total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
    nfail=$(sed -E 's/.* ([0-9]+) tests failed.*/\1/' <<<"$line")
    rm -f "$log"
    # the conformance runners' pass rates, which ctest hides for passing tests
    grep -hE '^(conformance|jsonata)[a-z-]*: [0-9]+ passed, [0-9]+ failed' \
        "$2/Testing/Temporary/LastTest.log" 2>/dev/null | sed "s/^/  [$1] /" || true
    passed=$((passed + ${total:-0} - ${nfail:-0}))
    failed=$((failed + ${nfail:-1}))
    [ "$rc" -eq 0 ] || echo "== $1: ctest failed" >&2
}

echo "== plain build"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build" -j"$jobs"
run_ctest plain "$root/build"

echo "== ASan+UBSan build"
# The <test>_pg twins (integration tests and the engine conformance suite
# on PostgreSQL) run in the plain build only.  Measured on 2 cores, with
# test_store_pg: ctest 47 s -> 97 s without sanitizers, 51 s -> 123 s
# with ASan; twins in both builds would take the suite past 10 minutes.
# The PostgreSQL-only tests (test_store_pg, test_multinode) run in both.
cmake -S "$root" -B "$root/build-asan" -DCMAKE_BUILD_TYPE=Debug -DSFN_SANITIZE=ON \
    -DSFN_PG_TWINS=OFF >/dev/null
cmake --build "$root/build-asan" -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    run_ctest asan "$root/build-asan"

echo "== valgrind memcheck (unit tests of the plain build)"
# Integration tests (real binaries, SIGKILL campaigns, HTTP clients) run in
# the two builds above; every unit-test program runs here under memcheck:
# any error or definite/indirect leak fails it.
vg_fail=0 vg_pass=0
vg_list=$(ls "$root/build/tests"/test_* 2>/dev/null |
          grep -vE '/test_(recovery|cli.*|server.*|aws.*|multinode)$' || true)
# test_store_pg needs a server: one of its own, as ctest's was stopped
vg_pg="$root/build/pg-valgrind"
export STEPD_TEST_PG_FILE="$vg_pg/url"
bash "$root/scripts/pg.sh" start "$vg_pg" >/dev/null ||
    echo "== valgrind: no PostgreSQL server, test_store_pg will fail" >&2
for t in $vg_list; do
    log=$(mktemp)
    # tests that run the stepd binary get it in STEPD (the binary itself
    # is not traced); forked children's exits are not leak-checked
    if (cd "$root" && STEPD="$root/build/api/stepd" \
            valgrind -q --error-exitcode=9 --leak-check=full \
            --child-silent-after-fork=yes \
            --errors-for-leak-kinds=definite,indirect "$t") >"$log" 2>&1; then
        vg_pass=$((vg_pass + 1))
    else
        vg_fail=$((vg_fail + 1))
        echo "== valgrind: $(basename "$t") failed:" >&2
        grep -E '^==[0-9]+==' "$log" | head -40 >&2 || true
    fi
    rm -f "$log"
done
bash "$root/scripts/pg.sh" stop "$vg_pg" || true
unset STEPD_TEST_PG_FILE
echo "  valgrind: $vg_pass passed, $vg_fail failed"
passed=$((passed + vg_pass))
failed=$((failed + vg_fail))

echo "== fuzz (${SFN_FUZZ_SECONDS:-20} s per target)"
if bash "$root/fuzz/run.sh" "${SFN_FUZZ_SECONDS:-20}"; then
    passed=$((passed + 1))
else
    failed=$((failed + 1)); echo "== fuzz: finding or build failure" >&2
fi

echo
echo "test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
