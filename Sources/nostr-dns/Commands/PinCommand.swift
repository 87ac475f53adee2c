import NostrCore
import NostrPlatform

extension Usage {
    static let pin = """
        usage: nostr-dns pin NAME [--port N] [--service NAME] [--json] [--timeout S]
                                 [--trust NPUB]... [--private-answers trusted|all]

        Prints what standard tools need to trust NAME's HTTPS server the way
        `nostr-dns fetch` does (NAME: an npub, <npub>.nostr, <label>.<npub>.nostr,
        <npub>.local, or an https:// URL of one):
          url           https://HOST:PORT/
          resolve       HOST:PORT:ADDR[,ADDR...]        for curl --resolve
          pinnedpubkey  sha256//BASE64[;sha256//BASE64] for curl --pinnedpubkey
          tlsa          _PORT._tcp.HOST. IN TLSA 3 1 1 HEX   (one per key)
          curl          a complete curl command line
        The keys are the one in the TLS key record (kind 30059), if any, and the
        npub's own key (a certificate made by https-demo --alt). PORT: --port, else
        the record's URL, else 443. curl needs --insecure because no CA signed the
        certificate: the pin takes the CA's place. --json prints one JSON object.
        Exit 3 when NAME has no address record.

        """ + AddressPolicySetup.connectUsage + relays
}

/// `pin NAME [--port N] [--service NAME] [--json] [--timeout S]`.
enum PinCommand {
    static func run(_ args: inout Arguments, _ globals: inout GlobalOptions) throws(CommandFailure) -> Int32 {
        var nameText: String?
        var port: UInt16?
        var service = TLSKeyRecord.defaultService
        var json = false
        var timeout: Int64 = 10_000
        var policyOptions = AddressPolicySetup()
        guard
            try parseOptions(
                "pin", &args, &globals,
                { (arg, args) throws(UsageError) -> Bool in
                    switch arg {
                    case "--port":
                        let p = try args.integer(for: arg)
                        guard p >= 1 && p <= 65535 else { throw UsageError("--port must be between 1 and 65535") }
                        port = UInt16(p)
                    case "--service":
                        service = try args.value(for: arg)
                        guard isDNSLabel(service) else { throw UsageError("--service must be a DNS label, not '" + service + "'") }
                    case "--json": json = true
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
        var host: String
        let name: NostrName
        if let url = try? HTTPSURL(parsing: nameText) {
            name = url.name
            host = url.host
            if port == nil && nameText.utf8.dropFirst(8).contains(0x3A) { port = url.port }
        } else {
            do throws(NostrError) { name = try NostrName(parsing: nameText) } catch {
                throw CommandFailure(
                    Common.shown(nameText) + " is not an npub name or an https:// URL of one",
                    exitCode: ExitCode.usage)
            }
            host = (name.label.isEmpty ? "" : name.label + ".") + name.npub + (name.zone == .local ? ".local" : ".nostr")
        }
        let trust = try NameTrust.look(
            name, service: service, command: "pin", globals: globals, timeout: timeout,
            addressPolicy: policyOptions)
        guard !trust.addresses.isEmpty else {
            if !globals.quiet { Output.stderr("nostr-dns pin: no address record for " + host + "\n") }
            return ExitCode.notFound
        }
        if port == nil, let u = trust.record?.url, let parsed = try? HTTPSURL(parsing: u) { port = parsed.port }
        let p = port ?? HTTPSURL.defaultPort
        var resolve = host + ":" + String(p) + ":"
        for (i, a) in trust.addresses.enumerated() {
            resolve += (i == 0 ? "" : ",") + (a.isIPv4 ? a.text : "[" + a.text + "]")
        }
        let pinned = NpubTLSKey.curlPin(trust.pins)
        let url = "https://" + host + ":" + String(p) + "/"
        let owner = NpubTLSKey.tlsaOwner(host: host, port: p)
        // Without a record only a certificate keyed by the npub can pass:
        // curl must then offer secp256k1 (the Design article, "secp256k1 in TLS").
        let curves: String? = trust.record == nil ? "secp256k1:X25519:P-256" : nil
        var curl = ["curl", "--insecure", "--resolve", resolve, "--pinnedpubkey", pinned]
        if let curves { curl += ["--curves", curves, "--tls-max", "1.2"] }
        curl.append(url)

        if json {
            var w = JSONWriter()
            w.raw("{\"url\":"); w.string(url)
            w.raw(",\"host\":"); w.string(host)
            w.raw(",\"port\":"); w.int(Int(p))
            w.raw(",\"addresses\":[")
            for (i, a) in trust.addresses.enumerated() { if i > 0 { w.raw(0x2C) }; w.string(a.text) }
            w.raw("],\"resolve\":"); w.string(resolve)
            w.raw(",\"pinnedpubkey\":"); w.string(pinned)
            w.raw(",\"tlsa\":[")
            for (i, k) in trust.pins.enumerated() {
                if i > 0 { w.raw(0x2C) }
                w.raw("{\"owner\":"); w.string(owner)
                w.raw(",\"data\":"); w.string(NpubTLSKey.tlsaData(k))
                w.raw(",\"source\":"); w.string(trust.record?.spkiSHA256 == k ? "record" : "npub")
                w.raw(0x7D)
            }
            w.raw("],\"curves\":"); if let curves { w.string(curves) } else { w.raw("null") }
            w.raw(",\"record_expired\":"); w.raw(trust.recordExpired ? "true" : "false")
            w.raw(",\"curl\":[")
            for (i, a) in curl.enumerated() { if i > 0 { w.raw(0x2C) }; w.string(a) }
            w.raw("]}\n")
            Output.stdout(String(decoding: w.bytes, as: UTF8.self))
            return ExitCode.success
        }
        var out = "url " + url + "\nresolve " + resolve + "\npinnedpubkey " + pinned + "\n"
        for k in trust.pins { out += "tlsa " + owner + " IN TLSA " + NpubTLSKey.tlsaData(k) + "\n" }
        var line = "curl"
        for a in curl.dropFirst() { line += " " + (a.utf8.contains(0x3B) ? "'" + a + "'" : a) }
        out += line + "\n"
        Output.stdout(out)
        if trust.recordExpired && !globals.quiet {
            Output.stderr("nostr-dns pin: the TLS key record of " + host + " has expired; only the npub's own key is pinned\n")
        }
        return ExitCode.success
    }
}
