import NostrCore
import NostrPlatform

/// `--trust NPUB` (repeatable) and `--private-answers trusted|all` of
/// `dns`, `mdns`, `resolve` and `fetch`, with the config file's `trust` and
/// `private-answers` keys: the `AddressPolicy` (issue 16 item 4) that
/// decides which addresses of relayed records are answered. This host's
/// own key (the key file, when there is one) is always trusted.
struct AddressPolicySetup {
    var trust: [String] = []
    var privateAnswers: String?

    /// Consumes `arg` (and its value) if it is one of these options.
    mutating func consume(_ arg: String, _ args: inout Arguments) throws(UsageError) -> Bool {
        switch arg {
        case "--trust": trust.append(try args.value(for: arg))
        case "--private-answers": privateAnswers = try args.value(for: arg)
        default: return false
        }
        return true
    }

    /// The policy: the options' and the config file's trusted npubs, plus
    /// `ownKey` (else the key file's key when one exists; none is created).
    func policy(_ globals: GlobalOptions, config: ConfigFile?, ownKey: Bytes32? = nil) throws(CommandFailure) -> AddressPolicy {
        var policy = AddressPolicy()
        for text in trust + (config?.values("trust") ?? []) {
            do throws(NostrError) {
                policy.trusted.append(try NostrName(parsing: text).publicKey)
            } catch {
                throw CommandFailure("trust needs an npub (npub1… or <npub>.nostr), not " + Common.shown(text), exitCode: ExitCode.usage)
            }
        }
        switch privateAnswers ?? config?.value("private-answers") ?? "trusted" {
        case "trusted": break
        case "all": policy.privateAnswersForAll = true
        case let other:
            throw CommandFailure("private-answers must be 'trusted' or 'all', not " + Common.shown(other), exitCode: ExitCode.usage)
        }
        if let ownKey {
            policy.trusted.append(ownKey)
        } else if let own = Self.keyFileKey(globals) {
            policy.trusted.append(own)
        }
        return policy
    }

    /// The public key of the key file, nil when there is none (a command
    /// that only resolves needs no key, and none is created) or it cannot
    /// be read (said on stderr: the command still runs, trusting no key of
    /// its own).
    static func keyFileKey(_ globals: GlobalOptions) -> Bytes32? {
        do throws(CommandFailure) {
            let path = try Common.keyPath(globals)
            let secret: SecretKey
            do throws(PlatformError) { secret = try KeyFile.load(path: path) } catch {
                if error.code == .notFound { return nil }
                throw CommandFailure(error)
            }
            let ctx = try Common.context()
            return try checked { () throws(NostrError) in try ctx.publicKey(of: secret) }
        } catch {
            if !globals.quiet {
                Output.stderr("nostr-dns: this host's key is not trusted for private addresses: " + error.message + "\n")
            }
            return nil
        }
    }

    static let usage = """
          --trust NPUB       answer this npub's private addresses (RFC 1918, CGNAT,
                             ULA; repeatable; config key `trust`); this host's own key
                             is always trusted
          --private-answers trusted|all
                             `all` answers every npub's private addresses (config
                             key `private-answers`; default trusted). Loopback,
                             link-local, multicast, broadcast and unspecified
                             addresses of a relayed record are never answered.

        """

    /// The same options for `fetch` and `pin`, which connect rather than answer.
    static let connectUsage = """
          --trust NPUB   connect to this npub's private and loopback addresses
                         (repeatable; config key `trust`; this host's own key is
                         always trusted); link-local, multicast, broadcast and
                         unspecified addresses never
          --private-answers trusted|all
                         `all`: every npub's private addresses (not loopback)

        """
}
