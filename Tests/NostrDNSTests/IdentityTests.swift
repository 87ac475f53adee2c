import Foundation
import Testing
import NostrDNS

@Suite struct IdentityTests {
    @Test func generatedIdentitySignsEventsThatVerify() throws {
        let me = try Identity.generate()
        let event = try me.sign(kind: 30053, tags: [["d", ""], ["ip4", "192.0.2.1"]])
        #expect(event.pubkey == me.publicKey)
        let back = try Event.verified(json: event.json)
        #expect(back == event)
    }

    @Test func tamperedEventIsNotVerified() throws {
        let me = try Identity.generate()
        var event = try me.sign(kind: 1, content: "hello")
        event.content = "hellO"
        #expect(throws: NostrDNSError.nostr(NostrError(.idMismatch))) { try Event.verified(json: event.json) }
    }

    @Test func namesAreDerivedFromTheNpub() throws {
        let me = try Identity(secretKey: SecretKey(bytes: Hex.decode32(String(repeating: "0", count: 63) + "3")))
        #expect(me.npub == NIP19.npub(me.publicKey))
        #expect(me.nostrName == me.npub + ".nostr")
        #expect(me.localName == me.npub + ".local")
        #expect(me.publicKey.hex == "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9")
    }

    @Test func savedIdentityLoadsBackAndIsNeverOverwritten() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nd-identity-" + UUID().uuidString)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("k/nsec").path
        let me = try Identity.generate()
        try me.save(path: path)
        #expect(try Identity.load(path: path).publicKey == me.publicKey)
        let other = try Identity.generate()
        #expect(throws: NostrDNSError.self) { try other.save(path: path) }
        #expect(try Identity.load(path: path).publicKey == me.publicKey)
    }
}
