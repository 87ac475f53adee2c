/// What a user or a DNS query names (the Design article, "What the product is",
/// "Command line" `resolve NAME`): a bare npub, `<npub>.nostr`,
/// `<label>.<npub>.nostr` or `<npub>.local`.
public struct NostrName: Equatable, Sendable {
    public enum Zone: Equatable, Sendable {
        /// Just the npub.
        case bare
        /// `<npub>.nostr`: unicast DNS (the `dns` subcommand).
        case nostr
        /// `<npub>.local`: multicast DNS (RFC 6762).
        case local
    }

    public var publicKey: Bytes32
    /// The labels left of the npub, lowercased and joined by dots: "" for
    /// the npub itself, "www", "a.b". This is the `d` tag of the record.
    public var label: String
    public var zone: Zone

    public init(publicKey: Bytes32, label: String = "", zone: Zone = .nostr) {
        self.publicKey = publicKey
        self.label = label
        self.zone = zone
    }

    /// The longest name (RFC 1035 §2.3.4: 255 octets on the wire, which is
    /// 253 characters of text without the trailing dot).
    public static let maxLength = 253
    /// RFC 1035 §2.3.4: labels are 63 octets or less.
    public static let maxLabelLength = 63

    /// Parses "npub1…", "npub1….nostr", "www.npub1….nostr", "npub1….local"
    /// (and labels under `.local` too), case-insensitively: DNS may change
    /// the case of a name (RFC 4343; 0x20 randomization), and bech32
    /// (BIP-173) allows an all-uppercase npub, so the whole name is
    /// lowercased before the npub is decoded. One trailing dot (a fully
    /// qualified name) is allowed. A 64-hex public key is not a name.
    ///
    /// `.name` (at the offending byte where there is one) for anything else:
    /// an empty name or label, a label over 63 octets or of other
    /// characters than ASCII letters, digits, "-" and "_" (RFC 952 / RFC
    /// 1123 §2.1 host names, plus "_" for service labels such as RFC 2782's),
    /// a name over 253 octets, labels before a bare npub, another
    /// top-level name, or a last-but-zone label that is not a valid npub.
    public init(parsing text: String) throws(NostrError) {
        var name = Array(text.utf8)
        if name.last == 0x2E { name.removeLast() }
        guard !name.isEmpty, name.count <= NostrName.maxLength else { throw NostrError(.name) }
        // Lowercase and check the characters; find where the labels start.
        var starts: [Int] = [0]
        for i in 0..<name.count {
            let c = name[i]
            switch c {
            case 0x41...0x5A: name[i] = c | 0x20
            case 0x61...0x7A, 0x30...0x39, 0x2D, 0x5F: break
            case 0x2E: starts.append(i + 1)
            default: throw NostrError(.name, at: i)
            }
        }
        var ends: [Int] = []
        for k in 1..<(starts.count + 1) { ends.append(k < starts.count ? starts[k] - 1 : name.count) }
        for k in 0..<starts.count {
            let length = ends[k] - starts[k]
            guard length >= 1, length <= NostrName.maxLabelLength else { throw NostrError(.name, at: starts[k]) }
        }
        let last = starts.count - 1
        let lastLabel = name[starts[last]..<ends[last]]
        let zone: Zone
        let npubIndex: Int
        if last >= 1 && NostrName.equal(lastLabel, "nostr") {
            zone = .nostr
            npubIndex = last - 1
        } else if last >= 1 && NostrName.equal(lastLabel, "local") {
            zone = .local
            npubIndex = last - 1
        } else {
            guard last == 0 else { throw NostrError(.name, at: starts[last]) }
            zone = .bare
            npubIndex = 0
        }
        let npub = String(decoding: name[starts[npubIndex]..<ends[npubIndex]], as: UTF8.self)
        do throws(NostrError) {
            self.publicKey = try NIP19.decodeNpub(npub)
        } catch {
            throw NostrError(.name, at: starts[npubIndex])
        }
        self.label = npubIndex == 0 ? "" : String(decoding: name[0..<(starts[npubIndex] - 1)], as: UTF8.self)
        self.zone = zone
    }

    /// The npub (lowercase bech32, NIP-19).
    public var npub: String { NIP19.npub(publicKey) }

    static func equal(_ bytes: ArraySlice<UInt8>, _ s: StaticString) -> Bool {
        bytes.elementsEqual(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    public static func == (a: NostrName, b: NostrName) -> Bool {
        a.publicKey == b.publicKey && RecordTags.equal(a.label, b.label) && a.zone == b.zone
    }
}
