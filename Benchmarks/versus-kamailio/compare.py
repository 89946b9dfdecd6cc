#!/usr/bin/env python3
"""sipfence beside Kamailio (and the C floor), same machine, same sipp load.

Driven by run.sh (which builds the release sipfence and the floor harness first); see
Benchmarks/README.md, "sipfence versus Kamailio". For each policy size it writes the
prefixes once (random IPv4 prefixes of lengths 8-32 from a fixed seed, outside 127/8,
plus the admitted caller 127.0.0.2/32), imports them into a fresh sipfence store through
`sipfence policy import` and into a Kamailio address file, then for each scenario runs each
system in turn under the same sipp load and measures:

  - calls completed per second, failed calls and retransmissions (sipp's statistics),
    once the filter answers a probe INVITE and has used no CPU for half a second;
  - CPU seconds per 1,000 calls: utime + stime from /proc/PID/stat of every process of
    the filter (Kamailio forks several; they are found by process group), read just
    before sipp starts and just after it ends, divided by the calls sipp completed;
  - peak memory: the most, over the run (sampled every 0.2 s), of the summed proportional
    set size (Pss, /proc/PID/smaps_rollup) of the filter's processes -- Kamailio's
    processes share their memory, so summing RSS would count it once per process;
    and sipfence's own VmHWM.

Ratios (sipfence / Kamailio and sipfence / floor) come from the same run. Nothing here
is a pass/fail test: it prints a Markdown table and writes results.json.

Python 3 standard library only; the helpers (process handling, the API) are shared with
scripts/soak.py through scripts/sipfence_lab.py.
"""

import argparse
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import sipfence_lab as lab  # noqa: E402

ADMITTED_CALLER = "127.0.0.2"
REFUSED_CALLER = "127.0.0.3"
TICKS = os.sysconf("SC_CLK_TCK")

# Policy sizes: name -> (domains, prefixes per domain).
SIZES = {
    "10": (1, 10),
    "10k": (1, 10_000),
    "1M": (1, 1_000_000),
    "1000x1000": (1000, 1000),
}
SCENARIOS = {
    # name -> (sipp scenario file, transport flag, caller, needs the UAS)
    "refused-udp": ("uac-refused.xml", "u1", REFUSED_CALLER, False),
    "refused-tcp": ("uac-refused.xml", "t1", REFUSED_CALLER, False),
    "admitted-udp": ("uac-call.xml", "u1", ADMITTED_CALLER, True),
}


# ---- policy ------------------------------------------------------------------------------

def domain_name(index, domains):
    return "bench.example" if domains == 1 else f"d{index + 1}.bench.example"


