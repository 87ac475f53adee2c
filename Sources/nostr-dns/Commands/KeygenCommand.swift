import NostrCore
import NostrPlatform

/// `keygen`: creates the key file if there is none (never overwrites it)
/// and prints the npub.
enum KeygenCommand {
    static func run(_ args: inout Arguments, _ globals: inout GlobalOptions) throws(CommandFailure) -> Int32 {
        guard try parseOptions("keygen", &args, &globals) else { return ExitCode.success }
        let ctx = try Common.context()
        let path = try Common.keyPath(globals)
        let (secret, created) = try checked { () throws(PlatformError) in
            try KeyFile.loadOrCreate(path: path) { () throws(PlatformError) -> SecretKey in
                do throws(NostrError) { return try Entropy.secretKey(context: ctx) } catch { throw PlatformError(.io) }
            }
        }
        let pubkey = try checked { () throws(NostrError) in try ctx.publicKey(of: secret) }
        if !globals.quiet {
            Output.stderr(created ? "created key file " + path + "\n" : "key file " + path + " exists; kept it\n")
        }
        Output.stdout(NIP19.npub(pubkey) + "\n")
        return ExitCode.success
    }
}

extension Usage {
    static let keygen = """
        usage: nostr-dns [--key PATH] keygen

        Creates the key file (mode 0600, in a folder of mode 0700) from getrandom(2)
        if there is none, and prints the npub. An existing key is never overwritten.

        """
}
