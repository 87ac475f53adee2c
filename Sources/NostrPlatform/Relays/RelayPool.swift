import NostrCore

/// What happened on one of the pool's relays (NIP-01, "From relay to client").
public enum RelayPoolEvent {
    /// The WebSocket upgrade succeeded; subscriptions and pending events were sent.
    case connected(relay: Int)
    /// A well-formed message from the relay. EVENTs inside are checked for
    /// shape only: callers verify them (relays are untrusted).
    case message(relay: Int, RelayMessage)
    /// The relay sent something that is not a NIP-01 message; it was
    /// dropped. Reported for the first such message of each connection
    /// only (a relay can send millions); `ignoredCount(_:)` counts them all.
    case ignored(relay: Int, reason: String)
    /// The connection could not be made or was lost. With `reconnect` the
    /// pool tries again after a backoff delay; otherwise the relay is done.
    case failed(relay: Int, message: String)
}

/// Settings of a pool.
public struct RelayPoolOptions: Sendable {
    /// Time allowed for connect, TLS handshake and WebSocket upgrade.
    public var connectTimeoutMilliseconds: Int64 = 10_000
    /// Reconnect lost relays with backoff (daemons); one-shot commands
    /// leave a failed relay alone.
    public var reconnect = false
    public var backoff = Backoff()
    /// With `reconnect`: ping a relay that has been silent this long, and
    /// drop it when it stays silent for as long again.
    public var keepaliveMilliseconds: Int64 = 60_000
    public var limits = WebSocketLimits()
    /// Bytes read from one relay per `handle` call at most: a relay that
    /// sends without pause must not keep the caller's loop (its other
    /// sockets, its timers) waiting, nor pile up events for it. The rest
    /// is read on the next turn (`nextDeadline()` is then "now").
    public var maxReadBytesPerTurn = 64 * 1024
    /// Unsent bytes allowed for one relay (pongs, REQs, EVENTs): a relay
    /// that sends pings but does not read the pongs is dropped beyond this.
    public var maxUnsentBytes = 2 << 20
    /// A connection that kept sending well-formed NIP-01 for this long
    /// before it failed starts the backoff over (the next attempt within
    /// `backoff.baseMilliseconds`); one that failed sooner, even after a
    /// valid message, is retried later and later.
    public var stableMilliseconds: Int64 = 30_000
    /// nil: look each relay's host name up on every connect. Else keep the
    /// addresses found for this long and reconnect to them without a
    /// lookup; a failed lookup falls back to the addresses known (so that
    /// relays stay reachable while the upstream DNS is down).
    public var addressLifetimeMilliseconds: Int64? = nil
    /// Look relay host names up without blocking (`HostLookupSocket`:
    /// /etc/hosts, then DNS over UDP to the servers of /etc/resolv.conf,
    /// driven by the caller's poll loop) instead of with getaddrinfo(3),
    /// which blocks the whole loop until DNS answers or times out. For
    /// servers (`nostr-dns dns`, the mDNS responder), which must keep
    /// answering while a relay's name is being looked up. IP literals
    /// never wait either way.
    public var nonBlockingLookup = false
    /// With `nonBlockingLookup`: a host-name lookup gives up this long
    /// after it started, whatever /etc/resolv.conf's timers allow (nil:
    /// when they run out, 10 s per name with glibc's defaults). One-shot
    /// pools set it to the command's `--timeout`: their lookups all start
    /// together at `start`, so none outlives the command's deadline.
    public var lookupTimeoutMilliseconds: Int64? = nil

    public init() {}
}

