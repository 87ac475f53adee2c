import Testing

@testable import NostrCore

/// Parses `bytes`; returns the error, or nil if the document was accepted.
private func parseError(_ bytes: [UInt8], limits: JSONLimits = JSONLimits()) -> NostrError? {
    var reader = JSONReader(limits: limits)
    do {
        try reader.parse(bytes)
        return nil
    } catch {
        return error
    }
}

private func parseError(_ text: String, limits: JSONLimits = JSONLimits()) -> NostrError? {
    parseError(Array(text.utf8), limits: limits)
}

/// A JSON string literal around raw `bytes`: `"` + bytes + `"`.
private func quoted(_ bytes: [UInt8]) -> [UInt8] { [0x22] + bytes + [0x22] }

/// Parses `bytes` and calls `body` with the root value. (Token offsets are
/// relative, so any buffer holding the same bytes is a valid input.)
private func withDocument<R>(
    _ bytes: [UInt8], limits: JSONLimits = JSONLimits(),
    _ body: (JSONValue) throws -> R
) throws -> R {
    var reader = JSONReader(limits: limits)
    try reader.parse(bytes)
    return try bytes.withUnsafeBytes { p in
        try reader.withRoot(p) { (v) throws -> R in try body(v) }
    }
}

private func withDocument<R>(_ text: String, _ body: (JSONValue) throws -> R) throws -> R {
    try withDocument(Array(text.utf8), body)
}

private func decoded(_ v: JSONValue) -> [UInt8] {
    var out: [UInt8] = []
    v.appendString(to: &out)
    return out
}

private func stringEquals(_ v: JSONValue, _ s: String) -> Bool {
    Array(s.utf8).withUnsafeBytes { v.stringEquals($0) }
}

/// `depth` nested arrays around `1`: `[[[1]]]`.
private func nestedArrays(_ depth: Int) -> String {
    String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth)
}

/// `depth` nested containers alternating array/object: `[{"a":[{"a":1}]}]`.
private func nestedMixed(_ depth: Int) -> String {
    var open = "", close = ""
    for d in 0..<depth {
        if d % 2 == 0 { open += "["; close = "]" + close } else { open += "{\"a\":"; close = "}" + close }
    }
    return open + "1" + close
}

@Suite struct JSONReaderTests {
    // MARK: Limits

