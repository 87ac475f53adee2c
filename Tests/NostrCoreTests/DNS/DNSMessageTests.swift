import Testing

@testable import NostrCore

@Suite struct DNSMessageTests {
    typealias F = DNSFixtures

    @Test func readsAQueryInPlace() throws {
        let m = F.query("WWW.Example.nostr", type: DNSType.aaaa)
        let (h, items, edns) = try F.readAll(m)
        #expect(h.id == 0x1234 && h.recursionDesired && !h.isResponse && h.opcode == 0)
        #expect(items.count == 1)
        #expect(items[0].1 == "WWW.Example.nostr.")
        #expect(items[0].2 == DNSType.aaaa && items[0].3 == DNSClass.in)
        #expect(edns == nil)
    }

    @Test func headerFlagsRoundTrip() {
        var h = DNSHeader()
        h.isResponse = true; h.isAuthoritative = true; h.isTruncated = true; h.recursionDesired = true
        h.opcode = 5; h.rcode = 3; h.checkingDisabled = true
        #expect(h.flags == 0x8000 | 5 << 11 | 0x0400 | 0x0200 | 0x0100 | 0x0010 | 3)
        h.isTruncated = false
        #expect(!h.isTruncated && h.rcode == 3 && h.opcode == 5)
    }

    @Test func namesCompareIgnoringASCIICaseOnly() throws {
        let m = F.query("NpUb.NOSTR")
        try m.withBytes { (p) throws(NostrError) in
            var r = try DNSMessageReader(p)
            let q = try r.nextQuestion()!
            try F.flat("npub.nostr").asName { #expect(r.name(q.name, equals: $0)) }
            try F.flat("npub.nostra").asName { #expect(!r.name(q.name, equals: $0)) }
            try F.flat("npuc.nostr").asName { #expect(!r.name(q.name, equals: $0)) }
        }
        // 0xC1 and 0xE1 differ only in bit 5 but are not letters.
        #expect(![0x01, 0xC1, 0x00].withUnsafeBytes { a in [0x01, 0xE1, 0x00].withUnsafeBytes { DNSFlatName.equal(a, $0) } })
        #expect([0x01, 0x41, 0x00].withUnsafeBytes { a in [0x01, 0x61, 0x00].withUnsafeBytes { DNSFlatName.equal(a, $0) } })
        // '@' (0x40) and '`' (0x60) are not case variants either.
        #expect(![0x01, 0x40, 0x00].withUnsafeBytes { a in [0x01, 0x60, 0x00].withUnsafeBytes { DNSFlatName.equal(a, $0) } })
    }

    @Test func writerCompressesAnswersToTheQuestionAndEchoesItsCase() throws {
        let q = F.flat("WwW.NPUB.nostr")
        let lower = F.flat("www.npub.nostr")
        let m = try F.write { (w) throws(NostrError) in
            w.header.id = 7
            w.header.isResponse = true
            try q.asName { (n) throws(NostrError) in try w.appendQuestion(n, type: DNSType.a, rawClass: DNSClass.in) }
            try lower.asName { (n) throws(NostrError) in
                try [UInt8]([192, 0, 2, 1]).withBytes { (rd) throws(NostrError) in
                    try w.appendRecord(.answer, name: n, type: DNSType.a, rawClass: DNSClass.in, ttl: 300, rdata: rd)
                }
            }
        }
        // Header + question (16 + 4) + answer: pointer (2) + 10 + 4.
        #expect(m.count == 12 + 16 + 4 + 2 + 10 + 4)
        #expect(m[32] == 0xC0 && m[33] == 12)
        let (h, items, _) = try F.readAll(m)
        #expect(h.id == 7 && h.isResponse && h.answerCount == 1)
        #expect(items[1].0 == .answer && items[1].1 == "WwW.NPUB.nostr." && items[1].4 == [192, 0, 2, 1])
    }

    @Test func writerCompressesASharedSuffix() throws {
        let m = try F.write { (w) throws(NostrError) in
            try F.flat("a.npub.nostr").asName { (n) throws(NostrError) in try w.appendQuestion(n, type: DNSType.a, rawClass: 1) }
            try F.flat("b.npub.nostr").asName { (n) throws(NostrError) in
                try w.beginRecord(.authority, name: n, type: DNSType.soa, rawClass: 1, ttl: 60)
                try F.flat("nostr").asName { (r) throws(NostrError) in try w.appendName(r, compress: true) }
                w.endRecord()
            }
        }
        let (_, items, _) = try F.readAll(m)
        #expect(items[1].1 == "b.npub.nostr.")
        // Owner: 01 'b' + pointer to "npub.nostr" at 14 = 4 octets; rdata: pointer to "nostr" at 19.
        #expect(m[30..<34] == [0x01, 0x62, 0xC0, 14])
        #expect(Array(items[1].4) == [0xC0, 19])
    }

    @Test func ednsIsReadAndWritten() throws {
        let m = try F.write { (w) throws(NostrError) in
            try F.flat("x.nostr").asName { (n) throws(NostrError) in try w.appendQuestion(n, type: DNSType.a, rawClass: 1) }
            try w.appendOPT(DNSEDNS(udpPayloadSize: 1232, extendedRCode: 1, version: 0, dnssecOK: true))
        }
        let (h, items, edns) = try F.readAll(m)
        #expect(h.additionalCount == 1 && items.count == 2)
        #expect(edns == DNSEDNS(udpPayloadSize: 1232, extendedRCode: 1, version: 0, dnssecOK: true))
        #expect(DNSEDNS(udpPayloadSize: 100).effectivePayloadSize == 512)
        #expect(m.suffix(11) == [0x00, 0x00, 41, 0x04, 0xD0, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00])
    }

    @Test func writerThrowsNoSpaceAndRollsBackForTC() throws {
        var truncated = false
        let m = try F.write(limit: 60) { (w) throws(NostrError) in
            w.header.isResponse = true
            try F.flat("n.nostr").asName { (n) throws(NostrError) in try w.appendQuestion(n, type: DNSType.a, rawClass: 1) }
            let mark = w.mark()
            do throws(NostrError) {
                for i in 0..<10 {
                    try F.flat("n.nostr").asName { (n) throws(NostrError) in
                        try [UInt8]([10, 0, 0, UInt8(i)]).withBytes { (rd) throws(NostrError) in
                            try w.appendRecord(.answer, name: n, type: DNSType.a, rawClass: 1, ttl: 60, rdata: rd)
                        }
                    }
                }
            } catch {
                #expect(error.code == .dnsNoSpace)
                w.rollback(to: mark)
                w.header.isTruncated = true
                truncated = true
            }
        }
        #expect(truncated)
        let (h, items, _) = try F.readAll(m)
        #expect(h.isTruncated && h.isResponse && h.answerCount == 0 && items.count == 1)
        #expect(m.count == 12 + 9 + 4)
    }

    @Test func aRecordThatDoesNotFitLeavesTheMessageUnchanged() throws {
        let m = try F.write(limit: 12 + 9 + 4 + 5) { (w) throws(NostrError) in
            try F.flat("n.nostr").asName { (n) throws(NostrError) in try w.appendQuestion(n, type: DNSType.a, rawClass: 1) }
            let before = w.count
            let code = errorCode {
                try F.flat("other.name").asName { (n) throws(NostrError) in
                    try w.appendRecord(
                        .answer, name: n, type: DNSType.a, rawClass: 1, ttl: 1,
                        rdata: UnsafeRawBufferPointer(start: nil, count: 0))
                }
            }
            #expect(code == .dnsNoSpace)
            #expect(w.count == before && w.header.answerCount == 0)
        }
        #expect(try F.readAll(m).1.count == 1)
    }

    @Test func multicastBitsAndSeveralQuestions() throws {
        let m = try F.write { (w) throws(NostrError) in
            try F.flat("a.local").asName { (n) throws(NostrError) in
                try w.appendQuestion(n, type: DNSType.a, rawClass: DNSClass.in | DNSClass.topBit)
            }
            try F.flat("b.local").asName { (n) throws(NostrError) in
                try w.appendQuestion(n, type: DNSType.aaaa, rawClass: DNSClass.in)
                try [UInt8](repeating: 0, count: 16).withBytes { (rd) throws(NostrError) in
                    try w.appendRecord(.answer, name: n, type: DNSType.aaaa, rawClass: DNSClass.in | DNSClass.topBit, ttl: 120, rdata: rd)
                }
            }
        }
        try m.withBytes { (p) throws(NostrError) in
            var r = try DNSMessageReader(p)
            let q1 = try r.nextQuestion()!, q2 = try r.nextQuestion()!
            #expect(q1.unicastResponse && q1.dnsClass == DNSClass.in)
            #expect(!q2.unicastResponse && q2.type == DNSType.aaaa)
            #expect(try r.nextQuestion() == nil)
            let a = try r.nextRecord()!
            #expect(a.cacheFlush && a.dnsClass == DNSClass.in && a.ttl == 120 && a.section == .answer)
            #expect(r.name(a.name, equals: q2.name) && !r.name(a.name, equals: q1.name))
            #expect(try r.nextRecord() == nil && r.atEnd)
        }
    }

    @Test func nsecInTheMulticastFormRoundTrips() throws {
        let types = DNSTypeBitmap([DNSType.a, DNSType.aaaa, DNSType.tlsa, 300])
        #expect(types.contains(DNSType.a) && types.contains(DNSType.tlsa) && !types.contains(300) && !types.contains(DNSType.txt))
        let m = try F.write { (w) throws(NostrError) in
            try F.flat("host.local").asName { (n) throws(NostrError) in
                try w.appendNSEC(.additional, name: n, rawClass: DNSClass.in | DNSClass.topBit, ttl: 120, types: types)
            }
        }
        try m.withBytes { (p) throws(NostrError) in
            var r = try DNSMessageReader(p)
            let rr = try r.nextRecord()!
            #expect(rr.type == DNSType.nsec && rr.cacheFlush)
            let (next, read) = try r.nsec(rr)
            #expect(r.name(next, equals: rr.name))
            #expect(read == types)
            // Next name compressed to the owner (2 octets), window 0 with 7 octets (type 52 is in octet 6).
            #expect(rr.rdataLength == 2 + 2 + 7)
        }
    }

    @Test func textNamesFollowTheLengthRules() {
        #expect(F.flat("a.b.") == [1, 0x61, 1, 0x62, 0])
        #expect(F.flat(".") == [0])
        #expect(errorCode { _ = try DNSFlatName.fromText("a..b") } == .dnsName)
        #expect(errorCode { _ = try DNSFlatName.fromText(String(repeating: "x", count: 64) + ".nostr") } == .dnsName)
        #expect(errorCode { _ = try DNSFlatName.fromText(String(repeating: "x", count: 63) + ".nostr") } == nil)
        let long = Array(repeating: String(repeating: "y", count: 63), count: 4).joined(separator: ".")
        #expect(errorCode { _ = try DNSFlatName.fromText(long) } == .dnsName)
        #expect([UInt8]([3, 0x61, 0x2E, 0xFF, 0]).withUnsafeBytes { DNSFlatName.text($0) } == "a\\046\\255.")
    }

    @Test func writerRefusesABadFlatName() {
        let code = errorCode {
            _ = try F.write { (w) throws(NostrError) in
                try [UInt8]([0x40, 0x61, 0]).withBytes { (n) throws(NostrError) in try w.appendQuestion(n, type: 1, rawClass: 1) }
            }
        }
        #expect(code == .dnsName)
    }
}
