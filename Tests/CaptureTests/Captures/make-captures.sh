#!/bin/sh
# Regenerates the captures beside this script from real loopback traffic (run as root).
# See README.md. Only loopback addresses are ever a traffic target.
set -eu
cd "$(dirname "$0")"
PORT=${PORT:-45678}
FILTER="port $PORT or port $((PORT + 9)) or icmp or (ip[6:2] & 0x1fff != 0) or (ip6 and (ip6[6] == 0 or ip6[6] == 44))"

tcpdump -i lo -U -w lo-ethernet.pcap "$FILTER" >/dev/null 2>&1 &
A=$!
tcpdump -i any -y LINUX_SLL2 --time-stamp-precision=nano -U -w any-sll2-ns.pcap "$FILTER" >/dev/null 2>&1 &
B=$!
tshark -q -i lo -f "$FILTER" -i any -f "$FILTER" -F pcapng -w lo-and-any.pcapng >/dev/null 2>&1 &
C=$!
trap 'kill -INT $A $B $C 2>/dev/null || true' EXIT
sleep 3
python3 traffic.py "$PORT"
sleep 2
kill -INT $A $B $C
wait $A $B $C || true
trap - EXIT
chmod 644 lo-ethernet.pcap any-sll2-ns.pcap lo-and-any.pcapng
ls -l lo-ethernet.pcap any-sll2-ns.pcap lo-and-any.pcapng
