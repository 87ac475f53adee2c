import NostrCore
import NostrPlatform

/// A nostr identity: a secret key and the names it owns.
public struct Identity: Sendable {
    let secretKey: SecretKey
    /// The BIP-340 x-only public key, 64 lowercase hex digits.
    public let publicKeyHex: String
    /// The public key as NIP-19 `npub1…`.
    public let npub: String
    let publicKey: Bytes32

    init(secretKey: SecretKey) throws(NostrDNSError) {
        self.secretKey = secretKey
        let ctx = try context()
        do throws(NostrError) {
            publicKey = try ctx.publicKey(of: secretKey)
        } catch {
            throw .invalidKey(error.reason)
        }
        publicKeyHex = publicKey.hex
        npub = NIP19.npub(publicKey)
    }

    /// The identity of an `nsec1…` (NIP-19) or 64 hex digits.
    public init(secret text: String) throws(NostrDNSError) {
        let key: SecretKey
        do throws(NostrError) {
            key = text.utf8.count == 64 ? try SecretKey(bytes: Hex.decode32(text)) : try NIP19.decodeNsec(text)
        } catch {
            throw .invalidKey(error.reason)
        }
        try self.init(secretKey: key)
    }

    /// A new identity from the kernel's random number generator.
    public static func generate() throws(NostrDNSError) -> Identity {
        let ctx = try context()
        let key: SecretKey
        do throws(NostrError) { key = try Entropy.secretKey(context: ctx) } catch { throw .system(error.reason) }
        return try Identity(secretKey: key)
    }

    /// The identity stored in a key file (mode 0600, not a symbolic link,
    /// one `nsec`; the rules of the command-line tool's key file).
    public static func load(path: String) throws(NostrDNSError) -> Identity {
        let secret: SecretKey
        do throws(PlatformError) { secret = try KeyFile.load(path: path) } catch { throw NostrDNSError(error) }
        return try Identity(secretKey: secret)
    }

    /// Writes the key file (never overwriting one).
    public func save(path: String) throws(NostrDNSError) {
        do throws(PlatformError) { try KeyFile.create(path: path, secret: secretKey) } catch { throw NostrDNSError(error) }
    }

    /// The secret key as NIP-19 `nsec1…`: keep it secret.
    public var nsec: String { NIP19.nsec(secretKey) }
    /// `<npub>.nostr`, the name the DNS server answers for.
    public var nostrName: String { npub + ".nostr" }
    /// `<npub>.local`, the name the mDNS responder answers for.
    public var localName: String { npub + ".local" }

    /// Signs an event now (or at `createdAt`, unix seconds), with fresh
    /// BIP-340 auxiliary randomness.
    public func sign(kind: Int, content: String = "", tags: [[String]] = [], createdAt: Int64? = nil) throws(NostrDNSError) -> SignedEvent {
        SignedEvent(try signEvent(EventTemplate(createdAt: createdAt ?? Clock.unixTime(), kind: kind, tags: tags, content: content)))
    }

    func signEvent(_ template: EventTemplate) throws(NostrDNSError) -> Event {
        let ctx = try context()
        do throws(NostrError) {
            return try Event.sign(template, secret: secretKey, context: ctx, auxRand: try Entropy.bytes32())
        } catch {
            throw .invalidKey(error.reason)
        }
    }
}

/// A signed nostr event (NIP-01).
public struct SignedEvent: Equatable, Sendable {
    let event: Event

    init(_ event: Event) { self.event = event }

    /// Parses and verifies one event given as JSON text; `.invalidEvent`
    /// unless its id is the hash of its serialization and its signature verifies.
    public init(verifying json: String) throws(NostrDNSError) {
        let ctx = try context()
        do throws(NostrError) {
            let event = try Event(json: Array(json.utf8))
            try event.verify(context: ctx)
            self.event = event
        } catch {
            throw .invalidEvent(error.reason)
        }
    }

    /// The event id, 64 lowercase hex digits.
    public var id: String { event.id.hex }
    /// The author's public key, 64 lowercase hex digits.
    public var publicKeyHex: String { event.pubkey.hex }
    public var kind: Int { event.kind }
    /// Unix seconds.
    public var createdAt: Int64 { event.createdAt }
    public var tags: [[String]] { event.tags }
    public var content: String { event.content }
    /// The event as NIP-01 JSON.
    public var json: String { String(decoding: event.json, as: UTF8.self) }
}
