"""Shared helpers of scripts/durability.py and scripts/soak.py (Python 3 stdlib only).

Starts sipfence on loopback with a configuration written to a scratch directory, finds the
ports it bound (port 0 everywhere: the daemon prints `listening <proto> HOST:PORT`), talks to
its Twilio-compatible API, and keeps track of every child process so that each one is
stopped, by its own pid, on every way out.
"""

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
AUTH_TOKEN = "sipfence-lab-auth-token"


def log(message):
    print(time.strftime("%H:%M:%S ") + message, file=sys.stderr, flush=True)


def free_port(kind=socket.SOCK_DGRAM, host="127.0.0.1"):
    """A port the kernel says is free now (for peers that cannot take port 0)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Children:
    """Every process started through it; stop_all() ends each one by its pid."""

    def __init__(self):
        self.processes = []

    def start(self, arguments, **options):
        options.setdefault("start_new_session", True)
        process = subprocess.Popen(arguments, **options)
        self.processes.append(process)
        return process

    def stop(self, process, timeout=5.0):
        if process.poll() is None:
            try:
                # Each child leads its own session (start_new_session), so this group holds
                # only the child and anything it started.
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()
        if process in self.processes:
            self.processes.remove(process)

    def stop_all(self):
        for process in reversed(list(self.processes)):
            self.stop(process)


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def exit_on_signals():
    """The first SIGTERM/SIGINT/SIGHUP raises SystemExit, so `finally` blocks stop the
    children; later ones are ignored, so that they cannot cut that clean-up short (Ctrl-C
    or `timeout` signal the wrapper script and this driver at once, and the wrapper's trap
    signals the driver again)."""

    def handler(number, _frame):
        for other in STOP_SIGNALS:
            signal.signal(other, signal.SIG_IGN)
        raise SystemExit(128 + number)

    for number in STOP_SIGNALS:
        signal.signal(number, handler)


def write_config(directory, upstream, extra="", store=None, log_level="info"):
    """A configuration on loopback, every port chosen by the kernel. `extra` is YAML added to
    the `sip:` section (indented by the caller with two spaces)."""
    store = store or os.path.join(directory, "state", "sipfence.sqlite")
    path = os.path.join(directory, "sipfence.yaml")
    text = f"""# written by scripts/sipfence_lab.py
sip:
  listen: [udp:127.0.0.1:0, tcp:127.0.0.1:0]
  upstream: {upstream}
  secret: 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
  checked_methods: ["*"]
{extra}
api:
  listen: 127.0.0.1:0
store:
  path: {store}
accounts:
  - sid: {ACCOUNT_SID}
    auth_token: {AUTH_TOKEN}
log:
  level: {log_level}
  format: text
"""
    with open(path, "w") as f:
        f.write(text)
    return path


class Daemon:
    """One `sipfence run`; stdout and stderr go to files in `directory` (appended, so the
    history of restarts stays readable)."""

    def __init__(self, children, binary, config, directory, name="sipfence"):
        self.children = children
        self.binary = binary
        self.config = config
        self.directory = directory
        self.name = name
        self.process = None
        self.listening = {}
        self.starts = 0

    @property
    def pid(self):
        return self.process.pid

    @property
    def api(self):
        return "http://" + self.listening["http"]

    def start(self, timeout=30.0, expect=("http",)):
        """Starts the daemon and waits until it printed a `listening` line for each protocol
        in `expect` (the SIP and HTTP sockets are bound concurrently, in no fixed order) and
        /healthz answers."""
        self.starts += 1
        out_path = os.path.join(self.directory, f"{self.name}.{self.starts}.stdout")
        err_path = os.path.join(self.directory, f"{self.name}.stderr")
        with open(err_path, "ab") as err:
            err.write(f"==== start {self.starts} at {time.strftime('%H:%M:%S')}\n".encode())
        self.stdout_path = out_path
        with open(out_path, "wb") as out, open(err_path, "ab") as err:
            self.process = self.children.start(
                [self.binary, "run", "--config", self.config], stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        self.listening = {}
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"sipfence exited with status {self.process.returncode} at start; see {err_path}")
            with open(out_path) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) == 3 and parts[0] == "listening":
                        self.listening.setdefault(parts[1], parts[2])
            if all(proto in self.listening for proto in expect):
                try:
                    with urllib.request.urlopen(self.api + "/healthz", timeout=2) as r:
                        if r.status == 200:
                            return self
                except (urllib.error.URLError, OSError):
                    pass
            time.sleep(0.02)
        raise RuntimeError(f"sipfence did not become healthy within {timeout} s; see {err_path}")

    def kill9(self):
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.children.processes.remove(self.process)

    def stop(self):
        if self.process is not None:
            self.children.stop(self.process, timeout=15)

    def endpoint(self, proto):
        host, _, port = self.listening[proto].rpartition(":")
        return host.strip("[]"), int(port)


class API:
    """The Twilio-compatible REST API: form-encoded bodies, HTTP Basic auth."""

    def __init__(self, base, account=ACCOUNT_SID, token=AUTH_TOKEN, timeout=10.0):
        self.base = base.rstrip("/")
        self.prefix = f"/2010-04-01/Accounts/{account}/SIP"
        self.authorization = "Basic " + base64.b64encode(f"{account}:{token}".encode()).decode()
        self.timeout = timeout

    def request(self, method, path, form=None):
        """(status, parsed JSON or None). Raises OSError/URLError when no HTTP answer came."""
        url = self.base + (path if path.startswith("/sipfence") else self.prefix + path)
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", self.authorization)
        if data is not None:
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            body = error.read()
            status = error.code
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        return status, parsed

    def create(self, path, form):
        status, body = self.request("POST", path, form)
        if status != 201 or not body or "sid" not in body:
            raise RuntimeError(f"POST {path} {form}: {status} {body}")
        return body["sid"]


# ---- policies for benchmarks ------------------------------------------------------------

def random_prefixes(rng, count):
    """`count` distinct random IPv4 prefixes (network, length), lengths uniform in 8..32, none
    inside 127.0.0.0/8 (the callers are there)."""
    seen = set()
    out = []
    while len(out) < count:
        length = rng.randint(8, 32)
        address = rng.getrandbits(32)
        network = address & (0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF
        if network >> 24 == 127 or (length < 8):
            continue
        key = (network, length)
        if key in seen:
            continue
        seen.add(key)
        out.append(key)
    return out


def dotted(value):
    return ".".join(str((value >> shift) & 255) for shift in (24, 16, 8, 0))


def status_value(pid, key):
    """A number of /proc/PID/status (`VmRSS`, `VmHWM` in kB, `Threads`), 0 when absent or
    when the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def read_rss_kb(pid):
    return status_value(pid, "VmRSS")


def read_threads(pid):
    return status_value(pid, "Threads")


def count_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def udp_drops(host, port=None):
    """Datagrams the kernel dropped because the receive buffer was full, summed over the
    IPv4 UDP sockets bound to `host` (and `port`, when given), from /proc/net/udp."""
    packed = "".join(f"{int(octet):02X}" for octet in reversed(host.split(".")))
    total = 0
    with open("/proc/net/udp") as f:
        next(f)
        for line in f:
            fields = line.split()
            address, _, hex_port = fields[1].partition(":")
            if address == packed and (port is None or int(hex_port, 16) == port):
                total += int(fields[12])
    return total
