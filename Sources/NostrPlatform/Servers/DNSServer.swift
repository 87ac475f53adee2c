import NostrCore

/// The unicast DNS server of `nostr-dns dns`: one poll loop (like dnsmasq)
/// over the UDP sockets and TCP listeners of `--listen`, the accepted TCP
/// connections, the sockets of queries forwarded upstream, and the relays
/// of the `CachedResolver`.
///
/// - UDP: queries read and answered in batches (recvmmsg/sendmmsg); a
///   cached answer allocates nothing (Tests/bench/dns-allocations.sh).
/// - TCP (RFC 7766): two-octet length prefix (RFC 1035 §4.2.2), several
///   queries per connection, answered in any order (§6.2.1.1); idle
///   connections closed after `tcpIdleMilliseconds` (§6.2.3); at most
///   `maxConnections`, the least recently active closed to make room.
/// - `nostr.`: answered from the cache; the first query for an unknown
///   name waits for the relays (`CachedResolver.lookupTimeoutMilliseconds`)
///   and then gets SERVFAIL if none answered.
/// - Other names: forwarded to the upstream server from a new socket (a
///   random source port) with a random ID; the answer must come from the
///   upstream address (the socket is connected), carry that ID and the
///   same question (RFC 5452 §9.1), else it is ignored. No upstream: REFUSED.
/// - Not an open forwarder (issue 16 item 5, `ForwardPolicy`): only
///   queries with RD set, from loopback, the networks of the listening
///   interfaces or `allowFrom`, are forwarded; others get REFUSED. A
///   forwarded answer larger than the UDP cap (1,232 octets, or less when
///   the client takes less) goes back cut to its question with TC set:
///   the client asks again over TCP.
/// - Not an amplifier: answers over UDP to other sources than loopback
///   (forwarded answers aside: they only go to allowed sources) pass a
///   per-network response rate limit (`ResponseRateLimit`, `rateLimit` per
///   second per /24 or /56; over it every second answer is sent truncated,
///   the others dropped).
public final class DNSServer: EventLoopServer {
    public struct Settings {
        public var listen: [SocketAddress] = []
        public var upstream: SocketAddress?
        public var cachePath: String?
        /// The kept copy of the cache, written rarely (`--cache-keep`,
        /// `CacheKeepSchedule`); nil for none.
        public var keep: CacheKeep?
        public var maxConnections = 64
        public var tcpIdleMilliseconds: Int64 = 10_000
        public var forwardTimeoutMilliseconds: Int64 = 4_000
        public var maxForwards = 256
        public var maxWaiting = 1024
        public var saveIntervalMilliseconds = CachedResolver.saveIntervalMilliseconds
        /// Skip (with a warning) IPv6 addresses that cannot be bound: for
        /// the default [::1] on a host without IPv6.
        public var ipv6Optional = false
        public var verbose = false
        public var quiet = false
        /// Sources allowed to use the upstream besides loopback and the
        /// networks of the listening interfaces (`--allow-from`).
        public var allowFrom: [AddressPrefix] = []
        /// UDP answers per second per client network (/24, /56); 0: no limit.
        public var rateLimit = 20

        public init() {}
    }

    /// Who asked: a UDP socket (by index) and the client's address, or a TCP connection (by id).
    enum Client {
        case udp(Int, SocketAddress)
        case tcp(Int)
    }

    /// A query waiting for a relay lookup.
    struct Waiting {
        var key: ResolverKey
        var client: Client
        var query: [UInt8]
    }

    /// A query forwarded upstream.
    struct Forward {
        /// The largest answer the client takes over UDP (RFC 6891 §6.2.5,
        /// capped at `DNSResponder.maxUDPPayload`); TCP: 65,535.
        var limit = 65_535
        var socket: UDPSocket
        var id: UInt16
        var client: Client
        var query: [UInt8]
        var deadline: Int64
        var slot = -1
    }

    final class Connection {
        let id: Int
        let stream: StreamConnection
        let peer: IPAddress
        /// Received bytes not yet taken as queries (RFC 1035 §4.2.2 framing).
        var input = OutputBuffer()
        var output = OutputBuffer()
        var lastActive: Int64
        var slot = -1
        var closed = false
        init(id: Int, stream: StreamConnection, peer: IPAddress, now: Int64) {
            self.id = id
            self.stream = stream
            self.peer = peer
            lastActive = now
        }
    }

    /// Unsent answers allowed per TCP connection.
    static let maxTCPOutput = 256 * 1024

