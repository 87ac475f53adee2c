/// The type bitmap of an NSEC record (RFC 4034 §4.1.2) restricted to
/// window block 0, types 0–255: the form multicast DNS uses to say which
/// types a name has (RFC 6762 §6.1), and the only one it may send. Inline,
/// 256 bits.
public struct DNSTypeBitmap: Equatable, Sendable {
    var bits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    public init() {}

    public init(_ types: some Sequence<UInt16>) {
        for t in types { insert(t) }
    }

    /// Types 256 and above cannot be represented here and are ignored.
    public mutating func insert(_ type: UInt16) {
        guard type < 256 else { return }
        withUnsafeMutableBytes(of: &bits) { p in
            // RFC 4034 §4.1.2: bit 0 of octet 0 (the most significant) is type 0.
            p[Int(type) >> 3] |= 0x80 >> UInt8(type & 7)
        }
    }

    public func contains(_ type: UInt16) -> Bool {
        guard type < 256 else { return false }
        return withUnsafeBytes(of: bits) { p in p[Int(type) >> 3] & (0x80 >> UInt8(type & 7)) != 0 }
    }

    public static func == (a: DNSTypeBitmap, b: DNSTypeBitmap) -> Bool {
        a.bits.0 == b.bits.0 && a.bits.1 == b.bits.1 && a.bits.2 == b.bits.2 && a.bits.3 == b.bits.3
    }

    public var isEmpty: Bool { bits.0 == 0 && bits.1 == 0 && bits.2 == 0 && bits.3 == 0 }

    /// Octets of window 0's bitmap needed (trailing zero octets dropped): 0…32.
    var length: Int {
        withUnsafeBytes(of: bits) { p in
            var n = 32
            while n > 0 && p[n - 1] == 0 { n -= 1 }
            return n
        }
    }
}

extension DNSMessageWriter {
    /// Appends an NSEC record in the form of RFC 6762 §6.1: the Next Domain
    /// Name is the record's own name (compressed, §18.14), and one window
    /// block 0 lists `types`. An empty bitmap is written as no window
    /// block at all.
    public mutating func appendNSEC(
        _ section: DNSSection, name: UnsafeRawBufferPointer, rawClass: UInt16,
        ttl: UInt32, types: DNSTypeBitmap
    ) throws(NostrError) {
        try beginRecord(section, name: name, type: DNSType.nsec, rawClass: rawClass, ttl: ttl)
        do {
            try appendName(name, compress: true)
            let n = types.length
            if n > 0 {
                try appendUInt8(0)
                try appendUInt8(UInt8(n))
                let bits = types.bits
                let result: Result<Void, NostrError> = withUnsafeBytes(of: bits) { p in
                    Result { () throws(NostrError) in try appendBytes(UnsafeRawBufferPointer(rebasing: p[0..<n])) }
                }
                try result.get()
            }
        } catch {
            abandonRecord()
            throw error
        }
        endRecord()
    }
}

extension DNSMessageReader {
    /// The Next Domain Name and the window-0 types of an NSEC record (RFC
    /// 4034 §4.1). Window blocks must be in increasing order with bitmap
    /// lengths 1…32 and fill the rdata exactly (`.dnsMessage` otherwise);
    /// types in windows above 0 are checked but not returned (RFC 6762
    /// §6.1 uses window 0 only).
    public func nsec(_ record: DNSRecord) throws(NostrError) -> (next: DNSName, types: DNSTypeBitmap) {
        let next = try rdataName(record, at: 0)
        var p = record.rdataOffset + next.wireLength
        let end = record.rdataOffset + record.rdataLength
        var types = DNSTypeBitmap()
        var lastWindow = -1
        while p < end {
            guard end - p >= 2 else { throw NostrError(.dnsMessage, at: p) }
            let window = Int(bytes[p]), length = Int(bytes[p + 1])
            guard window > lastWindow, length >= 1, length <= 32, end - (p + 2) >= length else {
                throw NostrError(.dnsMessage, at: p)
            }
            if window == 0 {
                for i in 0..<length {
                    let octet = bytes[p + 2 + i]
                    for bit in 0..<8 where octet & (0x80 >> UInt8(bit)) != 0 { types.insert(UInt16(i * 8 + bit)) }
                }
            }
            lastWindow = window
            p += 2 + length
        }
        return (next, types)
    }
}
