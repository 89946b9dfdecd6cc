#!/usr/bin/env bash
# With the dev daemon running (scripts/run-dev.sh, in another shell), places two calls to
# the demo domain with sipp and says what happened to each:
#   - from 127.0.0.2, which the demo policy admits: INVITE, 180, 200, ACK, BYE, 200 through
#     sipfence and the demo upstream (Kamailio) to the called party;
#   - from 127.0.0.3, which it does not: refused with 403 Forbidden.
# Then prints sipfence's sipfence_sip_messages_total counters from /metrics and the log
# lines it wrote meanwhile. Exit status 0 when both calls went as they should.
#
# The environment can point it elsewhere, as run-dev.sh's can: SIPFENCE_DEV_SIP (sipfence's
# UDP address, 127.0.0.1:5060), SIPFENCE_DEV_API (http://127.0.0.1:8080),
# SIPFENCE_DEV_STATE (./state, where sipfence.log is).
set -uo pipefail
cd "$(dirname "$0")/.."

sip=${SIPFENCE_DEV_SIP:-127.0.0.1:5060}
api=${SIPFENCE_DEV_API:-http://127.0.0.1:8080}
state=${SIPFENCE_DEV_STATE:-state}
domain=demo.sipfence.test

health=$(curl -s -o /dev/null -w '%{http_code}' "$api/healthz")
case "$health" in
    200) ;;
    000) echo "try-calls: sipfence does not answer at $api: start scripts/run-dev.sh first" >&2; exit 2 ;;
    *) echo "try-calls: sipfence at $api is not healthy (/healthz: $health): see its log" >&2; exit 2 ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
logged=0
[ -f "$state/sipfence.log" ] && logged=$(wc -l < "$state/sipfence.log")

# One call of `scenario` from `caller`; prints one line saying what happened.
call() {
    local caller=$1 scenario=$2 expected=$3
    local started ended status
    started=$(date +%s%N)
    sipp -sf "$scenario" -i "$caller" -s alice -m 1 -key domain "$domain" -key max_forwards 70 \
        -nostdin -timeout 10s -timeout_error -recv_timeout 5000 -trace_err -error_file "$work/errors" \
        "$sip" > "$work/output" 2>&1
    status=$?
    ended=$(date +%s%N)
    local took=$(( (ended - started) / 1000000 ))
    if [ "$status" -ne 0 ]; then
        echo "  $caller → $domain: FAILED (sipp exit $status, $took ms; expected: $expected)"
        sed 's/^/      /' "$work/errors" 2>/dev/null | tail -n 5
        return 1
    fi
    echo "  $caller → $domain: $expected ($took ms)"
}

echo "try-calls: two calls to $domain through sipfence at $sip"
failed=0
call 127.0.0.2 config/demo/sipp/uac-call.xml \
    "admitted — INVITE, 180 Ringing, 200 OK, ACK, BYE, 200 OK through sipfence and Kamailio" || failed=1
sed 's/@@STATUS@@/403/g' config/demo/sipp/uac-refused.xml > "$work/uac-refused.xml"
call 127.0.0.3 "$work/uac-refused.xml" "refused — 403 Forbidden (127.0.0.3 is in no list mapped to the domain)" || failed=1

echo
echo "sipfence's counters ($api/metrics):"
curl -sf "$api/metrics" | grep '^sipfence_sip_messages_total' | sed 's/^/  /'
echo
echo "sipfence's log meanwhile ($state/sipfence.log):"
tail -n +$((logged + 1)) "$state/sipfence.log" 2>/dev/null | sed 's/^/  /'
exit $failed
