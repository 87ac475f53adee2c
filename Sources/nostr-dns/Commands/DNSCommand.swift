import NostrCore
import NostrPlatform

/// `dns [--listen ADDR:PORT]... [--upstream ADDR:PORT] [--cache PATH | --no-cache]
/// [--cache-keep PATH [--keep-interval S]] [--cache-size N] [--timeout S]`: the unicast DNS server for the `nostr.`
/// zone (NostrPlatform's DNSServer).
enum DNSCommand {
    /// Beside dnsmasq or Pi-hole, which own port 53: loopback only, port
    /// 5300, for `server=/nostr/127.0.0.1#5300`.
    static let defaultListen = ["127.0.0.1:5300", "[::1]:5300"]

    static func run(_ args: inout Arguments, _ globals: inout GlobalOptions) throws(CommandFailure) -> Int32 {
        var listenTexts: [String] = []
        var upstreamText: String?
        var cachePath: String? = nil
        var noCache = false
        var cacheSize: Int64 = 10_000
        var timeout: Int64 = 4_000
        var policyOptions = AddressPolicySetup()
        var allowFrom: [String] = []
        var rateLimit: Int64 = 20
        var keepOptions = CacheKeepOptions()
        guard
            try parseOptions(
                "dns", &args, &globals,
                { (arg, args) throws(UsageError) -> Bool in
                    switch arg {
                    case "--listen": listenTexts.append(try args.value(for: arg))
                    case "--upstream": upstreamText = try args.value(for: arg)
                    case "--cache": cachePath = try args.value(for: arg)
                    case "--no-cache": noCache = true
                    case "--cache-size":
                        cacheSize = try args.integer(for: arg)
                        guard cacheSize >= 16 && cacheSize <= 1_000_000 else {
                            throw UsageError("--cache-size must be between 16 and 1000000")
                        }
                    case "--timeout": timeout = try parseTimeout(&args, arg)
                    case "--allow-from": allowFrom.append(try args.value(for: arg))
                    case "--rate-limit":
                        rateLimit = try args.integer(for: arg)
                        guard rateLimit >= 0 && rateLimit <= 1_000_000 else {
                            throw UsageError("--rate-limit must be between 0 (no limit) and 1000000 answers per second")
                        }
                    default:
                        if try keepOptions.consume(arg, &args) { return true }
                        return try policyOptions.consume(arg, &args)
                    }
                    return true
                })
        else { return ExitCode.success }

        var settings = DNSServer.Settings()
        settings.verbose = globals.verbose
        settings.quiet = globals.quiet
        let explicit = !listenTexts.isEmpty
        for text in explicit ? listenTexts : defaultListen {
            guard let address = SocketAddress.parse(text) else {
                throw CommandFailure("--listen needs ADDR:PORT (IPv6 in brackets), not '" + text + "'", exitCode: ExitCode.usage)
            }
            settings.listen.append(address)
        }
        if let upstreamText {
            guard let address = SocketAddress.parse(upstreamText), address.port != 0 else {
                throw CommandFailure(
                    "--upstream needs ADDR:PORT (an IP address, IPv6 in brackets), not '" + upstreamText + "'",
                    exitCode: ExitCode.usage)
            }
            settings.upstream = address
        }
        if noCache && cachePath != nil { throw CommandFailure("--cache and --no-cache exclude each other", exitCode: ExitCode.usage) }
        if !noCache { settings.cachePath = cachePath ?? StateLocation.dnsCachePath() }
        try keepOptions.check(cachePath: settings.cachePath)

        settings.rateLimit = Int(rateLimit)
        let setup = try RelaySetup(globals)
        for text in allowFrom + (setup.config?.values("allow-from") ?? []) {
            do throws(NostrError) { settings.allowFrom.append(try AddressPrefix(parsing: text)) } catch {
                throw CommandFailure(
                    "allow-from needs ADDRESS[/LENGTH] (e.g. 192.168.1.0/24), not '" + text + "'", exitCode: ExitCode.usage)
            }
        }
        let policy = try policyOptions.policy(globals, config: setup.config)
        let relays = setup.builder
        let ctx = try Common.context()
        let resolver = try checked { () throws(PlatformError) in
            try DNSServer.resolver(relays: relays, context: ctx, capacity: Int(cacheSize), lookupTimeoutMilliseconds: timeout)
        }
        resolver.cache.addressPolicy = policy
        if let path = settings.cachePath {
            let source = resolver.loadCacheFiles(
                path, keep: keepOptions.path, command: "dns", verbose: globals.verbose, quiet: globals.quiet)
            settings.keep = keepOptions.keep(loadedFrom: source)
        }

        settings.ipv6Optional = !explicit
        let server: DNSServer
        do throws(PlatformError) {
            server = try DNSServer(settings: settings, resolver: resolver)
        } catch {
            throw CommandFailure(error.message)
        }
        StopSignal.install()
        if !globals.quiet {
            var text = "nostr-dns dns: listening on"
            for (i, s) in server.udp.enumerated() { text += (i == 0 ? " " : ", ") + s.address.description }
            text += " (UDP and TCP)"
            if let u = settings.upstream {
                text += "; other names go to " + u.description + " for loopback"
                for p in server.forwardPolicy.allowed { text += ", " + p.text }
            } else {
                text += "; other names are refused"
            }
            if let p = settings.cachePath { text += "; cache " + p }
            if let k = settings.keep { text += ", kept in " + k.path + " every " + String(k.intervalMilliseconds / 1000) + " s" }
            Output.stderr(text + "\n")
        }
        do throws(PlatformError) { try server.run() } catch { throw CommandFailure(error.message) }
        return ExitCode.success
    }
}

extension Usage {
    static let dns = """
        usage: nostr-dns dns [--listen ADDR:PORT]... [--upstream ADDR:PORT]
                             [--allow-from CIDR]... [--rate-limit N]
                             [--trust NPUB]... [--private-answers trusted|all]
                             [--cache PATH | --no-cache] [--cache-size N] [--timeout S]
                             [--cache-keep PATH [--keep-interval S]]

        The DNS server for the nostr. zone, over UDP and TCP on each --listen
        address (default 127.0.0.1:5300 and [::1]:5300: beside dnsmasq or Pi-hole,
        which forward to it with server=/nostr/127.0.0.1#5300).
          <npub>.nostr, <label>.<npub>.nostr  A and AAAA from address records
          _<port>._tcp.<npub>.nostr           TLSA 3 1 1 from TLS key records
        Answers come from a cache kept fresh by open relay subscriptions; the first
        query for a name waits for the relays up to --timeout (default 4 s), then
        gets SERVFAIL. When relays are unreachable, cached names are answered stale
        (TTL 30) for up to 3 days. Other names are forwarded to --upstream (an IP
        address), or REFUSED without one.
        Forwarding is for loopback and the networks of the --listen interfaces,
        and for --allow-from CIDR (repeatable; config key `allow-from`), and only
        with RD set; others get REFUSED. UDP answers are at most 1,232 bytes
        (larger: TC, the client asks over TCP). --rate-limit: UDP answers per
        second to one /24 or /56 other than loopback (default 20, 0: no limit);
        over it every second answer is truncated (TC), the others dropped.
        --cache: the cache file, saved every 5 minutes and on exit, verified again
        on start (default /var/lib/nostr-dns/dns-cache as root, else
        ~/.local/state/nostr-dns/dns-cache). --cache-size: names kept (10000).
        SIGINT/SIGTERM stop it.

        """ + CacheKeepOptions.usage + AddressPolicySetup.usage + relays
}
