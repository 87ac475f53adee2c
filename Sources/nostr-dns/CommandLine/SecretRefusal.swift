import NostrCore
import NostrPlatform

/// Secrets never leave (README, "Security"): an nsec pasted on the command
/// line or into the environment is refused before anything is read,
/// looked up, connected or written, with a one-line message that names
/// where it was and never repeats it (exit 2, as for usage errors). This
/// covers `--relay`, `--key`, names and URLs, and `event sign --content`
/// and `--tag` too: publishing a secret key would leak it to every relay
/// and reader for good. The config file is checked where it is parsed
/// (`ConfigFile`), the relay list of the Swift API in `RelayPoolBuilder`.
enum SecretRefusal {
    /// The environment variables the tool reads.
    static let variables = ["NOSTR_DNS_RELAYS", "NOSTR_DNS_KEY"]

    /// Why the command line or the environment is refused, or nil.
    static func find(arguments: [String]) -> String? {
        for (i, arg) in arguments.enumerated() where SecretScan.containsSecretKey(arg) {
            return position(i, arguments) + " holds an nsec (a secret key!); refused, and not shown: keep it in the key file"
        }
        for name in variables {
            if let value = Environment.get(name), SecretScan.containsSecretKey(value) {
                return "$" + name + " holds an nsec (a secret key!); refused, and not shown"
            }
        }
        return nil
    }

    /// "the value of --relay" (the option before it), or "argument 3".
    static func position(_ i: Int, _ arguments: [String]) -> String {
        if i > 0, arguments[i - 1].utf8.count > 1, arguments[i - 1].utf8.first == 0x2D,
            !SecretScan.containsSecretKey(arguments[i - 1])
        {
            return "the value of " + arguments[i - 1]
        }
        return "argument " + String(i + 1)
    }
}
