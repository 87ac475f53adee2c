import Foundation
import NostrDNS
import Testing

/// The Swift API against a real relay: nostr-relay 1.14 from the repository's
/// test venv (Tests/setup.sh installs it), started on a free loopback port.
@Suite(.serialized, .enabled(if: TestRequirements.hasNostrRelay, TestRequirements.nostrRelayMissing))
struct RelaysTests {
    @Test func publishedAddressesResolveThroughTheSwiftAPI() async throws {
        let relay = try TestRelay()
        defer { relay.stop() }
        let me = try Identity.generate()
        let publisher = try Publisher(identity: me, relays: [relay.url], timeout: .seconds(5))
        let addresses = [try IPAddress("192.0.2.7"), try IPAddress("2001:db8::7")]
        let outcomes = try await publisher.publish(addresses: addresses, ttl: 300)
        #expect(outcomes == [RelayOutcome(relay: relay.url, accepted: true, message: "")])
        let resolver = try Resolver(relays: [relay.url], timeout: .seconds(5))
        #expect(try await resolver.addresses(of: me.nostrName) == addresses)
        let records = try await resolver.lookup(me.npub)
        #expect(records.addresses == addresses && records.ttl == .seconds(300) && records.tlsKey == nil)
        #expect(records.events.count == 1 && records.events[0].publicKeyHex == me.publicKeyHex)
        await #expect(throws: NostrDNSError.notFound(name: "www." + me.nostrName)) {
            try await resolver.addresses(of: "www." + me.nostrName)
        }
        let stranger = try Identity.generate().npub
        await #expect(throws: NostrDNSError.notFound(name: stranger)) { try await resolver.addresses(of: stranger) }
    }

    @Test func publishedTLSKeyResolvesThroughTheSwiftAPI() async throws {
        let relay = try TestRelay()
        defer { relay.stop() }
        let me = try Identity.generate()
        let publisher = try Publisher(identity: me, relays: [relay.url], timeout: .seconds(5))
        let pem = try String(
            contentsOf: TestRelay.repository.appendingPathComponent("Tests/NostrCoreTests/Vectors/certificate-p256.pem"),
            encoding: .utf8)
        let outcomes = try await publisher.publish(certificatePEM: pem, url: "https://" + me.nostrName + ":4443")
        #expect(outcomes.allSatisfy { $0.accepted })
        let resolver = try Resolver(relays: [relay.url], timeout: .seconds(5))
        let key = try await resolver.tlsKey(of: me.nostrName)
        #expect(key.service == "https" && key.url == "https://" + me.nostrName + ":4443" && key.spkiSHA256.count == 64)
        await #expect(throws: NostrDNSError.notFound(name: me.npub)) { try await resolver.tlsKey(of: me.npub, service: "imaps") }
    }

    @Test func watchYieldsTheRecordThenEachNewerOne() async throws {
        let relay = try TestRelay()
        defer { relay.stop() }
        let me = try Identity.generate()
        let publisher = try Publisher(identity: me, relays: [relay.url], timeout: .seconds(5))
        _ = try await publisher.publish(addresses: [try IPAddress(parsing: "192.0.2.1")])
        let resolver = try Resolver(relays: [relay.url], timeout: .seconds(5))
        var updates = resolver.watch(me.nostrName).makeAsyncIterator()
        #expect(try await updates.next()?.addresses == [try IPAddress(parsing: "192.0.2.1")])
        // created_at is in seconds: the next record must be a second newer to win.
        try await Task.sleep(for: .seconds(1.1))
        _ = try await publisher.publish(addresses: [try IPAddress(parsing: "192.0.2.2")])
        #expect(try await updates.next()?.addresses == [try IPAddress(parsing: "192.0.2.2")])
    }

    @Test func noRelayAnsweringIsAnErrorNotAnEmptyAnswer() async throws {
        let resolver = try Resolver(relays: ["ws://127.0.0.1:1"], timeout: .seconds(2))
        do {
            _ = try await resolver.addresses(of: try Identity.generate().npub)
            Issue.record("a lookup with no relay answering must throw")
        } catch {
            guard case .noRelayAnswered(let failures) = error, failures.count == 1,
                failures[0].hasPrefix("ws://127.0.0.1:1: ")
            else {
                Issue.record("expected noRelayAnswered naming the relay, got \(error)")
                return
            }
        }
        let publisher = try Publisher(identity: try Identity.generate(), relays: ["ws://127.0.0.1:1"], timeout: .seconds(2))
        let outcomes = try await publisher.publish(addresses: [try IPAddress(parsing: "192.0.2.1")])
        #expect(outcomes.count == 1 && !outcomes[0].accepted && !outcomes[0].message.isEmpty)
    }

    /// A relay that accepts the connection and never answers: without
    /// cancellation the lookup would wait its whole 30 s timeout.
    @Test func cancellingTheTaskStopsTheLookupPromptly() async throws {
        let silent = try SilentListener()
        defer { silent.close() }
        let resolver = try Resolver(relays: ["ws://127.0.0.1:\(silent.port)"], timeout: .seconds(120))
        let name = try Identity.generate().npub
        let task = Task { try await resolver.addresses(of: name) }
        try await Task.sleep(for: .milliseconds(300))
        let clock = ContinuousClock()
        let cancelledAt = clock.now
        task.cancel()
        let result = await task.result
        // Ended by the cancellation, long before the lookup's own 120 s
        // timeout (the bound leaves room for a busy test process).
        #expect(clock.now - cancelledAt < .seconds(60))
        #expect(throws: NostrDNSError.cancelled) { try result.get() }
    }

    @Test func badRelayURLIsRefused() {
        #expect(throws: NostrDNSError.invalidRelayURL("http://relay.example")) { try Resolver(relays: ["http://relay.example"]) }
    }
}

/// A loopback TCP port that accepts connections and never says anything.
final class SilentListener {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard bound == 0, listen(fd, 8) == 0 else { throw TestRelayError("bind/listen failed") }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        self.fd = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
    }

    func close() { _ = Glibc.close(fd) }
}

/// A nostr-relay process with its own config and database in a temporary folder.
final class TestRelay {
    let folder: URL
    let port: Int
    let process = Process()
    var url: String { "ws://127.0.0.1:\(port)" }
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    init() throws {
        let binary = TestRelay.repository.appendingPathComponent(".venv/bin/nostr-relay")
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
                let close = stat.lastIndex(of: ")")
            else { continue }
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
