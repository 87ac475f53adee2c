/// IPv4 and IPv6 addresses as values: what address records carry, what
/// STUN reports, what DNS A/AAAA answers hold.
///
/// Text forms: RFC 791 dotted quads (strict: exactly four decimal parts,
/// 0–255, no leading zeros, as `inet_pton` reads them) and RFC 4291 §2.2
/// IPv6 text, written back in the RFC 5952 §4 canonical form.
public enum IPAddress: Hashable, Sendable {
    /// An IPv4 address, most significant octet first: 192.0.2.1 is `0xC000_0201`.
    case v4(UInt32)
    /// An IPv6 address as its high and low 64 bits.
    case v6(UInt64, UInt64)

    // MARK: Text

    /// Parses an address; throws `.ipAddress` (at the offending byte) otherwise.
    ///
    /// Text with a colon is IPv6, anything else IPv4. Refused: leading
    /// zeros in IPv4 parts ("01", which some parsers read as octal), signs,
    /// spaces, a trailing dot, fewer or more than four parts; in IPv6, more
    /// than four hex digits in a group, more than one "::", a single leading
    /// or trailing colon, more than eight groups, an embedded IPv4 address
    /// anywhere but the last 32 bits, zone ids ("%eth0", RFC 6874) and
    /// brackets (RFC 3986 §3.2.2: they belong to URIs, not addresses).
    public init(parsing text: some Collection<UInt8>) throws(NostrError) {
        var hasColon = false
        for c in text where c == 0x3A {
            hasColon = true
            break
        }
        if hasColon {
            var p = IPv6TextParser()
            var offset = 0
            for c in text {
                try p.feed(c, at: offset)
                offset += 1
            }
            let (hi, lo) = try p.finish(at: offset)
            self = .v6(hi, lo)
        } else {
            var p = DottedQuadParser()
            var offset = 0
            for c in text {
                try p.feed(c, at: offset)
                offset += 1
            }
            self = .v4(try p.finish(at: offset))
        }
    }

    public init(parsing text: String) throws(NostrError) {
        try self.init(parsing: text.utf8)
    }

    /// The text form: a dotted quad, or IPv6 in the RFC 5952 §4 canonical
    /// form (lowercase, no leading zeros, the longest run of two or more
    /// zero groups as "::", the first of equal runs; IPv4-mapped addresses,
    /// ::ffff:0:0/96, as "::ffff:a.b.c.d" per RFC 5952 §5).
    public var text: String {
        var out: [UInt8] = []
        out.reserveCapacity(45)
        switch self {
        case .v4(let a):
            IPAddress.appendDottedQuad(a, to: &out)
        case .v6(let hi, let lo):
            IPAddress.appendV6(hi, lo, to: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: Bytes (network order)

    /// An address from its 4 or 16 bytes in network order; `.ipAddress` for any other length.
    public init(bytes: UnsafeRawBufferPointer) throws(NostrError) {
        switch bytes.count {
        case 4:
            self = .v4(IPAddress.loadBigEndian(bytes, 0, 4))
        case 16:
            self = .v6(IPAddress.loadBigEndian(bytes, 0, 8), IPAddress.loadBigEndian(bytes, 8, 8))
        default:
            throw NostrError(.ipAddress)
        }
    }

    /// The 4 or 16 bytes in network order.
    public var bytes: [UInt8] { withBytes { Array($0) } }

    /// Calls `body` with the 4 or 16 bytes in network order, from the stack.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        switch self {
        case .v4(let a):
            var be = a.bigEndian
            return Swift.withUnsafeBytes(of: &be) { body($0) }
        case .v6(let hi, let lo):
            var be = (hi.bigEndian, lo.bigEndian)
            return Swift.withUnsafeBytes(of: &be) { body($0) }
        }
    }

    public var isIPv4: Bool {
        if case .v4 = self { return true }
        return false
    }

    static func loadBigEndian<T: FixedWidthInteger & UnsignedInteger>(_ p: UnsafeRawBufferPointer, _ start: Int, _ count: Int) -> T {
        var v: T = 0
        for i in start..<(start + count) { v = v << 8 | T(p[i]) }
        return v
    }

    // MARK: Formatting

    static func appendDecimal(_ v: UInt32, to out: inout [UInt8]) {
        if v >= 100 { out.append(0x30 &+ UInt8(v / 100)) }
        if v >= 10 { out.append(0x30 &+ UInt8(v / 10 % 10)) }
        out.append(0x30 &+ UInt8(v % 10))
    }

    static func appendDottedQuad(_ a: UInt32, to out: inout [UInt8]) {
        appendDecimal(a >> 24, to: &out)
        out.append(0x2E)
        appendDecimal(a >> 16 & 0xFF, to: &out)
        out.append(0x2E)
        appendDecimal(a >> 8 & 0xFF, to: &out)
        out.append(0x2E)
        appendDecimal(a & 0xFF, to: &out)
    }

    /// Group `i` (0 = most significant) of an IPv6 address.
    @inline(__always)
    static func group(_ hi: UInt64, _ lo: UInt64, _ i: Int) -> UInt16 {
        let word = i < 4 ? hi : lo
        return UInt16(truncatingIfNeeded: word >> UInt64(48 - 16 * (i & 3)))
    }

    static func appendV6(_ hi: UInt64, _ lo: UInt64, to out: inout [UInt8]) {
        // RFC 5952 §5: IPv4-mapped addresses in mixed notation.
        if hi == 0 && lo >> 32 == 0xFFFF {
            out.append(contentsOf: [0x3A, 0x3A, 0x66, 0x66, 0x66, 0x66, 0x3A])  // "::ffff:"
            appendDottedQuad(UInt32(truncatingIfNeeded: lo), to: &out)
            return
        }
        // RFC 5952 §4.2: the longest run of zero groups (at least two), the first on a tie.
        var bestStart = -1, bestLength = 1
        var runStart = -1
        for i in 0...8 {
            if i < 8 && group(hi, lo, i) == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength {
                    bestStart = runStart
                    bestLength = i - runStart
                }
                runStart = -1
            }
        }
        var i = 0
        while i < 8 {
            if i == bestStart {
                out.append(0x3A)
                out.append(0x3A)
                i += bestLength
                continue
            }
            if i > 0 && i != bestStart + bestLength { out.append(0x3A) }
            appendHexGroup(group(hi, lo, i), to: &out)
            i += 1
        }
    }

