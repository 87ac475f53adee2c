import Foundation
import Glibc
import NostrCore

@testable import NostrPlatform

/// A loopback TCP listener for the tests (non-blocking, port chosen by the
/// kernel), served from the same poll loop as the client under test.
final class TestListener {
    let fd: Int32
    let port: UInt16

    /// `address` is "127.0.0.1" or "::1".
    init(address: String) throws {
        let v6 = address.contains(":")
        fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        port = try bindLoopback(fd, v6: v6, address: address)
        guard listen(fd, 8) == 0 else { throw POSIXError(.EIO) }
    }

    /// Accepts one connection, non-blocking; nil when none is waiting.
    func accept() -> Int32? {
        let c = Glibc.accept(fd, nil, nil)
        guard c >= 0 else { return nil }
        _ = fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK)
        return c
    }

    deinit { Glibc.close(fd) }
}

/// Binds `fd` to `address`:0 and returns the port the kernel chose.
func bindLoopback(_ fd: Int32, v6: Bool, address: String) throws -> UInt16 {
    if v6 {
        var sa = sockaddr_in6()
        sa.sin6_family = sa_family_t(AF_INET6)
        inet_pton(AF_INET6, address, &sa.sin6_addr)
        let rc = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        }
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        _ = withUnsafeMutablePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return UInt16(bigEndian: sa.sin6_port)
    } else {
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, address, &sa.sin_addr)
        let rc = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return UInt16(bigEndian: sa.sin_port)
    }
}

/// A loopback port with nothing listening on it (bound, then closed).
func unusedPort(_ address: String = "127.0.0.1") throws -> UInt16 {
    let v6 = address.contains(":")
    let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { Glibc.close(fd) }
    return try bindLoopback(fd, v6: v6, address: address)
}

/// Drives `connection` in its own poll loop until it is established.
/// Throws its error, or `.timeout` after `seconds`.
func establish(_ connection: StreamConnection, seconds: Int64 = 10) throws(PlatformError) {
    let deadline = Clock.monotonicMilliseconds() + seconds * 1000
    var polls = PollSet()
    while true {
        if try connection.advance() { return }
        polls.removeAll()
        polls.add(fd: connection.fd, interest: connection.interest)
        if try polls.wait(timeoutMilliseconds: Clock.pollTimeout(until: deadline)) == 0,
            Clock.monotonicMilliseconds() >= deadline
        {
            throw connection.timeoutError()
        }
    }
}

