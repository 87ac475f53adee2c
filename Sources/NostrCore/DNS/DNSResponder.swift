/// Parsing queries and writing answers for an authoritative server (RFC
/// 1035 §4.1, §7; RFC 2308 for negative answers; RFC 6891 for EDNS; RFC
/// 8482 for ANY). Sans-IO and allocation-free: the DNS server (`dns`
/// subcommand) and its tests drive it.
public enum DNSResponder {
    /// The largest UDP answer we send, whatever the client offers: the
    /// DNS Flag Day 2020 value, which avoids IP fragmentation.
    public static let maxUDPPayload: UInt16 = 1232

    /// A query worth answering.
    public struct Query: Sendable {
        public var header: DNSHeader
        public var question: DNSQuestion
        public var edns: DNSEDNS?
        /// The largest answer the client takes over UDP (RFC 6891 §6.2.5;
        /// 512 without EDNS, RFC 1035 §4.2.1), capped at `maxUDPPayload`.
        public var udpLimit: Int {
            guard let edns else { return DNSLimits.classicUDPSize }
            return min(edns.effectivePayloadSize, Int(maxUDPPayload))
        }
    }

    public enum Parsed: Sendable {
        /// Answer it.
        case query(Query)
        /// Answer with this error code (FORMERR, NOTIMP, BADVERS): `question`
        /// when one could be read, `edns` when the query had a valid OPT.
        case error(DNSHeader, rcode: UInt16, question: DNSQuestion?, edns: DNSEDNS?)
        /// Not worth an answer: shorter than a header, or a response (QR
        /// set; answering responses invites loops).
        case drop
    }

    /// Reads a query: one question (RFC 1035 §4.1.2; several are FORMERR
    /// here, as in most servers), opcode QUERY (else NOTIMP), EDNS version
    /// 0 (else BADVERS, RFC 6891 §6.1.3), and every record after the
    /// question well-formed (else FORMERR).
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Parsed {
        parse(bytes, copyingNameInto: nil).parsed
    }

    /// `parse`, and for a query the question's name copied flat into
    /// `name` (255 octets; its length returned, 0 otherwise) while the
    /// message is read: a server that needs the name reads the query once.
    public static func parse(
        _ bytes: UnsafeRawBufferPointer, copyingNameInto name: UnsafeMutableRawBufferPointer?
    )
        -> (parsed: Parsed, nameLength: Int)
    {
        guard let header = try? DNSHeader(from: bytes), !header.isResponse else { return (.drop, 0) }
        var reader: DNSMessageReader
        do throws(NostrError) { reader = try DNSMessageReader(bytes) } catch {
            return (.error(header, rcode: DNSRCode.formErr, question: nil, edns: nil), 0)
        }
        guard header.opcode == 0 else {
            return (.error(header, rcode: DNSRCode.notImp, question: nil, edns: nil), 0)
        }
        guard header.questionCount == 1 else {
            return (.error(header, rcode: DNSRCode.formErr, question: nil, edns: nil), 0)
        }
        let question: DNSQuestion
        do throws(NostrError) {
            guard let q = try reader.nextQuestion() else { return (.error(header, rcode: DNSRCode.formErr, question: nil, edns: nil), 0) }
            question = q
        } catch {
            return (.error(header, rcode: DNSRCode.formErr, question: nil, edns: nil), 0)
        }
        do throws(NostrError) { try reader.readToEnd() } catch {
            return (.error(header, rcode: DNSRCode.formErr, question: question, edns: nil), 0)
        }
        if let edns = reader.edns, edns.version != 0 {
            return (.error(header, rcode: DNSRCode.badVers, question: question, edns: edns), 0)
        }
        let n = name.map { reader.copyName(question.name, into: $0) } ?? 0
        return (.query(Query(header: header, question: question, edns: reader.edns)), n)
    }

    /// What to answer for a question of the zone.
    public enum Content {
        /// Address records of the question's name (A and AAAA picked by type).
        case addresses([IPAddress], ttl: UInt32)
        /// TLSA 3 1 1 records (RFC 6698 §2.1; RFC 7218: DANE-EE, SPKI, SHA2-256).
        case tlsa([CachedTLSKey], port: UInt16, ttl: UInt32)
        /// The zone's SOA (a question for the apex).
        case apex
        /// The name exists but has no data of the type asked (RFC 2308 §2.2).
        case noData
        /// The name does not exist (RFC 2308 §2.1).
        case nameError
        /// SERVFAIL, REFUSED, …: just the header, question and OPT.
        case rcode(UInt16)
    }

