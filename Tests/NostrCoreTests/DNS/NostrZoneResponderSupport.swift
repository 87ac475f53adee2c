import Testing

@testable import NostrCore

/// A lookup from a table: keys not in it are `.pending` (a lookup would
/// start). Records which keys were asked.
struct TableLookup: NostrZoneLookup {
    var table: [ResolverKey: NostrZoneRecords] = [:]
    var asked: [ResolverKey] = []

    mutating func records(_ key: ResolverKey, now: Int64) -> NostrZoneRecords {
        asked.append(key)
        return table[key] ?? .pending
    }
}

/// Drives a `NostrZoneResponder` and reads its answers.
struct ZoneHarness {
    var responder = NostrZoneResponder(soa: DNSResponder.SOA(negativeTTL: 60, serial: 7), forwardsOtherNames: false)
    var lookup = TableLookup()

    typealias Answer = (header: DNSHeader, items: [(DNSSection, String, UInt16, UInt16, [UInt8])], edns: DNSEDNS?)

    mutating func outcome(_ query: [UInt8], tcp: Bool = false, buffer: Int = 65535) -> (NostrZoneResponder.Outcome, [UInt8]) {
        var out = [UInt8](repeating: 0, count: buffer)
        let outcome: NostrZoneResponder.Outcome = query.withUnsafeBytes { q in
            out.withUnsafeMutableBytes { o in responder.respond(to: q, overTCP: tcp, into: o, now: 0, lookup: &lookup) }
        }
        if case .reply(let n) = outcome { return (outcome, Array(out[0..<n])) }
        return (outcome, [])
    }

    /// The answer to `query`; nil (and an issue recorded) when there is none.
    mutating func answer(_ query: [UInt8], tcp: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) -> Answer? {
        let (outcome, bytes) = outcome(query, tcp: tcp)
        guard case .reply = outcome else {
            Issue.record("no reply: \(outcome)", sourceLocation: sourceLocation)
            return nil
        }
        do {
            let (h, items, edns) = try DNSFixtures.readAll(bytes)
            return (h, items, edns)
        } catch {
            Issue.record("answer does not parse: \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }
}

/// Ends a test whose answer is missing (`ZoneHarness.answer` has recorded why).
struct MissingAnswer: Error {}

func must<T>(_ value: T?) throws -> T {
    guard let value else { throw MissingAnswer() }
    return value
}
