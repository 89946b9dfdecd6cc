#!/usr/bin/env python3
"""How long after the API acknowledges a change does the SIP path apply it?

Starts `sipfence run` on loopback with a fresh store, provisions a domain and a list of
PREFIXES addresses through the API, then ROUNDS times removes and re-creates the mapping,
each time polling /sipfence/v1/check (which answers from the live compiled policy) until
the verdict flips. Prints the latency from the API's 2xx to the flip.

Usage: measure.py SIPFENCE_BINARY [PREFIXES=10000] [ROUNDS=50]
"""
import base64, json, os, subprocess, sys, tempfile, time, urllib.request, urllib.parse, statistics

binary = sys.argv[1]
prefixes = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 50
sid, token = "AC0123456789abcdef0123456789abcdef", "policy-latency-token"

work = tempfile.mkdtemp()
config = os.path.join(work, "sipfence.yaml")
with open(config, "w") as f:
    f.write(f"""sip:
  listen: [udp:127.0.0.1:0]
  upstream: udp:127.0.0.1:9
  # The probe is a load, not a flood: no per-source limits.
  flood: {{unknown_source_rate: 0, known_source_rate: 0, digest_failures_per_minute: 0}}
api:
  listen: 127.0.0.1:0
store:
  path: {work}/state/sipfence.sqlite
accounts:
  - sid: {sid}
    auth_token: {token}
log:
  level: warning
""")
daemon = subprocess.Popen([binary, "run", "--config", config], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
try:
    base = None
    for line in daemon.stdout:
        if line.startswith("listening http "):
            base = "http://" + line.split()[2]
            break
    auth = "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()

    def call(method, path, form=None):
        data = urllib.parse.urlencode(form).encode() if form else None
        request = urllib.request.Request(base + path, data=data, method=method, headers={"Authorization": auth})
        with urllib.request.urlopen(request) as response:
            body = response.read()
            return json.loads(body) if body else None

    api = f"/2010-04-01/Accounts/{sid}/SIP"
    domain = call("POST", f"{api}/Domains.json", {"DomainName": "latency.sipfence.test"})["sid"]
    lst = call("POST", f"{api}/IpAccessControlLists.json", {"FriendlyName": "bulk"})["sid"]
    for i in range(prefixes - 1):
        call("POST", f"{api}/IpAccessControlLists/{lst}/IpAddresses.json",
             {"FriendlyName": f"n{i}", "IpAddress": f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"})
    call("POST", f"{api}/IpAccessControlLists/{lst}/IpAddresses.json", {"FriendlyName": "probe", "IpAddress": "192.0.2.7"})
    check = "/sipfence/v1/check?domain=latency.sipfence.test&source=192.0.2.7"
    mapping = f"{api}/Domains/{domain}/Auth/Calls/IpAccessControlListMappings"

    def wait_for(verdict):
        while call("GET", check)["verdict"] != verdict:
            pass

    latencies = []
    for _ in range(rounds):
        call("POST", f"{mapping}.json", {"IpAccessControlListSid": lst})
        start = time.perf_counter()
        wait_for("admit")
        latencies.append((time.perf_counter() - start) * 1000)
        call("DELETE", f"{mapping}/{lst}.json")
        start = time.perf_counter()
        wait_for("reject")
        latencies.append((time.perf_counter() - start) * 1000)
    latencies.sort()
    print(f"{prefixes} prefixes, {len(latencies)} changes: API 2xx -> live policy: "
          f"median {statistics.median(latencies):.1f} ms, p95 {latencies[int(len(latencies) * 0.95) - 1]:.1f} ms, "
          f"max {latencies[-1]:.1f} ms")
finally:
    daemon.terminate()
    daemon.wait()
