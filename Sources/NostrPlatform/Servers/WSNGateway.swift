import NostrCore

/// Settings of a `WSNGateway`.
public struct WSNGatewayOptions: Sendable {
    /// Connections served at once. When all are taken, a new client still
    /// gets in: the least recently active connection makes room for it, a
    /// connection still in its handshake first (`WSNGateway`, "Limits").
    public var maxConnections = 256
    /// Bytes held per direction of one connection; its reading pauses
    /// while that much waits for the other side.
    public var maxBufferedBytes = 1024 * 1024
    /// Time a client has to complete the BOLT 8 handshake, and the relay
    /// to accept the upstream connection.
    public var handshakeTimeoutMilliseconds: Int64 = 10_000
    /// Time an established channel may pass with no byte either way
    /// before it is closed. The daemons' relay pools ping a relay that has
    /// been silent for 60 s, so a live client is never this idle.
    public var idleTimeoutMilliseconds: Int64 = 300_000
    /// How long the relay's addresses, when `--upstream` names it by host
    /// name, are used before they are looked up again; a failed lookup
    /// keeps the addresses known.
    public var upstreamAddressLifetimeMilliseconds: Int64 = 30 * 60 * 1000

    public init() {}
}

/// The `wsn://` front door of a relay (`nostr-dns gateway`): accepts
/// connections, runs the BOLT 8 handshake as responder with the host's
/// key, and then forwards the channel's plaintext (the client's WebSocket
/// bytes, upgrade request included) to the relay over plain TCP and the
/// relay's bytes back through the channel. Driven by the caller's poll
/// loop like `RelayPool`: `register(in:)`, `handle(_:now:)`, `tick(now:)`.
/// A connection that fails is closed alone; the others go on. A relay named
/// by host name is looked up in the loop (`HostLookupSocket`), never with
/// getaddrinfo(3), so a slow or dead DNS server stalls no connection:
/// channels that are up wait for the lookup, the others go on.
///
/// Limits, so that idle clients cannot lock the gateway: a client has
/// `handshakeTimeoutMilliseconds` to complete the handshake, a channel that
/// moves no byte either way for `idleTimeoutMilliseconds` is closed, and
/// when `maxConnections` are open a new client is still accepted: the
/// connection still in its handshake that was accepted first, or else the
/// established one least recently active, is closed to make room. No client
/// is refused for being one too many, so none is told that the gateway
/// hung up during the handshake because it is full.
public final class WSNGateway {
    final class Pair {
        let client: StreamConnection
        var upstream: StreamConnection?
        var toUpstream = OutputBuffer()
        var toClient = OutputBuffer()
        /// Until the channel and the upstream connection are both up.
        var deadline: Int64
        /// When a byte last moved either way (or the client was accepted).
        var lastActive: Int64
        var clientSlot = -1
        var upstreamSlot = -1

        init(client: StreamConnection, deadline: Int64, now: Int64) {
            self.client = client
            self.deadline = deadline
            lastActive = now
        }

        var isUp: Bool { client.isEstablished && upstream?.isEstablished == true }
    }

    public let listener: TCPListener
    public let upstreamHost: String
    public let upstreamPort: UInt16
    public var options: WSNGatewayOptions
    let config: NoiseConfig
    var pairs: [Pair] = []
    var listenerSlot = -1
    /// The relay's addresses when `upstreamHost` is a name (an IP literal
    /// needs none), when they were found, and the lookup under way.
    var upstreamAddresses: [SocketAddress] = []
    var upstreamAddressesAt: Int64 = 0
    var upstreamLookup: HostLookupSocket?
    var scratch = [UInt8](repeating: 0, count: 16 * 1024)
    /// What happened, for -v: one line per opened, refused or closed connection.
    public private(set) var log: [String] = []

    public init(
        listener: TCPListener, upstreamHost: String, upstreamPort: UInt16, config: NoiseConfig,
        options: WSNGatewayOptions = WSNGatewayOptions()
    ) {
        self.listener = listener
        self.upstreamHost = upstreamHost
        self.upstreamPort = upstreamPort
        self.config = config
        self.options = options
    }

    public var connectionCount: Int { pairs.count }

    public func takeLog() -> [String] {
        let out = log
        log.removeAll(keepingCapacity: true)
        return out
    }

