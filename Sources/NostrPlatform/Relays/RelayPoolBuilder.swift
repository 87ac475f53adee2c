import NostrCore

/// Which relays to talk to and how: the one place a `RelayPool` is built,
/// for the command-line tool and the Swift API alike (the Design article,
/// "Relays and transports").
///
/// The list is, in this order of precedence: the relays given explicitly
/// (`--relay`, or the API's list), else `$NOSTR_DNS_RELAYS` (separated by
/// commas or white space), else the config file's `relay` lines, else the
/// built-in defaults. The CA file (`--ca-file`, else the config's `ca-file`)
/// replaces the system bundle for `wss://`.
public struct RelayPoolBuilder: Sendable {
    /// Well-known public relays, the proof of concept's first.
    public static let defaultRelays = ["wss://relay.snort.social", "wss://relay.damus.io", "wss://nos.lol", "wss://relay.primal.net"]

    /// The relays, without duplicates, in the order given.
    public var urls: [RelayURL]
    /// CA certificates for `wss://` (nil: the system bundle).
    public var caFile: String?
    /// True when no relay was chosen (no explicit list, no
    /// $NOSTR_DNS_RELAYS, no `relay` line in the config) and the list is
    /// `defaultRelays`: the command line says so once, since an offline
    /// failure then names relays the user never typed.
    public private(set) var usesBuiltInRelays = false

    /// `texts` parsed as relay URLs (duplicates dropped); `.relayURL`
    /// naming the first that is not one. One that holds what looks like
    /// an nsec (`SecretScan`) is refused before anything is looked up,
    /// and named by its position, never shown (keyError `.secretKey`).
    public init(relays texts: [String], caFile: String? = nil) throws(PlatformError) {
        var urls: [RelayURL] = []
        for (n, t) in texts.enumerated() where SecretScan.containsSecretKey(t) {
            throw PlatformError(.relayURL, path: "number " + String(n + 1), keyError: .secretKey)
        }
        for t in texts {
            do throws(NostrError) {
                let url = try RelayURL(parsing: t)
                if !urls.contains(url) { urls.append(url) }
            } catch {
                throw PlatformError(.relayURL, path: t, keyError: error.code)
            }
        }
        self.urls = urls
        self.caFile = caFile
    }

    /// The relays chosen by precedence (see the type): `explicit` if not
    /// empty, else `environment` ($NOSTR_DNS_RELAYS) split, else the
    /// config's `relay` lines, else `defaultRelays`; the CA file likewise
    /// from `caFile`, else the config's `ca-file`.
    public init(
        explicit: [String], environment: String? = Environment.get("NOSTR_DNS_RELAYS"), config: ConfigFile?,
        caFile: String?
    ) throws(PlatformError) {
        var texts = explicit
        if let environment, SecretScan.containsSecretKey(environment) {
            throw PlatformError(.relayURL, path: "in $NOSTR_DNS_RELAYS", keyError: .secretKey)
        }
        if texts.isEmpty, let environment { texts = Self.split(environment) }
        if texts.isEmpty, let config { texts = config.values("relay") }
        let builtIn = texts.isEmpty
        if builtIn { texts = Self.defaultRelays }
        try self.init(relays: texts, caFile: caFile ?? config?.value("ca-file"))
        usesBuiltInRelays = builtIn
    }

    /// A list separated by commas or white space ($NOSTR_DNS_RELAYS).
    public static func split(_ text: String) -> [String] {
        text.utf8.split(whereSeparator: { $0 == 0x2C || $0 == 0x20 || $0 == 0x09 || $0 == 0x0A })
            .map { String(decoding: $0, as: UTF8.self) }
    }

    /// A pool over the relays; TLS is set up only when a URL needs it.
    /// Every pool looks relay host names up without blocking, all at once
    /// inside its poll loop (`RelayPoolOptions.nonBlockingLookup`), so a
    /// slow or dead upstream DNS never stalls it: getaddrinfo(3) would
    /// look the relays up one after another, 10 s each when the name
    /// server is silent (an offline router). One-shot pools give each
    /// lookup at most `timeoutMilliseconds` (`lookupTimeoutMilliseconds`),
    /// so `--timeout` bounds the whole lookup, names included. Long-lived
    /// pools (`reconnect`: `dns`, `mdns`, `resolve --follow`, `publish-ip
    /// --watch`, `https-demo`, the API's watch) follow the `wsn` address
    /// records of `wsn://<npub>` relays (`WSNLocator`); one-shot pools look
    /// those records up once, before they start (the Design article, "wsn://
    /// relays").
    public func pool(reconnect: Bool, timeoutMilliseconds: Int64) throws(PlatformError) -> RelayPool {
        var tls: TLSClientConfig? = nil
        if urls.contains(where: { $0.usesTLS }) { tls = try TLSClientConfig(caFile: caFile) }
        var options = RelayPoolOptions()
        options.reconnect = reconnect
        options.nonBlockingLookup = true
        if !reconnect { options.lookupTimeoutMilliseconds = timeoutMilliseconds }
        options.connectTimeoutMilliseconds = timeoutMilliseconds
        var resolved = urls
        if !reconnect && WSNResolution.needed(urls) {
            resolved = try WSNResolution.resolve(urls, tls: tls, timeoutMilliseconds: timeoutMilliseconds).urls
        }
        return RelayPool(urls: resolved, tls: tls, options: options)
    }
}

extension ConfigLocation {
    /// The config file: `explicit` (`--config PATH`, which must exist),
    /// else the one at `defaultPath()` if a file is there, else nil.
    /// Errors name the config file (`.configSyntax` for a bad line).
    public static func load(explicit: String?) throws(PlatformError) -> ConfigFile? {
        guard let path = explicit ?? defaultPath() else { return nil }
        let bytes: [UInt8]
        do throws(PlatformError) {
            bytes = try TextFile.read(path: path, limit: ConfigFile.maxBytes, file: .config)
        } catch {
            if error.code == .notFound && explicit == nil { return nil }
            throw error
        }
        do throws(NostrError) {
            return try ConfigFile(parsing: bytes)
        } catch {
            throw PlatformError(.configSyntax, path: path, file: .config, keyError: error.code, detail: error.reason)
        }
    }
}
