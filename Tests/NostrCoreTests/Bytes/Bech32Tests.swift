import Testing

@testable import NostrCore

/// One string that must not decode, named after what it attacks.
struct InvalidBech32: CustomTestStringConvertible, Sendable {
    let attack: String
    let input: String
    var maxLength: Int = Bech32.defaultMaxLength
    let code: NostrError.Code
    var testDescription: String { attack }
}

@Suite struct Bech32Tests {
    // MARK: BIP-173 appendix, "Test vectors": valid Bech32 strings

    /// BIP-173, "The following strings are valid Bech32", with the payload
    /// each carries when its 5-bit groups are read as 8-bit bytes (checked
    /// against the BIP-173 Python reference, `convertbits(data, 5, 8, False)`).
    static let valid: [(string: String, hrp: String, payloadHex: String)] = [
        ("A12UEL5L", "a", ""),
        ("a12uel5l", "a", ""),
        (
            "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
            "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio", ""
        ),
        ("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", "abcdef", "00443214c74254b635cf84653a56d7c675be77df"),
        (
            "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
            "1", String(repeating: "00", count: 51)
        ),
        (
            "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w", "split",
            "c5f38b70305f519bf66d85fb6cf03058f3dde463ecd7918f2dc743918f2d"
        ),
        ("?1ezyfcl", "?", ""),
    ]

    @Test("BIP-173 valid strings decode", arguments: 0..<valid.count)
    func validVector(_ index: Int) throws {
        let v = Self.valid[index]
        let (hrp, data) = try Bech32.decode(v.string, maxLength: 90)
        #expect(hrp == v.hrp)
        #expect(Hex.encode(data) == v.payloadHex)
        // Encoders write lowercase (BIP-173), so the round trip gives the lowercase form.
        #expect(Bech32.encode(hrp: hrp, data: data) == v.string.lowercased())
    }

    // MARK: Strings that must be rejected

