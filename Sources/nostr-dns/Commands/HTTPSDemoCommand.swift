import NostrCore
import NostrPlatform

extension Usage {
    static let httpsDemo = """
        usage: nostr-dns https-demo [--port N] [--alt] [--listen ADDR]... [--ip ADDR]...
                                    [--refresh S] [--timeout S]

        An HTTPS server (TLS 1.2, mbedTLS) whose trust is anchored in this host's npub.
        It makes a self-signed certificate for <npub>.nostr, <npub>.local and its
        addresses, publishes the address record (kind 30053) and the TLS key record
        (kind 30059: the SHA-256 of the certificate's public key), republishes both
        before they expire, and serves a page that says who it is.
        The certificate's key is an ECDSA P-256 key kept beside the key file
        (<key file>.https.key, mode 0600; made on first start, reused after). With
        --alt the certificate is keyed by the nostr secp256k1 key itself and no TLS
        key record is published: clients check that the key is the npub (they must
        offer the secp256k1 group, e.g. curl --curves secp256k1:X25519:P-256).

          --port N       TCP port (default 4443)
          --listen ADDR  address to listen on (repeatable; default 0.0.0.0 and ::)
          --ip ADDR      address to publish and name in the certificate (repeatable;
                         default: this host's global interface addresses)
          --refresh S    republish every S seconds (default 43200); records expire
                         after 3 S
          --timeout S    connecting to relays (default 10 s)

        Prints `listening ADDR:PORT`, the URL and the key's SHA-256, then the publish
        report lines of publish-ip. SIGINT/SIGTERM stop it.

        """ + relays
}

/// `https-demo [--port N] [--alt] [--listen ADDR]... [--ip ADDR]... [--refresh S] [--timeout S]`:
/// the HTTPS server of issue 6 (the Design article, "Trust anchored in the npub").
/// It makes the certificate and the listeners, then runs NostrPlatform's
/// `HTTPSDemoServer`.
enum HTTPSDemoCommand {
    static let defaultPort: UInt16 = 4443
    static let defaultRefresh: Int64 = 12 * 3600

    struct Options {
        var port = defaultPort
        var alt = false
        var listen: [String] = []
        var ips: [IPAddress] = []
        var refresh = defaultRefresh
        var timeout: Int64 = 10_000
    }

