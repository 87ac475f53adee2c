import CPlatform

/// Reading standard input whole, with a size limit.
public enum StandardInput {
    /// All of stdin, or nil if it is larger than `limit` bytes or unreadable.
    public static func readAll(limit: Int) -> [UInt8]? {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { p in CPlatform.read(0, p.baseAddress, p.count) }
            if n < 0 {
                if nd_errno() == EINTR { continue }
                return nil
            }
            if n == 0 { return out }
            guard out.count + n <= limit else { return nil }
            out.append(contentsOf: chunk[0..<n])
        }
    }
}