    public let settings: Settings
    public let resolver: CachedResolver
    public private(set) var udp: [UDPServerSocket] = []
    var listeners: [TCPListener] = []
    var connections: [Connection] = []
    var forwards: [Forward] = []
    var waiting: [Waiting] = []
    var nextConnectionID = 0
    let batch = UDPBatch(capacity: 64, receiveSize: 1500, replySize: Int(DNSResponder.maxUDPPayload))
    /// Scratch for TCP answers, forwarded answers and waiting queries.
    var scratch = [UInt8](repeating: 0, count: 65_535 + 2)
    /// The zone's rules (sans-IO, NostrCore).
    var zone: NostrZoneResponder
    /// Who may use the upstream (sans-IO, NostrCore).
    public private(set) var forwardPolicy = ForwardPolicy()
    /// The UDP response rate limit (sans-IO, NostrCore).
    public private(set) var rateLimit: ResponseRateLimit

    public init(settings: Settings, resolver: CachedResolver) throws(PlatformError) {
        self.settings = settings
        self.resolver = resolver
        zone = NostrZoneResponder(
            soa: DNSResponder.SOA(
                negativeTTL: resolver.cache.negativeTTL,
                serial: UInt32(truncatingIfNeeded: Clock.unixTime())),
            forwardsOtherNames: settings.upstream != nil)
        rateLimit = ResponseRateLimit(responsesPerSecond: settings.rateLimit)
        for address in settings.listen {
            do throws(PlatformError) {
                let u = try UDPServerSocket(address: address)
                // Port 0: the kernel picks the UDP port; TCP takes the same one.
                let t = try TCPListener(
                    address: address.port == 0
                        ? SocketAddress(address: address.addressBytes, port: u.address.port, scopeID: address.scopeID) ?? address
                        : address)
                udp.append(u)
                listeners.append(t)
            } catch {
                guard settings.ipv6Optional && address.isIPv6 else { throw error }
                log("skipping " + address.description + ": " + error.message)
            }
        }
        forwardPolicy = ForwardPolicy(allowed: Self.listenNetworks(udp.map { $0.address }) + settings.allowFrom)
    }

    /// The networks of the interfaces that hold `listen` (every interface
    /// of the family for 0.0.0.0 and ::): the default sources allowed to
    /// use the upstream, besides loopback (`ForwardPolicy`).
    static func listenNetworks(_ listen: [SocketAddress]) -> [AddressPrefix] {
        guard let interfaces = try? InterfaceAddress.all() else { return [] }
        var out: [AddressPrefix] = []
        for l in listen {
            let a = l.ipAddress
            let any = a == .v4(0) || a == .v6(0, 0)
            for i in interfaces where i.isUp && i.isIPv4 == l.isIPv4 {
                guard let ia = i.address.withUnsafeBytes({ try? IPAddress(bytes: $0) }), any || ia == a,
                    let p = AddressPrefix(ia, length: i.prefixLength), !out.contains(p)
                else { continue }
                out.append(p)
            }
        }
        return out
    }

    /// The resolver cache of the DNS server (the command-line tool's and
    /// the Swift API's): a reconnecting pool on `relays` whose host names
    /// are looked up without blocking the loop once per relay, then at most
    /// every 30 minutes (reconnects in between reuse the addresses, kept
    /// when a later lookup fails: the Design article, "Relay host names");
    /// `capacity` names; the first query for a name waits
    /// `lookupTimeoutMilliseconds` for the relays.
    public static func resolver(
        relays: RelayPoolBuilder, context: Secp256k1Context, capacity: Int, lookupTimeoutMilliseconds: Int64
    ) throws(PlatformError) -> CachedResolver {
        let pool = try relays.pool(reconnect: true, timeoutMilliseconds: 10_000)
        pool.options.addressLifetimeMilliseconds = 30 * 60 * 1000
        let resolver = CachedResolver(pool: pool, context: context, capacity: capacity)
        resolver.lookupTimeoutMilliseconds = lookupTimeoutMilliseconds
        return resolver
    }

    func log(_ text: String) {
        if !settings.quiet { Output.stderr("nostr-dns dns: " + text + "\n") }
    }

    // MARK: The loop (EventLoop)

