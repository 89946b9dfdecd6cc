#!/usr/bin/env bash
# Installs sipfence as a systemd service: the release binary in /usr/local/bin, the
# configuration in /etc/sipfence (from config/production.example.yaml unless one is
# already there), the unit in /etc/systemd/system. Run as root; then edit
# /etc/sipfence/sipfence.yaml and `systemctl enable --now sipfence`.
set -euo pipefail
cd "$(dirname "$0")/.."

[ "$(id -u)" -eq 0 ] || { echo "install.sh: run as root" >&2; exit 1; }
scripts/install-deps.sh
swift build -c release --product sipfence

install -D -m 0755 .build/release/sipfence /usr/local/bin/sipfence
install -d -m 0750 /etc/sipfence
if [ ! -e /etc/sipfence/sipfence.yaml ]; then
    install -m 0640 config/production.example.yaml /etc/sipfence/sipfence.yaml
    echo "installed /etc/sipfence/sipfence.yaml from config/production.example.yaml: edit it before starting"
fi
install -D -m 0644 systemd/sipfence.service /etc/systemd/system/sipfence.service
install -D -m 0644 README.md /usr/local/share/doc/sipfence/README.md
systemctl daemon-reload 2>/dev/null || true
/usr/local/bin/sipfence check-config --config /etc/sipfence/sipfence.yaml || true
echo "next: edit /etc/sipfence/sipfence.yaml, then: systemctl enable --now sipfence"
