/// An allocation-free writer of one DNS message (RFC 1035 §4.1) into a
/// buffer the caller owns, with name compression (§4.1.4).
///
/// Items go in wire order: questions, then answer, authority and
/// additional records (a precondition). The header's counts follow what
/// was appended; set its id and flags through `header` and call `finish()`
/// to store it. Every append checks `limit` (the largest message the
/// caller may send: 512 for classic UDP, the EDNS payload size, 65535 over
/// TCP) and throws `.dnsNoSpace` without changing the message if the item
/// does not fit; with `mark()`/`rollback(to:)` the caller drops what it
/// added since and sets TC (RFC 2181 §9, RFC 1035 §4.2.1).
///
/// Compression: each name written in owner position (and rdata names when
/// asked) is remembered by the offsets of its labels (up to 64; later ones
/// are written but not offered as targets), and a later name whose suffix
/// equals a remembered one, ignoring ASCII case, ends in a pointer to it.
/// A name that equals the question's is so written as a pointer to it,
/// which also echoes the question's case.
public struct DNSMessageWriter {
    public let buffer: UnsafeMutableRawBufferPointer
    /// Octets written so far (the header counts as 12 from the start).
    public private(set) var count: Int
    /// The largest message allowed; at most `buffer.count`.
    public var limit: Int {
        didSet { precondition(limit <= buffer.count && limit >= count) }
    }
    public var header: DNSHeader
    public private(set) var section: DNSSection
    var recordStart: Int
    var targets: CompressionTargets

    /// A point to come back to with `rollback(to:)`.
    public struct Mark {
        let count: Int
        let header: DNSHeader
        let section: DNSSection
        let targets: Int
    }

    public init(buffer: UnsafeMutableRawBufferPointer, limit: Int) {
        precondition(buffer.count >= DNSLimits.headerSize && limit >= DNSLimits.headerSize)
        self.buffer = buffer
        self.limit = min(limit, buffer.count)
        count = DNSLimits.headerSize
        header = DNSHeader()
        section = .question
        recordStart = -1
        targets = CompressionTargets()
    }

    /// Stores the header and returns the message length.
    public mutating func finish() -> Int {
        precondition(recordStart < 0, "a record is still open")
        header.store(into: buffer)
        return count
    }

    public func mark() -> Mark {
        precondition(recordStart < 0, "a record is still open")
        return Mark(count: count, header: header, section: section, targets: targets.count)
    }

    /// Drops everything appended since `mark` (counts included). Header
    /// flags set since are kept.
    public mutating func rollback(to mark: Mark) {
        let flags = header.flags, id = header.id
        count = mark.count
        header = mark.header
        header.flags = flags
        header.id = id
        section = mark.section
        targets.count = mark.targets
        recordStart = -1
    }

    @inline(__always)
    func need(_ n: Int) throws(NostrError) {
        guard limit - count >= n else { throw NostrError(.dnsNoSpace, at: count) }
    }

    mutating func enter(_ s: DNSSection) {
        precondition(recordStart < 0, "a record is still open")
        precondition(s.rawValue >= section.rawValue, "DNS sections go in wire order")
        section = s
    }

    /// Appends a question (RFC 1035 §4.1.2). `name` is a flat name; it is
    /// written uncompressed when it is the first, so its case is kept.
    public mutating func appendQuestion(_ name: UnsafeRawBufferPointer, type: UInt16, rawClass: UInt16) throws(NostrError) {
        enter(.question)
        let start = count, saved = targets.count
        do {
            try appendName(name, compress: true)
            try need(4)
        } catch {
            count = start; targets.count = saved
            throw error
        }
        DNSWire.store16(buffer, count, type)
        DNSWire.store16(buffer, count + 2, rawClass)
        count += 4
        header.questionCount &+= 1
    }

    /// Starts a record in `section`: owner name (compressed), type, class
    /// (raw: set `DNSClass.topBit` for mDNS cache-flush), TTL and a
    /// placeholder RDLENGTH. Append the rdata, then call `endRecord()`.
    public mutating func beginRecord(
        _ section: DNSSection, name: UnsafeRawBufferPointer, type: UInt16,
        rawClass: UInt16, ttl: UInt32
    ) throws(NostrError) {
        precondition(section != .question)
        enter(section)
        let start = count, saved = targets.count
        do {
            try appendName(name, compress: true)
            try need(10)
        } catch {
            count = start; targets.count = saved
            throw error
        }
        DNSWire.store16(buffer, count, type)
        DNSWire.store16(buffer, count + 2, rawClass)
        DNSWire.store32(buffer, count + 4, ttl)
        count += 10
        recordStart = start
    }

    /// RDLENGTH position of the open record.
    var rdlengthOffset: Int {
        var p = recordStart
        while true {  // past the owner name as written (labels, then 0 or a pointer)
            let b = buffer[p]
            if b == 0 { p += 1; break }
            if b & 0xC0 == 0xC0 { p += 2; break }
            p += 1 + Int(b)
        }
        return p + 8
    }

    /// Closes the open record: stores RDLENGTH and counts it.
    public mutating func endRecord() {
        precondition(recordStart >= 0, "no record is open")
        let at = rdlengthOffset
        DNSWire.store16(buffer, at, UInt16(count - at - 2))
        recordStart = -1
        switch section {
        case .question: break
        case .answer: header.answerCount &+= 1
        case .authority: header.authorityCount &+= 1
        case .additional: header.additionalCount &+= 1
        }
    }

