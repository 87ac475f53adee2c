import CPlatform
import NostrCore

/// Randomness from the kernel's CSPRNG via getrandom(2).
public enum Entropy {
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(NostrError) {
        guard nd_getrandom(buffer.baseAddress, buffer.count) == 0 else { throw NostrError(.entropy) }
    }

    public static func bytes32() throws(NostrError) -> Bytes32 {
        var out = Bytes32.zero
        try out.withUnsafeMutableBytes { (p) throws(NostrError) in try fill(p) }
        return out
    }
}
