#!/usr/bin/env python3
"""Writes a pcap of N SIP messages over UDP on loopback, for measuring `sipfence replay`.

By default the traffic is a mix an edge sees: INVITEs (about 900 bytes, with SDP) from
callers in and out of the policy's lists, each followed by an ACK, plus OPTIONS
keep-alives. With --refused it is only the versus-Kamailio benchmark's refused scenario:
INVITEs from 127.0.0.3, outside every list of trunk.sipfence.test, each followed by its
ACK. That is the work the C floor harness does too (it forwards nothing), so the ratio
to the floor compares equal work.
Usage: make-capture.py OUTPUT.pcap [MESSAGES] [--refused]   (default 200000)
"""
import struct
import sys

args = [a for a in sys.argv[1:] if a != "--refused"]
refused = "--refused" in sys.argv[1:]
out = args[0]
count = int(args[1]) if len(args) > 1 else 200_000
callers = [b"127.0.0.3"] if refused else [b"127.0.0.2", b"127.0.0.3", b"127.0.0.4", b"127.0.0.5"]
domains = [b"trunk.sipfence.test"] if refused else [b"trunk.sipfence.test", b"closed.sipfence.test", b"nobody.sipfence.test"]


def invite(i, caller, domain):
    body = (
        b"v=0\r\no=- %d %d IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
        b"m=audio %d RTP/AVP 0 8 18 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
        b"a=rtpmap:18 G729/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n"
        % (i, i, caller, caller, 20000 + i % 40000)
    )
    return (
        b"INVITE sip:+1415555%04d@%s SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK-bench-%d;rport\r\n"
        b"Max-Forwards: 70\r\n"
        b"To: <sip:+1415555%04d@%s>\r\n"
        b"From: \"Bench Caller\" <sip:+12125550123@carrier.example.net>;tag=bench%d\r\n"
        b"Call-ID: bench-%d@%s\r\n"
        b"CSeq: 1 INVITE\r\n"
        b"Contact: <sip:+12125550123@%s:5060>\r\n"
        b"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, PRACK\r\n"
        b"Supported: 100rel, timer\r\n"
        b"User-Agent: BenchSBC/1.0\r\n"
        b"Content-Type: application/sdp\r\n"
        b"Content-Length: %d\r\n\r\n%s"
        % (i % 10000, domain, caller, i, i % 10000, domain, i, i, caller, caller, len(body), body)
    )


def ack(i, caller, domain):
    return (
        b"ACK sip:+1415555%04d@%s SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK-bench-%d;rport\r\n"
        b"Max-Forwards: 70\r\n"
        b"To: <sip:+1415555%04d@%s>;tag=callee%d\r\n"
        b"From: \"Bench Caller\" <sip:+12125550123@carrier.example.net>;tag=bench%d\r\n"
        b"Call-ID: bench-%d@%s\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n"
        % (i % 10000, domain, caller, i, i % 10000, domain, i, i, i, caller)
    )


def options(i, caller):
    return (
        b"OPTIONS sip:127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP %s:5060;branch=z9hG4bK-ping-%d;rport\r\n"
        b"Max-Forwards: 70\r\nTo: <sip:127.0.0.1:5060>\r\nFrom: <sip:ping@%s>;tag=ping%d\r\n"
        b"Call-ID: ping-%d@%s\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n" % (caller, i, caller, i, i, caller)
    )


def frame(payload, source, seconds, micros):
    src = bytes(int(x) for x in source.split(b"."))
    udp = struct.pack("!HHHH", 5060, 5060, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0, src, bytes([127, 0, 0, 1]))
    ethernet = b"\x00" * 12 + b"\x08\x00"
    packet = ethernet + ip + udp
    return struct.pack("<IIII", seconds, micros, len(packet), len(packet)) + packet


with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    written = 0
    i = 0
    while written < count:
        caller = callers[i % len(callers)]
        domain = domains[i % len(domains)]
        seconds, micros = 1_790_000_000 + i // 1000, (i % 1000) * 1000
        call = (invite(i, caller, domain), ack(i, caller, domain))
        for payload in call if refused else call + (options(i, caller),):
            if written < count:
                f.write(frame(payload, caller, seconds, micros))
                written += 1
        i += 1
print(f"{out}: {written} messages")
