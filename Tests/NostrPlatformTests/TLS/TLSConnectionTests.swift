import Foundation
import Glibc
import NostrCore
import Testing

@testable import NostrPlatform

/// TLS against a real `openssl s_server` with a test CA made by openssl
/// (see TestPKI): trust, host names, IP literals, and clear refusals.
@Suite(.serialized, .enabled(if: TestRequirements.hasOpenSSL, TestRequirements.openSSLMissing))
struct TLSConnectionTests {
    static let request = Array("GET / HTTP/1.0\r\n\r\n".utf8)

    /// Connects, sends a GET, reads the -www status page until EOF.
    func fetch(host: String, port: UInt16, caFile: String) throws -> String {
        let config = try TLSClientConfig(caFile: caFile)
        let connection = try StreamConnection(host: host, port: port, tls: config)
        defer { connection.close() }
        #expect(connection.isTLS)
        try establish(connection)
        #expect(connection.isEstablished)
        let reply = try exchange(connection, TLSConnectionTests.request)
        return String(decoding: reply, as: UTF8.self)
    }

    /// The error a connection attempt ends with.
    func refusal(host: String, port: UInt16, caFile: String) throws -> PlatformError {
        let config = try TLSClientConfig(caFile: caFile)
        let connection = try StreamConnection(host: host, port: port, tls: config)
        let error = try #require(platformError { () throws(PlatformError) in try establish(connection) })
        #expect(connection.interest == [])
        #expect(connection.fd == -1)
        return error
    }

    @Test(arguments: [["-tls1_2"], []])
    func hostNameWithTheRightCA(serverOptions: [String]) throws {
        let server = try TLSTestServer(certificate: "server", extra: serverOptions)
        let page = try fetch(host: "localhost", port: server.port, caFile: TestPKI.shared.caFile)
        #expect(page.hasPrefix("HTTP/1.0 200 ok"))
        #expect(page.contains("TLSv1.2"))
    }

