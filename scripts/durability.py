#!/usr/bin/env python3
"""Driver of scripts/durability.sh: kill -9 during API writes; every acknowledged write
must survive. Python 3 stdlib only. See durability.sh for what it measures and the goals.

Each iteration: the daemon runs on a store kept for the whole run; a burst of concurrent
API writes (create IpAccessControlLists, IpAddresses, Domains, Auth/Calls mappings, and
delete IpAddresses acknowledged earlier in the burst) runs until `kill -9` hits the daemon
at a random moment (after a random number of acknowledged writes, plus a random few
milliseconds). The daemon is restarted on the same store, and every write that got a 2xx
is checked: a created record is fetched by its SID and must hold what was written; a
deleted one must answer 404. The store's integrity is checked (PRAGMA integrity_check and
foreign_key_check, read-only, beside the running daemon) and the daemon's log of the
restart is searched for errors. At the end every surviving SID must be in
`sipfence policy export`, and no acknowledged delete may be.
"""

import argparse
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sipfence_lab as lab  # noqa: E402


class Ledger:
    """What the daemon acknowledged, and what is in doubt."""

    def __init__(self):
        self.lock = threading.Lock()
        self.created = {}  # sid -> (path to GET, {field: expected value}, iteration)
        self.exported = {}  # sid -> its key in parse_export()'s result
        self.deleted = {}  # sid -> (path, iteration): acknowledged deletes (must be 404)
        self.doubtful = set()  # sids whose delete was sent but never answered: either state is fine
        self.acks = 0
        self.unexpected = []  # non-2xx answers before the kill

    def ack_create(self, sid, path, expect, iteration, exported=None):
        """`exported`: how the record shows in `policy export` (default: its SID)."""
        with self.lock:
            self.created[sid] = (path, expect, iteration)
            self.exported[sid] = exported or sid
            self.acks += 1

    def ack_delete(self, sid, iteration):
        with self.lock:
            path = self.created.pop(sid)[0]
            self.deleted[sid] = (path, iteration)
            self.acks += 1


