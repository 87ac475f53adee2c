import NostrCore
import NostrPlatform

/// The command line's side of `RelayPoolBuilder` (the Design article, "Relays and transports"): the
/// global options `--relay`, `--ca-file` and `--config` turned into the
/// builder the Swift API uses too, and its errors into command failures.
struct RelaySetup {
    var builder: RelayPoolBuilder
    var config: ConfigFile?
    var urls: [RelayURL] { builder.urls }

    init(_ globals: GlobalOptions) throws(CommandFailure) {
        config = try Self.loadConfig(globals)
        let config = self.config
        do throws(PlatformError) {
            builder = try RelayPoolBuilder(explicit: globals.relays, config: config, caFile: globals.caFile)
        } catch {
            throw CommandFailure(error.message, exitCode: error.code == .relayURL ? ExitCode.usage : ExitCode.failure)
        }
        if builder.usesBuiltInRelays && !globals.quiet { Output.stderr(Self.builtInNotice(builder.urls)) }
    }

    /// Said once, on stderr, when no relay was chosen: which relays the
    /// command talks to and how to choose others (offline, the failures
    /// that follow name relays the user never typed).
    static func builtInNotice(_ urls: [RelayURL]) -> String {
        var text = "nostr-dns: using the " + String(urls.count) + " built-in relays ("
        for (i, url) in urls.enumerated() { text += (i == 0 ? "" : ", ") + url.text }
        return text + "); --relay URL, $NOSTR_DNS_RELAYS or relay = URL in the config choose others\n"
    }

    /// One line per relay that failed, for a command that failed for lack
    /// of answers (or for every failure with -v): `nostr-dns COMMAND: URL:
    /// why`, the reason with its control characters escaped (`RelayText`:
    /// it can hold what a relay or a name server sent).
    static func failureLine(_ command: String, _ url: RelayURL, _ reason: String) -> String {
        "nostr-dns " + command + ": " + url.text + ": " + RelayText.printable(reason) + "\n"
    }

    /// The config file: `--config PATH` (must exist), else the default
    /// location if a file is there (`ConfigLocation.load`).
    static func loadConfig(_ globals: GlobalOptions) throws(CommandFailure) -> ConfigFile? {
        try checked { () throws(PlatformError) in try ConfigLocation.load(explicit: globals.configPath) }
    }

    /// `RelayPoolBuilder.pool`: long-lived (`reconnect`) or one-shot.
    func pool(reconnect: Bool, timeoutMilliseconds: Int64) throws(CommandFailure) -> RelayPool {
        try checked { () throws(PlatformError) in try builder.pool(reconnect: reconnect, timeoutMilliseconds: timeoutMilliseconds) }
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
