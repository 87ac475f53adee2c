import NostrCore
import NostrPlatform

/// `publish-ip [--ip ADDR]... [--detect auto|iface|stun:HOST:PORT] [--name LABEL] [--ttl S]
/// [--legacy] [--timeout S] [--watch [--interval S]]`: publishes the address record
/// (kind 30053; with --legacy also the seed's kind 30000).
///
/// No third party is asked unless the user names it: there is no built-in
/// STUN server (`--detect stun` needs `stun:HOST:PORT`), and `auto` reads
/// the interfaces only.
enum PublishIPCommand {
    /// Why `--detect stun` alone is refused, with public servers the user
    /// may choose from (each learns this host's address when asked).
    static let stunNeedsServer =
        "--detect stun needs a STUN server you choose, which learns this host's address: "
        + "stun:HOST:PORT, e.g. stun:stun.cloudflare.com:3478 or stun:stun.l.google.com:19302"

    enum Detect { case iface, stun(host: String, port: UInt16), auto }

    struct Options {
        var ips: [IPAddress] = []
        var detect: Detect? = nil
        var label = ""
        var ttl: Int? = nil
        var legacy = false
        var timeout: Int64 = 10_000
        var watch = false
        var interval: Int64 = 60_000
    }

    static func run(_ args: inout Arguments, _ globals: inout GlobalOptions) throws(CommandFailure) -> Int32 {
        var o = Options()
        var intervalGiven = false
        guard
            try parseOptions(
                "publish-ip", &args, &globals,
                { (arg, args) throws(UsageError) -> Bool in
                    switch arg {
                    case "--ip":
                        let text = try args.value(for: arg)
                        do throws(NostrError) { o.ips.append(try IPAddress(parsing: text)) } catch {
                            throw UsageError("--ip needs an IPv4 or IPv6 address, not '" + text + "'")
                        }
                    case "--detect": o.detect = try parseDetect(try args.value(for: arg))
                    case "--name":
                        let label = try args.value(for: arg)
                        guard isDNSLabel(label, dots: true) else {
                            throw UsageError("--name must be a DNS label such as www, not '" + label + "'")
                        }
                        o.label = String(decoding: label.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
                    case "--ttl": o.ttl = Int(try Publishing.seconds(&args, arg))
                    case "--legacy": o.legacy = true
                    case "--timeout": o.timeout = try parseTimeout(&args, arg)
                    case "--watch": o.watch = true
                    case "--interval": o.interval = try parseTimeout(&args, arg); intervalGiven = true
                    default: return false
                    }
                    return true
                })
        else { return ExitCode.success }
        if o.legacy && !o.label.isEmpty {
            throw CommandFailure(
                "--legacy records have no name: the seed's format holds only the npub's own address", exitCode: ExitCode.usage)
        }
        if intervalGiven && !o.watch { throw CommandFailure("--interval needs --watch", exitCode: ExitCode.usage) }
        if o.ips.isEmpty && o.detect == nil { o.detect = .auto }
        if o.watch { return try WatchLoop.run(o, globals) }

        let addresses = try gather(o, globals)
        let ctx = try Common.context()
        let events = try Publishing.sign(templates(o, addresses, now: Clock.unixTime(), expiration: nil), globals, context: ctx)
        return try Publishing.publish(events, globals, timeoutMilliseconds: o.timeout)
    }

    static func parseDetect(_ text: String) throws(UsageError) -> Detect {
        let parts = Array(text.utf8).split(separator: 0x3A, maxSplits: 1, omittingEmptySubsequences: false)
        let head = String(decoding: parts[0], as: UTF8.self)
        switch head {
        case "iface" where parts.count == 1: return .iface
        case "auto" where parts.count == 1: return .auto
        case "stun":
            guard parts.count == 2, !parts[1].isEmpty else { throw UsageError(stunNeedsServer, brief: true) }
            let rest = parts[1]
            // HOST:PORT, with an IPv6 host in brackets.
            guard let colon = rest.lastIndex(of: 0x3A), let port = parseInteger(String(decoding: rest[(colon + 1)...], as: UTF8.self)),
                port >= 1 && port <= 65535
            else { break }
            var host = rest[rest.startIndex..<colon]
            if host.first == 0x5B && host.last == 0x5D { host = host.dropFirst().dropLast() }
            guard !host.isEmpty else { break }
            return .stun(host: String(decoding: host, as: UTF8.self), port: UInt16(port))
        default:
            break
        }
        throw UsageError("--detect must be auto, iface or stun:HOST:PORT, not '" + text + "'")
    }

    /// The addresses to publish: --ip ones first, then detected ones, without
    /// duplicates. Blocks while it asks a STUN server (one-shot publish-ip);
    /// `--watch` runs the same two steps around a `STUNProbe` in its loop.
    static func gather(_ o: Options, _ globals: GlobalOptions) throws(CommandFailure) -> [IPAddress] {
        let local = try gatherLocal(o)
        var answer: Result<IPAddress, PlatformError>? = nil
        if let server = local.stun {
            answer = Result { () throws(PlatformError) -> IPAddress in
                try AddressDetection.stun(host: server.host, port: server.port, timeoutMilliseconds: o.timeout)
            }
        }
        return try gatherFinish(local, stun: answer)
    }

    /// What `gather` knows before any STUN answer.
    struct LocalAddresses {
        /// --ip ones first, then the interfaces' ones, without duplicates.
        var addresses: [IPAddress]
        /// The STUN server to ask (`--detect stun:HOST:PORT` only).
        var stun: (host: String, port: UInt16)?
    }

    /// The first step of `gather`: the --ip addresses, the interfaces' ones,
    /// and the STUN server to ask (only the one `--detect stun:HOST:PORT`
    /// names). getifaddrs(3) does not block.
    static func gatherLocal(_ o: Options) throws(CommandFailure) -> LocalAddresses {
        var out = LocalAddresses(addresses: o.ips, stun: nil)
        switch o.detect {
        case .none: break
        case .iface:
            out.add(try checked { () throws(PlatformError) in try AddressDetection.interfaceAddresses() })
        case .stun(let host, let port):
            out.stun = (host, port)
        case .auto:
            // The interfaces' global addresses, and nothing else: behind NAT
            // no third party is asked (that takes --detect stun:HOST:PORT).
            out.add(try checked { () throws(PlatformError) in try AddressDetection.interfaceAddresses() })
        }
        return out
    }

    /// The second step of `gather`: adds the STUN server's answer (`stun`,
    /// nil when none was asked; a failure is an error) and orders the list.
    static func gatherFinish(_ local: LocalAddresses, stun: Result<IPAddress, PlatformError>?) throws(CommandFailure) -> [IPAddress] {
        var local = local
        switch stun {
        case .success(let address)?: local.add([address])
        case .failure(let error)?: throw CommandFailure(error)
        case nil: break
        }
        let out = local.addresses
        guard !out.isEmpty else {
            throw CommandFailure(
                "no address to publish: no interface has a global address (behind NAT?); nothing was published "
                    + "and no STUN server was asked: give --ip ADDR, or --detect stun:HOST:PORT")
        }
        // IPv4 first, as the record lists ip4 tags before ip6 tags.
        return out.filter { $0.isIPv4 } + out.filter { !$0.isIPv4 }
    }

    static func templates(_ o: Options, _ addresses: [IPAddress], now: Int64, expiration: Int64?) -> [EventTemplate] {
        let record = AddressRecord(label: o.label, addresses: addresses, ttl: o.ttl, expiration: expiration)
        var out = [record.template(createdAt: now)]
        if o.legacy, let first = addresses.first { out.append(LegacyRecord.address(first).template(createdAt: now)) }
        return out
    }
}

extension PublishIPCommand.LocalAddresses {
    mutating func add(_ list: [IPAddress]) { for a in list where !addresses.contains(a) { addresses.append(a) } }
}

/// A DNS label (RFC 1035 §2.3.1, with `_` as service labels use it);
/// with `dots`, several labels separated by dots.
func isDNSLabel(_ text: String, dots: Bool = false) -> Bool {
    let b = Array(text.utf8)
    guard !b.isEmpty, b.count <= (dots ? 200 : 63) else { return false }
    var run = 0
    for c in b {
        if c == 0x2E && dots {
            guard run > 0 else { return false }
            run = 0
            continue
        }
        let ok = (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x5F
        guard ok, run < 63 else { return false }
        run += 1
    }
    return run > 0
}

extension Usage {
    static let publishIP = """
        usage: nostr-dns publish-ip [--ip ADDR]... [--detect auto|iface|stun:HOST:PORT]
                                    [--name LABEL] [--ttl S] [--legacy] [--timeout S]
                                    [--watch [--interval S]]

        Publishes the address record (kind 30053) of <npub>.nostr, or of
        <LABEL>.<npub>.nostr with --name: the addresses become public, on the
        relays, signed, for good. The --ip addresses, plus those found by --detect:
        iface, and auto (the default without --ip), the global addresses of this
        host's interfaces (none, e.g. behind NAT: nothing is published and no one
        is asked); stun:HOST:PORT, the address that STUN server sees (no server is
        built in: choose one, e.g. stun:stun.cloudflare.com:3478 or
        stun:stun.l.google.com:19302; it learns this host's address). --legacy
        also writes the proof of concept's kind 30000 record. Prints `published
        kind K id HEX`, then per relay `accepted URL`, `rejected URL: MESSAGE` or
        `failed URL: ERROR`; exits 0 when every record was accepted by at least
        one relay.
        --watch keeps running: checks every --interval (default 60 s), republishes
        when the addresses change and every 12 hours; records expire 36 hours after
        the last publish. SIGINT/SIGTERM stop it.
        --timeout: for the relays, their host-name lookups included (default 10 s).

        """ + relays
}