class Burst:
    def __init__(self, api, ledger, iteration, parent_list, writers, rng_seed):
        self.api = api
        self.ledger = ledger
        self.iteration = iteration
        self.parent = parent_list
        self.writers = writers
        self.seed = rng_seed
        self.acks = 0
        self.acks_lock = threading.Lock()
        self.ack_event = threading.Condition(self.acks_lock)
        self.unanswered = 0
        self.threads = []

    def bump(self):
        with self.acks_lock:
            self.acks += 1
            self.ack_event.notify_all()

    def writer(self, number):
        rng = random.Random(self.seed * 1000 + number)
        mine_addresses = []  # sids of addresses this writer created (deletable)
        mine_domains = []  # sids of domains not mapped yet
        n = 0
        it = self.iteration
        ledger = self.ledger
        while True:
            n += 1
            choice = rng.random()
            try:
                if choice < 0.10 and mine_addresses:
                    sid = mine_addresses.pop(rng.randrange(len(mine_addresses)))
                    path = f"/IpAccessControlLists/{self.parent}/IpAddresses/{sid}.json"
                    with ledger.lock:
                        ledger.doubtful.add(sid)
                    status, body = self.api.request("DELETE", path)
                    if status == 204:
                        with ledger.lock:
                            ledger.doubtful.discard(sid)
                        ledger.ack_delete(sid, it)
                        self.bump()
                    else:
                        with ledger.lock:
                            ledger.doubtful.discard(sid)
                            ledger.unexpected.append(f"DELETE {path}: {status} {body}")
                    continue
                if choice < 0.22 and mine_domains:
                    domain = mine_domains.pop()
                    path = f"/Domains/{domain}/Auth/Calls/IpAccessControlListMappings.json"
                    status, body = self.api.request("POST", path, {"IpAccessControlListSid": self.parent})
                    if 200 <= status < 300 and body and body.get("sid") == self.parent:
                        get = f"/Domains/{domain}/Auth/Calls/IpAccessControlListMappings/{self.parent}.json"
                        # A mapping's SID is the list's; the ledger keys it by domain too.
                        ledger.ack_create(f"map:{domain}", get, {"sid": self.parent}, it,
                                          exported=("mapping", domain, self.parent))
                        self.bump()
                    else:
                        ledger.unexpected.append(f"POST {path}: {status} {body}")
                    continue
                if choice < 0.60:
                    address = f"10.{it % 250}.{(number * 31 + n // 250) % 250}.{n % 250 + 1}"
                    form = {"FriendlyName": f"i{it}w{number}n{n}", "IpAddress": address}
                    path = f"/IpAccessControlLists/{self.parent}/IpAddresses.json"
                    status, body = self.api.request("POST", path, form)
                    if 200 <= status < 300 and body and "sid" in body:
                        sid = body["sid"]
                        ledger.ack_create(
                            sid, f"/IpAccessControlLists/{self.parent}/IpAddresses/{sid}.json",
                            {"friendly_name": form["FriendlyName"], "ip_address": address}, it,
                            exported=("address", self.parent, form["FriendlyName"], address))
                        mine_addresses.append(sid)
                        self.bump()
                    else:
                        ledger.unexpected.append(f"POST {path}: {status} {body}")
                elif choice < 0.78:
                    form = {"FriendlyName": f"list-i{it}w{number}n{n}"}
                    status, body = self.api.request("POST", "/IpAccessControlLists.json", form)
                    if 200 <= status < 300 and body and "sid" in body:
                        sid = body["sid"]
                        ledger.ack_create(sid, f"/IpAccessControlLists/{sid}.json",
                                          {"friendly_name": form["FriendlyName"]}, it)
                        self.bump()
                    else:
                        ledger.unexpected.append(f"POST IpAccessControlLists: {status} {body}")
                else:
                    name = f"i{it}-w{number}-n{n}.durability.test"
                    status, body = self.api.request("POST", "/Domains.json", {"DomainName": name})
                    if 200 <= status < 300 and body and "sid" in body:
                        sid = body["sid"]
                        ledger.ack_create(sid, f"/Domains/{sid}.json", {"domain_name": name}, it)
                        mine_domains.append(sid)
                        self.bump()
                    else:
                        ledger.unexpected.append(f"POST Domains: {status} {body}")
            except OSError:
                # No answer: the daemon is gone (urllib's errors are OSErrors). This write
                # was never acknowledged, so it may or may not be in the store.
                with self.acks_lock:
                    self.unanswered += 1
                return

    def start(self):
        for number in range(self.writers):
            thread = threading.Thread(target=self.writer, args=(number,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def wait_for_acks(self, count, timeout):
        deadline = time.monotonic() + timeout
        with self.acks_lock:
            while self.acks < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.ack_event.wait(left)
        return True

    def join(self, timeout):
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return all(not t.is_alive() for t in self.threads)


def verify(api, ledger, iterations):
    """Missing creates, resurrected deletes and other errors, for the given iterations."""
    missing, resurrected, mismatched = [], [], []
    with ledger.lock:
        created = [(sid, v) for sid, v in ledger.created.items() if v[2] in iterations]
        deleted = [(sid, v) for sid, v in ledger.deleted.items() if v[1] in iterations]
        doubtful = set(ledger.doubtful)
    for sid, (path, expect, _) in created:
        if sid in doubtful:
            continue
        status, body = api.request("GET", path)
        if status == 404:
            missing.append(f"{sid} ({path})")
        elif status != 200 or body is None:
            mismatched.append(f"{sid} ({path}): {status} {body}")
        else:
            for key, value in expect.items():
                if body.get(key) != value:
                    mismatched.append(f"{sid} ({path}): {key}={body.get(key)!r}, wrote {value!r}")
    for sid, (path, _) in deleted:
        status, _ = api.request("GET", path)
        if status != 404:
            resurrected.append(f"{sid} ({path}): {status}")
    return missing, resurrected, mismatched


def integrity(store):
    """PRAGMA integrity_check and foreign_key_check, read-only, beside the running daemon."""
    connection = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=10)
    try:
        result = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        foreign = connection.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        connection.close()
    problems = [] if result == ["ok"] else result
    problems += [f"foreign key: {row}" for row in foreign]
    return problems


def parse_export(text):
    """The records of a `policy export`: domain and list SIDs, ("address", list SID,
    friendly name, address) for list entries (they carry no SID in the export), and
    ("mapping", domain SID, list SID) for Auth/Calls mappings. A line-based reading of the
    export's fixed layout (no YAML library in the standard library)."""
    records = set()
    section = domain = list_sid = entry_name = mapping_kind = None
    for line in text.splitlines():
        stripped = line.strip()
        if re.match(r"^  (domains|ip_access_control_lists|credential_lists):", line):
            section = stripped.rstrip(":")
            continue
        match = re.match(r"^  - sid: ((?:SD|AL|CL)[0-9a-f]{32})$", line)
        if match:
            records.add(match.group(1))
            domain = match.group(1) if section == "domains" else None
            list_sid = match.group(1) if section == "ip_access_control_lists" else None
            continue
        if domain and re.match(r"^    [a-z_]+:", line):
            mapping_kind = stripped.rstrip(":").split(":")[0]
            continue
        if domain and stripped.startswith("- AL") and mapping_kind == "auth_calls_ip_access_control_list_mappings":
            records.add(("mapping", domain, stripped[2:]))
        if list_sid:
            match = re.match(r"^    - friendly_name: (.*)$", line)
            if match:
                entry_name = match.group(1).strip("'\"")
                continue
            match = re.match(r"^      ip_address: (.*)$", line)
            if match and entry_name is not None:
                records.add(("address", list_sid, entry_name, match.group(1).strip("'\"")))
                entry_name = None
    return records


LOG_PROBLEM = re.compile(r"corrupt|malformed|integrity|disk image|\berror\b|critical|fatal", re.IGNORECASE)


def start_problems(stderr_path, start_number):
    """Lines of the given start's log that speak of errors."""
    lines, inside = [], False
    with open(stderr_path, errors="replace") as f:
        for line in f:
            if line.startswith("==== start "):
                inside = line.split()[2] == str(start_number)
                continue
            if inside and LOG_PROBLEM.search(line):
                lines.append(line.rstrip())
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--writers", type=int, default=8, help="concurrent writers in each burst")
    parser.add_argument("--max-acks-before-kill", type=int, default=120,
                        help="kill after a random number of acknowledged writes in 0..this")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--output", default=None, help="directory for the store, logs and the report")
    args = parser.parse_args()

    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    output = args.output or tempfile.mkdtemp(prefix="sipfence-durability.")
    os.makedirs(output, exist_ok=True)
    store = os.path.join(output, "state", "sipfence.sqlite")
    config = lab.write_config(output, upstream=f"udp:127.0.0.1:{lab.free_port()}", store=store)
    lab.log(f"output in {output} (seed {seed})")

    children = lab.Children()
    lab.exit_on_signals()
    ledger = Ledger()
    integrity_problems, log_problems, start_failures = [], [], []
    missing_total, resurrected_total, mismatched_total = [], [], []
    unanswered_total, kills, per_iteration = 0, 0, []
    daemon = lab.Daemon(children, args.binary, config, output)
    try:
        daemon.start()
        for iteration in range(args.iterations):
            api = lab.API(daemon.api)
            parent = api.create("/IpAccessControlLists.json", {"FriendlyName": f"parent-{iteration}"})
            ledger.ack_create(parent, f"/IpAccessControlLists/{parent}.json",
                              {"friendly_name": f"parent-{iteration}"}, iteration)
            target = rng.randint(0, args.max_acks_before_kill)
            jitter = rng.uniform(0, 0.005)
            burst = Burst(api, ledger, iteration, parent, args.writers, rng.randrange(1 << 30))
            before = ledger.acks
            burst.start()
            if not burst.wait_for_acks(target, timeout=60):
                raise RuntimeError(f"iteration {iteration}: only {burst.acks} acknowledged writes in 60 s")
            time.sleep(jitter)
            daemon.kill9()
            kills += 1
            if not burst.join(timeout=30):
                raise RuntimeError(f"iteration {iteration}: writers still running 30 s after the kill")
            unanswered_total += burst.unanswered
            acked = ledger.acks - before
            try:
                daemon.start()
            except RuntimeError as error:
                start_failures.append(f"iteration {iteration}: {error}")
                raise
            log_problems += [f"iteration {iteration}: {line}" for line in start_problems(
                os.path.join(output, "sipfence.stderr"), daemon.starts)]
            api = lab.API(daemon.api)
            missing, resurrected, mismatched = verify(api, ledger, {iteration})
            problems = integrity(store)
            integrity_problems += [f"iteration {iteration}: {p}" for p in problems]
            missing_total += missing
            resurrected_total += resurrected
            mismatched_total += mismatched
            per_iteration.append((iteration, target, acked, burst.unanswered, len(missing) + len(resurrected)))
            lab.log(f"iteration {iteration + 1}/{args.iterations}: kill after {target} acks (+{jitter * 1000:.1f} ms): "
                    f"{acked} acknowledged, {burst.unanswered} unanswered, missing {len(missing)}, "
                    f"resurrected {len(resurrected)}, mismatched {len(mismatched)}, integrity {'ok' if not problems else problems}")
        # Everything, once more, through the API of the last start.
        lab.log("final check: every acknowledged write of every iteration, by GET")
        final_missing, final_resurrected, final_mismatched = verify(
            lab.API(daemon.api), ledger, set(range(args.iterations)))
        daemon.stop()
        lab.log("final check: sipfence policy export")
        export = subprocess.run([args.binary, "policy", "export", "--config", config],
                                capture_output=True, text=True, timeout=120)
        if export.returncode != 0:
            raise RuntimeError(f"policy export failed ({export.returncode}): {export.stderr}")
        exported = parse_export(export.stdout)
        with ledger.lock:
            expected = {ledger.exported[sid] for sid in ledger.created if sid not in ledger.doubtful}
            deleted = {ledger.exported[sid] for sid in ledger.deleted}
        export_missing = sorted(map(str, expected - exported))
        export_resurrected = sorted(map(str, deleted & exported))
        with open(os.path.join(output, "policy-export.yaml"), "w") as f:
            f.write(export.stdout)
    finally:
        children.stop_all()

    with ledger.lock:
        acked_creates = len(ledger.created) + len(ledger.deleted)
        acked_deletes = len(ledger.deleted)
        doubtful = len(ledger.doubtful)
        unexpected = list(ledger.unexpected)
    rows = [
        ("iterations (kill -9)", kills),
        ("writes acknowledged (2xx)", ledger.acks),
        ("  creates / deletes", f"{acked_creates} / {acked_deletes}"),
        ("writes unanswered at a kill", unanswered_total),
        ("  of them deletes (either state accepted)", doubtful),
        ("missing after restart (goal 0)", len(missing_total)),
        ("acknowledged deletes back after restart (goal 0)", len(resurrected_total)),
        ("fields differing from what was written (goal 0)", len(mismatched_total)),
        ("final GET of all: missing / back / differing", f"{len(final_missing)} / {len(final_resurrected)} / {len(final_mismatched)}"),
        ("policy export: missing / deleted but present", f"{len(export_missing)} / {len(export_resurrected)}"),
        ("integrity_check / foreign_key_check problems", len(integrity_problems)),
        ("error lines in restart logs", len(log_problems)),
        ("non-2xx answers before the kill", len(unexpected)),
        ("daemon starts", daemon.starts),
    ]
    width = max(len(r[0]) for r in rows)
    report = ["", "sipfence durability: kill -9 during API writes", ""]
    report += [f"  {name.ljust(width)}  {value}" for name, value in rows]
    report.append("")
    for title, items in (("missing", missing_total), ("resurrected", resurrected_total),
                         ("mismatched", mismatched_total), ("final missing", final_missing),
                         ("export missing", export_missing), ("export resurrected", export_resurrected),
                         ("integrity", integrity_problems), ("restart log", log_problems),
                         ("unexpected answers", unexpected)):
        for item in items[:20]:
            report.append(f"  {title}: {item}")
        if len(items) > 20:
            report.append(f"  {title}: … {len(items) - 20} more")
    report.append(f"  output: {output} (seed {seed})")
    text = "\n".join(report)
    print(text)
    with open(os.path.join(output, "report.txt"), "w") as f:
        f.write(text + "\n")
        f.write("\niteration,kill_after_acks,acknowledged,unanswered,lost\n")
        for row in per_iteration:
            f.write(",".join(map(str, row)) + "\n")
    failed = (missing_total or resurrected_total or mismatched_total or final_missing or final_resurrected
              or final_mismatched or export_missing or export_resurrected or integrity_problems or start_failures)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
