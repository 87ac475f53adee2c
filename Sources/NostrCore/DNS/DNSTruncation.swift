/// Cutting a DNS response down to its header and question with TC set
/// (RFC 1035 §4.1.1, RFC 2181 §9: "the client should retry over TCP"): for
/// a forwarded answer larger than the UDP cap (`DNSResponder.maxUDPPayload`,
/// issue 16 item 5) and for the "slip" replies of `ResponseRateLimit`.
/// In place and allocation-free.
public enum DNSTruncation {
    /// Rewrites the `length`-octet response at the start of `message` to
    /// its header (counts: one question, no records; TC set) and its first
    /// question; returns the new length, or 0 when the message has no
    /// readable question (then nothing is worth sending).
    public static func questionOnly(_ message: UnsafeMutableRawBufferPointer, length: Int) -> Int {
        guard length >= 12, length <= message.count else { return 0 }
        let questions = Int(message[4]) << 8 | Int(message[5])
        guard questions >= 1 else { return 0 }
        // The question's name: labels, or a compression pointer (RFC 1035 §4.1.4).
        var i = 12
        while true {
            guard i < length else { return 0 }
            let n = Int(message[i])
            if n == 0 { i += 1; break }
            if n & 0xC0 == 0xC0 { i += 2; break }
            guard n & 0xC0 == 0 else { return 0 }
            i += 1 + n
        }
        let end = i + 4  // QTYPE, QCLASS
        guard end <= length else { return 0 }
        message[2] |= 0x02  // TC
        message[4] = 0
        message[5] = 1
        for k in 6..<12 { message[k] = 0 }  // ANCOUNT, NSCOUNT, ARCOUNT
        return end
    }
}
