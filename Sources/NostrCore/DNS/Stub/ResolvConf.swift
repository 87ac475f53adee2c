/// What /etc/resolv.conf says about where to send DNS queries, read as
/// glibc's resolver reads it (resolv.conf(5), glibc `resolv/res_init.c`):
///
/// - `nameserver ADDR`: an IPv4 or IPv6 address, IPv6 optionally with a
///   `%zone` (an interface name or index, for link-local servers); at most
///   3 (glibc's MAXNS), later ones ignored, as are lines whose address
///   does not parse. No nameserver line at all: 127.0.0.1 (resolv.conf(5):
///   "the default is to use the name server on the local machine").
/// - `options timeout:N` (seconds before the first retry, default 5,
///   at most 30 = RES_MAXRETRANS), `attempts:N` (rounds over the servers,
///   default 2, at most 5 = RES_MAXRETRY) and `rotate`. Other options are
///   ignored.
/// - `search` and `domain` are ignored: relay host names are always
///   treated as absolute (a relay URL names one host; appending a search
///   domain to it would only add queries and surprises).
/// - Lines starting with `#` or `;` are comments; a keyword must be
///   followed by a space or a tab.
public struct ResolvConf: Equatable, Sendable {
    /// One name server: its address and, for an IPv6 address, the zone
    /// text after `%` ("" when none).
    public struct Server: Equatable, Sendable {
        public var address: IPAddress
        public var zone: String

        public init(address: IPAddress, zone: String = "") {
            self.address = address
            self.zone = zone
        }
    }

    /// glibc's MAXNS.
    public static let maxServers = 3
    /// glibc's RES_TIMEOUT and RES_MAXRETRANS, in seconds.
    public static let defaultTimeoutSeconds = 5
    public static let maxTimeoutSeconds = 30
    /// glibc's RES_DFLRETRY and RES_MAXRETRY.
    public static let defaultAttempts = 2
    public static let maxAttempts = 5

    public var servers: [Server]
    public var timeoutSeconds: Int
    public var attempts: Int
    public var rotate: Bool

    /// resolv.conf(5): with no nameserver line, "the name server on the
    /// local machine".
    static let localServer = Server(address: .v4(0x7F00_0001))

    /// No file (or an empty one): the local name server, glibc's defaults.
    public init() {
        servers = [Self.localServer]
        timeoutSeconds = Self.defaultTimeoutSeconds
        attempts = Self.defaultAttempts
        rotate = false
    }

    /// Parses the file's bytes. Never fails: like glibc, a line it does not
    /// understand is skipped.
    public init(parsing bytes: some Collection<UInt8>) {
        self.init()
        servers = []
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: true) {
            let words = line.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D })
            guard let keyword = words.first, let first = keyword.first, first != 0x23, first != 0x3B else { continue }
            // A comment may also follow the value ("nameserver 1.2.3.4 # isp").
            if Self.equal(keyword, "nameserver") {
                guard words.count >= 2, servers.count < Self.maxServers, let server = Self.server(words[1]) else { continue }
                servers.append(server)
            } else if Self.equal(keyword, "options") {
                for option in words.dropFirst() {
                    if option.first == 0x23 || option.first == 0x3B { break }
                    if Self.equal(option, "rotate") {
                        rotate = true
                    } else if let n = Self.number(option, after: "timeout:") {
                        timeoutSeconds = max(1, min(n, Self.maxTimeoutSeconds))
                    } else if let n = Self.number(option, after: "attempts:") {
                        attempts = max(1, min(n, Self.maxAttempts))
                    }
                }
            }
        }
        if servers.isEmpty { servers = [Self.localServer] }
    }

    static func equal(_ word: some Collection<UInt8>, _ text: String) -> Bool {
        word.elementsEqual(text.utf8)
    }

    /// "timeout:3" after "timeout:" -> 3 (digits only; large values saturate).
    static func number(_ word: some Collection<UInt8>, after prefix: String) -> Int? {
        let p = prefix.utf8
        guard word.count > p.count, word.prefix(p.count).elementsEqual(p) else { return nil }
        var n = 0
        for c in word.dropFirst(p.count) {
            guard c >= 0x30 && c <= 0x39 else { return nil }
            n = min(n * 10 + Int(c - 0x30), 1_000_000)
        }
        return n
    }

    /// "192.0.2.1", "2001:db8::1", "fe80::1%eth0".
    static func server(_ word: some Collection<UInt8>) -> Server? {
        var address = Array(word)
        var zone = ""
        if let percent = address.firstIndex(of: 0x25) {
            guard percent + 1 < address.count else { return nil }
            zone = String(decoding: address[(percent + 1)...], as: UTF8.self)
            address.removeSubrange(percent...)
        }
        guard let ip = try? IPAddress(parsing: address) else { return nil }
        if case .v4 = ip, !zone.isEmpty { return nil }
        return Server(address: ip, zone: zone)
    }

    /// The servers in the order to ask them in round `attempt` (0-based):
    /// as listed, or with `rotate` starting one further each time, so that
    /// load spreads across them (glibc rotates per query; this per lookup,
    /// with `start` supplied by the caller).
    public func order(start: Int) -> [Int] {
        let n = servers.count
        guard rotate, n > 1 else { return Array(0..<n) }
        let s = ((start % n) + n) % n
        return (0..<n).map { ($0 + s) % n }
    }
}
