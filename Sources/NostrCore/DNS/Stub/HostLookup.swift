/// The outcome of a `HostLookup`.
public enum HostLookupResult: Equatable, Sendable {
    /// The host's addresses, IPv4 first (each family in answer order), and
    /// the smallest TTL of the records that led to them (CNAMEs included).
    case addresses([IPAddress], ttl: UInt32)
    /// A server answered that the host has no address: NXDOMAIN or NODATA
    /// (RFC 2308 §2) for both A and AAAA.
    case noAddress(String)
    /// No server gave a usable answer in time (the reason of the last one).
    case failed(String)
}

/// What the I/O layer is to do next for a `HostLookup`.
public enum HostLookupAction: Equatable, Sendable {
    /// Open a new UDP socket connected to port 53 of `config.servers[server]`
    /// (a new random source port, RFC 5452 §9.2) and send `queries` on it
    /// (the A query, then the AAAA query); answers are read from that
    /// socket only, so the kernel drops datagrams from other sources.
    case send(server: Int)
    /// Read answers until this monotonic time (milliseconds), then call
    /// `next(now:random:)` again.
    case wait(until: Int64)
    /// Finished: close the socket.
    case done(HostLookupResult)
}

/// Whether a datagram counted.
public enum HostLookupReceipt: Equatable, Sendable {
    case accepted
    /// Not an answer to the queries in flight (or unreadable); dropped.
    case ignored(String)
}

/// A sans-IO stub resolver for one host name: the A and AAAA queries that
/// getaddrinfo(3) would send, the checks on their answers, and the timers,
/// with the sockets, the clock and the entropy supplied by the caller
/// (`NostrPlatform.HostLookupSocket` runs it in a poll loop).
///
/// Queries: a standard query (RFC 1035 §4.1.1) with RD set, one question,
/// class IN, no EDNS (as glibc sends them), both at once to one server with
/// a fresh pair of random IDs for every server asked.
///
/// An answer is taken only if it is a response (QR) with opcode QUERY, the
/// ID of one of the two queries in flight, exactly one question and that
/// question equal to the one asked, ignoring ASCII case (RFC 5452 §9.1; the
/// caller's connected socket checks the source address and port).
/// Anything else, and a message that cannot be read (truncated, a
/// compression pointer loop), is ignored and the wait goes on: a forged
/// datagram must not end the lookup.
///
/// Rcodes: NOERROR gives the addresses of the asked type, following CNAMEs
/// within the answer section from the asked name (RFC 1034 §3.6.2; a
/// record whose owner is not on that chain is ignored, a CNAME loop ends
/// the chain); NXDOMAIN and NODATA mean "no address of this type". TC
/// (this stub has no TCP), SERVFAIL, REFUSED, FORMERR, NOTIMP and any other
/// rcode move on to the next server at once.
///
/// Timers follow BIND's and glibc's `res_send`: `config.attempts` rounds
/// over `config.servers`; in round `r` (0-based) each server gets
/// `timeout << r` seconds, divided by the number of servers when `r > 0`,
/// at least 1 s. A server that answered one type but not the other before
/// its time ran out: the addresses it gave are taken.
///
/// `giveUpAt` (the caller's own deadline, e.g. a one-shot command's
/// `--timeout`) cuts those timers short: at that time the lookup ends with
/// what it has (the addresses of a half-answered server, else `.failed`
/// with the reason so far), whatever resolv.conf allows. Without it a
/// silent server holds one name for `timeout × attempts` seconds (10 s with
/// glibc's defaults), which is what made offline one-shot commands wait
/// 40 s for four relays.
public struct HostLookup {
    public let host: String
    public let config: ResolvConf
    /// The flat name asked for.
    public let name: [UInt8]
    /// The A and AAAA queries for the server being asked.
    public private(set) var queries: [[UInt8]] = []
    /// Index into `config.servers` of the server being asked.
    public private(set) var server = -1
    var ids: (UInt16, UInt16) = (0, 0)
    var order: [Int]
    var step = -1
    var deadline: Int64 = 0
    /// For the server being asked: which of A, AAAA were answered, with what.
    var answered = (false, false)
    var found: [[IPAddress]] = [[], []]
    var ttl: UInt32 = .max
    var nameError = false
    var moveOn = false
    var problem = "no name server asked"
    var result: HostLookupResult?
    /// The caller's deadline (monotonic milliseconds), if any: no wait
    /// goes past it, and at it the lookup is finished (see the type).
    public var giveUpAt: Int64?

