// Fuzz targets for what arrives on the DNS and mDNS ports (RFC 1035 §4.1,
// RFC 6762): the query path of `nostr-dns dns`, every record of any message
// (what the mDNS responder and the forwarder read), and the responder.
import NostrCore

enum FuzzDNS {
    /// A query as the DNS server takes it: the zone's responder (the one
    /// `nostr-dns dns` runs), over UDP and TCP, with a cache that has the
    /// name (a few addresses, or too many for UDP), has no record, or is
    /// still looking; then each kind of content written for the question.
    /// Our answer must always parse and fit its limit.
    static func query(_ input: UnsafeRawBufferPointer) {
        var out = [UInt8](repeating: 0, count: 65535)
        let addresses: [IPAddress] = [.v4(0xC000_0201), try! IPAddress(parsing: "2001:db8::1")]
        let many = [IPAddress](repeating: .v4(0xC633_6407), count: 100)
        let states: [NostrZoneRecords] = [
            .found(addresses: addresses, tlsKeys: [], ttl: 60),
            .found(addresses: many, tlsKeys: [], ttl: 1), .notFound(ttl: 30), .pending,
        ]
        out.withUnsafeMutableBytes { buffer in
            for state in states {
                for upstream in [false, true] {
                    var responder = NostrZoneResponder(soa: .init(), forwardsOtherNames: upstream)
                    var lookup = FixedLookup(state: state)
                    for tcp in [false, true] {
                        switch responder.respond(to: input, overTCP: tcp, into: buffer, now: 0, lookup: &lookup) {
                        case .reply(let n):
                            checkAnswer(buffer, n, limit: tcp ? buffer.count : Int(DNSResponder.maxUDPPayload))
                        case .wait:
                            check(state.isPending, "waits only for a lookup under way")
                        case .forward:
                            check(upstream, "forwards only with an upstream")
                        case .drop:
                            break
                        }
                    }
                    let n = responder.failure(to: input, rcode: DNSRCode.servFail, into: buffer)
                    if n > 0 { checkAnswer(buffer, n, limit: 512) }
                }
            }
            switch DNSResponder.parse(input) {
            case .drop, .error:
                break
            case .query(let query):
                guard let reader = try? DNSMessageReader(input) else { check(false, "parsed query reads again"); return }
                var flat = [UInt8](repeating: 0, count: 256)
                let n = flat.withUnsafeMutableBytes { reader.copyName(query.question.name, into: $0) }
                check(n == query.question.name.flatLength && n <= 255, "flat name length")
                var labelText = ""
                flat.withUnsafeBytes { p in
                    let name = UnsafeRawBufferPointer(rebasing: p[0..<n])
                    if case .addresses(_, let labelLength) = NostrZone.classify(name) {
                        check(labelLength < n, "label inside the name")
                        labelText = NostrZone.labelText(name, labelLength: labelLength)
                    }
                }
                check(labelText.utf8.count <= 255, "label text length")
                let contents: [DNSResponder.Content] = [
                    .addresses(addresses, ttl: 60), .addresses(many, ttl: 1), .apex,
                    .noData, .nameError, .rcode(DNSRCode.servFail),
                    .rcode(DNSRCode.refused),
                ]
                for content in contents {
                    for limit in [query.udpLimit, buffer.count] {
                        let n = DNSResponder.answer(query, message: input, content: content, soa: .init(), into: buffer, limit: limit)
                        checkAnswer(buffer, n, limit: limit)
                    }
                }
            }
        }
    }

    /// The same records for every name.
    struct FixedLookup: NostrZoneLookup {
        var state: NostrZoneRecords
        mutating func records(_ key: ResolverKey, now: Int64) -> NostrZoneRecords { state }
    }

