import NostrCore
import NostrPlatform

/// `resolve NAME [--type A|AAAA|TLSA|ANY] [--service NAME] [--json] [--timeout S] [--follow]`:
/// looks the name up on the relays and prints what it finds, one item per
/// line like `dig +short`; exit 3 when there is nothing to print.
enum ResolveCommand {
    enum RecordType { case addresses, a, aaaa, tlsa, any }

    static func run(_ args: inout Arguments, _ globals: inout GlobalOptions) throws(CommandFailure) -> Int32 {
        var nameText: String?
        var type = RecordType.addresses
        var service = "https"
        var json = false
        var follow = false
        var timeout: Int64 = 10_000
        var policyOptions = AddressPolicySetup()
        guard
            try parseOptions(
                "resolve", &args, &globals,
                { (arg, args) throws(UsageError) -> Bool in
                    switch arg {
                    case "--type":
                        let t = try args.value(for: arg)
                        switch String(decoding: t.utf8.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }, as: UTF8.self) {
                        case "A": type = .a
                        case "AAAA": type = .aaaa
                        case "TLSA": type = .tlsa
                        case "ANY": type = .any
                        default: throw UsageError("--type must be A, AAAA, TLSA or ANY, not '" + t + "'")
                        }
                    case "--service": service = try args.value(for: arg)
                    case "--json": json = true
                    case "--follow": follow = true
                    case "--timeout": timeout = try parseTimeout(&args, arg)
                    default:
                        if try policyOptions.consume(arg, &args) { return true }
                        guard nameText == nil, arg.utf8.first != 0x2D else { return false }
                        nameText = arg
                    }
                    return true
                })
        else { return ExitCode.success }
        guard let nameText else { throw CommandFailure("missing NAME", exitCode: ExitCode.usage) }
        let name: NostrName
        do throws(NostrError) { name = try NostrName(parsing: nameText) } catch {
            throw CommandFailure(
                Common.shown(nameText) + " is not an npub name (npub1…, <npub>.nostr, <label>.<npub>.nostr or <npub>.local)",
                exitCode: ExitCode.usage)
        }

        let wantAddresses = type != .tlsa
        let wantTLS = type == .tlsa || type == .any
        let setup = try RelaySetup(globals)
        let policy = try policyOptions.policy(globals, config: setup.config)
        if follow {
            var queries: [RecordQuery] = []
            if wantAddresses { queries.append(.addresses(of: name.publicKey, label: name.label)) }
            if wantTLS { queries.append(.tlsKeys(of: name.publicKey, service: service)) }
            return try Self.follow(
                queries, type: type, name: nameText, parsed: name, json: json, setup: setup,
                globals: globals, timeout: timeout, policy: policy)
        }
        let ctx = try Common.context()
        let tlsService: String? = wantTLS ? service : nil
        let relays = setup.builder
        let lookup = try checked { () throws(PlatformError) in
            try NameLookup.run(
                name, addresses: wantAddresses, tlsService: tlsService, relays: relays, context: ctx,
                timeoutMilliseconds: timeout)
        }
        report(lookup.records, globals: globals)
        guard lookup.anyAnswered else {
            throw CommandFailure("no relay answered (" + String(lookup.records.relays.count) + " tried)")
        }

