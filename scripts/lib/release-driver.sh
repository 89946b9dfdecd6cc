# Shared by scripts/soak.sh and scripts/durability.sh (sourced, not run): build the release
# sipfence and run a Python driver so that an interrupt stops it, and it every process it
# started, on every way out.

# Builds the release binary unless $1 is 0, then sets `binary` to its path.
build_release_sipfence() {
    if [[ ${1:-1} == 1 ]]; then
        flock /tmp/sipfence-build.lock swift build -j 1 -c release --product sipfence >&2
    fi
    binary="$(swift build -c release --show-bin-path)/sipfence"
    [[ -x $binary ]] || { echo "no release binary at $binary (run without --no-build)" >&2; exit 2; }
}

# Runs the driver command "$@" in the background, stopping it (TERM) if this shell exits
# first, and exits with its status.
run_driver() {
    driver_pid=""
    cleanup() {
        if [[ -n $driver_pid ]] && kill -0 "$driver_pid" 2>/dev/null; then
            kill -TERM "$driver_pid" 2>/dev/null || true
            wait "$driver_pid" 2>/dev/null || true
        fi
    }
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    "$@" &
    driver_pid=$!
    local status=0
    wait "$driver_pid" || status=$?
    driver_pid=""
    exit "$status"
}
