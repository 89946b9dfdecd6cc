#!/usr/bin/env bash
# Regenerates the capture fixtures in Tests/Fixtures/captures from real traffic:
# sipfence in front of Kamailio and a sipp UAS, sipp callers on 127.0.0.2 (in the list),
# 127.0.0.3 (not in it), 127.0.0.4 (calling a domain that does not exist) and ::1, recorded
# with tcpdump/dumpcap on the loopback interface. Only the callers' side of sipfence is
# recorded (the sipfence-to-Kamailio legs are 127.0.0.1 to 127.0.0.1 and filtered out).
#
# Needs root (tcpdump, and lowering the loopback MTU to 1500 for a minute so that the
# large INVITE is really fragmented) and the test packages (scripts/install-deps.sh --tests).
# The verdict tables (*.expected) beside the captures are written by hand from the
# traffic below; CaptureReplayTests checks that replay agrees with them.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/Tests/Fixtures/captures
peers=$root/Tests/IntegrationTests/Peers
[ "$(id -u)" -eq 0 ] || { echo "make-capture-fixtures.sh: run as root (tcpdump, ip link)" >&2; exit 1; }

swift build --product sipfence
sipfence=$root/.build/debug/sipfence
work=$(mktemp -d)
pids=()
mtu=$(cat /sys/class/net/lo/mtu)
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    ip link set dev lo mtu "$mtu" || true
    rm -rf "$work"
}
trap cleanup EXIT

SF=25060 KAM=25070 UAS=25080 CUAS=25081
sed "s/@@HOST@@/127.0.0.1/g; s/@@PORT@@/$KAM/g; s/@@UAS_HOST@@/127.0.0.1/g; s/@@UAS_PORT@@/$UAS/g; s/@@CANCEL_UAS_PORT@@/$CUAS/g" \
    "$peers/kamailio-upstream.cfg" > "$work/kamailio.cfg"
kamailio -f "$work/kamailio.cfg" -DD -E -m 32 -M 8 > "$work/kamailio.log" 2>&1 & pids+=($!)
sipp -sf "$peers/uas.xml" -i 127.0.0.1 -p $UAS -nostdin > /dev/null 2>&1 & pids+=($!)
sipp -sf "$peers/uas-cancel.xml" -i 127.0.0.1 -p $CUAS -nostdin > /dev/null 2>&1 & pids+=($!)

cat > "$work/sipfence.yaml" <<YAML
sip:
  listen: [udp:127.0.0.1:$SF, tcp:127.0.0.1:$SF, "udp:[::1]:$SF", "tcp:[::1]:$SF"]
  upstream: udp:127.0.0.1:$KAM
  secret: 0123456789abcdef0123456789abcdef
  # A load, not a flood: no per-source limits.
  flood: {unknown_source_rate: 0, known_source_rate: 0, digest_failures_per_minute: 0}
api:
  listen: 127.0.0.1:0
store:
  path: $work/sipfence.sqlite
accounts:
  - sid: AC0123456789abcdef0123456789abcdef
    auth_token: fixture-auth-token-0001
YAML
"$sipfence" policy import --config "$work/sipfence.yaml" "$out/policy.yaml" > /dev/null
"$sipfence" run --config "$work/sipfence.yaml" > "$work/sipfence.out" 2> "$work/sipfence.log" & pids+=($!)
for _ in $(seq 100); do grep -q "listening http" "$work/sipfence.out" && break; sleep 0.1; done

# call SCENARIO FROM TRANSPORT DOMAIN [MAX_FORWARDS]
call() {
    local scenario=$1 from=$2 transport=$3 domain=$4 max_forwards=${5:-70}
    local target="127.0.0.1:$SF"
    [[ $from == *:* ]] && target="[::1]:$SF"
    sipp -sf "$scenario" -i "$from" -t "$transport" -s 15550100 -m 1 -nostdin -timeout 15s -timeout_error \
        -key domain "$domain" -key max_forwards "$max_forwards" "$target" > /dev/null 2>&1 \
        || { echo "make-capture-fixtures.sh: a $scenario call from $from did not complete" >&2; exit 1; }
}
refused() {  # refused STATUS FROM TRANSPORT DOMAIN [MAX_FORWARDS]
    sed "s/@@STATUS@@/$1/" "$peers/uac-refused.xml" > "$work/refused-$1.xml"
    call "$work/refused-$1.xml" "$2" "$3" "$4" "${5:-70}"
}
# capture FILE FILTER -- commands…
capture() {
    local file=$1 filter=$2; shift 3
    tcpdump -i lo -U -s 0 -w "$work/capture.pcap" "$filter" > /dev/null 2>&1 & local tcpdump=$!
    sleep 1
    "$@"
    sleep 1
    kill -INT $tcpdump; wait $tcpdump || true
    mv "$work/capture.pcap" "$out/$file"
}

udp_traffic() {
    call "$peers/uac-call.xml" 127.0.0.2 u1 trunk.sipfence.test
    refused 403 127.0.0.3 u1 trunk.sipfence.test
    refused 403 127.0.0.4 u1 nobody.sipfence.test
    refused 483 127.0.0.2 u1 trunk.sipfence.test 0
}
tcp_traffic() {
    call "$peers/uac-call.xml" 127.0.0.2 t1 trunk.sipfence.test
    refused 403 127.0.0.3 t1 trunk.sipfence.test
}
ipv6_traffic() {
    call "$peers/uac-call.xml" ::1 u1 trunk.sipfence.test
    refused 403 ::1 u1 closed.sipfence.test
}
fragmented_traffic() {
    ip link set dev lo mtu 1500
    call "$out/uac-call-large.xml" 127.0.0.2 u1 trunk.sipfence.test
    ip link set dev lo mtu "$mtu"
}

callers="host 127.0.0.2 or host 127.0.0.3 or host 127.0.0.4"
capture udp-calls.pcap "udp and ($callers)" -- udp_traffic
capture tcp-calls.pcap "tcp and ($callers)" -- tcp_traffic
capture ipv6-calls.pcap "ip6 and port $SF" -- ipv6_traffic
# Non-first fragments carry no ports: select the caller's host instead.
capture fragmented-invite.pcap "host 127.0.0.2" -- fragmented_traffic

# Two interfaces of two link types: UDP on lo (Ethernet), TCP on any (Linux cooked).
dumpcap -q -i lo -f "udp and host 127.0.0.2" -i any -f "tcp and host 127.0.0.3" -w "$work/two.pcapng" > /dev/null 2>&1 & dumpcap=$!
sleep 2
call "$peers/uac-call.xml" 127.0.0.2 u1 trunk.sipfence.test
refused 403 127.0.0.3 t1 trunk.sipfence.test
sleep 1
kill -INT $dumpcap; wait $dumpcap || true
mv "$work/two.pcapng" "$out/two-interfaces.pcapng"

chmod 0644 "$out"/*.pcap "$out"/*.pcapng
ls -l "$out"
