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
/// the HTTPS server of issue 6 (README "Trust anchored in the npub").
enum HTTPSDemoCommand {
    static let defaultPort: UInt16 = 4443
    static let defaultRefresh: Int64 = 12 * 3600
    /// Connections served at once; more are accepted and closed at once.
    static let maxConnections = 256
    /// A connection gets this long for its handshake, request and answer.
    static let connectionMilliseconds: Int64 = 10_000

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
        guard try parseOptions("https-demo", &args, &globals, { (arg, args) throws(UsageError) -> Bool in
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
        }) else { return ExitCode.success }

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
            try SelfSignedCertificate.make(key: key, commonName: npub, dnsNames: [npub + ".nostr", npub + ".local"],
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

        let site = DemoSite(npub: npub, publicKey: publicKey, addresses: addresses, spki: server.spkiSHA256, alt: o.alt, keyNote: keyNote)
        let url = "https://" + npub + ".nostr:" + String(o.port) + "/"
        var banner = ""
        for l in listeners { banner += "listening " + l.address.description + "\n" }
        banner += "serving " + url + "\n"
        banner += "tls key " + keyNote + ", SPKI SHA-256 " + server.spkiSHA256.hex + "\n"
        Output.stdout(banner)

        let records = DemoRecords(npub: npub, port: o.port, addresses: addresses, spki: server.spkiSHA256,
                                  pem: String(decoding: pem, as: UTF8.self), alt: o.alt, refresh: o.refresh)
        return try serve(listeners: listeners, server: server, site: site, records: records, o, globals, ctx)
    }

    /// The poll loop: listeners, connections and relays in one poll(2).
    static func serve(listeners: [TCPListener], server: TLSServerConfig, site: DemoSite, records: DemoRecords,
                      _ o: Options, _ globals: GlobalOptions, _ ctx: Secp256k1Context) throws(CommandFailure) -> Int32 {
        let setup = try RelaySetup(globals)
        let pool = try setup.pool(reconnect: true, timeoutMilliseconds: o.timeout)
        StopSignal.install()
        var connections: [DemoConnection] = []
        var publishedAt: Int64 = 0
        var pending: [Event] = []
        var nextPublish = Clock.monotonicMilliseconds()
        pool.start(now: nextPublish)
        var poll = PollSet()
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while !StopSignal.requested {
            var now = Clock.monotonicMilliseconds()
            if now >= nextPublish {
                nextPublish = now + records.refresh * 1000
                // Strictly increasing created_at, as publish-ip --watch.
                let wall = max(Clock.unixTime(), publishedAt + 1)
                do throws(CommandFailure) {
                    pending = try Publishing.sign(records.templates(now: wall), globals, context: ctx)
                    var out = ""
                    for e in pending {
                        pool.publish(e)
                        out += Publishing.publishedLine(e)
                    }
                    if !globals.quiet { Output.stdout(out) }
                    publishedAt = wall
                } catch {
                    // The key file went away or broke: keep serving, try again soon.
                    let retry = min(records.refresh * 1000, 60_000)
                    nextPublish = now + retry
                    Output.stderr("nostr-dns https-demo: cannot sign the records: " + error.message + "; trying again in "
                                  + RelayPool.seconds(retry) + "\n")
                }
            }
            for event in pool.takeEvents() {
                switch event {
                case .message(let r, .ok(let id, let accepted, let message)) where pending.contains(where: { $0.id == id }):
                    if !globals.quiet {
                        Output.stdout(Publishing.outcomeLine(accepted ? .accepted : .rejected(message), pool.urls[r]))
                    }
                case .failed(let r, let message):
                    if !globals.quiet { Output.stderr("nostr-dns https-demo: " + pool.urls[r].text + ": " + message + "; reconnecting\n") }
                default:
                    break
                }
            }

            poll.removeAll()
            let listenerSlots = listeners.map { poll.add(fd: $0.fd, interest: .read) }
            var wake = nextPublish
            for c in connections {
                c.slot = poll.add(fd: c.stream.fd, interest: c.interest)
                wake = min(wake, c.deadline)
            }
            pool.register(in: &poll)
            if let next = pool.nextDeadline() { wake = min(wake, next) }
            do throws(PlatformError) {
                _ = try poll.wait(timeoutMilliseconds: Clock.pollTimeout(until: wake))
            } catch {
                throw CommandFailure(error)
            }
            now = Clock.monotonicMilliseconds()
            pool.handle(poll, now: now)
            pool.tick(now: now)

            for (listener, slot) in zip(listeners, listenerSlots) where !poll.ready(slot).isEmpty {
                accept(listener, server: server, into: &connections, now: now, globals)
            }
            connections.removeAll { c in
                let ready = c.slot >= 0 && !poll.ready(c.slot).isEmpty
                return !c.drive(ready: ready, now: now, site: site, buffer: &buffer, verbose: globals.verbose)
            }
        }
        for c in connections { c.stream.close() }
        pool.shutdown()
        for l in listeners { l.close() }
        if !globals.quiet { Output.stderr("nostr-dns https-demo: stopped\n") }
        return ExitCode.success
    }