/// Several relays at once over `ws://`, `wss://` or `wsn://`, driven by the caller's
/// poll loop: `register(in:)` before poll(2), `handle(_:now:)` after it,
/// `tick(now:)` for timers, then `takeEvents()`.
///
/// Subscriptions persist: they are sent on every (re)connect, so updates keep
/// arriving without polling (NIP-01 REQ stays open after EOSE). Published
/// events stay queued for a relay until it answers OK (NIP-01 "OK"), and
/// are sent again after a reconnect.
public final class RelayPool {
    public let urls: [RelayURL]
    public var options: RelayPoolOptions
    let tls: TLSClientConfig?
    var links: [RelayLink]
    var subscriptions: [(id: String, filters: [Filter])] = []
    var events: [RelayPoolEvent] = []
    var reader = JSONReader()
    var writer = JSONWriter(capacity: 1024)
    /// With `reconnect`: where the `wsn://<npub>` relays without an address
    /// are, from their records on the other relays; `locatedLinks[k]` is the
    /// link of key `k`.
    var locator: WSNLocator?
    var locatedLinks: [Int] = []
    var locatorContext: Secp256k1Context?
    var readBuffer = [UInt8](repeating: 0, count: 16 * 1024)

    /// `tls` is needed only when a URL is `wss://`.
    public init(urls: [RelayURL], tls: TLSClientConfig?, options: RelayPoolOptions = RelayPoolOptions()) {
        self.urls = urls
        self.tls = tls
        self.options = options
        self.links = urls.map { RelayLink(url: $0) }
    }

    /// Starts connecting every relay. With `reconnect`, a `wsn://<npub>`
    /// relay given without an address waits for its `wsn` address record,
    /// which the other relays are asked for (and kept asked for: a relay
    /// that moves is followed), instead of failing for good.
    public func start(now: Int64) {
        locatedLinks = links.indices.filter { links[$0].awaitsAddress }
        if options.reconnect && !locatedLinks.isEmpty {
            let l = WSNLocator(keys: locatedLinks.map { links[$0].url.relayKey! })
            locator = l
            subscriptions.append((WSNLocator.subscriptionID, l.filters))
        }
        for i in links.indices { connect(i, now: now) }
    }

    /// The state of relay `i`, for reports.
    public func isDead(_ i: Int) -> Bool { links[i].phase == .dead }
    /// Whether relay `i` is connected or trying to connect now (not dead,
    /// not waiting out a backoff delay): a lookup can hope for its answer.
    public func isConnectedOrConnecting(_ i: Int) -> Bool {
        links[i].phase == .open || links[i].phase == .connecting || links[i].phase == .resolving
    }
    /// The last failure of relay `i`, or nil.
    public func lastError(_ i: Int) -> String? { links[i].lastError }
    /// When relay `i` is waiting out a backoff delay: when it connects again.
    public func nextAttempt(_ i: Int) -> Int64? { links[i].phase == .waiting ? links[i].deadline : nil }
    /// Messages from relay `i` dropped as not NIP-01 on its current (or last) connection.
    public func ignoredCount(_ i: Int) -> Int { links[i].ignored }

    // MARK: Requests

    /// Opens (or replaces) subscription `id` on every relay, now and after
    /// each reconnect (NIP-01 REQ).
    public func subscribe(_ id: String, filters: [Filter]) {
        subscriptions.removeAll { $0.id.utf8.elementsEqual(id.utf8) }
        subscriptions.append((id, filters))
        for i in links.indices where links[i].phase == .open {
            send(i, .req(subscriptionId: id, filters: filters))
        }
    }

    /// Closes subscription `id` everywhere (NIP-01 CLOSE).
    public func unsubscribe(_ id: String) {
        subscriptions.removeAll { $0.id.utf8.elementsEqual(id.utf8) }
        for i in links.indices where links[i].phase == .open { send(i, .close(subscriptionId: id)) }
    }

    /// Sends `event` to every relay (NIP-01 EVENT), keeping it queued for
    /// each relay until that relay answers OK for its id.
    public func publish(_ event: Event) {
        for i in links.indices where links[i].phase != .dead || (locator != nil && links[i].awaitsAddress) {
            links[i].unacknowledged.removeAll { $0.id == event.id }
            links[i].unacknowledged.append(event)
            if links[i].phase == .open { send(i, .event(event)) }
        }
    }