    /// Abandons the open record (e.g. after `.dnsNoSpace` in its rdata).
    public mutating func abandonRecord() {
        precondition(recordStart >= 0, "no record is open")
        count = recordStart
        targets.dropAtOrAfter(recordStart)
        recordStart = -1
    }

    /// Appends raw octets (rdata).
    public mutating func appendBytes(_ bytes: UnsafeRawBufferPointer) throws(NostrError) {
        try need(bytes.count)
        if bytes.count > 0 {
            UnsafeMutableRawBufferPointer(rebasing: buffer[count..<(count + bytes.count)]).copyMemory(from: bytes)
        }
        count += bytes.count
    }

    public mutating func appendUInt8(_ v: UInt8) throws(NostrError) {
        try need(1); buffer[count] = v; count += 1
    }

    public mutating func appendUInt16(_ v: UInt16) throws(NostrError) {
        try need(2); DNSWire.store16(buffer, count, v); count += 2
    }

    public mutating func appendUInt32(_ v: UInt32) throws(NostrError) {
        try need(4); DNSWire.store32(buffer, count, v); count += 4
    }

    /// Appends a whole record whose rdata is `rdata`.
    public mutating func appendRecord(
        _ section: DNSSection, name: UnsafeRawBufferPointer, type: UInt16,
        rawClass: UInt16, ttl: UInt32, rdata: UnsafeRawBufferPointer
    ) throws(NostrError) {
        try beginRecord(section, name: name, type: type, rawClass: rawClass, ttl: ttl)
        do { try appendBytes(rdata) } catch { abandonRecord(); throw error }
        endRecord()
    }

    /// Appends the OPT pseudo-record (RFC 6891 §6.1.2): root owner, type
    /// 41, CLASS = our UDP payload size, TTL = extended RCODE high bits,
    /// version, DO; no options.
    public mutating func appendOPT(_ edns: DNSEDNS) throws(NostrError) {
        enter(.additional)
        try need(11)
        buffer[count] = 0
        DNSWire.store16(buffer, count + 1, DNSType.opt)
        DNSWire.store16(buffer, count + 3, edns.udpPayloadSize)
        let ttl = UInt32(edns.extendedRCode) << 24 | UInt32(edns.version) << 16 | (edns.dnssecOK ? 0x8000 : 0)
        DNSWire.store32(buffer, count + 5, ttl)
        DNSWire.store16(buffer, count + 9, 0)
        count += 11
        header.additionalCount &+= 1
    }

    /// Appends a flat name, compressed against earlier names when
    /// `compress` (RFC 1035 §4.1.4). Names in rdata may be compressed only
    /// for the RFC 1035 types and those RFC 3597 §4 and RFC 6762 §18.14
    /// list; pass false otherwise.
    public mutating func appendName(_ name: UnsafeRawBufferPointer, compress: Bool) throws(NostrError) {
        guard let length = DNSFlatName.length(name), length == name.count else { throw NostrError(.dnsName) }
        var p = 0
        if compress {
            while name[p] != 0 {
                if let target = findTarget(UnsafeRawBufferPointer(rebasing: name[p..<length])) {
                    try need(p + 2)
                    copyLabels(name, upTo: p)
                    DNSWire.store16(buffer, count, 0xC000 | UInt16(target))
                    count += 2
                    return
                }
                p += 1 + Int(name[p])
            }
        }
        try need(length)
        copyLabels(name, upTo: length - 1)
        buffer[count] = 0
        count += 1
    }

    /// Copies the labels `name[0..<end]`, remembering where each starts.
    mutating func copyLabels(_ name: UnsafeRawBufferPointer, upTo end: Int) {
        var p = 0
        while p < end {
            if compressible(count) { targets.append(UInt16(count)) }
            let n = 1 + Int(name[p])
            UnsafeMutableRawBufferPointer(rebasing: buffer[count..<(count + n)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: name[p..<(p + n)]))
            count += n
            p += n
        }
    }

    @inline(__always) func compressible(_ offset: Int) -> Bool { offset < 0x4000 }

    /// The offset of a remembered name equal to `suffix` (flat), or nil.
    func findTarget(_ suffix: UnsafeRawBufferPointer) -> Int? {
        for i in 0..<targets.count {
            let o = Int(targets[i])
            if matches(at: o, suffix) { return o }
        }
        return nil
    }

    /// Whether the (already written, valid) name at `offset` equals `flat`.
    func matches(at offset: Int, _ flat: UnsafeRawBufferPointer) -> Bool {
        var p = offset, q = 0
        while true {
            let b = buffer[p]
            if b & 0xC0 == 0xC0 { p = Int(b & 0x3F) << 8 | Int(buffer[p + 1]); continue }
            if Int(b) != Int(flat[q]) { return false }
            if b == 0 { return true }
            for i in 1...Int(b) where DNSWire.lower(buffer[p + i]) != DNSWire.lower(flat[q + i]) { return false }
            p += 1 + Int(b)
            q += 1 + Int(b)
        }
    }
}

/// Up to 64 offsets of label starts that later names may point to, inline.
struct CompressionTargets {
    static let capacity = 64
    var storage:
        (
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
        ) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var count = 0

    subscript(i: Int) -> UInt16 {
        withUnsafeBytes(of: storage) { $0.load(fromByteOffset: i * 2, as: UInt16.self) }
    }

    mutating func append(_ v: UInt16) {
        guard count < Self.capacity else { return }
        withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: v, toByteOffset: count * 2, as: UInt16.self) }
        count += 1
    }

    /// Forgets targets at or after `offset` (they are appended in order).
    mutating func dropAtOrAfter(_ offset: Int) {
        while count > 0 && Int(self[count - 1]) >= offset { count -= 1 }
    }
}
