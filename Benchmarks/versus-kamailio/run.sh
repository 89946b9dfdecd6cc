#!/usr/bin/env bash
# sipfence versus Kamailio 5.6 (and the C floor), side by side under the same sipp load.
# See Benchmarks/README.md, "sipfence versus Kamailio", for what is measured and how.
#
# Usage: Benchmarks/versus-kamailio/run.sh [--no-build] [compare.py options]
#   --sizes 10,10k,1M,1000x1000   policy sizes (random IPv4 prefixes; 1000 domains x 1000)
#   --scenarios refused-udp,refused-tcp,admitted-udp
#   --systems sipfence,kamailio,floor
#   --calls N (50000) --large-calls N (5000) --rate R (20000) --large-rate R (1000)
#   --admitted-rate R (4000)
#   --repeat N (3)                runs per system and scenario; the median CPU per call is reported
#   --output DIR                  logs, sipp statistics, results.json
# Needs: kamailio, sip-tester (sipp), libosip2-dev, a C compiler (scripts/install-deps.sh --tests
# installs them). Not part of CI: it takes from a few minutes (--sizes 10) to about half
# an hour (every size), and its figures belong to the machine it runs on.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."
source scripts/lib/release-driver.sh

build=1
if [[ ${1:-} == --no-build ]]; then
    build=0
    shift
fi
for tool in kamailio sipp; do
    command -v "$tool" >/dev/null || { echo "$tool is missing: scripts/install-deps.sh --tests" >&2; exit 2; }
done

build_release_sipfence "$build"
floor_dir="$(swift build -c release --show-bin-path)/versus-kamailio"
mkdir -p "$floor_dir"
floor="$floor_dir/sipfence-floor"
if [[ $build == 1 || ! -x $floor ]]; then
    compiler=$(command -v gcc || command -v clang) || { echo "no C compiler (gcc or clang)" >&2; exit 2; }
    "$compiler" -O2 -Wall -Wextra -o "$floor" "$here/floor/sipfence-floor.c" -losipparser2 -losip2
fi
run_driver python3 "$here/compare.py" --sipfence "$binary" --floor "$floor" "$@"
