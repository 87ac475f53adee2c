import NostrCore
import NostrPlatform

extension NameTrust {
    /// Asks the relays of the command line (`NameLookup`) for `name`'s
    /// addresses and its TLS key record of `service`; relay failures are
    /// logged as `nostr-dns COMMAND: URL: why` (all with -v, else only when
    /// no relay answered, which fails the command).
    static func look(
        _ name: NostrName, service: String, command: String, globals: GlobalOptions,
        timeout: Int64
    ) throws(CommandFailure) -> NameTrust {
        let setup = try RelaySetup(globals)
        let ctx = try Common.context()
        let lookup = try checked { () throws(PlatformError) in
            try NameLookup.run(name, tlsService: service, relays: setup.builder, context: ctx, timeoutMilliseconds: timeout)
        }
        if !globals.quiet {
            for (r, url) in lookup.records.relays.enumerated() {
                if let f = lookup.records.failures[r], globals.verbose || !lookup.anyAnswered {
                    Output.stderr(RelaySetup.failureLine(command, url, f))
                }
            }
        }
        guard lookup.anyAnswered else {
            throw CommandFailure("no relay answered (" + String(lookup.records.relays.count) + " tried)")
        }
        return try checked { () throws(NostrError) in try NameTrust(lookup, context: ctx) }
    }
}