    /// Stops retrying, sends a close frame where a connection is open, and
    /// closes every socket.
    public func shutdown() {
        for i in links.indices {
            if links[i].phase == .open {
                withSocket(i) { $0.close() }
                flush(i)
            }
            links[i].stream?.close()
            links[i].stream = nil
            links[i].socket = nil
            links[i].lookup?.cancel()
            links[i].lookup = nil
            links[i].phase = .dead
        }
    }

    /// Events since the last call, oldest first.
    public func takeEvents() -> [RelayPoolEvent] {
        // Nothing new: no copy, so a quiet poll loop allocates nothing.
        if events.isEmpty { return [] }
        let out = events
        events.removeAll(keepingCapacity: true)
        return out
    }

    // MARK: The poll loop

    /// Adds the descriptor of every relay with a socket to `poll`.
    public func register(in poll: inout PollSet) {
        for i in links.indices {
            links[i].slot = -1
            links[i].lookup?.register(in: &poll)
            guard let stream = links[i].stream else { continue }
            // The stream says what connect and TLS need (including unsent TLS
            // records); add write while WebSocket bytes wait.
            var interest = stream.interest
            if stream.isEstablished, let ws = links[i].socket, !ws.outboundBuffer.isEmpty { interest.insert(.write) }
            links[i].slot = poll.add(fd: stream.fd, interest: interest)
        }
    }

    /// Serves the relays whose descriptors poll(2) reported ready, and
    /// those left with input to read last turn (`maxReadBytesPerTurn`).
    public func handle(_ poll: PollSet, now: Int64) {
        for i in links.indices where links[i].lookup != nil {
            links[i].lookup?.handle(poll, now: now)
            lookupProgressed(i, now: now)
        }
        for i in links.indices where links[i].slot >= 0 {
            if poll.ready(links[i].slot).isEmpty && !links[i].moreInput { continue }
            drive(i, now: now)
        }
    }

    /// Timeouts, reconnects and keepalives. Call once per loop turn.
    public func tick(now: Int64) {
        for i in links.indices {
            switch links[i].phase {
            case .waiting where now >= links[i].deadline:
                connect(i, now: now)
            case .resolving:
                links[i].lookup?.tick(now: now)
                lookupProgressed(i, now: now)
            case .connecting where now >= links[i].deadline:
                fail(i, "timed out after " + Self.seconds(options.connectTimeoutMilliseconds) + " connecting", now: now)
            case .open where options.reconnect:
                let silent = now &- links[i].lastReceive
                if silent >= 2 * options.keepaliveMilliseconds {
                    fail(i, "no answer for " + Self.seconds(silent), now: now)
                } else if silent >= options.keepaliveMilliseconds && !links[i].pinged {
                    links[i].pinged = true
                    withSocket(i) { ws in
                        let empty: [UInt8] = []
                        empty.withUnsafeBytes { p in _ = try? ws.sendPing(p) }
                    }
                    flush(i, now: now)
                }
            default:
                break
            }
        }
    }

    /// The next time `tick` has something to do, in monotonic milliseconds.
    public func nextDeadline() -> Int64? {
        var next: Int64? = nil
        for link in links {
            // Input left unread last turn (perhaps held by TLS, which poll
            // cannot see): do not sleep.
            if link.moreInput && link.stream != nil { return 0 }
            var t: Int64? = nil
            switch link.phase {
            case .waiting, .connecting: t = link.deadline
            case .resolving: t = link.lookup?.deadline
            case .open where options.reconnect:
                t = link.lastReceive &+ (link.pinged ? 2 : 1) * options.keepaliveMilliseconds
            default: break
            }
            if let t { next = min(next ?? t, t) }
        }
        return next
    }

    // MARK: One relay

