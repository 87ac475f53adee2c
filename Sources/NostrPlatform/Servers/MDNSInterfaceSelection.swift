import CPlatform
import NostrCore

/// Which interfaces the mDNS responder serves (`mdns --interface NAME`...).
public enum MDNSInterfaceSelection {
    /// With no names: every interface that is up, multicast-capable and not
    /// loopback (RFC 6762 is link-local; loopback is served only when named,
    /// e.g. for tests, as avahi never serves it). With names: exactly those,
    /// each of which must exist and be up.
    /// A named interface without any IPv4 or IPv6 address is `.io` with
    /// ENODEV ("No such device"), one that is down `.io` with ENETDOWN.
    public static func select(_ names: [String], from addresses: [InterfaceAddress]) throws(PlatformError) -> [MDNSInterface] {
        var out: [MDNSInterface] = []
        func add(_ a: InterfaceAddress) {
            let prefix = MDNSPrefix(address: addressValue(a.address), prefixLength: a.prefixLength)
            if let i = out.firstIndex(where: { $0.index == a.index }) {
                if !out[i].prefixes.contains(prefix) { out[i].prefixes.append(prefix) }
            } else {
                out.append(MDNSInterface(index: a.index, name: a.interface, prefixes: [prefix], isLoopback: a.isLoopback))
            }
        }
        if names.isEmpty {
            for a in addresses where a.isUp && a.isMulticast && !a.isLoopback && a.index != 0 { add(a) }
            return out
        }
        for name in names {
            let matching = addresses.filter { $0.interface.utf8.elementsEqual(name.utf8) }
            guard !matching.isEmpty else {
                throw PlatformError(.io, errno: ENODEV, path: "interface " + name)
            }
            guard matching.contains(where: { $0.isUp }) else {
                throw PlatformError(.io, errno: ENETDOWN, path: "interface " + name)
            }
            for a in matching where a.isUp && a.index != 0 { add(a) }
        }
        return out
    }

    static func addressValue(_ bytes: [UInt8]) -> IPAddress {
        bytes.withUnsafeBytes { (try? IPAddress(bytes: $0)) ?? .v4(0) }
    }
}
