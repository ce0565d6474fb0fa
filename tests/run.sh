#!/usr/bin/env bash
# The whole test run (what .ci/run calls): installs missing Debian packages,
# builds build/ (gcc, RelWithDebInfo) and runs every ctest test, then the unit
# tests under ASan+UBSan in build-asan/, then each libFuzzer target for a
# bounded time in build-fuzz/ (clang). Exits non-zero if any part fails.
#   ISSU_SKIP_ASAN=1     skip the sanitizer build
#   ISSU_SKIP_FUZZ=1     skip the fuzz build and runs
#   ISSU_FUZZ_SECONDS=N  seconds per fuzz target (default 30)
#   ISSU_JOBS=N          build parallelism (default nproc)
#   ISSU_BUILD=DIR       build directory (default build); the sanitizer and
#                        fuzz builds go to DIR-asan and DIR-fuzz
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

jobs=${ISSU_JOBS:-$(nproc)}
b=${ISSU_BUILD:-build}
fuzz_seconds=${ISSU_FUZZ_SECONDS:-30}
case "$fuzz_seconds" in
    ''|*[!0-9]*) echo "run.sh: ISSU_FUZZ_SECONDS must be a whole number, got '$fuzz_seconds'" >&2; exit 2 ;;
esac

passed=()
failed=()
skipped=()
tmp=""
cleanup() { [ -n "$tmp" ] && rm -rf "$tmp"; return 0; }
trap cleanup EXIT

step() { printf '\n==== %s\n' "$*"; }

# run_part NAME CMD...: runs one part, records its outcome, never aborts the run.
run_part() {
    local name=$1; shift
    step "$name"
    if "$@"; then
        passed+=("$name")
    else
        echo "run.sh: FAILED: $name" >&2
        failed+=("$name")
    fi
}

configure_build() {   # DIR CMAKE-ARGS...
    local dir=$1; shift
    cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" &&
        cmake --build "$dir" -j"$jobs"
}

part_main() {
    CC=${CC:-gcc} configure_build "$b" &&
        ctest --test-dir "$b" --output-on-failure --no-tests=error
}

part_asan() {
    # Leak checking is on by default in ASan; keep it, and halt on UBSan reports.
    CC=${CC:-gcc} configure_build "$b-asan" -DISSU_SANITIZE=ON &&
        ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
        UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        ctest --test-dir "$b-asan" -L unit --output-on-failure --no-tests=error
}

part_fuzz() {
    local targets t name corpus work log rc=0
    CC=clang cmake -S "$top" -B "$b-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DISSU_FUZZ=ON || return 1
    # Build only the fuzz targets (and what they need), not the whole tree.
    mapfile -t targets < <(cmake --build "$b-fuzz" --target help |
                           sed -n 's/^\.\.\. \(fuzz_[A-Za-z0-9_]*\)$/\1/p' | sort -u)
    if [ ${#targets[@]} -eq 0 ]; then
        # Fuzzing nothing must not look like a pass.
        echo "run.sh: no fuzz targets defined (tests/fuzz/CMakeLists.txt, issu_fuzz_target)" >&2
        return 1
    fi
    cmake --build "$b-fuzz" -j"$jobs" --target "${targets[@]}" || return 1
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/issu-fuzz.XXXXXX")
    for t in "$b-fuzz"/bin/fuzz_*; do
        [ -x "$t" ] || continue
        name=${t##*/fuzz_}
        corpus=tests/fuzz/corpus/$name
        # Work on a copy: libFuzzer adds new inputs to its corpus directory.
        work=$tmp/$name
        mkdir -p "$work/corpus" "$work/artifacts"
        if [ -d "$corpus" ]; then
            cp -r "$corpus/." "$work/corpus/"
        else
            echo "run.sh: note: no corpus $corpus, fuzzing $name from scratch"
        fi
        log=$work/log
        echo "fuzz_$name: ${fuzz_seconds}s"
        if "$t" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 \
                -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
                "$work/corpus" >"$log" 2>&1; then
            grep -E '^(stat::number_of_executed_units|Done )' "$log" || true
        else
            echo "run.sh: fuzz_$name FAILED; last lines of its log ($log):" >&2
            tail -n 80 "$log" >&2
            # Keep the reproducer outside the temp dir (crash-* is git-ignored).
            for a in "$work"/artifacts/*; do
                [ -e "$a" ] && cp "$a" "$top/" && echo "run.sh: reproducer kept: $top/${a##*/}" >&2
            done
            rc=1
        fi
    done
    return $rc
}

step "dependencies"
"$top/scripts/install-deps.sh"

run_part "build + ctest ($b/)" part_main

if [ "${ISSU_SKIP_ASAN:-0}" = 1 ]; then
    skipped+=("asan")
else
    run_part "ASan+UBSan unit tests ($b-asan/)" part_asan
fi

if [ "${ISSU_SKIP_FUZZ:-0}" = 1 ]; then
    skipped+=("fuzz")
elif ! command -v clang >/dev/null 2>&1; then
    echo "run.sh: clang not found, fuzzing skipped"
    skipped+=("fuzz (no clang)")
else
    run_part "fuzz ${fuzz_seconds}s per target ($b-fuzz/)" part_fuzz
fi

summary="passed: ${#passed[@]}, failed: ${#failed[@]}"
[ ${#failed[@]} -gt 0 ] && summary+=" (${failed[*]})"
[ ${#skipped[@]} -gt 0 ] && summary+=", skipped: ${skipped[*]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "tests/run.sh: FAIL: $summary"
    exit 1
fi
echo "tests/run.sh: OK: $summary"
