/// NIP-19: bech32-encoded entities.
///
/// "bech32-(not-m) encoding with different prefixes can be used for each of
/// these entities" (NIP-19, "Bare keys and ids"): `npub` for public keys,
/// `nsec` for private keys, `note` for event ids, each the bech32 of the 32
/// raw bytes. Shareable identifiers ("Shareable identifiers with extra
/// metadata") carry a list of TLV entries instead; of those, `nprofile` is
/// supported here. `decode(_:)` also accepts the NIP-21 `nostr:` URI form.
///
/// These strings are for display and input only: the core keeps keys and
/// ids as `Bytes32` and writes hex into events (NIP-19, "Notes").
public enum NIP19 {
    // MARK: Bare keys and ids

    /// The `npub` of an x-only public key (NIP-19, "Bare keys and ids").
    public static func npub(_ publicKey: Bytes32) -> String { encode32(hrp: "npub", publicKey) }

    /// The `nsec` of a secret key (NIP-19, "Bare keys and ids"); also the
    /// format of the key file.
    public static func nsec(_ secret: SecretKey) -> String { encode32(hrp: "nsec", secret.bytes) }

    /// The `note` of an event id (NIP-19, "Bare keys and ids").
    public static func note(_ id: Bytes32) -> String { encode32(hrp: "note", id) }

    /// Decodes an `npub`. Another prefix throws `.bech32Prefix`, a payload
    /// that is not 32 bytes `.badLength`, a malformed string a bech32 error.
    public static func decodeNpub(_ s: String) throws(NostrError) -> Bytes32 {
        try decode32(s, hrp: "npub")
    }

    /// Decodes an `nsec`, with the errors of `decodeNpub(_:)`. The key is
    /// not checked against the curve order here; signing does that.
    public static func decodeNsec(_ s: String) throws(NostrError) -> SecretKey {
        SecretKey(bytes: try decode32(s, hrp: "nsec"))
    }

    /// Decodes a `note`, with the errors of `decodeNpub(_:)`.
    public static func decodeNote(_ s: String) throws(NostrError) -> Bytes32 {
        try decode32(s, hrp: "note")
    }

    // MARK: Shareable identifiers (TLV)

    /// TLV types of NIP-19, "Shareable identifiers with extra metadata".
    enum TLVType {
        /// "`0`: `special`": for `nprofile`, "the 32 bytes of the profile public key".
        static let special: UInt8 = 0
        /// "`1`: `relay`": "a relay in which the entity (profile or event) is
        /// more likely to be found, encoded as ascii. This may be included
        /// multiple times."
        static let relay: UInt8 = 1
    }

    /// A profile pointer: a public key and relays where its events may be found.
    public struct Profile: Equatable, Sendable {
        public var publicKey: Bytes32
        public var relays: [String]

        public init(publicKey: Bytes32, relays: [String]) {
            self.publicKey = publicKey
            self.relays = relays
        }

        /// Relays compare byte for byte (they are ASCII), not with String
        /// `==`, whose Unicode normalization tables Embedded builds would
        /// otherwise have to link.
        public static func == (a: Profile, b: Profile) -> Bool {
            guard a.publicKey == b.publicKey, a.relays.count == b.relays.count else { return false }
            for i in 0..<a.relays.count where !a.relays[i].utf8.elementsEqual(b.relays[i].utf8) {
                return false
            }
            return true
        }
    }

    /// The `nprofile` of `profile`: a TLV list, "with `T` and `L` being 1
    /// byte each (`uint8`, i.e. a number in the range of 0-255), and `V`
    /// being a sequence of bytes of the size indicated by `L`" (NIP-19).
    /// The public key comes first (type 0), then one type-1 entry per relay
    /// in order.
    ///
    /// A relay that cannot be written as NIP-19 requires, or read back by
    /// `decodeNprofile(_:)` (empty, longer than 255 bytes, or not printable
    /// ASCII without spaces), is left out.
    public static func nprofile(_ profile: Profile) -> String {
        var capacity = 2 + 32
        for relay in profile.relays { capacity += 2 + relay.utf8.count }
        var tlv: [UInt8] = []
        tlv.reserveCapacity(capacity)
        tlv.append(TLVType.special)
        tlv.append(32)
        profile.publicKey.withUnsafeBytes { tlv.append(contentsOf: $0) }
        for relay in profile.relays where isRelay(relay.utf8) {
            tlv.append(TLVType.relay)
            tlv.append(UInt8(truncatingIfNeeded: relay.utf8.count))  // <= 255, checked by isRelay
            tlv.append(contentsOf: relay.utf8)
        }
        return Bech32.encode(hrp: "nprofile", data: tlv)
    }

    /// Decodes an `nprofile`.
    ///
    /// NIP-19: "When decoding a bech32-formatted string, TLVs that are not
    /// recognized or supported should be ignored, rather than causing an
    /// error." Everything else is strict, and throws `.nip19TLV`: an entry
    /// cut short (a type without a length, or fewer value bytes than the
    /// length says), a special entry that is not exactly 32 bytes, a second
    /// special entry (two keys would let readers disagree on the profile),
    /// no special entry at all, or a relay that is not printable ASCII.
    /// Empty relay entries are skipped. Another prefix throws `.bech32Prefix`.
    public static func decodeNprofile(_ s: String) throws(NostrError) -> Profile {
        let (hrp, data) = try Bech32.decode(s)
        guard hrpIs(hrp, "nprofile") else { throw NostrError(.bech32Prefix) }
        return try parseProfile(data)
    }

