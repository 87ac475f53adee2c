import CPlatform
import NostrCore

extension SocketAddress {
    /// The address as an `IPAddress`, read without allocating (the DNS
    /// server asks it of every UDP query: `ForwardPolicy`,
    /// `ResponseRateLimit`).
    public var ipAddress: IPAddress {
        var bytes: (UInt64, UInt64) = (0, 0)
        var s = storage
        let n = withUnsafeBytes(of: &s) { p in
            withUnsafeMutableBytes(of: &bytes) { b in
                nd_sockaddr_info(p.baseAddress, b.baseAddress!.assumingMemoryBound(to: UInt8.self), nil, nil)
            }
        }
        return withUnsafeBytes(of: &bytes) { b in
            (try? IPAddress(bytes: UnsafeRawBufferPointer(rebasing: b[0..<(n == 4 ? 4 : 16)]))) ?? .v4(0)
        }
    }
}
