import Foundation
import Testing

@testable import NostrCore

/// One meaning per record: what `RecordMeaning` reads from each format, and
/// that `RecordSelection` keeps it with the record it selects.
@Suite struct RecordMeaningTests {
    @Test func currentAddressRecordMeansItsAddressesAndClampedTTL() throws {
        var t = AddressRecord(
            label: "", addresses: [try IPAddress(parsing: "2001:db8::1"), try IPAddress(parsing: "192.0.2.1")],
            ttl: 5, expiration: Selection.t0 + 7200
        ).template(createdAt: Selection.t0)
        t.tags.append(["x", "ignored"])
        let meaning = try RecordMeaning(event: signed(t))
        #expect(meaning.addresses == [try IPAddress(parsing: "192.0.2.1"), try IPAddress(parsing: "2001:db8::1")])
        #expect(meaning.ttl == 30)
        #expect(meaning.expiresAt == Selection.t0 + 7200)
        #expect(!meaning.isSeedFormat && meaning.tlsKey == nil)
    }

    @Test func seedAddressRecordMeansOneAddressForSixtySeconds() throws {
        let meaning = try RecordMeaning(event: Selection.seed("216.128.178.176", at: Selection.t0))
        #expect(meaning.content == .addresses([.v4(0xD880_B2B0)], ttl: 60))
        #expect(meaning.expiresAt == nil && meaning.isSeedFormat)
    }

    @Test func tlsKeyRecordExpiresAtTheEarlierOfExpAndExpiration() throws {
        let late = Selection.tlsKey(exp: Selection.t0 + 900, extra: [["expiration", String(Selection.t0 + 600)]])
        #expect(try RecordMeaning(event: late).expiresAt == Selection.t0 + 600)
        let early = Selection.tlsKey(exp: Selection.t0 + 300, extra: [["expiration", String(Selection.t0 + 600)]])
        let meaning = try RecordMeaning(event: early)
        #expect(meaning.expiresAt == Selection.t0 + 300)
        #expect(meaning.tlsKey?.spkiSHA256.hex == String(repeating: "ab", count: 32))
        #expect(meaning.addresses.isEmpty && meaning.ttl == nil)
    }

    @Test func seedCertificateMeansTheKeyOfItsCertificate() throws {
        let pem = String(decoding: try VectorFiles.data("certificate-p256.pem"), as: UTF8.self)
        let info = try CertificateInfo(pem: Array(pem.utf8))
        let meaning = try RecordMeaning(event: signedRecord(kind: 30001, tags: [], content: pem))
        #expect(
            meaning.tlsKey
                == TLSKeyRecord(
                    service: "https", url: nil, spkiSHA256: info.spkiSHA256,
                    expires: info.notAfter, certificatePEM: pem))
        // notAfter is reported, not enforced: the seed's records carry no expiry.
        #expect(meaning.expiresAt == nil && meaning.isSeedFormat)
    }

    @Test func seedCertificateMbedTLSCannotReadIsARecordWithoutAKey() throws {
        let meaning = try RecordMeaning(event: signedRecord(kind: 30001, tags: [], content: samplePEM))
        #expect(meaning.content == .unreadableCertificate && meaning.tlsKey == nil)
    }

    @Test func nip51SetOfASeedKindIsNotARecord() {
        let followSet = signedRecord(kind: 30000, tags: [["d", ""], ["p", Selection.author7.hex]], content: "")
        #expect(throws: NostrError(.recordShape)) { try RecordMeaning(event: followSet) }
    }

    @Test func otherKindsMeanOnlyTheirExpiration() throws {
        let e = signedRecord(kind: 30078, tags: [["d", "x"], ["expiration", String(Selection.t0 + 5)]])
        let meaning = try RecordMeaning(event: e)
        #expect(meaning.content == .other && meaning.expiresAt == Selection.t0 + 5)
        let bad = signedRecord(kind: 30078, tags: [["d", "x"], ["expiration", "soon"]])
        #expect(throws: NostrError(.recordShape)) { try RecordMeaning(event: bad) }
    }

    @Test func selectionKeepsTheMeaningOfTheRecordItSelected() throws {
        var s = Selection.addresses()
        #expect(s.meaning == nil)
        let old = Selection.address("192.0.2.1", at: Selection.t0)
        let new = Selection.seed("192.0.2.2", at: Selection.t0 + 10)
        #expect(s.offer(new) == .accepted)
        #expect(s.offer(old) == .older)
        #expect(s.meaning == (try RecordMeaning(event: new)))
        #expect(s.meaning?.addresses == [try IPAddress(parsing: "192.0.2.2")])
    }

    @Test func expiredRecordIsRefusedByItsMeaningsExpiry() {
        var s = Selection.tlsKeys()
        #expect(s.offer(Selection.tlsKey(exp: Selection.now)) == .expired)
        #expect(s.best == nil && s.meaning == nil)
    }
}