    /// Serves until SIGINT or SIGTERM, or until `stop` is requested (a
    /// server in-process); the cache file is saved every
    /// `saveIntervalMilliseconds` when it changed, and on exit; its kept
    /// copy (`settings.keep`) at most every `keep.intervalMilliseconds`
    /// when it changed, and on exit when it changed. The
    /// sockets are closed when it returns.
    public func run(stop: LoopStop? = nil) throws(PlatformError) {
        var loop = EventLoop(relays: .resolver(resolver, cachePath: settings.cachePath, keep: settings.keep), stop: stop)
        loop.saveIntervalMilliseconds = settings.saveIntervalMilliseconds
        defer { closeAll() }
        try loop.run(self)
    }

    /// Closes the listening sockets, the connections and the forwards, so
    /// that the ports are free again.
    func closeAll() {
        for c in connections { c.closed = true; c.stream.close() }
        connections.removeAll()
        for f in forwards { f.socket.close() }
        forwards.removeAll()
        waiting.removeAll()
        for s in udp { s.close() }
        for l in listeners { l.close() }
    }

    public func tick(now: Int64) {
        for event in resolver.takeEvents() { resolved(event, now: now) }
        for note in resolver.takeRelayNotes() { report(note, now: now) }
        // Addresses the policy left out (issue 16 item 4), once per record.
        for d in resolver.cache.takeDroppedAddresses() where settings.verbose {
            let name = (d.key.label.isEmpty ? "" : d.key.label + ".") + NIP19.npub(d.key.author) + ".nostr"
            log(name + ": " + d.text)
        }
        expire(now: now)
    }

    public func register(in poll: inout PollSet, now: Int64) -> Int64? {
        for s in udp { poll.add(fd: s.fd, interest: .read) }
        for l in listeners { poll.add(fd: l.fd, interest: .read) }
        for c in connections {
            var interest = c.stream.interest
            if !c.output.isEmpty { interest.insert(.write) }
            c.slot = poll.add(fd: c.stream.fd, interest: interest)
        }
        for i in forwards.indices { forwards[i].slot = poll.add(fd: forwards[i].socket.fd, interest: .read) }
        return nextWake(now: now)
    }

    public func handle(_ poll: PollSet, now: Int64) throws(PlatformError) {
        for (i, s) in udp.enumerated() where !poll.ready(i).isEmpty { try serveUDP(i, s, now: now) }
        for (i, l) in listeners.enumerated() where !poll.ready(udp.count + i).isEmpty { accept(l, now: now) }
        for c in connections where c.slot >= 0 && !poll.ready(c.slot).isEmpty { serve(c, now: now) }
        var k = 0
        while k < forwards.count {
            if forwards[k].slot >= 0 && !poll.ready(forwards[k].slot).isEmpty && receiveForward(k) {
                forwards.remove(at: k)
            } else {
                k += 1
            }
        }
    }

    public func cacheNotSaved(_ why: String) { log(why) }

    func nextWake(now: Int64) -> Int64? {
        var wake: Int64? = nil
        for f in forwards { wake = min(wake ?? f.deadline, f.deadline) }
        // A connection past its idle time but still waiting for an answer is
        // looked at again in half a second, not in a busy loop.
        for c in connections {
            let t = max(c.lastActive + settings.tcpIdleMilliseconds, now + 500)
            wake = min(wake ?? t, t)
        }
        return wake
    }

    /// Relay failures (with when the next attempt is) and messages that
    /// are not NIP-01 are logged; connections only at -v.
    func report(_ note: RelayNote, now: Int64) {
        let pool = resolver.pool
        let url = "relay " + pool.urls[note.relay].text + ": "
        switch note.kind {
        case .connected:
            if settings.verbose { log(url + "connected") }
        case .ignored:
            log(url + "ignoring what is not NIP-01 (" + note.text + ")")
        case .failed:
            let next = pool.nextAttempt(note.relay).map { "; next attempt in " + RelayPool.seconds(max(0, $0 - now)) } ?? ""
            log(url + note.text + next)
        }
    }

    // MARK: Answers

    /// The answer to one query, written into `out` (`NostrZoneResponder`).
    func respond(
        _ message: UnsafeRawBufferPointer, tcp: Bool, into out: UnsafeMutableRawBufferPointer, now: Int64
    )
        -> NostrZoneResponder.Outcome
    {
        var lookup = resolver
        return zone.respond(to: message, overTCP: tcp, into: out, now: now, lookup: &lookup)
    }

    // MARK: UDP

