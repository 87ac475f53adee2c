import Foundation
import Testing

@testable import NostrCore

/// An IP text and the code it must be refused with.
struct BadIPText: CustomTestStringConvertible, Sendable {
    let name: String
    let text: String
    var testDescription: String { name }
}

enum IPReference {
    /// RFC 5952 text computed differently from `IPAddress.text`: try every
    /// run length from the longest down, leftmost first, over the groups as
    /// Swift formats them.
    static func text(_ groups: [UInt16]) -> String {
        if groups[0..<5].allSatisfy({ $0 == 0 }) && groups[5] == 0xFFFF {
            return "::ffff:\(groups[6] >> 8).\(groups[6] & 0xFF).\(groups[7] >> 8).\(groups[7] & 0xFF)"
        }
        let hex = groups.map { String($0, radix: 16) }
        for length in stride(from: 8, through: 2, by: -1) {
            for start in 0...(8 - length) where groups[start..<(start + length)].allSatisfy({ $0 == 0 }) {
                return hex[0..<start].joined(separator: ":") + "::" + hex[(start + length)...].joined(separator: ":")
            }
        }
        return hex.joined(separator: ":")
    }

    static func groups(_ hi: UInt64, _ lo: UInt64) -> [UInt16] {
        (0..<8).map { i in UInt16(truncatingIfNeeded: (i < 4 ? hi : lo) >> UInt64(48 - 16 * (i % 4))) }
    }

    static func value(_ groups: [UInt16]) -> (UInt64, UInt64) {
        var hi: UInt64 = 0, lo: UInt64 = 0
        for i in 0..<4 { hi = hi << 16 | UInt64(groups[i]) }
        for i in 4..<8 { lo = lo << 16 | UInt64(groups[i]) }
        return (hi, lo)
    }

    /// Random groups, zero half of the time so that runs of zeros are common.
    static func randomGroups(_ rng: inout SplitMix64) -> [UInt16] {
        var g = (0..<8).map { _ -> UInt16 in
            switch rng.next() % 4 {
            case 0, 1: return 0
            case 2: return UInt16(truncatingIfNeeded: rng.next() % 16)
            default: return UInt16(truncatingIfNeeded: rng.next())
            }
        }
        if rng.next() % 20 == 0 { g.replaceSubrange(0..<6, with: [0, 0, 0, 0, 0, 0xFFFF]) }
        return g
    }
}

@Suite struct IPAddressTests {
    // MARK: Known answers

    @Test func ipv4KnownAnswers() throws {
        let a = try IPAddress(parsing: "192.0.2.1")
        #expect(a == .v4(0xC000_0201))
        #expect(a.text == "192.0.2.1")
        #expect(a.bytes == [192, 0, 2, 1])
        #expect(a.isIPv4)
        #expect(try IPAddress(parsing: "0.0.0.0") == .v4(0))
        #expect(try IPAddress(parsing: "255.255.255.255") == .v4(0xFFFF_FFFF))
        #expect(try IPAddress(parsing: "10.0.0.255").text == "10.0.0.255")
    }

    @Test func ipv6KnownAnswers() throws {
        let a = try IPAddress(parsing: "2001:db8:1234:5678:11:2233:4455:6677")
        #expect(a == .v6(0x2001_0DB8_1234_5678, 0x0011_2233_4455_6677))
        #expect(a.bytes == [0x20, 0x01, 0x0D, 0xB8, 0x12, 0x34, 0x56, 0x78, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77])
        #expect(!a.isIPv4)
        #expect(try IPAddress(parsing: "::") == .v6(0, 0))
        #expect(try IPAddress(parsing: "::1") == .v6(0, 1))
        #expect(try IPAddress(parsing: "1::") == .v6(0x0001_0000_0000_0000, 0))
        #expect(try IPAddress(parsing: "::ffff:192.0.2.1") == .v6(0, 0xFFFF_C000_0201))
        #expect(try IPAddress(parsing: "1:2:3:4:5:6:7::") == .v6(0x0001_0002_0003_0004, 0x0005_0006_0007_0000))
        #expect(try IPAddress(parsing: "::2:3:4:5:6:7:8") == .v6(0x0000_0002_0003_0004, 0x0005_0006_0007_0008))
        #expect(try IPAddress(parsing: "FFFF:ffff:FfFf:ffff:ffff:ffff:ffff:ffff") == .v6(.max, .max))
    }

