/// The 12-octet DNS message header (RFC 1035 §4.1.1):
///
///     ID | QR Opcode AA TC RD RA Z AD CD RCODE | QDCOUNT | ANCOUNT | NSCOUNT | ARCOUNT
///
/// `flags` is the second 16-bit word as sent; the accessors name its bits
/// (AD and CD from RFC 4035 §3.2).
public struct DNSHeader: Equatable, Sendable {
    public var id: UInt16
    public var flags: UInt16
    public var questionCount: UInt16
    public var answerCount: UInt16
    public var authorityCount: UInt16
    public var additionalCount: UInt16

    public init(
        id: UInt16 = 0, flags: UInt16 = 0, questionCount: UInt16 = 0, answerCount: UInt16 = 0,
        authorityCount: UInt16 = 0, additionalCount: UInt16 = 0
    ) {
        self.id = id
        self.flags = flags
        self.questionCount = questionCount
        self.answerCount = answerCount
        self.authorityCount = authorityCount
        self.additionalCount = additionalCount
    }

    static let qrBit: UInt16 = 0x8000
    static let aaBit: UInt16 = 0x0400
    static let tcBit: UInt16 = 0x0200
    static let rdBit: UInt16 = 0x0100
    static let raBit: UInt16 = 0x0080
    static let adBit: UInt16 = 0x0020
    static let cdBit: UInt16 = 0x0010

    @inline(__always) func bit(_ b: UInt16) -> Bool { flags & b != 0 }
    @inline(__always) mutating func set(_ b: UInt16, _ on: Bool) { if on { flags |= b } else { flags &= ~b } }

    /// QR: the message is a response.
    public var isResponse: Bool {
        get { bit(Self.qrBit) }
        set { set(Self.qrBit, newValue) }
    }
    /// AA: authoritative answer.
    public var isAuthoritative: Bool {
        get { bit(Self.aaBit) }
        set { set(Self.aaBit, newValue) }
    }
    /// TC: truncated; the client should retry over TCP (RFC 1035 §4.2.1, RFC 7766 §5).
    public var isTruncated: Bool {
        get { bit(Self.tcBit) }
        set { set(Self.tcBit, newValue) }
    }
    /// RD: recursion desired (copied into a response).
    public var recursionDesired: Bool {
        get { bit(Self.rdBit) }
        set { set(Self.rdBit, newValue) }
    }
    /// RA: recursion available.
    public var recursionAvailable: Bool {
        get { bit(Self.raBit) }
        set { set(Self.raBit, newValue) }
    }
    /// CD: checking disabled (RFC 4035 §3.2.2; copied into a response).
    public var checkingDisabled: Bool {
        get { bit(Self.cdBit) }
        set { set(Self.cdBit, newValue) }
    }
    /// AD: authentic data (RFC 4035 §3.2.3).
    public var authenticData: Bool {
        get { bit(Self.adBit) }
        set { set(Self.adBit, newValue) }
    }
    /// Opcode (4 bits): 0 is QUERY.
    public var opcode: UInt8 {
        get { UInt8(truncatingIfNeeded: (flags >> 11) & 0xF) }
        set { flags = flags & ~0x7800 | UInt16(newValue & 0xF) << 11 }
    }
    /// The low 4 bits of the response code (RFC 6891 §6.1.3 keeps the upper 8 in OPT).
    public var rcode: UInt8 {
        get { UInt8(truncatingIfNeeded: flags & 0xF) }
        set { flags = flags & ~0xF | UInt16(newValue & 0xF) }
    }

    /// Reads the header from the first 12 octets; `.dnsTruncated` if shorter.
    public init(from bytes: UnsafeRawBufferPointer) throws(NostrError) {
        guard bytes.count >= DNSLimits.headerSize else { throw NostrError(.dnsTruncated, at: bytes.count) }
        id = DNSWire.load16(bytes, 0)
        flags = DNSWire.load16(bytes, 2)
        questionCount = DNSWire.load16(bytes, 4)
        answerCount = DNSWire.load16(bytes, 6)
        authorityCount = DNSWire.load16(bytes, 8)
        additionalCount = DNSWire.load16(bytes, 10)
    }

    /// Writes the 12 octets at the start of `bytes` (which must hold them).
    public func store(into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= DNSLimits.headerSize)
        DNSWire.store16(bytes, 0, id)
        DNSWire.store16(bytes, 2, flags)
        DNSWire.store16(bytes, 4, questionCount)
        DNSWire.store16(bytes, 6, answerCount)
        DNSWire.store16(bytes, 8, authorityCount)
        DNSWire.store16(bytes, 10, additionalCount)
    }

    /// The count of records in `section`.
    public func count(of section: DNSSection) -> UInt16 {
        switch section {
        case .question: return questionCount
        case .answer: return answerCount
        case .authority: return authorityCount
        case .additional: return additionalCount
        }
    }
}

/// Big-endian loads and stores ("network order", RFC 1035 §2.3.2).
enum DNSWire {
    @inline(__always) static func load16(_ p: UnsafeRawBufferPointer, _ i: Int) -> UInt16 {
        UInt16(p[i]) << 8 | UInt16(p[i + 1])
    }
    @inline(__always) static func load32(_ p: UnsafeRawBufferPointer, _ i: Int) -> UInt32 {
        UInt32(p[i]) << 24 | UInt32(p[i + 1]) << 16 | UInt32(p[i + 2]) << 8 | UInt32(p[i + 3])
    }
    @inline(__always) static func store16(_ p: UnsafeMutableRawBufferPointer, _ i: Int, _ v: UInt16) {
        p[i] = UInt8(truncatingIfNeeded: v >> 8)
        p[i + 1] = UInt8(truncatingIfNeeded: v)
    }
    @inline(__always) static func store32(_ p: UnsafeMutableRawBufferPointer, _ i: Int, _ v: UInt32) {
        p[i] = UInt8(truncatingIfNeeded: v >> 24)
        p[i + 1] = UInt8(truncatingIfNeeded: v >> 16)
        p[i + 2] = UInt8(truncatingIfNeeded: v >> 8)
        p[i + 3] = UInt8(truncatingIfNeeded: v)
    }
    /// ASCII case folding for name comparison (RFC 4343 §3: only A–Z fold).
    @inline(__always) static func lower(_ b: UInt8) -> UInt8 {
        b &- 0x41 < 26 ? b | 0x20 : b  // wrapping: bytes below 'A' wrap to large values
    }
}
