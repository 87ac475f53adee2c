/// A question (RFC 1035 §4.1.2). `rawClass` is the class field as sent: in
/// multicast DNS its top bit asks for a unicast answer (RFC 6762 §5.4), see
/// `DNSClass.isUnicastResponse`.
public struct DNSQuestion: Equatable, Sendable {
    public var name: DNSName
    public var type: UInt16
    public var rawClass: UInt16

    /// The class without the mDNS QU bit.
    public var dnsClass: UInt16 { DNSClass.value(rawClass) }
    /// RFC 6762 §5.4: the QU bit.
    public var unicastResponse: Bool { DNSClass.isUnicastResponse(rawClass) }
}

/// A resource record (RFC 1035 §4.1.3) read in place: its rdata stays in
/// the message (`DNSMessageReader.rdata(of:)`). `rawClass` is the class
/// field as sent: in multicast DNS its top bit is cache-flush (RFC 6762
/// §10.2), see `DNSClass.isCacheFlush`; in an OPT record it is the
/// requester's UDP payload size (RFC 6891 §6.1.2).
public struct DNSRecord: Equatable, Sendable {
    public var section: DNSSection
    public var name: DNSName
    public var type: UInt16
    public var rawClass: UInt16
    public var ttl: UInt32
    /// Offset of the rdata in the message, and its length (RDLENGTH).
    public var rdataOffset: Int
    public var rdataLength: Int

    /// The class without the mDNS cache-flush bit.
    public var dnsClass: UInt16 { DNSClass.value(rawClass) }
    /// RFC 6762 §10.2: the cache-flush bit.
    public var cacheFlush: Bool { DNSClass.isCacheFlush(rawClass) }
}

/// What an OPT pseudo-record (RFC 6891 §6.1.2, §6.1.3) says:
/// CLASS = the requester's UDP payload size; TTL = extended RCODE (upper
/// 8 bits), VERSION, DO bit and Z.
public struct DNSEDNS: Equatable, Sendable {
    public var udpPayloadSize: UInt16
    public var extendedRCode: UInt8
    public var version: UInt8
    /// RFC 3225: DNSSEC OK.
    public var dnssecOK: Bool

    public init(udpPayloadSize: UInt16, extendedRCode: UInt8 = 0, version: UInt8 = 0, dnssecOK: Bool = false) {
        self.udpPayloadSize = udpPayloadSize
        self.extendedRCode = extendedRCode
        self.version = version
        self.dnssecOK = dnssecOK
    }

    public init(_ record: DNSRecord) {
        udpPayloadSize = record.rawClass
        extendedRCode = UInt8(truncatingIfNeeded: record.ttl >> 24)
        version = UInt8(truncatingIfNeeded: record.ttl >> 16)
        dnssecOK = record.ttl & 0x8000 != 0
    }

    /// RFC 6891 §6.2.5: a payload size below 512 is treated as 512.
    public var effectivePayloadSize: Int { max(Int(udpPayloadSize), DNSLimits.classicUDPSize) }
}

/// An in-place, allocation-free reader of one DNS message (RFC 1035 §4.1).
///
/// It reads the header at once and then, on demand, one question or record
/// after another in wire order, validating each name (`DNSName.scan`) and
/// each field's length against the message. Nothing is copied: names and
/// rdata are offsets into `bytes`, which the caller keeps alive (the
/// reader is used inside a `withUnsafeBytes` scope).
///
/// The section counts are checked against the message size first
/// (`.dnsCounts`): every question takes at least 5 octets and every record
/// at least 11, so a 40-octet message cannot claim 65535 questions.
public struct DNSMessageReader {
    public let bytes: UnsafeRawBufferPointer
    public let header: DNSHeader
    /// Where the next question or record starts.
    public private(set) var offset: Int
    /// The section of the next item.
    public private(set) var section: DNSSection
    var remainingInSection: Int
    /// The OPT record seen so far (RFC 6891), if any.
    public private(set) var edns: DNSEDNS?

    static let minQuestion = 5  // root name + type + class
    static let minRecord = 11  // root name + type + class + ttl + rdlength

    public init(_ bytes: UnsafeRawBufferPointer) throws(NostrError) {
        self.bytes = bytes
        header = try DNSHeader(from: bytes)
        let minimum =
            DNSLimits.headerSize + Int(header.questionCount) * Self.minQuestion
            + (Int(header.answerCount) + Int(header.authorityCount) + Int(header.additionalCount)) * Self.minRecord
        guard minimum <= bytes.count else { throw NostrError(.dnsCounts, at: 4) }
        offset = DNSLimits.headerSize
        section = .question
        remainingInSection = Int(header.questionCount)
        edns = nil
        advanceSection()
    }

    /// Moves past sections with nothing left.
    mutating func advanceSection() {
        while remainingInSection == 0, let next = DNSSection(rawValue: section.rawValue + 1) {
            section = next
            remainingInSection = Int(header.count(of: next))
        }
    }

