/// Domain names on the wire (RFC 1035 §3.1, §4.1.4).
///
/// Two forms are used:
/// - `DNSName`: a validated reference to a name inside a received message,
///   possibly compressed. Made only by the reader, after `DNSName.scan`
///   accepted it, so walking it later cannot fail or loop.
/// - a *flat* name: the uncompressed wire form (length-prefixed labels,
///   ending with the zero-length root label) in a caller's buffer. The
///   writer takes flat names; `DNSMessageReader.copyName` makes one.
///
/// Names compare case-insensitively in ASCII only (RFC 4343 §3).
public struct DNSName: Equatable, Sendable {
    /// Where the name starts in its message.
    public let offset: Int
    /// Octets the name occupies at `offset` (up to and including its root
    /// label or its first pointer): where the next field starts.
    public let wireLength: Int
    /// The length of the uncompressed (flat) form, root label included: 1…255.
    public let flatLength: Int

    /// Validates the name at `start` in `message`, with the rules c-ares
    /// applies (`ares_dns_name.c`) and RFC 1035 §4.1.4 implies:
    /// - a label-length octet 0b00xxxxxx starts a label of that many
    ///   octets (so 63 at most), which must lie within the message;
    /// - 0b11xxxxxx starts a two-octet pointer, whose second octet must be
    ///   present (`.dnsPointer` for a half pointer); it must point strictly
    ///   before the start of the labels being read (so every jump goes
    ///   backwards and a loop is impossible) and past the 12-octet header;
    ///   at most `DNSLimits.maxJumps` jumps;
    /// - 0b01 and 0b10 are the reserved (RFC 6891 §5 retired "extended")
    ///   label types: `.dnsLabelType`;
    /// - the uncompressed name is at most 255 octets (`.dnsName`), counted
    ///   while following pointers.
    /// Errors carry the offset of the offending octet.
    public static func scan(_ message: UnsafeRawBufferPointer, at start: Int) throws(NostrError) -> DNSName {
        var p = start
        var end = -1
        var flat = 1  // the root label
        var jumps = 0
        var segmentStart = start
        while true {
            guard p < message.count else { throw NostrError(.dnsTruncated, at: p) }
            let b = message[p]
            switch b & 0xC0 {
            case 0x00:
                if b == 0 {
                    if end < 0 { end = p + 1 }
                    return DNSName(offset: start, wireLength: end - start, flatLength: flat)
                }
                let length = Int(b)
                guard message.count - (p + 1) >= length else { throw NostrError(.dnsTruncated, at: p) }
                flat += 1 + length
                guard flat <= DNSLimits.maxName else { throw NostrError(.dnsName, at: p) }
                p += 1 + length
            case 0xC0:
                guard p + 1 < message.count else { throw NostrError(.dnsPointer, at: p) }
                let target = Int(b & 0x3F) << 8 | Int(message[p + 1])
                guard target < segmentStart, target >= DNSLimits.headerSize else { throw NostrError(.dnsPointer, at: p) }
                jumps += 1
                guard jumps <= DNSLimits.maxJumps else { throw NostrError(.dnsPointer, at: p) }
                if end < 0 { end = p + 2 }
                segmentStart = target
                p = target
            default:
                throw NostrError(.dnsLabelType, at: p)
            }
        }
    }

    /// Calls `body` with each label of this (validated) name in `message`,
    /// leftmost first, root excluded; stops early when `body` returns false.
    /// Returns false if stopped early.
    @discardableResult @inline(__always)
    public func forEachLabel(in message: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Bool) -> Bool {
        var p = offset
        while true {
            let b = message[p]
            if b == 0 { return true }
            if b & 0xC0 == 0xC0 {
                p = Int(b & 0x3F) << 8 | Int(message[p + 1])
                continue
            }
            let length = Int(b)
            if !body(UnsafeRawBufferPointer(rebasing: message[(p + 1)..<(p + 1 + length)])) { return false }
            p += 1 + length
        }
    }
}

/// Operations on flat names (the uncompressed wire form).
public enum DNSFlatName {
    /// Case-insensitive equality of two flat names (RFC 4343 §3).
    public static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        var i = 0
        while i < a.count {
            // Length octets are below 'A' (64 > 63), so folding leaves them alone.
            if DNSWire.lower(a[i]) != DNSWire.lower(b[i]) { return false }
            i += 1
        }
        return true
    }

    /// The flat length of the valid flat name at the start of `bytes`, or
    /// nil if `bytes` does not start with one (labels ≤ 63 octets, no
    /// pointers, root-terminated, ≤ 255 octets).
    public static func length(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var p = 0
        while p < bytes.count && p < DNSLimits.maxName {
            let b = Int(bytes[p])
            if b == 0 { return p + 1 }
            if b > DNSLimits.maxLabel { return nil }
            p += 1 + b
        }
        return nil
    }

    /// Number of labels, root excluded.
    public static func labelCount(_ name: UnsafeRawBufferPointer) -> Int {
        var p = 0, n = 0
        while p < name.count, name[p] != 0 { p += 1 + Int(name[p]); n += 1 }
        return n
    }

    /// The offset of label `index` (0 = leftmost) in the flat name, or nil.
    public static func labelOffset(_ name: UnsafeRawBufferPointer, _ index: Int) -> Int? {
        var p = 0, n = 0
        while p < name.count, name[p] != 0 {
            if n == index { return p }
            p += 1 + Int(name[p]); n += 1
        }
        return nil
    }

    /// The flat form of a dotted text name ("www.example.nostr", with or
    /// without the final dot; "" or "." is the root). Allocates: for
    /// configuration and tests, not for the answer path. `.dnsName` for an
    /// empty label, a label over 63 octets or a name over 255.
    public static func fromText(_ text: some StringProtocol) throws(NostrError) -> [UInt8] {
        var out: [UInt8] = []
        var label: [UInt8] = []
        let utf8 = Array(text.utf8)
        if utf8.isEmpty || utf8 == [0x2E] { return [0] }
        for (i, c) in utf8.enumerated() {
            if c == 0x2E {
                guard !label.isEmpty, label.count <= DNSLimits.maxLabel else { throw NostrError(.dnsName, at: i) }
                out.append(UInt8(label.count)); out += label; label.removeAll(keepingCapacity: true)
            } else {
                label.append(c)
            }
        }
        if !label.isEmpty {
            guard label.count <= DNSLimits.maxLabel else { throw NostrError(.dnsName, at: utf8.count) }
            out.append(UInt8(label.count)); out += label
        }
        out.append(0)
        guard out.count <= DNSLimits.maxName else { throw NostrError(.dnsName) }
        return out
    }

    /// Dotted text of a flat name, for logs and tests (bytes outside
    /// printable ASCII, and '.' inside a label, as `\DDD`, RFC 4343 §2.1).
    public static func text(_ name: UnsafeRawBufferPointer) -> String {
        var out: [UInt8] = []
        var p = 0
        while p < name.count, name[p] != 0 {
            let n = Int(name[p])
            for i in (p + 1)..<min(p + 1 + n, name.count) {
                let c = name[i]
                if c > 0x20 && c < 0x7F && c != 0x2E && c != 0x5C {
                    out.append(c)
                } else {
                    out.append(0x5C)
                    out.append(0x30 + c / 100); out.append(0x30 + c / 10 % 10); out.append(0x30 + c % 10)
                }
            }
            out.append(0x2E)
            p += 1 + n
        }
        if out.isEmpty { out.append(0x2E) }
        return String(decoding: out, as: UTF8.self)
    }
}
