/// Which addresses of a relayed address record are answered (issue 16
/// item 4: no DNS rebinding through the zone; the Security article). One
/// policy for every frontend: the DNS server and the mDNS responder apply
/// it when a record enters the resolver cache (`ResolverCache.offer`), so
/// a cached answer costs nothing more; `resolve`, `fetch` and the Swift
/// API's `Resolver` apply it to what a lookup found.
///
/// A record is signed by its npub, but anyone can make an npub: without
/// this policy a web page named `<label>.<npub>.nostr` could switch its
/// address to 127.0.0.1 or the router's 192.168.1.1 after the browser
/// loaded it, and its scripts would talk to them as the same origin
/// (DNS rebinding).
/// - Never answered, whoever signed it: loopback, unspecified, link-local,
///   multicast, broadcast and reserved addresses (`AddressScope.isDangerous`),
///   IPv6 forms that embed them included.
/// - Private addresses (RFC 1918, CGNAT, ULA: `.privateNetwork`): answered
///   only for the npubs the operator trusts (this host's own key and the
///   `trust` list), or for every npub with `privateAnswersForAll`
///   (`private-answers = all`; off by default).
/// - Global addresses: answered.
public struct AddressPolicy: Sendable {
    /// The npubs whose private addresses are answered.
    public var trusted: [Bytes32]
    /// `private-answers = all`: private addresses answered for every npub.
    public var privateAnswersForAll: Bool

    public init(trusted: [Bytes32] = [], privateAnswersForAll: Bool = false) {
        self.trusted = trusted
        self.privateAnswersForAll = privateAnswersForAll
    }

    /// Why an address is not answered.
    public enum Refusal: Equatable, Sendable {
        /// Never answered (its scope says where it leads).
        case dangerous(AddressScope)
        /// A private address of an npub that is not trusted.
        case untrustedPrivate
    }

    /// Whether `author` is trusted with private addresses.
    public func trusts(_ author: Bytes32) -> Bool {
        privateAnswersForAll || trusted.contains(author)
    }

    /// nil when `address` of a record signed by `author` is answered, else why not.
    public func refusal(of address: IPAddress, author: Bytes32) -> Refusal? {
        let scope = AddressScope(address)
        if scope.isDangerous { return .dangerous(scope) }
        if scope == .privateNetwork && !trusts(author) { return .untrustedPrivate }
        return nil
    }

    /// The addresses of `author`'s record that are answered, in their
    /// order; `addresses` itself (no copy) when all are.
    public func answered(_ addresses: [IPAddress], author: Bytes32) -> [IPAddress] {
        guard addresses.contains(where: { refusal(of: $0, author: author) != nil }) else { return addresses }
        return addresses.filter { refusal(of: $0, author: author) == nil }
    }

    /// The addresses `fetch` and `pin` may connect to: those `answered`,
    /// and the loopback addresses of an npub in `trusted` (not merely
    /// `privateAnswersForAll`). A connection there is no rebinding: those
    /// commands send nothing before the server proved the npub's TLS key
    /// (the Design article, "Trust anchored in the npub"), and a trusted
    /// npub may well serve on this host (`https-demo`).
    public func connectable(_ addresses: [IPAddress], author: Bytes32) -> [IPAddress] {
        addresses.filter { a in
            refusal(of: a, author: author) == nil || (AddressScope(a) == .loopback && trusted.contains(author))
        }
    }

    /// One line per address left out, for the `-v` log (`text(dropped:_:)`).
    public func droppedText(_ addresses: [IPAddress], author: Bytes32) -> [String] {
        var out: [String] = []
        for a in addresses {
            if let why = refusal(of: a, author: author) { out.append(Self.text(dropped: a, why)) }
        }
        return out
    }

    /// "dropped 127.0.0.1 (loopback, never answered)", "dropped 10.0.0.1
    /// (private, npub not trusted)".
    public static func text(dropped address: IPAddress, _ why: Refusal) -> String {
        switch why {
        case .dangerous(let scope): return "dropped " + address.text + " (" + scope.name + ", never answered)"
        case .untrustedPrivate: return "dropped " + address.text + " (private, npub not trusted)"
        }
    }
}

/// An address left out of a record entering the resolver cache, for the
/// server's `-v` log (`ResolverCache.takeDroppedAddresses`).
public struct DroppedAddress: Sendable {
    public var key: ResolverKey
    public var address: IPAddress
    public var refusal: AddressPolicy.Refusal

    /// "dropped 127.0.0.1 (loopback, never answered)".
    public var text: String { AddressPolicy.text(dropped: address, refusal) }
}
