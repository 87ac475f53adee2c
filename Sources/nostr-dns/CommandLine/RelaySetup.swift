import NostrCore
import NostrPlatform

/// Which relays a command talks to, and how (the Design article, "Relays and transports"):
/// `--relay` (repeatable) first, else `$NOSTR_DNS_RELAYS` (separated by
/// commas or white space), else the config file's `relay` lines, else the
/// built-in defaults. `--ca-file` (or the config's `ca-file`) replaces the
/// system CA bundle for `wss://`.
struct RelaySetup {
    /// Well-known public relays, the proof of concept's first.
    static let defaults = ["wss://relay.snort.social", "wss://relay.damus.io", "wss://nos.lol", "wss://relay.primal.net"]
    static let maxConfigBytes = ConfigFile.maxBytes

    var urls: [RelayURL]
    var caFile: String?
    var config: ConfigFile?

    init(_ globals: GlobalOptions) throws(CommandFailure) {
        config = try Self.loadConfig(globals)
        var texts = globals.relays
        if texts.isEmpty, let env = Environment.get("NOSTR_DNS_RELAYS") { texts = Self.split(env) }
        if texts.isEmpty, let config { texts = config.values("relay") }
        if texts.isEmpty { texts = Self.defaults }
        urls = []
        for t in texts {
            do throws(NostrError) {
                let url = try RelayURL(parsing: t)
                if !urls.contains(url) { urls.append(url) }
            } catch {
                throw CommandFailure("bad relay URL '" + t + "': " + error.reason, exitCode: ExitCode.usage)
            }
        }
        caFile = globals.caFile ?? config?.value("ca-file")
    }

    /// The config file: `--config PATH` (must exist), else the default
    /// location if a file is there.
    static func loadConfig(_ globals: GlobalOptions) throws(CommandFailure) -> ConfigFile? {
        let explicit = globals.configPath
        guard let path = explicit ?? ConfigLocation.defaultPath() else { return nil }
        let bytes: [UInt8]
        do throws(PlatformError) {
            bytes = try TextFile.read(path: path, limit: maxConfigBytes)
        } catch {
            if error.code == .notFound && explicit == nil { return nil }
            throw CommandFailure("config file: " + error.message)
        }
        do throws(NostrError) {
            return try ConfigFile(parsing: bytes)
        } catch {
            throw CommandFailure("config file " + path + ": " + error.reason
                + " (expected `key = value` with key relay, ca-file or key)")
        }
    }

    static func split(_ text: String) -> [String] {
        text.utf8.split(whereSeparator: { $0 == 0x2C || $0 == 0x20 || $0 == 0x09 || $0 == 0x0A })
            .map { String(decoding: $0, as: UTF8.self) }
    }

    /// A pool over the relays; TLS is set up only when a URL needs it.
    /// Long-lived loops (`reconnect`: `dns`, `mdns`, `resolve --follow`,
    /// `publish-ip --watch`, `https-demo`) look relay host names up without
    /// blocking (`RelayPoolOptions.nonBlockingLookup`), so a slow or dead
    /// upstream DNS never stalls them, and follow the `wsn` address records
    /// of `wsn://<npub>` relays (`WSNLocator`); one-shot commands use
    /// getaddrinfo and look those records up once, before they start.
    func pool(reconnect: Bool, timeoutMilliseconds: Int64) throws(CommandFailure) -> RelayPool {
        var tls: TLSClientConfig? = nil
        if urls.contains(where: { $0.usesTLS }) {
            tls = try checked { () throws(PlatformError) in try TLSClientConfig(caFile: caFile) }
        }
        var options = RelayPoolOptions()
        options.reconnect = reconnect
        options.nonBlockingLookup = reconnect
        options.connectTimeoutMilliseconds = timeoutMilliseconds
        var resolved = urls
        if !reconnect && WSNResolution.needed(urls) {
            // `wsn://<npub>` alone: its address record first (the Design
            // article, "wsn:// relays"). A long-lived pool finds and follows it itself.
            resolved = try checked { () throws(PlatformError) in
                try WSNResolution.resolve(urls, tls: tls, timeoutMilliseconds: timeoutMilliseconds).urls
            }
        }
        return RelayPool(urls: resolved, tls: tls, options: options)
    }
}

/// `--timeout S` of the relay commands: seconds, 1 to 3600 (fractions allowed as
/// a decimal, e.g. 0.5). Returns milliseconds.
func parseTimeout(_ args: inout Arguments, _ option: String) throws(UsageError) -> Int64 {
    let text = try args.value(for: option)
    var ms: Int64 = 0
    var fraction: Int64 = 0
    var scale: Int64 = 0
    var digits = 0
    for c in text.utf8 {
        if c == 0x2E, scale == 0 { scale = 1; continue }
        guard c >= 0x30 && c <= 0x39, digits < 7 else { throw UsageError(option + " needs a number of seconds, not '" + text + "'") }
        digits += 1
        if scale == 0 { ms = ms * 10 + Int64(c - 0x30) } else if scale < 1000 { scale *= 10; fraction = fraction * 10 + Int64(c - 0x30) }
    }
    guard digits > 0 else { throw UsageError(option + " needs a number of seconds, not '" + text + "'") }
    ms *= 1000
    if scale > 1 { ms += fraction * 1000 / scale }
    guard ms >= 100 && ms <= 3_600_000 else { throw UsageError(option + " must be between 0.1 and 3600 seconds") }
    return ms
}