    @Test func largeRequestCrossesSeveralRecords() throws {
        // -www reads header lines until the empty one: 40 KB of headers are
        // three TLS records and more than one socket buffer's worth of writes.
        let server = try TLSTestServer(certificate: "server", extra: ["-tls1_2"])
        let config = try TLSClientConfig(caFile: TestPKI.shared.caFile)
        let connection = try StreamConnection(host: "localhost", port: server.port, tls: config)
        try establish(connection)
        var request = Array("GET / HTTP/1.0\r\n".utf8)
        for i in 0..<400 { request += Array("X-Pad-\(i): \(String(repeating: "a", count: 90))\r\n".utf8) }
        request += Array("\r\n".utf8)
        let page = String(decoding: try exchange(connection, request), as: UTF8.self)
        #expect(page.hasPrefix("HTTP/1.0 200 ok"))
        var one = [UInt8](repeating: 0, count: 1)
        // EOF stays EOF
        #expect(try one.withMutablePlatformBytes { (p) throws(PlatformError) -> Int? in try connection.read(into: p) } == 0)
        connection.close()
        #expect(
            platformError { () throws(PlatformError) in try connection.write(UnsafeRawBufferPointer(start: nil, count: 0)) }?.code
                == .closed)
    }

    @Test func ipv4LiteralIsCheckedAgainstIPAddressEntries() throws {
        let server = try TLSTestServer(certificate: "server")
        let page = try fetch(host: "127.0.0.1", port: server.port, caFile: TestPKI.shared.caFile)
        #expect(page.hasPrefix("HTTP/1.0 200 ok"))
    }

    @Test func ipv6LiteralIsCheckedAgainstIPAddressEntries() throws {
        let server = try TLSTestServer(certificate: "server", address: "::1")
        let page = try fetch(host: "::1", port: server.port, caFile: TestPKI.shared.caFile)
        #expect(page.hasPrefix("HTTP/1.0 200 ok"))
    }

    @Test func wrongCAIsRefusedNamingVerification() throws {
        let server = try TLSTestServer(certificate: "server")
        let error = try refusal(host: "localhost", port: server.port, caFile: TestPKI.shared.wrongCAFile)
        #expect(error.code == .tls)
        #expect(error.verifyFlags & 0x08 != 0)  // MBEDTLS_X509_BADCERT_NOT_TRUSTED
        #expect(
            error.message.hasPrefix(
                "TLS handshake with localhost:\(server.port) failed: certificate verification failed: certificate not trusted"))
        #expect(error.message.contains(TestPKI.shared.wrongCAFile))
        #expect(!error.message.contains("host name mismatch"))
    }

    @Test func certificateForAnotherNameIsRefusedNamingTheHost() throws {
        let server = try TLSTestServer(certificate: "other")
        let error = try refusal(host: "localhost", port: server.port, caFile: TestPKI.shared.caFile)
        #expect(error.code == .tls)
        #expect(error.verifyFlags & 0x04 != 0)  // MBEDTLS_X509_BADCERT_CN_MISMATCH
        #expect(
            error.message
                == "TLS handshake with localhost:\(server.port) failed: certificate verification failed: host name mismatch: expected localhost, the certificate is for other.example, 127.0.0.2"
        )
    }

    @Test func certificateForAnotherIPIsRefusedNamingTheAddress() throws {
        // The certificate has an iPAddress entry, 127.0.0.2: not ours.
        let server = try TLSTestServer(certificate: "other")
        let error = try refusal(host: "127.0.0.1", port: server.port, caFile: TestPKI.shared.caFile)
        #expect(error.code == .tls)
        #expect(error.message.contains("host name mismatch: expected 127.0.0.1, the certificate is for other.example, 127.0.0.2"))
    }

    @Test func ipv6LiteralMissingFromTheCertificateIsRefused() throws {
        // other.pem's only iPAddress entry is 127.0.0.2; its DNS name never
        // stands in for an address.
        let server = try TLSTestServer(certificate: "other", address: "::1")
        let error = try refusal(host: "::1", port: server.port, caFile: TestPKI.shared.caFile)
        #expect(error.message.contains("host name mismatch: expected ::1"))
        #expect(error.message.hasPrefix("TLS handshake with [::1]:\(server.port) failed"))
    }

    @Test func tls13OnlyServerIsRefusedNamingTheAlert() throws {
        // mbedTLS 2.28 speaks TLS 1.2 only.
        let server = try TLSTestServer(certificate: "server", extra: ["-tls1_3"])
        let error = try refusal(host: "localhost", port: server.port, caFile: TestPKI.shared.caFile)
        #expect(error.code == .tls)
        #expect(
            error.message.hasPrefix("TLS handshake with localhost:\(server.port) failed: the server sent a fatal alert: protocol_version"))
    }

    @Test func missingCAFileIsAClearError() {
        let path = TestPKI.shared.folder.file("no-such-ca.pem")
        let error = platformError { () throws(PlatformError) in try TLSClientConfig(caFile: path) }
        #expect(error?.code == .certificates)
        #expect(error?.errno == ENOENT)
        #expect(error?.message == "cannot load CA certificates from \(path): No such file or directory (errno 2)")
    }

    @Test func caFileWithoutCertificatesIsAClearError() throws {
        let path = TestPKI.shared.folder.file("not-a-ca.pem")
        try "hello\n".write(toFile: path, atomically: true, encoding: .utf8)
        let error = platformError { () throws(PlatformError) in try TLSClientConfig(caFile: path) }
        #expect(error?.code == .certificates)
        #expect(error?.message.hasPrefix("cannot load CA certificates from \(path): ") == true)
        // A key is not a certificate either.
        let key = platformError { () throws(PlatformError) in try TLSClientConfig(caFile: TestPKI.shared.key("ca")) }
        #expect(key?.code == .certificates)
    }

    @Test func systemBundleLoads() throws {
        try #require(FileManager.default.fileExists(atPath: "/etc/ssl/certs/ca-certificates.crt"))
        let config = try TLSClientConfig(caFile: nil)
        #expect(config.caFile == "/etc/ssl/certs/ca-certificates.crt")
        #expect(config.certificateCount > 50)
        // The system CAs do not trust the test CA.
        let server = try TLSTestServer(certificate: "server")
        let connection = try StreamConnection(host: "localhost", port: server.port, tls: config)
        let error = platformError { () throws(PlatformError) in try establish(connection) }
        #expect(error?.message.contains("certificate not trusted") == true)
    }

    @Test func plainServerIsNotTLS() throws {
        // A TCP peer that answers garbage: the handshake fails with a clear
        // mbedTLS reason rather than hanging.
        let listener = try TestListener(address: "127.0.0.1")
        let config = try TLSClientConfig(caFile: TestPKI.shared.caFile)
        let connection = try StreamConnection(host: "127.0.0.1", port: listener.port, tls: config)
        var polls = PollSet()
        var server: Int32 = -1
        defer { if server >= 0 { close(server) } }
        let deadline = Clock.monotonicMilliseconds() + 5000
        var failure: PlatformError?
        while failure == nil && Clock.monotonicMilliseconds() < deadline {
            polls.removeAll()
            polls.add(fd: connection.fd, interest: connection.interest)
            polls.add(fd: server < 0 ? listener.fd : -1, interest: .read)
            _ = try polls.wait(timeoutMilliseconds: 100)
            if server < 0, let fd = listener.accept() {
                server = fd
                _ = "HTTP/1.0 400 Bad Request\r\n\r\n".withCString { send(fd, $0, 28, 0) }
            }
            failure = platformError { () throws(PlatformError) in _ = try connection.advance() }
        }
        let error = try #require(failure)
        #expect(error.code == .tls)
        #expect(error.message.hasPrefix("TLS handshake with 127.0.0.1:\(listener.port) failed: "))
        #expect(error.tlsError != 0)
    }
}
