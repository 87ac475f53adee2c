import Testing

@testable import NostrCore

enum STUNFixtures {
    /// RFC 5769 §2.2 and §2.3: the transaction id of the sample messages.
    static let tid: [UInt8] = [0xB7, 0xE7, 0xA7, 0x01, 0xBC, 0x34, 0xD6, 0x86, 0xFA, 0x87, 0xDF, 0xAE]

    /// RFC 5769 §2.2 "Sample IPv4 Response": SOFTWARE "test vector",
    /// XOR-MAPPED-ADDRESS 192.0.2.1:32853, MESSAGE-INTEGRITY, FINGERPRINT.
    static let ipv4Response: [UInt8] = [
        0x01, 0x01, 0x00, 0x3C, 0x21, 0x12, 0xA4, 0x42, 0xB7, 0xE7, 0xA7, 0x01, 0xBC, 0x34, 0xD6, 0x86,
        0xFA, 0x87, 0xDF, 0xAE,
        0x80, 0x22, 0x00, 0x0B, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6F, 0x72, 0x20,
        0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xA1, 0x47, 0xE1, 0x12, 0xA6, 0x43,
        0x00, 0x08, 0x00, 0x14, 0x2B, 0x91, 0xF5, 0x99, 0xFD, 0x9E, 0x90, 0xC3, 0x8C, 0x74, 0x89, 0xF9,
        0x2A, 0xF9, 0xBA, 0x53, 0xF0, 0x6B, 0xE7, 0xD7,
        0x80, 0x28, 0x00, 0x04, 0xC0, 0x7D, 0x4C, 0x96,
    ]

    /// RFC 5769 §2.3 "Sample IPv6 Response": XOR-MAPPED-ADDRESS
    /// [2001:db8:1234:5678:11:2233:4455:6677]:32853.
    static let ipv6Response: [UInt8] = [
        0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xA4, 0x42, 0xB7, 0xE7, 0xA7, 0x01, 0xBC, 0x34, 0xD6, 0x86,
        0xFA, 0x87, 0xDF, 0xAE,
        0x80, 0x22, 0x00, 0x0B, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6F, 0x72, 0x20,
        0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xA1, 0x47, 0x01, 0x13, 0xA9, 0xFA, 0xA5, 0xD3, 0xF1, 0x79,
        0xBC, 0x25, 0xF4, 0xB5, 0xBE, 0xD2, 0xB9, 0xD9,
        0x00, 0x08, 0x00, 0x14, 0xA3, 0x82, 0x95, 0x4E, 0x4B, 0xE6, 0x7B, 0xF1, 0x17, 0x84, 0xC9, 0x7C,
        0x82, 0x92, 0xC2, 0x75, 0xBF, 0xE3, 0xED, 0x41,
        0x80, 0x28, 0x00, 0x04, 0xC8, 0xFB, 0x0B, 0x4C,
    ]

    static func parse(_ bytes: [UInt8], tid: [UInt8] = tid) throws(NostrError) -> (address: IPAddress, port: UInt16) {
        try bytes.withBytes { (p) throws(NostrError) in try STUN.parseBindingResponse(p, transactionID: tid) }
    }

    static func code(_ bytes: [UInt8], tid: [UInt8] = tid) -> NostrError.Code? {
        errorCode { _ = try parse(bytes, tid: tid) }
    }

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }

    /// A message with these attributes, each padded to 4 bytes, and the
    /// header length set to match (plus `lengthDelta`).
    static func message(
        type: UInt16 = 0x0101, tid: [UInt8] = tid, cookie: UInt32 = 0x2112_A442,
        _ attributes: [(UInt16, [UInt8])], lengthDelta: Int = 0
    ) -> [UInt8] {
        var body: [UInt8] = []
        for (t, v) in attributes {
            body += be16(t) + be16(UInt16(v.count)) + v
            while body.count % 4 != 0 { body.append(0) }
        }
        return be16(type) + be16(UInt16(body.count + lengthDelta))
            + [UInt8(cookie >> 24), UInt8(cookie >> 16 & 0xFF), UInt8(cookie >> 8 & 0xFF), UInt8(cookie & 0xFF)]
            + tid + body
    }

    /// MAPPED-ADDRESS value (RFC 5389 §15.1).
    static func mapped(_ a: IPAddress, port: UInt16) -> [UInt8] {
        [0, a.isIPv4 ? 1 : 2] + be16(port) + a.bytes
    }

    /// XOR-MAPPED-ADDRESS value (RFC 5389 §15.2), XOR'ed byte by byte with
    /// cookie ‖ transaction id.
    static func xorMapped(_ a: IPAddress, port: UInt16, tid: [UInt8] = tid) -> [UInt8] {
        let mask: [UInt8] = [0x21, 0x12, 0xA4, 0x42] + tid
        let x = a.bytes.enumerated().map { $0.element ^ mask[$0.offset] }
        return [0, a.isIPv4 ? 1 : 2] + be16(port ^ 0x2112) + x
    }
}

