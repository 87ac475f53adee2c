import Testing

@testable import NostrCore

/// Signed events for the resolution rules (the Design article, "Records on nostr").
enum Selection {
    static let context = EventFixtures.context
    static let author3 = try! context.publicKey(of: EventFixtures.secret3)
    static let author7 = try! context.publicKey(of: EventFixtures.secret7)
    static let t0 = EventFixtures.createdAt
    static let now = t0 + 3600

    /// A kind-30053 record of `ip` under `label`, signed by key 3 (or `secret`).
    static func address(
        _ ip: String, at createdAt: Int64 = t0, label: String = "", extra: [[String]] = [],
        secret: SecretKey = EventFixtures.secret3
    ) -> Event {
        var t = AddressRecord(label: label, addresses: [try! IPAddress(parsing: ip)]).template(createdAt: createdAt)
        t.tags += extra
        return signed(t, secret: secret)
    }

    /// A seed-format kind-30000 record (content as Python's json.dumps writes it).
    static func seed(_ ip: String, at createdAt: Int64) -> Event {
        signedRecord(kind: 30000, tags: [], content: "{\"ip\": \"\(ip)\"}", createdAt: createdAt)
    }

    static func tlsKey(at createdAt: Int64 = t0, service: String = "https", exp: Int64? = nil, extra: [[String]] = []) -> Event {
        let key = try! Hex.decode32(String(repeating: "ab", count: 32))
        var t = TLSKeyRecord(service: service, url: nil, spkiSHA256: key, expires: exp, certificatePEM: samplePEM)
            .template(createdAt: createdAt)
        t.tags += extra
        return signed(t)
    }

    static func addresses(label: String = "") -> RecordSelection {
        RecordSelection(query: .addresses(of: author3, label: label))
    }

    static func tlsKeys(service: String = "https") -> RecordSelection {
        RecordSelection(query: .tlsKeys(of: author3, service: service))
    }
}

extension RecordSelection {
    /// `offer` with the fixtures' clock and context.
    mutating func offer(_ e: Event, now: Int64 = Selection.now) -> RecordVerdict {
        offer(e, now: now, context: Selection.context)
    }
}

@Suite struct RecordSelectionTests {
    // MARK: Newest wins, lowest id on a tie

    @Test func newerWinsInEitherOrder() {
        let old = Selection.address("192.0.2.1", at: Selection.t0)
        let new = Selection.address("192.0.2.2", at: Selection.t0 + 10)
        var s = Selection.addresses()
        #expect(s.best == nil)
        #expect(s.offer(old) == .accepted)
        #expect(s.offer(new) == .accepted)
        #expect(s.best == new)
        var r = Selection.addresses()
        #expect(r.offer(new) == .accepted)
        #expect(r.offer(old) == .older)
        #expect(r.best == new)
    }

    @Test func tieGoesToTheLowestId() throws {
        let a = Selection.address("192.0.2.1", at: Selection.t0)
        let b = Selection.address("192.0.2.2", at: Selection.t0)
        try #require(a.id != b.id)
        let (low, high) = a.id < b.id ? (a, b) : (b, a)
        var s = Selection.addresses()
        #expect(s.offer(high) == .accepted)
        #expect(s.offer(low) == .accepted)
        #expect(s.best == low)
        var r = Selection.addresses()
        #expect(r.offer(low) == .accepted)
        #expect(r.offer(high) == .older)
        #expect(r.best == low)
    }

    @Test func theSameEventFromAnotherRelayIsADuplicate() throws {
        let e = Selection.address("192.0.2.1")
        var s = Selection.addresses()
        #expect(s.offer(e) == .accepted)
        #expect(s.offer(try Event(json: e.json)) == .duplicate)
        #expect(s.best == e)
    }

    // MARK: Relays are untrusted: id, signature, author

    @Test func forgedSignaturesAreRefused() throws {
        let good = Selection.address("192.0.2.1", at: Selection.t0)
        var s = Selection.addresses()
        #expect(s.offer(good) == .accepted)

        // A newer record whose signature is another event's.
        var forged = Selection.address("198.51.100.66", at: Selection.t0 + 60)
        forged.sig = good.sig
        #expect(s.offer(forged) == .badSignature)
        // ... a signature of the right id by another key.
        forged.sig = try Selection.context.sign(digest: forged.id, secret: EventFixtures.secret7, auxRand: EventFixtures.auxRand)
        #expect(s.offer(forged) == .badSignature)
        // ... a signature with one bit flipped.
        var flipped = Selection.address("198.51.100.66", at: Selection.t0 + 60)
        var sigBytes = flipped.sig.bytes
        sigBytes[63] ^= 1
        flipped.sig = try Bytes64(sigBytes)
        #expect(s.offer(flipped) == .badSignature)
        // ... no signature.
        forged.sig = .zero
        #expect(s.offer(forged) == .badSignature)
        #expect(s.best == good)
    }

