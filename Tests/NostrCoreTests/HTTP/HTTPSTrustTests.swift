import Foundation
import NostrCore
import Testing

/// https URLs of npub names, the npub's own TLS key, and the certificate
/// fields mbedTLS cannot make.
struct HTTPSURLTests {
    static let npub = "npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w6"

    @Test func defaultsPortAndPath() throws {
        let u = try HTTPSURL(parsing: "https://\(Self.npub).nostr")
        #expect(u.port == 443 && u.target == "/" && u.name.zone == .nostr && u.host == Self.npub + ".nostr")
        #expect(u.authority == Self.npub + ".nostr")
    }

    @Test func portPathQueryAndFragment() throws {
        let u = try HTTPSURL(parsing: "HTTPS://WWW.\(Self.npub.uppercased()).NOSTR:4443/a/b?c=d#frag")
        #expect(u.port == 4443 && u.target == "/a/b?c=d" && u.name.label == "www")
        #expect(u.host == "www." + Self.npub + ".nostr")
        #expect(u.authority == "www." + Self.npub + ".nostr:4443")
    }

    @Test func localNames() throws {
        let u = try HTTPSURL(parsing: "https://\(Self.npub).local:8443?x")
        #expect(u.name.zone == .local && u.target == "/?x")
    }

    @Test(arguments: [
        "http://NPUB.nostr/", "https://NPUB/", "https://user@NPUB.nostr/", "https://NPUB.nostr:0/",
        "https://NPUB.nostr:65536/", "https://NPUB.nostr:/", "https://NPUB.nostr/a b", "https://example.com/",
        "https://NPUB.nostr:44a3/", "https://", "wss://NPUB.nostr/",
    ])
    func refusedURLs(template: String) {
        let text = template.replacingOccurrences(of: "NPUB", with: Self.npub)
        #expect(throws: NostrError.self) { try HTTPSURL(parsing: text) }
    }
}

struct NpubTLSKeyTests {
    let ctx = try! Secp256k1Context(randomSeed: .zero)

    /// The SPKI is the fixed secp256k1 prefix and the even-y point; for the
    /// generator's x (secret 1) the y is known (SEC 2 §2.4.1).
    @Test func spkiOfTheGeneratorPoint() throws {
        let gx = try Hex.decode32("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
        let spki = try NpubTLSKey.subjectPublicKeyInfo(of: gx, context: ctx)
        #expect(spki.count == 88)
        #expect(
            Hex.encode(spki) == "3056301006072a8648ce3d020106052b8104000a03420004"
                + "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
                + "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8")
    }

    @Test func spkiOfAnXWithoutPointIsRefused() throws {
        // x = 5 is not the x of any secp256k1 point (5^3 + 7 = 132 is not a square mod p).
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes[31] = 5
        #expect(throws: NostrError(.invalidPublicKey)) { try NpubTLSKey.subjectPublicKeyInfo(of: try Bytes32(bytes), context: ctx) }
    }

    /// The even-y secret's point is the lift of the x-only key, whichever
    /// parity the original secret's point had.
    @Test(arguments: 1...8)
    func evenYSecretMatchesTheLiftedPoint(seed: Int) throws {
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes[0] = UInt8(seed)
        bytes[31] = UInt8(seed * 37 & 0xFF)
        let secret = SecretKey(bytes: try Bytes32(bytes))
        let x = try ctx.publicKey(of: secret)
        let even = try ctx.evenYSecret(secret)
        #expect(try ctx.publicKey(of: even) == x)
        let point = try ctx.uncompressedEvenPoint(of: x)
        #expect(point[0] == 4 && point[64] & 1 == 0)
        #expect(Array(point[1...32]) == x.bytes)
    }

    @Test func curlPinAndTLSAText() throws {
        let a = try Hex.decode32(String(repeating: "00", count: 32))
        let b = try Hex.decode32(String(repeating: "ff", count: 32))
        #expect(
            NpubTLSKey.curlPin([a, b]) == "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=;sha256//"
                + "//////////////////////////////////////////8=")
        #expect(NpubTLSKey.tlsaOwner(host: "x.nostr", port: 4443) == "_4443._tcp.x.nostr.")
        #expect(NpubTLSKey.tlsaData(b) == "3 1 1 " + String(repeating: "ff", count: 32))
    }
}

struct X509FieldsTests {
    @Test func subjectAltNameDER() throws {
        let der = X509Fields.subjectAltName(
            dnsNames: ["a.nostr"], addresses: [try IPAddress(parsing: "127.0.0.1"), try IPAddress(parsing: "::1")])
        #expect(Hex.encode(der) == "3021" + "8207612e6e6f737472" + "87047f000001" + "8710" + "00000000000000000000000000000001")
    }

    @Test func longSubjectAltNameUsesLongLengthForm() {
        let names = (0..<4).map { _ in String(repeating: "a", count: 60) }
        let der = X509Fields.subjectAltName(dnsNames: names, addresses: [])
        #expect(der[0] == 0x30 && der[1] == 0x81 && Int(der[2]) == 4 * 62 && der.count == 3 + 4 * 62)
    }

    @Test(arguments: [
        (Int64(0), "19700101000000"), (951_782_400, "20000229000000"), (1_700_000_000, "20231114221320"),
        (4_102_444_799, "20991231235959"),
    ])
    func validityText(unix: Int64, text: String) {
        #expect(X509Fields.validityText(unix) == text)
    }
}
