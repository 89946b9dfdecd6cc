#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian machine: installs what the tests need,
# builds, runs every unit and integration test (the integration tests start sipfence,
# Kamailio and sipp on loopback ports chosen at run time), the store and API tests once
# more on PostgreSQL instead of SQLite, then the parsing tests again
# under AddressSanitizer/LeakSanitizer, then every libFuzzer target with a fixed seed and
# number of runs (Fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --tests

echo "== build"
swift build --build-tests

echo "== tests"
# One test at a time: the integration tests wait on real processes with timeouts, and on
# two cores CPU-bound unit tests running beside them would starve those waits.
swift test --skip-build --no-parallel

echo "== store and API tests on PostgreSQL"
# The same suites again, on the PostgreSQL back-end: a real server from Debian's packages,
# started by the tests on a loopback port (TestSupport's PostgresServer).
SIPFENCE_TEST_STORE=postgres swift test --skip-build --no-parallel --filter "PolicyStoreTests|ManagementAPITests"

echo "== leak check"
scripts/check-leaks.sh

echo "== fuzzing (libFuzzer, -seed=1, fixed runs)"
scripts/fuzz.sh --ci
