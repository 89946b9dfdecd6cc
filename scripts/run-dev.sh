#!/usr/bin/env bash
# Sets up and starts sipfence on a development machine, with a demo upstream to protect:
# installs what it needs (build packages, Kamailio, sipp), builds, and runs
#   - a sipp UAS as the called party (127.0.0.1:5080),
#   - Kamailio as the upstream SIP proxy sipfence protects (127.0.0.1:5070; record-routes
#     calls and sends them to the UAS; config/demo/kamailio.cfg),
#   - sipfence with config/sipfence.yaml: SQLite under ./state, SIP on 127.0.0.1:5060
#     and [::1]:5060, the API on 127.0.0.1:8080, the demo account in the config.
# An empty store is seeded with config/demo/policy.yaml (demo.sipfence.test admits
# 127.0.0.2), through `sipfence policy import`. sipfence's log goes to the terminal and
# to state/sipfence.log; Kamailio's and sipp's to state/. Then, in another shell:
# scripts/try-calls.sh. Ctrl-C stops everything this script started.
#
# The environment can move things (the integration test does): SIPFENCE_SIP_LISTEN,
# SIPFENCE_API_LISTEN and SIPFENCE_SIP_UPSTREAM as for the daemon (Kamailio listens on
# the upstream's port), SIPFENCE_DEV_CALLEE_PORT (the UAS), SIPFENCE_DEV_STATE (instead of
# ./state), SIPFENCE_BINARY (a built sipfence: nothing is installed or built),
# SIPFENCE_DEV_DEMO=0 (no demo upstream, callee or policy: sipfence alone, for your own
# proxy at SIPFENCE_SIP_UPSTREAM).
set -euo pipefail
cd "$(dirname "$0")/.."

binary=${SIPFENCE_BINARY:-}
if [ -z "$binary" ]; then
    scripts/install-deps.sh --demo
    swift build --product sipfence
    binary=.build/debug/sipfence
fi
state=${SIPFENCE_DEV_STATE:-state}
mkdir -p "$state"
export SIPFENCE_STORE_PATH=${SIPFENCE_STORE_PATH:-$state/sipfence.sqlite}
# Kamailio works in / : its files need absolute paths.
state_path=$(cd "$state" && pwd)
upstream=${SIPFENCE_SIP_UPSTREAM:-udp:127.0.0.1:5070}
upstream_port=${upstream##*:}
callee_port=${SIPFENCE_DEV_CALLEE_PORT:-5080}
# SIPFENCE_DEV_DEMO=0: sipfence alone, for a proxy of your own at sip.upstream.
demo=${SIPFENCE_DEV_DEMO:-1}
config=config/sipfence.yaml

started=()
stop_all() {
    trap - EXIT INT TERM
    [ ${#started[@]} -gt 0 ] && kill "${started[@]}" 2>/dev/null || true
    wait 2>/dev/null
    echo "run-dev: stopped what it started"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

if [ "$demo" = 1 ]; then
    # The called party.
    sipp -sf config/demo/sipp/uas.xml -i 127.0.0.1 -p "$callee_port" -nostdin -trace_err \
        -error_file "$state/sipp-uas.errors" > "$state/sipp-uas.log" 2>&1 &
    started+=($!)

    # The upstream proxy.
    sed -e "s/@@PORT@@/$upstream_port/g" -e "s/@@CALLEE_PORT@@/$callee_port/g" config/demo/kamailio.cfg \
        > "$state/kamailio.cfg"
    /usr/sbin/kamailio -f "$state_path/kamailio.cfg" -DD -E -m 32 -M 8 -P "$state_path/kamailio.pid" -Y "$state_path" \
        > "$state/kamailio.log" 2>&1 &
    started+=($!)
fi

# The demo policy, into an empty store.
if [ "$demo" = 1 ]; then
    exported=$("$binary" policy export --config "$config")
    if ! grep "sid:" <<< "$exported" > /dev/null; then
        "$binary" policy import --config "$config" config/demo/policy.yaml
    fi
fi

# sipfence, its log to the terminal and to state/sipfence.log.
logged=0
[ -f "$state/sipfence.log" ] && logged=$(wc -l < "$state/sipfence.log")
"$binary" run --config "$config" > >(tee -a "$state/sipfence.log") 2>&1 &
started+=($!)

# What is running where, once sipfence has said where it listens.
daemon=${started[${#started[@]} - 1]}
this_run() { tail -n +$((logged + 1)) "$state/sipfence.log" 2>/dev/null; }
listening=0
for _ in $(seq 1 300); do
    if this_run | grep "^listening http" > /dev/null; then listening=1; break; fi
    kill -0 "$daemon" 2>/dev/null || { echo "run-dev: sipfence did not start ($state/sipfence.log)" >&2; exit 1; }
    sleep 0.1
done
if [ "$listening" = 0 ]; then
    echo "run-dev: sipfence did not say where it listens within 30 s ($state/sipfence.log)" >&2
    exit 1
fi
if [ "$demo" = 0 ]; then
    echo "run-dev: sipfence is running alone (SIPFENCE_DEV_DEMO=0), forwarding to $upstream; Ctrl-C stops it"
    wait "$daemon"
    exit
fi
for index in 0 1; do
    if ! kill -0 "${started[$index]}" 2>/dev/null; then
        log=$([ "$index" = 0 ] && echo "$state/sipp-uas.log" || echo "$state/kamailio.log")
        echo "run-dev: the demo's $([ "$index" = 0 ] && echo "sipp UAS" || echo Kamailio) did not start:" >&2
        tail -n 5 "$log" >&2
        exit 1
    fi
done
sockets=$(this_run | grep "^listening " | awk '{print $2 " " $3}' | paste -sd, - | sed 's/,/, /g')
cat <<SUMMARY

run-dev: running (Ctrl-C stops everything)
  sipfence     $sockets   log: $state/sipfence.log
  upstream     Kamailio on udp/tcp 127.0.0.1:$upstream_port, record-routing   log: $state/kamailio.log
  called party sipp UAS on udp 127.0.0.1:$callee_port   log: $state/sipp-uas.log
  demo policy  demo.sipfence.test admits 127.0.0.2 (config/demo/policy.yaml)
  try it       scripts/try-calls.sh

SUMMARY
wait "$daemon"
