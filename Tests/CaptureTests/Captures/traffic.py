#!/usr/bin/env python3
"""Loopback SIP-like traffic for the committed test captures (see README.md).

Only loopback addresses are used. Sends, to port PORT on 127.0.0.1 and ::1:
  1. three UDP datagrams from 127.0.0.2,
  2. one UDP datagram over IPv6,
  3. a TCP connection from 127.0.0.3: two messages in one send, then one message in
     three sends 50 ms apart, a reply from the server, then both sides close,
  4. a 3000-byte UDP datagram over IPv6 as three fragments behind a hop-by-hop header,
     the middle one first (raw socket),
  5. a UDP datagram from 127.0.0.4 as two IPv4 fragments sent in reverse order (raw socket),
  6. a UDP datagram to a closed port (PORT + 9), answered by ICMP port unreachable.
"""
import socket
import struct
import sys
import threading
import time

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 45678


def message(method, call_id, body=""):
    return (
        f"{method} sip:bob@example.com SIP/2.0\r\n"
        f"Call-ID: {call_id}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF or 0xFFFF


def tcp_server(listener, done):
    connection, _ = listener.accept()
    received = b""
    expected = len(message("INVITE", "tcp-1") + message("ACK", "tcp-2") + message("BYE", "tcp-3", "x" * 40))
    while len(received) < expected:
        chunk = connection.recv(65536)
        if not chunk:
            break
        received += chunk
    connection.sendall(b"SIP/2.0 200 OK\r\nCall-ID: tcp-3\r\nContent-Length: 0\r\n\r\n")
    while connection.recv(65536):
        pass
    connection.close()
    done.set()


def main():
    udp4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp4.bind(("127.0.0.1", PORT))
    udp6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    udp6.bind(("::1", PORT))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", PORT))
    listener.listen(1)
    done = threading.Event()
    threading.Thread(target=tcp_server, args=(listener, done), daemon=True).start()

    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.bind(("127.0.0.2", PORT + 1))
    for index in range(1, 4):
        sender.sendto(message("INVITE", f"udp-{index}"), ("127.0.0.1", PORT))
        time.sleep(0.01)

    sender6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    sender6.bind(("::1", PORT + 2))
    sender6.sendto(message("OPTIONS", "udp6-1"), ("::1", PORT))
    time.sleep(0.01)

    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.bind(("127.0.0.3", 0))
    client.connect(("127.0.0.1", PORT))
    client.sendall(message("INVITE", "tcp-1") + message("ACK", "tcp-2"))
    time.sleep(0.05)
    bye = message("BYE", "tcp-3", "x" * 40)
    for part in (bye[:10], bye[10:30], bye[30:]):
        client.sendall(part)
        time.sleep(0.05)
    reply = b""
    while not reply.endswith(b"\r\n\r\n"):
        reply += client.recv(65536)
    client.close()
    done.wait(2)

    # A 3000-byte UDP datagram over IPv6 in three fragments behind a hop-by-hop header,
    # the middle one first (raw socket: the kernel will not fragment on loopback).
    payload6 = message("INVITE", "frag6-1", "v" * 2900)
    loopback6 = socket.inet_pton(socket.AF_INET6, "::1")
    udp6 = struct.pack("!HHHH", PORT + 4, PORT, 8 + len(payload6), 0) + payload6
    pseudo = loopback6 + loopback6 + struct.pack("!IxxxB", len(udp6), 17)
    udp6 = udp6[:6] + struct.pack("!H", checksum(pseudo + udp6)) + udp6[8:]
    hop_by_hop = bytes([44, 0, 1, 4, 0, 0, 0, 0])  # next: fragment; PadN

    def fragment6(offset, data, more):
        header = struct.pack("!BBHI", 17, 0, (offset // 8) << 3 | (1 if more else 0), 0x6161)
        body = hop_by_hop + header + data
        return struct.pack("!IHBB", 0x60000000, len(body), 0, 64) + loopback6 + loopback6 + body

    raw6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for offset, end in ((1232, 2464), (0, 1232), (2464, len(udp6))):
        raw6.sendto(fragment6(offset, udp6[offset:end], end < len(udp6)), ("::1", 0))
    time.sleep(0.01)

    # Two IPv4 fragments of one UDP datagram, the last one first. The kernel fills in the
    # IP checksum; the UDP checksum is 0 (none).
    payload = message("INVITE", "frag4-1", "w" * 1400)
    udp = struct.pack("!HHHH", PORT + 5, PORT, 8 + len(payload), 0) + payload
    source, destination = socket.inet_aton("127.0.0.4"), socket.inet_aton("127.0.0.1")

    def fragment(offset, data, more):
        flags = (0x2000 if more else 0) | (offset // 8)
        return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(data), 0x4242, flags, 64, 17, 0, source, destination) + data

    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    raw.sendto(fragment(1000, udp[1000:], False), ("127.0.0.1", 0))
    raw.sendto(fragment(0, udp[:1000], True), ("127.0.0.1", 0))
    time.sleep(0.01)

    sender.sendto(message("INVITE", "closed-1"), ("127.0.0.1", PORT + 9))
    time.sleep(0.1)


main()
