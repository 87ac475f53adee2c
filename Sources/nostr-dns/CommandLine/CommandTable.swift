/// One command of the command line: the word that selects it, its lines in
/// the command list of `nostr-dns --help`, its own help text and the
/// function that runs it.
struct CommandEntry {
    /// `nostr-dns NAME`.
    let name: String
    /// Its lines in the main help: what to type (`resolve NAME`, `event
    /// sign`) and a one-line summary.
    let listing: [(shown: String, summary: String)]
    /// `nostr-dns NAME --help`, also printed after a usage error; nil for
    /// `help`, whose text is the main one.
    let usage: String?
    let run: Command

    init(_ name: String, _ summary: String, shown: String? = nil, usage: String?, run: @escaping Command) {
        self.init(name, listing: [(shown ?? name, summary)], usage: usage, run: run)
    }

    init(_ name: String, listing: [(shown: String, summary: String)], usage: String?, run: @escaping Command) {
        self.name = name
        self.listing = listing
        self.usage = usage
        self.run = run
    }
}

/// Every command, in the order of `nostr-dns --help`: the only list of
/// them. The dispatcher (`CommandLineTool`), the help texts (`Usage`) and,
/// through `--help`, the man page check (Tests/man-page.sh) read it. A new
/// command is a file in Commands/ (its `run` and its `extension Usage`)
/// and one entry here. Computed, not stored: read a few times per run, it
/// needs no global storage (and no `Sendable` closures).
enum CommandTable {
    static var all: [CommandEntry] {
        [
            CommandEntry(
                "mdns", "the mDNS responder for <npub>.local (the default command)",
                usage: Usage.mdns, run: MDNSCommand.run),
            CommandEntry(
                "keygen", "create the key file if there is none; print the npub",
                usage: Usage.keygen, run: KeygenCommand.run),
            CommandEntry(
                "publish-ip", "publish this host's addresses (kind 30053); --watch keeps them current",
                usage: Usage.publishIP, run: PublishIPCommand.run),
            CommandEntry(
                "publish-cert", "publish the TLS key record of a certificate (kind 30059)",
                usage: Usage.publishCert, run: PublishCertCommand.run),
            CommandEntry(
                "resolve", "look up an npub, <npub>.nostr, <label>.<npub>.nostr or <npub>.local", shown: "resolve NAME",
                usage: Usage.resolve, run: ResolveCommand.run),
            CommandEntry(
                "dns", "the DNS server for <npub>.nostr (UDP and TCP; beside dnsmasq)",
                usage: Usage.dns, run: DNSCommand.run),
            CommandEntry(
                "https-demo", "an HTTPS server whose TLS key the npub vouches for (--alt: keyed by the npub)",
                usage: Usage.httpsDemo, run: HTTPSDemoCommand.run),
            CommandEntry(
                "fetch", "get https://<npub>.nostr[:port]/path, trusting only the key the npub signed", shown: "fetch URL",
                usage: Usage.fetch, run: FetchCommand.run),
            CommandEntry(
                "pin", "curl --resolve/--pinnedpubkey arguments and TLSA records for a name", shown: "pin NAME",
                usage: Usage.pin, run: PinCommand.run),
            CommandEntry(
                "whoami", "print npub, hex public key, <npub>.nostr and <npub>.local",
                usage: Usage.whoami, run: WhoamiCommand.run),
            CommandEntry(
                "event",
                listing: [
                    ("event sign", "sign a NIP-01 event and print it as one line of JSON"),
                    ("event verify", "check the id and signature of one event JSON read from stdin"),
                ], usage: Usage.event, run: EventCommand.run),
            CommandEntry(
                "bench", "events verified per second against raw libsecp256k1", shown: "bench verify",
                usage: Usage.bench, run: BenchCommand.run),
            CommandEntry(
                "gateway", "a wsn:// front door for a relay, authenticated by this host's npub",
                usage: Usage.gateway, run: GatewayCommand.run),
            CommandEntry("help", "this text", usage: nil, run: HelpCommand.run),
        ]
    }

    /// The entry whose name is `name`, if any.
    static func named(_ name: String) -> CommandEntry? {
        for command in all where command.name == name { return command }
        return nil
    }
}
