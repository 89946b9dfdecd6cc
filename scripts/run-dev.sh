#!/usr/bin/env bash
# Sets up and starts sipfence on a development machine: installs the build packages,
# builds, and runs the daemon with config/sipfence.yaml (SQLite under ./state, SIP on
# 127.0.0.1:5060 and [::1]:5060, the API on 127.0.0.1:8080, demo account in the config).
# Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
swift build --product sipfence
mkdir -p state
exec .build/debug/sipfence run --config config/sipfence.yaml
