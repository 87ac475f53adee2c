/// The `nostr.` zone of the DNS server (the Design article, "What the product is"):
/// which record set a question names. Sans-IO and allocation-free: the
/// question name is given as a flat name (DNSName.swift).
///
/// - `nostr.` itself: the zone apex (SOA).
/// - `<npub>.nostr.` and `<label>.<npub>.nostr.`: address records (A, AAAA)
///   of the author, `d` = "" or the labels left of the npub, lowercased
///   and joined by dots ("www", "a.b").
/// - `_<port>._tcp.<npub>.nostr.`: TLSA (RFC 6698 §3: "_port._protocol.name")
///   from the author's TLS key records.
/// - Any other name under `nostr.` (not an npub, a bad checksum, a label
///   with characters a `d` tag of ours cannot hold) does not exist.
public enum NostrZoneName: Equatable, Sendable {
    case apex
    /// Address records; the label is `labelLength` octets of the flat name
    /// from offset 0 (length octets and all, see `NostrZone.labelText`).
    case addresses(author: Bytes32, labelLength: Int)
    case tlsa(author: Bytes32, port: UInt16)
    case nonexistent
    /// Not under `nostr.`: forward or refuse.
    case outside
}

public enum NostrZone {
    /// `nostr.` as a flat name.
    public static let apex: [UInt8] = [5, 0x6E, 0x6F, 0x73, 0x74, 0x72, 0]

