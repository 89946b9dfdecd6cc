#!/usr/bin/env python3
"""How long after the API acknowledges a change does the SIP path enforce it?

Imports a policy of PREFIXES random IPv4 prefixes (one list, one domain; the generator
of Benchmarks/versus-kamailio) with `sipfence policy import`, starts `sipfence run` on
loopback, and then CHANGES times alternately adds 127.0.0.2/32 to that list and deletes
it again through the Twilio API. After each 2xx it sends INVITEs from 127.0.0.2 until the
SIP path gives the new verdict: a 403 back, or the INVITE forwarded to an upstream socket
this script holds. The figure is the time from the 2xx to that verdict (the probe's own
round trip, about 0.1 ms, included).

Also reported: the API write's own time, the daemon's RSS before the changes and its
largest sample during them (every 5 ms), its VmHWM, its CPU per change (the probes
included) and the mean time of its policy updates (from /metrics), and the import's time
and peak RSS. With --output, a store imported by an earlier run there is used again.

The baseline, in the same run: --reloads SIGHUPs, each of which compiles the whole policy
from the store (what every change cost before the change journal); the ratio of the mean
journal update to the mean whole compile is printed.

With --store-url, the store is that PostgreSQL database (an empty one; README: Running a
fleet) instead of a SQLite file: the import, the daemon and the changes all go through it.

Usage: measure.py SIPFENCE_BINARY [--prefixes 1000000] [--domains 1] [--changes 200] [--reloads 5] [--output DIR]
                  [--store-url postgres://USER@HOST:PORT/DATABASE]
"""
import argparse
import os
import random
import select
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import sipfence_lab as lab  # noqa: E402

DOMAIN = "bench.example"
PROBE = "127.0.0.2"


def domain_name(index, domains):
    return DOMAIN if domains == 1 else f"d{index + 1}.{DOMAIN}"


def list_name(index, domains):
    return "bulk" if domains == 1 else f"list{index + 1}"


def write_policy(path, prefixes, domains):
    """`domains` domains, each mapped to a list of its own; `prefixes` in all."""
    rng = random.Random(f"sipfence-policy-latency-{prefixes}-{domains}")
    with open(path, "w") as policy:
        policy.write(f"accounts:\n  - sid: {lab.ACCOUNT_SID}\n    ip_access_control_lists:\n")
        for d in range(domains):
            policy.write(f"      - friendly_name: {list_name(d, domains)}\n        ip_addresses:\n")
            for network, length in lab.random_prefixes(rng, prefixes // domains):
                policy.write(f"          - ip_address: {lab.dotted(network)}/{length}\n")
        policy.write("    domains:\n")
        for d in range(domains):
            policy.write(f"      - domain_name: {domain_name(d, domains)}\n"
                         f"        ip_access_control_list_mappings: [{list_name(d, domains)}]\n")


class RSSSampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.running = True

    def run(self):
        while self.running:
            self.peak = max(self.peak, lab.status_value(self.pid, "VmRSS"))
            time.sleep(0.005)


class Prober:
    """INVITEs from 127.0.0.2 to the daemon; tells 403 from forwarded."""

    def __init__(self, daemon_address, upstream, domain):
        self.daemon = daemon_address
        self.domain = domain
        self.upstream = upstream
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind((PROBE, 0))
        self.port = self.socket.getsockname()[1]
        self.sequence = 0

    def invite(self):
        self.sequence += 1
        tag = f"{os.getpid()}-{self.sequence}"
        return (
            f"INVITE sip:bob@{self.domain} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {PROBE}:{self.port};branch=z9hG4bK-{tag};rport\r\n"
            f"Max-Forwards: 70\r\n"
            f"From: <sip:probe@{PROBE}>;tag={tag}\r\n"
            f"To: <sip:bob@{self.domain}>\r\n"
            f"Call-ID: latency-{tag}@{PROBE}\r\n"
            f"CSeq: 1 INVITE\r\n"
            f"Contact: <sip:probe@{PROBE}:{self.port}>\r\n"
            f"Content-Length: 0\r\n\r\n"
        ).encode()

    def drain(self):
        for sock in (self.socket, self.upstream):
            sock.setblocking(False)
            try:
                while True:
                    sock.recv(65536)
            except BlockingIOError:
                pass
            sock.setblocking(True)

    def verdict(self, timeout=0.05):
        """'admit', 'reject' or None (no answer within `timeout`)."""
        self.drain()
        call_id = f"latency-{os.getpid()}-{self.sequence + 1}@"
        self.socket.sendto(self.invite(), self.daemon)
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.socket, self.upstream], [], [], left)
            for sock in ready:
                data = sock.recv(65536)
                if call_id.encode() not in data:
                    continue  # a late answer to an earlier probe
                if sock is self.upstream and data.startswith(b"INVITE "):
                    return "admit"
                if sock is self.socket and data.startswith(b"SIP/2.0 403"):
                    return "reject"
        return None

    def wait_for(self, wanted, limit=30.0):
        start = time.perf_counter()
        while time.perf_counter() - start < limit:
            if self.verdict() == wanted:
                return
            time.sleep(0.0005)  # leave the daemon's CPU to the update
        raise RuntimeError(f"the SIP path did not {wanted} {PROBE} within {limit} s")