    /// Starts relay `i`'s connection: its host looked up (in the poll loop
    /// with `nonBlockingLookup`, else by getaddrinfo) unless its addresses
    /// are still fresh, then `open`.
    func connect(_ i: Int, now: Int64) {
        let url = links[i].url
        links[i].pinged = false
        links[i].moreInput = false
        links[i].ignored = 0
        var noise: NoiseConfig? = nil
        if url.scheme == .wsn {
            guard !url.host.isEmpty else {
                fail(
                    i,
                    locator == nil
                        ? "no address for wsn://<npub>: its wsn address record was not found on the other relays"
                        : "no address yet: waiting for its wsn address record from the other relays",
                    now: now, permanent: true)
                return
            }
            do throws(NostrError) { noise = try Self.noiseConfig(for: url) } catch {
                fail(i, error.reason, now: now, permanent: true)
                return
            }
        }
        if url.usesTLS && tls == nil {
            fail(i, "no TLS configuration for a wss:// relay", now: now, permanent: true)
            return
        }
        links[i].noise = noise
        let bare = AddressResolver.bareHost(url.host)
        let fresh = !links[i].addresses.isEmpty && options.addressLifetimeMilliseconds.map { now &- links[i].addressesAt < $0 } == true
        if options.nonBlockingLookup && !fresh && !AddressResolver.isLiteral(bare) {
            // The link waits in `.resolving`; `lookupProgressed` opens the connection.
            links[i].phase = .resolving
            links[i].lookup = HostLookupSocket(
                host: bare, port: url.port, now: now, giveUpAt: options.lookupTimeoutMilliseconds.map { now &+ $0 })
            lookupProgressed(i, now: now)
            return
        }
        if options.addressLifetimeMilliseconds != nil && !fresh {
            // getaddrinfo (blocking; instant for an IP literal).
            do throws(PlatformError) {
                let found = try AddressResolver.resolve(bare, port: url.port, datagram: false)
                links[i].addresses = found.addresses
                links[i].addressesLiteral = found.isLiteral
                links[i].addressesAt = now
            } catch {
                guard keepKnownAddresses(i, now: now) else {
                    fail(i, error.message, now: now)
                    return
                }
            }
        }
        open(i, now: now)
    }

    /// Relay `i` in `.resolving`: once its lookup is done, connects to the
    /// addresses found (or, when it failed, to those known from before);
    /// with none, the relay fails and waits out its backoff.
    func lookupProgressed(_ i: Int, now: Int64) {
        guard links[i].phase == .resolving, let lookup = links[i].lookup, let outcome = lookup.outcome else { return }
        links[i].lookup = nil
        switch outcome {
        case .addresses(let found):
            links[i].addresses = found
            links[i].addressesLiteral = false
            links[i].addressesAt = now
        case .failed(let reason):
            guard keepKnownAddresses(i, now: now) else {
                var why = lookup.host + ": lookup failed: " + reason
                if let limit = options.lookupTimeoutMilliseconds, let end = lookup.giveUpAt, now >= end {
                    why += " within " + Self.seconds(limit)
                }
                fail(i, why, now: now)
                return
            }
        }
        open(i, now: now)
    }

    /// A lookup failed: relay `i` keeps the addresses it knows, if any, and
    /// they are asked for again after `addressLifetimeMilliseconds`.
    func keepKnownAddresses(_ i: Int, now: Int64) -> Bool {
        guard !links[i].addresses.isEmpty else { return false }
        links[i].addressesAt = now
        return true
    }

