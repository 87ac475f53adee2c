import Foundation
import Glibc
import NostrCore
import Testing

@testable import NostrPlatform

/// Certificates made with mbedTLS's x509write (`SelfSignedCertificate`),
/// read back by our own `CertificateInfo` and by openssl; the TLS key file;
/// and our TLS server against our pinning client.
@Suite(.serialized) struct CertificateTests {
    let ctx = try! Secp256k1Context(randomSeed: .zero)

    func makeCertificate(_ key: TLSPrivateKey, random: TLSRandom, notAfter: Int64 = 1_900_000_000) throws -> [UInt8] {
        try SelfSignedCertificate.make(
            key: key, commonName: "npub1test", dnsNames: ["npub1test.nostr", "npub1test.local"],
            addresses: [try IPAddress(parsing: "127.0.0.1"), try IPAddress(parsing: "2001:db8::7")],
            notBefore: 1_700_000_000, notAfter: notAfter, random: random)
    }

    /// `openssl ARGS` on a file, output as text.
    func openssl(_ script: String, in folder: TemporaryFolder) throws -> String {
        let out = folder.file("openssl.out")
        let status = try run(["sh", "-c", script], in: folder.path, output: out)
        #expect(status == 0, "\(script) failed")
        return try String(contentsOfFile: out, encoding: .utf8)
    }

    @Test func p256CertificateParsesBackWithItsKeyAndDates() throws {
        let random = try TLSRandom(personalization: "test")
        let key = try TLSPrivateKey.generateP256(random: random)
        let pem = try makeCertificate(key, random: random)
        #expect(pem.starts(with: Array("-----BEGIN CERTIFICATE-----".utf8)))
        let info = try CertificateInfo(pem: pem)
        #expect(info.spkiSHA256 == SHA256.hash(try key.subjectPublicKeyInfo()))
        #expect(info.notAfter == 1_900_000_000)
    }

    @Test(.enabled(if: TestRequirements.hasOpenSSL, TestRequirements.openSSLMissing))
    func opensslReadsNamesAddressesAndTheSameKeyHash() throws {
        let folder = try TemporaryFolder()
        let random = try TLSRandom(personalization: "test")
        let key = try TLSPrivateKey.generateP256(random: random)
        try Data(try makeCertificate(key, random: random)).write(to: URL(fileURLWithPath: folder.file("c.pem")))
        let text = try openssl("openssl x509 -in c.pem -noout -text", in: folder)
        #expect(text.contains("DNS:npub1test.nostr, DNS:npub1test.local, IP Address:127.0.0.1, IP Address:2001:DB8:0:0:0:0:0:7"))
        #expect(text.contains("Subject: CN = npub1test"))
        #expect(text.contains("Issuer: CN = npub1test"))
        #expect(text.contains("NIST CURVE: P-256"))
        #expect(text.contains("CA:FALSE"))
        #expect(text.contains("Digital Signature"))
        // The self-signature verifies.
        #expect(try openssl("openssl verify -partial_chain -CAfile c.pem c.pem", in: folder).contains("c.pem: OK"))
        let digest = try openssl("openssl x509 -in c.pem -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum", in: folder)
        #expect(digest.hasPrefix(SHA256.hash(try key.subjectPublicKeyInfo()).hex))
    }

    /// `--alt`: the certificate's key is the nostr key, its SPKI the one
    /// `NpubTLSKey` derives from the npub alone, for either parity of the
    /// secret's point.
    @Test(.enabled(if: TestRequirements.hasOpenSSL, TestRequirements.openSSLMissing), arguments: 1...4)
    func altCertificateIsKeyedByTheNpub(seed: Int) throws {
        var bytes = [UInt8](repeating: 0x11, count: 32)
        bytes[31] = UInt8(seed)
        let secret = SecretKey(bytes: try Bytes32(bytes))
        let random = try TLSRandom(personalization: "test")
        let key = try TLSPrivateKey.nostrKey(secret, context: ctx, random: random)
        let pem = try makeCertificate(key, random: random)
        let expected = try NpubTLSKey.spkiSHA256(of: try ctx.publicKey(of: secret), context: ctx)
        #expect(try CertificateInfo(pem: pem).spkiSHA256 == expected)
        let folder = try TemporaryFolder()
        try Data(pem).write(to: URL(fileURLWithPath: folder.file("k1.pem")))
        #expect(try openssl("openssl x509 -in k1.pem -noout -text", in: folder).contains("ASN1 OID: secp256k1"))
        #expect(try openssl("openssl verify -partial_chain -CAfile k1.pem k1.pem", in: folder).contains("k1.pem: OK"))
    }

