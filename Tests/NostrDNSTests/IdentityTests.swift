import Foundation
import NostrCore  // only to check the API against the core's NIP-19
import NostrDNS
import Testing

@Suite struct IdentityTests {
    @Test func generatedIdentitySignsEventsThatVerify() throws {
        let me = try Identity.generate()
        let event = try me.sign(kind: 30053, tags: [["d", ""], ["ip4", "192.0.2.1"]])
        #expect(event.publicKeyHex == me.publicKeyHex)
        let back = try SignedEvent(verifying: event.json)
        #expect(back == event)
    }

    @Test func tamperedEventIsNotVerified() throws {
        let me = try Identity.generate()
        let event = try me.sign(kind: 1, content: "hello")
        let tampered = event.json.replacingOccurrences(of: "\"hello\"", with: "\"hellO\"")
        #expect(tampered != event.json)
        #expect(throws: NostrDNSError.invalidEvent("event id is not the hash of its serialization")) {
            try SignedEvent(verifying: tampered)
        }
    }

    @Test func namesAreDerivedFromTheNpub() throws {
        let me = try Identity(secret: String(repeating: "0", count: 63) + "3")
        #expect(me.npub == NIP19.npub(try Hex.decode32(me.publicKeyHex)))
        #expect(me.nostrName == me.npub + ".nostr")
        #expect(me.localName == me.npub + ".local")
        #expect(me.publicKeyHex == "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9")
        #expect(try Identity(secret: me.nsec).publicKeyHex == me.publicKeyHex)
    }

    @Test func savedIdentityLoadsBackAndIsNeverOverwritten() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nd-identity-" + UUID().uuidString)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("k/nsec").path
        let me = try Identity.generate()
        try me.save(path: path)
        #expect(try Identity.load(path: path).publicKeyHex == me.publicKeyHex)
        let other = try Identity.generate()
        #expect(throws: NostrDNSError.self) { try other.save(path: path) }
        #expect(try Identity.load(path: path).publicKeyHex == me.publicKeyHex)
    }
}

@Suite struct NostrDNSErrorTests {
    @Test func aKeyFileOpenToOthersIsAFileErrorThatSaysWhatToDo() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nd-identity-" + UUID().uuidString)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("nsec").path
        try Identity.generate().save(path: path)
        #expect(chmod(path, 0o644) == 0)
        #expect(
            throws: NostrDNSError.file(
                path: path,
                reason: "key file " + path
                    + " is readable by group or others (mode 0644); run chmod 600 " + path)
        ) { try Identity.load(path: path) }
    }

    @Test func aFolderGivenAsKeyFileIsNamedAsSuch() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nd-identity-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: NostrDNSError.file(path: dir.path, reason: "key file " + dir.path + " is a folder, not a file")) {
            try Identity.load(path: dir.path)
        }
    }

    @Test func badInputsAreNamed() async throws {
        let resolver = try Resolver(relays: ["ws://127.0.0.1:1"])
        await #expect(throws: NostrDNSError.invalidName("example.com")) { try await resolver.addresses(of: "example.com") }
        #expect(throws: NostrDNSError.invalidRelayURL("http://relay.example")) { try Resolver(relays: ["http://relay.example"]) }
        #expect(throws: NostrDNSError.invalidAddress("192.0.2.256")) { try IPAddress("192.0.2.256") }
        #expect(try IPAddress("2001:DB8::7").text == "2001:db8::7")
        #expect(
            NostrDNSError.noRelayAnswered(failures: ["ws://127.0.0.1:1: refused"]).description
                == "no relay answered: ws://127.0.0.1:1: refused")
    }
}