    /// Opens relay `i`'s connection: to the addresses looked up for it, else
    /// by host name (getaddrinfo in `StreamConnection`); then its WebSocket.
    func open(_ i: Int, now: Int64) {
        let url = links[i].url
        links[i].phase = .connecting
        links[i].deadline = now &+ options.connectTimeoutMilliseconds
        links[i].lastReceive = now
        let tls = url.usesTLS ? tls : nil
        do throws(PlatformError) {
            links[i].stream =
                links[i].addresses.isEmpty
                ? try StreamConnection(host: url.host, port: url.port, tls: tls, noise: links[i].noise)
                : try StreamConnection(
                    host: url.host, port: url.port, tls: tls, addresses: links[i].addresses,
                    isLiteral: links[i].addressesLiteral, noise: links[i].noise)
        } catch {
            fail(i, error.message, now: now)
            return
        }
        let seed: Bytes32
        do throws(NostrError) { seed = try Entropy.bytes32() } catch {
            fail(i, error.reason, now: now, permanent: true)
            return
        }
        links[i].socket = WebSocketClient(hostHeader: url.hostHeader, path: url.path, seed: seed, limits: options.limits)
    }

    func drive(_ i: Int, now: Int64) {
        guard let stream = links[i].stream else { return }
        do throws(PlatformError) {
            // Connects, handshakes, and once established flushes TLS output.
            guard try stream.advance() else { return }
        } catch {
            fail(i, error.message, now: now)
            return
        }
        flush(i, now: now)
        guard links[i].stream != nil else { return }
        // Read what is there (TLS may hold decrypted bytes beyond one read),
        // up to `maxReadBytesPerTurn`; the rest on the next turn.
        var budget = options.maxReadBytesPerTurn
        links[i].moreInput = false
        while let stream = links[i].stream {
            guard budget > 0 else {
                links[i].moreInput = true
                break
            }
            let n: Int?
            let result: Result<Int?, PlatformError> = readBuffer.withUnsafeMutableBytes { p in
                Result { () throws(PlatformError) -> Int? in try stream.read(into: p) }
            }
            switch result {
            case .success(let count): n = count
            case .failure(let error):
                fail(i, error.message, now: now)
                return
            }
            guard let n else { break }
            if n == 0 {
                fail(i, "connection closed by the relay", now: now)
                return
            }
            budget -= n
            links[i].lastReceive = now
            links[i].pinged = false
            let received: Result<Void, NostrError>? = withSocket(i) { ws in
                readBuffer.withUnsafeBytes { p in
                    Result { () throws(NostrError) in try ws.receive(UnsafeRawBufferPointer(rebasing: p[0..<n])) }
                }
            }
            do throws(NostrError) {
                try received?.get()
                try deliver(i, now: now)
            } catch {
                let status = links[i].socket?.handshakeStatus ?? 0
                flush(i, now: now)  // the close frame the client queued
                fail(i, Self.describe(error, handshakeStatus: status), now: now)
                return
            }
            let unsent = links[i].socket?.outboundBuffer.count ?? 0
            if unsent > options.maxUnsentBytes {
                fail(i, "the relay does not read what is sent to it (" + String(unsent) + " bytes unsent)", now: now)
                return
            }
        }
        flush(i, now: now)
    }

    /// Hands every complete WebSocket message of relay `i` on.
    func deliver(_ i: Int, now: Int64) throws(NostrError) {
        while true {
            let next: Result<WebSocketEvent?, NostrError>? = withSocket(i) { ws in
                Result { () throws(NostrError) -> WebSocketEvent? in try ws.nextEvent() }
            }
            guard let event = try next?.get() else { return }
            switch event {
            case .open:
                // The backoff starts over only for a connection that served
                // well-formed NIP-01 for `stableMilliseconds` (fail): one
                // that accepts the upgrade, or sends one valid message, and
                // then breaks the protocol is retried later and later, not
                // every half second.
                links[i].phase = .open
                for s in subscriptions { send(i, .req(subscriptionId: s.id, filters: s.filters)) }
                for e in links[i].unacknowledged { send(i, .event(e)) }
                events.append(.connected(relay: i))
            case .text:
                receiveText(i, now: now)
            case .binary:
                links[i].ignored += 1
                if links[i].ignored == 1 { events.append(.ignored(relay: i, reason: "binary WebSocket message")) }
            case .pong:
                break
            case .closed(let code):
                throw NostrError(.wsClosed, at: Int(code))
            }
        }
    }

