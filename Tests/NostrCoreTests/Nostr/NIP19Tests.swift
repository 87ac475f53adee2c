import Testing

@testable import NostrCore

/// An nprofile TLV payload that must be refused, named after what it attacks.
struct InvalidProfileTLV: CustomTestStringConvertible, Sendable {
    let attack: String
    let tlv: [UInt8]
    var testDescription: String { attack }
}

@Suite struct NIP19Tests {
    // MARK: Fixtures

    // NIP-19, "Examples" (nostr-protocol/nips 19.md).
    static let npubExample = "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg"
    static let npubExampleHex = "7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e"
    static let nsecExample = "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5"
    static let nsecExampleHex = "67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ffa"
    // NIP-19, "Bare keys and ids".
    static let npubExample2 = "npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w6"
    static let profileKeyHex = "3bf0c63fcb93463407af97a5e5ee64fa883d107ef9e558472c4eb9aaaefa459d"
    // NIP-19, "Examples".
    static let nprofileExample =
        "nprofile1qqsrhuxx8l9ex335q7he0f09aej04zpazpl0ne2cgukyawd24mayt8gpp4mhxue69uhhytnc9e3k7mgpz4mhxue69uhkg6nzv9ejuumpv34kytnrdaksjlyr9p"
    static let nprofileExampleRelays = ["wss://r.x.com", "wss://djbas.sadkb.com"]
    // The same key as a note id, from the BIP-173 Python reference (bech32_encode("note", ...)).
    static let noteForProfileKey = "note180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkws4c58hj"

    static func key(_ hex: String) -> Bytes32 { try! Hex.decode32(hex) }

