#!/usr/bin/env bash
# Installs what sipfence needs: to build, the Debian packages libosip2-dev, libc-ares-dev
# and pkg-config; with --tests, what its tests start for real (sipp, Kamailio, baresip as a
# real SIP user agent, dnsmasq, tcpdump, tshark, libpcap, systemd-analyze) and Twilio's
# official Python helper library (from PyPI, in a virtualenv under .build-tools). Installs
# only what is missing.
#
# The tests run dnsmasq themselves on a loopback port, so only its program is installed
# (dnsmasq-base): the full dnsmasq package would also start a system DNS service on port 53.
# They run PostgreSQL themselves too (initdb and postgres on a loopback port, as the
# postgres user; openssl makes the certificate of its TLS tests): Debian's postgresql
# package is told not to create and start its own cluster on port 5432. The demo test
# runs scripts/try-calls.sh, which uses curl.
# The deployment tests (network namespaces, captures in them) also need root, iproute2 and
# procps (sysctl). The flood tests check the shipped fail2ban filter with fail2ban-regex;
# the fail2ban service itself is not wanted, so it is stopped and disabled if the package
# started it.
#
# With --demo, what scripts/run-dev.sh starts beside the daemon: Kamailio and sipp.
#
# Usage: scripts/install-deps.sh [--tests | --demo]
set -euo pipefail
cd "$(dirname "$0")/.."

tests=false
demo=false
[ "${1:-}" = "--tests" ] && tests=true
[ "${1:-}" = "--demo" ] && demo=true

packages=(libosip2-dev libc-ares-dev pkg-config)
if $demo; then
    packages+=(kamailio sip-tester curl)
fi
if $tests; then
    packages+=(sip-tester kamailio baresip-core dnsmasq-base iproute2 procps tcpdump tshark libpcap-dev systemd python3 python3-venv fail2ban postgresql util-linux openssl curl)
fi

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing: ${missing[*]}"
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    # tshark asks whether non-root users may capture; the default (no) is fine.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections 2>/dev/null || true
    if [[ " ${missing[*]} " == *" postgresql "* ]] && [ ! -e /etc/postgresql-common/createcluster.conf ]; then
        $sudo mkdir -p /etc/postgresql-common
        echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.conf >/dev/null
    fi
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    if [[ " ${missing[*]} " == *" fail2ban "* ]] && command -v systemctl >/dev/null && systemctl is-active --quiet fail2ban 2>/dev/null; then
        $sudo systemctl disable --now fail2ban >/dev/null 2>&1 || true
    fi
fi

if $tests; then
    venv=.build-tools/twilio-venv
    if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import twilio" 2>/dev/null; then
        echo "== installing Twilio's Python helper library into $venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check "twilio==9.13.0"
    fi
fi