    func receiveText(_ i: Int, now: Int64) {
        guard let text = links[i].socket?.message else { return }
        do throws(NostrError) {
            let message = try RelayMessage(json: text, reader: &reader)
            if case .ok(let id, _, _) = message { links[i].unacknowledged.removeAll { $0.id == id } }
            if links[i].servingSince == nil { links[i].servingSince = now }
            if locator != nil, Self.isLocatorMessage(message) {
                if case .event(_, let event) = message { locate(event, now: now) }
                return
            }
            events.append(.message(relay: i, message))
        } catch {
            links[i].ignored += 1
            if links[i].ignored == 1 { events.append(.ignored(relay: i, reason: error.reason)) }
        }
    }

    // MARK: wsn://<npub> relays without an address

    static func isLocatorMessage(_ message: RelayMessage) -> Bool {
        switch message {
        case .event(let sub, _), .eose(let sub), .closed(let sub, _):
            return sub.utf8.elementsEqual(WSNLocator.subscriptionID.utf8)
        default:
            return false
        }
    }

    /// A `wsn` address record from some relay: when it is valid, newer and
    /// names another endpoint, its relay gets that host and port and, unless
    /// its connection is open (a relay that moved closes it soon enough), is
    /// connected to there at once.
    func locate(_ event: Event, now: Int64) {
        if locatorContext == nil {
            locatorContext = try? Secp256k1Context(randomSeed: try Entropy.bytes32())
        }
        guard let context = locatorContext,
            let (k, endpoint) = locator?.offer(event, now: Clock.unixTime(), context: context)
        else { return }
        let i = locatedLinks[k]
        links[i].url.host = endpoint.host
        links[i].url.port = endpoint.port
        links[i].addresses = []
        guard links[i].phase != .open else { return }
        links[i].lookup?.cancel()
        links[i].lookup = nil
        links[i].stream?.close()
        links[i].stream = nil
        links[i].socket = nil
        links[i].slot = -1
        links[i].attempt = 0
        connect(i, now: now)
    }

    /// Queues `message` on relay `i`'s WebSocket and writes what it can.
    func send(_ i: Int, _ message: ClientMessage) {
        writer.reset()
        message.write(into: &writer)
        let ok = withSocket(i) { ws in writer.bytes.withUnsafeBytes { p in (try? ws.sendText(p)) != nil } } ?? false
        if ok { flush(i) }
    }

    /// Writes queued WebSocket bytes until the socket would block.
    func flush(_ i: Int, now: Int64 = Clock.monotonicMilliseconds()) {
        while let stream = links[i].stream, stream.isEstablished {
            let result: Result<Int, PlatformError>? = withSocket(i) { ws in
                guard !ws.outboundBuffer.isEmpty else { return .success(0) }
                let written = ws.outboundBuffer.withUnsafeBytes { p in
                    Result { () throws(PlatformError) -> Int in try stream.write(p) }
                }
                if case .success(let n) = written, n > 0 { ws.consumeOutbound(n) }
                return written
            }
            switch result {
            case .none, .success(0): return
            case .success: continue
            case .failure(let error):
                fail(i, error.message, now: now)
                return
            }
        }
    }

    /// Runs `body` on relay `i`'s WebSocket client in place. The client is
    /// moved out of `links` while `body` runs, so its buffers stay uniquely
    /// referenced and mutating them never copies them (copy-on-write would
    /// otherwise copy the inbound buffer on every read). `body` must not
    /// touch `links[i]`.
    @discardableResult
    func withSocket<R>(_ i: Int, _ body: (inout WebSocketClient) -> R) -> R? {
        guard var ws = links[i].socket else { return nil }
        links[i].socket = nil
        let result = body(&ws)
        links[i].socket = ws
        return result
    }