    public func register(in poll: inout PollSet) {
        listenerSlot = poll.add(fd: listener.fd, interest: .read)
        upstreamLookup?.register(in: &poll)
        for p in pairs {
            var interest = p.client.interest
            if p.client.isEstablished {
                if !p.toClient.isEmpty { interest.insert(.write) }
                // Nothing is read from the client until the relay's side is
                // up (level-triggered poll would spin) or while its bytes wait.
                if p.upstream?.isEstablished != true || p.toUpstream.count >= options.maxBufferedBytes {
                    interest.remove(.read)
                }
            }
            p.clientSlot = poll.add(fd: p.client.fd, interest: interest)
            p.upstreamSlot = -1
            if let u = p.upstream, u.fd >= 0 {
                var ui = u.interest
                if u.isEstablished {
                    if !p.toUpstream.isEmpty { ui.insert(.write) }
                    if p.toClient.count >= options.maxBufferedBytes { ui.remove(.read) }
                }
                p.upstreamSlot = poll.add(fd: u.fd, interest: ui)
            }
        }
    }

    public func handle(_ poll: PollSet, now: Int64) {
        if listenerSlot >= 0 && !poll.ready(listenerSlot).isEmpty { acceptAll(now: now) }
        upstreamLookup?.handle(poll, now: now)
        upstreamLookupProgressed(now: now)
        var i = 0
        while i < pairs.count {
            let p = pairs[i]
            let ready =
                (p.clientSlot >= 0 && !poll.ready(p.clientSlot).isEmpty)
                || (p.upstreamSlot >= 0 && !poll.ready(p.upstreamSlot).isEmpty)
            if ready || p.client.hasBufferedInput, let reason = drive(p, now: now) {
                close(i, reason)
                continue
            }
            i += 1
        }
    }

    /// Drops connections whose handshake or upstream connect is overdue,
    /// and channels idle for `idleTimeoutMilliseconds`.
    public func tick(now: Int64) {
        upstreamLookup?.tick(now: now)
        upstreamLookupProgressed(now: now)
        var i = 0
        while i < pairs.count {
            let p = pairs[i]
            if !p.isUp && now >= p.deadline {
                close(i, p.client.isEstablished ? "the relay did not accept the connection in time" : "handshake timed out")
                continue
            }
            if p.isUp && now &- p.lastActive >= options.idleTimeoutMilliseconds {
                close(i, "idle for " + Self.seconds(now &- p.lastActive))
                continue
            }
            i += 1
        }
    }

    public func nextDeadline() -> Int64? {
        var next: Int64? = upstreamLookup?.deadline
        for p in pairs {
            let due = p.isUp ? p.lastActive &+ options.idleTimeoutMilliseconds : p.deadline
            next = min(next ?? due, due)
        }
        return next
    }

    /// Closes every connection and the listener.
    public func shutdown() {
        for p in pairs {
            p.client.close()
            p.upstream?.close()
        }
        pairs.removeAll()
        upstreamLookup?.cancel()
        upstreamLookup = nil
        listener.close()
    }

    func acceptAll(now: Int64) {
        while true {
            let accepted: (fd: Int32, peer: SocketAddress)?
            do throws(PlatformError) { accepted = try listener.accept() } catch {
                log.append("accept: " + error.message)
                return
            }
            guard let (fd, peer) = accepted else { return }
            let client = StreamConnection(accepted: fd, peer: peer)
            if pairs.count >= options.maxConnections, let i = evictionCandidate() {
                let idle = Self.seconds(now &- pairs[i].lastActive)
                close(
                    i,
                    "making room for " + peer.description + " (" + String(options.maxConnections)
                        + " connections open; this one the least recently active, idle for " + idle + ")")
            }
            do throws(PlatformError) {
                try client.startNoiseResponder(config)
            } catch {
                log.append("refused " + peer.description + ": " + error.message)
                client.close()
                continue
            }
            pairs.append(Pair(client: client, deadline: now &+ options.handshakeTimeoutMilliseconds, now: now))
        }
    }

    /// The connection to close for a new client when all are taken: the
    /// least recently active of those still in their handshake (a flood of
    /// connections that never complete it evicts its own), else the least
    /// recently active channel.
    func evictionCandidate() -> Int? {
        var best: Int? = nil
        for (i, p) in pairs.enumerated() {
            guard let b = best else {
                best = i
                continue
            }
            let q = pairs[b]
            let pHandshaking = !p.client.isEstablished
            if pHandshaking != !q.client.isEstablished {
                if pHandshaking { best = i }
            } else if p.lastActive < q.lastActive {
                best = i
            }
        }
        return best
    }

    /// Milliseconds as whole seconds for the log: "12 s".
    static func seconds(_ ms: Int64) -> String { String(ms / 1000) + " s" }