    /// Reads the TLV list of an `nprofile` (see `decodeNprofile(_:)`).
    static func parseProfile(_ tlv: [UInt8]) throws(NostrError) -> Profile {
        var publicKey: Bytes32? = nil
        var relays: [String] = []
        var i = 0
        while i < tlv.count {
            // Length check before every read.
            guard tlv.count - i >= 2 else { throw NostrError(.nip19TLV) }  // T without L
            let type = tlv[i]
            let length = Int(tlv[i + 1])
            let start = i + 2
            guard tlv.count - start >= length else { throw NostrError(.nip19TLV) }  // V cut short
            let value = tlv[start..<(start + length)]
            switch type {
            case TLVType.special:
                guard publicKey == nil, length == 32 else { throw NostrError(.nip19TLV) }
                publicKey = try Bytes32(value)
            case TLVType.relay:
                if length == 0 { break }
                guard isRelay(value) else { throw NostrError(.nip19TLV) }
                relays.append(String(decoding: value, as: UTF8.self))
            default:
                break  // unknown or unsupported for nprofile: ignored, as NIP-19 says
            }
            i = start + length
        }
        guard let publicKey else { throw NostrError(.nip19TLV) }
        return Profile(publicKey: publicKey, relays: relays)
    }

    /// A relay value NIP-19 can carry: "encoded as ascii", 1 to 255 bytes.
    /// Spaces and control characters are refused too: a URL has none, and
    /// they would reach logs and terminals unescaped.
    static func isRelay(_ bytes: some Collection<UInt8>) -> Bool {
        let count = bytes.count
        guard count >= 1 && count <= 255 else { return false }
        for b in bytes where b < 0x21 || b > 0x7e { return false }
        return true
    }

    // MARK: Any entity

    /// A decoded NIP-19 entity.
    public enum Entity: Equatable, Sendable {
        case npub(Bytes32)
        case nsec(SecretKey)
        case note(Bytes32)
        case nprofile(Profile)
    }

    /// Decodes any supported entity, dispatching on the prefix: `npub`,
    /// `nsec`, `note` or `nprofile`; any other prefix (including the other
    /// NIP-19 ones, `nevent`, `naddr`, `nrelay`) throws `.bech32Prefix`.
    ///
    /// A NIP-21 URI (`nostr:<entity>`) is accepted too, the scheme in any
    /// case as RFC 3986 §3.1 allows. NIP-21 excludes `nsec` from such URIs,
    /// so `nostr:nsec1…` throws `.bech32Prefix`. Error offsets count from
    /// the start of `s`, scheme included.
    public static func decode(_ s: String) throws(NostrError) -> Entity {
        try Bech32.withUTF8(s) { (p) throws(NostrError) -> Entity in
            let start = hasNostrScheme(p) ? 6 : 0
            let decoded: (hrp: String, data: [UInt8])
            do throws(NostrError) {
                decoded = try Bech32.decode(utf8: UnsafeBufferPointer(rebasing: p[start...]), maxLength: Bech32.defaultMaxLength)
            } catch {
                var shifted = error
                if shifted.offset >= 0 { shifted.offset += start }
                throw shifted
            }
            let hrp = decoded.hrp
            if hrpIs(hrp, "npub") { return .npub(try Bytes32(decoded.data)) }
            if hrpIs(hrp, "note") { return .note(try Bytes32(decoded.data)) }
            if hrpIs(hrp, "nprofile") { return .nprofile(try parseProfile(decoded.data)) }
            if hrpIs(hrp, "nsec") {
                guard start == 0 else { throw NostrError(.bech32Prefix, at: start) }  // NIP-21: "except nsec"
                return .nsec(SecretKey(bytes: try Bytes32(decoded.data)))
            }
            throw NostrError(.bech32Prefix, at: start)
        }
    }

    // MARK: Helpers

    static func encode32(hrp: String, _ value: Bytes32) -> String {
        value.withUnsafeBytes { Bech32.encode(hrp: hrp, bytes: $0) }
    }

    static func decode32(_ s: String, hrp expected: StaticString) throws(NostrError) -> Bytes32 {
        let (hrp, data) = try Bech32.decode(s)
        guard hrpIs(hrp, expected) else { throw NostrError(.bech32Prefix) }
        return try Bytes32(data)
    }

    /// Byte comparison of a decoded (lowercase) hrp with a prefix; String
    /// `==` would pull Unicode normalization into Embedded builds.
    static func hrpIs(_ hrp: String, _ expected: StaticString) -> Bool {
        hrp.utf8.elementsEqual(UnsafeBufferPointer(start: expected.utf8Start, count: expected.utf8CodeUnitCount))
    }

    /// Whether `p` starts with the NIP-21 scheme `nostr:`, in any case.
    static func hasNostrScheme(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
        let scheme: StaticString = "nostr:"
        let count = scheme.utf8CodeUnitCount
        guard p.count >= count else { return false }
        let chars = scheme.utf8Start
        for i in 0..<count where Bech32.lowercased(p[i]) != chars[i] { return false }
        return true
    }
}
