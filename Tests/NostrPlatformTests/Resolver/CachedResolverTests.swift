import Foundation
import NostrCore
import Testing

@testable import NostrPlatform

/// The relay-driven resolver cache: coalesced lookups, time-outs when no
/// relay can answer, and the cache file verified again on load.
@Suite struct CachedResolverTests {
    static let context = try! Secp256k1Context(randomSeed: try! Entropy.bytes32())

    static func signedAddress(_ ip: String, secret: SecretKey, ttl: Int = 300) throws -> Event {
        let template = AddressRecord(label: "", addresses: [try IPAddress(parsing: ip)], ttl: ttl)
            .template(createdAt: Clock.unixTime() - 10)
        return try Event.sign(template, secret: secret, context: context, auxRand: try Entropy.bytes32())
    }

    /// Runs the resolver's loop until `done` or 10 s; returns its events.
    static func drive(_ resolver: CachedResolver, until done: ([ResolverEvent]) -> Bool) throws -> [ResolverEvent] {
        var seen: [ResolverEvent] = []
        var poll = PollSet()
        let deadline = Clock.monotonicMilliseconds() + 10_000
        while !done(seen) && Clock.monotonicMilliseconds() < deadline {
            poll.removeAll()
            resolver.register(in: &poll)
            _ = try poll.wait(timeoutMilliseconds: 50)
            let now = Clock.monotonicMilliseconds()
            resolver.handle(poll, now: now)
            resolver.tick(now: now)
            seen += resolver.takeEvents()
        }
        return seen
    }

    @Test func lookupsOfOneNameShareOneLookupThatTimesOutWhenNoRelayAnswers() throws {
        var options = RelayPoolOptions()
        options.reconnect = true
        let pool = RelayPool(urls: [try RelayURL(parsing: "ws://127.0.0.1:1")], tls: nil, options: options)
        let resolver = CachedResolver(pool: pool, context: Self.context)
        let author = try Self.context.publicKey(of: try Entropy.secretKey(context: Self.context))
        let key = ResolverKey.addresses(author, label: "www")
        let now = Clock.monotonicMilliseconds()
        resolver.start(now: now)
        guard case .pending = resolver.lookup(key, now: now), case .pending = resolver.lookup(key, now: now) else {
            Issue.record("a name never looked up was answered"); return
        }
        #expect(resolver.isPending(key))
        let events = try Self.drive(resolver) { !$0.isEmpty }
        #expect(events == [.timedOut(key)])
        #expect(!resolver.isPending(key))
        // The relay is now waiting out its backoff: a new lookup fails at once.
        guard case .pending = resolver.lookup(key, now: Clock.monotonicMilliseconds()) else { Issue.record("answered"); return }
        #expect(resolver.takeEvents() == [.timedOut(key)])
        pool.shutdown()
    }

    @Test func cacheFileRoundTripsAndATamperedLineIsRefused() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("state/dns-cache")
        let secret = try Entropy.secretKey(context: Self.context)
        let author = try Self.context.publicKey(of: secret)
        let key = ResolverKey.addresses(author, label: "")
        let first = CachedResolver(pool: RelayPool(urls: [], tls: nil), context: Self.context)
        #expect(
            first.cache.offer(
                try Self.signedAddress("192.0.2.5", secret: secret), now: Clock.unixTime(),
                context: Self.context, create: true) == key)
        try first.save(path: path)

        let second = CachedResolver(pool: RelayPool(urls: [], tls: nil), context: Self.context)
        let loaded = try second.load(path: path)
        #expect(loaded.taken == 1 && loaded.refused == 0)
        // Read back stale: answered with the stale TTL until a relay confirms it.
        guard case .found(let entry, let ttl, let stale) = second.lookup(key, now: Clock.monotonicMilliseconds()) else {
            Issue.record("the cached name is not answered after a restart"); return
        }
        #expect(entry.addresses == [try IPAddress(parsing: "192.0.2.5")] && stale && ttl == 30)

        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: "192.0.2.5", with: "192.0.2.6").write(toFile: path, atomically: true, encoding: .utf8)
        let third = CachedResolver(pool: RelayPool(urls: [], tls: nil), context: Self.context)
        let tampered = try third.load(path: path)
        #expect(tampered.taken == 0 && tampered.refused == 1)
        #expect(third.cache.count == 0)
        // A missing file is an empty cache, not an error.
        #expect(try third.load(path: folder.file("none")) == CacheFileLoad())
    }
}
