import NostrCore
import NostrPlatform

extension Usage {
    static let mdns = """
        usage: nostr-dns [global options] [mdns] [--interface NAME]... [--cache PATH | --no-cache]

        The Multicast DNS responder (RFC 6762) for <npub>.local, the default command:
        joins 224.0.0.251 and ff02::fb on port 5353 (shared with avahi-daemon) and
        answers A and AAAA queries for this host's own npub from the addresses of the
        interface the query came in on (no relay needed; the name is probed and
        announced first, and said goodbye to on exit), and for any other npub from
        its address record on the relays, looked up in the background and cached:
        an npub not known yet is answered when the querier asks again.
        --interface NAME  serve this interface (repeatable); default: every interface
                          that is up, multicast-capable and not loopback (loopback is
                          served only when named)
        --cache PATH      the names learned from relays, saved every 5 minutes and on
                          exit, verified again on start and answered (stale) while no
                          relay is reachable (default /var/lib/nostr-dns/mdns-cache as
                          root, else ~/.local/state/nostr-dns/mdns-cache)
        --no-cache        keep no cache file
        -v logs why each query was not answered. SIGINT/SIGTERM stop it.

        """ + relays
}

/// `mdns [--interface NAME]...`: the mDNS responder. One poll loop serves
/// the two mDNS sockets, the relay connections of the resolver cache and
/// the responder's timers; nothing in it blocks.
enum MDNSCommand {
    /// How often the interface addresses are read again (DHCP changes).
    static let refreshMilliseconds: Int64 = 30_000

    static func run(_ args: inout Arguments, _ globals: inout GlobalOptions) throws(CommandFailure) -> Int32 {
        var names: [String] = []
        var cachePath: String? = nil
        var noCache = false
        guard try parseOptions("mdns", &args, &globals, { (arg, args) throws(UsageError) -> Bool in
            switch arg {
            case "--interface": names.append(try args.value(for: arg))
            case "--cache": cachePath = try args.value(for: arg)
            case "--no-cache": noCache = true
            default: return false
            }
            return true
        }) else { return ExitCode.success }
        if noCache && cachePath != nil { throw CommandFailure("--cache and --no-cache exclude each other", exitCode: ExitCode.usage) }

        let ctx = try Common.context()
        let secret = try Common.loadKey(globals)
        let ownKey = try checked { () throws(NostrError) in try ctx.publicKey(of: secret) }
        let interfaces = try select(names)
        guard !interfaces.isEmpty else {
            throw CommandFailure("no interface to serve (none is up, multicast-capable and not loopback); name one with --interface")
        }
        let setup = try RelaySetup(globals)
        var server = try Server(ownKey: ownKey, interfaces: interfaces, globals: globals)
        defer { server.releaseBuffers() }
        var names_ = try NameSource(setup: setup, context: ctx, globals: globals,
                                    cachePath: noCache ? nil : cachePath ?? StateLocation.mdnsCachePath())
        StopSignal.install()
        server.logServing()
        var poll = PollSet()
        var nextRefresh = Clock.monotonicMilliseconds() + refreshMilliseconds
        var nextSave = Clock.monotonicMilliseconds() + CachedResolver.saveIntervalMilliseconds
        while !StopSignal.requested {
            let now = Clock.monotonicMilliseconds()
            server.tick(now: now)
            if now >= nextRefresh {
                nextRefresh = now + refreshMilliseconds
                if let fresh = try? select(names) { server.update(fresh, now: now) }
            }
            if now >= nextSave {
                nextSave = now + CachedResolver.saveIntervalMilliseconds
                names_.saveIfChanged()
            }
            names_.takeEvents()
            var wake = min(nextRefresh, nextSave, server.nextDeadline ?? Int64.max)
            if let t = names_.nextDeadline() { wake = min(wake, t) }
            poll.removeAll()
            let v4 = poll.add(fd: server.v4?.fd ?? -1, interest: .read)
            let v6 = poll.add(fd: server.v6?.fd ?? -1, interest: .read)
            names_.register(in: &poll)
            do throws(PlatformError) {
                _ = try poll.wait(timeoutMilliseconds: Clock.pollTimeout(until: wake))
            } catch {
                throw CommandFailure(error)
            }
            let after = Clock.monotonicMilliseconds()
            if !poll.ready(v4).isEmpty { server.receive(ipv6: false, now: after, names: &names_) }
            if !poll.ready(v6).isEmpty { server.receive(ipv6: true, now: after, names: &names_) }
            names_.handle(poll, now: after)
        }
        server.goodbye()
        names_.shutdown()
        names_.saveIfChanged()
        if !globals.quiet { Output.stderr("nostr-dns mdns: stopped; said goodbye\n") }
        return ExitCode.success
    }

    static func select(_ names: [String]) throws(CommandFailure) -> [MDNSInterface] {
        try checked { () throws(PlatformError) in try MDNSInterfaceSelection.select(names, from: try InterfaceAddress.all()) }
    }