@Suite struct STUNTests {
    typealias F = STUNFixtures

    @Test func bindingRequestIsAHeaderOnly() {
        let r = STUN.bindingRequest(transactionID: F.tid)
        #expect(r == [0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42] + F.tid)
        // RFC 5769 §2.1's request has the same first eight bytes but for its length.
        #expect(r.count == 20)
    }

    @Test func rfc5769IPv4Response() throws {
        let r = try F.parse(F.ipv4Response)
        #expect(r.address == .v4(0xC000_0201))
        #expect(r.address.text == "192.0.2.1")
        #expect(r.port == 32853)
    }

    @Test func rfc5769IPv6Response() throws {
        let r = try F.parse(F.ipv6Response)
        #expect(r.address.text == "2001:db8:1234:5678:11:2233:4455:6677")
        #expect(r.port == 32853)
    }

    /// The CRC-32 check value ("123456789", ISO 3309 / ITU-T V.42).
    @Test func crc32CheckValue() {
        #expect(Array("123456789".utf8).withUnsafeBytes { STUN.crc32($0) } == 0xCBF4_3926)
    }

    @Test func fingerprintIsChecked() {
        var software = F.ipv4Response
        software[24] ^= 0x01  // "test" → "uest": the FINGERPRINT no longer matches
        #expect(F.code(software) == .stun)
        var fingerprint = F.ipv6Response
        fingerprint[fingerprint.count - 1] ^= 0x80
        #expect(F.code(fingerprint) == .stun)
    }

    /// MESSAGE-INTEGRITY needs credentials a Binding to a public server does
    /// not have; it is skipped, not checked. (The FINGERPRINT covers it, so
    /// the change is made to a message without one.)
    @Test func messageIntegrityIsSkipped() throws {
        let withoutFingerprint = Array(F.ipv4Response[0..<72])
        var m = withoutFingerprint
        m[3] = 0x34  // length 60 - 8
        m[60] ^= 0xFF
        #expect(try F.parse(m).address == .v4(0xC000_0201))
    }

    @Test func randomAddressesRoundTrip() throws {
        var rng = SplitMix64(state: 5389)
        for _ in 0..<2000 {
            let tid = (0..<12).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let port = UInt16.random(in: 0...UInt16.max, using: &rng)
            let a: IPAddress =
                rng.next() % 2 == 0
                ? .v4(UInt32.random(in: 0...UInt32.max, using: &rng))
                : .v6(rng.next(), rng.next())
            let xor = F.message(tid: tid, [(0x0020, F.xorMapped(a, port: port, tid: tid))])
            let r = try F.parse(xor, tid: tid)
            #expect(r.address == a && r.port == port)
            let plain = F.message(tid: tid, [(0x0001, F.mapped(a, port: port))])
            let p = try F.parse(plain, tid: tid)
            #expect(p.address == a && p.port == port)
        }
    }

    // MARK: Attribute choice

    static let a1 = IPAddress.v4(0xCB00_7101)  // 203.0.113.1
    static let a2 = IPAddress.v4(0xCB00_7102)

    @Test func mappedAddressIsTheFallback() throws {
        let m = F.message([(0x8022, Array("old server".utf8)), (0x0001, F.mapped(Self.a1, port: 3478))])
        let r = try F.parse(m)
        #expect(r.address == Self.a1 && r.port == 3478)
    }

    @Test func xorMappedAddressIsPreferredWhereverItIs() throws {
        let before = F.message([(0x0020, F.xorMapped(Self.a2, port: 2)), (0x0001, F.mapped(Self.a1, port: 1))])
        let after = F.message([(0x0001, F.mapped(Self.a1, port: 1)), (0x0020, F.xorMapped(Self.a2, port: 2))])
        #expect(try F.parse(before).address == Self.a2)
        #expect(try F.parse(after).address == Self.a2)
    }

