/// Numbers of the DNS wire format (RFC 1035 §3.2, §4.1.1) and of the
/// extensions this project speaks: AAAA (RFC 3596), OPT (RFC 6891), NSEC
/// (RFC 4034 §4), TLSA (RFC 6698), and the multicast DNS uses of the class
/// field's top bit (RFC 6762 §5.4, §10.2).
///
/// Types and classes stay raw `UInt16`s everywhere (a message may carry any
/// value, and mDNS puts flags into the class); these are names for them.
public enum DNSType {
    public static let a: UInt16 = 1
    public static let ns: UInt16 = 2
    public static let cname: UInt16 = 5
    public static let soa: UInt16 = 6
    public static let ptr: UInt16 = 12
    public static let txt: UInt16 = 16
    public static let aaaa: UInt16 = 28
    public static let srv: UInt16 = 33
    public static let opt: UInt16 = 41
    public static let nsec: UInt16 = 47
    public static let tlsa: UInt16 = 52
    public static let https: UInt16 = 65
    /// RFC 1035 §3.2.3 QTYPE "*"; answered minimally (RFC 8482).
    public static let any: UInt16 = 255
    /// RFC 1035 §3.2.3 QTYPEs that only ask for zone transfers.
    public static let axfr: UInt16 = 252
    public static let ixfr: UInt16 = 251
}

/// Classes (RFC 1035 §3.2.4) and the top bit of the class field that
/// multicast DNS gives a meaning: in a question, "unicast response
/// requested" (QU, RFC 6762 §5.4); in a resource record, "cache flush"
/// (RFC 6762 §10.2). Unicast DNS has no such bit: compare the whole value.
public enum DNSClass {
    public static let `in`: UInt16 = 1
    public static let chaos: UInt16 = 3
    /// RFC 1035 §3.2.5 QCLASS "*".
    public static let any: UInt16 = 255
    /// RFC 6762 §5.4 / §10.2: the top bit of the class field.
    public static let topBit: UInt16 = 0x8000

    /// The class without the mDNS top bit.
    @inline(__always) public static func value(_ raw: UInt16) -> UInt16 { raw & 0x7FFF }
    /// RFC 6762 §5.4: a question with the top bit set asks for a unicast answer (QU).
    @inline(__always) public static func isUnicastResponse(_ raw: UInt16) -> Bool { raw & topBit != 0 }
    /// RFC 6762 §10.2: a record with the top bit set flushes other records of its name, type and class.
    @inline(__always) public static func isCacheFlush(_ raw: UInt16) -> Bool { raw & topBit != 0 }
}

/// Response codes (RFC 1035 §4.1.1; RFC 6891 §9 for the extended BADVERS).
public enum DNSRCode {
    public static let noError: UInt16 = 0
    public static let formErr: UInt16 = 1
    public static let servFail: UInt16 = 2
    public static let nxDomain: UInt16 = 3
    public static let notImp: UInt16 = 4
    public static let refused: UInt16 = 5
    /// RFC 6891 §6.1.3: 12 bits, the upper 8 in the OPT record's TTL.
    public static let badVers: UInt16 = 16
}

/// The four record sections of a message, in wire order (RFC 1035 §4.1).
public enum DNSSection: UInt8, Sendable {
    case question = 0, answer = 1, authority = 2, additional = 3
}

/// Limits of the wire format.
public enum DNSLimits {
    /// RFC 1035 §2.3.4: labels are 63 octets or less.
    public static let maxLabel = 63
    /// RFC 1035 §2.3.4: names are 255 octets or less, length octets and the root included.
    public static let maxName = 255
    /// RFC 1035 §2.3.4 / §4.2.1: a UDP message without EDNS is at most 512 octets.
    public static let classicUDPSize = 512
    /// RFC 1035 §4.1.1: the fixed header.
    public static let headerSize = 12
    /// Pointer jumps followed in one name before giving up (c-ares' bound).
    /// Pointers must also point strictly backwards, so this never binds on
    /// an honest message.
    public static let maxJumps = 128
}