    @Test func tamperedEventsAreRefusedByTheirId() {
        let good = Selection.address("192.0.2.1", at: Selection.t0)
        var s = Selection.addresses()
        #expect(s.offer(good) == .accepted)
        let newer = Selection.address("192.0.2.2", at: Selection.t0 + 60)

        var tags = newer
        tags.tags[1] = ["ip4", "198.51.100.66"]  // a relay redirects the name
        #expect(s.offer(tags) == .badId)
        var content = newer
        content.content = "x"
        #expect(s.offer(content) == .badId)
        var replayed = good
        replayed.createdAt = Selection.t0 + 120  // an old record made to look new
        #expect(s.offer(replayed) == .badId)
        var stolen = Selection.address("198.51.100.66", at: Selection.t0 + 60, secret: EventFixtures.secret7)
        stolen.pubkey = Selection.author3  // key 7's event passed off as key 3's
        #expect(s.offer(stolen) == .badId)
        #expect(s.best == good)
    }

    @Test func otherAuthorsAreRefused() {
        var s = Selection.addresses()
        #expect(s.offer(Selection.address("192.0.2.1", secret: EventFixtures.secret7)) == .wrongAuthor)
        #expect(s.best == nil)
    }

    /// BIP-340 test vector 5: a public key that is not on the curve.
    @Test func anAuthorKeyOffTheCurveNeverVerifies() throws {
        let offCurve = try Hex.decode32("eefdea4cdb677750a420fee807eacf21eb9898ae79b9768766e4faa04a2d4a34")
        let t = AddressRecord(label: "", addresses: [.v4(0x0102_0304)]).template(createdAt: Selection.t0)
        let id = Event.computeId(pubkey: offCurve, createdAt: t.createdAt, kind: t.kind, tags: t.tags, content: t.content)
        let e = Event(
            id: id, pubkey: offCurve, createdAt: t.createdAt, kind: t.kind, tags: t.tags, content: t.content,
            sig: Selection.address("1.2.3.4").sig)
        var s = RecordSelection(query: .addresses(of: offCurve, label: ""))
        #expect(s.offer(e) == .badSignature)
        #expect(s.best == nil)
    }

    // MARK: Kind and d

    @Test func wrongKindsAreRefused() {
        var s = Selection.addresses()
        #expect(s.offer(signedRecord(kind: 1, tags: [["d", ""]], content: "hi")) == .wrongKind)
        #expect(s.offer(Selection.tlsKey()) == .wrongKind)
        #expect(s.offer(signedRecord(kind: 30001, tags: [], content: samplePEM)) == .wrongKind)
        var t = Selection.tlsKeys()
        #expect(t.offer(Selection.address("192.0.2.1")) == .wrongKind)
        #expect(t.offer(Selection.seed("192.0.2.1", at: Selection.t0)) == .wrongKind)
        #expect(s.best == nil && t.best == nil)
    }

    @Test func wrongLabelsAreRefused() {
        var s = Selection.addresses(label: "")
        #expect(s.offer(Selection.address("192.0.2.1", label: "www")) == .wrongLabel)
        var w = Selection.addresses(label: "www")
        #expect(w.offer(Selection.address("192.0.2.1", label: "")) == .wrongLabel)
        #expect(w.offer(Selection.address("192.0.2.1", label: "WWW")) == .wrongLabel)  // d is matched exactly
        #expect(w.offer(Selection.address("192.0.2.1", label: "www.")) == .wrongLabel)
        #expect(w.offer(Selection.address("192.0.2.9", label: "www")) == .accepted)
        #expect(s.best == nil)
    }

    @Test func theFirstDTagIsTheLabel() {
        var s = Selection.addresses(label: "www")
        let decoy = signedRecord(kind: 30053, tags: [["d", ""], ["d", "www"], ["ip4", "192.0.2.1"]])
        #expect(s.offer(decoy) == .wrongLabel)
        let noD = signedRecord(kind: 30053, tags: [["ip4", "192.0.2.1"]])
        #expect(s.offer(noD) == .notARecord)
    }

