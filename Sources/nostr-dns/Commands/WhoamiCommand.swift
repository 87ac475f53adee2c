import NostrCore
import NostrPlatform

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

extension Usage {
    static let whoami = """
        usage: nostr-dns [--key PATH] whoami

        Prints four lines: the npub, the public key in hex, <npub>.nostr and <npub>.local.

        """
}