    /// Settings of the zone's SOA (RFC 1035 §3.3.13).
    public struct SOA: Sendable {
        /// RFC 2308 §4: the negative-caching TTL is the minimum of the
        /// SOA's MINIMUM field and its TTL.
        public var negativeTTL: UInt32 = 60
        public var serial: UInt32 = 1
        public init(negativeTTL: UInt32 = 60, serial: UInt32 = 1) {
            self.negativeTTL = negativeTTL
            self.serial = serial
        }
    }

    /// Writes the answer to `query` (whose bytes are `message`) into
    /// `buffer`, at most `limit` octets, and returns its length. The
    /// question is copied as sent (its case echoed, RFC 4343 §4.1) and the
    /// answer names point to it. When the records do not fit, they are
    /// left out and TC is set (RFC 2181 §9), so the client retries over TCP.
    /// An OPT record is added when the query had one (RFC 6891 §7).
    public static func answer(
        _ query: Query, message: UnsafeRawBufferPointer, content: Content, soa: SOA,
        into buffer: UnsafeMutableRawBufferPointer, limit: Int
    ) -> Int {
        // The question, copied flat from the query (case kept).
        var flat:
            (
                UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &flat) { scratch in
            guard let reader = try? DNSMessageReader(message) else {
                return answer(query, name: nil, content: content, soa: soa, into: buffer, limit: limit)
            }
            let n = reader.copyName(query.question.name, into: scratch)
            return answer(
                query, name: UnsafeRawBufferPointer(rebasing: scratch[0..<n]), content: content, soa: soa,
                into: buffer, limit: limit)
        }
    }

    /// `answer(_:message:…)` with the question's name already flat (as
    /// `parse(_:copyingNameInto:)` gives it); nil writes no question.
    public static func answer(
        _ query: Query, name: UnsafeRawBufferPointer?, content: Content, soa: SOA,
        into buffer: UnsafeMutableRawBufferPointer, limit: Int
    ) -> Int {
        let q = query.question
        var header = DNSHeader(id: query.header.id)
        header.isResponse = true
        header.opcode = query.header.opcode
        header.recursionDesired = query.header.recursionDesired
        header.checkingDisabled = query.header.checkingDisabled
        var rcode = DNSRCode.noError
        switch content {
        case .rcode(let r): rcode = r
        case .nameError: rcode = DNSRCode.nxDomain
        default: header.isAuthoritative = true
        }
        if case .nameError = content { header.isAuthoritative = true }
        header.rcode = UInt8(truncatingIfNeeded: rcode & 0xF)
        let optSize = query.edns == nil ? 0 : 11
        var w = DNSMessageWriter(buffer: buffer, limit: limit - optSize)
        w.header = header
        var written = false
        if let name {
            do throws(NostrError) {
                try w.appendQuestion(name, type: q.type, rawClass: q.rawClass)
                written = true
            } catch {}
            if written {
                let mark = w.mark()
                do throws(NostrError) {
                    try writeRecords(&w, content: content, type: q.type, name: name, soa: soa)
                } catch {
                    w.rollback(to: mark)
                    w.header.isTruncated = true
                }
            }
        }
        if !written { w.header.questionCount = 0 }
        if let edns = query.edns {
            w.limit = limit
            let extended = UInt8(truncatingIfNeeded: rcode >> 4)
            try? w.appendOPT(
                DNSEDNS(
                    udpPayloadSize: maxUDPPayload, extendedRCode: extended, version: 0,
                    dnssecOK: edns.dnssecOK))  // RFC 3225 §3: DO is copied
        }
        return w.finish()
    }

    /// An error answer (FORMERR, NOTIMP, BADVERS, SERVFAIL, REFUSED) for a
    /// message that may not have a readable question.
    public static func error(
        _ header: DNSHeader, rcode: UInt16, question: DNSQuestion?, edns: DNSEDNS?,
        message: UnsafeRawBufferPointer, into buffer: UnsafeMutableRawBufferPointer, limit: Int
    ) -> Int {
        if let question {
            return answer(
                Query(header: header, question: question, edns: edns), message: message,
                content: .rcode(rcode), soa: SOA(), into: buffer, limit: limit)
        }
        var h = DNSHeader(id: header.id)
        h.isResponse = true
        h.opcode = header.opcode
        h.recursionDesired = header.recursionDesired
        h.rcode = UInt8(truncatingIfNeeded: rcode & 0xF)
        var w = DNSMessageWriter(buffer: buffer, limit: limit)
        w.header = h
        return w.finish()
    }