    /// The sockets and the sans-IO responder.
    struct Server {
        var responder: MDNSResponder
        let v4: MulticastSocket?
        let v6: MulticastSocket?
        let globals: GlobalOptions
        /// Allocated once: the loop does not allocate per packet for I/O.
        let receiveBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 9000, alignment: 8)
        let sendBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 8)

        init(ownKey: Bytes32, interfaces: [MDNSInterface], globals: GlobalOptions) throws(CommandFailure) {
            self.globals = globals
            let seed = (try? Entropy.bytes32())?.storage.0 ?? UInt64(truncatingIfNeeded: Clock.monotonicNanoseconds())
            responder = MDNSResponder(ownKey: ownKey, interfaces: interfaces, now: Clock.monotonicMilliseconds(), seed: seed)
            var v4: MulticastSocket? = nil
            var v6: MulticastSocket? = nil
            var firstError: PlatformError? = nil
            do throws(PlatformError) { v4 = try MulticastSocket(ipv6: false) } catch { firstError = error }
            do throws(PlatformError) { v6 = try MulticastSocket(ipv6: true) } catch {
                if firstError == nil { firstError = error }
                if v4 != nil && !globals.quiet { Output.stderr("nostr-dns mdns: no IPv6 (" + error.message + "); IPv4 only\n") }
            }
            guard v4 != nil || v6 != nil else { throw CommandFailure(firstError ?? PlatformError(.io)) }
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

        /// Frees the two buffers (LeakSanitizer reported them at exit).
        func releaseBuffers() {
            receiveBuffer.deallocate()
            sendBuffer.deallocate()
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

        mutating func update(_ interfaces: [MDNSInterface], now: Int64) {
            let before = responder.interfaces
            let same = before.count == interfaces.count
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

        mutating func tick(now: Int64) {
            guard let due = responder.nextDeadline, now >= due else { return }
            let (v4, v6, globals) = (self.v4, self.v6, self.globals)
            let sources = responder.interfaces
            // Which claims were still probing (a bit per interface: no array,
            // since tick also runs for every delayed answer, §6).
            var probing: UInt64 = 0
            for (i, claim) in responder.claims.enumerated() where i < 64 && !claim.mayAnswer { probing |= 1 << UInt64(i) }
            responder.tick(now: now, families: families, buffer: sendBuffer) { d, ipv6, bytes in
                Server.send(bytes, to: d, ipv6: ipv6, v4: v4, v6: v6, interfaces: sources, globals: globals)
            }
            for (i, claim) in responder.claims.enumerated()
            where claim.mayAnswer && i < 64 && probing & (1 << UInt64(i)) != 0 && !globals.quiet {
                Output.stderr("nostr-dns mdns: probed " + NIP19.npub(responder.ownKey) + ".local on " + sources[i].name
                              + " with no conflict; announcing\n")
            }
        }

        func goodbye() {
            let (v4, v6, globals) = (self.v4, self.v6, self.globals)
            let sources = responder.interfaces
            responder.goodbye(families: families, buffer: sendBuffer) { d, ipv6, bytes in
                Server.send(bytes, to: d, ipv6: ipv6, v4: v4, v6: v6, interfaces: sources, globals: globals)
            }
        }

        static func send(_ bytes: UnsafeRawBufferPointer, to d: MDNSDestination, ipv6: Bool, v4: MulticastSocket?,
                         v6: MulticastSocket?, interfaces: [MDNSInterface], globals: GlobalOptions) {
            guard let socket = ipv6 ? v6 : v4 else { return }
            // IPv4: from the interface's own address (else the kernel may use
            // another interface's); IPv6: the kernel picks one of the link.
            var source: IPAddress? = nil
            if !ipv6, let iface = interfaces.first(where: { $0.index == d.interfaceIndex }) { source = iface.firstIPv4 }
            do throws(PlatformError) {
                try socket.send(bytes, to: d.address, port: d.port, interfaceIndex: d.interfaceIndex, scopeID: d.scopeID,
                                source: source)
            } catch {
                if globals.verbose { Output.stderr("nostr-dns mdns: " + error.message + "\n") }
            }
        }

        /// Reads every waiting datagram of one socket and answers it.
        mutating func receive(ipv6: Bool, now: Int64, names: inout NameSource) {
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
                let info = MDNSPacketInfo(source: datagram.source, sourcePort: datagram.sourcePort,
                                          sourceScopeID: datagram.sourceScopeID,
                                          destinationIsMulticast: datagram.destinationIsMulticast,
                                          interfaceIndex: datagram.interfaceIndex)
                let packet = UnsafeRawBufferPointer(rebasing: receiveBuffer[0..<datagram.length])
                let outcome = responder.handle(packet, info, now: now, buffer: sendBuffer,
                                               lookup: { names.state(of: $0, now: now) }) { d, ipv6, bytes in
                    Server.send(bytes, to: d, ipv6: ipv6, v4: v4, v6: v6, interfaces: sources, globals: globals)
                }
                for key in outcome.lookups { names.lookUp(key, now: now) }
                if outcome.conflict && !globals.quiet {
                    log(datagram, "another host answers for " + NIP19.npub(responder.ownKey)
                        + ".local with other addresses (RFC 6762 §9 conflict); probing again")
                }
                if globals.verbose {
                    if let ignored = outcome.ignored {
                        if ignored != .notAQuery { log(datagram, "ignored: " + ignored.text) }
                    } else if let route = outcome.route {
                        var text = "answered by " + (route == .multicast ? "multicast" : route == .unicast ? "unicast" : "legacy unicast")
                        if let due = outcome.delayedUntil {
                            text += " (records waiting: multicast in " + String(due - now)
                                + " ms, RFC 6762 §6 shared records or §7.2 truncated query)"
                        }
                        log(datagram, text)
                    }
                }
            }
        }

        func log(_ d: ReceivedDatagram, _ text: String) {
            let source = d.source.isIPv4 ? d.source.text + ":" + String(d.sourcePort) : "[" + d.source.text + "]:" + String(d.sourcePort)
            Output.stderr("nostr-dns mdns: query from " + source + " on interface " + String(d.interfaceIndex) + ": " + text + "\n")
        }
    }
}
