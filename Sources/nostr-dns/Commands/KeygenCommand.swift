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

/// `whoami`: prints the npub, the hex public key, `<npub>.nostr` and `<npub>.local`.
enum WhoamiCommand {
    static func run(_ args: inout Arguments, _ globals: inout GlobalOptions) throws(CommandFailure) -> Int32 {
        guard try parseOptions("whoami", &args, &globals) else { return ExitCode.success }
        let ctx = try Common.context()
        let secret = try Common.loadKey(globals)
        let pubkey = try checked { () throws(NostrError) in try ctx.publicKey(of: secret) }
        let npub = NIP19.npub(pubkey)
        Output.stdout(npub + "\n" + pubkey.hex + "\n" + npub + ".nostr\n" + npub + ".local\n")
        return ExitCode.success
    }
}