/// Writes all of `request`, then reads until EOF; returns what was read.
func exchange(_ connection: StreamConnection, _ request: [UInt8], seconds: Int64 = 10) throws(PlatformError) -> [UInt8] {
    let deadline = Clock.monotonicMilliseconds() + seconds * 1000
    var polls = PollSet()
    var sent = 0
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        while sent < request.count {
            let n = try request.withPlatformBytes { (p) throws(PlatformError) -> Int in
                try connection.write(UnsafeRawBufferPointer(rebasing: p[sent...]))
            }
            if n == 0 { break }
            sent += n
        }
        while true {
            let n = try buffer.withMutablePlatformBytes { (p) throws(PlatformError) -> Int? in try connection.read(into: p) }
            guard let n else { break }
            if n == 0 { return received }
            received += buffer[0..<n]
        }
        polls.removeAll()
        var interest = connection.interest
        if sent < request.count { interest.insert(.write) }
        polls.add(fd: connection.fd, interest: interest)
        if try polls.wait(timeoutMilliseconds: Clock.pollTimeout(until: deadline)) == 0,
            Clock.monotonicMilliseconds() >= deadline
        {
            throw connection.timeoutError()
        }
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` with a typed error (the standard one is rethrows).
    func withPlatformBytes<R>(_ body: (UnsafeRawBufferPointer) throws(PlatformError) -> R) throws(PlatformError) -> R {
        let result: Result<R, PlatformError> = withUnsafeBufferPointer { p in
            Result { () throws(PlatformError) -> R in try body(UnsafeRawBufferPointer(p)) }
        }
        return try result.get()
    }

    mutating func withMutablePlatformBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws(PlatformError) -> R) throws(PlatformError) -> R
    {
        let result: Result<R, PlatformError> = withUnsafeMutableBufferPointer { p in
            Result { () throws(PlatformError) -> R in try body(UnsafeMutableRawBufferPointer(p)) }
        }
        return try result.get()
    }
}

/// Runs a command and returns its exit status (output to /dev/null unless
/// `output` names a file).
@discardableResult
func run(_ arguments: [String], in folder: String, output: String? = nil) throws -> Int32 {
    let process = Foundation.Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: folder)
    if let output {
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: output)
    } else {
        process.standardOutput = FileHandle.nullDevice
    }
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}

/// Test certificates made with openssl once per test run (the recipe of
/// `TestCA` in Tests/interop/peers.py): a CA; a server certificate
/// for localhost, 127.0.0.1 and ::1; one for other.example and 127.0.0.2
/// from the same CA; and an unrelated CA.
nonisolated(unsafe) var testPKIFolder: String?

final class TestPKI: @unchecked Sendable {
    static let shared = try! TestPKI()

    let folder: TemporaryFolder
    var caFile: String { folder.file("ca.pem") }
    var wrongCAFile: String { folder.file("wrongca.pem") }

    private init() throws {
        folder = try TemporaryFolder()
        let dir = folder.path
        // A static is never deinitialised: remove the folder (keys, logs) at exit.
        testPKIFolder = dir
        atexit { if let dir = testPKIFolder { try? FileManager.default.removeItem(atPath: dir) } }
        func ok(_ arguments: [String]) throws {
            let status = try run(arguments, in: dir)
            guard status == 0 else { throw POSIXError(.EIO) }
        }
        for ca in ["ca", "wrongca"] {
            try ok([
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", ca + ".key", "-out", ca + ".pem", "-days", "30", "-subj", "/CN=nostr-dns test " + ca,
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
        }
        for (name, cn, san) in [
            ("server", "localhost", "DNS:localhost,IP:127.0.0.1,IP:::1"),
            ("other", "other.example", "DNS:other.example,IP:127.0.0.2"),
        ] {
            try ok([
                "openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + cn,
            ])
            let ext = "subjectAltName=\(san)\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
            try ext.write(toFile: folder.file(name + ".ext"), atomically: true, encoding: .utf8)
            try ok([
                "openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", name + ".pem", "-days", "30", "-extfile", name + ".ext",
            ])
        }
    }

    func cert(_ name: String) -> String { folder.file(name + ".pem") }
    func key(_ name: String) -> String { folder.file(name + ".key") }
}

/// `openssl s_server -www` on a kernel-chosen loopback port, stopped when
/// the object goes away. -www answers a GET with a status page (which names
/// the protocol version) and closes the connection.
final class TLSTestServer {
    let process = Foundation.Process()
    let port: UInt16

    /// `certificate` is "server" or "other" (see TestPKI); `address` is
    /// "127.0.0.1" or "::1"; `extra` e.g. ["-tls1_2"].
    init(certificate: String, address: String = "127.0.0.1", extra: [String] = []) throws {
        let pki = TestPKI.shared
        let log = pki.folder.file("s_server-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let accept = address.contains(":") ? "[\(address)]:0" : "\(address):0"
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            [
                "openssl", "s_server", "-accept", accept, "-cert", pki.cert(certificate),
                "-key", pki.key(certificate), "-www",
            ] + extra
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: log)
        process.standardError = FileHandle.nullDevice
        try process.run()
        // s_server prints "ACCEPT 127.0.0.1:41313" once it listens.
        let deadline = Date().addingTimeInterval(10)
        var found: UInt16?
        while found == nil && Date() < deadline {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("ACCEPT") }),
                let colon = line.lastIndex(of: ":")
            {
                found = UInt16(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            } else {
                usleep(20_000)
            }
        }
        guard let found else {
            kill(process.processIdentifier, SIGKILL)
            throw POSIXError(.ETIMEDOUT)
        }
        port = found
    }

    deinit {
        // SIGKILL: Foundation starts children with most signals blocked,
        // SIGTERM included, so terminate() would not stop s_server.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
