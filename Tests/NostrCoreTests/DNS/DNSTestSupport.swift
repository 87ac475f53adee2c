import Testing

@testable import NostrCore

/// Helpers for the DNS codec tests: messages as byte arrays, read whole.
enum DNSFixtures {
    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }

    static func header(
        id: UInt16 = 0x1234, flags: UInt16 = 0x0100, qd: UInt16 = 1, an: UInt16 = 0,
        ns: UInt16 = 0, ar: UInt16 = 0
    ) -> [UInt8] {
        be16(id) + be16(flags) + be16(qd) + be16(an) + be16(ns) + be16(ar)
    }

    static func flat(_ text: String) -> [UInt8] { try! DNSFlatName.fromText(text) }

    /// A standard query for `name` (text) and `type`.
    static func query(_ name: String, type: UInt16 = DNSType.a, rawClass: UInt16 = DNSClass.in, id: UInt16 = 0x1234) -> [UInt8] {
        header(id: id) + flat(name) + be16(type) + be16(rawClass)
    }

    /// Every question and record of `bytes`, as (section, name text, type, raw class, rdata).
    static func readAll(_ bytes: [UInt8]) throws(NostrError) -> (DNSHeader, [(DNSSection, String, UInt16, UInt16, [UInt8])], DNSEDNS?) {
        try bytes.withBytes { (p) throws(NostrError) in
            var r = try DNSMessageReader(p)
            var items: [(DNSSection, String, UInt16, UInt16, [UInt8])] = []
            while let q = try r.nextQuestion() {
                items.append((.question, nameText(r, q.name), q.type, q.rawClass, []))
            }
            while let rr = try r.nextRecord() {
                items.append((rr.section, nameText(r, rr.name), rr.type, rr.rawClass, Array(r.rdata(of: rr))))
            }
            return (r.header, items, r.edns)
        }
    }

    static func nameText(_ r: DNSMessageReader, _ name: DNSName) -> String {
        var buffer = [UInt8](repeating: 0, count: 255)
        let n = buffer.withUnsafeMutableBytes { r.copyName(name, into: $0) }
        return buffer[0..<n].withUnsafeBytes { DNSFlatName.text($0) }
    }

    static func code(_ bytes: [UInt8]) -> NostrError.Code? {
        errorCode { _ = try readAll(bytes) }
    }

    /// Writes a message with `body` into a buffer of `capacity` octets and limit `limit`.
    static func write(
        capacity: Int = 4096, limit: Int = 4096,
        _ body: (inout DNSMessageWriter) throws(NostrError) -> Void
    ) throws(NostrError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0xEE, count: capacity)
        let n = try buffer.withMutableBytes { (p) throws(NostrError) -> Int in
            var w = DNSMessageWriter(buffer: p, limit: limit)
            try body(&w)
            return w.finish()
        }
        return Array(buffer[0..<n])
    }
}

extension [UInt8] {
    /// Runs `body` with this array as a flat name.
    func asName<R>(_ body: (UnsafeRawBufferPointer) throws(NostrError) -> R) throws(NostrError) -> R {
        try withBytes(body)
    }
}
