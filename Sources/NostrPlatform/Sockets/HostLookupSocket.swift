import CPlatform
import NostrCore

/// A host name lookup that never blocks the caller's poll loop: the
/// sans-IO `HostLookup` driven over UDP sockets, with /etc/hosts first (as
/// getaddrinfo(3) with "hosts: files dns").
///
/// Both files are read when the lookup starts, not once per process: on a
/// router, /etc/resolv.conf changes when the uplink comes up or the DHCP
/// lease changes. Each server asked gets a new UDP socket on a random
/// ephemeral port, connect(2)ed to its port 53, so the kernel drops
/// datagrams from any other source (RFC 5452 §9.1 with the checks of
/// `HostLookup.receive`).
///
/// Loop: `register(in:)` before poll(2), `handle(_:now:)` after it (it also
/// runs the timers), `deadline` for poll's timeout; `outcome` is set once
/// it is done, and the socket is then closed.
public final class HostLookupSocket {
    public enum Outcome {
        /// The host's addresses with `port`, IPv4 first.
        case addresses([SocketAddress])
        /// Why no address was found (for "HOST: lookup failed: REASON").
        case failed(String)
    }

    public let host: String
    public let port: UInt16
    public private(set) var outcome: Outcome?
    /// When `handle` has something to do even without input.
    public private(set) var deadline: Int64?
    /// The caller's deadline given to `init`, if any.
    public let giveUpAt: Int64?
    var core: HostLookup?
    var socket: UDPSocket?
    var slot = -1
    var buffer = [UInt8](repeating: 0, count: 4096)

    /// Starts the lookup of `host` (no brackets, not an IP literal) for
    /// `port`: answers from `hostsPath` at once if it names the host, else
    /// sends the first queries to a server of `resolvConfPath` (a missing
    /// file means glibc's defaults: 127.0.0.1). `giveUpAt` (monotonic
    /// milliseconds): the caller's deadline, at which the lookup ends
    /// whatever resolv.conf's timers allow (`HostLookup.giveUpAt`).
    public init(
        host: String, port: UInt16, now: Int64,
        resolvConfPath: String = "/etc/resolv.conf", hostsPath: String = "/etc/hosts",
        giveUpAt: Int64? = nil
    ) {
        self.host = host
        self.port = port
        self.giveUpAt = giveUpAt
        if let hosts = try? TextFile.read(path: hostsPath, limit: 1 << 20, file: .system) {
            let found = HostsFile.addresses(of: host, in: hosts)
            if !found.isEmpty {
                finish(.addresses(Self.ordered(found), ttl: 0))
                return
            }
        }
        var config = ResolvConf()
        if let text = try? TextFile.read(path: resolvConfPath, limit: 1 << 20, file: .system) { config = ResolvConf(parsing: text) }
        do throws(NostrError) {
            core = try HostLookup(host: host, config: config, rotateStart: Int(Self.random() & 0xFF), giveUpAt: giveUpAt)
        } catch {
            outcome = .failed("not a DNS name")
            return
        }
        drive(now: now)
    }

    deinit { socket?.close() }

    public func register(in poll: inout PollSet) {
        slot = -1
        if let socket, outcome == nil { slot = poll.add(fd: socket.fd, interest: .read) }
    }

    /// Reads what the server sent, and runs the timers.
    public func handle(_ poll: PollSet, now: Int64) {
        guard outcome == nil else { return }
        var received = false
        if slot >= 0, !poll.ready(slot).isEmpty {
            received = true
            reading: while let socket, core != nil, core?.outcome == nil {
                let result: Result<Int?, PlatformError> = buffer.withUnsafeMutableBytes { p in
                    Result { () throws(PlatformError) -> Int? in try socket.receive(into: p) }
                }
                switch result {
                case .success(.none):
                    break reading
                case .success(.some(let n)):
                    _ = buffer.withUnsafeBytes { core!.receive(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                case .failure(let error):
                    core!.serverFailed(error.message)
                    break reading
                }
            }
        }
        // Nothing read and no timer due: nothing to do (no entropy drawn).
        if received || deadline.map({ now >= $0 }) ?? true { drive(now: now) }
    }

    /// Runs the timers (a server that stayed silent too long: the next one).
    public func tick(now: Int64) {
        guard outcome == nil, let deadline, now >= deadline else { return }
        drive(now: now)
    }

    /// Stops the lookup and closes its socket.
    public func cancel() {
        socket?.close()
        socket = nil
        deadline = nil
        if outcome == nil { outcome = .failed("cancelled") }
    }

    func drive(now: Int64) {
        while var c = core, outcome == nil {
            let action = c.next(now: now, random: Self.random())
            core = c
            switch action {
            case .wait(let until):
                deadline = until
                return
            case .done(let r):
                finish(r)
                return
            case .send(let index):
                socket?.close()
                socket = nil
                let server = c.config.servers[index]
                var text = server.address.text
                if !server.zone.isEmpty { text += "%" + server.zone }
                do throws(PlatformError) {
                    // An IP literal: getaddrinfo with AI_NUMERICHOST, no lookup.
                    let s = try UDPSocket(host: text, port: 53)
                    socket = s
                    for q in c.queries {
                        let sent: Result<Bool, PlatformError> = q.withUnsafeBytes { p in
                            Result { () throws(PlatformError) -> Bool in try s.send(p) }
                        }
                        _ = try sent.get()
                    }
                } catch {
                    core!.serverFailed(error.message)
                }
            }
        }
    }

    func finish(_ r: HostLookupResult) {
        socket?.close()
        socket = nil
        deadline = nil
        switch r {
        case .addresses(let ips, _):
            let out = Self.ordered(ips).compactMap { SocketAddress(address: $0.bytes, port: port) }
            outcome = out.isEmpty ? .failed("no usable address") : .addresses(out)
        case .noAddress(let reason), .failed(let reason):
            outcome = .failed(reason)
        }
    }

    /// IPv4 first: a router without IPv6 upstream fails an IPv6 connect
    /// only after the connect timeout when the route black-holes it.
    static func ordered(_ ips: [IPAddress]) -> [IPAddress] {
        ips.filter { $0.isIPv4 } + ips.filter { !$0.isIPv4 }
    }

    static func random() -> UInt32 {
        var r: UInt32 = 0
        withUnsafeMutableBytes(of: &r) { p in _ = try? Entropy.fill(p) }
        return r
    }
}
