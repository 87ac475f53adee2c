import NostrCore
import NostrPlatform

/// The Swift API for programs that embed nostr-dns (host builds only):
///
/// - ``Resolver``: the addresses and TLS keys of an npub name, looked up on
///   relays (`async`, cancellable, with a `watch` for updates);
/// - ``Publisher``: publishes address and TLS key records;
/// - ``Identity``: the secret key behind an npub, and the names it owns;
/// - ``DNSService`` and ``MDNSService``: the DNS server and the mDNS
///   responder, run in-process until their task is cancelled;
/// - ``NostrDNSError``: why a call failed.
///
/// The command-line tool is built from the same pieces underneath: the
/// relay pool builder (`RelayPoolBuilder`), the one-shot lookup
/// (`NameLookup`), the follow loop (`RecordFollowServer`), the meaning of
/// a record (`RecordMeaning`) and the servers (`DNSServer`, `MDNSServer`).

/// An IPv4 or IPv6 address (`text` is its usual form: "192.0.2.7", "2001:db8::7").
public typealias IPAddress = NostrCore.IPAddress

extension IPAddress {
    /// An address from its text ("192.0.2.7", "2001:db8::7"; RFC 4291 §2.2
    /// forms, no zone index); `.invalidAddress` otherwise.
    public init(_ text: String) throws(NostrDNSError) {
        do throws(NostrError) { self = try IPAddress(parsing: text) } catch { throw .invalidAddress(text) }
    }
}

/// One secp256k1 context for the process (read-only after creation).
private let sharedContext: Secp256k1Context? = {
    guard let seed = try? Entropy.bytes32() else { return nil }
    return try? Secp256k1Context(randomSeed: seed)
}()

func context() throws(NostrDNSError) -> Secp256k1Context {
    guard let ctx = sharedContext else { throw .system("no entropy from the kernel for the secp256k1 context") }
    return ctx
}