    @Test func theFirstOfRepeatedAttributesCounts() throws {
        let m = F.message([(0x0020, F.xorMapped(Self.a1, port: 1)), (0x0020, F.xorMapped(Self.a2, port: 2))])
        #expect(try F.parse(m).address == Self.a1)
    }

    /// RFC 5389 §15.4: attributes after MESSAGE-INTEGRITY (but FINGERPRINT) are ignored.
    @Test func attributesAfterMessageIntegrityAreIgnored() throws {
        let integrity = [UInt8](repeating: 0x55, count: 20)
        let m = F.message([(0x0001, F.mapped(Self.a1, port: 1)), (0x0008, integrity), (0x0020, F.xorMapped(Self.a2, port: 2))])
        #expect(try F.parse(m).address == Self.a1)
        let only = F.message([(0x0008, integrity), (0x0020, F.xorMapped(Self.a2, port: 2))])
        #expect(F.code(only) == .stun)
    }

    @Test func unknownOptionalAttributesAreSkipped() throws {
        let m = F.message([
            (0x802B, F.mapped(Self.a2, port: 9)), (0xFFFF, [1, 2, 3]), (0x8022, []),
            (0x0020, F.xorMapped(Self.a1, port: 1)), (0x802C, [0]),
        ])
        #expect(try F.parse(m).address == Self.a1)
    }

    @Test func theReservedByteIsIgnored() throws {
        var v = F.xorMapped(Self.a1, port: 1)
        v[0] = 0xFF
        #expect(try F.parse(F.message([(0x0020, v)])).address == Self.a1)
    }

    // MARK: Attacks

    @Test(arguments: 0..<20)
    func truncatedHeadersAreRefused(_ length: Int) {
        #expect(F.code(Array(F.ipv4Response[0..<length])) == .stun)
    }

    @Test func everyTruncationIsRefused() {
        for n in 20..<F.ipv4Response.count {
            #expect(F.code(Array(F.ipv4Response[0..<n])) == .stun, "\(n) bytes")
        }
    }

    @Test func headerChecks() {
        let good = F.message([(0x0020, F.xorMapped(Self.a1, port: 1))])
        #expect(throws: Never.self) { try F.parse(good) }
        #expect(F.code(good + [0, 0, 0, 0]) == .stun, "bytes beyond the length")
        #expect(F.code(F.message([(0x0020, F.xorMapped(Self.a1, port: 1))], lengthDelta: 4)) == .stun, "length beyond the packet")
        #expect(F.code(F.message([(0x0020, F.xorMapped(Self.a1, port: 1))], lengthDelta: -4)) == .stun, "length short of the packet")
        var odd = good
        odd[3] = odd[3] &+ 2
        odd += [0, 0]
        #expect(F.code(odd) == .stun, "length not a multiple of 4")
        #expect(F.code(F.message(cookie: 0x2112_A443, [(0x0020, F.xorMapped(Self.a1, port: 1))])) == .stun, "wrong cookie")
        var otherTid = F.tid
        otherTid[11] ^= 1
        #expect(F.code(good, tid: otherTid) == .stun, "another transaction")
        #expect(F.code(good, tid: Array(F.tid.prefix(11))) == .stun, "transaction id of 11 bytes")
        #expect(F.code(good, tid: F.tid + [0]) == .stun, "transaction id of 13 bytes")
    }

    @Test(arguments: [0x0001, 0x0011, 0x0111, 0x0102, 0x4101, 0x8101, 0xC101] as [UInt16])
    func otherMessageTypesAreRefused(_ type: UInt16) {
        let errorCode: [UInt8] = [0, 0, 4, 0] + Array("Bad Request".utf8)
        let m = F.message(type: type, [(0x0020, F.xorMapped(Self.a1, port: 1)), (0x0009, errorCode)])
        #expect(F.code(m) == .stun)
    }

    @Test func attributeLengthBeyondThePacket() {
        var m = F.message([(0x0020, F.xorMapped(Self.a1, port: 1))])
        m[22] = 0x01  // attribute length 0x0108
        #expect(F.code(m) == .stun)
        var big = F.message([(0x8022, [1, 2, 3, 4])])
        big[22] = 0xFF
        big[23] = 0xFF
        #expect(F.code(big) == .stun)
    }

    @Test func attributePaddingBeyondThePacket() {
        // A 5-byte SOFTWARE value whose 3 padding bytes are missing (the
        // message still has a length that is a multiple of 4).
        var m = F.message([(0x0020, F.xorMapped(Self.a1, port: 1)), (0x8022, [1, 2, 3, 4])])
        m[m.count - 5] = 5
        #expect(F.code(m) == .stun)
    }

