#!/usr/bin/env bash
# Builds sipfence's libFuzzer targets (the separate package in Fuzz/, see Fuzz/README.md)
# under -sanitize=fuzzer,address and runs each for a bounded time.
#
# Usage:
#   scripts/fuzz.sh --ci                      every target, deterministic: -seed=1 and a fixed
#                                             number of runs each, on a copy of the seed corpus
#   scripts/fuzz.sh --time SECONDS [TARGET…]  longer local runs (all targets by default); new
#                                             corpus entries go to a scratch directory that
#                                             later runs reuse, never into the repository
#
# Prints, per target: executions, edges covered (libFuzzer's cov:), features (ft:) and
# crashes found. Exits non-zero on any crash, leak, timeout or out-of-memory, leaving the
# failing input in the artifact directory it prints (reproduce: <binary> <input>).
#
# Environment:
#   FUZZ_WORK_DIR        scratch directory of --time runs (default: /tmp/sipfence-fuzz)
#   SIPFENCE_BUILD_LOCK  a lock file the build step is run under (flock), when set
#   SIPFENCE_BUILD_JOBS  the build's -j, when set
set -euo pipefail
cd "$(dirname "$0")/.."

targets_all=(AdmissionDatagramFuzz StreamFramingFuzz CaptureReaderFuzz)

# --ci runs per target, chosen so that all three take about a minute each on one core of
# the project's 2-core machine (the stream target decides several messages per input).
declare -A ci_runs=(
    [AdmissionDatagramFuzz]=150000
    [StreamFramingFuzz]=12000
    [CaptureReaderFuzz]=120000
)

usage() {
    sed -n '5,11p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

mode=""
seconds=0
targets=()
case "${1:-}" in
    --ci) mode=ci; shift ;;
    --time)
        mode=time
        seconds="${2:-}"
        [[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -gt 0 ] || usage
        shift 2
        ;;
    *) usage ;;
esac
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${targets_all[@]}")
for target in "${targets[@]}"; do
    [[ " ${targets_all[*]} " == *" $target "* ]] || { echo "fuzz: unknown target $target (known: ${targets_all[*]})" >&2; exit 2; }
done

# ---- build -------------------------------------------------------------------------------
# The sanitizer flags go on the command line, not in Fuzz/Package.swift, so that they apply
# to every Swift target built — sipfence's own libraries get the coverage instrumentation,
# not only the harnesses. (C code, libosip2 and c-ares are not instrumented.) lld, because
# gold warns about every ASan helper symbol.
build=(swift build --package-path Fuzz -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld)
[ -n "${SIPFENCE_BUILD_JOBS:-}" ] && build+=(-j "$SIPFENCE_BUILD_JOBS")
[ -n "${SIPFENCE_BUILD_LOCK:-}" ] && build=(flock "$SIPFENCE_BUILD_LOCK" "${build[@]}")
echo "== build (Fuzz/, debug, -sanitize=fuzzer,address)"
build_start=$SECONDS
build_log=$(mktemp)
trap 'rm -f "$build_log"' EXIT
if ! "${build[@]}" >"$build_log" 2>&1; then
    cat "$build_log"
    echo "fuzz: build failed" >&2
    exit 1
fi
grep -E 'warning:|error:' "$build_log" || true
echo "build: $((SECONDS - build_start)) s"
bin_dir=$("${build[@]}" --show-bin-path)

# ---- run ---------------------------------------------------------------------------------
# Swift's own crash backtracer would catch the trap before ASan/libFuzzer report it (and
# can hang under ASan): off. Leaks are checked (libFuzzer's -detect_leaks, on by default);
# the suppressions are the project's.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:${ASAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan-suppressions.txt:print_suppressions=0"

if [ "$mode" = ci ]; then
    work=$(mktemp -d /tmp/sipfence-fuzz-ci.XXXXXX)
else
    work="${FUZZ_WORK_DIR:-/tmp/sipfence-fuzz}"
fi
artifacts="$work/artifacts"
mkdir -p "$artifacts"
echo "== artifacts (crashing inputs) and logs: $work"

failed=()
summary=()
for target in "${targets[@]}"; do
    corpus="$work/corpus/$target"
    mkdir -p "$corpus"
    # Seed (or top up) the scratch corpus from the repository's; the repository's copy is
    # never written to.
    for seed in Fuzz/Corpus/"$target"/*; do
        [ -e "$corpus/${seed##*/}" ] || cp "$seed" "$corpus/"
    done
    log="$work/$target.log"
    options=(-print_final_stats=1 -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$artifacts/$target-")
    if [ "$mode" = ci ]; then
        # Swift seeds its hashing per process, so dictionary order changes the paths taken;
        # fixed here. The same seed, corpus and run count give every CI run the same budget;
        # the figures still vary a little between runs (libFuzzer's feedback is not
        # bit-for-bit reproducible here, with or without ASLR).
        export SWIFT_DETERMINISTIC_HASHING=1
        options+=(-seed=1 -runs="${ci_runs[$target]}")
        echo "== $target: -seed=1 -runs=${ci_runs[$target]}"
    else
        options+=(-max_total_time="$seconds")
        echo "== $target: ${seconds} s"
    fi
    start=$SECONDS
    status=0
    "$bin_dir/$target" "${options[@]}" "$corpus" >"$log" 2>&1 || status=$?
    elapsed=$((SECONDS - start))

    # libFuzzer's final statistics: executions, and cov:/ft: of the last status line.
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    status_line=$(grep -E '^#[0-9]+.*cov: [0-9]+' "$log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$status_line")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$status_line")
    crashes=$(find "$artifacts" -maxdepth 1 -name "$target-*" ! -name "$target-slow-unit-*" | wc -l)
    line=$(printf '%-22s executions %-9s cov %-6s ft %-7s crashes %-3s %4d s' \
        "$target" "${executions:-?}" "${cov:-?}" "${ft:-?}" "$crashes" "$elapsed")
    echo "$line"
    summary+=("$line")
    if [ "$status" -ne 0 ] || [ "$crashes" -gt 0 ]; then
        failed+=("$target")
        grep -E -A25 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|Fatal error|SUMMARY' "$log" | head -60 || true
        echo "$target: FAILED (exit $status); log $log, inputs in $artifacts" >&2
    fi
done

echo "== summary"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: failures in ${failed[*]}; inputs in $artifacts" >&2
    exit 1
fi
[ "$mode" = ci ] && rm -rf "$work"
echo "fuzz: no crashes"
