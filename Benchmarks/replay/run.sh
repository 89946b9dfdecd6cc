#!/usr/bin/env bash
# Measures `sipfence replay` (release build) on two synthetic captures of N messages
# (default 200,000) beside two same-run baselines on the same files: the C floor harness
# (Benchmarks/versus-kamailio/floor, --pcap: sipfence's per-message work for a refused call
# done in C with libosip2, answers built but not sent) and `tcpdump -r`.
#   mixed:   what an edge sees (admitted and refused INVITEs, ACKs, OPTIONS). sipfence
#            forwards the admitted calls and the OPTIONS; the floor does not, so its ratio
#            there compares unequal work.
#   refused: only the versus-Kamailio refused scenario (INVITE from outside the lists, its
#            ACK): the work the floor does too.
# Replayed with --no-flood-limits: the synthetic load comes from few sources at a rate no caller has;
# the figure is the admission pipeline's, not what the flood limits would drop.
# Figures are CPU seconds (user + system, best of five) and their ratios.
# Usage: Benchmarks/replay/run.sh [MESSAGES]
set -euo pipefail
cd "$(dirname "$0")/../.."
messages=${1:-200000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
swift build -c release --product sipfence >/dev/null
gcc -O2 -Wall -Wextra -o "$work/sipfence-floor" Benchmarks/versus-kamailio/floor/sipfence-floor.c -losipparser2 -losip2
python3 Benchmarks/replay/make-capture.py "$work/mixed.pcap" "$messages"
python3 Benchmarks/replay/make-capture.py "$work/refused.pcap" "$messages" --refused
policy=Tests/Fixtures/captures/policy.yaml

cpu() {  # CPU seconds (user + system) of one run of "$@"
    /usr/bin/time -f '%U %S' -o "$work/time" "$@" >/dev/null 2>&1
    awk '{ printf "%.3f\n", $1 + $2 }' "$work/time"
}
best() {  # best of 5 runs (this VM is shared; fewer let one slow run through)
    local best=""
    for _ in 1 2 3 4 5; do
        local t; t=$(cpu "$@")
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
    done
    echo "$best"
}
per() { echo "scale=2; $1 * 1000000 / $messages" | bc; }
echo "messages per capture: $messages"
for capture in mixed refused; do
    file="$work/$capture.pcap"
    replay=$(best .build/release/sipfence replay --no-flood-limits --policy "$policy" "$file")
    # The floor admits the policy's one admitted caller (127.0.0.2) and answers the rest.
    floor=$(best "$work/sipfence-floor" --pcap "$file" 127.0.0.2/32)
    tcpdump=$(best tcpdump -r "$file" -n)
    echo "== $capture capture"
    echo "sipfence replay: ${replay} s CPU, $(per "$replay") us per message, $(echo "$messages / $replay" | bc) messages/s"
    echo "C floor --pcap:  ${floor} s CPU, $(per "$floor") us per message"
    echo "tcpdump -r:      ${tcpdump} s CPU, $(per "$tcpdump") us per packet"
    echo "ratio sipfence/floor: $(echo "scale=2; $replay / $floor" | bc)   sipfence/tcpdump: $(echo "scale=2; $replay / $tcpdump" | bc)"
    .build/release/sipfence replay --no-flood-limits --policy "$policy" "$file" | tail -6
done