    /// RFC 5952 §4.1 and §4.3: no leading zeros, lowercase.
    static func appendHexGroup(_ g: UInt16, to out: inout [UInt8]) {
        var shift: UInt16 = 12
        while shift > 0 && g >> shift == 0 { shift -= 4 }
        while true {
            out.append(Hex.digit(UInt8(truncatingIfNeeded: g >> shift & 0xF)))
            if shift == 0 { break }
            shift -= 4
        }
    }
}

// MARK: - Special-purpose addresses

extension IPAddress {
    /// True for an address that can be published as where a host is
    /// reachable from the Internet: global unicast in the sense of the IANA
    /// IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890; "Globally
    /// Reachable" = True) and RFC 4291 §2.4.
    ///
    /// IPv4, not global: 0/8 "this network" (RFC 791), 10/8, 172.16/12 and
    /// 192.168/16 private (RFC 1918), 100.64/10 shared/CGNAT (RFC 6598),
    /// 127/8 loopback (RFC 1122), 169.254/16 link-local (RFC 3927),
    /// 192.0.0/24 IETF protocol assignments (RFC 6890), 192.0.2/24,
    /// 198.51.100/24 and 203.0.113/24 documentation (RFC 5737), 198.18/15
    /// benchmarking (RFC 2544), 224/4 multicast (RFC 5771), 240/4 reserved
    /// (RFC 1112), which holds the limited broadcast 255.255.255.255 (RFC 919).
    ///
    /// IPv6: only 2000::/3, the global unicast space IANA allocates from
    /// (which already excludes ::, ::1, IPv4-mapped ::ffff:0:0/96, the
    /// NAT64 prefix 64:ff9b::/96, discard 100::/64, ULA fc00::/7
    /// (RFC 4193), link-local fe80::/10 and multicast ff00::/8 (RFC 4291)),
    /// minus 2001::/23 IETF protocol assignments (RFC 2928; Teredo 2001::/32
    /// and benchmarking 2001:2::/48 are inside it), 2001:db8::/32
    /// documentation (RFC 3849) and 3fff::/20 documentation (RFC 9637).
    public var isGlobalUnicast: Bool {
        switch self {
        case .v4(let a):
            @inline(__always) func within(_ prefix: UInt32, _ length: UInt32) -> Bool {
                (a ^ prefix) >> (32 - length) == 0
            }
            return
                !(within(0x0000_0000, 8) || within(0x0A00_0000, 8) || within(0x6440_0000, 10)
                || within(0x7F00_0000, 8) || within(0xA9FE_0000, 16) || within(0xAC10_0000, 12)
                || within(0xC000_0000, 24) || within(0xC000_0200, 24) || within(0xC0A8_0000, 16)
                || within(0xC612_0000, 15) || within(0xC633_6400, 24) || within(0xCB00_7100, 24)
                || within(0xE000_0000, 4) || within(0xF000_0000, 4))
        case .v6(let hi, _):
            @inline(__always) func within(_ prefix: UInt64, _ length: UInt64) -> Bool {
                (hi ^ prefix) >> (64 - length) == 0
            }
            guard within(0x2000_0000_0000_0000, 3) else { return false }
            return
                !(within(0x2001_0000_0000_0000, 23) || within(0x2001_0DB8_0000_0000, 32)
                || within(0x3FFF_0000_0000_0000, 20))
        }
    }
}

// MARK: - Parsers

/// RFC 791 dotted-quad text, one byte at a time.
struct DottedQuadParser {
    var value: UInt32 = 0  // the completed parts
    var parts = 0  // how many parts are complete
    var part: UInt32 = 0  // the part being read
    var digits = 0  // its digits so far

