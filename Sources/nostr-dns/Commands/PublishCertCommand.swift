import NostrCore
import NostrPlatform

/// `publish-cert --cert PEM [--service NAME] [--port N] [--expires S] [--legacy] [--timeout S]`:
/// publishes the TLS key record (kind 30059, the Design article, "Records on nostr").
enum PublishCertCommand {
    static let maxCertificateBytes = 64 * 1024

    static func run(_ args: inout Arguments, _ globals: inout GlobalOptions) throws(CommandFailure) -> Int32 {
        var certPath: String?
        var service = "https"
        var port: Int64 = 443
        var expiresIn: Int64?
        var legacy = false
        var timeout: Int64 = 10_000
        guard
            try parseOptions(
                "publish-cert", &args, &globals,
                { (arg, args) throws(UsageError) -> Bool in
                    switch arg {
                    case "--cert": certPath = try args.value(for: arg)
                    case "--service": service = try args.value(for: arg)
                    case "--port":
                        port = try args.integer(for: arg)
                        guard port >= 1 && port <= 65535 else { throw UsageError("--port must be between 1 and 65535") }
                    case "--expires": expiresIn = try Publishing.seconds(&args, arg)
                    case "--legacy": legacy = true
                    case "--timeout": timeout = try parseTimeout(&args, arg)
                    default: return false
                    }
                    return true
                })
        else { return ExitCode.success }
        guard let certPath else { throw CommandFailure("--cert PEM is required", exitCode: ExitCode.usage) }
        guard isDNSLabel(service) else {
            throw CommandFailure("--service must be a DNS label (letters, digits, -), not '" + service + "'", exitCode: ExitCode.usage)
        }
        let pem = try checked { () throws(PlatformError) in
            try TextFile.read(path: certPath, limit: maxCertificateBytes, file: .certificate)
        }
        let info: CertificateInfo
        do throws(NostrError) { info = try CertificateInfo(pem: pem) } catch {
            throw CommandFailure(certPath + ": " + error.reason)
        }
        let pemText = String(decoding: pem, as: UTF8.self)
        guard pemText.utf8.starts(with: "-----BEGIN CERTIFICATE-----".utf8) else {
            throw CommandFailure(certPath + ": expected a PEM certificate (-----BEGIN CERTIFICATE-----)")
        }
        let ctx = try Common.context()
        let now = Clock.unixTime()
        let secret = try Common.loadKey(globals)
        let npub = NIP19.npub(try checked { () throws(NostrError) in try ctx.publicKey(of: secret) })
        let record = TLSKeyRecord(
            service: service, url: "https://" + npub + ".nostr:" + String(port),
            spkiSHA256: info.spkiSHA256, expires: expiresIn.map { now + $0 } ?? info.notAfter,
            certificatePEM: pemText)
        var templates = [record.template(createdAt: now)]
        if legacy { templates.append(LegacyRecord.certificate(pemText).template(createdAt: now)) }
        let events = try Publishing.sign(templates, globals, context: ctx)
        return try Publishing.publish(events, globals, timeoutMilliseconds: timeout)
    }
}

extension Usage {
    static let publishCert = """
        usage: nostr-dns publish-cert --cert PEM [--service NAME] [--port N] [--expires S]
                                      [--legacy] [--timeout S]

        Publishes the TLS key record (kind 30059) for service NAME (default https):
        the SHA-256 of the certificate's SubjectPublicKeyInfo (the TLSA 3 1 1 data),
        the URL https://<npub>.nostr:N (default port 443), an expiry (now + S, else
        the certificate's notAfter) and the PEM. --legacy also writes the proof of
        concept's kind 30001 record. Output and exit code as publish-ip.

        """ + relays
}
