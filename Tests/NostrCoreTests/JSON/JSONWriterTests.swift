import Testing

@testable import NostrCore

/// One row of the NIP-01 string escaping table.
struct EscapeCase: CustomTestStringConvertible, Sendable {
    let name: String
    let input: [UInt8]
    /// The expected JSON text between the quotes.
    let output: String
    var testDescription: String { name }
}

/// A small deterministic generator (SplitMix64) so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private func written(_ body: (inout JSONWriter) -> Void) -> String {
    var w = JSONWriter()
    body(&w)
    return String(decoding: w.bytes, as: UTF8.self)
}

/// Writes `s` as a JSON string, parses it back and returns the decoded bytes.
private func roundTrip(_ s: String) throws -> (bytes: [UInt8], string: String?) {
    var w = JSONWriter()
    w.string(s)
    var reader = JSONReader()
    try reader.parse(w.bytes)
    return w.bytes.withUnsafeBytes { p in
        reader.withRoot(p) { root in
            var out: [UInt8] = []
            root.appendString(to: &out)
            return (out, root.string)
        }
    }
}

@Suite struct JSONWriterTests {
    /// NIP-01: "\"", "\\", LF, CR, TAB, BS and FF get their short escapes,
    /// other control characters `\u00xx` (lowercase hex), everything else
    /// (DEL, `/`, non-ASCII) verbatim.
    static let escapes: [EscapeCase] = [
        EscapeCase(name: "quote", input: [0x22], output: #"\""#),
        EscapeCase(name: "backslash", input: [0x5C], output: #"\\"#),
        EscapeCase(name: "line feed", input: [0x0A], output: #"\n"#),
        EscapeCase(name: "carriage return", input: [0x0D], output: #"\r"#),
        EscapeCase(name: "tab", input: [0x09], output: #"\t"#),
        EscapeCase(name: "backspace 0x08", input: [0x08], output: #"\b"#),
        EscapeCase(name: "form feed 0x0C", input: [0x0C], output: #"\f"#),
        EscapeCase(name: "0x01", input: [0x01], output: #"\u0001"#),
        EscapeCase(name: "0x0b vertical tab", input: [0x0B], output: #"\u000b"#),
        EscapeCase(name: "0x1b escape", input: [0x1B], output: #"\u001b"#),
        EscapeCase(name: "0x1f", input: [0x1F], output: #"\u001f"#),
        EscapeCase(name: "0x00", input: [0x00], output: #"\u0000"#),
        EscapeCase(name: "0x7f verbatim", input: [0x7F], output: "\u{7F}"),
        EscapeCase(name: "slash verbatim", input: [0x2F], output: "/"),
        EscapeCase(name: "space verbatim", input: [0x20], output: " "),
        EscapeCase(name: "e-acute verbatim", input: Array("é".utf8), output: "é"),
        EscapeCase(name: "flamingo verbatim", input: Array("🦩".utf8), output: "🦩"),
        EscapeCase(name: "U+2028 verbatim", input: Array("\u{2028}".utf8), output: "\u{2028}"),
        EscapeCase(name: "mixed", input: Array("a\"b\\c\nd\u{1}é/".utf8), output: #"a\"b\\c\nd\u0001é/"#),
    ]

    @Test(arguments: escapes)
    func stringEscaping(_ c: EscapeCase) {
        var w = JSONWriter()
        w.string(c.input)
        #expect(w.bytes == [0x22] + Array(c.output.utf8) + [0x22])
        // The String overload writes the same bytes.
        if let s = String(validating: c.input, as: UTF8.self) {
            #expect(written { $0.string(s) } == "\"" + c.output + "\"")
        }
    }

    @Test func everyASCIICharacterEscapesAsNIP01Requires() {
        for c in UInt8(0)...0x7F {
            var w = JSONWriter()
            w.string([c])
            let body = Array(w.bytes.dropFirst().dropLast())
            switch c {
            case 0x22, 0x5C, 0x0A, 0x0D, 0x09, 0x08, 0x0C: #expect(body.count == 2 && body[0] == 0x5C, "\(c)")
            case 0..<0x20:
                let hex = String(c, radix: 16)
                #expect(body == Array(("\\u00" + (hex.count == 1 ? "0" : "") + hex).utf8), "\(c)")
            default: #expect(body == [c], "\(c)")
            }
        }
    }

    @Test(arguments: [0, 7, -1, 10, -10, 1_700_000_000, Int64.min, Int64.max, Int64.min + 1, Int64.max - 1] as [Int64])
    func intsMatchStringDescription(_ v: Int64) {
        #expect(written { $0.int(v) } == String(v))
        #expect(written { $0.int(Int(v)) } == String(v))
    }

    @Test func hexOfBytes32() throws {
        let b = try Bytes32((0..<32).map { UInt8($0) })
        #expect(written { $0.hex(b) } == "\"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\"")
        let ff = try Bytes32(Array(repeating: UInt8(0xFF), count: 32))
        #expect(written { $0.hex(ff) } == "\"" + String(repeating: "f", count: 64) + "\"")
        #expect(written { $0.hex(Bytes32.zero) } == "\"" + String(repeating: "0", count: 64) + "\"")
    }

    @Test func rawAndResetBuildDocuments() {
        var w = JSONWriter()
        w.raw("[")
        w.int(1)
        w.raw(UInt8(ascii: ","))
        w.string("a")
        w.raw("]")
        #expect(String(decoding: w.bytes, as: UTF8.self) == #"[1,"a"]"#)
        w.reset()
        #expect(w.bytes.isEmpty)
        w.raw("null")
        #expect(String(decoding: w.bytes, as: UTF8.self) == "null")
    }

    @Test func parsedStringIsReescapedCanonically() throws {
        let input = Array(#"["\u00e9\/\u0001\u001F\"\n\ud83e\udda9", "plain é"]"#.utf8)
        var reader = JSONReader()
        try reader.parse(input)
        let out: [String] = input.withUnsafeBytes { p in
            reader.withRoot(p) { root in
                root.elements.map { v in
                    var w = JSONWriter()
                    w.string(jsonValue: v)
                    return String(decoding: w.bytes, as: UTF8.self)
                }
            }
        }
        #expect(out == [#""é/\u0001\u001f\"\n🦩""#, #""plain é""#])
    }

    static let trickyStrings: [String] = {
        var list: [String] = [
            "",
            String(decoding: (UInt8(0)...0x7F).map { $0 }, as: UTF8.self),
            "\"\\/\u{8}\u{c}\n\r\t",
            "\\u0041",  // looks like an escape but is literal text
            "\\",
            "\"",
            "héllo wörld ñ 日本語 한국어 العربية עברית",
            "🦩🏳️‍🌈👨‍👩‍👧‍👦 e\u{301} \u{FEFF}\u{200B}\u{2028}\u{2029}",
            "\u{0}\u{0}",
            "\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}\u{10FFFF}",
            "\u{D7FF}\u{E000}\u{FFFD}",
            String(repeating: "x", count: 10_000),
        ]
        for c in UInt8(0)...0x7F { list.append(String(UnicodeScalar(c))) }
        return list
    }()

    @Test func trickyStringsRoundTrip() throws {
        for s in Self.trickyStrings {
            let (bytes, string) = try roundTrip(s)
            #expect(bytes == Array(s.utf8), "\(s.debugDescription)")
            #expect(string == s, "\(s.debugDescription)")
        }
    }

    /// A random Unicode scalar, biased toward the interesting ranges
    /// (ASCII with controls, 2-byte, 3-byte around surrogates, 4-byte).
    static func randomScalar(_ g: inout SplitMix64) -> Unicode.Scalar {
        while true {
            let v: UInt32
            switch UInt8.random(in: 0..<5, using: &g) {
            case 0: v = UInt32.random(in: 0...0x7F, using: &g)
            case 1: v = UInt32.random(in: 0x80...0x7FF, using: &g)
            case 2: v = UInt32.random(in: 0x800...0xFFFF, using: &g)
            case 3: v = UInt32.random(in: 0x10000...0x10FFFF, using: &g)
            default: v = [0x00, 0x1F, 0x22, 0x5C, 0x2F, 0x7F, 0xD7FF, 0xE000, 0xFEFF, 0xFFFF, 0x10FFFF].randomElement(using: &g)!
            }
            if let s = Unicode.Scalar(v) { return s }  // skips surrogates
        }
    }

    @Test func randomValidUTF8StringsRoundTrip() throws {
        var g = SplitMix64(state: 0x6E6F_7374_7264_6E73)  // "nostrdns"
        for _ in 0..<500 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...48, using: &g) { scalars.append(Self.randomScalar(&g)) }
            let s = String(scalars)
            let (bytes, string) = try roundTrip(s)
            #expect(bytes == Array(s.utf8), "\(s.debugDescription)")
            #expect(string == s, "\(s.debugDescription)")
            // The writer's output is itself free of raw control characters.
            var w = JSONWriter()
            w.string(s)
            #expect(!w.bytes.contains { $0 < 0x20 })
        }
    }
}
