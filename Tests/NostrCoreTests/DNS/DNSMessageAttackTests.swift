import Testing

@testable import NostrCore

/// Hostile messages for the DNS reader, named after the attack (in the
/// manner of lwIP's mdns tests). Offsets in comments are message offsets;
/// the question's name starts at 12.
@Suite struct DNSMessageAttackTests {
    typealias F = DNSFixtures

    @Test func truncatedHeaderIsRefused() {
        for n in 0..<12 {
            #expect(F.code(Array(F.header()[0..<n])) == .dnsTruncated)
        }
    }

    @Test func questionCountLargerThanThePacketIsRefused() {
        // 12-octet header claiming 65535 questions, one real question.
        let m = F.header(qd: 0xFFFF) + F.flat("a.nostr") + F.be16(1) + F.be16(1)
        #expect(F.code(m) == .dnsCounts)
    }

    @Test func recordCountsLargerThanThePacketAreRefused() {
        for (an, ns, ar) in [(UInt16(0xFFFF), UInt16(0), UInt16(0)), (0, 0xFFFF, 0), (0, 0, 0xFFFF), (3, 3, 3)] {
            let m = F.header(qd: 0, an: an, ns: ns, ar: ar) + [0] + F.be16(1) + F.be16(1) + [0, 0, 0, 0] + F.be16(0)
            #expect(F.code(m) == .dnsCounts)
        }
    }

    @Test func countsThatFitTheMinimumButNotTheRealRecordsAreTruncated() {
        // Two questions claimed (10 octets minimum), 10 octets present, but the first name is long.
        let m = F.header(qd: 2) + [3, 0x61, 0x62, 0x63, 0] + F.be16(1) + F.be16(1) + [0]
        #expect(F.code(m) == .dnsTruncated)
    }

    @Test func pointerToItselfIsRefused() {
        // 12: C0 0C — points at its own offset.
        let m = F.header() + [0xC0, 0x0C] + F.be16(1) + F.be16(1)
        #expect(F.code(m) == .dnsPointer)
    }

    @Test func pointerLoopBetweenTwoNamesIsRefused() {
        // Question 1 at 12: 01 'a' C0 17 (forward, to question 2's name at 23).
        // Question 2 at 20+... a loop needs a forward jump, which is refused.
        var m = F.header(qd: 2)
        m += [0x01, 0x61, 0xC0, 0x16] + F.be16(1) + F.be16(1)  // 12..<20, pointer to 22
        m += [0x00, 0x00]  // pad to 22
        m += [0x01, 0x62, 0xC0, 0x0C] + F.be16(1) + F.be16(1)  // 22: b -> 12 -> a -> 22 -> ...
        #expect(F.code(m) == .dnsPointer)
    }

    @Test func loopThroughALabelIsRefused() {
        // 12: 01 'a' C0 0C — label 'a' then a pointer back to 12: strictly
        // backwards from the pointer, but not from the start of the labels
        // being read, so it would loop forever.
        let m = F.header() + [0x01, 0x61, 0xC0, 0x0C] + F.be16(1) + F.be16(1)
        #expect(F.code(m) == .dnsPointer)
    }

    @Test func forwardPointerIsRefused() {
        // 12: C0 12 -> 18, where a valid name sits after the question fields.
        let m = F.header() + [0xC0, 0x12] + F.be16(1) + F.be16(1) + [0x01, 0x61, 0x00]
        #expect(F.code(m) == .dnsPointer)
    }

    @Test func pointerIntoTheHeaderIsRefused() {
        let m = F.header() + [0xC0, 0x04] + F.be16(1) + F.be16(1)
        #expect(F.code(m) == .dnsPointer)
    }

    @Test func halfPointerAtTheEndIsRefused() {
        // 12: 05 "abcde" C0 — the pointer's second octet is missing. (Seven
        // octets pass the count check for one 5-octet question.)
        let q = F.header(qd: 1) + [0x05, 0x61, 0x62, 0x63, 0x64, 0x65, 0xC0]
        #expect(F.code(q) == .dnsPointer)
        // A record's owner that is a lone 0xC0 as the last octet.
        let r = F.header(qd: 0, ar: 1) + [0x01, 0x61, 0x01, 0x62, 0x01, 0x63, 0x01, 0x64, 0x01, 0x65, 0xC0]
        #expect(F.code(r) == .dnsPointer)
    }