    /// RFC 5952 §2.1 (all spellings of one address), §4.1, §4.2.1–§4.2.3, §4.3 and §5.
    @Test(arguments: [
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:0db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:db8::1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:db8::0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:0db8::1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:db8:0:0:1::1", "2001:db8::1:0:0:1"),
        ("2001:db8:0000:0:1::1", "2001:db8::1:0:0:1"),
        ("2001:DB8:0:0:1::1", "2001:db8::1:0:0:1"),
        ("2001:0db8::0001", "2001:db8::1"),  // §4.1 leading zeros
        ("2001:db8:0:0:0:0:2:1", "2001:db8::2:1"),  // §4.2.1 shorten as much as possible
        ("2001:db8::0:1", "2001:db8::1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  // §4.2.2 not one 16-bit 0 field
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),  // §4.2.3 the longest run
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),  // §4.2.3 the first of equal runs
        ("2001:DB8::1", "2001:db8::1"),  // §4.3 lowercase
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),  // §5 IPv4-mapped
        ("0:0:0:0:0:ffff:c000:201", "::ffff:192.0.2.1"),
        ("::1.2.3.4", "::102:304"),  // only mapped addresses are written dotted
        ("0:0:0:0:0:0:0:0", "::"),
        ("0:0:0:0:0:0:0:1", "::1"),
    ])
    func rfc5952Canonical(_ input: String, _ canonical: String) throws {
        let a = try IPAddress(parsing: input)
        #expect(a.text == canonical)
        #expect(try IPAddress(parsing: canonical) == a)
    }

    /// Every line of `Vectors/ip-text-vectors.tsv`: glibc `inet_pton` decides
    /// what is an address, CPython `ipaddress` what its canonical text is.
    @Test func agreesWithGlibcAndCPython() throws {
        let text = String(decoding: try VectorFiles.data("ip-text-vectors.tsv"), as: UTF8.self)
        var accepted = 0, refused = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            try #require(fields.count == 2, "bad vector line \(line)")
            let input = String(fields[0]), expected = String(fields[1])
            if expected == "ERR" {
                #expect(errorCode { _ = try IPAddress(parsing: input) } == .ipAddress, "accepted \(input)")
                refused += 1
            } else {
                let parsed = try? IPAddress(parsing: input)
                #expect(parsed?.text == expected, "\(input)")
                #expect(parsed != nil && (try? IPAddress(parsing: expected)) == parsed, "\(expected)")
                accepted += 1
            }
        }
        #expect(accepted > 300 && refused > 200)
    }

    // MARK: Random round trips

    @Test func randomIPv6TextMatchesAnIndependentFormatter() throws {
        var rng = SplitMix64(state: 5952)
        for _ in 0..<20_000 {
            let groups = IPReference.randomGroups(&rng)
            let (hi, lo) = IPReference.value(groups)
            let a = IPAddress.v6(hi, lo)
            let expected = IPReference.text(groups)
            #expect(a.text == expected)
            #expect(try IPAddress(parsing: expected) == a)
            // The full, uncompressed, uppercase form parses to the same address.
            let full = groups.map { String($0, radix: 16, uppercase: true) }.joined(separator: ":")
            #expect(try IPAddress(parsing: full) == a)
            // Bytes in network order, both ways.
            let bytes = a.bytes
            #expect(bytes.count == 16)
            #expect(bytes == groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] })
            #expect(try bytes.withUnsafeBytes { try IPAddress(bytes: $0) } == a)
            #expect(a.withBytes { Array($0) } == bytes)
        }
    }

    @Test func randomIPv4RoundTrips() throws {
        var rng = SplitMix64(state: 791)
        for _ in 0..<20_000 {
            let v = UInt32(truncatingIfNeeded: rng.next())
            let text = "\(v >> 24).\(v >> 16 & 0xFF).\(v >> 8 & 0xFF).\(v & 0xFF)"
            let a = try IPAddress(parsing: text)
            #expect(a == .v4(v))
            #expect(a.text == text)
            #expect(a.bytes == [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)])
            #expect(try a.bytes.withUnsafeBytes { try IPAddress(bytes: $0) } == a)
        }
    }

    /// The generic parser takes any collection of bytes, not only a String's.
    @Test func parsesByteCollections() throws {
        #expect(try IPAddress(parsing: Array("2001:db8::1".utf8)) == .v6(0x2001_0DB8_0000_0000, 1))
        #expect(try IPAddress(parsing: Array("1.2.3.4".utf8)[...]) == .v4(0x0102_0304))
    }

    // MARK: Attacks

    static let attacks: [BadIPText] = [
        BadIPText(name: "empty", text: ""),
        BadIPText(name: "a dot", text: "."),
        BadIPText(name: "a colon", text: ":"),
        BadIPText(name: ":::", text: ":::"),
        BadIPText(name: "two ::", text: "1::2::3"),
        BadIPText(name: "two :: adjacent groups", text: "::1::"),
        BadIPText(name: "nine groups", text: "1:2:3:4:5:6:7:8:9"),
        BadIPText(name: "eight groups and ::", text: "1:2:3:4:5:6:7:8::"),
        BadIPText(name: ":: and eight groups", text: "::1:2:3:4:5:6:7:8"),
        BadIPText(name: "seven groups, no ::", text: "1:2:3:4:5:6:7"),
        BadIPText(name: "five-digit group", text: "12345::"),
        BadIPText(name: "five-digit group of zeros", text: "00000::1"),
        BadIPText(name: "single leading colon", text: ":1:2:3:4:5:6:7"),
        BadIPText(name: "single leading colon with ::", text: ":1::2"),
        BadIPText(name: "single trailing colon", text: "1:2:3:4:5:6:7:"),
        BadIPText(name: "single trailing colon with ::", text: "1::2:"),
        BadIPText(name: "zone id", text: "fe80::1%eth0"),
        BadIPText(name: "numeric zone id", text: "fe80::1%1"),
        BadIPText(name: "brackets", text: "[::1]"),
        BadIPText(name: "bracketed with port", text: "[::1]:53"),
        BadIPText(name: "IPv4 with port", text: "192.0.2.1:53"),
        BadIPText(name: "non-hex letter", text: "2001:db8::g"),
        BadIPText(name: "256", text: "256.1.1.1"),
        BadIPText(name: "999", text: "1.999.1.1"),
        BadIPText(name: "huge part", text: "1.2.3.4294967297"),
        BadIPText(name: "three parts", text: "1.2.3"),
        BadIPText(name: "two parts (inet_aton form)", text: "127.1"),
        BadIPText(name: "one part (inet_aton form)", text: "2130706433"),
        BadIPText(name: "five parts", text: "1.2.3.4.5"),
        BadIPText(name: "trailing dot", text: "1.2.3.4."),
        BadIPText(name: "leading dot", text: ".1.2.3.4"),
        BadIPText(name: "empty part", text: "1..2.3"),
        BadIPText(name: "leading zero", text: "01.2.3.4"),
        BadIPText(name: "double zero", text: "1.2.3.00"),
        BadIPText(name: "octal-looking", text: "010.0.0.1"),
        BadIPText(name: "hex part", text: "0x7f.0.0.1"),
        BadIPText(name: "plus sign", text: "+1.2.3.4"),
        BadIPText(name: "minus sign", text: "1.2.3.-4"),
        BadIPText(name: "leading space", text: " 1.2.3.4"),
        BadIPText(name: "trailing space", text: "1.2.3.4 "),
        BadIPText(name: "trailing newline", text: "1.2.3.4\n"),
        BadIPText(name: "NUL inside", text: "1.2.3.4\u{0}5"),
        BadIPText(name: "fullwidth digits", text: "１.2.3.4"),
        BadIPText(name: "Arabic-Indic digit", text: "1.2.3.٤"),
        BadIPText(name: "embedded IPv4 not last", text: "1.2.3.4::"),
        BadIPText(name: "embedded IPv4 then a group", text: "::1.2.3.4:5"),
        BadIPText(name: "embedded IPv4 with too many groups", text: "1:2:3:4:5:6:7:1.2.3.4"),
        BadIPText(name: "embedded IPv4 three parts", text: "::1.2.3"),
        BadIPText(name: "embedded IPv4 leading zero", text: "::ffff:01.2.3.4"),
        BadIPText(name: "embedded IPv4 256", text: "::ffff:1.2.3.256"),
        BadIPText(name: "embedded IPv4 hex part", text: "::ffff:a.2.3.4"),
        BadIPText(name: "embedded IPv4 trailing dot", text: "::ffff:1.2.3.4."),
        BadIPText(name: "dot right after ::", text: "::.1.2.3"),
        BadIPText(name: "very long", text: String(repeating: "1", count: 100_000)),
        BadIPText(name: "very long IPv6", text: String(repeating: "1:", count: 50_000)),
    ]

    @Test(arguments: attacks)
    func attacksAreRefused(_ t: BadIPText) {
        #expect(errorCode { _ = try IPAddress(parsing: t.text) } == .ipAddress)
        #expect(errorCode { _ = try IPAddress(parsing: Array(t.text.utf8)) } == .ipAddress)
    }

    @Test func errorsPointAtTheOffendingByte() {
        func offset(_ s: String) -> Int? {
            do throws(NostrError) { _ = try IPAddress(parsing: s); return nil } catch { return error.offset }
        }
        #expect(offset("1.2.3.x") == 6)
        #expect(offset("01.2.3.4") == 1)
        #expect(offset("1:2::3::4") == 7)
        #expect(offset("fe80::1%eth0") == 7)
        #expect(offset("1.2.3") == 5)
    }

    @Test(arguments: [0, 1, 3, 5, 8, 15, 17, 32])
    func bytesOfOtherLengthsAreRefused(_ count: Int) {
        let bytes = [UInt8](repeating: 1, count: count)
        #expect(errorCode { _ = try bytes.withUnsafeBytes { try IPAddress(bytes: $0) } } == .ipAddress)
    }

    // MARK: Special-purpose addresses

    /// Boundaries of every range of `isGlobalUnicast` (IANA IPv4/IPv6
    /// Special-Purpose Address Registries, RFC 6890), the first address
    /// outside each range on either side included.
    @Test(arguments: [
        ("8.8.8.8", true), ("1.1.1.1", true), ("223.255.255.255", true),
        ("0.0.0.0", false), ("0.255.255.255", false), ("1.0.0.0", true),
        ("9.255.255.255", true), ("10.0.0.0", false), ("10.255.255.255", false), ("11.0.0.0", true),
        ("100.63.255.255", true), ("100.64.0.0", false), ("100.127.255.255", false), ("100.128.0.0", true),
        ("126.255.255.255", true), ("127.0.0.1", false), ("127.255.255.255", false), ("128.0.0.0", true),
        ("169.253.255.255", true), ("169.254.0.1", false), ("169.254.255.255", false), ("169.255.0.0", true),
        ("172.15.255.255", true), ("172.16.0.0", false), ("172.31.255.255", false), ("172.32.0.0", true),
        ("192.0.0.8", false), ("192.0.1.1", true), ("192.0.2.1", false), ("192.0.3.0", true),
        ("192.167.255.255", true), ("192.168.1.1", false), ("192.169.0.0", true),
        ("198.17.255.255", true), ("198.18.0.0", false), ("198.19.255.255", false), ("198.20.0.0", true),
        ("198.51.99.255", true), ("198.51.100.7", false), ("198.51.101.0", true),
        ("203.0.112.255", true), ("203.0.113.9", false), ("203.0.114.0", true),
        ("224.0.0.1", false), ("239.255.255.255", false), ("240.0.0.1", false), ("255.255.255.255", false),
        ("::", false), ("::1", false), ("::ffff:8.8.8.8", false), ("::8.8.8.8", false), ("64:ff9b::8.8.8.8", false),
        ("100::1", false), ("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false),
        ("2000::", true), ("2001::1", false), ("2001:1ff:ffff::", false), ("2001:200::1", true),
        ("2001:2::1", false), ("2001:db7:ffff::1", true), ("2001:db8::1", false), ("2001:db8:ffff::1", false),
        ("2001:db9::1", true), ("2001:4860:4860::8888", true), ("2606:4700:4700::1111", true),
        ("2002:c000:201::1", true), ("3ffe:ffff::1", true), ("3fff::1", false), ("3fff:fff:ffff::1", false),
        ("3fff:1000::1", true), ("3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true), ("4000::1", false),
        ("fc00::1", false), ("fd12:3456::1", false), ("fe80::1", false), ("febf::1", false), ("ff02::1", false),
        ("ff0e::1", false),
    ])
    func globalUnicast(_ text: String, _ global: Bool) throws {
        #expect(try IPAddress(parsing: text).isGlobalUnicast == global)
    }
}
