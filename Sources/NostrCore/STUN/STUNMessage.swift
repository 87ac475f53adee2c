/// STUN Binding (RFC 5389, "Session Traversal Utilities for NAT"), just
/// enough to learn this host's public address from a STUN server
/// (`publish-ip --detect stun`). Sans-IO: the caller sends the request over
/// UDP, with a transaction id from its entropy source, and hands the reply here.
public enum STUN {
    /// RFC 5389 §6: the magic cookie, in every message since RFC 5389.
    public static let magicCookie: UInt32 = 0x2112_A442
    /// RFC 5389 §6: the transaction id is 96 bits.
    public static let transactionIDLength = 12

    static let bindingRequestType: UInt16 = 0x0001
    static let bindingSuccessType: UInt16 = 0x0101
    static let bindingErrorType: UInt16 = 0x0111
    static let headerLength = 20

    /// Attribute types (RFC 5389 §18.2, RFC 8489 §18.3).
    enum Attribute {
        static let mappedAddress: UInt16 = 0x0001
        static let messageIntegrity: UInt16 = 0x0008
        static let messageIntegritySHA256: UInt16 = 0x001C
        static let xorMappedAddress: UInt16 = 0x0020
        static let fingerprint: UInt16 = 0x8028
    }

    /// A Binding request (RFC 5389 §6): type 0x0001, length 0, the magic
    /// cookie and the 12-byte `transactionID`, no attributes. 20 bytes.
    public static func bindingRequest(transactionID: [UInt8]) -> [UInt8] {
        precondition(transactionID.count == transactionIDLength, "a STUN transaction id is 12 bytes")
        var out: [UInt8] = [0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42]
        out.reserveCapacity(headerLength)
        out.append(contentsOf: transactionID)
        return out
    }

    /// The address and port the server saw, from a Binding success response.
    ///
    /// Throws `.stun` (at the offending byte) unless: the message is at
    /// least a 20-byte header whose type is Binding success (0x0101; an
    /// error response, 0x0111, throws too), whose length is a multiple of 4
    /// and covers exactly the rest of `bytes`, whose cookie is 0x2112A442
    /// and whose transaction id is `transactionID` (RFC 5389 §6, §7.3);
    /// every attribute, with its padding to 4 bytes, lies within the
    /// message (§15); an address attribute has family 0x01 with length 8 or
    /// family 0x02 with length 20 (§15.1, §15.2); a FINGERPRINT, if any, is
    /// last and matches (§15.5); no attribute is comprehension-required
    /// (type below 0x8000) and unknown (§7.3.3); and one of the address
    /// attributes is present.
    ///
    /// XOR-MAPPED-ADDRESS is preferred, MAPPED-ADDRESS (RFC 3489 servers)
    /// taken otherwise; of repeated attributes the first counts (§15).
    /// MESSAGE-INTEGRITY is not checked (a Binding to a public server has
    /// no credentials); attributes after it, but FINGERPRINT, are ignored
    /// (§15.4). Unknown comprehension-optional attributes are skipped.
    public static func parseBindingResponse(
        _ bytes: UnsafeRawBufferPointer, transactionID: [UInt8]
    ) throws(NostrError) -> (address: IPAddress, port: UInt16) {
        guard transactionID.count == transactionIDLength else { throw NostrError(.stun) }
        guard bytes.count >= headerLength else { throw NostrError(.stun, at: bytes.count) }
        let type = be16(bytes, 0)
        guard type == bindingSuccessType else { throw NostrError(.stun, at: 0) }  // incl. 0x0111
        let length = Int(be16(bytes, 2))
        guard length % 4 == 0, headerLength + length == bytes.count else { throw NostrError(.stun, at: 2) }
        guard be32(bytes, 4) == magicCookie else { throw NostrError(.stun, at: 4) }
        for i in 0..<transactionIDLength where bytes[8 + i] != transactionID[i] {
            throw NostrError(.stun, at: 8 + i)
        }

        var xorMapped: (IPAddress, UInt16)? = nil
        var mapped: (IPAddress, UInt16)? = nil
        var afterIntegrity = false
        var offset = headerLength
        while offset < bytes.count {
            guard bytes.count - offset >= 4 else { throw NostrError(.stun, at: offset) }
            let attribute = be16(bytes, offset)
            let valueLength = Int(be16(bytes, offset + 2))
            let value = offset + 4
            let padded = (valueLength + 3) & ~3
            guard bytes.count - value >= padded else { throw NostrError(.stun, at: offset) }
            let body = UnsafeRawBufferPointer(rebasing: bytes[value..<(value + valueLength)])
            switch attribute {
            case Attribute.fingerprint:
                guard valueLength == 4, value + 4 == bytes.count,
                    crc32(UnsafeRawBufferPointer(rebasing: bytes[0..<offset])) ^ 0x5354_554E == be32(bytes, value)
                else { throw NostrError(.stun, at: offset) }
            case _ where afterIntegrity:
                break
            case Attribute.messageIntegrity, Attribute.messageIntegritySHA256:
                afterIntegrity = true
            case Attribute.xorMappedAddress:
                if xorMapped == nil { xorMapped = try address(body, at: offset, xorWith: transactionID) }
            case Attribute.mappedAddress:
                if mapped == nil { mapped = try address(body, at: offset, xorWith: nil) }
            case 0x0000..<0x8000:
                guard isKnownRequired(attribute) else { throw NostrError(.stun, at: offset) }
            default:
                break  // comprehension-optional (0x8000–0xFFFF): skipped
            }
            offset = value + padded
        }
        guard let result = xorMapped ?? mapped else { throw NostrError(.stun) }
        return (address: result.0, port: result.1)
    }

