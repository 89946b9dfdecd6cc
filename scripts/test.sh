#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian machine: installs what the tests need,
# builds, runs every unit and integration test (the integration tests start sipfence,
# Kamailio and sipp on loopback ports chosen at run time), then the parsing tests again
# under AddressSanitizer/LeakSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --tests

echo "== build"
swift build --build-tests

echo "== tests"
swift test --skip-build

echo "== leak check"
scripts/check-leaks.sh