    /// A TLV list from (type, value) entries, as NIP-19 lays them out.
    static func tlv(_ entries: [(UInt8, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        for (type, value) in entries {
            out.append(type)
            out.append(UInt8(value.count))
            out.append(contentsOf: value)
        }
        return out
    }

    static func ascii(_ s: String) -> [UInt8] { Array(s.utf8) }

    static var profileKeyBytes: [UInt8] { key(profileKeyHex).bytes }

    // MARK: NIP-19 examples, both directions

    @Test func npubExample() throws {
        #expect(try NIP19.decodeNpub(Self.npubExample) == Self.key(Self.npubExampleHex))
        #expect(NIP19.npub(Self.key(Self.npubExampleHex)) == Self.npubExample)
        #expect(try NIP19.decodeNpub(Self.npubExample2).hex == Self.profileKeyHex)
        #expect(NIP19.npub(Self.key(Self.profileKeyHex)) == Self.npubExample2)
    }

    @Test func nsecExample() throws {
        let secret = SecretKey(bytes: Self.key(Self.nsecExampleHex))
        #expect(try NIP19.decodeNsec(Self.nsecExample) == secret)
        #expect(NIP19.nsec(secret) == Self.nsecExample)
    }

    @Test func nprofileExample() throws {
        let profile = try NIP19.decodeNprofile(Self.nprofileExample)
        #expect(profile.publicKey.hex == Self.profileKeyHex)
        #expect(profile.relays == Self.nprofileExampleRelays)
        let expected = NIP19.Profile(publicKey: Self.key(Self.profileKeyHex), relays: Self.nprofileExampleRelays)
        #expect(NIP19.nprofile(expected) == Self.nprofileExample)
    }

    @Test func noteRoundTrip() throws {
        let id = Self.key(Self.profileKeyHex)
        #expect(NIP19.note(id) == Self.noteForProfileKey)
        #expect(try NIP19.decodeNote(Self.noteForProfileKey) == id)
    }

    @Test func uppercaseFormsDecode() throws {
        // BIP-173 allows all-uppercase strings (QR codes use them).
        #expect(try NIP19.decodeNpub(Self.npubExample.uppercased()).hex == Self.npubExampleHex)
        #expect(try NIP19.decodeNprofile(Self.nprofileExample.uppercased()).relays == Self.nprofileExampleRelays)
    }

    // MARK: Prefix and length checks

    @Test func wrongPrefixIsRefused() {
        #expect(throws: NostrError(.bech32Prefix)) { try NIP19.decodeNpub(Self.nsecExample) }
        #expect(throws: NostrError(.bech32Prefix)) { try NIP19.decodeNpub(Self.noteForProfileKey) }
        #expect(throws: NostrError(.bech32Prefix)) { try NIP19.decodeNsec(Self.npubExample) }
        #expect(throws: NostrError(.bech32Prefix)) { try NIP19.decodeNote(Self.npubExample) }
        #expect(throws: NostrError(.bech32Prefix)) { try NIP19.decodeNprofile(Self.npubExample) }
        #expect(throws: NostrError(.bech32Prefix)) { try NIP19.decodeNpub(Self.nprofileExample) }
        // A prefix that merely starts like the right one.
        let npubx = Bech32.encode(hrp: "npubx", data: Self.profileKeyBytes)
        #expect(throws: NostrError(.bech32Prefix)) { try NIP19.decodeNpub(npubx) }
        let npu = Bech32.encode(hrp: "npu", data: Self.profileKeyBytes)
        #expect(throws: NostrError(.bech32Prefix)) { try NIP19.decodeNpub(npu) }
    }

    @Test("wrong payload length is refused", arguments: [0, 1, 31, 33, 64])
    func wrongLength(_ length: Int) {
        let payload = [UInt8](repeating: 7, count: length)
        #expect(throws: NostrError(.badLength)) { try NIP19.decodeNpub(Bech32.encode(hrp: "npub", data: payload)) }
        #expect(throws: NostrError(.badLength)) { try NIP19.decodeNsec(Bech32.encode(hrp: "nsec", data: payload)) }
        #expect(throws: NostrError(.badLength)) { try NIP19.decodeNote(Bech32.encode(hrp: "note", data: payload)) }
        #expect(throws: NostrError(.badLength)) { try NIP19.decode(Bech32.encode(hrp: "npub", data: payload)) }
    }

    @Test func bech32ErrorsPassThrough() {
        // Last character changed: checksum.
        #expect(throws: NostrError(.bech32Checksum)) {
            try NIP19.decodeNpub("npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjpth")
        }
        // bech32m checksum over the same key (BIP-350 constant): NIP-19 is bech32-(not-m).
        #expect(throws: NostrError(.bech32Checksum)) {
            try NIP19.decodeNpub("npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qhszdw2")
        }
        // Mixed case.
        #expect(throws: NostrError.self) {
            try NIP19.decodeNpub("npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjpTg")
        }
        // The nostr: scheme belongs to decode(_:) only.
        #expect(throws: NostrError.self) { try NIP19.decodeNpub("nostr:" + Self.npubExample) }
    }

    // MARK: nprofile

    @Test func nprofileWithSeveralRelaysRoundTrips() throws {
        let relays = (0..<12).map { "wss://relay\($0).example.com" } + ["ws://10.0.0.1:7777", "wss://[::1]:443/path?q=1"]
        let profile = NIP19.Profile(publicKey: Self.key(Self.npubExampleHex), relays: relays)
        let s = NIP19.nprofile(profile)
        #expect(s.utf8.count > 90)  // past BIP-173's limit, as NIP-19 TLV strings are
        #expect(try NIP19.decodeNprofile(s) == profile)
        #expect(try NIP19.decode(s) == .nprofile(profile))
    }

    @Test func nprofileWithoutRelays() throws {
        let profile = NIP19.Profile(publicKey: Self.key(Self.npubExampleHex), relays: [])
        #expect(try NIP19.decodeNprofile(NIP19.nprofile(profile)) == profile)
    }

    @Test func nprofileLeavesOutRelaysItCannotCarry() throws {
        let long = "wss://" + String(repeating: "a", count: 250)  // 256 bytes, over the 1-byte length
        let profile = NIP19.Profile(
            publicKey: Self.key(Self.npubExampleHex),
            relays: ["wss://a.example", "", long, "wss://b c", "wss://ü.example", "wss://b.example"])
        let decoded = try NIP19.decodeNprofile(NIP19.nprofile(profile))
        #expect(decoded.relays == ["wss://a.example", "wss://b.example"])
        let longest = "wss://" + String(repeating: "a", count: 249)  // exactly 255 bytes
        let kept = NIP19.Profile(publicKey: Self.key(Self.npubExampleHex), relays: [longest])
        #expect(try NIP19.decodeNprofile(NIP19.nprofile(kept)) == kept)
    }

    @Test func nprofileIgnoresUnknownTLVTypes() throws {
        // NIP-19: "TLVs that are not recognized or supported should be ignored".
        // Types 2 (author) and 3 (kind) are defined for other entities; 7 and 255 are not defined at all.
        let payload = Self.tlv([
            (7, [1, 2, 3]),
            (1, Self.ascii("wss://r.x.com")),
            (2, [UInt8](repeating: 0xee, count: 32)),
            (0, Self.profileKeyBytes),
            (3, [0, 0, 0x75, 0x35]),
            (255, []),
            (1, Self.ascii("wss://djbas.sadkb.com")),
            (200, [UInt8](repeating: 0, count: 255)),
        ])
        let s = Bech32.encode(hrp: "nprofile", data: payload)
        let profile = try NIP19.decodeNprofile(s)
        #expect(profile.publicKey.hex == Self.profileKeyHex)
        #expect(profile.relays == Self.nprofileExampleRelays)
    }

    @Test func nprofileSkipsEmptyRelayEntries() throws {
        let payload = Self.tlv([(0, Self.profileKeyBytes), (1, []), (1, Self.ascii("wss://r.x.com"))])
        let profile = try NIP19.decodeNprofile(Bech32.encode(hrp: "nprofile", data: payload))
        #expect(profile.relays == ["wss://r.x.com"])
    }

    /// Payloads that must throw `.nip19TLV`. Offsets in the comments are
    /// byte offsets in the TLV payload.
    static let invalidTLV: [InvalidProfileTLV] = {
        let key = profileKeyBytes
        let relay = ascii("wss://r.x.com")
        return [
            InvalidProfileTLV(attack: "empty payload: no special entry", tlv: []),
            InvalidProfileTLV(attack: "missing special: relays only", tlv: tlv([(1, relay), (1, relay)])),
            InvalidProfileTLV(attack: "missing special: unknown types only", tlv: tlv([(2, key), (3, [0, 0, 0, 1])])),
            InvalidProfileTLV(attack: "short special: 31-byte key", tlv: tlv([(0, Array(key.prefix(31)))])),
            InvalidProfileTLV(attack: "long special: 33-byte key", tlv: tlv([(0, key + [0])])),
            InvalidProfileTLV(attack: "empty special", tlv: tlv([(0, []), (1, relay)])),
            InvalidProfileTLV(
                attack: "duplicate special: two different keys", tlv: tlv([(0, key), (0, [UInt8](repeating: 1, count: 32))])),
            InvalidProfileTLV(attack: "duplicate special: the same key twice", tlv: tlv([(0, key), (0, key)])),
            // Truncations.
            InvalidProfileTLV(attack: "truncated TLV: type byte alone", tlv: [0]),
            InvalidProfileTLV(attack: "truncated TLV: type byte without length after the key", tlv: tlv([(0, key)]) + [1]),
            InvalidProfileTLV(attack: "truncated TLV: special value cut at 16 of 32 bytes", tlv: [0, 32] + key.prefix(16)),
            InvalidProfileTLV(attack: "truncated TLV: special value absent", tlv: [0, 32]),
            InvalidProfileTLV(
                attack: "truncated TLV: relay value cut at 6 of 13 bytes", tlv: tlv([(0, key)]) + [1, 13] + relay.prefix(6)),
            InvalidProfileTLV(attack: "truncated TLV: length 255 with nothing after it", tlv: tlv([(0, key)]) + [1, 255]),
            InvalidProfileTLV(
                attack: "truncated TLV: unknown type's value runs past the end", tlv: tlv([(0, key)]) + [9, 4, 1, 2, 3]),
            InvalidProfileTLV(attack: "truncated TLV: key's length byte claims one byte more", tlv: [0, 33] + key),
            // Relay contents.
            InvalidProfileTLV(attack: "relay with a control character (ESC)", tlv: tlv([(0, key), (1, ascii("wss://a\u{1B}[2J"))])),
            InvalidProfileTLV(attack: "relay with a newline", tlv: tlv([(0, key), (1, ascii("wss://a\nb"))])),
            InvalidProfileTLV(attack: "relay with a space", tlv: tlv([(0, key), (1, ascii("wss://a b"))])),
            InvalidProfileTLV(attack: "relay with a NUL byte", tlv: tlv([(0, key), (1, [0x77, 0x00, 0x73])])),
            InvalidProfileTLV(attack: "relay that is not ASCII (UTF-8 ü)", tlv: tlv([(0, key), (1, ascii("wss://ü.example"))])),
            InvalidProfileTLV(attack: "relay that is not UTF-8 (0xFF)", tlv: tlv([(0, key), (1, [0xff, 0xfe])])),
        ]
    }()

    @Test("invalid nprofile TLV throws .nip19TLV", arguments: invalidTLV)
    func invalidProfileTLV(_ v: InvalidProfileTLV) {
        let s = Bech32.encode(hrp: "nprofile", data: v.tlv)
        #expect(throws: NostrError(.nip19TLV), "\(v.attack)") { try NIP19.decodeNprofile(s) }
        #expect(throws: NostrError(.nip19TLV), "\(v.attack)") { try NIP19.decode(s) }
    }

    @Test func everyTruncationOfTheExampleIsRefused() throws {
        // Every proper prefix of the example's TLV payload, re-encoded with a
        // valid checksum, either ends cleanly between entries (and keeps a
        // prefix of the relays) or throws .nip19TLV: never a partial relay.
        let (_, payload) = try Bech32.decode(Self.nprofileExample)
        for cut in 0..<payload.count {
            let s = Bech32.encode(hrp: "nprofile", data: Array(payload.prefix(cut)))
            switch cut {
            case 34:  // after the key
                #expect(try NIP19.decodeNprofile(s).relays == [])
            case 49:  // after the first relay
                #expect(try NIP19.decodeNprofile(s).relays == ["wss://r.x.com"])
            default:
                #expect(throws: NostrError(.nip19TLV), "cut at \(cut)") { try NIP19.decodeNprofile(s) }
            }
        }
    }

    // MARK: decode(_:) dispatch and NIP-21

    @Test func decodeDispatchesOnPrefix() throws {
        #expect(try NIP19.decode(Self.npubExample) == .npub(Self.key(Self.npubExampleHex)))
        #expect(try NIP19.decode(Self.nsecExample) == .nsec(SecretKey(bytes: Self.key(Self.nsecExampleHex))))
        #expect(try NIP19.decode(Self.noteForProfileKey) == .note(Self.key(Self.profileKeyHex)))
        #expect(
            try NIP19.decode(Self.nprofileExample)
                == .nprofile(NIP19.Profile(publicKey: Self.key(Self.profileKeyHex), relays: Self.nprofileExampleRelays)))
        // Same bytes, different kind of entity: the prefix decides.
        #expect(try NIP19.decode(Self.npubExample2) != NIP19.decode(Self.noteForProfileKey))
    }

    @Test("unknown or unsupported prefix is refused", arguments: ["nevent", "naddr", "nrelay", "nostr", "npubb", "bc", "x"])
    func unknownPrefix(_ hrp: String) {
        let s = Bech32.encode(hrp: hrp, data: Self.profileKeyBytes)
        #expect(throws: NostrError(.bech32Prefix, at: 0)) { try NIP19.decode(s) }
        #expect(throws: NostrError(.bech32Prefix, at: 6)) { try NIP19.decode("nostr:" + s) }
    }

    @Test func nostrURIPrefixIsAccepted() throws {
        // NIP-21: nostr:<NIP-19 entity>.
        #expect(try NIP19.decode("nostr:" + Self.npubExample) == .npub(Self.key(Self.npubExampleHex)))
        #expect(try NIP19.decode("nostr:" + Self.noteForProfileKey) == .note(Self.key(Self.profileKeyHex)))
        let profile = NIP19.Profile(publicKey: Self.key(Self.profileKeyHex), relays: Self.nprofileExampleRelays)
        #expect(try NIP19.decode("nostr:" + Self.nprofileExample) == .nprofile(profile))
        // URI schemes are case-insensitive (RFC 3986 §3.1).
        #expect(try NIP19.decode("NOSTR:" + Self.npubExample.uppercased()) == .npub(Self.key(Self.npubExampleHex)))
        #expect(try NIP19.decode("Nostr:" + Self.npubExample) == .npub(Self.key(Self.npubExampleHex)))
    }

    @Test func nostrURIWithNsecIsRefused() {
        // NIP-21: "except nsec".
        #expect(throws: NostrError(.bech32Prefix, at: 6)) { try NIP19.decode("nostr:" + Self.nsecExample) }
    }

    @Test func nostrURIAttacks() {
        // The scheme alone, twice, or with something between it and the entity.
        #expect(throws: NostrError.self) { try NIP19.decode("nostr:") }
        #expect(throws: NostrError.self) { try NIP19.decode("nostr:nostr:" + Self.npubExample) }
        #expect(throws: NostrError.self) { try NIP19.decode("nostr: " + Self.npubExample) }
        #expect(throws: NostrError.self) { try NIP19.decode("nostr://" + Self.npubExample) }
        #expect(throws: NostrError.self) { try NIP19.decode("nost:" + Self.npubExample) }
    }

    @Test func errorOffsetsCountTheScheme() {
        // Mixed case is found at the first uppercase character: offset 60 in
        // the entity, 66 in the URI.
        let mixed = "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjPtg"
        #expect(throws: NostrError(.bech32Syntax, at: 60)) { try NIP19.decode(mixed) }
        #expect(throws: NostrError(.bech32Syntax, at: 66)) { try NIP19.decode("nostr:" + mixed) }
    }

    // MARK: Round trips

    @Test func keysRoundTripThroughEveryForm() throws {
        var state: UInt32 = 0xdead_beef
        for _ in 0..<50 {
            var raw: [UInt8] = []
            for _ in 0..<32 {
                state = state &* 1_664_525 &+ 1_013_904_223  // wrapping: LCG arithmetic mod 2^32
                raw.append(UInt8(truncatingIfNeeded: state >> 24))
            }
            let k = try Bytes32(raw)
            #expect(try NIP19.decodeNpub(NIP19.npub(k)) == k)
            #expect(try NIP19.decodeNote(NIP19.note(k)) == k)
            #expect(try NIP19.decodeNsec(NIP19.nsec(SecretKey(bytes: k))) == SecretKey(bytes: k))
            #expect(try NIP19.decode(NIP19.npub(k)) == .npub(k))
            #expect(NIP19.npub(k).utf8.count == 63)
        }
    }

    @Test func profileEqualityComparesBytes() {
        let a = NIP19.Profile(publicKey: Self.key(Self.profileKeyHex), relays: ["wss://a", "wss://b"])
        #expect(a == NIP19.Profile(publicKey: Self.key(Self.profileKeyHex), relays: ["wss://a", "wss://b"]))
        #expect(a != NIP19.Profile(publicKey: Self.key(Self.profileKeyHex), relays: ["wss://b", "wss://a"]))
        #expect(a != NIP19.Profile(publicKey: Self.key(Self.profileKeyHex), relays: ["wss://a"]))
        #expect(a != NIP19.Profile(publicKey: Self.key(Self.npubExampleHex), relays: ["wss://a", "wss://b"]))
    }
}