    /// Takes every waiting connection; beyond `maxConnections` they are closed at once.
    static func accept(_ listener: TCPListener, server: TLSServerConfig, into connections: inout [DemoConnection],
                       now: Int64, _ globals: GlobalOptions) {
        while true {
            let next: (fd: Int32, peer: SocketAddress)?
            do throws(PlatformError) { next = try listener.accept() } catch {
                if globals.verbose { Output.stderr("nostr-dns https-demo: " + error.message + "\n") }
                return
            }
            guard let (fd, peer) = next else { return }
            guard connections.count < maxConnections else {
                StreamConnection(accepted: fd, peer: peer).close()
                continue
            }
            do throws(PlatformError) {
                let stream = try StreamConnection(accepted: fd, peer: peer, tls: server)
                connections.append(DemoConnection(stream, deadline: now + connectionMilliseconds))
            } catch {
                if globals.verbose { Output.stderr("nostr-dns https-demo: " + error.message + "\n") }
            }
        }
    }
}

/// The records the demo keeps published.
struct DemoRecords {
    var npub: String
    var port: UInt16
    var addresses: [IPAddress]
    var spki: Bytes32
    var pem: String
    var alt: Bool
    var refresh: Int64

    /// The address record, and unless `alt` the TLS key record, both valid
    /// for three refresh periods (NIP-40 `expiration`, the record's `exp`).
    func templates(now: Int64) -> [EventTemplate] {
        let expiry = now + 3 * refresh
        var out = [AddressRecord(label: "", addresses: addresses, ttl: nil, expiration: expiry).template(createdAt: now)]
        if !alt {
            let record = TLSKeyRecord(service: TLSKeyRecord.defaultService, url: "https://" + npub + ".nostr:" + String(port),
                                      spkiSHA256: spki, expires: expiry, certificatePEM: pem)
            out.append(record.template(createdAt: now))
        }
        return out
    }
}

/// One client of the demo: TLS handshake, one request, one answer, close.
final class DemoConnection {
    let stream: StreamConnection
    let deadline: Int64
    var slot = -1
    var inbound: [UInt8] = []
    var outbound: [UInt8] = []
    var sent = 0
    var answered = false

    init(_ stream: StreamConnection, deadline: Int64) {
        self.stream = stream
        self.deadline = deadline
    }

    var interest: PollInterest {
        var i = stream.interest
        if sent < outbound.count { i.insert(.write) }
        return i
    }

    /// Advances the connection; false when it is finished (and closed).
    func drive(ready: Bool, now: Int64, site: DemoSite, buffer: inout [UInt8], verbose: Bool) -> Bool {
        if now >= deadline {
            stream.close()
            return false
        }
        guard ready || stream.hasBufferedInput else { return true }
        do throws(PlatformError) {
            guard try stream.advance() else { return true }
            var eof = false
            while !answered {
                let result: Result<Int?, PlatformError> = buffer.withUnsafeMutableBytes { p in
                    Result { () throws(PlatformError) -> Int? in try stream.read(into: p) }
                }
                guard let n = try result.get() else { break }
                if n == 0 { eof = true; break }
                inbound.append(contentsOf: buffer[0..<n])
                answer(site: site, verbose: verbose)
            }
            if !answered && eof {
                stream.close()
                return false
            }
            while sent < outbound.count {
                let start = sent
                let result: Result<Int, PlatformError> = outbound.withUnsafeBytes { p in
                    Result { () throws(PlatformError) -> Int in try stream.write(UnsafeRawBufferPointer(rebasing: p[start...])) }
                }
                let n = try result.get()
                if n == 0 { break }
                sent += n
            }
            if answered && sent == outbound.count && !stream.interest.contains(.write) {
                stream.close()
                return false
            }
            return true
        } catch {
            if verbose { Output.stderr("nostr-dns https-demo: " + error.message + "\n") }
            stream.close()
            return false
        }
    }

