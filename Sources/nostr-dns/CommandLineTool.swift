import NostrCore
import NostrPlatform

enum CommandLineTool {
    static func run(arguments: [String]) -> Int32 {
        let seed = (try? Entropy.bytes32()) ?? .zero
        guard let ctx = try? Secp256k1Context(randomSeed: seed) else { return 1 }
        let sk = SecretKey(bytes: (try? Hex.decode32("0000000000000000000000000000000000000000000000000000000000000003")) ?? .zero)
        let pk = (try? ctx.publicKey(of: sk)) ?? .zero
        Output.stdout(pk.hex + "\n")
        return 0
    }
}