    static func writeRecords(
        _ w: inout DNSMessageWriter, content: Content, type: UInt16, name: UnsafeRawBufferPointer,
        soa: SOA
    ) throws(NostrError) {
        switch content {
        case .addresses(let addresses, let ttl):
            var any = false
            for a in addresses {
                switch a {
                case .v4(let v) where type == DNSType.a || type == DNSType.any:
                    try w.beginRecord(.answer, name: name, type: DNSType.a, rawClass: DNSClass.in, ttl: ttl)
                    try w.appendUInt32(v)
                    w.endRecord()
                    any = true
                case .v6(let hi, let lo) where type == DNSType.aaaa || type == DNSType.any:
                    try w.beginRecord(.answer, name: name, type: DNSType.aaaa, rawClass: DNSClass.in, ttl: ttl)
                    try w.appendUInt32(UInt32(truncatingIfNeeded: hi >> 32))
                    try w.appendUInt32(UInt32(truncatingIfNeeded: hi))
                    try w.appendUInt32(UInt32(truncatingIfNeeded: lo >> 32))
                    try w.appendUInt32(UInt32(truncatingIfNeeded: lo))
                    w.endRecord()
                    any = true
                default:
                    break
                }
            }
            if !any { try writeSOA(&w, .authority, soa: soa) }
        case .tlsa(let keys, let port, let ttl):
            var any = false
            if type == DNSType.tlsa || type == DNSType.any {
                for k in keys where k.port == port {
                    try w.beginRecord(.answer, name: name, type: DNSType.tlsa, rawClass: DNSClass.in, ttl: ttl)
                    try w.appendUInt8(3)  // certificate usage: DANE-EE
                    try w.appendUInt8(1)  // selector: SubjectPublicKeyInfo
                    try w.appendUInt8(1)  // matching type: SHA2-256
                    let result: Result<Void, NostrError> = k.spkiSHA256.withUnsafeBytes { p in
                        Result { () throws(NostrError) in try w.appendBytes(p) }
                    }
                    try result.get()
                    w.endRecord()
                    any = true
                }
            }
            if !any { try writeSOA(&w, .authority, soa: soa) }
        case .apex:
            if type == DNSType.soa || type == DNSType.any {
                try writeSOA(&w, .answer, soa: soa)
            } else {
                try writeSOA(&w, .authority, soa: soa)
            }
        case .noData, .nameError:
            try writeSOA(&w, .authority, soa: soa)
        case .rcode:
            break
        }
    }

    /// `nostr. SOA nostr. hostmaster.nostr. serial 3600 600 86400 minimum`;
    /// in an authority section its TTL is the negative TTL (RFC 2308 §3).
    static func writeSOA(_ w: inout DNSMessageWriter, _ section: DNSSection, soa: SOA) throws(NostrError) {
        try apexName.withBytes { (apex) throws(NostrError) in
            try w.beginRecord(section, name: apex, type: DNSType.soa, rawClass: DNSClass.in, ttl: soa.negativeTTL)
            do throws(NostrError) {
                try w.appendName(apex, compress: true)  // MNAME
                try hostmaster.withBytes { (h) throws(NostrError) in try w.appendName(h, compress: true) }  // RNAME
                try w.appendUInt32(soa.serial)
                try w.appendUInt32(3600)  // REFRESH
                try w.appendUInt32(600)  // RETRY
                try w.appendUInt32(86400)  // EXPIRE
                try w.appendUInt32(soa.negativeTTL)  // MINIMUM
            } catch {
                w.abandonRecord()
                throw error
            }
            w.endRecord()
        }
    }

    static let apexName: [UInt8] = NostrZone.apex
    /// `hostmaster.nostr.`
    static let hostmaster: [UInt8] = [10, 0x68, 0x6F, 0x73, 0x74, 0x6D, 0x61, 0x73, 0x74, 0x65, 0x72, 5, 0x6E, 0x6F, 0x73, 0x74, 0x72, 0]
}
