/// Finds text that looks like a NIP-19 secret key (`nsec`) so that it is
/// refused before it can be sent anywhere or printed back (README,
/// "Security": secrets never leave). A pure function over bytes that
/// allocates nothing: it runs on every argument, environment variable and
/// config line before any I/O.
///
/// Two shapes are caught, case-insensitively (BIP-173 allows an all
/// uppercase string, and a secret typed in mixed case is still a secret):
///
/// 1. `nsec1` followed by at least `minimumDataCharacters` bech32 data
///    characters, anywhere in the text: inside a URL's host, user part or
///    path, a name, a list, a truncated or mistyped key (no checksum is
///    needed: a key missing its last characters still gives most of it away).
/// 2. A run of exactly 58 data characters (the 52 of a 32-byte key and the
///    6 of the checksum) whose BIP-173 checksum verifies under the
///    human-readable part `nsec`: the key with its prefix cut off or
///    disguised (`%6Esec1…`). An npub's data never verifies as an nsec's
///    (a false match has odds of about 2^-30).
///
/// Not caught: a secret key in hex (indistinguishable from a public key or
/// an event id) and an nsec encrypted per NIP-49 (`ncryptsec`), which is
/// meant to be shared.
public enum SecretScan {
    /// Data characters after `nsec1` that make it a secret (40 bits of a
    /// key): short enough for any cut-down key, long enough that a host
    /// such as `nsec1.example.org` stays a host.
    public static let minimumDataCharacters = 8

    /// The data part of a 32-byte key with its checksum: ceil(256 / 5) + 6.
    static let keyDataCharacters = 58

    /// True when `bytes` holds something that looks like an nsec.
    public static func containsSecretKey<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        let prefix: (UInt8, UInt8, UInt8, UInt8, UInt8) = (0x6E, 0x73, 0x65, 0x63, 0x31)  // "nsec1"
        var matched = 0
        var afterPrefix = -1
        var runStart = bytes.startIndex
        var runLength = 0
        var i = bytes.startIndex
        while i != bytes.endIndex {
            let c = Bech32.lowercased(bytes[i])
            let isData = dataValue(c) >= 0
            if afterPrefix >= 0 {
                if isData {
                    afterPrefix += 1
                    if afterPrefix >= minimumDataCharacters { return true }
                } else {
                    afterPrefix = -1
                }
            }
            let expected: UInt8
            switch matched {
            case 0: expected = prefix.0
            case 1: expected = prefix.1
            case 2: expected = prefix.2
            case 3: expected = prefix.3
            default: expected = prefix.4
            }
            if c == expected {
                matched += 1
                if matched == 5 {
                    afterPrefix = 0
                    matched = 0
                }
            } else {
                matched = c == prefix.0 ? 1 : 0
            }
            if isData {
                if runLength == 0 { runStart = i }
                runLength += 1
            } else {
                if runLength == keyDataCharacters && verifiesAsSecretKey(bytes[runStart..<i]) { return true }
                runLength = 0
            }
            i = bytes.index(after: i)
        }
        return runLength == keyDataCharacters && verifiesAsSecretKey(bytes[runStart..<bytes.endIndex])
    }

    /// True when `text` holds something that looks like an nsec.
    public static func containsSecretKey(_ text: String) -> Bool { containsSecretKey(text.utf8) }

    /// BIP-173 `bech32_verify_checksum` of `data` under the hrp `nsec`.
    static func verifiesAsSecretKey<C: Collection>(_ data: C) -> Bool where C.Element == UInt8 {
        var chk: UInt32 = 1
        // bech32_hrp_expand("nsec"): the high bits of each character, 0, the low bits.
        let hrp: (UInt8, UInt8, UInt8, UInt8) = (0x6E, 0x73, 0x65, 0x63)
        chk = Bech32.polymodStep(chk, hrp.0 >> 5)
        chk = Bech32.polymodStep(chk, hrp.1 >> 5)
        chk = Bech32.polymodStep(chk, hrp.2 >> 5)
        chk = Bech32.polymodStep(chk, hrp.3 >> 5)
        chk = Bech32.polymodStep(chk, 0)
        chk = Bech32.polymodStep(chk, hrp.0 & 31)
        chk = Bech32.polymodStep(chk, hrp.1 & 31)
        chk = Bech32.polymodStep(chk, hrp.2 & 31)
        chk = Bech32.polymodStep(chk, hrp.3 & 31)
        for c in data {
            let v = dataValue(Bech32.lowercased(c))
            guard v >= 0 else { return false }
            chk = Bech32.polymodStep(chk, UInt8(v))
        }
        return chk == Bech32.checksumConstant
    }

    /// The 5-bit value of a lowercase bech32 data character, or -1.
    @inline(__always)
    static func dataValue(_ c: UInt8) -> Int8 {
        c < 128 ? Bech32.values[Int(c)] : -1
    }
}
