import Foundation
import Testing

@testable import NostrCore

/// Nicolas Seriot's JSONTestSuite (`test_parsing/`), run against the strict
/// reader with the default limits (`JSONLimits()`, maxDepth 32).
///
/// - `y_` files must be accepted;
/// - `n_` files must be rejected;
/// - `i_` files (implementation-defined) are pinned in `implementationDefined`
///   so that a change of decision fails loudly.
@Suite struct JSONTestSuiteTests {
    static let directory = VectorFiles.folder.appendingPathComponent("json-test-suite/test_parsing")

    static func files(prefix: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix(prefix) && $0.hasSuffix(".json") }.sorted()
    }

    static func load(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    /// Parses with the default limits; returns the error, or nil on success.
    static func decide(_ bytes: [UInt8]) -> NostrError? {
        var reader = JSONReader(limits: JSONLimits())
        do {
            try reader.parse(bytes)
            return nil
        } catch {
            return error
        }
    }

    /// The pinned decisions for every `i_` file: true = accepted.
    ///
    /// Each one was checked against the reader's documented strictness:
    /// - numbers: magnitude is not limited at parse time (only `int64`
    ///   range-checks), so huge/tiny exponents and huge integers are accepted;
    /// - `\u` escapes must form valid UTF-16: lone, inverted or incomplete
    ///   surrogates are rejected;
    /// - the input must be strict UTF-8 (RFC 3629): overlong forms, encoded
    ///   surrogates, code points above U+10FFFF, lone continuation bytes,
    ///   truncated sequences, Latin-1 bytes and 5/6-byte forms are rejected;
    /// - UTF-16 input (with or without BOM) and the UTF-8 BOM are rejected;
    /// - 500 nested arrays exceed maxDepth 32 and are rejected.
    static let implementationDefined: [String: Bool] = [
        "i_number_double_huge_neg_exp.json": true,
        "i_number_huge_exp.json": true,
        "i_number_neg_int_huge_exp.json": true,
        "i_number_pos_double_huge_exp.json": true,
        "i_number_real_neg_overflow.json": true,
        "i_number_real_pos_overflow.json": true,
        "i_number_real_underflow.json": true,
        "i_number_too_big_neg_int.json": true,
        "i_number_too_big_pos_int.json": true,
        "i_number_very_big_negative_int.json": true,
        "i_object_key_lone_2nd_surrogate.json": false,
        "i_string_1st_surrogate_but_2nd_missing.json": false,
        "i_string_1st_valid_surrogate_2nd_invalid.json": false,
        "i_string_UTF-16LE_with_BOM.json": false,
        "i_string_UTF-8_invalid_sequence.json": false,
        "i_string_UTF8_surrogate_U+D800.json": false,
        "i_string_incomplete_surrogate_and_escape_valid.json": false,
        "i_string_incomplete_surrogate_pair.json": false,
        "i_string_incomplete_surrogates_escape_valid.json": false,
        "i_string_invalid_lonely_surrogate.json": false,
        "i_string_invalid_surrogate.json": false,
        "i_string_invalid_utf-8.json": false,
        "i_string_inverted_surrogates_U+1D11E.json": false,
        "i_string_iso_latin_1.json": false,
        "i_string_lone_second_surrogate.json": false,
        "i_string_lone_utf8_continuation_byte.json": false,
        "i_string_not_in_unicode_range.json": false,
        "i_string_overlong_sequence_2_bytes.json": false,
        "i_string_overlong_sequence_6_bytes.json": false,
        "i_string_overlong_sequence_6_bytes_null.json": false,
        "i_string_truncated-utf-8.json": false,
        "i_string_utf16BE_no_BOM.json": false,
        "i_string_utf16LE_no_BOM.json": false,
        "i_structure_500_nested_arrays.json": false,
        "i_structure_UTF-8_BOM_empty_object.json": false,
    ]

    @Test func vectorsArePresent() {
        #expect(Self.files(prefix: "y_").count == 95)
        #expect(Self.files(prefix: "n_").count == 188)
        #expect(Self.files(prefix: "i_").count == 35)
    }

    @Test(arguments: files(prefix: "y_"))
    func acceptsValid(_ name: String) throws {
        let bytes = try Self.load(name)
        let error = Self.decide(bytes)
        #expect(error == nil, "\(name) rejected: \(error?.reason ?? "")")
    }

    @Test(arguments: files(prefix: "n_"))
    func rejectsInvalid(_ name: String) throws {
        let bytes = try Self.load(name)
        #expect(Self.decide(bytes) != nil, "\(name) accepted")
    }

    @Test(arguments: files(prefix: "i_"))
    func implementationDefinedDecisionIsPinned(_ name: String) throws {
        let pinned: Bool? = Self.implementationDefined[name]
        let expected = try #require(pinned as Bool?, "\(name) is not in the pinned table")
        let bytes = try Self.load(name)
        let error = Self.decide(bytes)
        #expect(
            (error == nil) == expected,
            "\(name): expected \(expected ? "accept" : "reject"), got \(error.map { $0.reason } ?? "accept")")
    }

    @Test func everyPinnedEntryHasAFile() {
        let onDisk = Set(Self.files(prefix: "i_"))
        for name in Self.implementationDefined.keys {
            #expect(onDisk.contains(name), "pinned \(name) has no file")
        }
        #expect(onDisk.count == Self.implementationDefined.count)
    }

    /// The pinned rejections fail for the reason the table's comment gives.
    @Test func implementationDefinedRejectionsHaveTheExpectedCode() throws {
        let expected: [String: NostrError.Code] = [
            "i_structure_500_nested_arrays.json": .jsonDepth,
            "i_structure_UTF-8_BOM_empty_object.json": .jsonSyntax,
            "i_string_UTF8_surrogate_U+D800.json": .jsonBadUTF8,
            "i_string_not_in_unicode_range.json": .jsonBadUTF8,
            "i_string_overlong_sequence_2_bytes.json": .jsonBadUTF8,
            "i_string_iso_latin_1.json": .jsonBadUTF8,
            "i_string_lone_second_surrogate.json": .jsonBadEscape,
            "i_string_invalid_lonely_surrogate.json": .jsonBadEscape,
            "i_string_inverted_surrogates_U+1D11E.json": .jsonBadEscape,
        ]
        for (name, code) in expected {
            let error = Self.decide(try Self.load(name))
            #expect(error?.code == code, "\(name): \(error?.reason ?? "accepted")")
        }
    }

    @Test(arguments: ["n_structure_100000_opening_arrays.json", "n_structure_open_array_object.json"])
    func deepNestingIsRejectedQuicklyByDepth(_ name: String) throws {
        let bytes = try Self.load(name)
        let clock = ContinuousClock()
        var error: NostrError?
        let elapsed = clock.measure { error = Self.decide(bytes) }
        #expect(error?.code == .jsonDepth)
        // Depth 32 is hit within the first ~100 bytes; nothing else is read.
        #expect((error?.offset ?? Int.max) < 200)
        #expect(elapsed < .seconds(1))
    }
}
