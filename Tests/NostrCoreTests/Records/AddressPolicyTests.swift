import Testing

@testable import NostrCore

/// `AddressPolicy` (issue 16 item 4): which addresses of a record signed by
/// someone else are answered, and the resolver cache applying it once,
/// when the record enters (so DNS and mDNS answers are filtered already).
@Suite struct AddressPolicyTests {
    typealias S = Selection
    static let stranger = S.author7
    static let friend = S.author3

    /// The record the issue published for `rebind.<npub>.nostr`, plus
    /// private, CGNAT, ULA and global addresses.
    static let rebindRecord: [String] = [
        "127.0.0.1", "0.0.0.0", "255.255.255.255", "224.0.0.251", "169.254.169.254", "10.0.0.1", "192.168.1.1",
        "100.64.0.1", "172.16.0.1", "192.0.2.1",
        "::1", "fe80::1", "ff02::1", "::ffff:127.0.0.1", "::", "fd00::1", "64:ff9b::7f00:1", "2001:db8::1",
    ]
    static var addresses: [IPAddress] { rebindRecord.map { try! IPAddress(parsing: $0) } }
    static func texts(_ a: [IPAddress]) -> [String] { a.map { $0.text } }

    @Test func anUntrustedNpubGetsNeitherDangerousNorPrivateAddressesAnswered() {
        let policy = AddressPolicy(trusted: [Self.friend])
        #expect(Self.texts(policy.answered(Self.addresses, author: Self.stranger)) == ["192.0.2.1", "2001:db8::1"])
        let why = policy.droppedText(Self.addresses, author: Self.stranger)
        #expect(why.count == Self.addresses.count - 2)
        #expect(why.contains("dropped 127.0.0.1 (loopback, never answered)"))
        #expect(why.contains("dropped 10.0.0.1 (private, npub not trusted)"))
        #expect(why.contains("dropped ::ffff:127.0.0.1 (loopback, never answered)"))
    }

    @Test func aTrustedNpubGetsPrivateAddressesButNeverLoopbackOrLinkLocal() {
        let policy = AddressPolicy(trusted: [Self.friend])
        #expect(
            Self.texts(policy.answered(Self.addresses, author: Self.friend))
                == ["10.0.0.1", "192.168.1.1", "100.64.0.1", "172.16.0.1", "192.0.2.1", "fd00::1", "2001:db8::1"])
    }

    @Test func privateAnswersForAllStillNeverAnswersDangerousOnes() {
        let policy = AddressPolicy(privateAnswersForAll: true)
        let kept = Self.texts(policy.answered(Self.addresses, author: Self.stranger))
        #expect(kept == ["10.0.0.1", "192.168.1.1", "100.64.0.1", "172.16.0.1", "192.0.2.1", "fd00::1", "2001:db8::1"])
    }

    @Test func theDefaultPolicyTrustsNobody() {
        let policy = AddressPolicy()
        #expect(!policy.trusts(Self.friend))
        #expect(Self.texts(policy.answered(Self.addresses, author: Self.friend)) == ["192.0.2.1", "2001:db8::1"])
    }

    @Test func fetchConnectsToLoopbackOnlyForAnExplicitlyTrustedNpub() {
        let policy = AddressPolicy(trusted: [Self.friend], privateAnswersForAll: true)
        let local = [try! IPAddress(parsing: "127.0.0.1"), try! IPAddress(parsing: "169.254.169.254")]
        #expect(Self.texts(policy.connectable(local, author: Self.friend)) == ["127.0.0.1"])
        #expect(policy.connectable(local, author: Self.stranger).isEmpty)
    }

    // MARK: The resolver cache applies it when a record enters

    static func record(_ ips: [String], secret: SecretKey = EventFixtures.secret7) -> Event {
        let t = AddressRecord(label: "rebind", addresses: ips.map { try! IPAddress(parsing: $0) }).template(createdAt: S.t0)
        return signed(t, secret: secret)
    }

    @Test func aRebindingRecordEntersTheCacheWithoutItsDangerousAddresses() {
        var cache = ResolverCache()
        cache.addressPolicy = AddressPolicy(trusted: [Self.friend])
        let key = cache.offer(Self.record(Self.rebindRecord), now: S.now, context: S.context, create: true)
        #expect(key == .addresses(Self.stranger, label: "rebind"))
        #expect(Self.texts(cache.peek(key!)!.addresses) == ["192.0.2.1", "2001:db8::1"])
        // Logged once per record, not per query.
        let dropped = cache.takeDroppedAddresses()
        #expect(dropped.count == Self.rebindRecord.count - 2)
        #expect(dropped.allSatisfy { $0.key == key })
        _ = cache.lookup(key!, now: S.now + 1)
        _ = cache.lookup(key!, now: S.now + 2)
        #expect(cache.takeDroppedAddresses().isEmpty)
        // The stored event is whole (the cache file keeps what was signed).
        #expect(cache.storedEvents().count == 1)
    }

    @Test func aRecordOfOnlyDangerousAddressesIsAPositiveEntryWithNoAddress() {
        var cache = ResolverCache()
        let key = cache.offer(Self.record(["127.0.0.1", "::1"]), now: S.now, context: S.context, create: true)
        guard case .fresh(let entry, _) = cache.lookup(key!, now: S.now + 1) else { Issue.record("no entry"); return }
        #expect(entry.found && entry.addresses.isEmpty)
    }

    @Test func aTrustedNpubsPrivateAddressesEnterTheCache() {
        var cache = ResolverCache()
        cache.addressPolicy = AddressPolicy(trusted: [Self.friend])
        let key = cache.offer(
            Self.record(["192.168.1.10", "127.0.0.1"], secret: EventFixtures.secret3), now: S.now, context: S.context, create: true)
        #expect(Self.texts(cache.peek(key!)!.addresses) == ["192.168.1.10"])
    }
}