    @Test(.enabled(if: TestRequirements.hasOpenSSL, TestRequirements.openSSLMissing))
    func keyFileIsCreatedOnceWithMode0600AndReused() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("keys/nsec.https.key")
        let random = try TLSRandom(personalization: "test")
        let first = try TLSPrivateKey.loadOrCreateP256(path: path, random: random)
        #expect(first.created)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let second = try TLSPrivateKey.loadOrCreateP256(path: path, random: random)
        #expect(!second.created)
        #expect(try second.key.subjectPublicKeyInfo() == (try first.key.subjectPublicKeyInfo()))
        // openssl reads it as an EC key.
        #expect(try openssl("openssl pkey -in keys/nsec.https.key -noout -text", in: folder).contains("prime256v1"))
    }

    @Test func keyFileReadableByOthersIsRefused() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("k.key")
        let random = try TLSRandom(personalization: "test")
        _ = try TLSPrivateKey.loadOrCreateP256(path: path, random: random)
        chmod(path, 0o644)
        let error = try #require(platformError { () throws(PlatformError) in _ = try TLSPrivateKey.load(path: path) })
        #expect(error.code == .permissions)
        symlink(path, folder.file("link.key"))
        chmod(path, 0o600)
        let link = try #require(platformError { () throws(PlatformError) in _ = try TLSPrivateKey.load(path: folder.file("link.key")) })
        #expect(link.code == .symlink)
    }

    @Test func garbageKeyFileIsRefusedWithoutEchoingIt() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("k.key")
        try SecretFile.create(path: path, bytes: Array("-----BEGIN EC PRIVATE KEY-----\nnot a key\n".utf8))
        let error = try #require(platformError { () throws(PlatformError) in _ = try TLSPrivateKey.load(path: path) })
        #expect(error.code == .badKey)
        #expect(!error.message.contains("not a key"))
    }

    // MARK: Our server, our pinning client

    /// Serves one connection on 127.0.0.1 and fetches "/" with `pins`;
    /// returns what the client read, or throws the client's error.
    func pinnedExchange(server: TLSServerConfig, pins: [Bytes32]) throws -> (reply: [UInt8], peerKey: Bytes32?, error: PlatformError?) {
        let listener = try TCPListener(address: SocketAddress.parse("127.0.0.1:0")!)
        let clientTLS = try TLSClientConfig(pinnedKeysOnly: ())
        let client = try StreamConnection(
            host: "127.0.0.1", port: listener.address.port, tls: clientTLS,
            serverName: "npub1test.nostr", pins: pins)
        var accepted: StreamConnection?
        var reply: [UInt8] = []
        var sent = false
        var served = false
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Clock.monotonicMilliseconds() + 10_000
        var poll = PollSet()
        defer { client.close(); accepted?.close() }
        while Clock.monotonicMilliseconds() < deadline {
            if accepted == nil, let (fd, peer) = try listener.accept() {
                accepted = try StreamConnection(accepted: fd, peer: peer, tls: server)
            }
            if let s = accepted, !served, (try? s.advance()) == true {
                let n = try buffer.withMutablePlatformBytes { (p) throws(PlatformError) -> Int? in try s.read(into: p) }
                if let n, n > 0 {
                    let answer = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8)
                    _ = try answer.withPlatformBytes { (p) throws(PlatformError) -> Int in try s.write(p) }
                    served = true
                    s.close()
                }
            }
            do throws(PlatformError) {
                if try client.advance() {
                    if !sent {
                        _ = try Array("GET / HTTP/1.1\r\n\r\n".utf8).withPlatformBytes { (p) throws(PlatformError) -> Int in
                            try client.write(p)
                        }
                        sent = true
                    }
                    while let n = try buffer.withMutablePlatformBytes({ (p) throws(PlatformError) -> Int? in try client.read(into: p) }) {
                        if n == 0 { return (reply, client.peerKeySHA256, nil) }
                        reply += buffer[0..<n]
                    }
                }
            } catch {
                return (reply, client.peerKeySHA256, error)
            }
            poll.removeAll()
            poll.add(fd: listener.fd, interest: .read)
            poll.add(fd: client.fd, interest: client.interest)
            if let s = accepted { poll.add(fd: s.fd, interest: s.interest) }
            _ = try poll.wait(timeoutMilliseconds: 100)
        }
        Issue.record("the exchange did not finish")
        return (reply, client.peerKeySHA256, nil)
    }

    func server(alt: Bool) throws -> TLSServerConfig {
        let random = try TLSRandom(personalization: "test")
        let secret = SecretKey(bytes: try Bytes32([UInt8](repeating: 0x22, count: 32)))
        let key = alt ? try TLSPrivateKey.nostrKey(secret, context: ctx, random: random) : try TLSPrivateKey.generateP256(random: random)
        return try TLSServerConfig(certificatePEM: try makeCertificate(key, random: random), key: key, random: random)
    }

    @Test(arguments: [false, true])
    func pinnedKeyIsAccepted(alt: Bool) throws {
        let server = try server(alt: alt)
        let other = SHA256.hash(Array("another key".utf8))
        let result = try pinnedExchange(server: server, pins: [other, server.spkiSHA256])
        #expect(result.error == nil)
        #expect(String(decoding: result.reply, as: UTF8.self).hasSuffix("\r\n\r\nok"))
        #expect(result.peerKey == server.spkiSHA256)
    }

    @Test(arguments: [false, true])
    func impostorKeyFailsTheHandshake(alt: Bool) throws {
        let server = try server(alt: alt)
        let result = try pinnedExchange(server: server, pins: [SHA256.hash(Array("the key the npub signed".utf8))])
        let error = try #require(result.error)
        #expect(error.code == .tls)
        #expect(error.message.contains(server.spkiSHA256.hex))
        #expect(result.peerKey == server.spkiSHA256)
        #expect(result.reply.isEmpty)
    }
}