    static let invalid: [InvalidBech32] = [
        // BIP-173 appendix, "The following string are not valid Bech32".
        InvalidBech32(attack: "hrp char out of range: space (0x20)", input: "\u{20}1nwldj5", code: .bech32Syntax),
        InvalidBech32(attack: "hrp char out of range: DEL (0x7F)", input: "\u{7F}1axkwrx", code: .bech32Syntax),
        InvalidBech32(attack: "hrp char out of range: U+0080", input: "\u{80}1eym55h", code: .bech32Syntax),
        InvalidBech32(
            attack: "overlong: 91 characters, over BIP-173's 90",
            input: "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
            maxLength: 90, code: .bech32Length),
        InvalidBech32(
            attack: "overlong hrp: 84 characters, over BIP-173's 83, at the default limit",
            input: "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
            code: .bech32Length),
        InvalidBech32(attack: "no separator", input: "pzry9x0s0muk", code: .bech32Syntax),
        InvalidBech32(attack: "empty hrp", input: "1pzry9x0s0muk", code: .bech32Syntax),
        InvalidBech32(attack: "invalid data char 'b'", input: "x1b4n0q5v", code: .bech32Syntax),
        InvalidBech32(attack: "too-short checksum", input: "li1dgmt3", code: .bech32Length),
        InvalidBech32(attack: "invalid char in checksum (U+00FF)", input: "de1lg7wt\u{FF}", code: .bech32Syntax),
        InvalidBech32(attack: "checksum computed over the uppercase hrp", input: "A1G7SGD8", code: .bech32Checksum),
        InvalidBech32(attack: "empty hrp, data '0a06t8'", input: "10a06t8", code: .bech32Syntax),
        InvalidBech32(attack: "empty hrp, data 'qzzfhee'", input: "1qzzfhee", code: .bech32Syntax),
        // BIP-173 appendix, invalid segwit addresses that are invalid as plain bech32 too.
        InvalidBech32(
            attack: "mixed case",
            input: "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sL5k7", code: .bech32Syntax),
        InvalidBech32(
            attack: "non-zero padding (BIP-173 segwit vector)",
            input: "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3pjxtptv", code: .bech32Padding),
        InvalidBech32(
            attack: "bad checksum (BIP-173 segwit vector)",
            input: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", code: .bech32Checksum),
        // Built with the BIP-173 Python reference (`bech32_encode`) from chosen 5-bit groups.
        InvalidBech32(
            attack: "non-zero padding: NIP-19 npub with the last pad bit set",
            input: "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8pl6x5k6", code: .bech32Padding),
        InvalidBech32(attack: "padding over 4 bits: 9 zero groups (45 bits)", input: "a1qqqqqqqqqvgade4", code: .bech32Padding),
        InvalidBech32(attack: "padding over 4 bits: 1 zero group (5 bits)", input: "a1q3g6mn3", code: .bech32Padding),
        InvalidBech32(
            attack: "bech32m checksum rejected: npub under the BIP-350 constant",
            input: "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qhszdw2", code: .bech32Checksum),
        // BIP-350 appendix, valid Bech32m strings: NIP-19 is bech32-(not-m), so each is a checksum error.
        InvalidBech32(attack: "bech32m checksum rejected: A1LQFN3A", input: "A1LQFN3A", code: .bech32Checksum),
        InvalidBech32(attack: "bech32m checksum rejected: a1lqfn3a", input: "a1lqfn3a", code: .bech32Checksum),
        InvalidBech32(
            attack: "bech32m checksum rejected: abcdef…",
            input: "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx", code: .bech32Checksum),
        InvalidBech32(
            attack: "bech32m checksum rejected: 11lll…",
            input: "11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
            code: .bech32Checksum),
        InvalidBech32(
            attack: "bech32m checksum rejected: split…",
            input: "split1checkupstagehandshakeupstreamerranterredcaperredlc445v", code: .bech32Checksum),
        InvalidBech32(attack: "bech32m checksum rejected: ?1v759aa", input: "?1v759aa", code: .bech32Checksum),
        // Our own.
        InvalidBech32(attack: "empty string", input: "", code: .bech32Syntax),
        InvalidBech32(attack: "separator only", input: "1", code: .bech32Syntax),
        InvalidBech32(
            attack: "one character changed (NIP-19 npub example, 'q' -> 'p')",
            input: "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9pkw038js35mp4dma8qzvjptg", code: .bech32Checksum),
        InvalidBech32(
            attack: "two adjacent characters swapped (NIP-19 npub example)",
            input: "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjpgt", code: .bech32Checksum),
        InvalidBech32(
            attack: "truncated: last checksum character dropped",
            input: "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjpt", code: .bech32Checksum),
        InvalidBech32(
            attack: "mixed case in the hrp only",
            input: "nPUB10ELFCS4FR0L0R8AF98JLMGDH9C8TCXJVZ9QKW038JS35MP4DMA8QZVJPTG", code: .bech32Syntax),
        InvalidBech32(
            attack: "whitespace around the string",
            input: " npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg", code: .bech32Syntax),
        InvalidBech32(
            attack: "excluded data char 'o'",
            input: "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8ozvjptg", code: .bech32Syntax),
        InvalidBech32(
            attack: "overlong: 5001 characters at the default limit",
            input: "a1" + String(repeating: "q", count: 4999), code: .bech32Length),
    ]

    @Test("invalid strings throw", arguments: invalid)
    func invalidVector(_ v: InvalidBech32) {
        #expect(throws: NostrError.self) { try Bech32.decode(v.input, maxLength: v.maxLength) }
        do throws(NostrError) {
            _ = try Bech32.decode(v.input, maxLength: v.maxLength)
        } catch {
            #expect(error.code == v.code, "\(v.attack): got \(error.reason)")
        }
    }

    // MARK: Error positions

    @Test func errorOffsetPointsAtTheBadCharacter() {
        do throws(NostrError) {
            _ = try Bech32.decode("x1b4n0q5v")
            Issue.record("accepted an invalid data character")
        } catch {
            #expect(error == NostrError(.bech32Syntax, at: 2))
        }
        do throws(NostrError) {
            _ = try Bech32.decode("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sL5k7")
            Issue.record("accepted mixed case")
        } catch {
            #expect(error == NostrError(.bech32Syntax, at: 58))
        }
    }

    // MARK: Encoding and round trips

    @Test func encodesEmptyPayload() throws {
        // BIP-173 Python reference: bech32_encode("npub", []).
        #expect(Bech32.encode(hrp: "npub", data: []) == "npub106246s")
        let (hrp, data) = try Bech32.decode("npub106246s")
        #expect(hrp == "npub")
        #expect(data.isEmpty)
    }

    @Test func encoderWritesLowercase() throws {
        let s = Bech32.encode(hrp: "ABCDEF", data: try Hex.decode("00443214c74254b635cf84653a56d7c675be77df"))
        #expect(s == "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw")
    }

    @Test func uppercaseStringDecodesToLowercaseHRP() throws {
        let (hrp, data) = try Bech32.decode("NPUB10ELFCS4FR0L0R8AF98JLMGDH9C8TCXJVZ9QKW038JS35MP4DMA8QZVJPTG")
        #expect(hrp == "npub")
        #expect(Hex.encode(data) == "7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e")
    }

    @Test("round trip of every payload length 0...100", arguments: 0...100)
    func roundTrip(_ length: Int) throws {
        // A deterministic, non-trivial payload (an LCG), so every bit position is exercised.
        var state: UInt32 = 0x1234_5678 &+ UInt32(length)
        var payload: [UInt8] = []
        for _ in 0..<length {
            state = state &* 1_664_525 &+ 1_013_904_223  // wrapping: LCG arithmetic mod 2^32
            payload.append(UInt8(truncatingIfNeeded: state >> 24))
        }
        for hrp in ["a", "npub", "nprofile", "x1y"] {
            let s = Bech32.encode(hrp: hrp, data: payload)
            #expect(s.utf8.count == hrp.utf8.count + 1 + (length * 8 + 4) / 5 + 6)
            let decoded = try Bech32.decode(s)
            #expect(decoded.hrp == hrp)
            #expect(decoded.data == payload)
            #expect(try Bech32.decode(s.uppercased()).data == payload)
        }
    }

    @Test func allOnesAndAllZerosRoundTrip() throws {
        for byte: UInt8 in [0x00, 0xff] {
            for length in [1, 2, 3, 4, 5, 32, 33] {
                let payload = [UInt8](repeating: byte, count: length)
                #expect(try Bech32.decode(Bech32.encode(hrp: "n", data: payload)).data == payload)
            }
        }
    }

    @Test func everySingleCharacterSubstitutionIsDetected() throws {
        // BIP-173: the code detects any error affecting at most 4 characters.
        let s = "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg"
        let chars = Array(s.utf8)
        let alphabet = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
        for i in 5..<chars.count {
            for c in alphabet where c != chars[i] {
                var mutated = chars
                mutated[i] = c
                #expect(throws: NostrError(.bech32Checksum)) {
                    try Bech32.decode(String(decoding: mutated, as: UTF8.self))
                }
            }
        }
    }

    @Test func longPayloadWithinDefaultLimit() throws {
        // NIP-19 TLV entities go past BIP-173's 90 characters.
        let payload = [UInt8](repeating: 0xa5, count: 3000)
        let s = Bech32.encode(hrp: "nprofile", data: payload)
        #expect(s.utf8.count == 4815)
        #expect(try Bech32.decode(s).data == payload)
        #expect(throws: NostrError(.bech32Length, at: 90)) { try Bech32.decode(s, maxLength: 90) }
    }

    @Test func defaultLimitIs5000Characters() throws {
        #expect(Bech32.defaultMaxLength == 5000)
        // 5000 characters: "a1" + 4992 data + 6 checksum. 4992 groups of 5 bits are 3120 bytes.
        let atLimit = Bech32.encode(hrp: "a", data: [UInt8](repeating: 0, count: 3120))
        #expect(atLimit.utf8.count == 5000)
        #expect(try Bech32.decode(atLimit).data.count == 3120)
        #expect(throws: NostrError(.bech32Length, at: 5000)) { try Bech32.decode(atLimit + "q") }
    }
}
