import Foundation
import Testing
import NostrDNS

/// The Swift API against a real relay: nostr-relay 1.14 from the repository's
/// test venv (Tests/setup.sh installs it), started on a free loopback port.
@Suite(.serialized) struct RelaysTests {
    @Test(.enabled(if: TestRequirements.hasNostrRelay, TestRequirements.nostrRelayMissing))
    func publishedAddressesResolveThroughTheSwiftAPI() throws {
        let relay = try TestRelay()
        defer { relay.stop() }
        let me = try Identity.generate()
        let relays = try Relays([relay.url], timeoutMilliseconds: 5_000)
        let record = AddressRecord(label: "", addresses: [try IPAddress(parsing: "192.0.2.7"), try IPAddress(parsing: "2001:db8::7")])
        let outcomes = try relays.publish(record, as: me)
        #expect(outcomes.count == 1 && outcomes[0].1 == .accepted)
        #expect(try relays.addresses(of: me.nostrName) == record.addresses)
        #expect(try relays.addresses(of: "www." + me.nostrName) == nil)
        #expect(try relays.addresses(of: try Identity.generate().npub) == nil)
    }

    @Test func noRelayAnsweringIsAnErrorNotAnEmptyAnswer() throws {
        let relays = try Relays(["ws://127.0.0.1:1"], timeoutMilliseconds: 2_000)
        #expect(throws: NostrDNSError.self) { try relays.addresses(of: try Identity.generate().npub) }
        let outcomes = try relays.publish(AddressRecord(label: "", addresses: [try IPAddress(parsing: "192.0.2.1")]),
                                          as: try Identity.generate())
        guard case .failed = outcomes[0].1 else {
            Issue.record("publishing to a closed port must fail, got \(outcomes[0].1)")
            return
        }
    }

    @Test func badRelayURLIsRefused() {
        #expect(throws: NostrDNSError.self) { try Relays(["http://relay.example"]) }
    }
}

/// A nostr-relay process with its own config and database in a temporary folder.
final class TestRelay {
    let folder: URL
    let port: Int
    let process = Process()
    var url: String { "ws://127.0.0.1:\(port)" }

    init() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let binary = repo.appendingPathComponent(".venv/bin/nostr-relay")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw TestRelayError("nostr-relay not found at \(binary.path): run Tests/setup.sh first")
        }
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("nostr-dns-relay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        port = try TestRelay.freePort()
        let config = """
            relay_name: swift test relay
            storage:
              sqlalchemy.url: sqlite+aiosqlite:///\(folder.path)/nostr.sqlite3
              validators: [nostr_relay.validators.is_signed]
            verification: {nip05_verification: disabled}
            gunicorn:
              bind: 127.0.0.1:\(port)
              workers: 1
              control_socket_disable: true
              loglevel: warning
            authentication: {enabled: false}
            """
        let configFile = folder.appendingPathComponent("config.yaml")
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        process.executableURL = binary
        process.arguments = ["-c", configFile.path, "serve"]
        process.currentDirectoryURL = folder
        let log = FileHandle(forWritingAtPath: "/dev/null")
        process.standardOutput = log
        process.standardError = log
        try process.run()
        // Ready when the port accepts connections.
        let deadline = Date().addingTimeInterval(30)
        while !TestRelay.accepts(port: port) {
            guard Date() < deadline, process.isRunning else {
                stop()
                throw TestRelayError("nostr-relay did not start on port \(port)")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    func stop() {
        if process.isRunning {
            // Foundation starts children with SIGTERM blocked, and its
            // waitUntilExit can hang off the main thread: SIGKILL, then poll.
            // gunicorn's worker outlives a killed master: kill the whole tree.
            for pid in TestRelay.descendants(of: process.processIdentifier) { kill(pid, SIGKILL) }
            kill(process.processIdentifier, SIGKILL)
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        }
        try? FileManager.default.removeItem(at: folder)
    }

    /// Every process below `root`, from the parent ids in /proc/PID/stat.
    static func descendants(of root: Int32) -> [Int32] {
        var parent: [Int32: Int32] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let ppid = Int32(fields[1]) { parent[pid] = ppid }
        }
        var found: [Int32] = []
        var frontier = [root]
        while let p = frontier.popLast() {
            for (child, ppid) in parent where ppid == p {
                found.append(child)
                frontier.append(child)
            }
        }
        return found
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard bound == 0 else { throw TestRelayError("bind failed") }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}

struct TestRelayError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