    static func run(_ args: inout Arguments, _ globals: inout GlobalOptions) throws(CommandFailure) -> Int32 {
        var o = Options()
        guard
            try parseOptions(
                "https-demo", &args, &globals,
                { (arg, args) throws(UsageError) -> Bool in
                    switch arg {
                    case "--port":
                        let p = try args.integer(for: arg)
                        guard p >= 1 && p <= 65535 else { throw UsageError("--port must be between 1 and 65535") }
                        o.port = UInt16(p)
                    case "--alt": o.alt = true
                    case "--listen":
                        let text = try args.value(for: arg)
                        guard (try? IPAddress(parsing: text)) != nil else {
                            throw UsageError("--listen needs an IPv4 or IPv6 address, not '" + text + "'")
                        }
                        o.listen.append(text)
                    case "--ip":
                        let text = try args.value(for: arg)
                        do throws(NostrError) { o.ips.append(try IPAddress(parsing: text)) } catch {
                            throw UsageError("--ip needs an IPv4 or IPv6 address, not '" + text + "'")
                        }
                    case "--refresh":
                        o.refresh = try Publishing.seconds(&args, arg, max: 30 * 86400)
                        guard o.refresh >= 1 else { throw UsageError("--refresh must be at least 1 second") }
                    case "--timeout": o.timeout = try parseTimeout(&args, arg)
                    default: return false
                    }
                    return true
                })
        else { return ExitCode.success }

        let ctx = try Common.context()
        let keyPath = try Common.keyPath(globals)
        let secret = try Common.loadKey(globals)
        let publicKey = try checked { () throws(NostrError) in try ctx.publicKey(of: secret) }
        let npub = NIP19.npub(publicKey)
        var addresses = o.ips
        if addresses.isEmpty {
            addresses = try checked { () throws(PlatformError) in try AddressDetection.interfaceAddresses() }
            guard !addresses.isEmpty else {
                throw CommandFailure("no address to publish: no global address found; give --ip ADDR")
            }
        }
        addresses = addresses.filter { $0.isIPv4 } + addresses.filter { !$0.isIPv4 }

        // The certificate and the server configuration.
        let random = try checked { () throws(PlatformError) in try TLSRandom(personalization: "nostr-dns https-demo") }
        let key: TLSPrivateKey
        var keyNote: String
        if o.alt {
            key = try checked { () throws(PlatformError) in try TLSPrivateKey.nostrKey(secret, context: ctx, random: random) }
            keyNote = "the nostr key itself (secp256k1)"
        } else {
            let path = keyPath + ".https.key"
            let made = try checked { () throws(PlatformError) in try TLSPrivateKey.loadOrCreateP256(path: path, random: random) }
            key = made.key
            keyNote = path + (made.created ? " (created, P-256)" : " (P-256)")
        }
        var sanAddresses = addresses
        for text in o.listen {
            if let a = try? IPAddress(parsing: text), !a.bytes.allSatisfy({ $0 == 0 }), !sanAddresses.contains(a) {
                sanAddresses.append(a)
            }
        }
        let now = Clock.unixTime()
        let pem = try checked { () throws(PlatformError) in
            try SelfSignedCertificate.make(
                key: key, commonName: npub, dnsNames: [npub + ".nostr", npub + ".local"],
                addresses: sanAddresses, notBefore: now - 3600, notAfter: now + 365 * 86400,
                random: random)
        }
        let server = try checked { () throws(PlatformError) in try TLSServerConfig(certificatePEM: pem, key: key, random: random) }

        // Listening sockets.
        let listenTexts = o.listen.isEmpty ? ["0.0.0.0", "::"] : o.listen
        var listeners: [TCPListener] = []
        for text in listenTexts {
            let ip = try checked { () throws(NostrError) in try IPAddress(parsing: text) }
            guard let address = SocketAddress(address: ip.bytes, port: o.port) else { continue }
            do throws(PlatformError) {
                listeners.append(try TCPListener(address: address))
            } catch {
                // The default "::" on a host without IPv6 is skipped; a listen
                // address that was asked for is not.
                if o.listen.isEmpty && !ip.isIPv4 && TCPListener.isUnavailable(error) { continue }
                throw CommandFailure(error)
            }
        }

        let site = HTTPSDemoSite(
            npub: npub, publicKey: publicKey, addresses: addresses, spki: server.spkiSHA256, alt: o.alt, keyNote: keyNote)
        let url = "https://" + npub + ".nostr:" + String(o.port) + "/"
        var banner = ""
        for l in listeners { banner += "listening " + l.address.description + "\n" }
        banner += "serving " + url + "\n"
        banner += "tls key " + keyNote + ", SPKI SHA-256 " + server.spkiSHA256.hex + "\n"
        Output.stdout(banner)

        let records = HTTPSDemoRecords(
            npub: npub, port: o.port, addresses: addresses, spki: server.spkiSHA256,
            pem: String(decoding: pem, as: UTF8.self), alt: o.alt, refresh: o.refresh)
        return try serve(listeners: listeners, server: server, site: site, records: records, o, globals, ctx)
    }

    /// Runs the server with the relays of the global options.
    static func serve(
        listeners: [TCPListener], server: TLSServerConfig, site: HTTPSDemoSite, records: HTTPSDemoRecords,
        _ o: Options, _ globals: GlobalOptions, _ ctx: Secp256k1Context
    ) throws(CommandFailure) -> Int32 {
        let setup = try RelaySetup(globals)
        let pool = try setup.pool(reconnect: true, timeoutMilliseconds: o.timeout)
        StopSignal.install()
        let demo = HTTPSDemoServer(
            listeners: listeners, tls: server, site: site, records: records, pool: pool,
            publisher: DaemonPublisher(command: "https-demo", globals: globals, context: ctx),
            verbose: globals.verbose, quiet: globals.quiet)
        try checked { () throws(PlatformError) in try demo.run() }
        return ExitCode.success
    }
}