    mutating func feed(_ c: UInt8, at offset: Int) throws(NostrError) {
        let d = c &- 0x30
        if d < 10 {
            // "0" is a part; "00" or "01" is not.
            guard digits == 0 || part != 0 else { throw NostrError(.ipAddress, at: offset) }
            part = part * 10 + UInt32(d)
            guard part <= 255 else { throw NostrError(.ipAddress, at: offset) }
            digits += 1
        } else if c == 0x2E {
            guard digits > 0, parts < 3 else { throw NostrError(.ipAddress, at: offset) }
            value = value << 8 | part
            parts += 1
            part = 0
            digits = 0
        } else {
            throw NostrError(.ipAddress, at: offset)
        }
    }

    func finish(at offset: Int) throws(NostrError) -> UInt32 {
        guard digits > 0, parts == 3 else { throw NostrError(.ipAddress, at: offset) }
        return value << 8 | part
    }
}

/// RFC 4291 §2.2 IPv6 text, one byte at a time: groups before "::" go to
/// `head`, groups after it to `tail`; the zeros in between are implied.
struct IPv6TextParser {
    var head: (UInt64, UInt64) = (0, 0)
    var headCount = 0
    var tail: (UInt64, UInt64) = (0, 0)
    var tailCount = 0
    var elided = false
    /// Consecutive colons just read (0, 1 or 2).
    var colons = 0
    var group: UInt16 = 0
    var groupDigits = 0
    /// The group's characters, kept in case it turns out to be the first
    /// part of an embedded dotted quad.
    var groupChars: UInt32 = 0
    var quad: DottedQuadParser? = nil

    mutating func feed(_ c: UInt8, at offset: Int) throws(NostrError) {
        if quad != nil {
            // Only the dotted quad may follow its first part.
            try quad!.feed(c, at: offset)
            return
        }
        if let v = Hex.value(c, lowercaseOnly: false) {
            // A single leading colon (":1::") is not "::".
            guard !(colons == 1 && headCount == 0 && !elided) else { throw NostrError(.ipAddress, at: offset) }
            guard groupDigits < 4 else { throw NostrError(.ipAddress, at: offset) }
            group = group << 4 | UInt16(v)
            groupChars = groupChars << 8 | UInt32(c)
            groupDigits += 1
            colons = 0
        } else if c == 0x3A {
            if groupDigits > 0 {
                try push(at: offset)
                colons = 1
            } else if colons == 1 {
                guard !elided else { throw NostrError(.ipAddress, at: offset) }  // a second "::"
                elided = true
                colons = 2
            } else if colons == 2 {
                throw NostrError(.ipAddress, at: offset)  // ":::"
            } else {
                colons = 1  // the first byte
            }
        } else if c == 0x2E {
            // The group read so far was the first part of a dotted quad.
            guard groupDigits > 0 else { throw NostrError(.ipAddress, at: offset) }
            var q = DottedQuadParser()
            var shift = UInt32(8 * (groupDigits - 1))
            for _ in 0..<groupDigits {
                try q.feed(UInt8(truncatingIfNeeded: groupChars >> shift), at: offset - groupDigits)
                shift &-= 8
            }
            try q.feed(c, at: offset)
            quad = q
            groupDigits = 0
        } else {
            throw NostrError(.ipAddress, at: offset)
        }
    }

    mutating func push(at offset: Int) throws(NostrError) {
        try push16(group, at: offset)
        group = 0
        groupDigits = 0
        groupChars = 0
    }

    mutating func push16(_ g: UInt16, at offset: Int) throws(NostrError) {
        guard headCount + tailCount < 8 else { throw NostrError(.ipAddress, at: offset) }
        if elided {
            tail = IPv6TextParser.shiftLeft(tail, 16)
            tail.1 |= UInt64(g)
            tailCount += 1
        } else {
            head = IPv6TextParser.shiftLeft(head, 16)
            head.1 |= UInt64(g)
            headCount += 1
        }
    }

    mutating func finish(at offset: Int) throws(NostrError) -> (UInt64, UInt64) {
        if let q = quad {
            let a = try q.finish(at: offset)
            try push16(UInt16(truncatingIfNeeded: a >> 16), at: offset)
            try push16(UInt16(truncatingIfNeeded: a), at: offset)
        } else if groupDigits > 0 {
            try push(at: offset)
        } else if colons != 2 {
            throw NostrError(.ipAddress, at: offset)  // empty, or ends in a single colon
        }
        let total = headCount + tailCount
        if elided {
            guard total <= 7 else { throw NostrError(.ipAddress, at: offset) }
        } else {
            guard total == 8 else { throw NostrError(.ipAddress, at: offset) }
        }
        let high = IPv6TextParser.shiftLeft(head, 16 * (8 - headCount))
        return (high.0 | tail.0, high.1 | tail.1)
    }

    /// A 128-bit left shift of (high, low) by `n` bits.
    static func shiftLeft(_ x: (UInt64, UInt64), _ n: Int) -> (UInt64, UInt64) {
        if n == 0 { return x }
        if n >= 128 { return (0, 0) }
        if n >= 64 { return (x.1 << UInt64(n - 64), 0) }
        return (x.0 << UInt64(n) | x.1 >> UInt64(64 - n), x.1 << UInt64(n))
    }
}
