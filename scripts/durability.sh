#!/usr/bin/env bash
# durability.sh — kill -9 during API writes: does every acknowledged write survive?
#
# Builds sipfence (release), starts it on loopback (every port chosen by the kernel) with a
# fresh SQLite store in a scratch directory, and repeats N times (default 100): a burst of
# concurrent writes through the Twilio-compatible API (create IpAccessControlLists,
# IpAddresses, Domains and Auth/Calls mappings; delete IpAddresses acknowledged earlier in
# the burst), `kill -9` of the daemon at a random moment during the burst, a restart on
# the same store, and a check of every write that got a 2xx: each created record is
# fetched by its SID and must hold what was written, each acknowledged delete must answer
# 404. After each restart the store gets PRAGMA integrity_check and foreign_key_check and
# the restart's log is searched for errors; at the end every surviving SID must be in
# `sipfence policy export`.
#
# Goals: 0 acknowledged writes missing, 0 acknowledged deletes back, 0 integrity problems,
# every restart succeeds. Exit status 0 when all are met, 1 otherwise.
# The driver is scripts/durability.py (Python 3, stdlib only).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
    cat <<'EOF'
usage: scripts/durability.sh [--iterations N] [--writers N] [--output DIR] [--seed S] [--no-build]

  --iterations N  kill -9 / restart cycles (default 100)
  --writers N     concurrent API writers in each burst (default 8)
  --output DIR    where the store, the daemon's logs and report.txt go (default: a new
                  directory under ${TMPDIR:-/tmp}, printed at the start and the end)
  --seed S        random seed (kill moments, write mix), for a repeatable run
  --no-build      use the release binary already built
  -h, --help      this text
EOF
}

build=1
driver_args=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --iterations|--writers|--output|--seed)
            [[ $# -ge 2 ]] || { echo "$1 needs a value" >&2; exit 2; }
            driver_args+=("$1" "$2"); shift 2 ;;
        --no-build) build=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done

source scripts/lib/release-driver.sh
build_release_sipfence "$build"
# The driver stops every process it started on every way out.
run_driver python3 scripts/durability.py --binary "$binary" "${driver_args[@]}"