        let answer = Answer(lookup.records.selections, type: type, policy: policy, author: name.publicKey)
        answer.logDropped("resolve", globals)
        Output.stdout(answer.render(name: nameText, parsed: name, json: json, oneLine: false))
        if answer.isEmpty {
            if !globals.quiet { Output.stderr("nostr-dns resolve: no " + typeName(type) + " record for " + nameText + "\n") }
            return ExitCode.notFound
        }
        return ExitCode.success
    }

    /// `--follow`: keeps the subscriptions open on every relay (reconnecting
    /// with backoff) and prints the answer on one line (or one JSON object
    /// per line) first when the relays have answered (EOSE, or --timeout),
    /// then each time a newer valid record arrives. SIGINT/SIGTERM end it.
    static func follow(
        _ queries: [RecordQuery], type: RecordType, name: String, parsed: NostrName, json: Bool,
        setup: RelaySetup, globals: GlobalOptions, timeout: Int64, policy: AddressPolicy
    ) throws(CommandFailure) -> Int32 {
        let pool = try setup.pool(reconnect: true, timeoutMilliseconds: timeout)
        let ctx = try Common.context()
        StopSignal.install()
        let printer = FollowPrinter(type: type, name: name, parsed: parsed, json: json, globals: globals, policy: policy)
        let follow = RecordFollowServer(queries, pool: pool, context: ctx, timeoutMilliseconds: timeout, output: printer)
        try checked { () throws(PlatformError) in try follow.run() }
        return ExitCode.success
    }

    /// What `--follow` prints of `RecordFollowServer`'s news (the follow
    /// loop it shares with the Swift API's `Resolver.watch`): each failed
    /// relay on stderr, the answer on one line when its records changed.
    final class FollowPrinter: RecordFollowOutput {
        let type: RecordType
        let name: String
        let parsed: NostrName
        let json: Bool
        let globals: GlobalOptions
        let policy: AddressPolicy

        init(type: RecordType, name: String, parsed: NostrName, json: Bool, globals: GlobalOptions, policy: AddressPolicy) {
            self.policy = policy
            self.type = type
            self.name = name
            self.parsed = parsed
            self.json = json
            self.globals = globals
        }

        func relayFailed(_ url: RelayURL, _ message: String) {
            if !globals.quiet { Output.stderr("nostr-dns resolve: " + url.text + ": " + message + "; reconnecting\n") }
        }

        func recordsChanged(_ selections: [RecordSelection]) {
            let answer = Answer(selections, type: type, policy: policy, author: parsed.publicKey)
            answer.logDropped("resolve", globals)
            if !answer.isEmpty { Output.stdout(answer.render(name: name, parsed: parsed, json: json, oneLine: true)) }
        }
    }

    /// What a lookup found, for the type asked.
    struct Answer {
        var addresses: [IPAddress] = []
        var ttl = 60
        var addressEvent: Event? = nil
        var tls: TLSKeyRecord? = nil
        var tlsEvent: Event? = nil
        /// The record's addresses `AddressPolicy` left out, for -v.
        var dropped: [String] = []

        /// `selections` hold the address query first (unless the type is
        /// TLSA), then the TLS key query (for TLSA and ANY).
        init(_ selections: [RecordSelection], type: RecordType, policy: AddressPolicy, author: Bytes32) {
            var next = 0
            if type != .tlsa {
                if let best = selections[next].best, let meaning = selections[next].meaning {
                    addressEvent = best
                    // Issue 16 item 4: loopback, link-local… never; private
                    // addresses only for trusted npubs.
                    addresses = policy.answered(meaning.addresses, author: author)
                    dropped = policy.droppedText(meaning.addresses, author: author)
                    ttl = meaning.ttl ?? 60
                    if type == .a { addresses = addresses.filter { $0.isIPv4 } }
                    if type == .aaaa { addresses = addresses.filter { !$0.isIPv4 } }
                }
                next += 1
            }
            if type == .tlsa || type == .any, let best = selections[next].best {
                tlsEvent = best
                tls = selections[next].meaning?.tlsKey
            }
        }

        var isEmpty: Bool { addresses.isEmpty && tls == nil }

        /// What the address policy left out, on stderr with -v.
        func logDropped(_ command: String, _ globals: GlobalOptions) {
            guard globals.verbose && !globals.quiet else { return }
            for d in dropped { Output.stderr("nostr-dns " + command + ": " + d + "\n") }
        }

        /// One item per line like `dig +short`, or one JSON object; with
        /// `oneLine`, the items on one line separated by spaces.
        func render(name: String, parsed: NostrName, json: Bool, oneLine: Bool) -> String {
            if json {
                return String(decoding: jsonReport(name: name, parsed: parsed, self), as: UTF8.self) + "\n"
            }
            var items = addresses.map { $0.text }
            if let tls { items.append("3 1 1 " + tls.spkiSHA256.hex) }
            return items.isEmpty ? "" : items.joined(separator: oneLine ? " " : "\n") + "\n"
        }
    }

    static func typeName(_ t: RecordType) -> String {
        switch t {
        case .addresses: return "address"
        case .a: return "A"
        case .aaaa: return "AAAA"
        case .tlsa: return "TLSA"
        case .any: return "address or TLSA"
        }
    }

    /// -v: what each relay did; without -v only failures when nothing answered.
    static func report(_ lookup: RecordLookup, globals: GlobalOptions) {
        guard !globals.quiet else { return }
        for (r, url) in lookup.relays.enumerated() {
            if let f = lookup.failures[r], globals.verbose || !lookup.anyAnswered {
                Output.stderr(RelaySetup.failureLine("resolve", url, f))
            } else if globals.verbose && lookup.answered[r] {
                Output.stderr("nostr-dns resolve: " + url.text + ": answered\n")
            }
        }
        if globals.verbose {
            for (r, verdict) in lookup.refused {
                Output.stderr("nostr-dns resolve: " + lookup.relays[r].text + ": ignored an event (" + verdictText(verdict) + ")\n")
            }
        }
    }

    static func verdictText(_ v: RecordVerdict) -> String {
        switch v {
        case .accepted: return "accepted"
        case .older: return "older"
        case .duplicate: return "duplicate"
        case .wrongAuthor: return "another author"
        case .wrongKind: return "another kind"
        case .wrongLabel: return "another d tag"
        case .badSignature: return "bad signature"
        case .badId: return "id is not the hash of the event"
        case .future: return "created_at too far in the future"
        case .expired: return "expired"
        case .tooLarge: return "too large for a record"
        case .notARecord: return "not a record of the expected shape"
        }
    }

    static func jsonReport(name: String, parsed: NostrName, _ a: Answer) -> [UInt8] {
        var w = JSONWriter()
        w.raw("{\"name\":"); w.string(name)
        w.raw(",\"npub\":"); w.string(parsed.npub)
        w.raw(",\"pubkey\":"); w.hex(parsed.publicKey)
        w.raw(",\"label\":"); w.string(parsed.label)
        w.raw(",\"addresses\":[")
        for (i, addr) in a.addresses.enumerated() { if i > 0 { w.raw(0x2C) }; w.string(addr.text) }
        w.raw("],\"ttl\":"); w.int(a.ttl)
        if let e = a.addressEvent { w.raw(",\"event\":"); eventSummary(e, &w) }
        if let tls = a.tls {
            w.raw(",\"tls\":{\"service\":"); w.string(tls.service)
            w.raw(",\"k\":"); w.hex(tls.spkiSHA256)
            w.raw(",\"url\":"); if let u = tls.url { w.string(u) } else { w.raw("null") }
            w.raw(",\"exp\":"); if let x = tls.expires { w.int(x) } else { w.raw("null") }
            if let e = a.tlsEvent { w.raw(",\"event\":"); eventSummary(e, &w) }
            w.raw(0x7D)
        }
        w.raw(0x7D)
        return w.bytes
    }

    static func eventSummary(_ e: Event, _ w: inout JSONWriter) {
        w.raw("{\"id\":"); w.hex(e.id)
        w.raw(",\"kind\":"); w.int(e.kind)
        w.raw(",\"created_at\":"); w.int(e.createdAt)
        w.raw(",\"pubkey\":"); w.hex(e.pubkey)
        w.raw(0x7D)
    }
}

extension Usage {
    static let resolve = """
        usage: nostr-dns resolve NAME [--type A|AAAA|TLSA|ANY] [--service NAME] [--json]
                                      [--timeout S] [--follow]
                                      [--trust NPUB]... [--private-answers trusted|all]

        NAME is an npub, <npub>.nostr, <label>.<npub>.nostr or <npub>.local. Asks the
        relays, verifies every event, takes the newest valid record and prints its
        addresses one per line (IPv4 first), like dig +short. --type TLSA prints
        "3 1 1 HEX" from the TLS key record of --service (default https); ANY prints
        both. --json prints one JSON object. Exit 3 when there is no such record,
        1 when no relay answered within --timeout (default 10 s; it bounds the
        relays' host-name lookups too), with one line per relay saying why.
        --follow keeps the subscription open (reconnecting to lost relays) and
        prints the answer on one line (one JSON object per line with --json)
        whenever a newer record arrives, until SIGINT/SIGTERM.

        """ + AddressPolicySetup.usage + relays
}
