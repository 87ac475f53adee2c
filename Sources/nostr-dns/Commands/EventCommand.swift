import NostrCore
import NostrPlatform

/// `event sign` and `event verify`: NIP-01 events by hand, for checking
/// interoperability with other nostr software.
enum EventCommand {
    /// Largest event accepted on stdin by `event verify`.
    static let maxInput = 1 << 20

    static func run(_ args: inout Arguments, _ globals: inout GlobalOptions) throws(CommandFailure) -> Int32 {
        try runAction(&args, &globals, usage: Usage.event, kind: "action", [("sign", sign), ("verify", verify)])
    }

    /// `event sign --kind K [--content TEXT] [--tag NAME,VALUE,...]... [--created-at UNIX]`:
    /// prints the signed event as one line of JSON.
    static func sign(_ args: inout Arguments, _ globals: inout GlobalOptions) throws(CommandFailure) -> Int32 {
        var kind: Int64?
        var content = ""
        var tags: [[String]] = []
        var createdAt: Int64?
        let proceed = try parseOptions("event", &args, &globals) { (arg, args) throws(UsageError) -> Bool in
            switch arg {
            case "--kind": kind = try args.integer(for: arg)
            case "--content": content = try args.value(for: arg)
            case "--tag": tags.append(splitTag(try args.value(for: arg)))
            case "--created-at": createdAt = try args.integer(for: arg)
            default: return false
            }
            return true
        }
        guard proceed else { return ExitCode.success }
        guard let kind else { throw CommandFailure("--kind is required", exitCode: ExitCode.usage) }
        guard kind >= 0 && kind <= Int64(Event.maxKind) else {
            throw CommandFailure("--kind must be between 0 and 65535", exitCode: ExitCode.usage)
        }
        if let createdAt, createdAt < 0 { throw CommandFailure("--created-at must not be negative", exitCode: ExitCode.usage) }
        let ctx = try Common.context()
        let secret = try Common.loadKey(globals)
        let template = EventTemplate(createdAt: createdAt ?? Clock.unixTime(), kind: Int(kind), tags: tags, content: content)
        let event = try checked { () throws(NostrError) in
            try Event.sign(template, secret: secret, context: ctx, auxRand: try Entropy.bytes32())
        }
        var line = event.json
        line.append(0x0A)
        Output.stdout(String(decoding: line, as: UTF8.self))
        return ExitCode.success
    }

    /// `--tag` values: NAME,VALUE,... split on commas; `\,` is a literal
    /// comma and `\\` a literal backslash; any other backslash is kept as it
    /// is. `d,` is `["d",""]`.
    static func splitTag(_ text: String) -> [String] {
        var items: [String] = []
        var current: [UInt8] = []
        var escaping = false
        for c in text.utf8 {
            if escaping {
                if c != 0x2C && c != 0x5C { current.append(0x5C) }  // only \, and \\ are escapes
                current.append(c)
                escaping = false
            } else if c == 0x5C {
                escaping = true
            } else if c == 0x2C {
                items.append(String(decoding: current, as: UTF8.self))
                current.removeAll()
            } else {
                current.append(c)
            }
        }
        if escaping { current.append(0x5C) }
        items.append(String(decoding: current, as: UTF8.self))
        return items
    }

    /// `event verify`: one event JSON on stdin; exit 0 and its id on stdout
    /// if the id and signature are valid, else exit 1 with the reason.
    static func verify(_ args: inout Arguments, _ globals: inout GlobalOptions) throws(CommandFailure) -> Int32 {
        guard try parseOptions("event", &args, &globals) else { return ExitCode.success }
        guard let input = StandardInput.readAll(limit: maxInput) else {
            throw CommandFailure("could not read the event from stdin (at most " + String(maxInput) + " bytes)")
        }
        let ctx = try Common.context()
        var verifier = EventVerifier(context: ctx, limits: JSONLimits(maxBytes: maxInput))
        let id = try checked { () throws(NostrError) in
            try input.withBytes { (p) throws(NostrError) in try verifier.verify(json: p) }
        }
        if !globals.quiet { Output.stdout(id.hex + "\n") }
        return ExitCode.success
    }
}

extension Usage {
    static let event = """
        usage: nostr-dns event sign --kind K [--content TEXT] [--tag NAME,VALUE,...]... [--created-at UNIX]
               nostr-dns event verify < event.json

        sign    signs a NIP-01 event with the key file's key and prints it as one line
                of JSON. --tag may be repeated; within it, \\, is a literal comma and
                \\\\ a literal backslash ("d," is the tag ["d",""]).
        verify  reads one event JSON on stdin; exits 0 and prints its id if the id is
                the hash of its serialization and the signature verifies, else exits 1
                with the reason on stderr.

        """
}
