/// An IP network in CIDR notation (RFC 4632 §3.1, RFC 4291 §2.3):
/// `192.168.1.0/24`, `fd00::/8`; an address alone is a /32 or /128.
/// What `--allow-from` names (`ForwardPolicy`).
public struct AddressPrefix: Equatable, Sendable {
    /// The network's address, host bits cleared.
    public let network: IPAddress
    /// Leading bits that count: 0–32 for IPv4, 0–128 for IPv6.
    public let length: Int

    /// `address/length`, host bits of `address` cleared; nil when the
    /// length does not fit the family.
    public init?(_ address: IPAddress, length: Int) {
        switch address {
        case .v4(let a):
            guard length >= 0 && length <= 32 else { return nil }
            network = .v4(a & ~(UInt32.max >> UInt32(length)))  // smart shift: by 32 gives 0
        case .v6(let hi, let lo):
            guard length >= 0 && length <= 128 else { return nil }
            network = .v6(hi & Self.mask64(length), lo & Self.mask64(length - 64))
        }
        self.length = length
    }

    /// Parses `ADDRESS[/LENGTH]`; `.ipAddress` when it is not one.
    public init(parsing text: String) throws(NostrError) {
        let bytes = Array(text.utf8)
        guard let slash = bytes.firstIndex(of: 0x2F) else {
            let a = try IPAddress(parsing: bytes)
            self.init(a, length: a.isIPv4 ? 32 : 128)!
            return
        }
        let a = try IPAddress(parsing: bytes[..<slash])
        let digits = bytes[(slash + 1)...]
        guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw NostrError(.ipAddress, at: slash + 1)
        }
        var n = 0
        for d in digits { n = n * 10 + Int(d - 0x30) }
        guard let p = AddressPrefix(a, length: n) else { throw NostrError(.ipAddress, at: slash + 1) }
        self = p
    }

    /// Whether `address` is in this network (same family only).
    public func contains(_ address: IPAddress) -> Bool {
        guard let p = AddressPrefix(address, length: length) else { return false }
        return p.network == network
    }

    /// `network/length`.
    public var text: String { network.text + "/" + String(length) }

    /// The first `bits` bits of a 64-bit half set (0 or less: none; 64 or more: all).
    static func mask64(_ bits: Int) -> UInt64 {
        if bits <= 0 { return 0 }
        if bits >= 64 { return UInt64.max }
        return ~(UInt64.max >> UInt64(bits))
    }
}