    // MARK: Time

    @Test func theFutureIsRefusedBeyondFifteenMinutes() {
        var s = Selection.addresses()
        #expect(s.offer(Selection.address("192.0.2.1", at: Selection.now + 901)) == .future)
        #expect(s.offer(Selection.address("192.0.2.1", at: Selection.now + 100_000_000)) == .future)
        #expect(s.best == nil)
        #expect(s.offer(Selection.address("192.0.2.1", at: Selection.now + 899)) == .accepted)
        #expect(s.offer(Selection.address("192.0.2.2", at: Selection.now + 900)) == .accepted)
        #expect(s.best?.createdAt == Selection.now + 900)
    }

    @Test func expiredRecordsAreRefused() {
        var s = Selection.addresses()
        let expiredNow = Selection.address("192.0.2.1", at: Selection.t0 + 10, extra: [["expiration", "\(Selection.now)"]])
        #expect(s.offer(expiredNow) == .expired)
        #expect(s.best == nil && s.newest?.createdAt == Selection.t0 + 10)
        let live = Selection.address("192.0.2.1", at: Selection.t0 + 20, extra: [["expiration", "\(Selection.now + 1)"]])
        #expect(s.offer(live) == .accepted)
        // An expiry that cannot be read is not "never".
        let unreadable = Selection.address("192.0.2.2", at: Selection.t0 + 30, extra: [["expiration", "tomorrow"]])
        #expect(s.offer(unreadable) == .notARecord)
        #expect(s.best == live)
        // Expired and older than the best: simply older.
        let expiredBefore = Selection.address("192.0.2.1", at: Selection.t0 + 15, extra: [["expiration", "\(Selection.now - 1)"]])
        #expect(s.offer(expiredBefore) == .older)
        #expect(s.best == live)
    }

