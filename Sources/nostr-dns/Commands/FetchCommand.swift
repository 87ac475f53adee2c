import NostrCore
import NostrPlatform

extension Usage {
    static let fetch = """
        usage: nostr-dns fetch URL [--include] [--max-bytes N] [--timeout S]

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
          --timeout S    for the relays, then for each address (default 10 s)

        """ + relays
}

/// `fetch URL [--include] [--max-bytes N] [--timeout S]`.
enum FetchCommand {
    static func run(_ args: inout Arguments, _ globals: inout GlobalOptions) throws(CommandFailure) -> Int32 {
        var urlText: String?
        var include = false
        var limits = HTTPLimits()
        var timeout: Int64 = 10_000
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
        let trust = try NameTrust.look(url.name, service: TLSKeyRecord.defaultService, command: "fetch", globals: globals, timeout: timeout)
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
            let outcome = try exchange(url, address: address, tls: tls, trust: trust, limits: limits, timeout: timeout, globals: globals)
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

    enum Outcome {
        case response(HTTPResponse)
        /// Not connected, or lost before the key was checked: try the next address.
        case unreachable(String)
        /// Fail closed: the key was wrong, or the server broke HTTP.
        case refused(String)
    }

    /// One connection: TCP, TLS with the pins, one GET, its response.
    static func exchange(
        _ url: HTTPSURL, address: IPAddress, tls: TLSClientConfig, trust: NameTrust, limits: HTTPLimits,
        timeout: Int64, globals: GlobalOptions
    ) throws(CommandFailure) -> Outcome {
        let peer = address.isIPv4 ? address.text + ":" + String(url.port) : "[" + address.text + "]:" + String(url.port)
        let stream: StreamConnection
        do throws(PlatformError) {
            stream = try StreamConnection(host: address.text, port: url.port, tls: tls, serverName: url.host, pins: trust.pins)
        } catch {
            return .unreachable(error.message)
        }
        defer { stream.close() }
        let request = Array(
            ("GET " + url.target + " HTTP/1.1\r\nHost: " + url.authority + "\r\nUser-Agent: nostr-dns/"
                + NostrDNSVersion.string + "\r\nAccept: */*\r\nConnection: close\r\n\r\n").utf8)
        var sent = 0
        var verified = false
        var parser = HTTPResponseParser(limits: limits)
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        let deadline = Clock.monotonicMilliseconds() + timeout
        var poll = PollSet()
        while true {
            do throws(PlatformError) {
                if try stream.advance() {
                    if !verified {
                        verified = true
                        if globals.verbose, let k = stream.peerKeySHA256 {
                            Output.stderr("nostr-dns fetch: " + peer + " presented " + (trust.source(of: k) ?? k.hex) + "\n")
                        }
                    }
                    while sent < request.count {
                        let start = sent
                        let result: Result<Int, PlatformError> = request.withUnsafeBytes { p in
                            Result { () throws(PlatformError) -> Int in try stream.write(UnsafeRawBufferPointer(rebasing: p[start...])) }
                        }
                        let n = try result.get()
                        if n == 0 { break }
                        sent += n
                    }
                    while true {
                        let result: Result<Int?, PlatformError> = buffer.withUnsafeMutableBytes { p in
                            Result { () throws(PlatformError) -> Int? in try stream.read(into: p) }
                        }
                        guard let n = try result.get() else { break }
                        do throws(NostrError) {
                            if n == 0 {
                                try parser.finish()
                            } else {
                                _ = try buffer.withBytes { (p) throws(NostrError) in
                                    try parser.feed(UnsafeRawBufferPointer(rebasing: p[0..<n]))
                                }
                            }
                        } catch {
                            return .refused("bad HTTP response from " + peer + ": " + error.reason)
                        }
                        if let response = parser.response { return .response(response) }
                    }
                }
            } catch {
                if error.code == .tls && !verified && stream.peerKeySHA256 != nil {
                    return .refused(trust.refusal(serverKey: stream.peerKeySHA256, peer: peer, host: url.host))
                }
                if verified {
                    return .refused(error.message)
                }
                return .unreachable(error.message)
            }
            let now = Clock.monotonicMilliseconds()
            if now >= deadline {
                let e = stream.timeoutError()
                return verified ? .refused(e.message) : .unreachable(e.message)
            }
            poll.removeAll()
            var interest = stream.interest
            if stream.isEstablished && sent < request.count { interest.insert(.write) }
            poll.add(fd: stream.fd, interest: interest)
            do throws(PlatformError) {
                _ = try poll.wait(timeoutMilliseconds: Clock.pollTimeout(until: deadline))
            } catch {
                throw CommandFailure(error)
            }
        }
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
