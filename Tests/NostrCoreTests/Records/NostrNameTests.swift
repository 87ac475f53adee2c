import Testing

@testable import NostrCore

/// A name that must be refused.
struct BadName: CustomTestStringConvertible, Sendable {
    let name: String
    let text: String
    var testDescription: String { name }
}

@Suite struct NostrNameTests {
    static let key = try! Hex.decode32(EventFixtures.pubkey3Hex)
    static let npub = NIP19.npub(key)

    @Test func theNpubIsAFullLabel() {
        #expect(Self.npub.utf8.count == 63)
    }

    @Test(
        arguments: [
            (npub, "", NostrName.Zone.bare),
            (npub + ".nostr", "", .nostr),
            (npub + ".nostr.", "", .nostr),
            ("www." + npub + ".nostr", "www", .nostr),
            ("a.b." + npub + ".nostr", "a.b", .nostr),
            ("_https._tcp." + npub + ".nostr", "_https._tcp", .nostr),
            ("my-host." + npub + ".nostr", "my-host", .nostr),
            (npub + ".local", "", .local),
            (npub + ".local.", "", .local),
            ("printer." + npub + ".local", "printer", .local),
            (npub + ".", "", .bare),
            // Case: bech32 allows all-uppercase; DNS may mix case (0x20 randomization).
            (npub.uppercased(), "", .bare),
            ("WWW." + npub.uppercased() + ".NOSTR.", "www", .nostr),
            (
                "Www." + String(npub.enumerated().map { $0.offset % 2 == 0 ? Character($0.element.uppercased()) : $0.element }) + ".NoStR",
                "www", .nostr
            ),
            (npub + ".LOCAL", "", .local),
        ] as [(String, String, NostrName.Zone)])
    func namesAreParsed(_ text: String, _ label: String, _ zone: NostrName.Zone) throws {
        let n = try NostrName(parsing: text)
        #expect(n.publicKey == Self.key)
        #expect(n.label == label)
        #expect(n.zone == zone)
        #expect(n.npub == Self.npub)
        #expect(n == NostrName(publicKey: Self.key, label: label, zone: zone))
    }

    @Test func lengthLimits() throws {
        // 63 + 1 + 63 + 1 + 55 + 1 + 63 + 6 = 253 octets.
        let a63 = String(repeating: "a", count: 63)
        let longest = a63 + "." + a63 + "." + String(repeating: "c", count: 55) + "." + Self.npub + ".nostr"
        #expect(longest.utf8.count == 253)
        #expect(try NostrName(parsing: longest).label.utf8.count == 63 + 1 + 63 + 1 + 55)
        #expect(try NostrName(parsing: longest + ".").zone == .nostr)
        let tooLong = a63 + "." + a63 + "." + String(repeating: "c", count: 56) + "." + Self.npub + ".nostr"
        #expect(errorCode { _ = try NostrName(parsing: tooLong) } == .name)
        #expect(errorCode { _ = try NostrName(parsing: String(repeating: "a", count: 64) + "." + Self.npub + ".nostr") } == .name)
    }

    static let bad: [BadName] = {
        let npub = NostrNameTests.npub
        let nsec = NIP19.nsec(EventFixtures.secret3)
        let note = NIP19.note(NostrNameTests.key)
        var flipped = Array(npub)
        flipped[10] = flipped[10] == "q" ? "p" : "q"
        return [
            BadName(name: "empty", text: ""),
            BadName(name: "a dot", text: "."),
            BadName(name: "two trailing dots", text: npub + ".nostr.."),
            BadName(name: "leading dot", text: "." + npub + ".nostr"),
            BadName(name: "empty label", text: "www.." + npub + ".nostr"),
            BadName(name: "hex public key", text: EventFixtures.pubkey3Hex),
            BadName(name: "hex public key .nostr", text: EventFixtures.pubkey3Hex + ".nostr"),
            BadName(name: "npub under another TLD", text: npub + ".com"),
            BadName(name: "npub under nostr.com", text: npub + ".nostr.com"),
            BadName(name: "labels before a bare npub", text: "www." + npub),
            BadName(name: "zone alone", text: "nostr"),
            BadName(name: "zone with a dot", text: ".nostr"),
            BadName(name: "no npub before the zone", text: "www.nostr"),
            BadName(name: "bad checksum", text: String(flipped) + ".nostr"),
            BadName(name: "truncated npub", text: String(npub.dropLast()) + ".nostr"),
            BadName(name: "nsec", text: nsec + ".nostr"),
            BadName(name: "note", text: note + ".nostr"),
            BadName(name: "NIP-21 URI", text: "nostr:" + npub),
            BadName(name: "space", text: "www " + npub + ".nostr"),
            BadName(name: "trailing space", text: npub + ".nostr "),
            BadName(name: "non-ASCII label", text: "wéb." + npub + ".nostr"),
            BadName(name: "Cyrillic lookalike in the npub", text: "npub1" + String(npub.dropFirst(5).dropLast()) + "с" + ".nostr"),
            BadName(name: "zero-width space", text: npub + "\u{200B}.nostr"),
            BadName(name: "NUL", text: npub + "\u{0}.nostr"),
            BadName(name: "slash", text: "a/b." + npub + ".nostr"),
            BadName(name: "at sign", text: "user@" + npub + ".nostr"),
            BadName(name: "port", text: npub + ".nostr:443"),
            BadName(name: "label too long", text: String(repeating: "x", count: 64) + "." + npub + ".nostr"),
            BadName(name: "very long", text: String(repeating: "a.", count: 100_000) + npub + ".nostr"),
        ]
    }()

    @Test(arguments: bad)
    func badNamesAreRefused(_ b: BadName) {
        #expect(errorCode { _ = try NostrName(parsing: b.text) } == .name)
    }

    @Test func errorOffsetsPointAtTheLabel() {
        func offset(_ s: String) -> Int? {
            do throws(NostrError) { _ = try NostrName(parsing: s); return nil } catch { return error.offset }
        }
        #expect(offset("www." + Self.npub + ".com") == 68)  // the TLD
        #expect(offset("ww!." + Self.npub + ".nostr") == 2)
        #expect(offset("www.npub1bad.nostr") == 4)
    }
}