    static let types = (DNSType.a, DNSType.aaaa)
    /// Names followed from the asked one through CNAMEs, at most.
    public static let maxChain = 8

    /// `host` is taken as an absolute name (a final dot is allowed).
    /// `.dnsName` for a name that cannot be a DNS name (empty, an empty
    /// label, a label over 63 octets). `rotateStart` chooses the first
    /// server under `options rotate`.
    public init(host: String, config: ResolvConf, rotateStart: Int = 0, giveUpAt: Int64? = nil) throws(NostrError) {
        self.host = host
        self.config = config
        self.giveUpAt = giveUpAt
        let flat = try DNSFlatName.fromText(host)
        guard flat.count > 1 else { throw NostrError(.dnsName, at: 0) }
        name = flat
        order = config.order(start: rotateStart)
    }

    /// The lookup's result, once finished.
    public var outcome: HostLookupResult? { result }

    /// Advances the timers: call first, after every `receive`, after
    /// `serverFailed`, and whenever the time given by `.wait` has come.
    /// `random` supplies the query IDs when a server is to be asked.
    public mutating func next(now: Int64, random: UInt32) -> HostLookupAction {
        if let result { return .done(result) }
        let outOfTime = giveUpAt.map { now >= $0 } ?? false
        if step >= 0 {
            if !moveOn && now < deadline && !outOfTime { return .wait(until: min(deadline, giveUpAt ?? deadline)) }
            if !moveOn { problem = "no answer from " + config.servers[server].address.text }
            if let partial = addressesFound() { return finish(partial) }
        }
        if outOfTime {
            return finish(.failed(step < 0 ? "no time left to ask a name server" : problem))
        }
        let n = order.count
        step += 1
        guard step < n * config.attempts else { return finish(.failed(problem)) }
        let round = step / n
        server = order[step % n]
        var seconds = config.timeoutSeconds << round
        if round > 0 { seconds /= n }
        deadline = now &+ Int64(max(seconds, 1)) * 1000
        answered = (false, false)
        found = [[], []]
        ttl = .max
        nameError = false
        moveOn = false
        var second = UInt16(truncatingIfNeeded: random >> 16)
        let first = UInt16(truncatingIfNeeded: random)
        if second == first { second ^= 1 }
        ids = (first, second)
        queries = [Self.query(name, type: Self.types.0, id: ids.0), Self.query(name, type: Self.types.1, id: ids.1)]
        return .send(server: server)
    }

    /// The server being asked could not be reached (no socket, ICMP port
    /// unreachable, send failed): the next one is asked.
    public mutating func serverFailed(_ reason: String) {
        guard result == nil, step >= 0 else { return }
        problem = reason
        moveOn = true
    }

    /// One datagram from the server being asked.
    public mutating func receive(_ datagram: UnsafeRawBufferPointer) -> HostLookupReceipt {
        guard result == nil, step >= 0, !moveOn else { return .ignored("no query in flight") }
        let header: DNSHeader
        do throws(NostrError) { header = try DNSHeader(from: datagram) } catch { return .ignored(error.reason) }
        guard header.isResponse else { return .ignored("not a response") }
        guard header.opcode == 0 else { return .ignored("not a QUERY response") }
        let k: Int
        if header.id == ids.0 { k = 0 } else if header.id == ids.1 { k = 1 } else { return .ignored("wrong ID") }
        if k == 0 ? answered.0 : answered.1 { return .ignored("already answered") }
        let type = k == 0 ? Self.types.0 : Self.types.1
        var reader: DNSMessageReader
        do throws(NostrError) {
            reader = try DNSMessageReader(datagram)
            guard header.questionCount == 1, let q = try reader.nextQuestion() else { return .ignored("not one question") }
            let same = name.withUnsafeBytes { reader.name(q.name, equals: $0) }
            guard same, q.type == type, q.rawClass == DNSClass.in else { return .ignored("wrong question") }
        } catch {
            return .ignored(error.reason)
        }
        let from = config.servers[server].address.text
        if header.isTruncated {
            problem = "truncated answer from " + from
            moveOn = true
            return .accepted
        }
        switch UInt16(header.rcode) {
        case DNSRCode.noError:
            let collected: ([IPAddress], UInt32)
            do throws(NostrError) { collected = try collect(&reader, type: type) } catch { return .ignored(error.reason) }
            found[k] = collected.0
            ttl = min(ttl, collected.1)
        case DNSRCode.nxDomain:
            nameError = true
        default:
            problem = Self.rcodeText(UInt16(header.rcode)) + " from " + from
            moveOn = true
            return .accepted
        }
        if k == 0 { answered.0 = true } else { answered.1 = true }
        if answered.0 && answered.1 {
            if let all = addressesFound() {
                result = all
            } else {
                result = .noAddress(nameError ? "no such host (NXDOMAIN from " + from + ")" : "no A or AAAA record")
            }
        }
        return .accepted
    }

