/// Text a relay sends that the tool prints or logs (NIP-01 `OK`, `NOTICE`
/// and `CLOSED` messages), made safe to print: a relay could otherwise
/// write terminal escape sequences into the operator's terminal or forge
/// log lines with a line feed (README, "Security"). The one escape every
/// output path of relay text goes through (today `Publishing.outcomeLine`,
/// the `rejected URL: MESSAGE` lines); `RelayMessage` keeps the text as
/// sent, and the Swift API returns it as sent.
public enum RelayText {
    /// `text` with every control character written as an escape: C0
    /// controls and DEL as `\n`, `\r`, `\t` or `\xHH`, C1 controls
    /// (U+0080–U+009F, which some terminals obey like ESC [) as `\u{HH}`,
    /// and a backslash as `\\` so that an escape in the output is always
    /// ours. Text without any of them is returned as it is, without a copy.
    public static func printable(_ text: String) -> String {
        guard text.utf8.contains(where: { needsEscape($0) }) else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 16)
        var previous: UInt8 = 0
        for c in text.utf8 {
            defer { previous = c }
            if previous == 0xC2 && c >= 0x80 && c <= 0x9F {
                out.removeLast()  // the 0xC2 lead byte written before
                append("\\u{", to: &out)
                appendHex(c, to: &out)
                out.append(0x7D)
                continue
            }
            switch c {
            case 0x0A: append("\\n", to: &out)
            case 0x0D: append("\\r", to: &out)
            case 0x09: append("\\t", to: &out)
            case 0x5C: append("\\\\", to: &out)
            case 0x00..<0x20, 0x7F:
                append("\\x", to: &out)
                appendHex(c, to: &out)
            default: out.append(c)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A byte that starts or is an escape: C0, DEL, a backslash, or the
    /// lead byte of a C1 control in UTF-8.
    @inline(__always)
    static func needsEscape(_ c: UInt8) -> Bool { c < 0x20 || c == 0x7F || c == 0x5C || c == 0xC2 }

    static func append(_ s: StaticString, to out: inout [UInt8]) {
        let p = s.utf8Start
        for k in 0..<s.utf8CodeUnitCount { out.append(p[k]) }
    }

    static func appendHex(_ c: UInt8, to out: inout [UInt8]) {
        let digits: StaticString = "0123456789abcdef"
        out.append(digits.utf8Start[Int(c >> 4)])
        out.append(digits.utf8Start[Int(c & 15)])
    }
}