    /// MAPPED-ADDRESS (§15.1) or, when `xorWith` is the transaction id,
    /// XOR-MAPPED-ADDRESS (§15.2): a reserved byte (ignored), the family,
    /// the port, the address; XOR'ed with the cookie (port: its high 16
    /// bits) and, for IPv6, cookie ‖ transaction id.
    static func address(
        _ v: UnsafeRawBufferPointer, at offset: Int, xorWith transactionID: [UInt8]?
    ) throws(NostrError) -> (IPAddress, UInt16) {
        guard v.count >= 4 else { throw NostrError(.stun, at: offset) }
        var port = be16(v, 2)
        if transactionID != nil { port ^= UInt16(truncatingIfNeeded: magicCookie >> 16) }
        switch v[1] {
        case 0x01 where v.count == 8:
            var a = be32(v, 4)
            if transactionID != nil { a ^= magicCookie }
            return (.v4(a), port)
        case 0x02 where v.count == 20:
            var hi: UInt64 = IPAddress.loadBigEndian(v, 4, 8)
            var lo: UInt64 = IPAddress.loadBigEndian(v, 12, 8)
            if let t = transactionID {
                var t0: UInt64 = 0, t1: UInt64 = 0
                for i in 0..<4 { t0 = t0 << 8 | UInt64(t[i]) }
                for i in 4..<12 { t1 = t1 << 8 | UInt64(t[i]) }
                hi ^= UInt64(magicCookie) << 32 | t0
                lo ^= t1
            }
            return (.v6(hi, lo), port)
        default:
            throw NostrError(.stun, at: offset)
        }
    }

    /// Comprehension-required attributes a Binding response may carry that
    /// this reader knows and does not need: RFC 3489 §11.2 (0x0002–0x0007,
    /// 0x000B), RFC 5389 §18.2 (USERNAME 0x0006, ERROR-CODE 0x0009,
    /// UNKNOWN-ATTRIBUTES 0x000A, REALM 0x0014, NONCE 0x0015) and RFC 8489
    /// §18.3 (PASSWORD-ALGORITHM 0x001D, USERHASH 0x001E).
    static func isKnownRequired(_ type: UInt16) -> Bool {
        switch type {
        case 0x0002...0x000B, 0x0014, 0x0015, 0x001D, 0x001E: return true
        default: return false
        }
    }

    @inline(__always)
    static func be16(_ p: UnsafeRawBufferPointer, _ i: Int) -> UInt16 { UInt16(p[i]) << 8 | UInt16(p[i + 1]) }

    @inline(__always)
    static func be32(_ p: UnsafeRawBufferPointer, _ i: Int) -> UInt32 { IPAddress.loadBigEndian(p, i, 4) }

    /// CRC-32 as in ITU-T V.42 / ISO 3309 (the zlib one), which RFC 5389
    /// §15.5 names for FINGERPRINT. Bitwise: STUN messages are short.
    static func crc32(_ p: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in p {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc >> 1 ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
        }
        return ~crc
    }
}
