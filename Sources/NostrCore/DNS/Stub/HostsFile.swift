/// Host addresses from /etc/hosts (hosts(5)), which getaddrinfo(3) reads
/// before asking DNS ("files dns" in a default nsswitch.conf): relays given
/// as `ws://localhost:7777` or a name the router's owner pinned there must
/// keep working without a DNS query.
///
/// Each line: an IP address, a canonical host name, then aliases,
/// separated by spaces or tabs; `#` starts a comment that runs to the end
/// of the line. Names compare case-insensitively (RFC 4343 §3); a final dot
/// on the name asked for is ignored. Every line that names the host counts
/// (glibc's "multi on", its default since 2.26), in file order. Addresses
/// that do not parse (including IPv6 with a `%zone`) are skipped.
public enum HostsFile {
    public static func addresses(of name: String, in file: some Collection<UInt8>) -> [IPAddress] {
        var wanted = Array(name.utf8)
        if wanted.last == 0x2E { wanted.removeLast() }
        guard !wanted.isEmpty else { return [] }
        var out: [IPAddress] = []
        for rawLine in file.split(separator: 0x0A, omittingEmptySubsequences: true) {
            let line = rawLine.prefix(while: { $0 != 0x23 })
            let words = line.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D })
            guard words.count >= 2 else { continue }
            let named = words.dropFirst().contains { word in
                word.count == wanted.count && zip(word, wanted).allSatisfy { DNSWire.lower($0) == DNSWire.lower($1) }
            }
            guard named, let ip = try? IPAddress(parsing: words[0]), !out.contains(ip) else { continue }
            out.append(ip)
        }
        return out
    }
}