    func serveUDP(_ index: Int, _ socket: UDPServerSocket, now: Int64) throws(PlatformError) {
        for _ in 0..<8 {  // at most 8 batches per turn, so TCP and relays get their turn
            let n = try batch.receive(from: socket.fd)
            if n == 0 { return }
            for k in 0..<n {
                guard let datagram = batch.datagram(k), let out = batch.replyBuffer() else { continue }
                switch respond(datagram, tcp: false, into: out, now: now) {
                case .reply(let length):
                    switch rateLimit.admit(batch.source(k).ipAddress, now: now) {
                    case .send: batch.commitReply(length: length, toSourceOf: k)
                    case .slip:
                        let cut = DNSTruncation.questionOnly(out, length: length)
                        if cut > 0 { batch.commitReply(length: cut, toSourceOf: k) }
                    case .drop: break
                    }
                case .drop:
                    break
                case .wait(let key):
                    wait(key, .udp(index, batch.source(k)), Array(datagram))
                case .forward:
                    let source = batch.source(k)
                    if forwardPolicy.allows(source.ipAddress) {
                        forward(Array(datagram), client: .udp(index, source), now: now)
                    } else {
                        refuse(Array(datagram), client: .udp(index, source), now: now)
                    }
                }
            }
            _ = try batch.sendReplies(on: socket.fd)
            // Not `n < capacity: return`: more queries may have come while
            // these were answered; one more recvmmsg is cheaper than a poll
            // wake-up.
        }
    }

    /// Sends one answer to a client (later answers: waiting and forwarded
    /// queries); over UDP under the rate limit unless `limited` is false
    /// (forwarded answers: they only go to allowed sources).
    func send(_ answer: UnsafeRawBufferPointer, to client: Client, limited: Bool = true, now: Int64 = Clock.monotonicMilliseconds()) {
        switch client {
        case .udp(let index, let address):
            switch limited ? rateLimit.admit(address.ipAddress, now: now) : .send {
            case .send:
                _ = try? udp[index].send(answer, to: address)
            case .slip:
                var copy = Array(answer)
                let cut = copy.withUnsafeMutableBytes { DNSTruncation.questionOnly($0, length: answer.count) }
                if cut > 0 {
                    let socket = udp[index]
                    copy.removeSubrange(cut...)
                    _ = copy.withUnsafeBytes { p in Result { () throws(PlatformError) -> Bool in try socket.send(p, to: address) } }
                }
            case .drop:
                break
            }
        case .tcp(let id):
            guard let c = connections.first(where: { $0.id == id }), !c.closed else { return }
            // A client that sends queries but does not read its answers is
            // cut off rather than buffered for without bound.
            guard c.output.count < Self.maxTCPOutput else { close(c); return }
            c.output.append(UInt8(answer.count >> 8))
            c.output.append(UInt8(answer.count & 0xFF))
            c.output.append(contentsOf: answer)
            flush(c)
        }
    }

    // MARK: Waiting for relays

    func wait(_ key: ResolverKey, _ client: Client, _ query: [UInt8]) {
        guard waiting.count < settings.maxWaiting else {
            fail(query, rcode: DNSRCode.servFail, to: client)
            return
        }
        waiting.append(Waiting(key: key, client: client, query: query))
    }

    func resolved(_ event: ResolverEvent, now: Int64) {
        let key: ResolverKey
        var timedOut = false
        switch event {
        case .resolved(let k): key = k
        case .timedOut(let k): key = k; timedOut = true
        case .updated: return
        }
        var ready: [Waiting] = []
        waiting.removeAll { w in
            if w.key == key { ready.append(w); return true }
            return false
        }
        for w in ready {
            if timedOut {
                fail(w.query, rcode: DNSRCode.servFail, to: w.client)
                continue
            }
            var tcp = false
            if case .tcp = w.client { tcp = true }
            let outcome: NostrZoneResponder.Outcome = w.query.withUnsafeBytes { q in
                scratch.withUnsafeMutableBytes { out in
                    respond(
                        q, tcp: tcp,
                        into: UnsafeMutableRawBufferPointer(rebasing: out[0..<(tcp ? 65_535 : Int(DNSResponder.maxUDPPayload))]), now: now)
                }
            }
            switch outcome {
            case .reply(let length):
                let answer = Array(scratch[0..<length])
                answer.withUnsafeBytes { send($0, to: w.client) }
            default:
                fail(w.query, rcode: DNSRCode.servFail, to: w.client)
            }
        }
    }