    /// Moves bytes both ways as far as they go; a reason when the pair is over.
    func drive(_ p: Pair, now: Int64) -> String? {
        do throws(PlatformError) {
            guard try p.client.advance() else { return nil }
            if p.upstream == nil {
                guard let stream = try connectUpstream(now: now) else { return nil }  // waits for the lookup
                p.upstream = stream
                p.deadline = now &+ options.handshakeTimeoutMilliseconds
                p.lastActive = now
                log.append("channel up with " + p.client.peerDescription)
            }
            let upstream = p.upstream!
            guard try upstream.advance() else { return nil }
            // At EOF, what the side sent last is passed on (best effort: one
            // try, no waiting) before both are closed.
            if try pump(p.client, into: &p.toUpstream, for: p, now: now) {
                try drain(&p.toUpstream, to: upstream)
                return "closed by the client"
            }
            try drain(&p.toUpstream, to: upstream)
            if try pump(upstream, into: &p.toClient, for: p, now: now) {
                try drain(&p.toClient, to: p.client)
                _ = try p.client.advance()  // flushes the sealed bytes
                return "closed by the relay"
            }
            try drain(&p.toClient, to: p.client)
            return nil
        } catch {
            return error.message
        }
    }

    /// A connection to the relay, or nil while the first lookup of its host
    /// name is under way. Addresses older than their lifetime are still
    /// used while a new lookup runs.
    func connectUpstream(now: Int64) throws(PlatformError) -> StreamConnection? {
        let bare = AddressResolver.bareHost(upstreamHost)
        if AddressResolver.isLiteral(bare) {
            return try StreamConnection(host: bare, port: upstreamPort, tls: nil)  // AI_NUMERICHOST: no lookup
        }
        let stale = upstreamAddresses.isEmpty || now &- upstreamAddressesAt >= options.upstreamAddressLifetimeMilliseconds
        if stale && upstreamLookup == nil {
            upstreamLookup = HostLookupSocket(host: bare, port: upstreamPort, now: now)
            // /etc/hosts (or a name that is not one) answers at once.
            if let reason = finishUpstreamLookup(now: now) { throw PlatformError(.resolve, path: bare, detail: reason) }
        }
        guard !upstreamAddresses.isEmpty else { return nil }
        return try StreamConnection(host: bare, port: upstreamPort, tls: nil, addresses: upstreamAddresses, isLiteral: false)
    }

    /// Takes a finished lookup's addresses (or, when it failed, keeps those
    /// known for another lifetime). The reason when it failed with no
    /// address known; nil otherwise, and while it is under way.
    func finishUpstreamLookup(now: Int64) -> String? {
        guard let lookup = upstreamLookup, let outcome = lookup.outcome else { return nil }
        upstreamLookup = nil
        upstreamAddressesAt = now
        switch outcome {
        case .addresses(let found):
            upstreamAddresses = found
            return nil
        case .failed(let reason):
            return upstreamAddresses.isEmpty ? "lookup failed: " + reason : nil
        }
    }

    /// Once the lookup is done, the channels waiting for the relay connect
    /// to it, or are closed with the reason when no address is known.
    func upstreamLookupProgressed(now: Int64) {
        guard upstreamLookup?.outcome != nil else { return }
        let failure = finishUpstreamLookup(now: now).map { "cannot resolve " + AddressResolver.bareHost(upstreamHost) + ": " + $0 }
        var i = 0
        while i < pairs.count {
            let p = pairs[i]
            if p.client.isEstablished && p.upstream == nil, let reason = failure ?? drive(p, now: now) {
                close(i, reason)
                continue
            }
            i += 1
        }
    }

    /// Reads from `stream` until it would block or `buffer` is full; true at
    /// EOF. A byte read marks the pair active.
    func pump(
        _ stream: StreamConnection, into buffer: inout OutputBuffer, for p: Pair, now: Int64
    ) throws(PlatformError)
        -> Bool
    {
        while buffer.count < options.maxBufferedBytes {
            let result: Result<Int?, PlatformError> = scratch.withUnsafeMutableBytes { s in
                Result { () throws(PlatformError) -> Int? in try stream.read(into: s) }
            }
            guard let n = try result.get() else { return false }
            if n == 0 { return true }
            p.lastActive = now
            buffer.append(contentsOf: scratch[0..<n])
        }
        return false
    }

    /// Writes `buffer` until the stream would block (`StreamConnection.drain`).
    func drain(_ buffer: inout OutputBuffer, to stream: StreamConnection) throws(PlatformError) {
        _ = try stream.drain(&buffer)
    }

    func close(_ i: Int, _ reason: String) {
        let p = pairs.remove(at: i)
        log.append("closed " + p.client.peerDescription + ": " + reason)
        p.client.close()
        p.upstream?.close()
    }
}
