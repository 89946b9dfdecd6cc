#!/usr/bin/env python3
"""Driver of scripts/soak.sh: a long run of calls, policy changes and abuse through one
sipfence, watching its memory, file descriptors and verdicts. Python 3 stdlib only. See
soak.sh for what it measures and the goals.

Subcommands (each a separate process of its own):
  run        the whole soak (the default)
  slowloris  TCP connections from unknown loopback sources that send half a request line
             and stay silent, reconnecting whenever sipfence closes them
  flood      a UDP INVITE flood from one unknown loopback source
"""

import argparse
import csv
import json
import os
import random
import re
import selectors
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sipfence_lab as lab  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SIPP = "sipp"
DOMAIN = "soak.example.com"
CALLER = "127.0.0.2"  # the sipp caller, inside the mapped list "callers"
PROBE = "127.0.0.9"  # admitted under policy A, refused under B
UPSTREAM_HOST = "127.0.0.1"
TCP_CAP = 256  # sip.max_tcp_connections in the soak's configuration
IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)

# ---------------------------------------------------------------------------------------
# Configuration


def soak_config_extra(with_limits):
    """The soak's `sip:` keys besides listen/upstream, with the abuse limits unless the run
    is --without-limits."""
    extra = f"""  # A lower cap than the default 1024 and a short idle timeout, so that the slowloris
  # load reaches the connection cap and sipfence keeps closing and refusing connections.
  max_tcp_connections: {TCP_CAP}
  tcp_idle_seconds: 30
"""
    if with_limits:
        extra += """  # Abuse limits. The probe source (127.0.0.9) is unknown under policy B: it sends at
  # most 40 messages a second (INVITE + ACK every 50 ms), below unknown_source_rate,
  # so it must never be limited; the UDP flood source (127.0.0.66) is far above it.
  max_tcp_connections_per_source: 8
  tcp_message_timeout: 5
  tcp_first_message_timeout: 2
  max_header_bytes: 8192
  tcp_reserved_for_known: 0.25
  flood:
    unknown_source_rate: 100
    unknown_source_burst: 200
    known_source_rate: 0
    ban_after_seconds: 5
    ban_seconds: 30
    digest_failures_per_minute: 10
    ipv6_prefix_length: 64
    never_ban: ["127.0.0.1/32"]
"""
    return extra


# ---------------------------------------------------------------------------------------
# sipp


def sipp_stats(path):
    """The last line of a sipp -trace_stat file as {column: text}."""
    try:
        with open(path, errors="replace") as f:
            lines = [line.rstrip("\n") for line in f if line.strip()]
    except FileNotFoundError:
        return {}
    if len(lines) < 2:
        return {}
    header = lines[0].split(";")
    values = lines[-1].split(";")
    return dict(zip(header, values))


def stat_int(stats, key):
    try:
        return int(stats.get(key, "0") or 0)
    except ValueError:
        return 0


def sipp_counts(path):
    stats = sipp_stats(path)
    return {
        "ok": stat_int(stats, "SuccessfulCall(C)"),
        "failed": stat_int(stats, "FailedCall(C)"),
        "retrans": stat_int(stats, "Retransmissions(C)"),
        "created": stat_int(stats, "TotalCallCreated"),
        "current": stat_int(stats, "CurrentCall"),
        "incoming": stat_int(stats, "IncomingCall(C)"),
    }