    /// Answers `query` with just an error code (SERVFAIL after a failed
    /// lookup or forward).
    func fail(_ query: [UInt8], rcode: UInt16, to client: Client, now: Int64 = Clock.monotonicMilliseconds()) {
        var out = [UInt8](repeating: 0, count: 4096)
        let length: Int = query.withUnsafeBytes { q in
            out.withUnsafeMutableBytes { o in zone.failure(to: q, rcode: rcode, into: o) }
        }
        if length > 0 { out[0..<length].withUnsafeBytes { send($0, to: client, now: now) } }
    }

    // MARK: Forwarding (RFC 5452)

    /// REFUSED to a query from a source `forwardPolicy` does not allow
    /// (RFC 5358 §4: no recursion for those the server is not meant for).
    func refuse(_ query: [UInt8], client: Client, now: Int64) {
        if settings.verbose {
            var who = ""
            switch client {
            case .udp(_, let a): who = a.ipAddress.text
            case .tcp(let id): who = connections.first(where: { $0.id == id })?.peer.text ?? ""
            }
            log("refused to forward for " + who + " (not an allowed source: --allow-from)")
        }
        fail(query, rcode: DNSRCode.refused, to: client, now: now)
    }

    func forward(_ query: [UInt8], client: Client, now: Int64) {
        guard let upstream = settings.upstream, forwards.count < settings.maxForwards else {
            fail(query, rcode: DNSRCode.servFail, to: client)
            return
        }
        var id: UInt16 = 0
        do throws(NostrError) {
            try withUnsafeMutableBytes(of: &id) { (p) throws(NostrError) in try Entropy.fill(p) }
        } catch {
            fail(query, rcode: DNSRCode.servFail, to: client)
            return
        }
        var copy = query
        copy[0] = UInt8(id >> 8)
        copy[1] = UInt8(id & 0xFF)
        do throws(PlatformError) {
            // A new socket per query: the kernel picks a random source port.
            let socket = try UDPSocket(host: SocketAddress.text(of: upstream.addressBytes), port: upstream.port)
            let sent: Result<Bool, PlatformError> = copy.withUnsafeBytes { p in
                Result { () throws(PlatformError) -> Bool in try socket.send(p) }
            }
            _ = try sent.get()
            var limit = 65_535
            if case .udp = client {
                limit = query.withUnsafeBytes { q -> Int in
                    if case .query(let parsed) = DNSResponder.parse(q) { return parsed.udpLimit }
                    return DNSLimits.classicUDPSize
                }
            }
            forwards.append(
                Forward(
                    limit: limit, socket: socket, id: id, client: client, query: query,
                    deadline: now + settings.forwardTimeoutMilliseconds))
        } catch {
            if settings.verbose { log("forwarding to " + upstream.description + ": " + error.message) }
            fail(query, rcode: DNSRCode.servFail, to: client)
        }
    }

    /// Reads the answers of forward `k`; true when it is done (answered).
    func receiveForward(_ k: Int) -> Bool {
        let f = forwards[k]
        while true {
            let n: Int?
            let received: Result<Int?, PlatformError> = scratch.withUnsafeMutableBytes { p in
                Result { () throws(PlatformError) -> Int? in try f.socket.receive(into: p) }
            }
            do throws(PlatformError) { n = try received.get() } catch {
                fail(f.query, rcode: DNSRCode.servFail, to: f.client)
                return true
            }
            guard let n else { return false }
            let matches: Bool = scratch.withUnsafeBytes { a in
                f.query.withUnsafeBytes { q in Self.answerMatches(UnsafeRawBufferPointer(rebasing: a[0..<n]), id: f.id, query: q) }
            }
            guard matches else { continue }  // RFC 5452 §9.1: not ours; keep waiting
            scratch[0] = f.query[0]
            scratch[1] = f.query[1]
            var length = n
            if length > f.limit {
                // Over UDP, never more than the client takes, nor more than
                // 1,232 octets (`DNSResponder.maxUDPPayload`): the question
                // with TC set, and the client asks again over TCP (RFC 7766 §5).
                length = scratch.withUnsafeMutableBytes { DNSTruncation.questionOnly($0, length: n) }
                if length == 0 {
                    fail(f.query, rcode: DNSRCode.servFail, to: f.client)
                    return true
                }
            }
            Array(scratch[0..<length]).withUnsafeBytes { send($0, to: f.client, limited: false) }
            f.socket.close()
            return true
        }
    }