    /// Classifies a flat name (any case). Allocation-free.
    public static func classify(_ name: UnsafeRawBufferPointer) -> NostrZoneName {
        let n = name.count
        // Ends in 05 "nostr" 00?
        guard n >= 7 else { return .outside }
        let tail = n - 7
        guard name[tail] == 5, name[n - 1] == 0 else { return .outside }
        for i in 0..<5 where DNSWire.lower(name[tail + 1 + i]) != apex[1 + i] { return .outside }
        // The label before it must start at a label boundary: walk the labels.
        var offsets = (0, 0, 0)  // the last three label starts before `tail`
        var count = 0
        var p = 0
        while p < tail {
            offsets = (offsets.1, offsets.2, p)
            count += 1
            p += 1 + Int(name[p])
        }
        guard p == tail else { return .outside }  // "xnostr" style mismatch cannot happen, but be safe
        if count == 0 { return .apex }
        let npubAt = offsets.2
        guard let author = decodeNpub(name, at: npubAt) else { return .nonexistent }
        if count == 1 { return .addresses(author: author, labelLength: 0) }
        if count == 3, let port = servicePort(name, at: offsets.0), isTCP(name, at: offsets.1) {
            return .tlsa(author: author, port: port)
        }
        // Every label left of the npub must be a host-name label (letters,
        // digits, '-', '_'), as NostrName requires of labels.
        var q = 0
        while q < npubAt {
            let length = Int(name[q])
            for i in 1...length {
                let c = DNSWire.lower(name[q + i])
                guard (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x5F else { return .nonexistent }
            }
            q += 1 + length
        }
        return .addresses(author: author, labelLength: npubAt)
    }

    /// The record label for `.addresses`: the first `labelLength` octets of
    /// the flat name as lowercase dotted text ("" for none). Allocates only
    /// for labels over 15 bytes (Swift keeps shorter strings inline).
    public static func labelText(_ name: UnsafeRawBufferPointer, labelLength: Int) -> String {
        if labelLength == 0 { return "" }
        // Drop the first length octet; the others become dots.
        return String(unsafeUninitializedCapacity: labelLength - 1) { out in
            var p = 0, w = 0
            while p < labelLength {
                let length = Int(name[p])
                if p > 0 { out[w] = 0x2E; w += 1 }
                for i in 1...length { out[w] = DNSWire.lower(name[p + i]); w += 1 }
                p += 1 + length
            }
            return w
        }
    }

    /// "_443" → 443 (1–65535, no leading zeros).
    static func servicePort(_ name: UnsafeRawBufferPointer, at p: Int) -> UInt16? {
        let length = Int(name[p])
        guard length >= 2, length <= 6, name[p + 1] == 0x5F, name[p + 2] != 0x30 else { return nil }
        var v = 0
        for i in 2...length {
            let c = name[p + i]
            guard c >= 0x30 && c <= 0x39 else { return nil }
            v = v * 10 + Int(c - 0x30)
        }
        return v >= 1 && v <= 65535 ? UInt16(v) : nil
    }

    /// "_tcp", any case.
    static func isTCP(_ name: UnsafeRawBufferPointer, at p: Int) -> Bool {
        name[p] == 4 && name[p + 1] == 0x5F && DNSWire.lower(name[p + 2]) == 0x74
            && DNSWire.lower(name[p + 3]) == 0x63 && DNSWire.lower(name[p + 4]) == 0x70
    }

    /// The public key of an npub label (BIP-173 bech32, NIP-19), any case
    /// (DNS may change it: RFC 4343, 0x20 randomization), without
    /// allocating. nil for anything else.
    static func decodeNpub(_ name: UnsafeRawBufferPointer, at p: Int) -> Bytes32? {
        // "npub" "1" + 52 data characters + 6 checksum characters = 63.
        guard name[p] == 63 else { return nil }
        let s = p + 1
        let hrp: (UInt8, UInt8, UInt8, UInt8) = (0x6E, 0x70, 0x75, 0x62)
        guard DNSWire.lower(name[s]) == hrp.0, DNSWire.lower(name[s + 1]) == hrp.1,
            DNSWire.lower(name[s + 2]) == hrp.2, DNSWire.lower(name[s + 3]) == hrp.3, name[s + 4] == 0x31
        else { return nil }
        // BIP-173 polymod over hrp expansion, 0, data.
        var chk: UInt32 = 1
        for i in 0..<4 { chk = Bech32.polymodStep(chk, DNSWire.lower(name[s + i]) >> 5) }
        chk = Bech32.polymodStep(chk, 0)
        for i in 0..<4 { chk = Bech32.polymodStep(chk, DNSWire.lower(name[s + i]) & 31) }
        var key = Bytes32.zero
        var acc: UInt32 = 0, bits = 0, out = 0
        var ok = true
        key.withUnsafeMutableBytes { k in
            for i in 0..<58 {
                let c = DNSWire.lower(name[s + 5 + i])
                guard c < 128 else { ok = false; return }
                let v = Bech32.values[Int(c)]
                guard v >= 0 else { ok = false; return }
                chk = Bech32.polymodStep(chk, UInt8(v))
                if i < 52 {
                    acc = acc << 5 | UInt32(v)
                    bits += 5
                    if bits >= 8 {
                        bits -= 8
                        if out < 32 { k[out] = UInt8(truncatingIfNeeded: acc >> UInt32(bits)) }
                        out += 1
                    }
                }
            }
            // 52 * 5 = 260 bits: 32 bytes and 4 padding bits, which must be zero.
            if out != 32 || bits != 4 || acc & 0xF != 0 { ok = false }
        }
        guard ok, chk == Bech32.checksumConstant else { return nil }
        return key
    }
}

extension NostrZone {
    /// Label texts made before, so that a name whose label is longer than
    /// Swift's inline strings (15 bytes) does not allocate a new String on
    /// every query: a direct-mapped table of 256 slots keyed by the label's
    /// lowercase bytes. The first query for a label allocates; later ones
    /// reuse the text.
    public struct LabelMemo {
        static let slots = 256
        var keys: [[UInt8]]
        var texts: [String]

        public init() {
            keys = Array(repeating: [], count: Self.slots)
            texts = Array(repeating: "", count: Self.slots)
        }

        /// `NostrZone.labelText(name, labelLength:)`, from the table when it is there.
        public mutating func text(_ name: UnsafeRawBufferPointer, labelLength: Int) -> String {
            if labelLength <= 16 { return NostrZone.labelText(name, labelLength: labelLength) }  // inline: no allocation
            var hash: UInt32 = 2_166_136_261  // FNV-1a
            for i in 0..<labelLength { hash = (hash ^ UInt32(DNSWire.lower(name[i]))) &* 16_777_619 }
            let slot = Int(hash % UInt32(Self.slots))
            if keys[slot].count == labelLength {
                var same = true
                keys[slot].withUnsafeBufferPointer { k in
                    for i in 0..<labelLength where k[i] != DNSWire.lower(name[i]) { same = false; break }
                }
                if same { return texts[slot] }
            }
            let text = NostrZone.labelText(name, labelLength: labelLength)
            keys[slot] = (0..<labelLength).map { DNSWire.lower(name[$0]) }
            texts[slot] = text
            return text
        }
    }
}