    func fail(_ i: Int, _ message: String, now: Int64, permanent: Bool = false) {
        // A relay that made its connection hold large buffers (a message
        // near the size limit, unsent pongs): give the memory back to the
        // kernel once they are freed, so resident memory does not keep the
        // high-water mark an attacker set. Failures are spaced by the backoff.
        let large = (links[i].socket?.bufferCapacity ?? 0) >= 256 * 1024
        links[i].lookup?.cancel()
        links[i].lookup = nil
        links[i].stream?.close()
        links[i].stream = nil
        links[i].socket = nil
        if large { Memory.releaseFreePages() }
        links[i].slot = -1
        links[i].moreInput = false
        links[i].lastError = message
        if let since = links[i].servingSince, now &- since >= options.stableMilliseconds { links[i].attempt = 0 }
        links[i].servingSince = nil
        if options.reconnect && !permanent {
            let random = (try? Entropy.bytes32())?.storage.0 ?? 0
            links[i].deadline = now &+ Int64(options.backoff.delay(attempt: links[i].attempt, random: UInt32(truncatingIfNeeded: random)))
            links[i].attempt += 1
            links[i].phase = .waiting
        } else {
            links[i].phase = .dead
        }
        events.append(.failed(relay: i, message: message))
    }

    static func describe(_ error: NostrError, handshakeStatus: Int) -> String {
        switch error.code {
        case .wsClosed:
            return "the relay closed the WebSocket (code " + String(error.offset) + ")"
        case .wsHandshake where handshakeStatus != 0:
            return "WebSocket upgrade refused: HTTP status " + String(handshakeStatus)
        default:
            return error.reason
        }
    }

    /// "2 s", "0.5 s": a duration for messages.
    public static func seconds(_ ms: Int64) -> String {
        let tenths = (ms + 50) / 100
        return String(tenths / 10) + (tenths % 10 == 0 ? "" : "." + String(tenths % 10)) + " s"
    }
}

/// The state of one relay in a pool.
struct RelayLink {
    /// `.resolving`: the host name is being looked up (`nonBlockingLookup`).
    enum Phase: Equatable { case waiting, resolving, connecting, open, dead }

    /// The relay's URL; a `wsn://<npub>` without an address gets the host
    /// and port of its record once found (`RelayPool.locate`).
    var url: RelayURL
    var phase: Phase = .waiting
    var stream: StreamConnection?
    var socket: WebSocketClient?
    /// For `.waiting`: when to connect; for `.connecting`: when to give up.
    var deadline: Int64 = 0
    var attempt = 0
    /// When the current connection sent its first well-formed NIP-01 message.
    var servingSince: Int64?
    var lastReceive: Int64 = 0
    var pinged = false
    var slot = -1
    /// `maxReadBytesPerTurn` was reached: read again without waiting for poll.
    var moreInput = false
    /// Messages dropped as not NIP-01 on the current connection.
    var ignored = 0
    var lastError: String?
    /// Events sent (or to send) that this relay has not answered OK for yet.
    var unacknowledged: [Event] = []
    /// The host's addresses and when they were looked up (with
    /// `addressLifetimeMilliseconds` or `nonBlockingLookup`; else empty, and
    /// `StreamConnection` looks the host up itself).
    var addresses: [SocketAddress] = []
    var addressesLiteral = false
    var addressesAt: Int64 = 0
    /// In `.resolving`: the lookup under way. The `wsn://` channel's
    /// settings for the connection `open` makes.
    var lookup: HostLookupSocket?
    var noise: NoiseConfig?

    init(url: RelayURL) {
        self.url = url
        awaitsAddress = url.scheme == .wsn && url.host.isEmpty
    }

    /// Named `wsn://<npub>` without an address.
    let awaitsAddress: Bool
}
