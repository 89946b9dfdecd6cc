#!/usr/bin/env bash
# Installs the Debian packages sipfence needs: to build (libosip2-dev, pkg-config) and,
# with --tests, what its tests start for real (sipp, Kamailio, tcpdump, tshark, libpcap,
# systemd-analyze, Python for Twilio's helper library). Installs only what is missing.
#
# Usage: scripts/install-deps.sh [--tests]
set -euo pipefail

packages=(libosip2-dev pkg-config)
if [ "${1:-}" = "--tests" ]; then
    packages+=(sip-tester kamailio tcpdump tshark libpcap-dev systemd python3 python3-venv)
fi

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "== installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; the default (no) is fine.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections 2>/dev/null || true
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
