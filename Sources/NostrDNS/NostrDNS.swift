@_exported import NostrCore
import NostrPlatform

/// The Swift API for programs that embed nostr-dns: an identity (the key
/// behind an npub) that signs events, and a verifier for events from
/// untrusted relays. Everything below is a thin layer over `NostrCore` and
/// `NostrPlatform`; the command-line tool uses the same pieces.

/// Why a call failed: the core's reason (malformed input, bad signature, …)
/// or the platform's (a key file that is missing or too open, …).
public enum NostrDNSError: Error, Equatable, Sendable {
    case nostr(NostrError)
    case platform(PlatformError)

    public var message: String {
        switch self {
        case .nostr(let e): return e.reason
        case .platform(let e): return e.message
        }
    }
}

/// One secp256k1 context for the process (read-only after creation).
private let sharedContext: Secp256k1Context? = {
    guard let seed = try? Entropy.bytes32() else { return nil }
    return try? Secp256k1Context(randomSeed: seed)
}()

func context() throws(NostrDNSError) -> Secp256k1Context {
    guard let ctx = sharedContext else { throw .nostr(NostrError(.entropy)) }
    return ctx
}

/// A nostr identity: a secret key and the names it owns.
public struct Identity: Sendable {
    public let secretKey: SecretKey
    /// The BIP-340 x-only public key.
    public let publicKey: Bytes32

    public init(secretKey: SecretKey) throws(NostrDNSError) {
        self.secretKey = secretKey
        let ctx = try context()
        do throws(NostrError) {
            self.publicKey = try ctx.publicKey(of: secretKey)
        } catch {
            throw .nostr(error)
        }
    }

    /// A new identity from the kernel's random number generator.
    public static func generate() throws(NostrDNSError) -> Identity {
        let ctx = try context()
        let key: SecretKey
        do throws(NostrError) { key = try Entropy.secretKey(context: ctx) } catch { throw .nostr(error) }
        return try Identity(secretKey: key)
    }

    /// The identity stored in a key file (see `KeyFile` for the rules).
    public static func load(path: String) throws(NostrDNSError) -> Identity {
        let secret: SecretKey
        do throws(PlatformError) { secret = try KeyFile.load(path: path) } catch { throw .platform(error) }
        return try Identity(secretKey: secret)
    }

    /// Writes the key file (never overwriting one).
    public func save(path: String) throws(NostrDNSError) {
        do throws(PlatformError) { try KeyFile.create(path: path, secret: secretKey) } catch { throw .platform(error) }
    }

    public var npub: String { NIP19.npub(publicKey) }
    public var nsec: String { NIP19.nsec(secretKey) }
    /// `<npub>.nostr`, the name the DNS server answers for.
    public var nostrName: String { npub + ".nostr" }
    /// `<npub>.local`, the name the mDNS responder answers for.
    public var localName: String { npub + ".local" }

    /// Signs an event now (or at `createdAt`), with fresh BIP-340 auxiliary randomness.
    public func sign(kind: Int, content: String = "", tags: [[String]] = [], createdAt: Int64? = nil) throws(NostrDNSError) -> Event {
        let template = EventTemplate(createdAt: createdAt ?? Clock.unixTime(), kind: kind, tags: tags, content: content)
        let ctx = try context()
        do throws(NostrError) {
            return try Event.sign(template, secret: secretKey, context: ctx, auxRand: try Entropy.bytes32())
        } catch {
            throw .nostr(error)
        }
    }
}

extension Event {
    /// Parses and verifies one event given as JSON text; throws unless its
    /// id is the hash of its serialization and its signature verifies.
    public static func verified(json: [UInt8]) throws(NostrDNSError) -> Event {
        let ctx = try context()
        do throws(NostrError) {
            let event = try Event(json: json)
            try event.verify(context: ctx)
            return event
        } catch {
            throw .nostr(error)
        }
    }
}
