import NostrCore
import NostrPlatform

extension Usage {
    static let mdns = """
        usage: nostr-dns [global options] [mdns] [--interface NAME]... [--cache PATH | --no-cache]
                                   [--cache-keep PATH [--keep-interval S]]
                                   [--trust NPUB]... [--private-answers trusted|all]

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

        """ + CacheKeepOptions.usage + AddressPolicySetup.usage + relays
}

/// `mdns [--interface NAME]...`: the mDNS responder (NostrPlatform's
/// `MDNSServer`) with the resolver cache of the relays.
enum MDNSCommand {
    static func run(_ args: inout Arguments, _ globals: inout GlobalOptions) throws(CommandFailure) -> Int32 {
        var settings = MDNSServer.Settings()
        var noCache = false
        var policyOptions = AddressPolicySetup()
        var keepOptions = CacheKeepOptions()
        guard
            try parseOptions(
                "mdns", &args, &globals,
                { (arg, args) throws(UsageError) -> Bool in
                    switch arg {
                    case "--interface": settings.interfaceNames.append(try args.value(for: arg))
                    case "--cache": settings.cachePath = try args.value(for: arg)
                    case "--no-cache": noCache = true
                    default:
                        if try keepOptions.consume(arg, &args) { return true }
                        return try policyOptions.consume(arg, &args)
                    }
                    return true
                })
        else { return ExitCode.success }
        if noCache && settings.cachePath != nil {
            throw CommandFailure("--cache and --no-cache exclude each other", exitCode: ExitCode.usage)
        }
        settings.cachePath = noCache ? nil : settings.cachePath ?? StateLocation.mdnsCachePath()
        try keepOptions.check(cachePath: settings.cachePath)
        settings.verbose = globals.verbose
        settings.quiet = globals.quiet

        let ctx = try Common.context()
        let secret = try Common.loadKey(globals)
        let ownKey = try checked { () throws(NostrError) in try ctx.publicKey(of: secret) }
        let interfaces = try checked { () throws(PlatformError) in try MDNSServer.interfaces(settings.interfaceNames) }
        guard !interfaces.isEmpty else {
            throw CommandFailure("no interface to serve (none is up, multicast-capable and not loopback); name one with --interface")
        }
        let setup = try RelaySetup(globals)
        let policy = try policyOptions.policy(globals, config: setup.config, ownKey: ownKey)
        let relays = setup.builder
        let resolver = try checked { () throws(PlatformError) in try MDNSServer.resolver(relays: relays, context: ctx) }
        resolver.cache.addressPolicy = policy
        if let path = settings.cachePath {
            let source = resolver.loadCacheFiles(
                path, keep: keepOptions.path, command: "mdns", verbose: globals.verbose, quiet: globals.quiet)
            settings.keep = keepOptions.keep(loadedFrom: source)
        }
        let server = try checked { () throws(PlatformError) in
            try MDNSServer(ownKey: ownKey, interfaces: interfaces, settings: settings)
        }
        StopSignal.install()
        try checked { () throws(PlatformError) in try server.run(resolver: resolver) }
        return ExitCode.success
    }
}
