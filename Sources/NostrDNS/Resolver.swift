import Foundation
import NostrCore
import NostrPlatform

/// Looks npub names up on nostr relays: their addresses (kind 30053, or
/// the seed format) and TLS keys (kind 30059, or the seed's certificate).
/// Every record is verified (signature, id, author, expiry) before it is
/// believed; the newest valid one wins (the Design article, "Resolution rules").
///
/// Each lookup opens its own connections on a thread of its own, waits for
/// the relays at most `timeout`, and closes them; cancelling the task stops
/// it within about 50 ms.
///
/// ```swift
/// let resolver = try Resolver(relays: ["wss://relay.example"])
/// let addresses = try await resolver.addresses(of: "npub1….nostr")
/// ```
public struct Resolver: Sendable {
    let builder: RelayPoolBuilder
    /// How long the relays are waited for (at most a day is used).
    public var timeout: Duration
    /// Which addresses of a record are returned (the Security article,
    /// "DNS rebinding"): never loopback, unspecified, link-local,
    /// multicast or broadcast ones; private ones (RFC 1918, CGNAT, ULA)
    /// only for the npubs it trusts (none by default).
    public var addressPolicy = AddressPolicy()

    /// `relays`: ws://, wss:// or wsn:// URLs. `caFile`: CA certificates
    /// for wss:// instead of the system bundle.
    public init(relays: [String], caFile: String? = nil, timeout: Duration = .seconds(10)) throws(NostrDNSError) {
        do throws(PlatformError) {
            builder = try RelayPoolBuilder(relays: relays, caFile: caFile)
        } catch {
            throw NostrDNSError(error)
        }
        self.timeout = timeout
    }

    /// The relays asked, as given (duplicates dropped).
    public var relays: [String] { builder.urls.map { $0.text } }

    /// The addresses of `name` (an npub, `<npub>.nostr`, `<label>.<npub>.nostr`
    /// or `<npub>.local`), IPv4 first. `.notFound` when the relays answered
    /// and there is no valid address record; `.noRelayAnswered` when none answered.
    public func addresses(of name: String) async throws(NostrDNSError) -> [IPAddress] {
        let records = try await lookup(name)
        guard let addresses = records.addresses else { throw .notFound(name: name) }
        return addresses
    }

    /// The TLS key `name` vouches for for `service` ("https" by default).
    /// `.notFound` when there is no valid TLS key record.
    public func tlsKey(of name: String, service: String = "https") async throws(NostrDNSError) -> TLSKey {
        let records = try await lookup(name, addresses: false, tlsService: service)
        guard let key = records.tlsKey else { throw .notFound(name: name) }
        return key
    }

    /// Everything asked about `name` in one lookup: its address record and,
    /// with `tlsService`, its TLS key record of that service. A missing
    /// record is nil, not an error.
    public func lookup(_ name: String, addresses: Bool = true, tlsService: String? = nil) async throws(NostrDNSError) -> NameRecords {
        let parsed = try Self.parse(name)
        let ctx = try context()
        let builder = self.builder
        let timeout = self.timeout.milliseconds
        let policy = addressPolicy
        return try await runOnOwnThread { stop in
            Result { () throws(NostrDNSError) -> NameRecords in
                let lookup: NameLookup
                do throws(PlatformError) {
                    lookup = try NameLookup.run(
                        parsed, addresses: addresses, tlsService: tlsService, relays: builder,
                        context: ctx, timeoutMilliseconds: timeout, stop: { stop.isRaised })
                } catch {
                    throw NostrDNSError(error)
                }
                if stop.isRaised { throw .cancelled }
                guard lookup.anyAnswered else { throw Self.noAnswer(lookup.records) }
                return NameRecords(name: name, lookup.addressRecord, lookup.tlsKeyRecord, policy: policy, author: parsed.publicKey)
            }
        }
    }