    // MARK: Inside

    mutating func finish(_ r: HostLookupResult) -> HostLookupAction {
        result = r
        return .done(r)
    }

    func addressesFound() -> HostLookupResult? {
        let all = found[0] + found[1]
        return all.isEmpty ? nil : .addresses(all, ttl: ttl == .max ? 0 : ttl)
    }

    /// The records of `type` in the answer section owned by the asked name
    /// or a name reached from it through CNAMEs, and the smallest TTL of
    /// the records used.
    func collect(_ reader: inout DNSMessageReader, type: UInt16) throws(NostrError) -> ([IPAddress], UInt32) {
        var answers: [DNSRecord] = []
        while let r = try reader.nextRecord() {
            if r.section == .answer && r.dnsClass == DNSClass.in { answers.append(r) }
        }
        var chain: [[UInt8]] = [name]
        var minTTL = UInt32.max
        var grew = true
        while grew && chain.count < Self.maxChain {
            grew = false
            for r in answers where r.type == DNSType.cname {
                guard Self.owned(r, by: chain, reader) else { continue }
                let target = try reader.rdataName(r, at: 0)
                var flat = [UInt8](repeating: 0, count: target.flatLength)
                flat.withUnsafeMutableBytes { _ = reader.copyName(target, into: $0) }
                if chain.contains(where: { c in c.withUnsafeBytes { a in flat.withUnsafeBytes { b in DNSFlatName.equal(a, b) } } }) {
                    continue  // a loop: nothing new
                }
                minTTL = min(minTTL, r.ttl)
                chain.append(flat)
                grew = true
                if chain.count >= Self.maxChain { break }
            }
        }
        var out: [IPAddress] = []
        for r in answers where r.type == type && Self.owned(r, by: chain, reader) {
            guard r.rdataLength == (type == DNSType.a ? 4 : 16),
                let ip = try? IPAddress(bytes: reader.rdata(of: r))
            else { continue }
            if !out.contains(ip) { out.append(ip) }
            minTTL = min(minTTL, r.ttl)
        }
        return (out, minTTL)
    }

    static func owned(_ r: DNSRecord, by chain: [[UInt8]], _ reader: DNSMessageReader) -> Bool {
        chain.contains { c in c.withUnsafeBytes { reader.name(r.name, equals: $0) } }
    }

    /// A standard query with RD set (RFC 1035 §4.1.1), class IN.
    static func query(_ name: [UInt8], type: UInt16, id: UInt16) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: DNSLimits.headerSize + name.count + 4)
        let n: Int = buffer.withUnsafeMutableBytes { p in
            var w = DNSMessageWriter(buffer: p, limit: p.count)
            w.header.id = id
            w.header.recursionDesired = true
            // The name was checked in init and the buffer fits it exactly.
            name.withUnsafeBytes { try? w.appendQuestion($0, type: type, rawClass: DNSClass.in) }
            return w.finish()
        }
        return Array(buffer[0..<n])
    }

    static func rcodeText(_ rcode: UInt16) -> String {
        switch rcode {
        case DNSRCode.formErr: return "FORMERR"
        case DNSRCode.servFail: return "SERVFAIL"
        case DNSRCode.notImp: return "NOTIMP"
        case DNSRCode.refused: return "REFUSED"
        default: return "rcode " + String(rcode)
        }
    }
}
