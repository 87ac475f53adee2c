import Foundation
import Glibc
import Testing

@testable import NostrCore
@testable import NostrPlatform

/// The relay pool against a misbehaving relay played by a raw socket in the
/// test's own loop: the backoff grows for a relay that accepts the upgrade
/// (and perhaps sends one valid message) and then breaks the protocol, and a relay that sends without pause is
/// read a bounded amount per turn (the rest on the next turns).
@Suite struct RelayPoolFaultTests {
    /// The server side of one connection, driven from the test's loop.
    final class Peer {
        let fd: Int32
        var request: [UInt8] = []
        var upgraded = false
        init(_ fd: Int32) { self.fd = fd }
        deinit { Glibc.close(fd) }

        /// Reads what the client sent (non-blocking); answers the upgrade
        /// request once it is complete. True on the turn it did.
        func serve() throws -> Bool {
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                if !upgraded { request += chunk[0..<n] }
            }
            guard !upgraded, String(decoding: request, as: UTF8.self).contains("\r\n\r\n") else { return false }
            upgraded = true
            try RelayPoolFaultTests.upgrade(fd, request)
            return true
        }
    }

    /// Answers the HTTP upgrade `request` with 101 (RFC 6455 §4.2.2).
    static func upgrade(_ fd: Int32, _ request: [UInt8]) throws {
        let text = String(decoding: request, as: UTF8.self)
        let keyLine = text.split(separator: "\r\n").first { $0.lowercased().hasPrefix("sec-websocket-key:") }!
        let key = keyLine.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces)
        let response =
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: " + WebSocketClient.accept(forKey: key) + "\r\n\r\n"
        try writeAll(fd, Array(response.utf8))
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var sent = 0
        let deadline = Clock.monotonicMilliseconds() + 5_000
        while sent < bytes.count {
            guard Clock.monotonicMilliseconds() < deadline else { throw POSIXError(.ETIMEDOUT) }
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + sent, bytes.count - sent) }
            if n > 0 { sent += n } else { usleep(1_000) }
        }
    }

    /// The delays before four retries of a relay that sends `first` after
    /// each upgrade, then a frame with a reserved opcode (RFC 6455 §5.2).
    static func retryDelays(sendingFirst first: [UInt8], stableMilliseconds: Int64) throws -> [Int64] {
        let listener = try TestListener(address: "127.0.0.1")
        var options = RelayPoolOptions()
        options.reconnect = true
        options.backoff = Backoff(baseMilliseconds: 100, maxMilliseconds: 10_000)
        options.stableMilliseconds = stableMilliseconds
        let pool = RelayPool(urls: [try RelayURL(parsing: "ws://127.0.0.1:" + String(listener.port))], tls: nil, options: options)
        pool.start(now: Clock.monotonicMilliseconds())
        var delays: [Int64] = []
        var accepted: [Peer] = []
        var poll = PollSet()
        let deadline = Clock.monotonicMilliseconds() + 15_000
        while delays.count < 4 && Clock.monotonicMilliseconds() < deadline {
            poll.removeAll()
            pool.register(in: &poll)
            _ = poll.add(fd: listener.fd, interest: .read)
            _ = try poll.wait(timeoutMilliseconds: 20)
            if let fd = listener.accept() { accepted.append(Peer(fd)) }
            for peer in accepted where try peer.serve() {
                try Self.writeAll(peer.fd, first + [0x83, 0x00])
            }
            let now = Clock.monotonicMilliseconds()
            pool.handle(poll, now: now)
            pool.tick(now: now)
            for case .failed(_, let message) in pool.takeEvents() {
                #expect(message.contains("WebSocket protocol violation"))
                delays.append(pool.nextAttempt(0)! - now)
            }
        }
        pool.shutdown()
        #expect(accepted.count >= 4)
        return delays
    }

    /// A text frame holding `["NOTICE","welcome"]` (well-formed NIP-01).
    static let notice: [UInt8] = {
        let text = Array(#"["NOTICE","welcome"]"#.utf8); return [0x81, UInt8(text.count)] + text
    }()

    @Test func aRelayThatBreaksTheProtocolAfterTheUpgradeIsRetriedLaterEachTime() throws {
        // Retry n waits between half and all of 100 ms * 2^n: 50-100, 100-200,
        // 200-400, 400-800 ms. Had the upgrade reset the backoff, every retry
        // would come after 50-100 ms.
        let delays = try Self.retryDelays(sendingFirst: [], stableMilliseconds: 30_000)
        #expect(delays.count == 4)
        #expect(delays.first.map { $0 <= 100 } ?? false)
        #expect(delays.last.map { $0 >= 400 } ?? false, "delays \(delays)")
    }

    @Test func oneValidMessageBeforeBreakingTheProtocolDoesNotResetTheBackoff() throws {
        let delays = try Self.retryDelays(sendingFirst: Self.notice, stableMilliseconds: 30_000)
        #expect(delays.count == 4)
        #expect(delays.last.map { $0 >= 400 } ?? false, "delays \(delays)")
        // A connection that served valid NIP-01 for `stableMilliseconds` (here
        // 0) does start the backoff over: every retry within 100 ms.
        let reset = try Self.retryDelays(sendingFirst: Self.notice, stableMilliseconds: 0)
        #expect(reset.count == 4)
        #expect(reset.allSatisfy { $0 <= 100 }, "delays \(reset)")
    }

    @Test func aRelayThatSendsWithoutPauseIsReadABoundedAmountPerTurn() throws {
        let listener = try TestListener(address: "127.0.0.1")
        var options = RelayPoolOptions()
        options.maxReadBytesPerTurn = 16 * 1024
        let pool = RelayPool(urls: [try RelayURL(parsing: "ws://127.0.0.1:" + String(listener.port))], tls: nil, options: options)
        pool.start(now: Clock.monotonicMilliseconds())
        var server: Peer?
        var poll = PollSet()
        let frames = 100_000  // "x" in text frames of 3 bytes: 300 kB, none of it NIP-01
        var sent = false
        var turns = 0
        var firstTurn = -1
        var ignoredEvents = 0
        let deadline = Clock.monotonicMilliseconds() + 15_000
        while pool.ignoredCount(0) < frames && Clock.monotonicMilliseconds() < deadline {
            poll.removeAll()
            pool.register(in: &poll)
            _ = poll.add(fd: listener.fd, interest: .read)
            _ = try poll.wait(
                timeoutMilliseconds: Clock.pollTimeout(
                    until: min(
                        pool.nextDeadline() ?? Int64.max,
                        Clock.monotonicMilliseconds() + 20)))
            if server == nil, let fd = listener.accept() { server = Peer(fd) }
            _ = try server?.serve()
            let now = Clock.monotonicMilliseconds()
            pool.handle(poll, now: now)
            for event in pool.takeEvents() {
                switch event {
                case .connected where !sent:
                    sent = true
                    try Self.writeAll(server!.fd, [UInt8]((0..<frames).flatMap { _ in [0x81, 0x01, 0x78] }))
                    usleep(100_000)  // let it all arrive: the next turn could read it all at once
                case .ignored: ignoredEvents += 1
                case .failed(_, let message): Issue.record("failed: \(message)")
                default: break
                }
            }
            if sent {
                turns += 1
                if firstTurn < 0 && pool.ignoredCount(0) > 0 {
                    firstTurn = pool.ignoredCount(0)
                    // More was waiting than one turn may read: the pool says "now" for the next.
                    #expect(pool.nextDeadline() == 0)
                }
            }
        }
        pool.shutdown()
        #expect(pool.ignoredCount(0) == frames)
        // One turn reads at most 16 kB (one 16 kB read may overshoot once): at most ~11,000 frames.
        #expect(firstTurn > 0 && firstTurn <= 2 * 16 * 1024 / 3, "first turn took \(firstTurn) frames")
        #expect(turns >= frames * 3 / (2 * 16 * 1024))
        #expect(ignoredEvents == 1)  // reported once per connection, counted always
    }
}