    /// True when every question and record has been read.
    public var atEnd: Bool { remainingInSection == 0 }

    /// The next question, or nil when the question section is done.
    public mutating func nextQuestion() throws(NostrError) -> DNSQuestion? {
        guard section == .question, remainingInSection > 0 else { return nil }
        let name = try DNSName.scan(bytes, at: offset)
        let fixed = offset + name.wireLength
        guard bytes.count - fixed >= 4 else { throw NostrError(.dnsTruncated, at: fixed) }
        let q = DNSQuestion(name: name, type: DNSWire.load16(bytes, fixed), rawClass: DNSWire.load16(bytes, fixed + 2))
        offset = fixed + 4
        remainingInSection -= 1
        advanceSection()
        return q
    }

    /// The next resource record (answer, authority, then additional; any
    /// questions not read yet are read and skipped first), or nil at the
    /// end. An OPT record must have the root name and be the only one
    /// (RFC 6891 §6.1.1), else `.dnsMessage`; it is returned like any
    /// record and also kept in `edns`.
    public mutating func nextRecord() throws(NostrError) -> DNSRecord? {
        while section == .question, remainingInSection > 0 { _ = try nextQuestion() }
        guard remainingInSection > 0 else { return nil }
        let start = offset
        let name = try DNSName.scan(bytes, at: offset)
        let fixed = offset + name.wireLength
        guard bytes.count - fixed >= 10 else { throw NostrError(.dnsTruncated, at: fixed) }
        let rdlength = Int(DNSWire.load16(bytes, fixed + 8))
        guard bytes.count - (fixed + 10) >= rdlength else { throw NostrError(.dnsTruncated, at: fixed + 8) }
        let record = DNSRecord(
            section: section, name: name, type: DNSWire.load16(bytes, fixed),
            rawClass: DNSWire.load16(bytes, fixed + 2), ttl: DNSWire.load32(bytes, fixed + 4),
            rdataOffset: fixed + 10, rdataLength: rdlength)
        if record.type == DNSType.opt {
            guard record.section == .additional, name.flatLength == 1, edns == nil else {
                throw NostrError(.dnsMessage, at: start)
            }
            edns = DNSEDNS(record)
        }
        offset = fixed + 10 + rdlength
        remainingInSection -= 1
        advanceSection()
        return record
    }

    /// Reads (and so validates) everything left; afterwards `edns` is final.
    public mutating func readToEnd() throws(NostrError) {
        while try nextRecord() != nil {}
    }

    /// The rdata of `record`.
    public func rdata(of record: DNSRecord) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[record.rdataOffset..<(record.rdataOffset + record.rdataLength)])
    }

    /// A (possibly compressed) name inside `record`'s rdata at `relative`
    /// octets from its start (PTR, SRV target, SOA, NSEC next name…); it
    /// must end within the rdata.
    public func rdataName(_ record: DNSRecord, at relative: Int) throws(NostrError) -> DNSName {
        let start = record.rdataOffset + relative
        guard relative >= 0, relative < record.rdataLength else { throw NostrError(.dnsTruncated, at: start) }
        let name = try DNSName.scan(bytes, at: start)
        guard relative + name.wireLength <= record.rdataLength else { throw NostrError(.dnsMessage, at: start) }
        return name
    }

    /// Writes the flat (uncompressed) form of `name` into `destination`,
    /// keeping each octet's case, and returns its length
    /// (`name.flatLength`). `destination` must hold 255 octets or
    /// `name.flatLength`.
    @discardableResult
    public func copyName(_ name: DNSName, into destination: UnsafeMutableRawBufferPointer) -> Int {
        precondition(destination.count >= name.flatLength)
        var w = 0
        name.forEachLabel(in: bytes) { label in
            destination[w] = UInt8(truncatingIfNeeded: label.count)
            w += 1
            for b in label { destination[w] = b; w += 1 }
            return true
        }
        destination[w] = 0
        return w + 1
    }

    /// Whether `name` equals the flat name `flat`, ignoring ASCII case.
    public func name(_ name: DNSName, equals flat: UnsafeRawBufferPointer) -> Bool {
        guard name.flatLength == flat.count else { return false }
        var p = 0
        let allEqual = name.forEachLabel(in: bytes) { label in
            guard Int(flat[p]) == label.count else { return false }
            for i in 0..<label.count where DNSWire.lower(label[i]) != DNSWire.lower(flat[p + 1 + i]) { return false }
            p += 1 + label.count
            return true
        }
        return allEqual && flat[p] == 0
    }

    /// Whether two names of this message are equal, ignoring ASCII case.
    public func name(_ a: DNSName, equals b: DNSName) -> Bool {
        guard a.flatLength == b.flatLength else { return false }
        if a.offset == b.offset { return true }
        var flat:
            (
                UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &flat) { buffer in
            let n = copyName(b, into: buffer)
            return name(a, equals: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }
}