def target_domain(domains):
    """The domain the calls go to: the single one, or one in the middle of 1,000 (so that
    neither filter's lookup is helped by its position)."""
    return domain_name(domains // 2, domains)


def write_policy(directory, size):
    """Writes policy.yaml (sipfence) and address.list (Kamailio) for one size; returns
    the number of prefixes written per system."""
    domains, per_domain = SIZES[size]
    rng = random.Random(f"sipfence-versus-kamailio-{size}")
    yaml_path = os.path.join(directory, "policy.yaml")
    address_path = os.path.join(directory, "address.list")
    total = 0
    with open(yaml_path, "w") as policy, open(address_path, "w") as addresses:
        policy.write(f"accounts:\n  - sid: {lab.ACCOUNT_SID}\n    ip_access_control_lists:\n")
        for d in range(domains):
            policy.write(f"      - friendly_name: list{d + 1}\n        ip_addresses:\n")
            policy.write(f"          - ip_address: {ADMITTED_CALLER}\n")
            addresses.write(f"{d + 1} {ADMITTED_CALLER} 32 0\n")
            for network, length in lab.random_prefixes(rng, per_domain):
                text = lab.dotted(network)
                policy.write(f"          - ip_address: {text}/{length}\n")
                addresses.write(f"{d + 1} {text} {length} 0\n")
            total += per_domain + 1
        policy.write("    domains:\n")
        for d in range(domains):
            policy.write(f"      - domain_name: {domain_name(d, domains)}\n")
            policy.write(f"        ip_access_control_list_mappings: [list{d + 1}]\n")
    return yaml_path, address_path, total


# ---- measuring ---------------------------------------------------------------------------

def group_pids(leader):
    """Every process in the process group `leader` leads (the filter and its children)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == leader:  # pgrp
            pids.append(int(entry))
    return pids


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime of all its threads
    return total / TICKS


def pss_kb(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


class MemorySampler(threading.Thread):
    """The peak of the filter's summed Pss, sampled every 0.2 s while running."""

    def __init__(self, leader):
        super().__init__(daemon=True)
        self.leader = leader
        self.peak = 0
        self.running = True

    def run(self):
        while self.running:
            self.peak = max(self.peak, pss_kb(group_pids(self.leader)))
            time.sleep(0.2)

    def stop(self):
        self.running = False
        self.join()
        self.peak = max(self.peak, pss_kb(group_pids(self.leader)))


def sipp_final_stats(path):
    """The last row of sipp's -trace_stat CSV as a dict."""
    with open(path) as f:
        rows = [line.rstrip("\n").split(";") for line in f if line.strip()]
    header, last = rows[0], rows[-1]
    return dict(zip(header, last))


def wait_for_403(host, port, transport, timeout, process):
    """Sends a refused INVITE from the refused caller until a 403 comes back: the filter is
    up, its policy loaded and its workers running. Raises if `process` exits first."""
    deadline = time.monotonic() + timeout
    attempt = 0
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the filter exited with status {process.returncode} before answering; see its log")
        attempt += 1
        kind = socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
        try:
            with socket.socket(socket.AF_INET, kind) as s:
                s.bind((REFUSED_CALLER, 0))
                s.settimeout(1.0)
                local = s.getsockname()[1]
                message = (
                    f"INVITE sip:ready@probe.invalid SIP/2.0\r\n"
                    f"Via: SIP/2.0/{transport.upper()} {REFUSED_CALLER}:{local};branch=z9hG4bKready{attempt};rport\r\n"
                    f"From: <sip:probe@{REFUSED_CALLER}>;tag=ready\r\nTo: <sip:ready@probe.invalid>\r\n"
                    f"Call-ID: ready-{attempt}-{time.time()}\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
                    f"Contact: <sip:probe@{REFUSED_CALLER}:{local}>\r\nContent-Length: 0\r\n\r\n").encode()
                if kind == socket.SOCK_DGRAM:
                    s.sendto(message, (host, port))
                    data = s.recv(65535)
                else:
                    s.connect((host, port))
                    s.sendall(message)
                    data = s.recv(65535)
                if data.startswith(b"SIP/2.0 4") or data.startswith(b"SIP/2.0 5"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"no answer from {host}:{port} within {timeout} s")


def wait_until_idle(leader, timeout=120.0):
    """Waits until the filter's processes use no CPU for half a second: whatever either
    filter still does after it first answers (a large policy's start-up work) must not be
    counted against the calls."""
    deadline = time.monotonic() + timeout
    previous = cpu_seconds(group_pids(leader))
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu_seconds(group_pids(leader))
        if now - previous <= 1.0 / TICKS:
            return
        previous = now


# ---- the systems -------------------------------------------------------------------------

class Sipfence:
    name = "sipfence"

    def __init__(self, children, binary, size_dir, policy_yaml, upstream_port):
        self.children = children
        self.binary = binary
        self.directory = os.path.join(size_dir, "sipfence")
        os.makedirs(self.directory, exist_ok=True)
        self.store = os.path.join(self.directory, "state", "sipfence.sqlite")
        self.policy_yaml = policy_yaml
        self.upstream_port = upstream_port
        self.daemon = None
        self.import_seconds = None
        self.import_peak_kb = None

    def config(self):
        # The load is a load, not an attack: no per-source limits (sip.flood.* off).
        extra = "  flood: {unknown_source_rate: 0, known_source_rate: 0, digest_failures_per_minute: 0}\n"
        return lab.write_config(self.directory, f"udp:127.0.0.1:{self.upstream_port}",
                                extra=extra, store=self.store, log_level="warning")

    def prepare(self):
        config = self.config()
        if os.path.exists(self.store):
            return
        started = time.monotonic()
        process = subprocess.Popen(
            ["/usr/bin/time", "-f", "%M", self.binary, "policy", "import", "--config", config, self.policy_yaml],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        _, err = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"sipfence policy import failed: {err}")
        self.import_seconds = time.monotonic() - started
        self.import_peak_kb = int(err.strip().splitlines()[-1])

    def start(self):
        self.daemon = lab.Daemon(self.children, self.binary, self.config(), self.directory).start(timeout=600, expect=("udp", "tcp", "http"))
        self.process = self.daemon.process
        self.leader = self.daemon.pid
        return self.daemon.endpoint("udp"), self.daemon.endpoint("tcp")

    def stop(self):
        self.daemon.stop()

    def peak_hwm_kb(self):
        return lab.status_value(self.leader, "VmHWM")


class Kamailio:
    name = "kamailio"

    def __init__(self, children, size_dir, address_file, prefixes, domains, upstream_port, processes):
        self.children = children
        self.directory = os.path.join(size_dir, "kamailio")
        os.makedirs(self.directory, exist_ok=True)
        self.address_file = address_file
        self.prefixes = prefixes
        self.domains = domains
        self.upstream_port = upstream_port
        self.processes = processes
        self.process = None

    def start(self):
        port = lab.free_port()
        while True:
            try:  # the same port must be free on TCP too
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                    s.bind(("127.0.0.1", port))
                break
            except OSError:
                port = lab.free_port()
        group = "1" if self.domains == 1 else "$(rd{s.select,0,.}{s.substr,1,0}{s.int})"
        with open(os.path.join(HERE, "kamailio.cfg")) as f:
            text = f.read()
        for key, value in {
            "PORT": str(port), "CHILDREN": str(self.processes), "ADDRESS_FILE": self.address_file,
            "MAX_SUBNETS": str(self.prefixes + 16), "GROUP_EXPRESSION": group,
            "UPSTREAM_HOST": "127.0.0.1", "UPSTREAM_PORT": str(self.upstream_port),
        }.items():
            text = text.replace(f"@@{key}@@", value)
        config = os.path.join(self.directory, "kamailio.cfg")
        with open(config, "w") as f:
            f.write(text)
        # Shared memory for the address tables (two copies are kept, for reloads).
        # Shared memory for the address tables: permissions keeps two (for reloads), each
        # allocated for max_subnets entries of about 60 bytes.
        shm = 256 + self.prefixes * 2 * 64 // (1 << 20)
        log = open(os.path.join(self.directory, "kamailio.log"), "ab")
        self.process = self.children.start(
            ["kamailio", "-f", config, "-DD", "-E", "-m", str(shm), "-M", "16", "-w", self.directory,
             "-Y", self.directory, "-P", os.path.join(self.directory, "kamailio.pid")],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        self.leader = self.process.pid
        endpoint = ("127.0.0.1", port)
        return endpoint, endpoint

    def stop(self):
        self.children.stop(self.process, timeout=10)

    def peak_hwm_kb(self):
        return None


class Floor:
    """The C harness (floor/sipfence-floor.c): sipfence's per-refused-call work, nothing
    more. UDP only."""
    name = "floor"

    def __init__(self, children, binary, size_dir):
        self.children = children
        self.binary = binary
        self.directory = os.path.join(size_dir, "floor")
        os.makedirs(self.directory, exist_ok=True)

    def start(self):
        out = os.path.join(self.directory, "floor.stdout")
        err = open(os.path.join(self.directory, "floor.stderr"), "ab")
        with open(out, "wb") as o:
            self.process = self.children.start([self.binary, "127.0.0.1", "0"], stdout=o, stderr=err,
                                               stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with open(out) as f:
                m = re.search(r"listening udp 127\.0\.0\.1:(\d+)", f.read())
            if m:
                self.leader = self.process.pid
                endpoint = ("127.0.0.1", int(m.group(1)))
                return endpoint, None
            time.sleep(0.05)
        raise RuntimeError("the floor harness did not start")

    def stop(self):
        self.children.stop(self.process)

    def peak_hwm_kb(self):
        return lab.status_value(self.leader, "VmHWM")


# ---- one measurement ---------------------------------------------------------------------

def run_load(children, out_dir, system, endpoints, scenario, domain, calls, rate, limit, uas_port):
    scenario_file, transport, caller, needs_uas = SCENARIOS[scenario]
    udp, tcp = endpoints
    target = tcp if transport == "t1" else udp
    if target is None:
        return None
    name = f"{system.name}-{scenario}"
    lab.log(f"== {scenario} {system.name}: {calls} calls at up to {rate}/s")
    wait_for_403(target[0], target[1], "tcp" if transport == "t1" else "udp", timeout=900, process=system.process)
    wait_until_idle(system.leader)
    uas = None
    if needs_uas:
        uas = children.start(
            ["sipp", "-sf", os.path.join(HERE, "scenarios", "uas.xml"), "-i", "127.0.0.1", "-p", str(uas_port),
             "-t", "u1", "-nostdin", "-trace_err", "-error_file", os.path.join(out_dir, f"{name}.uas.errors")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, cwd=out_dir)
        time.sleep(0.5)
    stat_file = os.path.join(out_dir, f"{name}.stat.csv")
    arguments = [
        "sipp", f"{target[0]}:{target[1]}", "-sf", os.path.join(HERE, "scenarios", scenario_file),
        "-i", caller, "-p", "0", "-t", transport, "-key", "domain", domain,
        "-m", str(calls), "-r", str(rate), "-l", str(limit), "-max_socket", "4096",
        "-recv_timeout", "8000", "-timeout", "600s", "-nostdin",
        "-trace_stat", "-stf", stat_file, "-fd", "1", "-trace_err", "-error_file",
        os.path.join(out_dir, f"{name}.errors"),
    ]
    pids = group_pids(system.leader)
    sampler = MemorySampler(system.leader)
    sampler.start()
    cpu_before = cpu_seconds(pids)
    started = time.monotonic()
    process = children.start(arguments, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             stdin=subprocess.DEVNULL, cwd=out_dir)
    process.wait()
    elapsed = time.monotonic() - started
    cpu_after = cpu_seconds(group_pids(system.leader))
    sampler.stop()
    children.processes.remove(process)
    if uas is not None:
        children.stop(uas)
    stats = sipp_final_stats(stat_file)
    completed = int(stats.get("SuccessfulCall(C)", 0))
    failed = int(stats.get("FailedCall(C)", 0))
    retransmissions = int(stats.get("Retransmissions(C)", 0))
    cpu = cpu_after - cpu_before
    return {
        "system": system.name,
        "scenario": scenario,
        "calls": calls,
        "target_rate": rate,
        "completed": completed,
        "failed": failed,
        "retransmissions": retransmissions,
        "seconds": round(elapsed, 3),
        "calls_per_second": round(completed / elapsed, 1) if elapsed > 0 else 0,
        "cpu_seconds": round(cpu, 3),
        "cpu_us_per_call": round(cpu / completed * 1e6, 2) if completed else None,
        "peak_pss_mib": round(sampler.peak / 1024, 1),
        "peak_hwm_mib": (round(system.peak_hwm_kb() / 1024, 1) if system.peak_hwm_kb() else None),
        "processes": len(pids),
    }


def ratio(a, b):
    if a is None or b in (None, 0):
        return None
    return round(a / b, 2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sipfence", required=True, help="the release sipfence binary")
    parser.add_argument("--floor", help="the C floor harness binary (floor/sipfence-floor.c)")
    parser.add_argument("--sizes", default="10,10k,1M,1000x1000")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--systems", default="sipfence,kamailio,floor")
    parser.add_argument("--calls", type=int, default=50_000, help="calls per run at the small sizes")
    parser.add_argument("--large-calls", type=int, default=5_000,
                        help="calls per run at 1M and 1000x1000 prefixes")
    parser.add_argument("--rate", type=int, default=20_000, help="sipp's target rate, calls/s")
    parser.add_argument("--large-rate", type=int, default=1_000, help="the target rate at the large sizes")
    parser.add_argument("--admitted-rate", type=int, default=4_000,
                        help="the target rate of admitted calls at the small sizes: the highest at which "
                             "Kamailio runs clean on the project's 2-core VM (at 20,000 it fails calls)")
    parser.add_argument("--limit", type=int, default=2_000, help="sipp's limit of calls in flight")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per system and scenario; the one with the median CPU per call is reported")
    parser.add_argument("--kamailio-children", type=int, default=os.cpu_count() or 2,
                        help="Kamailio's children= and tcp_children= (default: one per core)")
    parser.add_argument("--output", help="directory for logs, sipp statistics and results.json")
    args = parser.parse_args()

    lab.exit_on_signals()
    out = args.output or tempfile.mkdtemp(prefix="sipfence-versus-kamailio.")
    os.makedirs(out, exist_ok=True)
    lab.log(f"output in {out}")
    systems = args.systems.split(",")
    results = []
    imports = {}
    children = lab.Children()
    try:
        for size in args.sizes.split(","):
            if size not in SIZES:
                raise SystemExit(f"unknown size {size} (known: {', '.join(SIZES)})")
            domains, _ = SIZES[size]
            size_dir = os.path.join(out, size)
            os.makedirs(size_dir, exist_ok=True)
            lab.log(f"== {size}: writing the policy")
            policy_yaml, address_file, total = write_policy(size_dir, size)
            large = total > 100_000
            calls = args.large_calls if large else args.calls
            rate = args.large_rate if large else args.rate
            upstream_port = lab.free_port()
            for system_name in systems:
                if system_name == "floor" and (not args.floor or size != "10"):
                    continue  # the floor does one mask compare: its cost does not depend on the size
                if system_name == "sipfence":
                    system = Sipfence(children, args.sipfence, size_dir, policy_yaml, upstream_port)
                    lab.log(f"== {size}: sipfence policy import of {total} prefixes")
                    system.prepare()
                    if system.import_seconds is not None:  # None: the store of an earlier run
                        imports[size] = {"seconds": round(system.import_seconds, 1),
                                         "peak_rss_mib": round(system.import_peak_kb / 1024, 1)}
                        lab.log(f"   import: {imports[size]['seconds']} s, peak RSS {imports[size]['peak_rss_mib']} MiB")
                elif system_name == "kamailio":
                    system = Kamailio(children, size_dir, address_file, total, domains, upstream_port,
                                      args.kamailio_children)
                elif system_name == "floor":
                    system = Floor(children, args.floor, size_dir)
                else:
                    raise SystemExit(f"unknown system {system_name}")
                for scenario in args.scenarios.split(","):
                    if scenario not in SCENARIOS:
                        raise SystemExit(f"unknown scenario {scenario} (known: {', '.join(SCENARIOS)})")
                    if system_name == "floor" and scenario != "refused-udp":
                        continue
                    # A fresh process per run: each run's peak memory is its own. The run
                    # whose CPU per call is the median of --repeat runs is reported.
                    runs = []
                    for _ in range(args.repeat):
                        endpoints = system.start()
                        try:
                            scenario_rate = min(rate, args.admitted_rate) if scenario.startswith("admitted") else rate
                            result = run_load(children, size_dir, system, endpoints, scenario,
                                              target_domain(domains), calls, scenario_rate, args.limit, upstream_port)
                        finally:
                            system.stop()
                        if result is None:
                            break
                        lab.log("   " + json.dumps(result))
                        runs.append(result)
                    if not runs:
                        continue
                    runs.sort(key=lambda r: r["cpu_us_per_call"] if r["cpu_us_per_call"] is not None else float("inf"))
                    result = dict(runs[len(runs) // 2])
                    result["cpu_us_per_call_runs"] = [r["cpu_us_per_call"] for r in runs]
                    result["size"] = size
                    results.append(result)
    finally:
        children.stop_all()

    # Ratios from the same run.
    by_key = {(r["size"], r["scenario"], r["system"]): r for r in results}
    floor = by_key.get(("10", "refused-udp", "floor"))
    for r in results:
        if r["system"] != "sipfence":
            continue
        k = by_key.get((r["size"], r["scenario"], "kamailio"))
        r["cpu_ratio_to_kamailio"] = ratio(r["cpu_us_per_call"], k and k["cpu_us_per_call"])
        r["pss_ratio_to_kamailio"] = ratio(r["peak_pss_mib"], k and k["peak_pss_mib"])
        r["rate_ratio_to_kamailio"] = ratio(r["calls_per_second"], k and k["calls_per_second"])
        # The floor runs once, at the small sizes' rate: compared only at the same rate.
        if floor and r["scenario"] == "refused-udp" and r["target_rate"] == floor["target_rate"]:
            r["cpu_ratio_to_floor"] = ratio(r["cpu_us_per_call"], floor["cpu_us_per_call"])
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"results": results, "imports": imports}, f, indent=2)

    print(f"| size | scenario | system | calls/s | failed | retrans | µs CPU per call (median of {args.repeat}) | "
          "peak Pss MiB (VmHWM) | CPU ratio to Kamailio | CPU ratio to floor |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        memory = f"{r['peak_pss_mib']}" + (f" ({r['peak_hwm_mib']})" if r.get("peak_hwm_mib") else "")
        print(f"| {r['size']} | {r['scenario']} | {r['system']} | {r['calls_per_second']:,.0f} | {r['failed']} | "
              f"{r['retransmissions']} | {r['cpu_us_per_call']} | {memory} | "
              f"{r.get('cpu_ratio_to_kamailio', '') or ''} | {r.get('cpu_ratio_to_floor', '') or ''} |")
    for size, figures in imports.items():
        print(f"sipfence policy import, {size}: {figures['seconds']} s, peak RSS {figures['peak_rss_mib']} MiB")
    lab.log(f"results in {os.path.join(out, 'results.json')}")


if __name__ == "__main__":
    main()