    @Test(arguments: [1, 2, 5, 32])
    func nestingAtMaxDepthIsAccepted(_ maxDepth: Int) {
        let limits = JSONLimits(maxDepth: maxDepth)
        #expect(parseError(nestedArrays(maxDepth), limits: limits) == nil)
        #expect(parseError(nestedMixed(maxDepth), limits: limits) == nil)
        // Empty innermost containers count as a level too.
        #expect(
            parseError(
                String(repeating: "[", count: maxDepth) + String(repeating: "]", count: maxDepth),
                limits: limits) == nil)
    }

    @Test(arguments: [1, 2, 5, 32])
    func oneBeyondMaxDepthIsRejected(_ maxDepth: Int) {
        let limits = JSONLimits(maxDepth: maxDepth)
        #expect(parseError(nestedArrays(maxDepth + 1), limits: limits)?.code == .jsonDepth)
        #expect(parseError(nestedMixed(maxDepth + 1), limits: limits)?.code == .jsonDepth)
        #expect(
            parseError(
                String(repeating: "[", count: maxDepth + 1) + String(repeating: "]", count: maxDepth + 1),
                limits: limits)?.code == .jsonDepth)
        // The error points at the opening bracket that is one too deep.
        #expect(parseError(nestedArrays(maxDepth + 1), limits: limits)?.offset == maxDepth)
    }

    @Test func depthIsNotCumulativeAcrossSiblings() {
        let limits = JSONLimits(maxDepth: 3)
        #expect(parseError("[[[1]],[[2]],{\"a\":[3]},[[]]]", limits: limits) == nil)
    }

    @Test func documentLargerThanMaxBytesIsRejected() {
        let limits = JSONLimits(maxBytes: 16)
        let exact = "[\"" + String(repeating: "a", count: 12) + "\"]"  // 16 bytes
        #expect(exact.utf8.count == 16)
        #expect(parseError(exact, limits: limits) == nil)
        let over = "[\"" + String(repeating: "a", count: 13) + "\"]"  // 17 bytes
        #expect(parseError(over, limits: limits)?.code == .jsonTooLarge)
        // Trailing whitespace counts toward the size too.
        #expect(parseError(exact + " ", limits: limits)?.code == .jsonTooLarge)
    }

    @Test func moreValuesThanMaxValuesAreRejected() {
        let limits = JSONLimits(maxValues: 4)
        #expect(parseError("[1,2,3]", limits: limits) == nil)  // 4 values: array + 3
        #expect(parseError("[1,2,3,4]", limits: limits)?.code == .jsonTooManyValues)
        // Object keys are values on the tape.
        #expect(parseError("{\"a\":1,\"b\":2}", limits: limits)?.code == .jsonTooManyValues)
        #expect(parseError("{\"a\":[]}", limits: limits) == nil)
        // A flood of tiny values under the default limit (65536).
        let flood = "[" + Array(repeating: "0", count: 70_000).joined(separator: ",") + "]"
        #expect(parseError(flood)?.code == .jsonTooManyValues)
    }

    // MARK: Escapes

    @Test func loneHighSurrogateEscapeIsRejected() {
        #expect(parseError(#""\uD800""#)?.code == .jsonBadEscape)
        #expect(parseError(#"["\udbff"]"#)?.code == .jsonBadEscape)
        #expect(parseError(#"{"\uD800":1}"#)?.code == .jsonBadEscape)
    }

    @Test func highSurrogateFollowedByNonLowIsRejected() {
        #expect(parseError(#""\uD800\u0041""#)?.code == .jsonBadEscape)
        #expect(parseError(#""\uD800\uD800""#)?.code == .jsonBadEscape)
        #expect(parseError(#""\uD800A""#)?.code == .jsonBadEscape)
        #expect(parseError(#""\uD800\n""#)?.code == .jsonBadEscape)
        #expect(parseError(#""\uD800\uE000""#)?.code == .jsonBadEscape)
    }

    @Test func loneLowSurrogateIsRejected() {
        #expect(parseError(#""\uDC00""#)?.code == .jsonBadEscape)
        #expect(parseError(#""\uDFFF""#)?.code == .jsonBadEscape)
        // Inverted pair: low then high.
        #expect(parseError(#""\uDC00\uD800""#)?.code == .jsonBadEscape)
    }

    @Test(arguments: [#""\u12"#, #""\u12""#, #"["\u12"]"#, #""\u"#, #""\"#, #""\uD800\u12""#, #""\uZZZZ""#, #""\x41""#, #""\U0041""#])
    func truncatedEscapeIsRejected(_ text: String) {
        #expect(parseError(text)?.code == .jsonBadEscape)
    }

    // MARK: UTF-8

    @Test(
        arguments: [
            [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF], [0xF0, 0x80, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF],
        ] as [[UInt8]])
    func overlongUTF8IsRejected(_ seq: [UInt8]) {
        let error = parseError(quoted(seq))
        #expect(error?.code == .jsonBadUTF8)
        #expect(error?.offset == 1)
    }

    @Test(arguments: [[0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xED, 0xB0, 0x80]] as [[UInt8]])
    func utf8EncodedSurrogateIsRejected(_ seq: [UInt8]) {
        #expect(parseError(quoted(seq))?.code == .jsonBadUTF8)
        // The neighbours just outside the surrogate range are fine.
        #expect(parseError(quoted([0xED, 0x9F, 0xBF])) == nil)  // U+D7FF
        #expect(parseError(quoted([0xEE, 0x80, 0x80])) == nil)  // U+E000
    }

    @Test(
        arguments: [
            [0xF4, 0x90, 0x80, 0x80], [0xF4, 0xBF, 0xBF, 0xBF], [0xF5, 0x80, 0x80, 0x80], [0xF7, 0xBF, 0xBF, 0xBF],
            [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFC, 0x84, 0x80, 0x80, 0x80, 0x80],
        ] as [[UInt8]])
    func codePointAboveU10FFFFIsRejected(_ seq: [UInt8]) {
        #expect(parseError(quoted(seq))?.code == .jsonBadUTF8)
        #expect(parseError(quoted([0xF4, 0x8F, 0xBF, 0xBF])) == nil)  // U+10FFFF itself
    }

    @Test(
        arguments: [
            [0xC3], [0xE2, 0x82], [0xF0, 0x9F, 0xA6], [0xE2], [0x80], [0xBF], [0xFE], [0xFF], [0xE2, 0x28, 0xA1], [0xF0, 0x9F, 0x41, 0xA9],
        ] as [[UInt8]])
    func truncatedMultibyteSequenceIsRejected(_ seq: [UInt8]) {
        // Cut short by the closing quote...
        #expect(parseError(quoted(seq))?.code == .jsonBadUTF8)
        // ...and by the end of the input.
        #expect(parseError([0x22] + seq)?.code == .jsonBadUTF8)
    }

    @Test func validMultibyteSequencesAreAccepted() throws {
        // 2-, 3- and 4-byte forms at the edges of their ranges, plus DEL and U+FEFF inside a string.
        let seqs: [[UInt8]] = [
            [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xEF, 0xBF, 0xBF],
            [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0x7F], [0xEF, 0xBB, 0xBF],
        ]
        for seq in seqs {
            let got = try withDocument(quoted(seq)) { decoded($0) }
            #expect(got == seq)
        }
    }

    // MARK: Grammar

    @Test(arguments: [0x00, 0x01, 0x09, 0x0A, 0x0D, 0x1F] as [UInt8])
    func rawControlCharacterInStringIsRejected(_ c: UInt8) {
        let error = parseError(Array(#"["ab"#.utf8) + [c] + Array(#"c"]"#.utf8))
        #expect(error?.code == .jsonSyntax)
        #expect(error?.offset == 4)
    }

    @Test(arguments: ["{} x", "[1]]", "1 2", #""a""b""#, "{}{}", "null,", "true false", "[1],", "0x10", "1.5.2", "{\"a\":1}}", "[] /* */"])
    func trailingGarbageIsRejected(_ text: String) {
        #expect(parseError(text)?.code == .jsonTrailingBytes)
    }

    @Test func trailingNulByteIsRejected() {
        #expect(parseError(Array("[1]".utf8) + [0x00])?.code == .jsonTrailingBytes)
    }

    @Test func leadingByteOrderMarkIsRejected() {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        for doc in ["{}", "[1]", "\"x\"", "1"] {
            let error = parseError(bom + Array(doc.utf8))
            #expect(error?.code == .jsonSyntax)
            #expect(error?.offset == 0)
        }
        // A BOM between values is not whitespace either.
        #expect(parseError(Array("[1,".utf8) + bom + Array("2]".utf8))?.code == .jsonSyntax)
    }

    @Test(arguments: [
        "NaN", "-NaN", "Infinity", "-Infinity", "+Infinity", "[NaN]", "[Infinity]", "[-Infinity]", "nan", "inf", "{\"a\":NaN}",
    ])
    func nanAndInfinityAreRejected(_ text: String) {
        #expect(parseError(text) != nil)
    }

    @Test(arguments: ["01", "-01", "00", "[01]", "[-012]", "[00.5]", "{\"a\":007}"])
    func leadingZerosAreRejected(_ text: String) {
        #expect(parseError(text) != nil)
    }

    @Test(arguments: ["-", "1.", ".1", "1e", "1e+", "1E-", "[-]", "[1.]", "[.1]", "[1e]", "[1e+]", "-.1", "1.e3", "+1", "[- 1]", "1.0e"])
    func bareMinusAndDanglingFractionOrExponentAreRejected(_ text: String) {
        #expect(parseError(text) != nil)
    }

    @Test(arguments: ["0", "-0", "0.0", "-0.0", "1e3", "1E+3", "1e-3", "-1.5e-10", "123456789012345678901234567890", "[0,-0,1.25]"])
    func wellFormedNumbersAreAccepted(_ text: String) {
        #expect(parseError(text) == nil)
    }

    @Test(arguments: ["", " ", "\n\t\r ", "[", "{", "[1", "[1,", "{\"a\"", "{\"a\":", "{\"a\":1", "\"abc", "tru", "nul", "fals"])
    func truncatedDocumentIsRejected(_ text: String) {
        #expect(parseError(text) != nil)
    }

    @Test func errorOffsetPointsAtTheBadByte() {
        let cases: [(String, NostrError.Code, Int)] = [
            ("[1,]", .jsonSyntax, 3),
            ("[1 2]", .jsonSyntax, 3),
            ("{\"a\" 1}", .jsonSyntax, 5),
            ("{\"a\":1,}", .jsonSyntax, 7),
            ("{1:2}", .jsonSyntax, 1),
            ("[1] x", .jsonTrailingBytes, 4),
            ("[true, tru]", .jsonSyntax, 7),
            ("[\"ok\", \"\\q\"]", .jsonBadEscape, 8),
            ("[\"ok\", \"\\uD800\"]", .jsonBadEscape, 8),
            ("1.", .jsonSyntax, 2),
            ("[1e+]", .jsonSyntax, 4),
            ("   ", .jsonSyntax, 3),
        ]
        for (text, code, offset) in cases {
            let error = parseError(text)
            #expect(error?.code == code, "\(text)")
            #expect(error?.offset == offset, "\(text)")
        }
        // A bad byte after valid multibyte characters.
        let bytes = Array("[\"é🦩".utf8) + [0xC0, 0x80] + Array("\"]".utf8)
        let error = parseError(bytes)
        #expect(error?.code == .jsonBadUTF8)
        #expect(error?.offset == 8)
    }

    // MARK: Value access

    @Test func escapesAreDecoded() throws {
        #expect(try withDocument(#""\u00e9""#) { decoded($0) } == [0xC3, 0xA9])
        #expect(try withDocument(#""\u00E9""#) { $0.string } == "é")
        #expect(try withDocument(#""\ud83e\udda9""#) { decoded($0) } == [0xF0, 0x9F, 0xA6, 0xA9])
        #expect(try withDocument(#""\uD83E\uDDA9""#) { $0.string } == "🦩")
        #expect(try withDocument(#""\/""#) { $0.string } == "/")
        #expect(try withDocument(#""\b\f\n\r\t\"\\""#) { decoded($0) } == [0x08, 0x0C, 0x0A, 0x0D, 0x09, 0x22, 0x5C])
        #expect(try withDocument(#""\u0000""#) { decoded($0) } == [0x00])
        #expect(try withDocument(#""\u20ac\uffff""#) { decoded($0) } == [0xE2, 0x82, 0xAC, 0xEF, 0xBF, 0xBF])
        #expect(
            try withDocument(#""\ud800\udc00\udbff\udfff""#) { decoded($0) }
                == [0xF0, 0x90, 0x80, 0x80, 0xF4, 0x8F, 0xBF, 0xBF])
        #expect(try withDocument(#""a\u0062c\nd""#) { $0.string } == "abc\nd")
        // Unescaped strings come back byte for byte.
        #expect(try withDocument(#""plain é""#) { $0.string } == "plain é")
        // rawBytes keeps the escapes.
        #expect(try withDocument(#""\/x""#) { Array($0.rawBytes) } == Array(#"\/x"#.utf8))
    }

    @Test func int64Boundaries() throws {
        #expect(try withDocument("9223372036854775807") { $0.int64 } == Int64.max)
        #expect(try withDocument("-9223372036854775808") { $0.int64 } == Int64.min)
        #expect(try withDocument("9223372036854775808") { $0.int64 } == nil)
        #expect(try withDocument("-9223372036854775809") { $0.int64 } == nil)
        #expect(try withDocument("99999999999999999999") { $0.int64 } == nil)
        #expect(try withDocument("1.0") { $0.int64 } == nil)
        #expect(try withDocument("1e3") { $0.int64 } == nil)
        #expect(try withDocument("1E3") { $0.int64 } == nil)
        #expect(try withDocument("-0") { $0.int64 } == 0)
        #expect(try withDocument("0") { $0.int64 } == 0)
        #expect(try withDocument("-1") { $0.int64 } == -1)
        #expect(try withDocument("1700000000") { $0.int64 } == 1_700_000_000)
        // Not numbers.
        #expect(try withDocument(#""1""#) { $0.int64 } == nil)
        #expect(try withDocument("true") { $0.int64 } == nil)
        #expect(try withDocument("[1]") { $0.int64 } == nil)
    }

    @Test func duplicateKeysParseAndMemberReturnsTheFirst() throws {
        #expect(try withDocument(#"{"a":1,"a":2}"#) { $0.member("a")?.int64 } == 1)
        #expect(try withDocument(#"{"a":1,"a":2}"#) { $0.count } == 2)
        // Keys are compared after unescaping: "\u0061" is "a".
        #expect(try withDocument(#"{"\u0061":1,"a":2}"#) { $0.member("a")?.int64 } == 1)
        #expect(try withDocument(#"{"b":[{"a":9}],"a":{"x":1},"a":3}"#) { $0.member("a")?.kind } == .object)
        // forEachMember sees both, in order.
        let values: [Int64] = try withDocument(#"{"a":1,"b":5,"a":2}"#) { root in
            var out: [Int64] = []
            root.forEachMember { (_, v) in out.append(v.int64 ?? -1) }
            return out
        }
        #expect(values == [1, 5, 2])
    }

    @Test func elementsMemberAndCountOnNestedData() throws {
        let doc = #"""
            {"id":"abc","tags":[["e","x1"],["p","y2",""],[]],"kind":1,"meta":{"n":[1,[2,3],{"z":null}],"t":true},"content":"hi"}
            """#
        try withDocument(doc) { root in
            #expect(root.kind == .object)
            #expect(root.count == 5)
            #expect(root.member("id")?.string == "abc")
            #expect(root.member("kind")?.int64 == 1)
            #expect(root.member("content")?.string == "hi")
            #expect(root.member("missing") == nil)
            #expect(root[0] == nil)  // not an array

            let tags = try #require(root.member("tags"))
            #expect(tags.kind == .array)
            #expect(tags.count == 3)
            #expect(tags.member("e") == nil)  // not an object
            let tagStrings = tags.elements.map { tag in tag.elements.map { $0.string ?? "?" } }
            #expect(tagStrings == [["e", "x1"], ["p", "y2", ""], []])
            #expect(tags[1]?[1]?.string == "y2")
            #expect(tags[2]?.count == 0)
            #expect(tags[3] == nil)
            #expect(tags[-1] == nil)

            let meta = try #require(root.member("meta"))
            #expect(meta.count == 2)
            let n = try #require(meta.member("n"))
            #expect(n.count == 3)
            #expect(n[0]?.int64 == 1)
            #expect(n[1]?.elements.map { $0.int64 } == [2, 3])
            #expect(n[2]?.member("z")?.kind == .null)
            #expect(meta.member("t")?.kind == .true)

            var keys: [String] = []
            root.forEachMember { (k, _) in keys.append(k.string ?? "?") }
            #expect(keys == ["id", "tags", "kind", "meta", "content"])
        }
    }

    @Test func stringEqualsComparesDecodedBytes() throws {
        try withDocument(#"["caf\u00e9","a\"b","plain","",1,"\ud83e\udda9"]"#) { root in
            #expect(stringEquals(root[0]!, "café"))
            #expect(!stringEquals(root[0]!, "cafe"))
            #expect(!stringEquals(root[0]!, "caf"))
            #expect(!stringEquals(root[0]!, "café!"))
            #expect(!stringEquals(root[0]!, #"caf\u00e9"#))
            #expect(stringEquals(root[1]!, "a\"b"))
            #expect(!stringEquals(root[1]!, #"a\"b"#))
            #expect(stringEquals(root[2]!, "plain"))
            #expect(!stringEquals(root[2]!, "plai"))
            #expect(!stringEquals(root[2]!, "plainx"))
            #expect(stringEquals(root[3]!, ""))
            #expect(!stringEquals(root[3]!, "x"))
            #expect(!stringEquals(root[4]!, "1"))  // a number is not a string
            #expect(stringEquals(root[5]!, "🦩"))
            #expect(!stringEquals(root, ""))
        }
    }

    @Test func tapeIsReusedAcrossParses() throws {
        var big = "["
        for i in 0..<1000 {
            if i > 0 { big += "," }
            big += #"{"i":\#(i),"s":"x\n\#(i)"}"#
        }
        big += "]"
        let bigBytes = Array(big.utf8)
        let smallBytes = Array(#"{"k":"v"}"#.utf8)
        var reader = JSONReader()

        func checkBig(_ reader: inout JSONReader) throws {
            try bigBytes.withBytes { (p) throws(NostrError) in
                try reader.parse(p)
                #expect(reader.tokens.count == 1 + 1000 * 5)
                reader.withRoot(p) { root in
                    #expect(root.count == 1000)
                    var i: Int64 = 0
                    for e in root.elements {
                        #expect(e.member("i")?.int64 == i)
                        #expect(e.member("s")?.string == "x\n\(i)")
                        i += 1
                    }
                    #expect(i == 1000)
                }
            }
        }

        try checkBig(&reader)
        try smallBytes.withBytes { (p) throws(NostrError) in
            try reader.parse(p)
            #expect(reader.tokens.count == 3)
            reader.withRoot(p) { root in
                #expect(root.kind == .object)
                #expect(root.count == 1)
                #expect(root.member("k")?.string == "v")
                #expect(root.member("i") == nil)
            }
        }
        // A failed parse in between does not poison the reader.
        #expect(throws: NostrError.self) { try reader.parse(Array("[1,".utf8)) }
        try checkBig(&reader)
    }

    @Test func emptyContainers() throws {
        try withDocument("[]") { root in
            #expect(root.kind == .array)
            #expect(root.count == 0)
            #expect(Array(root.elements).isEmpty)
            #expect(root[0] == nil)
        }
        try withDocument("{}") { root in
            #expect(root.kind == .object)
            #expect(root.count == 0)
            #expect(root.member("a") == nil)
            var n = 0
            root.forEachMember { (_, _) in n += 1 }
            #expect(n == 0)
        }
        try withDocument(" [ ] ") { #expect($0.kind == .array && $0.count == 0) }
        try withDocument("{\n}") { #expect($0.kind == .object && $0.count == 0) }
        try withDocument("[[]]") { root in
            #expect(root.count == 1)
            #expect(root[0]?.kind == .array)
            #expect(root[0]?.count == 0)
        }
        try withDocument(#"{"a":{}}"#) { root in
            #expect(root.count == 1)
            #expect(root.member("a")?.kind == .object)
            #expect(root.member("a")?.count == 0)
        }
        try withDocument(#"[[],{},[[]],"x"]"#) { root in
            #expect(root.count == 4)
            #expect(root.elements.map { $0.count } == [0, 0, 1, 0])
            #expect(root[3]?.string == "x")
        }
        for (text, tokens) in [("[]", 1), ("{}", 1), ("[[]]", 2), (#"{"a":{}}"#, 3)] {
            var reader = JSONReader()
            try reader.parse(Array(text.utf8))
            #expect(reader.tokens.count == tokens, "\(text)")
        }
    }

    @Test func scalarsAtTopLevel() throws {
        try withDocument("1") { #expect($0.kind == .number && $0.int64 == 1) }
        try withDocument(#""x""#) { #expect($0.kind == .string && $0.string == "x") }
        try withDocument("null") { #expect($0.kind == .null && $0.string == nil) }
        try withDocument(" true ") { #expect($0.kind == .true) }
        try withDocument("\tfalse\n") { #expect($0.kind == .false) }
        try withDocument("-1.5e3") { #expect($0.kind == .number && $0.int64 == nil) }
        try withDocument(#""""#) { #expect($0.kind == .string && $0.string == "") }
    }

    @Test func millionFoldNestingWithARaisedLimitNeedsNoStack() throws {
        // The reader keeps open containers on its own stack, not the call
        // stack: a depth far beyond any thread's stack still parses.
        let depth = 1_000_000
        let text = [UInt8](repeating: 0x5B, count: depth) + [UInt8](repeating: 0x5D, count: depth)
        var reader = JSONReader(limits: JSONLimits(maxDepth: depth, maxBytes: 2 * depth, maxValues: depth))
        try reader.parse(text)
        #expect(reader.tokens.count == depth)
        #expect(reader.tokens[0].end == Int32(depth))
    }
}
