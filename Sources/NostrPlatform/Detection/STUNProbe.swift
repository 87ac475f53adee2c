import NostrCore

/// One STUN Binding (RFC 5389) that never blocks the caller's poll loop:
/// the server's name is looked up with `HostLookupSocket` (an IP literal
/// needs no lookup), then the request goes out over a UDP socket
/// connect(2)ed to the server, retransmitted as RFC 5389 §7.2.1 says (RTO
/// 500 ms, doubling) until an answer or the overall timeout, which counts
/// from the start and covers the lookup too. Answers are read with the
/// sans-IO `STUN.parseBindingResponse`; anything that is not a valid answer
/// to our transaction is dropped.
///
/// Loop: `register(in:)` before poll(2), `handle(_:now:)` after it (it also
/// runs the timers), `deadline` for poll's timeout; `outcome` is set once
/// it is done, and the socket is then closed.
public final class STUNProbe {
    public enum Outcome {
        /// The address the server saw this host's packets come from.
        case address(IPAddress)
        /// Why there is no answer: lookup, socket or timeout, as
        /// `AddressDetection.stun` throws it.
        case failed(PlatformError)
    }

    /// RFC 5389 §7.2.1: the initial retransmission timeout.
    public static let initialRTOMilliseconds: Int64 = 500

    /// The server's name or IP literal, without brackets.
    public let host: String
    public let port: UInt16
    public private(set) var outcome: Outcome?
    /// When `handle` has something to do even without input.
    public private(set) var deadline: Int64?
    let timeoutAt: Int64
    var lookup: HostLookupSocket?
    var socket: UDPSocket?
    var slot = -1
    var transaction = [UInt8](repeating: 0, count: STUN.transactionIDLength)
    var request: [UInt8] = []
    var rto = STUNProbe.initialRTOMilliseconds
    var nextSend: Int64 = 0
    var buffer = [UInt8](repeating: 0, count: 1500)

    /// Starts asking the STUN server `host` (brackets allowed around an IPv6
    /// literal) at `port`; gives up at `now + timeoutMilliseconds`. The
    /// files are those `HostLookupSocket` reads for a name.
    public init(
        host: String, port: UInt16, timeoutMilliseconds: Int64, now: Int64,
        resolvConfPath: String = "/etc/resolv.conf", hostsPath: String = "/etc/hosts"
    ) {
        self.host = AddressResolver.bareHost(host)
        self.port = port
        timeoutAt = now + timeoutMilliseconds
        do throws(NostrError) {
            try transaction.withMutableBytes { (p) throws(NostrError) in try Entropy.fill(p) }
        } catch {
            outcome = .failed(PlatformError(.io, path: "getrandom"))
            return
        }
        request = STUN.bindingRequest(transactionID: transaction)
        if AddressResolver.isLiteral(self.host) {
            // AI_NUMERICHOST: no DNS query, never blocks.
            do throws(PlatformError) {
                let found = try AddressResolver.resolve(self.host, port: port, datagram: true)
                connect(found.addresses, now: now)
            } catch {
                fail(error)
            }
            return
        }
        let l = HostLookupSocket(host: self.host, port: port, now: now, resolvConfPath: resolvConfPath, hostsPath: hostsPath)
        lookup = l
        lookupProgressed(now: now)
    }

    deinit { socket?.close() }

    /// "host:port", with brackets around an IPv6 literal.
    public var server: String { AddressResolver.hostPort(host, port) }

    public func register(in poll: inout PollSet) {
        slot = -1
        guard outcome == nil else { return }
        if let lookup {
            lookup.register(in: &poll)
        } else if let socket {
            slot = poll.add(fd: socket.fd, interest: .read)
        }
    }

    /// Reads what the name server or the STUN server sent, and runs the timers.
    public func handle(_ poll: PollSet, now: Int64) {
        guard outcome == nil else { return }
        if let lookup {
            lookup.handle(poll, now: now)
            lookupProgressed(now: now)
        } else if slot >= 0, !poll.ready(slot).isEmpty {
            receive()
        }
        tick(now: now)
    }

    /// Runs the timers: the retransmission and the overall timeout.
    public func tick(now: Int64) {
        guard outcome == nil else { return }
        if now >= timeoutAt {
            fail(PlatformError(.timeout, path: "STUN server " + server))
            return
        }
        if let lookup {
            lookup.tick(now: now)
            lookupProgressed(now: now)
            return
        }
        guard let socket else { return }
        if now >= nextSend {
            // RFC 5389 §7.2.1: RTO, 2*RTO, 4*RTO... until the timeout.
            let sent: Result<Bool, PlatformError> = request.withUnsafeBytes { p in
                Result { () throws(PlatformError) -> Bool in try socket.send(p) }
            }
            if case .failure(let error) = sent {
                fail(error)
                return
            }
            nextSend = now + rto
            rto *= 2
        }
        deadline = min(nextSend, timeoutAt)
    }

    /// Stops the probe and closes its sockets.
    public func cancel() {
        if outcome == nil { fail(PlatformError(.closed, path: "STUN server " + server, detail: "cancelled")) }
    }

    /// Once the lookup is done: the socket to its addresses, or the failure.
    func lookupProgressed(now: Int64) {
        guard let l = lookup else { return }
        guard let found = l.outcome else {
            deadline = min(l.deadline ?? timeoutAt, timeoutAt)
            return
        }
        lookup = nil
        switch found {
        case .addresses(let addresses):
            connect(addresses, now: now)
        case .failed(let reason):
            fail(PlatformError(.resolve, path: host, detail: reason))
        }
    }

    /// Opens the socket and sends the first request.
    func connect(_ addresses: [SocketAddress], now: Int64) {
        do throws(PlatformError) {
            socket = try UDPSocket(connectingTo: addresses, name: server)
        } catch {
            fail(error)
            return
        }
        nextSend = now
        tick(now: now)
    }

    /// Every datagram waiting: the first valid answer ends the probe.
    func receive() {
        while let socket, outcome == nil {
            let result: Result<Int?, PlatformError> = buffer.withUnsafeMutableBytes { p in
                Result { () throws(PlatformError) -> Int? in try socket.receive(into: p) }
            }
            switch result {
            case .success(.none):
                return
            case .success(.some(let n)):
                let answer = buffer.withUnsafeBytes { p in
                    try? STUN.parseBindingResponse(UnsafeRawBufferPointer(rebasing: p[0..<n]), transactionID: transaction)
                }
                if let answer { finish(.address(answer.address)) }
            case .failure(let error):
                fail(error)
            }
        }
    }

    func fail(_ error: PlatformError) { finish(.failed(error)) }

    func finish(_ o: Outcome) {
        lookup?.cancel()
        lookup = nil
        socket?.close()
        socket = nil
        deadline = nil
        outcome = o
    }
}
