import NostrCore
import NostrPlatform

/// Signing records and reporting what each relay said (NIP-01 OK), shared
/// by `publish-ip`, `publish-cert` and the daemons that republish
/// (`publish-ip --watch`, `https-demo`).
enum Publishing {
    /// Signs `templates` with the key file's key.
    static func sign(_ templates: [EventTemplate], _ globals: GlobalOptions, context: Secp256k1Context) throws(CommandFailure) -> [Event] {
        let secret = try Common.loadKey(globals)
        var events: [Event] = []
        for t in templates {
            events.append(
                try checked { () throws(NostrError) in
                    try Event.sign(t, secret: secret, context: context, auxRand: try Entropy.bytes32())
                })
        }
        return events
    }

    /// Publishes `events` to the relays and prints, for each event,
    /// `published kind K id HEX` and then one line per relay:
    /// `accepted URL`, `rejected URL: MESSAGE` or `failed URL: ERROR`.
    /// Exit 0 when every event was accepted by at least one relay.
    static func publish(_ events: [Event], _ globals: GlobalOptions, timeoutMilliseconds: Int64) throws(CommandFailure) -> Int32 {
        let setup = try RelaySetup(globals)
        let report = try checked { () throws(PlatformError) in
            try Publication.run(events, relays: setup.builder, timeoutMilliseconds: timeoutMilliseconds)
        }
        var allPlaced = true
        var out = ""
        for (k, e) in events.enumerated() {
            out += publishedLine(e)
            var accepted = false
            for (r, url) in report.relays.enumerated() {
                let outcome = report.outcomes[k][r]
                if outcome == .accepted { accepted = true }
                out += outcomeLine(outcome, url)
            }
            allPlaced = allPlaced && accepted
        }
        if !globals.quiet { Output.stdout(out) }
        if !allPlaced {
            throw CommandFailure("no relay accepted " + (events.count == 1 ? "the event" : "every event"))
        }
        return ExitCode.success
    }

    /// For a daemon: signs `templates`, queues them on its pool (sent
    /// until each relay answers) and prints their `published` lines.
    /// Returns the events whose OKs `report` prints.
    static func queue(
        _ templates: [EventTemplate], on pool: RelayPool, _ globals: GlobalOptions,
        context: Secp256k1Context
    ) throws(CommandFailure) -> [Event] {
        let events = try sign(templates, globals, context: context)
        var out = ""
        for e in events {
            pool.publish(e)
            out += publishedLine(e)
        }
        if !globals.quiet { Output.stdout(out) }
        return events
    }

    /// For a daemon: prints what its pool's relays said this turn: one
    /// `accepted URL` / `rejected URL: MESSAGE` line per OK for an event
    /// of `pending`, and a notice on stderr when a relay failed (it is
    /// reconnected) or, with -v, connected.
    static func report(
        _ events: [RelayPoolEvent], pending: [Event], pool: RelayPool, command: String,
        _ globals: GlobalOptions
    ) {
        for event in events {
            switch event {
            case .message(let r, .ok(let id, let accepted, let message)) where pending.contains(where: { $0.id == id }):
                if !globals.quiet { Output.stdout(outcomeLine(accepted ? .accepted : .rejected(message), pool.urls[r])) }
            case .failed(let r, let message):
                if !globals.quiet {
                    Output.stderr(
                        "nostr-dns " + command + ": " + pool.urls[r].text + ": " + RelayText.printable(message) + "; reconnecting\n")
                }
            case .connected(let r):
                if globals.verbose { Output.stderr("nostr-dns " + command + ": connected to " + pool.urls[r].text + "\n") }
            default:
                break
            }
        }
    }

    static func publishedLine(_ e: Event) -> String {
        "published kind " + String(e.kind) + " id " + e.id.hex + "\n"
    }

    /// One relay's answer; the relay's own text (its OK message) with its
    /// control characters escaped (`RelayText`), so a relay cannot write
    /// terminal escapes or forge lines.
    static func outcomeLine(_ outcome: PublishOutcome, _ url: RelayURL) -> String {
        switch outcome {
        case .accepted: return "accepted " + url.text + "\n"
        case .rejected(let m): return "rejected " + url.text + ": " + RelayText.printable(m) + "\n"
        case .failed(let m): return "failed " + url.text + ": " + RelayText.printable(m) + "\n"
        }
    }

    /// `--expires S`, `--ttl S` and the like: a non-negative number of seconds.
    static func seconds(_ args: inout Arguments, _ option: String, max: Int64 = Int64(Int32.max)) throws(UsageError) -> Int64 {
        let v = try args.integer(for: option)
        guard v >= 0 && v <= max else { throw UsageError(option + " must be between 0 and " + String(max)) }
        return v
    }
}