    /// Once the request head is in: the answer (RFC 9112), and nothing more is read.
    func answer(site: DemoSite, verbose: Bool) {
        let response: [UInt8]
        do throws(NostrError) {
            guard let (head, _) = try HTTPRequestHead.parse(inbound) else { return }
            response = site.respond(to: head)
            if verbose {
                Output.stderr("nostr-dns https-demo: " + stream.peerDescription + " " + String(decoding: head.method, as: UTF8.self)
                              + " " + String(decoding: head.target, as: UTF8.self) + "\n")
            }
        } catch {
            response = error.code == .httpTooLarge
                ? DemoSite.plain(431, "Request Header Fields Too Large", "request head too large\n", head: false)
                : DemoSite.plain(400, "Bad Request", "malformed request: " + error.reason + "\n", head: false)
        }
        outbound = response
        answered = true
    }
}

/// What the demo serves: one page that says who it is (RFC 9110 for the
/// status codes).
struct DemoSite {
    var npub: String
    var publicKey: Bytes32
    var addresses: [IPAddress]
    var spki: Bytes32
    var alt: Bool
    var keyNote: String

    func respond(to head: HTTPRequestHead) -> [UInt8] {
        // Methods are case-sensitive (RFC 9110 §9.1).
        let isHead = head.method == Array("HEAD".utf8)
        let isGet = head.method == Array("GET".utf8)
        guard isGet || isHead else {
            return DemoSite.plain(405, "Method Not Allowed", "only GET and HEAD\n", head: false, extra: "Allow: GET, HEAD\r\n")
        }
        guard !head.announcesBody else { return DemoSite.plain(400, "Bad Request", "a GET has no body here\n", head: isHead) }
        guard head.path == Array("/".utf8) || head.path == Array("/index.html".utf8) else {
            return DemoSite.plain(404, "Not Found", "not found\n", head: isHead)
        }
        return DemoSite.message(200, "OK", type: "text/html; charset=utf-8", body: Array(page.utf8), head: isHead)
    }

    var page: String {
        var addressText = ""
        for (i, a) in addresses.enumerated() { addressText += (i == 0 ? "" : ", ") + a.text }
        let trust = alt
            ? "This certificate is keyed by the nostr key itself (secp256k1): its public key is the npub."
            : "The npub signed this key's SHA-256 in its TLS key record (nostr kind 30059)."
        return "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>" + npub + ".nostr</title></head>\n<body>\n"
            + "<h1>" + npub + ".nostr</h1>\n"
            + "<p>This is the nostr-dns HTTPS demo of <code>" + npub + "</code> (public key <code>" + publicKey.hex + "</code>).</p>\n"
            + "<p>Addresses: " + addressText + ".</p>\n"
            + "<p>TLS key: SHA-256 of its SubjectPublicKeyInfo <code>" + spki.hex + "</code>. " + trust + "</p>\n"
            + "</body></html>\n"
    }

    static func plain(_ status: Int, _ reason: String, _ text: String, head: Bool, extra: String = "") -> [UInt8] {
        message(status, reason, type: "text/plain; charset=utf-8", body: Array(text.utf8), head: head, extra: extra)
    }

    /// A complete response with Content-Length and `Connection: close`
    /// (RFC 9112 §9.6); for HEAD, the same head without the body (RFC 9110 §9.3.2).
    static func message(_ status: Int, _ reason: String, type: String, body: [UInt8], head: Bool, extra: String = "") -> [UInt8] {
        let top = "HTTP/1.1 " + String(status) + " " + reason + "\r\n"
            + "Content-Type: " + type + "\r\nContent-Length: " + String(body.count) + "\r\n"
            + "Cache-Control: no-store\r\nConnection: close\r\n" + extra + "\r\n"
        var out = Array(top.utf8)
        if !head { out += body }
        return out
    }
}
