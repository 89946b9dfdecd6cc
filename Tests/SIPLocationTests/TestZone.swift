/// The records a ``DNSMasq`` serves, all under `example.test`.
struct TestZone: Sendable {
    /// One SRV record (RFC 2782); an empty target is `.` ("no service here").
    struct Service: Sendable {
        var name: String
        var target: String
        var port: Int
        var priority: Int
        var weight: Int
    }

    /// The TTL of every record and of negative answers (the SOA's MINIMUM), in seconds.
    var ttl: Int
    /// Host name → its IPv4 and IPv6 addresses (either may be absent).
    var hosts: [(name: String, ipv4: String?, ipv6: String?)] = []
    /// SRV records.
    var services: [Service] = []

    /// dnsmasq's options for these records.
    var arguments: [String] {
        hosts.map { "--host-record=\([$0.name, $0.ipv4, $0.ipv6].compactMap { $0 }.joined(separator: ","))" }
            + services.map {
                $0.target.isEmpty
                    ? "--srv-host=\($0.name)"
                    : "--srv-host=\($0.name),\($0.target),\($0.port),\($0.priority),\($0.weight)"
            }
    }

    /// The zone most tests use.
    static func standard(ttl: Int = 60) -> TestZone {
        TestZone(
            ttl: ttl,
            hosts: [
                ("a.example.test", "192.0.2.1", "2001:db8::1"),
                ("b.example.test", "192.0.2.2", nil),
                ("c.example.test", "192.0.2.3", nil),
                ("plain.example.test", "192.0.2.10", "2001:db8::10"),
                ("prio.example.test", "192.0.2.99", nil),
                ("other.example.test", "192.0.2.20", nil),
            ],
            services: [
                Service(name: "_sip._udp.prio.example.test", target: "c.example.test", port: 5072, priority: 30, weight: 0),
                Service(name: "_sip._udp.prio.example.test", target: "a.example.test", port: 5070, priority: 10, weight: 0),
                Service(name: "_sip._udp.prio.example.test", target: "b.example.test", port: 5071, priority: 20, weight: 0),
                Service(name: "_sip._udp.both.example.test", target: "a.example.test", port: 5080, priority: 10, weight: 0),
                Service(name: "_sip._tcp.both.example.test", target: "b.example.test", port: 5081, priority: 10, weight: 0),
                Service(name: "_sip._tcp.tcponly.example.test", target: "c.example.test", port: 5090, priority: 10, weight: 0),
                Service(name: "_sips._tcp.secure.example.test", target: "a.example.test", port: 5061, priority: 10, weight: 0),
                Service(name: "_sip._udp.denied.example.test", target: "", port: 0, priority: 0, weight: 0),
                Service(name: "_sip._udp.lost.example.test", target: "missing.example.test", port: 5060, priority: 10, weight: 0),
            ])
    }
}
