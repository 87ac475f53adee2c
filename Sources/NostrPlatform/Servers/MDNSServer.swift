import NostrCore

/// The mDNS responder of `nostr-dns mdns` (RFC 6762): the two mDNS sockets
/// (IPv4 and IPv6, port 5353), the sans-IO `MDNSResponder`, and the
/// resolver cache for other npubs (`MDNSNames`), in one `EventLoop` with
/// the relay connections and the responder's timers; nothing in it blocks.
/// The interface addresses are read again every `refreshMilliseconds`.
public final class MDNSServer: EventLoopServer {
    public struct Settings {
        /// `--interface NAME`...: the interfaces served (none: every one
        /// that is up, multicast-capable and not loopback).
        public var interfaceNames: [String] = []
        /// The cache file (`--cache`), nil for none.
        public var cachePath: String?
        /// The kept copy of the cache, written rarely (`--cache-keep`,
        /// `CacheKeepSchedule`); nil for none.
        public var keep: CacheKeep?
        /// How often the interface addresses are read again (DHCP changes).
        public var refreshMilliseconds: Int64 = 30_000
        public var verbose = false
        public var quiet = false

        public init() {}
    }

    var responder: MDNSResponder
    let v4: MulticastSocket?
    let v6: MulticastSocket?
    let settings: Settings
    let globals: (verbose: Bool, quiet: Bool)
    /// The names of other npubs (the resolver cache), from `run`.
    var names: MDNSNames? = nil
    var nextRefresh: Int64 = 0
    var v4Slot = -1
    var v6Slot = -1
    /// Allocated once: the loop does not allocate per packet for I/O.
    let receiveBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 9000, alignment: 8)
    let sendBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 8)

    /// Opens the two mDNS sockets (one family may be missing) and joins the
    /// groups on `interfaces`.
    public init(ownKey: Bytes32, interfaces: [MDNSInterface], settings: Settings) throws(PlatformError) {
        self.settings = settings
        globals = (settings.verbose, settings.quiet)
        let seed = (try? Entropy.bytes32())?.storage.0 ?? UInt64(truncatingIfNeeded: Clock.monotonicNanoseconds())
        responder = MDNSResponder(ownKey: ownKey, interfaces: interfaces, now: Clock.monotonicMilliseconds(), seed: seed)
        var v4: MulticastSocket? = nil
        var v6: MulticastSocket? = nil
        var firstError: PlatformError? = nil
        do throws(PlatformError) { v4 = try MulticastSocket(ipv6: false) } catch { firstError = error }
        do throws(PlatformError) { v6 = try MulticastSocket(ipv6: true) } catch {
            if firstError == nil { firstError = error }
            if v4 != nil && !settings.quiet { Output.stderr("nostr-dns mdns: no IPv6 (" + error.message + "); IPv4 only\n") }
        }
        guard v4 != nil || v6 != nil else { throw firstError ?? PlatformError(.io) }
        self.v4 = v4
        self.v6 = v6
        join(interfaces)
    }

    func join(_ interfaces: [MDNSInterface]) {
        for iface in interfaces {
            for s in [v4, v6] {
                guard let s else { continue }
                do throws(PlatformError) {
                    try s.join(interfaceIndex: iface.index, name: iface.name, address: iface.firstIPv4)
                } catch {
                    if !globals.quiet { Output.stderr("nostr-dns mdns: " + error.message + "\n") }
                }
            }
        }
    }

    /// Closes the two sockets (after `run`, for a responder in-process).
    public func close() {
        v4?.close()
        v6?.close()
    }

    /// Frees the two buffers (LeakSanitizer reported them at exit).
    deinit {
        receiveBuffer.deallocate()
        sendBuffer.deallocate()
    }

    /// The resolver cache for other npubs (the command-line tool's and the
    /// Swift API's): a reconnecting pool on `relays`.
    public static func resolver(relays: RelayPoolBuilder, context: Secp256k1Context) throws(PlatformError) -> CachedResolver {
        CachedResolver(pool: try relays.pool(reconnect: true, timeoutMilliseconds: 10_000), context: context)
    }

    /// The interfaces of `names` (`MDNSInterfaceSelection`).
    public static func interfaces(_ names: [String]) throws(PlatformError) -> [MDNSInterface] {
        try MDNSInterfaceSelection.select(names, from: try InterfaceAddress.all())
    }

    // MARK: The loop (EventLoop)

    /// Answers until SIGINT or SIGTERM, or until `stop` is requested (a
    /// responder in-process), other npubs from `resolver` (whose cache
    /// file, `settings.cachePath`, is saved every 5 minutes when it changed
    /// and on exit, and its kept copy, `settings.keep`, at most every
    /// keep interval when it changed, and on exit); then says goodbye
    /// (RFC 6762 §10.1).
    public func run(resolver: CachedResolver, stop: LoopStop? = nil) throws(PlatformError) {
        names = MDNSNames(resolver: resolver, verbose: settings.verbose, quiet: settings.quiet)
        nextRefresh = Clock.monotonicMilliseconds() + settings.refreshMilliseconds
        logServing()
        try EventLoop(relays: .resolver(resolver, cachePath: settings.cachePath, keep: settings.keep), stop: stop).run(self)
    }

    public func tick(now: Int64) {
        tickResponder(now: now)
        if now >= nextRefresh {
            nextRefresh = now + settings.refreshMilliseconds
            if let fresh = try? Self.interfaces(settings.interfaceNames) { update(fresh, now: now) }
        }
        names?.takeEvents()
    }

    public func register(in poll: inout PollSet, now: Int64) -> Int64? {
        v4Slot = poll.add(fd: v4?.fd ?? -1, interest: .read)
        v6Slot = poll.add(fd: v6?.fd ?? -1, interest: .read)
        return min(nextRefresh, responder.nextDeadline ?? Int64.max)
    }

    public func handle(_ poll: PollSet, now: Int64) throws(PlatformError) {
        guard var names else { return }
        if !poll.ready(v4Slot).isEmpty { receive(ipv6: false, now: now, names: &names) }
        if !poll.ready(v6Slot).isEmpty { receive(ipv6: true, now: now, names: &names) }
    }

    public func cacheNotSaved(_ why: String) {
        if !globals.quiet { Output.stderr("nostr-dns mdns: " + why + "\n") }
    }

    public func finish() {
        goodbye()
        if !globals.quiet { Output.stderr("nostr-dns mdns: stopped; said goodbye\n") }
    }

    var families: (ipv4: Bool, ipv6: Bool) { (v4 != nil, v6 != nil) }
    var nextDeadline: Int64? { responder.nextDeadline }

    func logServing() {
        guard !globals.quiet else { return }
        let npub = NIP19.npub(responder.ownKey)
        for iface in responder.interfaces {
            var line = "nostr-dns mdns: serving " + npub + ".local on " + iface.name + " ("
            line += iface.prefixes.map { $0.address.text }.joined(separator: ", ") + ")"
            var groups: [String] = []
            if let v4, v4.joinedInterfaces.contains(iface.index) { groups.append("224.0.0.251") }
            if let v6, v6.joinedInterfaces.contains(iface.index) { groups.append("ff02::fb") }
            line += ", groups " + (groups.isEmpty ? "none" : groups.joined(separator: " and ")) + "\n"
            Output.stderr(line)
        }
    }

    func update(_ interfaces: [MDNSInterface], now: Int64) {
        let before = responder.interfaces
        let same =
            before.count == interfaces.count
            && zip(before, interfaces).allSatisfy { $0.index == $1.index && $0.prefixes == $1.prefixes }
        guard !same else { return }
        for old in before where !interfaces.contains(where: { $0.index == old.index }) {
            v4?.leave(interfaceIndex: old.index)
            v6?.leave(interfaceIndex: old.index)
        }
        responder.update(interfaces: interfaces, now: now)
        join(interfaces)
        logServing()
    }

    /// The responder's timers: probes, announcements, delayed answers.
    func tickResponder(now: Int64) {
        guard let due = responder.nextDeadline, now >= due else { return }
        let (v4, v6, globals) = (self.v4, self.v6, self.globals)
        let sources = responder.interfaces
        // Which claims were still probing (a bit per interface: no array,
        // since tick also runs for every delayed answer, §6).
        var probing: UInt64 = 0
        for (i, claim) in responder.claims.enumerated() where i < 64 && !claim.mayAnswer { probing |= 1 << UInt64(i) }
        responder.tick(now: now, families: families, buffer: sendBuffer) { d, ipv6, bytes in
            MDNSServer.send(bytes, to: d, ipv6: ipv6, v4: v4, v6: v6, interfaces: sources, globals: globals)
        }
        for (i, claim) in responder.claims.enumerated()
        where claim.mayAnswer && i < 64 && probing & (1 << UInt64(i)) != 0 && !globals.quiet {
            Output.stderr(
                "nostr-dns mdns: probed " + NIP19.npub(responder.ownKey) + ".local on " + sources[i].name
                    + " with no conflict; announcing\n")
        }
    }

    func goodbye() {
        let (v4, v6, globals) = (self.v4, self.v6, self.globals)
        let sources = responder.interfaces
        responder.goodbye(families: families, buffer: sendBuffer) { d, ipv6, bytes in
            MDNSServer.send(bytes, to: d, ipv6: ipv6, v4: v4, v6: v6, interfaces: sources, globals: globals)
        }
    }

    static func send(
        _ bytes: UnsafeRawBufferPointer, to d: MDNSDestination, ipv6: Bool, v4: MulticastSocket?,
        v6: MulticastSocket?, interfaces: [MDNSInterface], globals: (verbose: Bool, quiet: Bool)
    ) {
        guard let socket = ipv6 ? v6 : v4 else { return }
        // IPv4: from the interface's own address (else the kernel may use
        // another interface's); IPv6: the kernel picks one of the link.
        var source: IPAddress? = nil
        if !ipv6, let iface = interfaces.first(where: { $0.index == d.interfaceIndex }) { source = iface.firstIPv4 }
        do throws(PlatformError) {
            try socket.send(
                bytes, to: d.address, port: d.port, interfaceIndex: d.interfaceIndex, scopeID: d.scopeID,
                source: source)
        } catch {
            if globals.verbose { Output.stderr("nostr-dns mdns: " + error.message + "\n") }
        }
    }

    /// Reads every waiting datagram of one socket and answers it.
    func receive(ipv6: Bool, now: Int64, names: inout MDNSNames) {
        guard let socket = ipv6 ? v6 : v4 else { return }
        let (v4, v6, globals) = (self.v4, self.v6, self.globals)
        let sources = responder.interfaces
        var budget = 64  // then let the rest of the loop run
        while budget > 0 {
            budget -= 1
            let datagram: ReceivedDatagram?
            do throws(PlatformError) {
                datagram = try socket.receive(into: receiveBuffer)
            } catch {
                if globals.verbose { Output.stderr("nostr-dns mdns: " + error.message + "\n") }
                return
            }
            guard let datagram else { return }
            if datagram.truncated {
                if globals.verbose { log(datagram, "ignored: longer than " + String(receiveBuffer.count) + " bytes") }
                continue
            }
            let info = MDNSPacketInfo(
                source: datagram.source, sourcePort: datagram.sourcePort,
                sourceScopeID: datagram.sourceScopeID,
                destinationIsMulticast: datagram.destinationIsMulticast,
                interfaceIndex: datagram.interfaceIndex)
            let packet = UnsafeRawBufferPointer(rebasing: receiveBuffer[0..<datagram.length])
            let outcome = responder.handle(
                packet, info, now: now, buffer: sendBuffer,
                lookup: { names.state(of: $0, now: now) },
                emit: { d, ipv6, bytes in
                    MDNSServer.send(bytes, to: d, ipv6: ipv6, v4: v4, v6: v6, interfaces: sources, globals: globals)
                })
            for key in outcome.lookups { names.lookUp(key, now: now) }
            if let unlogged = outcome.logConflict, !globals.quiet { logConflict(datagram, outcome, unlogged: unlogged) }
            if globals.verbose {
                if let ignored = outcome.ignored {
                    if ignored != .notAQuery { log(datagram, "ignored: " + ignored.text) }
                } else if let route = outcome.route {
                    var text = "answered by " + (route == .multicast ? "multicast" : route == .unicast ? "unicast" : "legacy unicast")
                    if let due = outcome.delayedUntil {
                        text +=
                            " (records waiting: multicast in " + String(due - now)
                            + " ms, RFC 6762 §6 shared records or §7.2 truncated query)"
                    }
                    log(datagram, text)
                }
            }
        }
    }

    /// A conflict for the own name (RFC 6762 §9) or a stale copy of its
    /// records (§6.6), with the sender's address: once per source per
    /// minute, at most 16 lines a minute (`MDNSConflictLog`).
    func logConflict(_ d: ReceivedDatagram, _ outcome: MDNSOutcome, unlogged: Int) {
        let name = NIP19.npub(responder.ownKey) + ".local"
        var text =
            outcome.conflict
            ? "conflict: another host answers for " + name + " with other data (RFC 6762 §9)"
            : "another host sent " + name + "'s own address with a short TTL or a goodbye (RFC 6762 §6.6)"
        text += "; the npub is this host's key: still answering, and announcing its records again (at most once a second,"
        text += " every 5 s after 15 conflicts in 10 s); further conflicts from this address are not logged for a minute"
        if unlogged > 0 { text += " (" + String(unlogged) + " conflicts not logged since the last line)" }
        Output.stderr("nostr-dns mdns: response from " + Self.text(d) + " on interface " + String(d.interfaceIndex) + ": " + text + "\n")
    }

    /// The sender of `d` as ADDRESS:PORT ([ADDRESS]:PORT for IPv6).
    static func text(_ d: ReceivedDatagram) -> String {
        d.source.isIPv4 ? d.source.text + ":" + String(d.sourcePort) : "[" + d.source.text + "]:" + String(d.sourcePort)
    }

    func log(_ d: ReceivedDatagram, _ text: String) {
        Output.stderr("nostr-dns mdns: query from " + Self.text(d) + " on interface " + String(d.interfaceIndex) + ": " + text + "\n")
    }
}
