import NostrCore
import NostrPlatform

extension Usage {
    static let gateway = """
        usage: nostr-dns [--key PATH] [--relay URL]... gateway --listen ADDR:PORT --upstream ws://HOST:PORT
                         [--publish [--ip ADDR]...] [--max-connections N] [--idle-timeout S]

        A relay operator's wsn:// front door: accepts wsn://<npub>@ADDR:PORT connections,
        proves this host's key (the key file's npub) with the BOLT 8 Noise_XK handshake,
        and forwards each channel's WebSocket bytes to the relay at --upstream.
        --publish signs this gateway's address record (kind 30053, name wsn.<npub>.nostr,
        with a port tag) to the --relay relays, so that wsn://<npub> alone finds it; the
        address is the --listen address, or the --ip addresses when it listens on all.
        Limits: a client has 10 s to complete the handshake; a channel that moves no byte
        either way for --idle-timeout seconds (default 300) is closed; at --max-connections
        (default 256) a new client still gets in: the connection accepted first among those
        still in their handshake, else the least recently active channel, is closed for it.
        Runs until SIGINT or SIGTERM.

        """
}

/// `gateway --listen ADDR:PORT --upstream ws://HOST:PORT [--publish]`: a
/// `WSNGateway` in the `EventLoop`, until SIGINT or SIGTERM.
enum GatewayCommand {
    static func run(_ args: inout Arguments, _ globals: inout GlobalOptions) throws(CommandFailure) -> Int32 {
        var listen: SocketAddress? = nil
        var upstream: RelayURL? = nil
        var publish = false
        var ips: [IPAddress] = []
        var options = WSNGatewayOptions()
        guard
            try parseOptions(
                "gateway", &args, &globals,
                { (arg, args) throws(UsageError) -> Bool in
                    switch arg {
                    case "--listen":
                        let text = try args.value(for: arg)
                        guard let a = SocketAddress.parse(text) else { throw UsageError("--listen needs ADDR:PORT, not '" + text + "'") }
                        listen = a
                    case "--upstream":
                        let text = try args.value(for: arg)
                        guard let url = try? RelayURL(parsing: text), url.scheme == .ws else {
                            throw UsageError("--upstream needs a ws://HOST:PORT relay URL, not '" + text + "'")
                        }
                        upstream = url
                    case "--publish": publish = true
                    case "--ip":
                        let text = try args.value(for: arg)
                        do throws(NostrError) { ips.append(try IPAddress(parsing: text)) } catch {
                            throw UsageError("--ip needs an IPv4 or IPv6 address, not '" + text + "'")
                        }
                    case "--max-connections":
                        let n = try args.integer(for: arg)
                        guard n >= 1 && n <= 4096 else { throw UsageError("--max-connections must be between 1 and 4096") }
                        options.maxConnections = Int(n)
                    case "--idle-timeout":
                        let n = try args.integer(for: arg)
                        guard n >= 1 && n <= 86_400 else { throw UsageError("--idle-timeout must be between 1 and 86400 seconds") }
                        options.idleTimeoutMilliseconds = Int64(n) * 1000
                    default: return false
                    }
                    return true
                })
        else { return ExitCode.success }
        guard let listen else { throw CommandFailure("--listen ADDR:PORT is required", exitCode: ExitCode.usage) }
        guard let upstream else { throw CommandFailure("--upstream ws://HOST:PORT is required", exitCode: ExitCode.usage) }
        if !ips.isEmpty && !publish { throw CommandFailure("--ip needs --publish", exitCode: ExitCode.usage) }

        let secret = try Common.loadKey(globals)
        let context = try Common.context()
        let config = try checked { () throws(NostrError) in try NoiseConfig(responder: secret, context: context) }
        let npub = try checked { () throws(NostrError) in NIP19.npub(try context.publicKey(of: secret)) }
        let listener = try checked { () throws(PlatformError) in try TCPListener(address: listen) }
        let gateway = WSNGateway(
            listener: listener, upstreamHost: upstream.host, upstreamPort: upstream.port,
            config: config, options: options)
        let url = "wsn://" + npub + "@" + listener.address.description
        if !globals.quiet { Output.stdout("gateway " + url + " -> " + upstream.text + "\n") }

        if publish {
            if ips.isEmpty {
                let bound = listener.address.addressBytes
                guard !bound.allSatisfy({ $0 == 0 }), let a = bound.withUnsafeBytes({ try? IPAddress(bytes: $0) }) else {
                    throw CommandFailure("--publish needs --ip ADDR when --listen is a wildcard address", exitCode: ExitCode.usage)
                }
                ips = [a]
            }
            let template = WSNAddressRecord.template(addresses: ips, port: listener.address.port, createdAt: Clock.unixTime())
            let events = try Publishing.sign([template], globals, context: context)
            _ = try Publishing.publish(events, globals, timeoutMilliseconds: 10_000)
        }

        StopSignal.install()
        try checked { () throws(PlatformError) in try gateway.run(verbose: globals.verbose) }
        return ExitCode.success
    }
}
