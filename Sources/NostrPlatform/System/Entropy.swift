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

    /// A fresh secret key, drawn again in the (2^-128) case that the random
    /// bytes are zero or not below the group order.
    public static func secretKey(context: Secp256k1Context) throws(NostrError) -> SecretKey {
        while true {
            let key = SecretKey(bytes: try bytes32())
            if context.isValid(secret: key) { return key }
        }
    }
}
