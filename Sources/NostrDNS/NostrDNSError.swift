import NostrCore
import NostrPlatform

/// Why a call of the API failed; `description` is a sentence for users.
public enum NostrDNSError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not an npub name (npub1…, `<npub>.nostr`, `<label>.<npub>.nostr`, `<npub>.local`).
    case invalidName(String)
    /// Not a relay URL (ws://, wss:// or wsn://).
    case invalidRelayURL(String)
    /// Not an IPv4 or IPv6 address.
    case invalidAddress(String)
    /// No relay answered within the timeout; `failures` says, per relay, why.
    case noRelayAnswered(failures: [String])
    /// The relays answered, and `name` has no valid record of the kind asked.
    case notFound(name: String)
    /// A file could not be used: `path`, and why (the key file is too open,
    /// the CA file does not exist, …).
    case file(path: String, reason: String)
    /// A key is not valid (an nsec with a bad checksum, a key off the curve, …).
    case invalidKey(String)
    /// An event does not verify, or is not an event.
    case invalidEvent(String)
    /// The network failed in a way that is not a relay's answer (e.g. the CA
    /// bundle could not be loaded, or poll(2) failed).
    case system(String)
    /// The task was cancelled.
    case cancelled

    public var description: String {
        switch self {
        case .invalidName(let n): return "'" + n + "' is not an npub name (npub1…, <npub>.nostr, <label>.<npub>.nostr or <npub>.local)"
        case .invalidRelayURL(let u): return "'" + u + "' is not a relay URL (ws://, wss:// or wsn://)"
        case .invalidAddress(let a): return "'" + a + "' is not an IPv4 or IPv6 address"
        case .noRelayAnswered(let failures):
            return "no relay answered" + (failures.isEmpty ? "" : ": " + failures.joined(separator: "; "))
        case .notFound(let name): return "no record for " + name
        case .file(_, let reason): return reason
        case .invalidKey(let why): return "invalid key: " + why
        case .invalidEvent(let why): return "invalid event: " + why
        case .system(let why): return why
        case .cancelled: return "cancelled"
        }
    }

    /// A platform error, as the user should read it.
    init(_ error: PlatformError) {
        switch error.code {
        case .relayURL: self = .invalidRelayURL(error.path)
        case .badKey where error.file == .key: self = .invalidKey(error.message)
        default:
            if error.file != nil || error.code == .certificates || error.code == .noHome {
                self = .file(path: error.path, reason: error.message)
            } else {
                self = .system(error.message)
            }
        }
    }
}