    @Test func expiredTLSKeysAreRefused() {
        var s = Selection.tlsKeys()
        #expect(s.offer(Selection.tlsKey(at: Selection.t0 + 5, exp: Selection.now)) == .expired)
        #expect(
            s.offer(
                Selection.tlsKey(
                    at: Selection.t0 + 6, exp: Selection.now + 3600,
                    extra: [["expiration", "\(Selection.now - 1)"]])) == .expired)
        #expect(s.offer(Selection.tlsKey(at: Selection.t0 + 7, extra: [["expiration", "\(Selection.now)"]])) == .expired)
        #expect(s.best == nil)
        #expect(s.offer(Selection.tlsKey(at: Selection.t0 + 8, exp: Selection.now + 1)) == .accepted)
        #expect(s.offer(Selection.tlsKey(at: Selection.t0 + 9)) == .accepted)
    }

    // MARK: No rollback (issue 16, item 3a)

    @Test func rollback_older_record_after_an_expired_newest_is_refused_in_either_order() {
        let old = Selection.address("192.0.2.1", at: Selection.t0)
        let newest = Selection.address("192.0.2.2", at: Selection.t0 + 10, extra: [["expiration", "\(Selection.now - 1)"]])
        var a = Selection.addresses()
        #expect(a.offer(old) == .accepted)
        #expect(a.offer(newest) == .expired)
        #expect(a.best == nil && a.meaning == nil)
        var b = Selection.addresses()
        #expect(b.offer(newest) == .expired)
        #expect(b.offer(old) == .older)
        #expect(b.best == nil)
        // A seed-format record of the same name competes by the same rule.
        #expect(b.offer(Selection.seed("192.0.2.3", at: Selection.t0 + 5)) == .older)
        #expect(b.best == nil)
    }

    @Test func rollback_of_a_replaced_tls_key_after_its_successor_expired_is_refused() {
        var s = Selection.tlsKeys()
        #expect(s.offer(Selection.tlsKey(at: Selection.t0 + 10, exp: Selection.now - 1)) == .expired)
        // The 90-day-old key `fetch` used to trust again.
        #expect(s.offer(Selection.tlsKey(at: Selection.t0 - 90 * 86400)) == .older)
        #expect(s.best == nil && s.meaning == nil)
    }

    @Test func rollback_an_expired_newest_with_a_forged_signature_ends_nothing() {
        let live = Selection.address("192.0.2.1", at: Selection.t0)
        var forged = Selection.address("192.0.2.2", at: Selection.t0 + 10, extra: [["expiration", "\(Selection.now - 1)"]])
        forged.sig = Bytes64(low: forged.sig.high, high: forged.sig.low)
        var s = Selection.addresses()
        #expect(s.offer(forged) == .badSignature)
        #expect(s.offer(live) == .accepted)
        #expect(s.offer(forged) == .badSignature)
        #expect(s.best == live)
    }

    // MARK: Size (issue 16, item 2)

    @Test func oversized_address_record_is_refused() {
        var s = Selection.addresses()
        let padding = String(repeating: "x", count: RecordSizeLimit.maxEventBytes)
        let big = Selection.address("192.0.2.66", at: Selection.t0 + 10, extra: [["alt", padding]])
        #expect(s.offer(big) == .tooLarge)
        // Many small tags add up the same way.
        let many = Selection.address("192.0.2.66", at: Selection.t0 + 10, extra: Array(repeating: ["x", "0123456789"], count: 600))
        #expect(s.offer(many) == .tooLarge)
        #expect(s.best == nil && s.newest == nil)
        // What an honest record with many addresses needs is taken.
        var t = AddressRecord(
            label: "", addresses: (0..<64).map { i in try! IPAddress(parsing: "2001:db8:ffff:ffff:ffff:ffff:ffff:" + String(1000 + i)) },
            ttl: 300
        ).template(createdAt: Selection.t0)
        t.tags.append(["expiration", String(Selection.now + 86400)])
        let honest = signed(t)
        #expect(RecordSizeLimit.jsonBytes(honest) < RecordSizeLimit.maxEventBytes / 2)
        #expect(s.offer(honest) == .accepted)
    }

    @Test func oversized_tls_key_and_seed_certificate_records_are_refused() {
        var s = Selection.tlsKeys()
        let huge = String(repeating: "A", count: 1 << 20)
        #expect(s.offer(Selection.tlsKey(at: Selection.t0 + 10, extra: [["x", huge]])) == .tooLarge)
        let pem = "-----BEGIN CERTIFICATE-----\n" + String(repeating: "QUFB", count: 2100) + "\n-----END CERTIFICATE-----\n"
        #expect(s.offer(signedRecord(kind: 30001, tags: [], content: pem, createdAt: Selection.t0 + 10)) == .tooLarge)
        #expect(s.best == nil)
        // An RSA-4096 certificate with six names is about 2,500 bytes of PEM: taken.
        let rsaSized = "-----BEGIN CERTIFICATE-----\n" + String(repeating: "QUFB", count: 630) + "\n-----END CERTIFICATE-----\n"
        let key = try! Hex.decode32(String(repeating: "ab", count: 32))
        let record = signed(
            TLSKeyRecord(service: "https", url: "https://x.nostr:4443", spkiSHA256: key, expires: nil, certificatePEM: rsaSized)
                .template(createdAt: Selection.t0))
        #expect(RecordSizeLimit.admits(record))
        #expect(s.offer(record) == .accepted)
    }

    // MARK: Legacy (seed) records

    @Test func nip51FollowSetIsSkippedAndTheSeedRecordTaken() throws {
        var s = Selection.addresses()
        let followSet = signedRecord(
            kind: 30000, tags: [["d", ""], ["p", Selection.author7.hex]], content: "",
            createdAt: Selection.t0 + 100)
        let namedSet = signedRecord(
            kind: 30000, tags: [["d", "friends"], ["p", Selection.author7.hex]], content: "",
            createdAt: Selection.t0 + 100)
        let encrypted = signedRecord(
            kind: 30000, tags: [], content: "AjhUEuDmvcOP0S2GjNwMT1F8bqkY5JTl?iv=1pB0V0lTn1AtT8QO",
            createdAt: Selection.t0 + 100)
        #expect(s.offer(followSet) == .notARecord)
        #expect(s.offer(namedSet) == .notARecord)
        #expect(s.offer(encrypted) == .notARecord)
        let seed = Selection.seed("216.128.178.176", at: Selection.t0)
        #expect(s.offer(seed) == .accepted)
        #expect(s.best == seed)
        #expect(try LegacyRecord(event: s.best!) == .address(.v4(0xD880_B2B0)))
    }

    @Test func legacyAndCurrentRecordsCompeteByCreatedAt() {
        let current = Selection.address("192.0.2.1", at: Selection.t0)
        let seed = Selection.seed("192.0.2.2", at: Selection.t0 + 5)
        let newer = Selection.address("192.0.2.3", at: Selection.t0 + 10)
        var s = Selection.addresses()
        #expect(s.offer(current) == .accepted)
        #expect(s.offer(seed) == .accepted)
        #expect(s.best == seed)
        #expect(s.offer(newer) == .accepted)
        #expect(s.offer(seed) == .older)
        #expect(s.best == newer)
        // A tie between formats goes to the lowest id, as any tie.
        let seedTie = Selection.seed("192.0.2.4", at: Selection.t0 + 10)
        #expect(s.offer(seedTie) == (seedTie.id < newer.id ? .accepted : .older))
    }

    @Test func legacyRecordsServeOnlyTheSeedsNames() {
        var www = Selection.addresses(label: "www")
        #expect(www.offer(Selection.seed("192.0.2.2", at: Selection.t0)) == .wrongLabel)
        var https = Selection.tlsKeys(service: "https")
        let cert = signedRecord(kind: 30001, tags: [], content: samplePEM)
        #expect(https.offer(cert) == .accepted)
        #expect(https.offer(Selection.tlsKey(at: Selection.t0 + 1)) == .accepted)
        var imaps = Selection.tlsKeys(service: "imaps")
        #expect(imaps.offer(cert) == .wrongLabel)
        #expect(imaps.best == nil)
    }

    @Test func otherKindsAreMatchedByDAlone() {
        var s = RecordSelection(query: RecordQuery(author: Selection.author3, kinds: [30078], label: "app"))
        #expect(s.offer(signedRecord(kind: 30078, tags: [["d", "app"]], content: "anything")) == .accepted)
        #expect(s.offer(signedRecord(kind: 30078, tags: [["d", "other"]], content: "anything")) == .wrongLabel)
    }

    // MARK: Filters

    private func json(_ filters: [Filter]) -> [String] {
        filters.map { String(decoding: $0.json, as: UTF8.self) }
    }

    /// The label "" gets no `#d` (nostr-relay 1.14 never matches `"#d":[""]`
    /// against live events); `offer` refuses the other labels instead.
    @Test func addressFilters() {
        let a = Selection.author3.hex
        #expect(
            json(RecordQuery.addresses(of: Selection.author3, label: "").filters) == [
                "{\"authors\":[\"\(a)\"],\"kinds\":[30053]}",
                "{\"authors\":[\"\(a)\"],\"kinds\":[30000]}",
            ])
        #expect(
            json(RecordQuery.addresses(of: Selection.author3, label: "www").filters) == [
                "{\"authors\":[\"\(a)\"],\"kinds\":[30053],\"#d\":[\"www\"]}"
            ])
    }

    @Test func tlsKeyFilters() {
        let a = Selection.author3.hex
        #expect(
            json(RecordQuery.tlsKeys(of: Selection.author3, service: "https").filters) == [
                "{\"authors\":[\"\(a)\"],\"kinds\":[30059],\"#d\":[\"https\"]}",
                "{\"authors\":[\"\(a)\"],\"kinds\":[30001]}",
            ])
        #expect(
            json(RecordQuery.tlsKeys(of: Selection.author3, service: "imaps").filters) == [
                "{\"authors\":[\"\(a)\"],\"kinds\":[30059],\"#d\":[\"imaps\"]}"
            ])
        #expect(
            json(RecordQuery(author: Selection.author3, kinds: [30000], label: "").filters) == [
                "{\"authors\":[\"\(a)\"],\"kinds\":[30000]}"
            ])
    }

    /// Whatever a relay sends, `best` is only ever an event the filters
    /// match, that verifies and that is a record.
    @Test func bestAlwaysMatchesTheFilters() throws {
        var s = Selection.addresses()
        let events = [
            Selection.address("192.0.2.1", at: Selection.t0),
            Selection.seed("192.0.2.2", at: Selection.t0 + 1),
            Selection.address("192.0.2.3", at: Selection.t0 + 2, label: "www"),
            Selection.address("192.0.2.4", at: Selection.t0 + 3, secret: EventFixtures.secret7),
            Selection.tlsKey(at: Selection.t0 + 4),
        ]
        for e in events {
            _ = s.offer(e)
            let best = try #require(s.best)
            #expect(s.query.filters.contains { $0.matches(best) })
            try best.verify(context: Selection.context)
        }
        #expect(s.best == events[1])
    }
}