    /// Our own answer: within the limit, and a well-formed message.
    static func checkAnswer(_ buffer: UnsafeMutableRawBufferPointer, _ n: Int, limit: Int) {
        check(n >= DNSLimits.headerSize && n <= limit, "answer within its limit")
        do throws(NostrError) {
            var r = try DNSMessageReader(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            check(r.header.isResponse, "answer has QR")
            try r.readToEnd()
        } catch {
            check(false, "our answer parses")
        }
    }

    /// Any message, every section: names inside rdata (NS, CNAME, PTR, SOA,
    /// SRV, NSEC) and the NSEC type bitmap, as the mDNS responder reads
    /// responses to its probes and as the forwarder checks answers.
    static func message(_ input: UnsafeRawBufferPointer) {
        guard var reader = try? DNSMessageReader(input) else { return }
        var flat = [UInt8](repeating: 0, count: 256)
        do throws(NostrError) {
            while let q = try reader.nextQuestion() {
                let n = flat.withUnsafeMutableBytes { reader.copyName(q.name, into: $0) }
                check(n == q.name.flatLength, "copied name length")
                flat.withUnsafeBytes {
                    check(reader.name(q.name, equals: UnsafeRawBufferPointer(rebasing: $0[0..<n])), "name equals its copy")
                }
            }
            while let record = try reader.nextRecord() {
                check(record.rdataOffset + record.rdataLength <= input.count, "rdata inside the message")
                check(reader.name(record.name, equals: record.name), "name equals itself")
                switch record.type {
                case DNSType.ptr, 2, 5:  // PTR, NS, CNAME
                    if let name = try? reader.rdataName(record, at: 0) {
                        _ = flat.withUnsafeMutableBytes { reader.copyName(name, into: $0) }
                    }
                case 6:  // SOA: MNAME, RNAME
                    if let m = try? reader.rdataName(record, at: 0) {
                        _ = try? reader.rdataName(record, at: m.wireLength)
                    }
                case 33:  // SRV: target after priority, weight, port
                    _ = try? reader.rdataName(record, at: 6)
                case DNSType.nsec:
                    if let (next, types) = try? reader.nsec(record) {
                        _ = flat.withUnsafeMutableBytes { reader.copyName(next, into: $0) }
                        _ = types.contains(DNSType.a)
                    }
                default:
                    break
                }
            }
        } catch {
            return
        }
        check(reader.atEnd, "every record read")
    }

    static let ownKey = try! Bytes32(Array(repeating: UInt8(0x11), count: 32))
    static let cachedKey = try! Bytes32(Array(repeating: UInt8(0x22), count: 32))
    static let interface = MDNSInterface(
        index: 2, name: "eth0",
        prefixes: [
            MDNSPrefix(address: .v4(0xC0A8_010A), prefixLength: 24),
            MDNSPrefix(address: try! IPAddress(parsing: "fe80::10"), prefixLength: 64),
        ])

    /// A datagram at the mDNS responder: the first input byte picks the
    /// source (on-link IPv4 or IPv6, off-link), port (5353 or legacy) and
    /// multicast or unicast; the rest is the packet. Then the timers run,
    /// as the poll loop would. Every packet we emit must parse.
    static func mdns(_ input: UnsafeRawBufferPointer) {
        guard let selector = input.first else { return }
        let packet = UnsafeRawBufferPointer(rebasing: input[1...])
        let sources: [IPAddress] = [.v4(0xC0A8_0114), try! IPAddress(parsing: "fe80::20"), .v4(0x0A09_0909)]
        let source = sources[Int(selector & 3) % 3]
        let info = MDNSPacketInfo(
            source: source, sourcePort: selector & 4 == 0 ? 5353 : 40000,
            destinationIsMulticast: selector & 8 == 0, interfaceIndex: 2)
        var responder = MDNSResponder(ownKey: ownKey, interfaces: [interface], now: 0, seed: 7)
        var out = [UInt8](repeating: 0, count: MDNSResponder.maxPacket)
        let cachedKey = self.cachedKey
        out.withUnsafeMutableBytes { buffer in
            let emit: (MDNSDestination, Bool, UnsafeRawBufferPointer) -> Void = { _, _, bytes in
                check(bytes.count <= MDNSResponder.maxPacket, "mDNS packet within the MTU")
                do throws(NostrError) {
                    var r = try DNSMessageReader(bytes)
                    try r.readToEnd()
                } catch {
                    check(false, "our mDNS packet parses")
                }
            }
            let lookup: (Bytes32) -> MDNSNameState = { key in
                key == cachedKey ? .addresses([.v4(0xC0A8_011E)], ttl: 120) : (selector & 16 == 0 ? .pending : .absent)
            }
            // Once while probing, once after the name is claimed (3 s later).
            _ = responder.handle(packet, info, now: 10, buffer: buffer, lookup: lookup, emit: emit)
            var now: Int64 = 10
            while now < 4000 {
                responder.tick(now: now, families: (true, true), buffer: buffer, emit: emit)
                now = max(now + 1, responder.nextDeadline ?? 4000)
            }
            _ = responder.handle(packet, info, now: now, buffer: buffer, lookup: lookup, emit: emit)
            _ = responder.handle(packet, info, now: now + 1, buffer: buffer, lookup: lookup, emit: emit)
            responder.tick(now: now + 200, families: (true, true), buffer: buffer, emit: emit)
            responder.goodbye(families: (true, true), buffer: buffer, emit: emit)
        }
    }
}

extension NostrZoneRecords {
    var isPending: Bool {
        if case .pending = self { return true }
        return false
    }
}
