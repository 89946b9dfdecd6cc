#!/usr/bin/env bash
# Measures `sipfence replay` (release build) on a synthetic capture of N messages
# (default 200,000), beside `tcpdump -r` reading the same file as the same-run baseline.
# Replayed with --no-flood-limits: the synthetic load comes from few sources at a rate no caller has;
# the figure is the admission pipeline's, not what the flood limits would drop.
# Usage: Benchmarks/replay/run.sh [MESSAGES]
set -euo pipefail
cd "$(dirname "$0")/../.."
messages=${1:-200000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
swift build -c release --product sipfence >/dev/null
python3 Benchmarks/replay/make-capture.py "$work/bench.pcap" "$messages"
policy=Tests/Fixtures/captures/policy.yaml

seconds() { local start end; start=$(date +%s.%N); "$@" >/dev/null 2>&1; end=$(date +%s.%N); echo "$end - $start" | bc; }
best() {  # best of 3 runs
    local best=""
    for _ in 1 2 3; do
        local t; t=$(seconds "$@")
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
    done
    echo "$best"
}
replay=$(best .build/release/sipfence replay --no-flood-limits --policy "$policy" "$work/bench.pcap")
baseline=$(best tcpdump -r "$work/bench.pcap" -n)
echo "messages: $messages"
echo "sipfence replay: ${replay}s, $(echo "$messages / $replay" | bc) messages/s"
echo "baseline tcpdump -r: ${baseline}s, $(echo "$messages / $baseline" | bc) packets/s"
echo "ratio replay/tcpdump time: $(echo "scale=2; $replay / $baseline" | bc)"
.build/release/sipfence replay --no-flood-limits --policy "$policy" "$work/bench.pcap" | tail -6
