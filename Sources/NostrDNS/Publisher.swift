import Foundation
import NostrCore
import NostrPlatform

/// Publishes an identity's records to relays: the addresses of its names
/// (kind 30053) and the TLS keys of its services (kind 30059), signed now.
/// Each call opens its own connections on a thread of its own and waits
/// for the relays' OK at most `timeout`.
public struct Publisher: Sendable {
    let builder: RelayPoolBuilder
    public let identity: Identity
    /// How long the relays are waited for (at most a day is used).
    public var timeout: Duration

    public init(identity: Identity, relays: [String], caFile: String? = nil, timeout: Duration = .seconds(10)) throws(NostrDNSError) {
        do throws(PlatformError) {
            builder = try RelayPoolBuilder(relays: relays, caFile: caFile)
        } catch {
            throw NostrDNSError(error)
        }
        self.identity = identity
        self.timeout = timeout
    }

    /// Publishes the addresses of `<label>.<npub>.nostr` ("" for
    /// `<npub>.nostr` itself), with an optional TTL (seconds, clamped by
    /// resolvers to [30, 86400]).
    public func publish(addresses: [IPAddress], label: String = "", ttl: Int? = nil) async throws(NostrDNSError) -> [RelayOutcome] {
        let template = AddressRecord(label: label, addresses: addresses, ttl: ttl).template(createdAt: Clock.unixTime())
        return try await publish(try identity.signEvent(template))
    }

    /// Publishes the TLS key of `service` from a PEM certificate (the key
    /// is the SHA-256 of its SubjectPublicKeyInfo), with the URL it is
    /// served at and when it stops being valid.
    public func publish(
        certificatePEM: String, service: String = "https", url: String? = nil,
        expires: Date? = nil
    ) async throws(NostrDNSError) -> [RelayOutcome] {
        let info: CertificateInfo
        do throws(NostrError) { info = try CertificateInfo(pem: Array(certificatePEM.utf8)) } catch {
            throw .invalidKey("the certificate cannot be read: " + error.reason)
        }
        let record = TLSKeyRecord(
            service: service, url: url, spkiSHA256: info.spkiSHA256,
            expires: expires.map { Int64($0.timeIntervalSince1970) }, certificatePEM: certificatePEM)
        return try await publish(try identity.signEvent(record.template(createdAt: Clock.unixTime())))
    }

    /// Publishes an event signed beforehand.
    public func publish(_ event: SignedEvent) async throws(NostrDNSError) -> [RelayOutcome] {
        try await publish(event.event)
    }

    func publish(_ event: Event) async throws(NostrDNSError) -> [RelayOutcome] {
        let builder = self.builder
        let timeout = self.timeout.milliseconds
        return try await runOnOwnThread { stop in
            Result { () throws(NostrDNSError) -> [RelayOutcome] in
                do throws(PlatformError) {
                    let report = try Publication.run([event], relays: builder, timeoutMilliseconds: timeout, stop: { stop.isRaised })
                    return report.relays.indices.map { RelayOutcome(relay: report.relays[$0].text, report.outcomes[0][$0]) }
                } catch {
                    throw NostrDNSError(error)
                }
            }
        }
    }
}

/// What one relay said about a published event.
public struct RelayOutcome: Equatable, Sendable {
    public var relay: String
    /// The relay stored it (NIP-01 OK true).
    public var accepted: Bool
    /// The relay's message, or why it could not be reached.
    public var message: String

    public init(relay: String, accepted: Bool, message: String) {
        self.relay = relay
        self.accepted = accepted
        self.message = message
    }

    init(relay: String, _ outcome: PublishOutcome) {
        self.relay = relay
        switch outcome {
        case .accepted: accepted = true; message = ""
        case .rejected(let m): accepted = false; message = m
        case .failed(let m): accepted = false; message = m
        }
    }
}
