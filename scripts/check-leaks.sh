#!/usr/bin/env bash
# Runs the SIP parsing, admission and dialog-routing tests — the RFC 4475 corpus included — under
# AddressSanitizer and LeakSanitizer, and fails on any leak, overflow or use-after-free.
# Every libosip2 allocation made while parsing is covered: LeakSanitizer intercepts
# malloc in libosipparser2 too. (valgrind 3.19 cannot run Swift 6.3 binaries.)
#
# Usage: scripts/check-leaks.sh        (needs the packages scripts/install-deps.sh installs)
set -euo pipefail
cd "$(dirname "$0")/.."

export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan-suppressions.txt:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== sanitizer build and run (scratch path .build-asan)"
status=0
swift test --sanitize=address --scratch-path .build-asan \
    --filter 'CorpusTests|SIPCoreTests|AdmissionPipelineTests|DialogRoutingTests|DialogTokenTests' >"$log" 2>&1 || status=$?
grep -E '^(✔|✘) (Suite|Test run)' "$log" || true
if grep -q -E 'ERROR: (LeakSanitizer|AddressSanitizer)' "$log"; then
    grep -A30 -E 'ERROR: (LeakSanitizer|AddressSanitizer)' "$log" | head -80
    echo "check-leaks: sanitizer errors found" >&2
    exit 1
fi
if [ "$status" -ne 0 ]; then
    tail -40 "$log"
    echo "check-leaks: tests failed under the sanitizer (exit $status)" >&2
    exit "$status"
fi
echo "check-leaks: no leaks, no memory errors"
