import NostrCore
import NostrPlatform

extension Usage {
    static let fetch = """
        usage: nostr-dns fetch URL [--include] [--max-bytes N] [--timeout S]
                                   [--trust NPUB]... [--private-answers trusted|all]

        An HTTPS client for https://<npub>.nostr[:port]/path (also <label>.<npub>.nostr
        and <npub>.local). Resolves the name through nostr (kind 30053), connects with
        TLS 1.2 and goes on only if the server's key is one the npub vouches for: the
        SHA-256 of its SubjectPublicKeyInfo equals the `k` of the npub's TLS key record
        (kind 30059, not expired), or the key is the npub's own secp256k1 key. Anything
        else fails closed (exit 1) with the reason. Prints the body (HTTP/1.1 with
        Content-Length, chunked, or until close); --include prints the status line and
        header fields first. Exit 1 for a status of 400 or more (the body is printed),
        3 when the name has no address record.
          --max-bytes N  largest body accepted (default 1048576)
          --timeout S    for the relays (host-name lookups included), then for
                         each address (default 10 s)

        """ + AddressPolicySetup.connectUsage + relays
}

/// `fetch URL [--include] [--max-bytes N] [--timeout S]`.
enum FetchCommand {
    static func run(_ args: inout Arguments, _ globals: inout GlobalOptions) throws(CommandFailure) -> Int32 {
        var urlText: String?
        var include = false
        var limits = HTTPLimits()
        var timeout: Int64 = 10_000
        var policyOptions = AddressPolicySetup()
        guard
            try parseOptions(
                "fetch", &args, &globals,
                { (arg, args) throws(UsageError) -> Bool in
                    switch arg {
                    case "--include", "-i": include = true
                    case "--max-bytes":
                        let n = try args.integer(for: arg)
                        guard n >= 0 && n <= 1 << 30 else { throw UsageError("--max-bytes must be between 0 and 1073741824") }
                        limits.maxBodyBytes = Int(n)
                    case "--timeout": timeout = try parseTimeout(&args, arg)
                    default:
                        if try policyOptions.consume(arg, &args) { return true }
                        guard urlText == nil, arg.utf8.first != 0x2D else { return false }
                        urlText = arg
                    }
                    return true
                })
        else { return ExitCode.success }
        guard let urlText else { throw CommandFailure("missing URL", exitCode: ExitCode.usage) }
        let url: HTTPSURL
        do throws(NostrError) { url = try HTTPSURL(parsing: urlText) } catch {
            throw CommandFailure(
                Common.shown(urlText) + " is not an https:// URL of an npub name (https://<npub>.nostr[:port]/path)",
                exitCode: ExitCode.usage)
        }
        let trust = try NameTrust.look(
            url.name, service: TLSKeyRecord.defaultService, command: "fetch", globals: globals, timeout: timeout,
            addressPolicy: policyOptions)
        guard !trust.addresses.isEmpty else {
            if !globals.quiet { Output.stderr("nostr-dns fetch: no address record for " + url.host + "\n") }
            return ExitCode.notFound
        }
        if globals.verbose {
            var text = "nostr-dns fetch: " + url.host + " vouches for "
            for (i, k) in trust.pins.enumerated() { text += (i == 0 ? "" : " and ") + k.hex + " (" + (trust.source(of: k) ?? "") + ")" }
            Output.stderr(text + "\n")
        }
        let tls = try checked { () throws(PlatformError) in try TLSClientConfig(pinnedKeysOnly: ()) }
        var tried: [String] = []
        for address in trust.addresses {
            let outcome = try checked { () throws(PlatformError) in
                try HTTPSFetch.exchange(url, address: address, tls: tls, trust: trust, limits: limits, timeoutMilliseconds: timeout) {
                    peer, key in
                    if globals.verbose {
                        Output.stderr("nostr-dns fetch: " + peer + " presented " + (trust.source(of: key) ?? key.hex) + "\n")
                    }
                }
            }
            switch outcome {
            case .response(let response):
                return report(response, include: include, url: url, globals: globals)
            case .unreachable(let why):
                tried.append(why)
                if globals.verbose { Output.stderr("nostr-dns fetch: " + why + "\n") }
            case .refused(let why):
                throw CommandFailure(why)
            }
        }
        var text = "could not reach " + url.host + ":"
        for t in tried { text += " " + t + ";" }
        throw CommandFailure(String(text.dropLast()))
    }

    /// Prints the body (and with --include the head); exit 1 for 4xx and 5xx.
    static func report(_ response: HTTPResponse, include: Bool, url: HTTPSURL, globals: GlobalOptions) -> Int32 {
        if include {
            var head = "HTTP/1." + String(response.minorVersion) + " " + String(response.status)
            if !response.reason.isEmpty { head += " " + String(decoding: response.reason, as: UTF8.self) }
            head += "\r\n"
            for f in response.fields { head += String(decoding: f.name, as: UTF8.self) + ": " + f.valueText + "\r\n" }
            Output.stdout(head + "\r\n")
        }
        Output.write(fd: 1, bytes: response.body)
        if response.status >= 400 {
            if !globals.quiet {
                Output.stderr(
                    "nostr-dns fetch: " + url.host + " answered " + String(response.status) + " "
                        + String(decoding: response.reason, as: UTF8.self) + "\n")
            }
            return ExitCode.failure
        }
        return ExitCode.success
    }
}
