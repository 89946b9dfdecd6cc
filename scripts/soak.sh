#!/usr/bin/env bash
# soak.sh — a long run of calls, policy changes and abuse through one sipfence (not in CI).
#
# Builds sipfence (release) and starts it on loopback (ports chosen by the kernel) in front
# of a sipp UAS (the upstream). Unless --rate is given, it first measures the highest call
# rate this machine sustains through sipfence with nothing else running: a sipp caller from
# 127.0.0.2 (inside a mapped list) places whole calls (INVITE/180/200/ACK, BYE/200, over
# UDP) at rising rates, 20 s a step, doubling then bisecting; a rate is sustained when every
# call succeeds on time on both sides with under 1 % retransmissions. Then, for a 1-minute
# warm-up plus --minutes (default 10), at that rate, with beside it:
#   - a policy change through the API every 100 ms, alternating between policy A (the
#     IpAddress 127.0.0.9/32 in a list mapped to the domain: created) and B (deleted);
#   - a verdict probe: an INVITE from 127.0.0.9 every 50 ms, whose answer must be a 403
#     (policy B) or the upstream's answer (policy A; the call is ACKed and ended with BYE);
#     anything else, or no answer within 5 s, counts as "neither";
#   - slowloris: a separate process holding TCP connections from unknown sources
#     127.0.0.50–60 (40 each) that send half a request line and stay silent, reconnecting
#     whenever sipfence closes them; and a UDP INVITE flood from 127.0.0.66 (300/s).
# Every 5 s it samples the daemon's RSS (VmRSS), open fds (/proc/PID/fd), TCP connections
# (sipfence_tcp_connections), threads and CPU time, sipp's calls, and the probe's verdicts,
# into samples.csv in the output directory it prints.
#
# Goals (after the warm-up): RSS growth < 5 %; fds flat (the fewest fds other than TCP
# connections in the last third of the samples at most 2 above the fewest in the first
# third: a leak raises that floor, connections being accepted and closed only add spikes);
# 0 failed calls; 0 probe verdicts from neither policy; the daemon alive at the end. Exit status 0 when all are met, 1 otherwise. Also reported: probe
# verdicts of the previous policy just after a change was acknowledged (the compile after a
# commit is asynchronous), probe BYEs, and the abuse load's counts.
# The driver is scripts/soak.py (Python 3, stdlib only).
set -euo pipefail
cd "$(dirname "$0")/.."

# The abuse limits (sip.max_tcp_connections_per_source, sip.flood.*, …) are on by default;
# --without-limits runs the soak against the caps alone.
with_limits=1

usage() {
    cat <<'EOF'
usage: scripts/soak.sh [--rate R] [--minutes M] [--with-limits | --without-limits]
                       [--output DIR] [--no-build] [--calibrate-only] [driver options]

  --rate R            calls per second for the soak; without it the highest sustained
                      rate is measured first (about 5 minutes)
  --rate-fraction F   without --rate: soak at F times the measured rate (default 0.5). The
                      measurement runs with nothing else; the soak adds its abuse load
                      and policy churn, which on 2 cores saturate the machine at F = 1
                      (see Benchmarks/README.md)
  --minutes M         measured minutes after the 1-minute warm-up (default 10)
  --with-limits       (the default) add the abuse-limit keys (sip.max_tcp_connections_per_source,
                      sip.tcp_*_timeout, sip.max_header_bytes, sip.tcp_reserved_for_known,
                      sip.flood.*) to the daemon's configuration
  --without-limits    leave them out (the default while the daemon does not know them)
  --output DIR        where samples.csv, summary.txt and every log go (default: a new
                      directory under ${TMPDIR:-/tmp}, printed at the start and the end)
  --no-build          use the release binary already built
  --calibrate-only    measure the sustained rate and stop
  driver options      passed to scripts/soak.py: --warmup-seconds S (60),
                      --sample-seconds S (5), --probe-interval S (0.05),
                      --toggle-interval S (0.1), --slowloris-per-source N (40),
                      --udp-flood-rate R (300; 0: off), --step-seconds S (20),
                      --start-rate R (50), --max-rate R (6400), --bisect-rounds N (3)
  -h, --help          this text
EOF
}

build=1
driver_args=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --with-limits) with_limits=1; shift ;;
        --without-limits) with_limits=0; shift ;;
        --no-build) build=0; shift ;;
        --calibrate-only) driver_args+=("$1"); shift ;;
        --rate|--rate-fraction|--minutes|--output|--warmup-seconds|--sample-seconds|--probe-interval|--toggle-interval|\
        --slowloris-per-source|--udp-flood-rate|--step-seconds|--start-rate|--max-rate|--bisect-rounds)
            [[ $# -ge 2 ]] || { echo "$1 needs a value" >&2; exit 2; }
            driver_args+=("$1" "$2"); shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
[[ $with_limits == 1 ]] && driver_args+=(--with-limits)
command -v sipp >/dev/null || { echo "sipp is needed (scripts/install-deps.sh --tests installs it)" >&2; exit 2; }

source scripts/lib/release-driver.sh
build_release_sipfence "$build"
# The driver stops every process it started on every way out.
run_driver python3 scripts/soak.py run --binary "$binary" "${driver_args[@]}"