    @Test(arguments: [0x00, 0x03, 0x04, 0x10, 0xFF] as [UInt8])
    func unknownFamiliesAreRefused(_ family: UInt8) {
        var v = F.xorMapped(Self.a1, port: 1)
        v[1] = family
        #expect(F.code(F.message([(0x0020, v)])) == .stun)
        var w = F.mapped(Self.a1, port: 1)
        w[1] = family
        #expect(F.code(F.message([(0x0001, w)])) == .stun)
    }

    @Test func familyAndLengthMustAgree() {
        let v6 = IPAddress.v6(0x2001_0DB8_0000_0000, 1)
        var v6WithIPv4Length = Array(F.xorMapped(v6, port: 1).prefix(8))  // family 2, 8 bytes
        #expect(F.code(F.message([(0x0020, v6WithIPv4Length)])) == .stun)
        v6WithIPv4Length[1] = 1
        #expect(throws: Never.self) { try F.parse(F.message([(0x0020, v6WithIPv4Length)])) }
        var v4WithIPv6Length = F.xorMapped(v6, port: 1)  // family 1, 20 bytes
        v4WithIPv6Length[1] = 1
        #expect(F.code(F.message([(0x0020, v4WithIPv6Length)])) == .stun)
        for n in [0, 1, 3, 4, 7, 9, 19, 21] {
            let cut = Array((F.xorMapped(v6, port: 1) + [0, 0]).prefix(n))
            #expect(F.code(F.message([(0x0020, cut)])) == .stun, "\(n) bytes")
            #expect(F.code(F.message([(0x0001, cut)])) == .stun, "\(n) bytes")
        }
    }

    @Test func noAddressIsAnError() {
        #expect(F.code(F.message([])) == .stun)
        #expect(F.code(F.message([(0x8022, Array("just software".utf8))])) == .stun)
    }

    @Test(arguments: [0x0000, 0x000C, 0x0013, 0x0021, 0x0030, 0x7FFF] as [UInt16])
    func unknownComprehensionRequiredAttributesAreRefused(_ type: UInt16) {
        let m = F.message([(0x0020, F.xorMapped(Self.a1, port: 1)), (type, [0, 0, 0, 0])])
        #expect(F.code(m) == .stun)
    }

    @Test func knownRequiredAttributesAreAccepted() throws {
        let m = F.message([
            (0x0020, F.xorMapped(Self.a1, port: 1)), (0x0004, F.mapped(Self.a2, port: 2)),
            (0x0005, F.mapped(Self.a2, port: 3)), (0x0006, Array("user".utf8)),
        ])
        #expect(try F.parse(m).address == Self.a1)
    }

    @Test func fingerprintMustBeLast() {
        var m = F.ipv4Response
        // Move FINGERPRINT before MESSAGE-INTEGRITY (its value then no longer matches either).
        m = Array(m[0..<48]) + Array(m[72..<80]) + Array(m[48..<72])
        #expect(F.code(m) == .stun)
    }

    /// Random corruption of valid messages never traps; anything accepted
    /// has a plausible shape.
    @Test func randomCorruptionIsHandled() {
        var rng = SplitMix64(state: 5769)
        let seeds = [
            F.ipv4Response, F.ipv6Response,
            F.message([(0x0001, F.mapped(Self.a1, port: 1)), (0x0020, F.xorMapped(.v6(1, 2), port: 2))]),
        ]
        var accepted = 0
        for _ in 0..<50_000 {
            var m = seeds[Int(rng.next() % UInt64(seeds.count))]
            for _ in 0..<(1 + rng.next() % 3) {
                switch rng.next() % 4 {
                case 0: m[Int(rng.next() % UInt64(m.count))] = UInt8(truncatingIfNeeded: rng.next())
                case 1: m[Int(rng.next() % UInt64(m.count))] ^= 1 << UInt8(rng.next() % 8)
                case 2: if m.count > 1 { m.removeLast(Int(rng.next() % UInt64(m.count))) }
                default: m += [UInt8(truncatingIfNeeded: rng.next())]
                }
            }
            if let r = try? F.parse(m) {
                accepted += 1
                #expect(r.address.bytes.count == 4 || r.address.bytes.count == 16)
            }
        }
        #expect(accepted < 50_000)
    }
}