    /// RFC 5452 §9.1: a response with our ID and the question we asked
    /// (name compared case-insensitively, type, class).
    static func answerMatches(_ answer: UnsafeRawBufferPointer, id: UInt16, query: UnsafeRawBufferPointer) -> Bool {
        guard var a = try? DNSMessageReader(answer), var q = try? DNSMessageReader(query),
            a.header.isResponse, a.header.id == id, a.header.questionCount == 1,
            let qa = try? a.nextQuestion(), let qq = try? q.nextQuestion(),
            qa.type == qq.type, qa.rawClass == qq.rawClass
        else { return false }
        var flat = [UInt8](repeating: 0, count: 256)
        let n = flat.withUnsafeMutableBytes { q.copyName(qq.name, into: $0) }
        return flat[0..<n].withUnsafeBytes { a.name(qa.name, equals: $0) }
    }

    // MARK: TCP (RFC 7766)

    func accept(_ listener: TCPListener, now: Int64) {
        while true {
            let next: (fd: Int32, peer: SocketAddress)?
            do throws(PlatformError) { next = try listener.accept() } catch {
                if settings.verbose { log(error.message) }
                return
            }
            guard let (fd, peer) = next else { return }
            if connections.count >= settings.maxConnections, let oldest = connections.min(by: { $0.lastActive < $1.lastActive }) {
                close(oldest)
            }
            nextConnectionID += 1
            connections.append(
                Connection(id: nextConnectionID, stream: StreamConnection(accepted: fd, peer: peer), peer: peer.ipAddress, now: now))
        }
    }

    func serve(_ c: Connection, now: Int64) {
        c.lastActive = now
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !c.closed {
            let n: Int?
            let received: Result<Int?, PlatformError> = chunk.withUnsafeMutableBytes { p in
                Result { () throws(PlatformError) -> Int? in try c.stream.read(into: p) }
            }
            do throws(PlatformError) { n = try received.get() } catch {
                close(c)
                return
            }
            guard let n else { break }
            if n == 0 { close(c); return }
            c.input.append(contentsOf: chunk[0..<n])
            // RFC 1035 §4.2.2: each message is preceded by its length.
            while c.input.count >= 2 {
                let length = c.input.withUnsafeBytes { Int($0[0]) << 8 | Int($0[1]) }
                guard c.input.count >= 2 + length else { break }
                let query: [UInt8] = c.input.withUnsafeBytes { Array($0[2..<(2 + length)]) }
                c.input.consume(2 + length)
                let outcome: NostrZoneResponder.Outcome = query.withUnsafeBytes { q in
                    scratch.withUnsafeMutableBytes { out in
                        respond(q, tcp: true, into: UnsafeMutableRawBufferPointer(rebasing: out[0..<65_535]), now: now)
                    }
                }
                switch outcome {
                case .reply(let length):
                    Array(scratch[0..<length]).withUnsafeBytes { send($0, to: .tcp(c.id)) }
                case .drop:
                    close(c)  // not worth an answer: end the connection (RFC 7766 §8)
                    return
                case .wait(let key):
                    wait(key, .tcp(c.id), query)
                case .forward:
                    if forwardPolicy.allows(c.peer) {
                        forward(query, client: .tcp(c.id), now: now)
                    } else {
                        refuse(query, client: .tcp(c.id), now: now)
                    }
                }
            }
        }
        flush(c)
    }

    func flush(_ c: Connection) {
        guard !c.closed else { return }
        do throws(PlatformError) { _ = try c.stream.drain(&c.output) } catch {
            close(c)
        }
    }

    func close(_ c: Connection) {
        c.closed = true
        c.stream.close()
        connections.removeAll { $0 === c }
        waiting.removeAll { w in
            if case .tcp(let id) = w.client { return id == c.id }
            return false
        }
    }

    // MARK: Timers

    func expire(now: Int64) {
        var k = 0
        while k < forwards.count {
            if now >= forwards[k].deadline {
                let f = forwards.remove(at: k)
                f.socket.close()
                fail(f.query, rcode: DNSRCode.servFail, to: f.client)
            } else {
                k += 1
            }
        }
        for c in connections where now - c.lastActive >= settings.tcpIdleMilliseconds {
            let busy =
                waiting.contains { w in
                    if case .tcp(let id) = w.client { return id == c.id }
                    return false
                }
                || forwards.contains { f in
                    if case .tcp(let id) = f.client { return id == c.id }
                    return false
                }
            if !busy { close(c) }
        }
    }
}