def update_durations(api_base):
    """how -> (seconds, count) of the daemon's policy updates, from /metrics."""
    import urllib.request
    sums, counts = {}, {}
    with urllib.request.urlopen(api_base + "/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            for suffix, into in (("_sum", sums), ("_count", counts)):
                head = f"sipfence_policy_update_duration_seconds{suffix}{{how=\""
                if line.startswith(head):
                    how = line[len(head):].split('"', 1)[0]
                    into[how] = float(line.rsplit(" ", 1)[1])
    return {how: (sums[how], counts[how]) for how in counts if counts[how] and how in sums}


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(fraction * len(ordered))) - 1))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("--prefixes", type=int, default=1_000_000)
    parser.add_argument("--domains", type=int, default=1,
                        help="spread the prefixes over this many domains, each with a list of its own; "
                             "the changes go to the middle domain's list")
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--reloads", type=int, default=5,
                        help="then SIGHUP this many times: each compiles the whole policy (the baseline)")
    parser.add_argument("--output", help="keep the store, configuration and logs here")
    parser.add_argument("--store-url", help="an empty PostgreSQL database to use as the store (SIPFENCE_STORE_URL)")
    options = parser.parse_args()
    if options.store_url:
        os.environ["SIPFENCE_STORE_URL"] = options.store_url  # the import's and the daemon's

    directory = options.output or tempfile.mkdtemp(prefix="sipfence-policy-latency-")
    os.makedirs(directory, exist_ok=True)
    children = lab.Children()
    lab.exit_on_signals()
    upstream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    upstream.bind(("127.0.0.1", 0))
    extra = "  flood: {unknown_source_rate: 0, known_source_rate: 0, digest_failures_per_minute: 0}\n"
    config = lab.write_config(directory, f"udp:127.0.0.1:{upstream.getsockname()[1]}", extra=extra, log_level="warning")
    try:
        policy = os.path.join(directory, "policy.yaml")
        store = os.path.join(directory, "state", "sipfence.sqlite")
        imported = None
        if os.path.exists(store) and not options.store_url:
            lab.log(f"using the store in {store} (imported before)")
        else:
            lab.log(f"writing {options.prefixes} prefixes to {policy}")
            write_policy(policy, options.prefixes, options.domains)
            started = time.monotonic()
            result = subprocess.run(
                ["/usr/bin/time", "-f", "%M", options.binary, "policy", "import", "--config", config, policy],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if result.returncode != 0:
                raise RuntimeError(f"policy import failed: {result.stderr}")
            imported = (time.monotonic() - started, int(result.stderr.strip().splitlines()[-1]))
            lab.log(f"imported in {imported[0]:.1f} s, peak RSS {imported[1] / 1024:.0f} MiB")

        daemon = lab.Daemon(children, options.binary, config, directory).start(timeout=600, expect=("udp", "http"))
        api = lab.API(daemon.api)
        target = options.domains // 2
        status, lists = api.request("GET", "/IpAccessControlLists.json?PageSize=1000")
        list_sid = next(item["sid"] for item in lists["ip_access_control_lists"]
                        if item["friendly_name"] == list_name(target, options.domains))
        prober = Prober(daemon.endpoint("udp"), upstream, domain_name(target, options.domains))
        prober.wait_for("reject")
        time.sleep(1.0)  # let start-up work settle before measuring
        rss_before = lab.status_value(daemon.pid, "VmRSS")
        sampler = RSSSampler(daemon.pid)
        sampler.start()
        cpu_before = lab.cpu_seconds(daemon.pid)

        latencies = {"add": [], "delete": []}
        api_times = []
        entry = None
        for change in range(options.changes):
            begin = time.perf_counter()
            if entry is None:
                entry = api.create(f"/IpAccessControlLists/{list_sid}/IpAddresses.json",
                                   {"FriendlyName": "probe", "IpAddress": PROBE})
                kind, wanted = "add", "admit"
            else:
                status, _ = api.request("DELETE", f"/IpAccessControlLists/{list_sid}/IpAddresses/{entry}.json")
                if status != 204:
                    raise RuntimeError(f"DELETE answered {status}")
                entry = None
                kind, wanted = "delete", "reject"
            acknowledged = time.perf_counter()
            api_times.append((acknowledged - begin) * 1000)
            prober.wait_for(wanted)
            latencies[kind].append((time.perf_counter() - acknowledged) * 1000)
        cpu = lab.cpu_seconds(daemon.pid) - cpu_before
        journal_peak = sampler.peak

        # The baseline, same run: SIGHUP compiles the whole policy from the store, as every
        # change did before the change journal.
        for _ in range(options.reloads):
            before = update_durations(daemon.api).get("reload", (0.0, 0))[1]
            os.kill(daemon.pid, signal.SIGHUP)
            deadline = time.monotonic() + 120
            while update_durations(daemon.api).get("reload", (0.0, 0))[1] <= before:
                if time.monotonic() > deadline:
                    raise RuntimeError("SIGHUP did not reload the policy within 120 s")
                time.sleep(0.05)
        sampler.running = False
        sampler.join()
        hwm = lab.status_value(daemon.pid, "VmHWM")

        every = latencies["add"] + latencies["delete"]
        print(f"\n{options.prefixes} prefixes in {options.domains} domain(s), {len(every)} changes "
              "(API 2xx -> SIP verdict), ms:")
        print("| change | n | p50 | p99 | max |")
        print("|---|---|---|---|---|")
        for name, values in (("add 127.0.0.2", latencies["add"]), ("delete it", latencies["delete"]), ("all", every)):
            print(f"| {name} | {len(values)} | {statistics.median(values):.1f} | {percentile(values, 0.99):.1f} | {max(values):.1f} |")
        print(f"\nAPI write itself: p50 {statistics.median(api_times):.1f} ms, p99 {percentile(api_times, 0.99):.1f} ms")
        updates = update_durations(daemon.api)
        print(f"daemon CPU per change, probes included: {cpu / len(every) * 1000:.1f} ms")
        for how, (total, count) in sorted(updates.items()):
            print(f"policy updates by {how}: {int(count)}, mean {total / count * 1000:.1f} ms "
                  "(sipfence_policy_update_duration_seconds)")
        print(f"daemon RSS: {rss_before / 1024:.0f} MiB before, at most {journal_peak / 1024:.0f} MiB during the changes, "
              f"{sampler.peak / 1024:.0f} MiB with the reloads; VmHWM {hwm / 1024:.0f} MiB")
        if "journal" in updates and "reload" in updates:
            journal = updates["journal"][0] / updates["journal"][1]
            reload = updates["reload"][0] / updates["reload"][1]
            print(f"update from the journal / whole compile (SIGHUP): {journal * 1000:.1f} / {reload * 1000:.1f} ms "
                  f"= {journal / reload:.3f}")
        if imported:
            print(f"policy import: {imported[0]:.1f} s, peak RSS {imported[1] / 1024:.0f} MiB")
    finally:
        children.stop_all()


if __name__ == "__main__":
    main()
