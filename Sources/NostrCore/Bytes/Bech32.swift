/// Bech32, as specified by BIP-173 ("Bech32" section), the text encoding
/// NIP-19 uses for keys, ids and shareable identifiers.
///
/// A string is `hrp "1" data checksum`: a human-readable part of US-ASCII
/// characters 33–126, the separator (the *last* "1"), data characters from
/// the 32-character set `qpzry9x8gf2tvdw0s3jn54khce6mua7l` (each one 5 bits)
/// and six checksum characters. This is the original bech32 checksum
/// (constant 1); NIP-19 says "bech32-(not-m)", so a bech32m (BIP-350,
/// constant 0x2bc830a3) checksum is a checksum error here.
///
/// The payload is 8-bit bytes, regrouped into 5-bit groups as the segwit
/// section of BIP-173 describes: "Re-arrange those bits into groups of 8
/// bits. Any incomplete group at the end MUST be 4 bits or less, MUST be all
/// zeroes, and is discarded."
public enum Bech32 {
    /// BIP-173: the data character for each 5-bit value, in value order.
    @usableFromInline static let charset: StaticString = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

    /// BIP-173 `bech32_verify_checksum`: the polymod of a valid string.
    @usableFromInline static let checksumConstant: UInt32 = 1

    /// NIP-19 entities with TLV data are longer than BIP-173's 90 characters
    /// (an nprofile with a few relays is already about 150). This bounds the
    /// work and memory a hostile string can cost. (The default argument of
    /// `decode(_:maxLength:)`; keep the two equal.)
    static let defaultMaxLength = 5000