    @Test func reservedLabelTypesAreRefused() {
        for type: UInt8 in [0x40, 0x41, 0x80, 0xBF] {
            let m = F.header() + [type, 0x61, 0x00] + F.be16(1) + F.be16(1)
            #expect(F.code(m) == .dnsLabelType)
        }
    }

    @Test func labelLengthOver63IsRefused() {
        // RFC 1035 §2.3.4: labels are 63 octets or less. A length octet of
        // 64–191 has a reserved type in its top bits (0b01, 0b10): refused
        // before any octet of the "label" is read.
        for length: UInt8 in [64, 100, 127, 128, 191] {
            let m = F.header() + [length] + Array(repeating: 0x61, count: Int(length)) + [0] + F.be16(1) + F.be16(1)
            #expect(F.code(m) == .dnsLabelType)
        }
        // The writer refuses them too.
        let long = [UInt8(64)] + Array(repeating: 0x61, count: 64) + [0]
        #expect(
            errorCode {
                _ = try F.write { (w) throws(NostrError) in
                    try long.asName { (n) throws(NostrError) in try w.appendQuestion(n, type: 1, rawClass: 1) }
                }
            } == .dnsName)
    }

    @Test func labelRunningPastTheEndIsTruncated() {
        let m = F.header() + [0x3F] + Array(repeating: 0x61, count: 20)
        #expect(F.code(m) == .dnsTruncated)
    }

    @Test func nameOverLongIsRefused() {
        // Four 63-octet labels: 4 * 64 + 1 = 257 > 255.
        var name: [UInt8] = []
        for _ in 0..<4 { name += [63] + Array(repeating: 0x61, count: 63) }
        let m = F.header() + name + [0] + F.be16(1) + F.be16(1)
        #expect(F.code(m) == .dnsName)
        // 3 * 64 + 62 + 1 = 255: the longest allowed.
        var ok: [UInt8] = []
        for _ in 0..<3 { ok += [63] + Array(repeating: 0x61, count: 63) }
        ok += [61] + Array(repeating: 0x62, count: 61)
        #expect(F.code(F.header() + ok + [0] + F.be16(1) + F.be16(1)) == nil)
    }

    @Test func nameOverLongThroughPointersIsRefused() {
        // Question 1: 63 a's. Each further question adds a 63-octet label and
        // points to the previous name; the fourth reaches 257 octets.
        var m = F.header(qd: 4)
        var starts: [Int] = []
        var previous: Int? = nil
        for _ in 0..<4 {
            starts.append(m.count)
            m += [63] + Array(repeating: 0x61, count: 63)
            if let p = previous { m += [0xC0 | UInt8(p >> 8), UInt8(p & 0xFF)] } else { m += [0] }
            m += F.be16(1) + F.be16(1)
            previous = starts.last
        }
        #expect(F.code(m) == .dnsName)
    }

    @Test func tooManyJumpsAreRefused() {
        // 12: a root question (00, type, class) = 12..<17; 17: a root name
        // (00); then a chain of 200 pointers, each pointing at the one
        // before (so every jump is strictly backwards). Reading the last
        // follows 200 jumps: more than c-ares' 128.
        let head = F.header(qd: 1) + [0x00] + F.be16(1) + F.be16(1)
        var chain: [UInt8] = [0x00]
        var target = head.count
        for _ in 0..<200 {
            let here = head.count + chain.count
            chain += [0xC0 | UInt8(target >> 8), UInt8(target & 0xFF)]
            target = here
        }
        let bytes = head + chain
        let result = errorCode {
            _ = try bytes.withBytes { (p) throws(NostrError) in try DNSName.scan(p, at: target) }
        }
        #expect(result == .dnsPointer)
        // The 100th pointer needs 100 jumps: fine.
        let ok = errorCode {
            _ = try bytes.withBytes { (p) throws(NostrError) in try DNSName.scan(p, at: head.count + 1 + 2 * 99) }
        }
        #expect(ok == nil)
    }

    @Test func questionMissingTypeAndClassIsTruncated() {
        let m = F.header(qd: 1) + [0x01, 0x61, 0x00, 0x00, 0x01]
        #expect(F.code(m) == .dnsTruncated)
    }

    @Test func rdataLengthPastTheEndIsTruncated() {
        let m = F.header(qd: 0, an: 1) + [0x00] + F.be16(1) + F.be16(1) + [0, 0, 0, 60] + F.be16(4) + [1, 2, 3]
        #expect(F.code(m) == .dnsTruncated)
    }

    @Test func twoOPTRecordsAreRefused() {
        let opt: [UInt8] = [0x00] + F.be16(41) + F.be16(1232) + [0, 0, 0, 0] + F.be16(0)
        let m = F.query("a.nostr")
        var two = m + opt + opt
        two[11] = 2
        #expect(F.code(two) == .dnsMessage)
        var one = m + opt
        one[11] = 1
        #expect(F.code(one) == nil)
    }

    @Test func optWithANameOrOutsideAdditionalIsRefused() {
        let named: [UInt8] = [0x01, 0x61, 0x00] + F.be16(41) + F.be16(1232) + [0, 0, 0, 0] + F.be16(0)
        var m = F.query("a.nostr") + named
        m[11] = 1
        #expect(F.code(m) == .dnsMessage)
        let opt: [UInt8] = [0x00] + F.be16(41) + F.be16(1232) + [0, 0, 0, 0] + F.be16(0)
        var inAnswer = F.query("a.nostr") + opt
        inAnswer[7] = 1
        #expect(F.code(inAnswer) == .dnsMessage)
    }

    @Test func rdataNameMayNotRunPastItsRecord() {
        // PTR whose rdata (length 2) holds the start of a longer name.
        let m = F.header(qd: 0, an: 1) + [0x00] + F.be16(12) + F.be16(1) + [0, 0, 0, 60] + F.be16(2) + [0x01, 0x61, 0x00]
        var fixed = m
        fixed[4] = 0; fixed[5] = 0
        // The message has 1 trailing octet after the record, which the reader does not read.
        let result = errorCode {
            try fixed.withBytes { (p) throws(NostrError) in
                var r = try DNSMessageReader(p)
                let rr = try r.nextRecord()!
                _ = try r.rdataName(rr, at: 0)
            }
        }
        #expect(result == .dnsMessage)
    }

    @Test func malformedNSECBitmapsAreRefused() {
        func nsec(_ rdata: [UInt8]) -> NostrError.Code? {
            let m = F.header(qd: 0, an: 1) + [0x00] + F.be16(47) + F.be16(1) + [0, 0, 0, 60] + F.be16(UInt16(rdata.count)) + rdata
            return errorCode {
                try m.withBytes { (p) throws(NostrError) in
                    var r = try DNSMessageReader(p)
                    _ = try r.nsec(r.nextRecord()!)
                }
            }
        }
        #expect(nsec([0x00, 0x00, 0x01, 0x40]) == nil)  // window 0, 1 octet: type 1 (A)
        #expect(nsec([0x00, 0x00, 0x00]) == .dnsMessage)  // zero-length bitmap
        #expect(nsec([0x00, 0x00, 33] + Array(repeating: 0, count: 33)) == .dnsMessage)  // over 32
        #expect(nsec([0x00, 0x00, 0x01, 0x40, 0x00, 0x01, 0x40]) == .dnsMessage)  // window repeated
        #expect(nsec([0x00, 0x00, 0x04, 0x40]) == .dnsMessage)  // bitmap past the rdata
        #expect(nsec([0x00, 0x00]) == .dnsMessage)  // half a window header
    }

    @Test func randomMutationsNeverCrashTheReader() {
        // A valid response, then every single-octet change and every prefix.
        let base = try! F.write { (w) throws(NostrError) in
            try F.flat("www.npub1abc.nostr").asName { (n) throws(NostrError) in
                try w.appendQuestion(n, type: DNSType.a, rawClass: DNSClass.in)
                try w.appendRecord(
                    .answer, name: n, type: DNSType.a, rawClass: DNSClass.in, ttl: 60,
                    rdata: UnsafeRawBufferPointer(start: nil, count: 0))
            }
            try w.appendOPT(DNSEDNS(udpPayloadSize: 1232))
        }
        for n in 0...base.count { _ = F.code(Array(base[0..<n])) }
        var g = SystemRandomNumberGenerator()
        for i in 0..<base.count {
            for _ in 0..<16 {
                var m = base
                m[i] = UInt8.random(in: 0...255, using: &g)
                _ = F.code(m)
            }
        }
    }
}