def start_uas(children, out, port):
    arguments = [SIPP, "-sf", os.path.join(HERE, "soak", "uas.xml"), "-i", UPSTREAM_HOST, "-p", str(port),
                 "-t", "u1", "-nostdin", "-trace_stat", "-stf", os.path.join(out, "uas-stats.csv"), "-fd", "5",
                 "-trace_err", "-error_file", os.path.join(out, "uas-errors.log"),
                 "-trace_screen", "-screen_file", os.path.join(out, "uas-screen.log")]
    process = children.start(arguments, cwd=out, stdout=subprocess.DEVNULL,
                             stderr=open(os.path.join(out, "uas.stderr"), "ab"), stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sipp UAS exited with {process.returncode}; see {out}/uas.stderr")
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind((UPSTREAM_HOST, port))
        except OSError:
            return process  # bound by sipp
        time.sleep(0.05)
    raise RuntimeError("sipp UAS did not bind its port")


def uac_arguments(out, name, target, rate, calls, stat_period):
    return [SIPP, "-sf", os.path.join(HERE, "soak", "uac.xml"), "-i", CALLER, "-t", "u1", "-s", "soak",
            "-key", "domain", DOMAIN, "-r", str(rate), "-m", str(calls), "-l", str(max(200, rate * 5)),
            "-nostdin", "-recv_timeout", "10000",
            "-trace_stat", "-stf", os.path.join(out, f"{name}-stats.csv"), "-fd", str(stat_period),
            "-trace_err", "-error_file", os.path.join(out, f"{name}-errors.log"),
            "-trace_screen", "-screen_file", os.path.join(out, f"{name}-screen.log"), target]


# ---------------------------------------------------------------------------------------
# Rate calibration


def calibrate(children, out, target, uas_stats, drops, args):
    """The highest rate (calls/s) at which a sipp caller completes every call on time, with
    no failed call on either side and under 1 % retransmissions."""
    results = []

    def trial(rate):
        calls = int(rate * args.step_seconds)
        name = f"calibrate-{rate}"
        uas_before = sipp_counts(uas_stats)
        drops_before = drops()
        started = time.monotonic()
        process = children.start(uac_arguments(out, name, target, rate, calls, 1), cwd=out,
                                 stdout=subprocess.DEVNULL, stderr=open(os.path.join(out, f"{name}.stderr"), "wb"),
                                 stdin=subprocess.DEVNULL)
        limit = args.step_seconds * 3 + 30
        try:
            status = process.wait(limit)
        except subprocess.TimeoutExpired:
            status = None
        children.stop(process)
        elapsed = time.monotonic() - started
        time.sleep(6)  # let the UAS's 5-second statistics catch up
        counts = sipp_counts(os.path.join(out, f"{name}-stats.csv"))
        uas_after = sipp_counts(uas_stats)
        uas_failed = uas_after["failed"] - uas_before["failed"]
        dropped = [after - before for after, before in zip(drops(), drops_before)]
        on_time = elapsed <= args.step_seconds * 1.15 + 3
        ok = (status == 0 and counts["failed"] == 0 and counts["ok"] == calls and uas_failed == 0
              and on_time and counts["retrans"] <= calls * 0.01)
        results.append({"rate": rate, "calls": calls, "ok_calls": counts["ok"], "failed": counts["failed"],
                        "retrans": counts["retrans"], "uas_failed": uas_failed, "elapsed_s": round(elapsed, 1),
                        "sipp_status": status, "udp_drops_sipfence": dropped[0],
                        "udp_drops_caller": dropped[1], "udp_drops_upstream": dropped[2], "sustained": ok})
        lab.log(f"calibration: {rate} calls/s: {counts['ok']}/{calls} ok, {counts['failed']} failed, "
                f"{counts['retrans']} retransmissions, UAS failed {uas_failed}, {elapsed:.1f} s, "
                f"UDP drops sipfence/caller/upstream {dropped[0]}/{dropped[1]}/{dropped[2]} "
                f"(sipp status {status}) -> {'sustained' if ok else 'not sustained'}")
        return ok

    good, bad = 0, None
    rate = args.start_rate
    while rate <= args.max_rate:
        if trial(rate):
            good = rate
            rate *= 2
        else:
            bad = rate
            break
    if bad is not None and good > 0:
        for _ in range(args.bisect_rounds):
            middle = (good + bad) // 2
            if middle in (good, bad):
                break
            if trial(middle):
                good = middle
            else:
                bad = middle
    with open(os.path.join(out, "calibration.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(results[0].keys()))
        writer.writeheader()
        writer.writerows(results)
    return good, results


# ---------------------------------------------------------------------------------------
# Policy toggling (A: 127.0.0.9/32 in the mapped list "probe"; B: that entry deleted)


class Toggler(threading.Thread):
    def __init__(self, api, probe_list, period):
        super().__init__(daemon=True)
        self.api = api
        self.list = probe_list
        self.period = period
        self.stop_event = threading.Event()
        self.timeline = []  # (t_sent, t_done, state, ok)
        self.ok = 0
        self.failed = 0
        self.errors = []
        self.entry = None
        self.lock = threading.Lock()

    def set_state(self, state):
        sent = time.monotonic()
        try:
            if state == "A":
                status, body = self.api.request(
                    "POST", f"/IpAccessControlLists/{self.list}/IpAddresses.json",
                    {"FriendlyName": "probe", "IpAddress": PROBE})
                success = status == 201 and body and "sid" in body
                if success:
                    self.entry = body["sid"]
            else:
                status, body = self.api.request(
                    "DELETE", f"/IpAccessControlLists/{self.list}/IpAddresses/{self.entry}.json")
                success = status == 204
                if success:
                    self.entry = None
        except OSError as error:
            status, body, success = None, str(error), False
        done = time.monotonic()
        with self.lock:
            self.timeline.append((sent, done, state, bool(success)))
            if success:
                self.ok += 1
            else:
                self.failed += 1
                if len(self.errors) < 20:
                    self.errors.append(f"{state}: {status} {body}")
        return success

    def state(self):
        return "A" if self.entry else "B"

    def run(self):
        next_at = time.monotonic()
        while not self.stop_event.is_set():
            self.set_state("B" if self.entry else "A")
            next_at += self.period
            delay = next_at - time.monotonic()
            if delay > 0:
                self.stop_event.wait(delay)
            else:
                next_at = time.monotonic()

    def stop(self):
        self.stop_event.set()
        self.join(10)


# ---------------------------------------------------------------------------------------
# Verdict probe: a tiny UDP user agent at 127.0.0.9 that calls every `interval` seconds


def header_values(headers, *names):
    values = []
    for name, value in headers:
        if name in names:
            values.append(value)
    return values


def split_header_list(value):
    parts, depth, current = [], 0, ""
    for ch in value:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


def parse_sip(data):
    text = data.decode("utf-8", errors="replace")
    head = text.split("\r\n\r\n", 1)[0]
    lines = head.split("\r\n")
    headers = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:
            headers[-1] = (headers[-1][0], headers[-1][1] + " " + line.strip())
            continue
        name, _, value = line.partition(":")
        headers.append((name.strip().lower(), value.strip()))
    return lines[0], headers


COMPACT = {"i": "call-id", "t": "to", "f": "from", "m": "contact", "v": "via"}


class Probe(threading.Thread):
    """Sends an INVITE from 127.0.0.9 every `interval` and classifies the outcome: 403
    (policy B), forwarded (a 1xx/2xx from the upstream: policy A), or neither (any other
    final answer, or none within 5 s). Admitted calls are ACKed and ended with a BYE
    (which sipfence admits by the dialog token whatever the policy by then)."""

    def __init__(self, target, interval):
        super().__init__(daemon=True)
        self.target = target
        self.interval = interval
        self.stop_event = threading.Event()
        self.draining = False
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((PROBE, 0))
        self.port = self.sock.getsockname()[1]
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.sock, selectors.EVENT_READ)
        self.calls = {}
        self.results = []  # dicts
        self.lock = threading.Lock()
        self.counter = 0
        self.bye_ok = 0
        self.bye_failed = []
        self.unmatched = 0

    def counts(self):
        with self.lock:
            counts = {"A": 0, "B": 0, "neither": 0}
            for r in self.results:
                counts[r["verdict"]] += 1
            return counts

    def invite(self, call):
        return (f"INVITE sip:probe@{DOMAIN} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {PROBE}:{self.port};branch={call['branch']};rport\r\n"
                f"Max-Forwards: 70\r\n"
                f"From: <sip:probe@{PROBE}>;tag={call['tag']}\r\n"
                f"To: <sip:probe@{DOMAIN}>\r\n"
                f"Call-ID: {call['id']}\r\n"
                f"CSeq: 1 INVITE\r\n"
                f"Contact: <sip:probe@{PROBE}:{self.port}>\r\n"
                f"Content-Length: 0\r\n\r\n").encode()

    def in_dialog(self, call, method, cseq, branch, to):
        uri = call["remote_target"] or f"sip:probe@{DOMAIN}"
        routes = "".join(f"Route: {r}\r\n" for r in call["routes"])
        return (f"{method} {uri} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {PROBE}:{self.port};branch={branch};rport\r\n"
                f"{routes}"
                f"Max-Forwards: 70\r\n"
                f"From: <sip:probe@{PROBE}>;tag={call['tag']}\r\n"
                f"To: {to}\r\n"
                f"Call-ID: {call['id']}\r\n"
                f"CSeq: {cseq} {method}\r\n"
                f"Content-Length: 0\r\n\r\n").encode()

    def non2xx_ack(self, call, to):
        return (f"ACK sip:probe@{DOMAIN} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {PROBE}:{self.port};branch={call['branch']};rport\r\n"
                f"Max-Forwards: 70\r\n"
                f"From: <sip:probe@{PROBE}>;tag={call['tag']}\r\n"
                f"To: {to}\r\n"
                f"Call-ID: {call['id']}\r\n"
                f"CSeq: 1 ACK\r\n"
                f"Content-Length: 0\r\n\r\n").encode()

    def new_call(self, now):
        self.counter += 1
        token = f"{os.getpid()}x{self.counter}x{random.randrange(1 << 30):x}"
        call = {"id": f"probe-{token}@{PROBE}", "branch": f"z9hG4bK-p{token}", "tag": f"t{token}",
                "sent": now, "final": None, "verdict": None, "status": None, "provisional": False,
                "retransmit_at": now + 0.5, "retransmit_gap": 0.5, "routes": [], "remote_target": None,
                "to": None, "bye": None}
        self.calls[call["id"]] = call
        self.sock.sendto(self.invite(call), self.target)

    def finish(self, call, now, verdict, status):
        if call["verdict"] is not None:
            return
        call["verdict"] = verdict
        call["status"] = status
        call["final"] = now
        with self.lock:
            self.results.append({"sent": call["sent"], "final": now, "verdict": verdict, "status": status,
                                 "call_id": call["id"]})

    def handle(self, data, now):
        first, headers = parse_sip(data)
        headers = [(COMPACT.get(n, n), v) for n, v in headers]
        call_id = (header_values(headers, "call-id") or [""])[0]
        call = self.calls.get(call_id)
        if call is None or not first.startswith("SIP/2.0 "):
            self.unmatched += 1
            return
        status = int(first.split()[1])
        cseq = (header_values(headers, "cseq") or [""])[0]
        to = (header_values(headers, "to") or [""])[0]
        if cseq.endswith("BYE"):
            if status >= 200 and call["bye"] and not call["bye"].get("done"):
                call["bye"]["done"] = True
                if status == 200:
                    self.bye_ok += 1
                else:
                    self.bye_failed.append(f"{call_id}: BYE answered {status}")
            return
        if status < 200:
            call["provisional"] = True
            call["retransmit_at"] = None  # a provisional answer stops INVITE retransmissions
            return
        if status == 403:
            self.sock.sendto(self.non2xx_ack(call, to), self.target)
            self.finish(call, now, "B", status)
        elif 200 <= status < 300:
            if call["remote_target"] is None:
                contact = (header_values(headers, "contact") or [""])[0]
                match = re.search(r"<([^>]*)>", contact)
                call["remote_target"] = match.group(1) if match else contact.split(";")[0]
                rr = []
                for value in header_values(headers, "record-route"):
                    rr += split_header_list(value)
                call["routes"] = list(reversed(rr))
                call["to"] = to
            ack_branch = call["branch"] + "-ack"
            self.sock.sendto(self.in_dialog(call, "ACK", 1, ack_branch, call["to"]), self.target)
            self.finish(call, now, "A", status)
            if call["bye"] is None:
                call["bye"] = {"branch": call["branch"] + "-bye", "at": now, "gap": 0.5, "next": now + 0.5,
                               "done": False}
                self.sock.sendto(self.in_dialog(call, "BYE", 2, call["bye"]["branch"], call["to"]), self.target)
        else:
            self.sock.sendto(self.non2xx_ack(call, to), self.target)
            self.finish(call, now, "neither", status)

    def timers(self, now):
        for call_id, call in list(self.calls.items()):
            if call["verdict"] is None:
                if now - call["sent"] > 5.0:
                    self.finish(call, now, "neither", "no answer" if not call["provisional"] else "no final answer")
                elif call["retransmit_at"] is not None and now >= call["retransmit_at"]:
                    self.sock.sendto(self.invite(call), self.target)
                    call["retransmit_gap"] = min(call["retransmit_gap"] * 2, 4.0)
                    call["retransmit_at"] = now + call["retransmit_gap"]
            bye = call["bye"]
            if bye is not None and not bye["done"]:
                if now - bye["at"] > 5.0:
                    bye["done"] = True
                    self.bye_failed.append(f"{call_id}: BYE unanswered")
                elif now >= bye["next"]:
                    self.sock.sendto(self.in_dialog(call, "BYE", 2, bye["branch"], call["to"]), self.target)
                    bye["gap"] = min(bye["gap"] * 2, 4.0)
                    bye["next"] = now + bye["gap"]
            # Forget a call 32 s after it ended (late retransmissions of its 200 still get ACKed).
            settled = call["verdict"] is not None and (bye is None or bye["done"])
            if settled and now - call["final"] > 32:
                del self.calls[call_id]

    def run(self):
        next_send = time.monotonic()
        while True:
            now = time.monotonic()
            if not self.stop_event.is_set() and now >= next_send:
                self.new_call(now)
                next_send += self.interval
                if next_send < now:
                    next_send = now + self.interval
            if self.stop_event.is_set():
                pending = [c for c in self.calls.values()
                           if c["verdict"] is None or (c["bye"] is not None and not c["bye"]["done"])]
                if not pending:
                    break
            self.timers(now)
            wait = max(0.0, min(next_send - time.monotonic(), 0.01))
            if self.selector.select(wait):
                while True:
                    try:
                        data = self.sock.recv(65535, socket.MSG_DONTWAIT)
                    except BlockingIOError:
                        break
                    self.handle(data, time.monotonic())
        self.selector.close()
        self.sock.close()

    def stop(self):
        self.stop_event.set()
        self.join(15)


def classify(results, timeline):
    """Each probe verdict against the policy that certainly held while it ran: state X
    holds from the acknowledgement of the write that set it to the sending of the next
    write. Returns (certain, stale, stale_lags): verdicts judged, those of the other policy,
    and how long after the acknowledgement each stale INVITE was sent."""
    certain, stale, lags = 0, 0, []
    ok_changes = [t for t in timeline if t[3]]
    index = 0
    for r in sorted(results, key=lambda r: r["sent"]):
        if r["verdict"] == "neither":
            continue
        while index + 1 < len(ok_changes) and ok_changes[index + 1][1] <= r["sent"]:
            index += 1
        if not ok_changes or ok_changes[index][1] > r["sent"]:
            continue
        change = ok_changes[index]
        next_sent = ok_changes[index + 1][0] if index + 1 < len(ok_changes) else float("inf")
        if r["final"] > next_sent:
            continue
        certain += 1
        if r["verdict"] != change[2]:
            stale += 1
            lags.append(r["sent"] - change[1])
    return certain, stale, lags


# ---------------------------------------------------------------------------------------
# Abuse: slowloris and flood (each run as its own process)


def write_status(path, status):
    temporary = path + ".tmp"
    with open(temporary, "w") as f:
        json.dump(status, f)
    os.replace(temporary, path)


def slowloris_main(argv):
    parser = argparse.ArgumentParser(prog="soak.py slowloris")
    parser.add_argument("--target", required=True, help="HOST:PORT of sipfence's TCP listener")
    parser.add_argument("--first", default="127.0.0.50")
    parser.add_argument("--last", default="127.0.0.60")
    parser.add_argument("--per-source", type=int, default=40)
    parser.add_argument("--reconnect-delay", type=float, default=0.5,
                        help="mean seconds before a closed connection is opened again (jittered ±50 %%)")
    parser.add_argument("--status", required=True)
    args = parser.parse_args(argv)
    lab.exit_on_signals()
    host, _, port = args.target.rpartition(":")
    target = (host, int(port))
    base = args.first.rsplit(".", 1)[0]
    first, last = int(args.first.rsplit(".", 1)[1]), int(args.last.rsplit(".", 1)[1])
    sources = [f"{base}.{n}" for n in range(first, last + 1)]
    half = f"INVITE sip:slow@{DOMAIN} SIP/2.0\r\nVia: SIP/2.0/TCP ".encode()
    selector = selectors.DefaultSelector()
    stats = {"connects": 0, "connect_errors": 0, "closed_by_peer": 0, "open": 0, "sent_half": 0}
    pending = []  # (time, source)

    def connect(source):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        s.setblocking(False)
        try:
            s.bind((source, 0))
            s.connect_ex(target)
        except OSError:
            s.close()
            stats["connect_errors"] += 1
            pending.append((time.monotonic() + args.reconnect_delay * random.uniform(0.5, 1.5), source))
            return
        selector.register(s, selectors.EVENT_WRITE, [source, "connecting"])
        stats["connects"] += 1

    def closed(s, key_data, by_peer):
        selector.unregister(s)
        s.close()
        if key_data[1] == "open":
            stats["open"] -= 1
        if by_peer:
            stats["closed_by_peer"] += 1
        else:
            stats["connect_errors"] += 1
        pending.append((time.monotonic() + args.reconnect_delay * random.uniform(0.5, 1.5), key_data[0]))

    for source in sources:
        for _ in range(args.per_source):
            connect(source)
    next_status = 0.0
    try:
        while True:
            now = time.monotonic()
            due = [p for p in pending if p[0] <= now]
            pending[:] = [p for p in pending if p[0] > now]
            for _, source in due:
                connect(source)
            for key, events in selector.select(0.05):
                s, data = key.fileobj, key.data
                if data[1] == "connecting":
                    error = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if error:
                        closed(s, data, by_peer=False)
                        continue
                    try:
                        s.send(half)
                        stats["sent_half"] += 1
                    except OSError:
                        closed(s, data, by_peer=True)
                        continue
                    data[1] = "open"
                    stats["open"] += 1
                    selector.modify(s, selectors.EVENT_READ, data)
                else:
                    try:
                        chunk = s.recv(65535)
                    except OSError:
                        chunk = b""
                    if not chunk:
                        closed(s, data, by_peer=True)
                    # Anything sipfence says (e.g. an error answer) is read and ignored.
            if now >= next_status:
                write_status(args.status, stats)
                next_status = now + 1.0
    finally:
        write_status(args.status, stats)


def flood_main(argv):
    parser = argparse.ArgumentParser(prog="soak.py flood")
    parser.add_argument("--target", required=True, help="HOST:PORT of sipfence's UDP listener")
    parser.add_argument("--source", default="127.0.0.66")
    parser.add_argument("--rate", type=float, default=300)
    parser.add_argument("--status", required=True)
    args = parser.parse_args(argv)
    lab.exit_on_signals()
    host, _, port = args.target.rpartition(":")
    target = (host, int(port))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((args.source, 0))
    s.setblocking(False)
    local_port = s.getsockname()[1]
    stats = {"sent": 0, "answers": {}}
    started = time.monotonic()
    next_status = 0.0
    n = 0
    try:
        while True:
            now = time.monotonic()
            due = int((now - started) * args.rate) - stats["sent"]
            for _ in range(max(0, min(due, 1000))):
                n += 1
                message = (f"INVITE sip:flood@{DOMAIN} SIP/2.0\r\n"
                           f"Via: SIP/2.0/UDP {args.source}:{local_port};branch=z9hG4bK-f{n}\r\n"
                           f"Max-Forwards: 70\r\nFrom: <sip:flood@{args.source}>;tag=f{n}\r\n"
                           f"To: <sip:flood@{DOMAIN}>\r\nCall-ID: flood-{n}@{args.source}\r\n"
                           f"CSeq: 1 INVITE\r\nContact: <sip:flood@{args.source}:{local_port}>\r\n"
                           f"Content-Length: 0\r\n\r\n").encode()
                try:
                    s.sendto(message, target)
                except OSError:
                    pass
                stats["sent"] += 1
            while True:
                try:
                    data = s.recv(65535)
                except BlockingIOError:
                    break
                parts = data.split(b" ", 2)
                code = parts[1].decode(errors="replace") if len(parts) > 1 else "?"
                stats["answers"][code] = stats["answers"].get(code, 0) + 1
            if now >= next_status:
                write_status(args.status, stats)
                next_status = now + 1.0
            time.sleep(0.01)
    finally:
        write_status(args.status, stats)


def read_status(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (FileNotFoundError, ValueError):
        return {}


# ---------------------------------------------------------------------------------------
# The soak


def metric(base, name):
    try:
        with urllib.request.urlopen(base + "/metrics", timeout=3) as response:
            text = response.read().decode(errors="replace")
    except OSError:
        return None
    total, found = 0.0, False
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
            found = True
    return total if found else None


def slope_per_minute(points):
    """Least-squares slope of (seconds, value) points, per minute."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    sxx = sum((p[0] - mx) ** 2 for p in points)
    if sxx == 0:
        return 0.0
    return sum((p[0] - mx) * (p[1] - my) for p in points) / sxx * 60


def run_main(argv):
    parser = argparse.ArgumentParser(prog="soak.py run")
    parser.add_argument("--binary", required=True)
    parser.add_argument("--rate", type=int, default=None)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--warmup-seconds", type=float, default=60)
    parser.add_argument("--with-limits", action="store_true")
    parser.add_argument("--output", default=None)
    parser.add_argument("--sample-seconds", type=float, default=5)
    parser.add_argument("--probe-interval", type=float, default=0.05)
    parser.add_argument("--toggle-interval", type=float, default=0.1)
    parser.add_argument("--slowloris-per-source", type=int, default=40)
    parser.add_argument("--udp-flood-rate", type=float, default=300)
    parser.add_argument("--step-seconds", type=float, default=20)
    parser.add_argument("--start-rate", type=int, default=50)
    parser.add_argument("--max-rate", type=int, default=6400)
    parser.add_argument("--bisect-rounds", type=int, default=3)
    parser.add_argument("--calibrate-only", action="store_true")
    parser.add_argument("--rate-fraction", type=float, default=0.5,
                        help="soak at this fraction of the measured rate (without --rate)")
    args = parser.parse_args(argv)

    out = args.output or tempfile.mkdtemp(prefix="sipfence-soak.")
    os.makedirs(out, exist_ok=True)
    lab.log(f"output in {out}")
    children = lab.Children()
    lab.exit_on_signals()
    threads = []
    try:
        return soak(args, out, children, threads)
    finally:
        for thread in threads:
            thread.stop_event.set()
        children.stop_all()


def soak(args, out, children, threads):
    uas_port = lab.free_port()
    uas = start_uas(children, out, uas_port)
    uas_stats = os.path.join(out, "uas-stats.csv")
    config = lab.write_config(out, upstream=f"udp:{UPSTREAM_HOST}:{uas_port}",
                              extra=soak_config_extra(args.with_limits))
    check = subprocess.run([args.binary, "check-config", "--config", config], capture_output=True, text=True)
    if check.returncode != 0:
        hint = "" if not args.with_limits else " (do the abuse-limit keys exist in this build? run without --with-limits)"
        raise SystemExit(f"sipfence check-config refused {config}{hint}:\n{check.stdout}{check.stderr}")
    daemon = lab.Daemon(children, args.binary, config, out).start(expect=("udp", "tcp", "http"))
    api = lab.API(daemon.api)
    domain = api.create("/Domains.json", {"DomainName": DOMAIN, "FriendlyName": "soak"})
    callers = api.create("/IpAccessControlLists.json", {"FriendlyName": "callers"})
    api.create(f"/IpAccessControlLists/{callers}/IpAddresses.json", {"FriendlyName": "sipp", "IpAddress": CALLER})
    api.create(f"/Domains/{domain}/Auth/Calls/IpAccessControlListMappings.json", {"IpAccessControlListSid": callers})
    probe_list = api.create("/IpAccessControlLists.json", {"FriendlyName": "probe"})
    api.create(f"/Domains/{domain}/Auth/Calls/IpAccessControlListMappings.json", {"IpAccessControlListSid": probe_list})
    udp_host, udp_port = daemon.endpoint("udp")
    tcp_host, tcp_port = daemon.endpoint("tcp")
    target = f"{udp_host}:{udp_port}"
    lab.log(f"sipfence pid {daemon.pid}: udp {target}, tcp {tcp_host}:{tcp_port}, api {daemon.api}; "
            f"upstream sipp UAS on {UPSTREAM_HOST}:{uas_port}")

    calibration = []
    if args.rate is None:
        lab.log("measuring the highest sustained call rate (no other load)")
        measured, calibration = calibrate(
            children, out, target, uas_stats,
            lambda: (lab.udp_drops(udp_host, udp_port), lab.udp_drops(CALLER), lab.udp_drops(UPSTREAM_HOST, uas_port)),
            args)
        if measured == 0:
            raise SystemExit(f"not even {args.start_rate} calls/s were sustained; see {out}/calibration.csv")
        rate = max(1, int(measured * args.rate_fraction))
        rate_source = (f"measured: highest sustained {measured} calls/s"
                       + (f" x {args.rate_fraction}" if args.rate_fraction != 1 else ""))
        lab.log(f"highest sustained rate: {measured} calls/s; soak rate {rate} calls/s")
    else:
        rate, rate_source = args.rate, "--rate"
    if args.calibrate_only:
        print(f"highest sustained rate: {measured} calls/s (calibration in {out}/calibration.csv)")
        return 0

    total = args.warmup_seconds + args.minutes * 60
    calls = int(rate * total)
    lab.log(f"soak: {rate} calls/s for {total:.0f} s ({args.warmup_seconds:.0f} s warm-up), "
            f"limits {'on' if args.with_limits else 'off'}")
    uas_before = sipp_counts(uas_stats)
    drops_before = (lab.udp_drops(udp_host, udp_port), lab.udp_drops(CALLER), lab.udp_drops(UPSTREAM_HOST, uas_port))
    uac = children.start(uac_arguments(out, "soak-uac", target, rate, calls, 5), cwd=out,
                         stdout=subprocess.DEVNULL, stderr=open(os.path.join(out, "soak-uac.stderr"), "wb"),
                         stdin=subprocess.DEVNULL)
    uac_stats = os.path.join(out, "soak-uac-stats.csv")
    toggler = Toggler(lab.API(daemon.api), probe_list, args.toggle_interval)
    probe = Probe((udp_host, udp_port), args.probe_interval)
    threads += [toggler, probe]
    toggler.start()
    probe.start()
    slowloris_status = os.path.join(out, "slowloris-status.json")
    me = os.path.abspath(__file__)
    slowloris = children.start(
        [sys.executable, me, "slowloris", "--target", f"{tcp_host}:{tcp_port}", "--per-source",
         str(args.slowloris_per_source), "--status", slowloris_status],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(out, "slowloris.stderr"), "wb"))
    flood_status = os.path.join(out, "flood-status.json")
    flood = None
    if args.udp_flood_rate > 0:
        flood = children.start(
            [sys.executable, me, "flood", "--target", target, "--rate", str(args.udp_flood_rate),
             "--status", flood_status],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(out, "flood.stderr"), "wb"))

    samples_path = os.path.join(out, "samples.csv")
    fields = ["time", "elapsed_s", "phase", "rss_kb", "fds", "fds_highest_reading", "tcp_connections", "other_fds",
              "tcp_refused", "threads",
              "cpu_s", "calls_ok", "calls_failed", "retransmissions", "uas_failed", "probe_A", "probe_B",
              "probe_neither", "udp_drops_sipfence", "udp_drops_caller", "udp_drops_upstream", "toggles_ok", "toggles_failed", "slowloris_open", "slowloris_connects",
              "slowloris_closed_by_peer", "flood_sent", "flood_answered"]
    samples = []
    started = time.monotonic()
    daemon_died = None
    with open(samples_path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        next_sample = started
        while True:
            now = time.monotonic()
            elapsed = now - started
            if daemon.process.poll() is not None:
                daemon_died = f"sipfence exited with status {daemon.process.returncode} after {elapsed:.0f} s"
                lab.log(daemon_died)
                break
            if now >= next_sample:
                # The fewest of five readings 20 ms apart: connections sipfence has just
                # accepted only to close them (at its connection cap) come and go between
                # readings, while a leak stays in every one.
                readings = []
                for _ in range(5):
                    readings.append(lab.count_fds(daemon.pid))
                    time.sleep(0.02)
                fds = min(readings)
                rss = lab.read_rss_kb(daemon.pid)
                connections = metric(daemon.api, "sipfence_tcp_connections")
                refused = metric(daemon.api, "sipfence_tcp_connections_refused_total")
                uac_counts = sipp_counts(uac_stats)
                uas_counts = sipp_counts(uas_stats)
                verdicts = probe.counts()
                slow = read_status(slowloris_status)
                fl = read_status(flood_status)
                row = {
                    "time": time.strftime("%H:%M:%S"), "elapsed_s": round(elapsed, 1),
                    "phase": "warmup" if elapsed < args.warmup_seconds else "soak",
                    "rss_kb": rss, "fds": fds, "fds_highest_reading": max(readings),
                    "tcp_connections": "" if connections is None else int(connections),
                    "other_fds": "" if connections is None else fds - int(connections),
                    "tcp_refused": "" if refused is None else int(refused),
                    "threads": lab.read_threads(daemon.pid), "cpu_s": round(lab.cpu_seconds(daemon.pid), 1),
                    "calls_ok": uac_counts["ok"], "calls_failed": uac_counts["failed"],
                    "retransmissions": uac_counts["retrans"],
                    "uas_failed": uas_counts["failed"] - uas_before["failed"],
                    "probe_A": verdicts["A"], "probe_B": verdicts["B"], "probe_neither": verdicts["neither"],
                    "udp_drops_sipfence": lab.udp_drops(udp_host, udp_port) - drops_before[0],
                    "udp_drops_caller": lab.udp_drops(CALLER) - drops_before[1],
                    "udp_drops_upstream": lab.udp_drops(UPSTREAM_HOST, uas_port) - drops_before[2],
                    "toggles_ok": toggler.ok, "toggles_failed": toggler.failed,
                    "slowloris_open": slow.get("open", ""), "slowloris_connects": slow.get("connects", ""),
                    "slowloris_closed_by_peer": slow.get("closed_by_peer", ""),
                    "flood_sent": fl.get("sent", ""), "flood_answered": sum(fl.get("answers", {}).values()),
                }
                writer.writerow(row)
                f.flush()
                samples.append(row)
                if len(samples) % 12 == 1:
                    lab.log(f"{elapsed:5.0f} s  rss {rss} kB  fds {fds}  tcp {row['tcp_connections']}  "
                            f"calls ok {row['calls_ok']} failed {row['calls_failed']}  probe A/B/neither "
                            f"{verdicts['A']}/{verdicts['B']}/{verdicts['neither']}  toggles {toggler.ok}")
                next_sample += args.sample_seconds
            if elapsed >= total:
                break
            time.sleep(min(0.2, max(0.0, next_sample - time.monotonic())))

    lab.log("stopping the load")
    toggler.stop()
    probe.stop()
    children.stop(slowloris)
    if flood is not None:
        children.stop(flood)
    uac_status = None
    try:
        uac_status = uac.wait(60)
    except subprocess.TimeoutExpired:
        lab.log("the sipp caller had not finished 60 s after the soak; stopping it")
    children.stop(uac)
    time.sleep(6)  # the UAS's statistics are written every 5 s
    uac_final = sipp_counts(uac_stats)
    uas_final = sipp_counts(uas_stats)
    daemon_alive = daemon.process.poll() is None
    final_rss = lab.read_rss_kb(daemon.pid) if daemon_alive else None
    final_fds = lab.count_fds(daemon.pid) if daemon_alive else None
    error_lines = 0
    with open(os.path.join(out, "sipfence.stderr"), errors="replace") as f:
        for line in f:
            if re.search(r"\b(error|critical)\b", line, re.IGNORECASE):
                error_lines += 1
    daemon.stop()

    # ----- the summary
    soak_samples = [s for s in samples if s["phase"] == "soak"]
    if not soak_samples:
        raise SystemExit(f"no sample after the warm-up ({daemon_died or 'soak too short'}); see {out}")
    rss_start = soak_samples[0]["rss_kb"]
    rss_end = soak_samples[-1]["rss_kb"]
    rss_max = max(s["rss_kb"] for s in soak_samples)
    growth = (rss_end - rss_start) / rss_start * 100 if rss_start else 0.0
    rss_slope = slope_per_minute([(s["elapsed_s"], s["rss_kb"]) for s in soak_samples])
    fds = [s["fds"] for s in soak_samples]
    other = [s["other_fds"] for s in soak_samples if s["other_fds"] != ""]
    connections_seen = [s["tcp_connections"] for s in soak_samples if s["tcp_connections"] != ""]
    fd_slope = slope_per_minute([(s["elapsed_s"], s["fds"]) for s in soak_samples])
    verdicts = probe.counts()
    with probe.lock:
        results = list(probe.results)
    with toggler.lock:
        timeline = list(toggler.timeline)
    certain, stale, lags = classify(results, timeline)
    neither = {}
    for r in results:
        if r["verdict"] == "neither":
            neither[str(r["status"])] = neither.get(str(r["status"]), 0) + 1
    with open(os.path.join(out, "probes.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["sent_s", "answered_s", "verdict", "status", "call_id"])
        for r in results:
            writer.writerow([round(r["sent"] - started, 3), round(r["final"] - started, 3), r["verdict"],
                             r["status"], r["call_id"]])
    with open(os.path.join(out, "policy-changes.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["sent_s", "acknowledged_s", "policy", "ok"])
        for t in timeline:
            writer.writerow([round(t[0] - started, 3), round(t[1] - started, 3), t[2], t[3]])
    slow = read_status(slowloris_status)
    fl = read_status(flood_status)
    uas_failed = uas_final["failed"] - uas_before["failed"]
    cpu_total = soak_samples[-1]["cpu_s"]
    # Flat: a leak raises the floor, while connections accepted only to be closed (at the
    # cap, or in a wave of idle timeouts) add short spikes. So the lowest reading of the
    # last third of the samples must not exceed the lowest of the first third by more than 2.
    flat_series = other if other else fds
    third = max(1, len(flat_series) // 3)
    floor_first, floor_last = min(flat_series[:third]), min(flat_series[-third:])
    goals = {
        "rss": growth < 5,
        "fds": floor_last <= floor_first + 2,
        "calls": uac_final["failed"] == 0 and uas_failed == 0 and uac_final["ok"] == calls,
        "verdicts": verdicts["neither"] == 0,
        "alive": daemon_died is None and daemon_alive,
    }

    def mark(ok):
        return "ok" if ok else "MISSED"

    rows = [
        ("call rate", f"{rate} calls/s ({rate_source})"),
        ("duration", f"{args.warmup_seconds:.0f} s warm-up + {args.minutes * 60:.0f} s measured"),
        ("abuse limits (--with-limits)", "on" if args.with_limits else "off"),
        ("calls ok / planned", f"{uac_final['ok']} / {calls}"),
        ("failed calls: caller / upstream (goal 0)", f"{uac_final['failed']} / {uas_failed}   {mark(goals['calls'])}"),
        ("caller retransmissions", uac_final["retrans"]),
        ("UDP receive-buffer drops: sipfence / caller / upstream",
         f"{soak_samples[-1]['udp_drops_sipfence']} / {soak_samples[-1]['udp_drops_caller']} / "
         f"{soak_samples[-1]['udp_drops_upstream']}  (kernel, /proc/net/udp; non-zero means overload)"),
        ("RSS after warm-up / end / max", f"{rss_start} / {rss_end} / {rss_max} kB"),
        ("RSS growth (goal < 5 %)", f"{growth:+.2f} %  (trend {rss_slope:+.1f} kB/min)   {mark(goals['rss'])}"),
        ("fds after warm-up min / max", f"{min(fds)} / {max(fds)}  (trend {fd_slope:+.2f}/min)"),
        ("fds besides TCP connections min / max",
         f"{min(other)} / {max(other)}" if other else "n/a (no sipfence_tcp_connections)"),
        ("  lowest in first / last third (goal flat)", f"{floor_first} / {floor_last}   {mark(goals['fds'])}"),
        ("probe verdicts A / B / neither (goal 0)",
         f"{verdicts['A']} / {verdicts['B']} / {verdicts['neither']}   {mark(goals['verdicts'])}"),
        ("  neither, by answer", ", ".join(f"{k}: {v}" for k, v in sorted(neither.items())) or "-"),
        ("  judged against a settled policy / of the previous policy",
         f"{certain} / {stale}" + (f" (sent at most {max(lags) * 1000:.1f} ms after the change's 2xx)" if lags else "")),
        ("probe BYEs ok / failed", f"{probe.bye_ok} / {len(probe.bye_failed)}"),
        ("policy changes ok / failed", f"{toggler.ok} / {toggler.failed}"),
        ("slowloris connects / closed by sipfence / open at end",
         f"{slow.get('connects', 0)} / {slow.get('closed_by_peer', 0)} / {slow.get('open', 0)}"),
        ("TCP connections refused by sipfence (metric)", soak_samples[-1]["tcp_refused"]),
        ("TCP connections open (metric) min / max; cap (sip.max_tcp_connections)",
         (f"{min(connections_seen)} / {max(connections_seen)}; {TCP_CAP}" if connections_seen else "n/a")),
        ("UDP flood sent / answered", f"{fl.get('sent', 0)} / {sum(fl.get('answers', {}).values())} "
                                      f"{fl.get('answers', {})}" if flood is not None else "off"),
        ("sipfence CPU time", f"{cpu_total} s"),
        ("sipfence alive at the end", f"{'yes' if goals['alive'] else 'NO: ' + (daemon_died or 'exited')}"),
        ("error/critical lines in its log", error_lines),
        ("sipp caller exit status", uac_status),
    ]
    width = max(len(r[0]) for r in rows)
    lines = ["", "sipfence soak", ""] + [f"  {name.ljust(width)}  {value}" for name, value in rows]
    if calibration:
        lines += ["", "  rate calibration, nothing else running (calls/s: ok/planned, failed, retransmissions, "
                  "seconds, UDP drops sipfence/caller/upstream, sustained)"]
        for c in calibration:
            lines.append(f"    {c['rate']:>5}: {c['ok_calls']}/{c['calls']}, {c['failed']}, {c['retrans']}, "
                         f"{c['elapsed_s']}, {c['udp_drops_sipfence']}/{c['udp_drops_caller']}/"
                         f"{c['udp_drops_upstream']}, {'yes' if c['sustained'] else 'no'}")
    for item in toggler.errors[:5]:
        lines.append(f"  policy change error: {item}")
    for item in probe.bye_failed[:5]:
        lines.append(f"  probe BYE: {item}")
    lines += ["", f"  samples: {samples_path}", f"  everything: {out}"]
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(out, "summary.txt"), "w") as f:
        f.write(text + "\n")
    return 0 if all(goals.values()) else 1


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "slowloris":
        return slowloris_main(sys.argv[2:])
    if len(sys.argv) > 1 and sys.argv[1] == "flood":
        return flood_main(sys.argv[2:])
    argv = sys.argv[2:] if len(sys.argv) > 1 and sys.argv[1] == "run" else sys.argv[1:]
    return run_main(argv)


if __name__ == "__main__":
    sys.exit(main())