    /// Value of each lowercase ASCII data character, or -1 (128 entries).
    @usableFromInline static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        let chars = charset.utf8Start
        for v in 0..<32 { table[Int(chars[v])] = Int8(v) }
        return table
    }()

    /// One step of BIP-173 `bech32_polymod`: the checksum is the remainder of
    /// a BCH code over GF(32), computed five bits at a time.
    @inline(__always)
    @usableFromInline static func polymodStep(_ chk: UInt32, _ value: UInt8) -> UInt32 {
        let top = chk >> 25
        var c = ((chk & 0x1ff_ffff) << 5) ^ UInt32(value)
        if top & 1 != 0 { c ^= 0x3b6a_57b2 }
        if top & 2 != 0 { c ^= 0x2650_8e6d }
        if top & 4 != 0 { c ^= 0x1ea1_19fa }
        if top & 8 != 0 { c ^= 0x3d42_33dd }
        if top & 16 != 0 { c ^= 0x2a14_62b3 }
        return c
    }

    @inline(__always)
    @usableFromInline static func lowercased(_ c: UInt8) -> UInt8 {
        (c >= 0x41 && c <= 0x5a) ? c | 0x20 : c
    }

    // MARK: Encoding

    /// Encodes `data` (8-bit bytes) under the human-readable part `hrp`.
    ///
    /// The bytes are regrouped into 5-bit values, the last one padded with
    /// zero bits (BIP-173 `convertbits(data, 8, 5, pad=True)`), and the six
    /// checksum characters are appended. BIP-173: "Encoders MUST always
    /// output an all lowercase Bech32 string", so ASCII capitals in `hrp`
    /// are written in lowercase.
    ///
    /// `hrp` must be 1 to 83 characters in the range 33–126 (BIP-173); any
    /// other value is a programming error and traps. No length limit is
    /// applied to `data`.
    public static func encode(hrp: String, data: [UInt8]) -> String {
        data.withUnsafeBytes { encode(hrp: hrp, bytes: $0) }
    }

    /// `encode(hrp:data:)` over any byte buffer, so fixed-size keys need no
    /// intermediate array.
    static func encode(hrp: String, bytes: UnsafeRawBufferPointer) -> String {
        let hrpCount = hrp.utf8.count
        precondition(hrpCount >= 1 && hrpCount <= 83, "bech32 hrp must be 1 to 83 characters")
        var out = Writer(capacity: hrpCount + 1 + (bytes.count * 8 + 4) / 5 + 6)

        // BIP-173 `bech32_hrp_expand`: the high bits of every hrp character,
        // a zero, then the low bits, all fed to the checksum.
        for c in hrp.utf8 {
            precondition(c >= 33 && c <= 126, "bech32 hrp character out of range")
            out.chk = polymodStep(out.chk, lowercased(c) >> 5)
        }
        out.chk = polymodStep(out.chk, 0)
        for c in hrp.utf8 {
            let l = lowercased(c)
            out.chk = polymodStep(out.chk, l & 31)
            out.bytes.append(l)
        }
        out.bytes.append(0x31)  // "1"

        // convertbits(8 -> 5, pad): at most 4 bits wait in `acc` between bytes.
        var acc: UInt32 = 0
        var bits = 0
        for b in bytes {
            acc = (acc << 8) | UInt32(b)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.put(UInt8(truncatingIfNeeded: acc >> UInt32(bits)) & 31)
            }
            acc &= (1 << UInt32(bits)) - 1
        }
        if bits > 0 { out.put(UInt8(truncatingIfNeeded: acc << UInt32(5 - bits)) & 31) }

        // BIP-173 `bech32_create_checksum`: six zero values, then xor the constant.
        for _ in 0..<6 { out.chk = polymodStep(out.chk, 0) }
        let checksum = out.chk ^ checksumConstant
        let chars = charset.utf8Start
        for i in 0..<6 {
            out.bytes.append(chars[Int((checksum >> UInt32(5 * (5 - i))) & 31)])
        }
        return String(decoding: out.bytes, as: UTF8.self)
    }

    /// The output buffer and running checksum of one encoding.
    struct Writer {
        var bytes: [UInt8] = []
        var chk: UInt32 = 1

        init(capacity: Int) { bytes.reserveCapacity(capacity) }

        /// Appends the data character for the 5-bit `value` and checksums it.
        @inline(__always)
        mutating func put(_ value: UInt8) {
            chk = Bech32.polymodStep(chk, value)
            bytes.append(Bech32.charset.utf8Start[Int(value)])
        }
    }

    // MARK: Decoding

    /// Decodes a bech32 string into its lowercase human-readable part and its
    /// 8-bit payload.
    ///
    /// Checked, as BIP-173 requires:
    /// - at most `maxLength` characters (BIP-173 allows 90; NIP-19 TLV
    ///   entities are longer, hence the larger default) — `.bech32Length`;
    /// - every character in the range 33–126 — `.bech32Syntax`;
    /// - "Decoders MUST NOT accept strings where some characters are
    ///   uppercase and some are lowercase" — `.bech32Syntax`;
    /// - a separator with a non-empty hrp before it — `.bech32Syntax`; an hrp
    ///   of at most 83 characters and at least six characters after the
    ///   separator — `.bech32Length`;
    /// - data characters from the bech32 set — `.bech32Syntax`;
    /// - the bech32 checksum (constant 1; bech32m is rejected) —
    ///   `.bech32Checksum`;
    /// - at most 4 bits of padding, all zero — `.bech32Padding`.
    ///
    /// Error offsets are byte offsets in the UTF-8 of `s`.
    public static func decode(_ s: String, maxLength: Int = 5000) throws(NostrError) -> (hrp: String, data: [UInt8]) {
        try withUTF8(s) { (p) throws(NostrError) in try decode(utf8: p, maxLength: maxLength) }
    }

    /// `decode(_:maxLength:)` over UTF-8 bytes in place.
    static func decode(utf8 s: UnsafeBufferPointer<UInt8>, maxLength: Int) throws(NostrError) -> (hrp: String, data: [UInt8]) {
        let n = s.count
        guard n <= maxLength else { throw NostrError(.bech32Length, at: maxLength) }

        // One pass for the character range, the case rule and the separator
        // (the last "1": the hrp may itself contain "1").
        var sawLower = false
        var sawUpper = false
        var separator = -1
        for i in 0..<n {
            let c = s[i]
            guard c >= 33 && c <= 126 else { throw NostrError(.bech32Syntax, at: i) }
            if c >= 0x61 && c <= 0x7a {
                sawLower = true
            } else if c >= 0x41 && c <= 0x5a {
                sawUpper = true
            } else if c == 0x31 {
                separator = i
            }
            if sawLower && sawUpper { throw NostrError(.bech32Syntax, at: i) }  // mixed case
        }
        guard separator >= 0 else { throw NostrError(.bech32Syntax) }  // no separator
        guard separator >= 1 else { throw NostrError(.bech32Syntax, at: 0) }  // empty hrp
        guard separator <= 83 else { throw NostrError(.bech32Length, at: 83) }  // BIP-173: hrp is 1 to 83 characters
        guard n - separator - 1 >= 6 else { throw NostrError(.bech32Length, at: separator + 1) }  // short checksum

        var chk: UInt32 = 1
        for i in 0..<separator { chk = polymodStep(chk, lowercased(s[i]) >> 5) }
        chk = polymodStep(chk, 0)
        for i in 0..<separator { chk = polymodStep(chk, lowercased(s[i]) & 31) }
        let hrp = String(unsafeUninitializedCapacity: separator) { buf in
            for i in 0..<separator { buf[i] = lowercased(s[i]) }
            return separator
        }

        // Data: every character is checksummed; all but the last six are
        // regrouped from 5 to 8 bits (convertbits(data, 5, 8, pad=False)).
        let dataEnd = n - 6
        var data: [UInt8] = []
        data.reserveCapacity((dataEnd - separator - 1) * 5 / 8)
        let table = values
        var acc: UInt32 = 0
        var bits = 0
        var i = separator + 1
        while i < n {
            let v = table[Int(lowercased(s[i]))]
            guard v >= 0 else { throw NostrError(.bech32Syntax, at: i) }
            chk = polymodStep(chk, UInt8(v))
            if i < dataEnd {
                acc = (acc << 5) | UInt32(v)
                bits += 5
                if bits >= 8 {
                    bits -= 8
                    data.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
                    acc &= (1 << UInt32(bits)) - 1
                }
            }
            i += 1
        }
        guard chk == checksumConstant else { throw NostrError(.bech32Checksum) }
        // BIP-173: "Any incomplete group at the end MUST be 4 bits or less,
        // MUST be all zeroes, and is discarded."
        guard bits <= 4, acc == 0 else { throw NostrError(.bech32Padding, at: dataEnd - 1) }
        return (hrp, data)
    }

    /// `String.withUTF8` with a typed-throwing body (the standard library's
    /// is `rethrows`, which loses the error type). Namespaced here so it
    /// cannot collide with a similar helper elsewhere in the module.
    @inline(__always)
    static func withUTF8<R>(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) throws(NostrError) -> R) throws(NostrError) -> R {
        var s = s
        let result: Result<R, NostrError> = s.withUTF8 { p in Result { () throws(NostrError) -> R in try body(p) } }
        return try result.get()
    }
}