    /// Follows `name`: yields its records once the relays have answered (or
    /// `timeout` passed), then each time a newer valid record arrives, on
    /// connections kept open (reconnecting with backoff) on a thread of
    /// their own, until the consumer stops iterating or its task is cancelled.
    public func watch(_ name: String, tlsService: String? = nil) -> AsyncThrowingStream<NameRecords, Error> {
        let builder = self.builder
        let timeout = self.timeout.milliseconds
        let policy = addressPolicy
        return AsyncThrowingStream { continuation in
            let stop: LoopStop
            do throws(PlatformError) { stop = try LoopStop() } catch {
                continuation.finish(throwing: NostrDNSError(error))
                return
            }
            continuation.onTermination = { _ in stop.request() }
            let thread = Thread {
                do throws(NostrDNSError) {
                    let parsed = try Self.parse(name)
                    let ctx = try context()
                    try Self.follow(
                        parsed, name: name, tlsService: tlsService, builder: builder, context: ctx,
                        timeoutMilliseconds: timeout, stop: stop, policy: policy
                    ) { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            thread.name = "nostr-dns watch"
            thread.start()
        }
    }

    /// The loop of `watch`: `RecordFollowServer` (the follow loop of
    /// `resolve --follow` too) on a reconnecting pool, until `stop`.
    static func follow(
        _ name: NostrName, name text: String, tlsService: String?, builder: RelayPoolBuilder,
        context: Secp256k1Context, timeoutMilliseconds: Int64, stop: LoopStop, policy: AddressPolicy,
        yield: @escaping (NameRecords) -> Void
    ) throws(NostrDNSError) {
        var queries: [RecordQuery] = [.addresses(of: name.publicKey, label: name.label)]
        if let tlsService { queries.append(.tlsKeys(of: name.publicKey, service: tlsService)) }
        do throws(PlatformError) {
            let pool = try builder.pool(reconnect: true, timeoutMilliseconds: timeoutMilliseconds)
            let output = WatchOutput { selections in
                yield(
                    NameRecords(
                        name: text, selections[0], tlsService == nil ? nil : selections[1], policy: policy,
                        author: name.publicKey))
            }
            try RecordFollowServer(
                queries, pool: pool, context: context, timeoutMilliseconds: timeoutMilliseconds, output: output
            ).run(stop: stop)
        } catch {
            throw NostrDNSError(error)
        }
    }

    static func parse(_ name: String) throws(NostrDNSError) -> NostrName {
        do throws(NostrError) { return try NostrName(parsing: name) } catch { throw .invalidName(name) }
    }

    static func noAnswer(_ lookup: RecordLookup) -> NostrDNSError {
        var failures: [String] = []
        for (r, url) in lookup.relays.enumerated() {
            failures.append(url.text + ": " + (lookup.failures[r] ?? "no answer"))
        }
        return .noRelayAnswered(failures: failures)
    }
}

/// What the relays say about a name.
public struct NameRecords: Equatable, Sendable {
    /// The name as asked.
    public var name: String
    /// The addresses (IPv4 first) of the newest valid address record; nil
    /// when there is none (or none was asked for).
    public var addresses: [IPAddress]?
    /// How long the addresses may be cached: the record's `ttl`, clamped to
    /// [30 s, 1 day], else 60 s.
    public var ttl: Duration
    /// The TLS key of the newest valid TLS key record of the service asked; nil when none.
    public var tlsKey: TLSKey?
    /// The signed events behind the answer (address record first), for
    /// programs that keep or forward them.
    public var events: [SignedEvent]

    init(name: String, _ address: RecordSelection?, _ tls: RecordSelection?, policy: AddressPolicy, author: Bytes32) {
        self.name = name
        var events: [SignedEvent] = []
        if let meaning = address?.meaning, let best = address?.best {
            addresses = policy.answered(meaning.addresses, author: author)
            ttl = .seconds(meaning.ttl ?? 60)
            events.append(SignedEvent(best))
        } else {
            addresses = nil
            ttl = .seconds(60)
        }
        if let record = tls?.meaning?.tlsKey, let best = tls?.best {
            tlsKey = TLSKey(record)
            events.append(SignedEvent(best))
        } else {
            tlsKey = nil
        }
        self.events = events
    }
}

/// A TLS key an npub vouches for (kind 30059; DANE TLSA 3 1 1 data).
public struct TLSKey: Equatable, Sendable {
    /// The service, e.g. "https".
    public var service: String
    /// SHA-256 of the certificate's DER SubjectPublicKeyInfo, 64 lowercase hex digits.
    public var spkiSHA256: String
    /// Where it is served (the `u` tag), e.g. "https://<npub>.nostr:4443".
    public var url: String?
    /// When it stops being valid (the `exp` tag; for the seed format, the certificate's notAfter).
    public var expires: Date?
    /// The certificate, PEM.
    public var certificatePEM: String

    init(_ r: TLSKeyRecord) {
        service = r.service
        spkiSHA256 = r.spkiSHA256.hex
        url = r.url
        expires = r.expires.map { Date(timeIntervalSince1970: TimeInterval($0)) }
        certificatePEM = r.certificatePEM
    }

    public init(service: String = "https", spkiSHA256: String, url: String? = nil, expires: Date? = nil, certificatePEM: String) {
        self.service = service
        self.spkiSHA256 = spkiSHA256
        self.url = url
        self.expires = expires
        self.certificatePEM = certificatePEM
    }
}

/// What `watch` does with `RecordFollowServer`'s news: yields each new
/// answer (a failed relay is reconnected by the pool and not reported).
final class WatchOutput: RecordFollowOutput {
    let changed: ([RecordSelection]) -> Void
    init(_ changed: @escaping ([RecordSelection]) -> Void) { self.changed = changed }
    func relayFailed(_ url: RelayURL, _ message: String) {}
    func recordsChanged(_ selections: [RecordSelection]) { changed(selections) }
}
