import Testing

@testable import NostrCore

/// Base64 (RFC 4648), SHA-1 (FIPS 180), UTF-8 validation and the frame codec.
@Suite struct WebSocketPrimitivesTests {
    // RFC 4648 §10.
    static let base64Vectors: [(String, String)] = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ]

    @Test(arguments: base64Vectors)
    func base64RFC4648(plain: String, encoded: String) {
        #expect(Base64.encodedString(WS.bytes(plain)) == encoded)
        #expect(Base64.decode(WS.bytes(encoded)) == WS.bytes(plain))
    }

    @Test func base64AllByteValuesRoundTrip() {
        for n in 0..<70 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let e = Base64.encode(bytes)
            #expect(e.count == Base64.encodedCount(n))
            #expect(Base64.decode(e) == bytes)
        }
    }

    @Test(arguments: ["Zg=", "Zh==", "Zm9=", "Zm9v\n", " Zm9v", "Z===", "====", "Zm=v", "Zg==Zg==", "Zm9-", "Zm9_"])
    func base64RejectsNonCanonical(text: String) {
        #expect(Base64.decode(WS.bytes(text)) == nil)
    }

    // FIPS 180-2 appendix A and the empty string.
    @Test(arguments: [
        ("abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
    ])
    func sha1(input: String, digest: String) {
        #expect(Hex.encode(SHA1.hash(WS.bytes(input))) == digest)
    }

    /// RFC 6455 §1.3 (and §4.2.2): the accept value of the sample nonce.
    @Test func acceptOfTheRFCExample() {
        #expect(WebSocketClient.accept(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test(arguments: [
        [UInt8](), WS.bytes("plain ASCII, longer than eight bytes"), WS.bytes("é ü ñ €"), [0xF0, 0x9F, 0x98, 0x80],
        [0xEF, 0xBF, 0xBF], [0xF4, 0x8F, 0xBF, 0xBF], [0xED, 0x9F, 0xBF], [0xC2, 0x80], [0xE0, 0xA0, 0x80], [0xF0, 0x90, 0x80, 0x80],
    ])
    func utf8Valid(bytes: [UInt8]) {
        #expect(UTF8Validation.isValid(bytes))
    }

    @Test(
        arguments: [
            ([0xC0, 0xAF], 0), ([0xC1, 0xBF], 0), ([0xE0, 0x80, 0xAF], 0), ([0xF0, 0x80, 0x80, 0xAF], 0),  // overlong
            ([0xED, 0xA0, 0x80], 0), ([0xED, 0xBF, 0xBF], 0),  // surrogates
            ([0xF4, 0x90, 0x80, 0x80], 0), ([0xF5, 0x80, 0x80, 0x80], 0), ([0xFF], 0),  // above U+10FFFF, never used
            ([0x80], 0), ([0x41, 0xBF], 1), ([0xE2, 0x82], 0), ([0x41, 0x42, 0xE2, 0x28, 0xA1], 2),  // stray, truncated, bad continuation
            (Array("12345678abcdefgh".utf8) + [0xC0, 0x80], 16),
        ] as [([UInt8], Int)])
    func utf8Invalid(bytes: [UInt8], offset: Int) {
        #expect(bytes.withUnsafeBytes { UTF8Validation.firstInvalidOffset($0) } == offset)
    }

    /// RFC 6455 §5.7: "A single-frame masked text message".
    @Test func maskedHelloExample() throws {
        let frame: [UInt8] = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
        let h = try #require(try frame.withBytes { (p) throws(NostrError) in try WebSocketFrameHeader.decode(p, masked: true) })
        #expect(h == WebSocketFrameHeader(fin: true, opcode: .text, maskKey: 0x37fa_213d, length: 5, headerLength: 6))
        var payload = Array(frame[6...])
        payload.withUnsafeMutableBytes { WebSocketMask.apply(0x37fa_213d, to: $0) }
        #expect(WS.text(payload) == "Hello")
        // Re-encoding gives the same header.
        var out: [UInt8] = []
        h.encode(appendingTo: &out)
        #expect(out == Array(frame[0..<6]))
    }

    @Test func maskPhaseAndLongBuffers() {
        let key: UInt32 = 0x0102_0304
        let plain = (0..<37).map { UInt8($0) }
        for phase in 0..<4 {
            var a = plain
            a.withUnsafeMutableBytes { WebSocketMask.apply(key, to: $0, phase: phase) }
            let keyBytes: [UInt8] = [1, 2, 3, 4]
            #expect(a == plain.enumerated().map { $0.element ^ keyBytes[($0.offset + phase) % 4] })
        }
    }

    @Test(arguments: [(0, 2), (125, 2), (126, 4), (0xFFFF, 4), (0x10000, 10), (1 << 40, 10)] as [(Int, Int)])
    func headerLengthsAreMinimal(length: Int, unmaskedSize: Int) throws {
        for key in [nil, UInt32(0xA1B2_C3D4)] {
            let h = WebSocketFrameHeader(fin: true, opcode: .binary, maskKey: key, length: UInt64(length), headerLength: 0)
            var out: [UInt8] = []
            h.encode(appendingTo: &out)
            let size = unmaskedSize + (key == nil ? 0 : 4)
            #expect(out.count == size)
            #expect(WebSocketFrameHeader.encodedLength(payload: length, masked: key != nil) == size)
            let back = try out.withBytes { (p) throws(NostrError) in try WebSocketFrameHeader.decode(p, masked: key != nil) }
            #expect(back == WebSocketFrameHeader(fin: true, opcode: .binary, maskKey: key, length: UInt64(length), headerLength: size))
            // Every proper prefix asks for more bytes.
            for k in 0..<out.count {
                let prefix = Array(out[0..<k])
                #expect(try prefix.withBytes { (p) throws(NostrError) in try WebSocketFrameHeader.decode(p, masked: key != nil) } == nil)
            }
        }
    }

    @Test func nonMinimalLengthsAreTolerated() throws {
        // 5 bytes announced in the 16-bit and the 64-bit forms.
        for header in [[0x81, 126, 0, 5], [0x81, 127, 0, 0, 0, 0, 0, 0, 0, 5]] as [[UInt8]] {
            let h = try header.withBytes { (p) throws(NostrError) in try WebSocketFrameHeader.decode(p, masked: false) }
            #expect(h?.length == 5)
            var c = WS.openClient()
            let r = WS.run(&c, header + WS.bytes("Hello"), .whole)
            #expect(r.error == nil)
            #expect(r.events.map(\.0) == [.text])
            #expect(r.events.first?.1 == WS.bytes("Hello"))
        }
    }

    @Test func closeCodeValidity() {
        let valid = (0...UInt16.max).filter { WebSocketCloseCode.isValidOnWire($0) }
        #expect(valid == Array(1000...1003) + Array(1007...1011) + Array(3000...4999))
    }
}
