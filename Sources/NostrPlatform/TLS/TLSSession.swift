import CMbedTLS
import CPlatform
import NostrCore

/// One TLS 1.2 client session (RFC 5246) over a connected non-blocking
/// socket: an `mbedtls_ssl_context` with our own BIO callbacks (send(2) and
/// recv(2) returning MBEDTLS_ERR_SSL_WANT_READ/WRITE on EAGAIN) and a
/// verify callback that records the leaf certificate's names and, for an IP
/// literal host, checks its iPAddress subjectAltName entries (RFC 5280
/// §4.2.1.6, RFC 6125 §6.2.1), which mbedTLS 2.28 does not match itself.
///
/// The callbacks get this object through an unretained pointer; the
/// session owns the `mbedtls_ssl_context`, so the pointer outlives every
/// call mbedTLS makes with it.
///
/// The same session type serves accepted connections (`init(server:peer:)`,
/// no certificate checks: clients of `https-demo` check ours), and clients
/// that trust keys rather than CAs (`pins`: the certificate is accepted
/// when the SHA-256 of its SubjectPublicKeyInfo is one of them, as DANE-EE
/// does, RFC 7671 §5.1; names, dates and issuers do not matter).
final class TLSSession {
    let config: TLSClientConfig?
    let serverConfig: TLSServerConfig?
    let ssl: UnsafeMutablePointer<mbedtls_ssl_context>
    /// The host as the user gave it, without brackets: the name to verify.
    let host: String
    /// "host:port", for messages.
    let peer: String
    /// For an IP literal host: its 4 or 16 bytes, matched against the
    /// certificate's iPAddress entries; empty for a host name.
    let expectedIP: [UInt8]
    /// The connected socket; set before the handshake starts.
    var fd: Int32 = -1
    /// errno of the last failing send/recv in the BIO callbacks.
    var lastErrno: Int32 = 0
    /// The last call stopped on MBEDTLS_ERR_SSL_WANT_WRITE.
    var wantsWrite = false
    /// close_notify or EOF seen.
    private(set) var peerClosed = false
    /// DNS and IP names of the leaf certificate (for error messages).
    private var certificateNames: [String] = []
    /// Application data mbedTLS has taken in a record it could not send yet:
    /// mbedtls_ssl_write must be called again with the same arguments, so
    /// a copy is kept here (allocated once, on first need).
    private var pending: UnsafeMutableRawBufferPointer?
    private var pendingCount = 0
    /// SHA-256 of the SubjectPublicKeyInfo digests accepted instead of a CA
    /// chain; empty for CA verification.
    let pins: [Bytes32]
    /// SHA-256 of the server certificate's SubjectPublicKeyInfo, once seen.
    private(set) var peerKeySHA256: Bytes32?
    /// With pins: the certificate's key was one of them.
    private var pinMatched = false

    init(config: TLSClientConfig, host: String, peer: String, ipLiteral: [UInt8]?, pins: [Bytes32] = []) throws(PlatformError) {
        self.config = config
        self.serverConfig = nil
        self.host = host
        self.peer = peer
        self.pins = pins
        // A key pin replaces the name check (DANE-EE).
        self.expectedIP = pins.isEmpty ? (ipLiteral ?? []) : []
        ssl = .allocate(capacity: 1)
        mbedtls_ssl_init(ssl)
        // Every stored property is set: a throw from here on runs deinit.
        var rc = mbedtls_ssl_setup(ssl, config.conf)
        guard rc == 0 else { throw setupError(rc) }
        if ipLiteral == nil {
            // SNI (RFC 6066 §3) and the name check against the certificate.
            // Never for IP literals: SNI must not carry one, and mbedTLS
            // would compare the text with DNS names and the CN.
            rc = host.withCString { mbedtls_ssl_set_hostname(ssl, $0) }
            guard rc == 0 else { throw setupError(rc) }
        }
        let me = Unmanaged.passUnretained(self).toOpaque()
        setBIO()
        mbedtls_ssl_set_verify(
            ssl,
            { context, certificate, depth, flags in
                guard let context, let certificate, let flags else { return 0 }
                let session = Unmanaged<TLSSession>.fromOpaque(context).takeUnretainedValue()
                if !session.pins.isEmpty {
                    // Only the leaf's key counts; whatever else was sent is ignored.
                    flags.pointee = 0
                    guard depth == 0 else { return 0 }
                    // A non-zero result is fatal even under VERIFY_OPTIONAL
                    // (mbedTLS turns CERT_VERIFY_FAILED from a callback into FATAL_ERROR).
                    return session.checkPin(certificate) ? 0 : MBEDTLS_ERR_X509_CERT_VERIFY_FAILED
                }
                guard depth == 0 else { return 0 }
                if !session.checkLeaf(certificate) {
                    flags.pointee |= UInt32(MBEDTLS_X509_BADCERT_CN_MISMATCH)
                }
                return 0
            },
            me)
    }

    /// The server side of one accepted connection (`TLSServerConfig`).
    init(server: TLSServerConfig, peer: String) throws(PlatformError) {
        self.config = nil
        self.serverConfig = server
        self.host = peer
        self.peer = peer
        self.expectedIP = []
        self.pins = []
        ssl = .allocate(capacity: 1)
        mbedtls_ssl_init(ssl)
        let rc = mbedtls_ssl_setup(ssl, server.conf)
        guard rc == 0 else { throw setupError(rc) }
        setBIO()
    }

    /// send(2) and recv(2) on `fd` as mbedTLS's BIO callbacks.
    private func setBIO() {
        let me = Unmanaged.passUnretained(self).toOpaque()
        mbedtls_ssl_set_bio(
            ssl, me,
            { context, buffer, length in
                let session = Unmanaged<TLSSession>.fromOpaque(context!).takeUnretainedValue()
                let n = nd_send(session.fd, buffer, length)
                if n >= 0 { return Int32(n) }
                return session.bioFailure(errno: Int32(-n), wouldBlock: MBEDTLS_ERR_SSL_WANT_WRITE, failed: MBEDTLS_ERR_NET_SEND_FAILED)
            },
            { context, buffer, length in
                let session = Unmanaged<TLSSession>.fromOpaque(context!).takeUnretainedValue()
                let n = nd_recv(session.fd, buffer, length)
                if n >= 0 { return Int32(n) }
                return session.bioFailure(errno: Int32(-n), wouldBlock: MBEDTLS_ERR_SSL_WANT_READ, failed: MBEDTLS_ERR_NET_RECV_FAILED)
            },
            nil)
    }

    /// With pins: records the leaf's SPKI digest and whether it is pinned.
    private func checkPin(_ crt: UnsafeMutablePointer<mbedtls_x509_crt>) -> Bool {
        let raw = crt.pointee.pk_raw
        guard let p = raw.p, raw.len > 0 else { return false }
        let digest = SHA256.hash(UnsafeRawBufferPointer(start: p, count: raw.len))
        peerKeySHA256 = digest
        pinMatched = pins.contains(digest)
        return pinMatched
    }

    deinit {
        mbedtls_ssl_free(ssl)
        ssl.deallocate()
        pending?.deallocate()
    }

    private func setupError(_ rc: Int32) -> PlatformError {
        PlatformError(.tls, path: peer, detail: TLSClientConfig.describe(mbedTLSError: rc), tlsError: rc)
    }

    /// The mbedTLS code for a failed send/recv: WANT_* for EAGAIN,
    /// NET_CONN_RESET for a reset or broken pipe, else the generic failure.
    private func bioFailure(errno e: Int32, wouldBlock: Int32, failed: Int32) -> Int32 {
        if e == EAGAIN || e == EWOULDBLOCK { return wouldBlock }
        lastErrno = e
        return e == ECONNRESET || e == EPIPE ? MBEDTLS_ERR_NET_CONN_RESET : failed
    }

    // MARK: Certificate names

    /// At depth 0 (the server's own certificate): records its DNS and IP
    /// subjectAltName entries, and for an IP literal host returns whether
    /// one iPAddress entry equals it byte for byte. mbedTLS 2.28 keeps every
    /// subjectAltName entry of the parsed extension in `subject_alt_names`,
    /// each with its context tag ([2] dNSName, [7] iPAddress) and content.
    private func checkLeaf(_ crt: UnsafeMutablePointer<mbedtls_x509_crt>) -> Bool {
        let dnsTag = Int32(MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_X509_SAN_DNS_NAME)
        let ipTag = Int32(MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_X509_SAN_IP_ADDRESS)
        certificateNames.removeAll()
        var matched = false
        var node = crt.pointee.subject_alt_names
        while true {
            if let p = node.buf.p, node.buf.len > 0 {
                let content = UnsafeBufferPointer(start: p, count: node.buf.len)
                if node.buf.tag == dnsTag {
                    certificateNames.append(String(decoding: content, as: UTF8.self))
                } else if node.buf.tag == ipTag {
                    let bytes = Array(content)
                    certificateNames.append(SocketAddress.text(of: bytes))
                    if !expectedIP.isEmpty && bytes == expectedIP { matched = true }
                }
            }
            guard let next = node.next else { break }
            node = next.pointee
        }
        return expectedIP.isEmpty || matched
    }

    // MARK: Handshake

    /// One step of mbedtls_ssl_handshake; true once it is complete.
    func handshake() throws(PlatformError) -> Bool {
        let rc = mbedtls_ssl_handshake(ssl)
        switch rc {
        case 0:
            wantsWrite = false
            // Fail closed: with pins, a handshake that never showed us a
            // pinned key (no certificate at all) is refused.
            if !pins.isEmpty && !pinMatched {
                throw PlatformError(.tls, path: peer, detail: "the server presented no certificate with a pinned key")
            }
            return true
        case MBEDTLS_ERR_SSL_WANT_READ:
            wantsWrite = false
            return false
        case MBEDTLS_ERR_SSL_WANT_WRITE:
            wantsWrite = true
            return false
        default:
            throw handshakeError(rc)
        }
    }

    private func handshakeError(_ rc: Int32) -> PlatformError {
        var detail: String
        var flags: UInt32 = 0
        switch rc {
        case MBEDTLS_ERR_X509_FATAL_ERROR where !pins.isEmpty && !pinMatched,
            MBEDTLS_ERR_X509_CERT_VERIFY_FAILED where !pins.isEmpty && !pinMatched:
            flags = UInt32(MBEDTLS_X509_BADCERT_NOT_TRUSTED)
            detail = "the server's key is not one the name vouches for"
            if let k = peerKeySHA256 { detail += " (its SPKI SHA-256 is " + k.hex + ")" }
        case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED:
            flags = mbedtls_ssl_get_verify_result(ssl)
            detail = "certificate verification failed: " + verifyText(flags)
        case MBEDTLS_ERR_SSL_CONN_EOF:
            detail = "the server closed the connection during the handshake"
        case MBEDTLS_ERR_NET_CONN_RESET, MBEDTLS_ERR_NET_SEND_FAILED, MBEDTLS_ERR_NET_RECV_FAILED:
            detail = "connection lost during the handshake: " + PlatformError.describe(errno: lastErrno)
        case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE:
            detail = "the server sent a fatal alert"
            let alert = nd_ssl_last_alert(ssl)
            if alert >= 0 { detail += ": " + TLSSession.alertName(alert) }
            detail += " (" + TLSClientConfig.describe(mbedTLSError: rc) + ")"
        default:
            detail = TLSClientConfig.describe(mbedTLSError: rc)
        }
        return PlatformError(.tls, errno: lastErrno, path: peer, detail: detail, tlsError: rc, verifyFlags: flags)
    }

    /// The verification flags as text: trust and name first, in our words,
    /// then mbedtls_x509_crt_verify_info(3) lines for any others.
    private func verifyText(_ flags: UInt32) -> String {
        var parts: [String] = []
        var rest = flags
        let notTrusted = UInt32(MBEDTLS_X509_BADCERT_NOT_TRUSTED)
        let nameMismatch = UInt32(MBEDTLS_X509_BADCERT_CN_MISMATCH)
        if flags & notTrusted != 0 {
            parts.append("certificate not trusted (not issued by a CA in " + (config?.caFile ?? "") + ")")
            rest &= ~notTrusted
        }
        if flags & nameMismatch != 0 {
            var text = "host name mismatch: expected " + host
            if certificateNames.isEmpty {
                text += ", the certificate names no " + (expectedIP.isEmpty ? "DNS name" : "IP address")
            } else {
                text += ", the certificate is for "
                for (i, name) in certificateNames.prefix(8).enumerated() {
                    text += (i == 0 ? "" : ", ") + name
                }
            }
            parts.append(text)
            rest &= ~nameMismatch
        }
        if rest != 0 {
            var buffer = [CChar](repeating: 0, count: 512)
            _ = buffer.withUnsafeMutableBufferPointer { mbedtls_x509_crt_verify_info($0.baseAddress, $0.count, "", rest) }
            // One line per flag: join them with "; ".
            var line: [UInt8] = []
            for c in buffer {
                if c == 0 { break }
                if c == 10 {
                    if !line.isEmpty { parts.append(String(decoding: line, as: UTF8.self)) }
                    line.removeAll()
                } else {
                    line.append(UInt8(bitPattern: c))
                }
            }
            if !line.isEmpty { parts.append(String(decoding: line, as: UTF8.self)) }
        }
        if parts.isEmpty { return "flags 0x" + String(flags, radix: 16) }
        var text = ""
        for (i, part) in parts.enumerated() { text += (i == 0 ? "" : "; ") + part }
        return text
    }

    /// Names of the TLS alerts a client is likely to receive (RFC 5246 §7.2).
    static func alertName(_ alert: Int32) -> String {
        switch alert {
        case 0: return "close_notify"
        case 10: return "unexpected_message"
        case 20: return "bad_record_mac"
        case 40: return "handshake_failure"
        case 42: return "bad_certificate"
        case 43: return "unsupported_certificate"
        case 46: return "certificate_unknown"
        case 47: return "illegal_parameter"
        case 48: return "unknown_ca"
        case 50: return "decode_error"
        case 51: return "decrypt_error"
        case 70: return "protocol_version"
        case 71: return "insufficient_security"
        case 80: return "internal_error"
        case 112: return "unrecognized_name"
        default: return "alert " + String(alert)
        }
    }

    // MARK: Application data

    /// mbedtls_ssl_read: bytes read, 0 after close_notify or EOF, nil when
    /// it would block.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(PlatformError) -> Int? {
        if peerClosed { return 0 }
        let rc = nd_ssl_read(ssl, buffer.baseAddress, buffer.count)
        if rc > 0 {
            wantsWrite = false
            return Int(rc)
        }
        switch rc {
        case 0, MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY, MBEDTLS_ERR_SSL_CONN_EOF:
            peerClosed = true
            return 0
        case MBEDTLS_ERR_SSL_WANT_READ:
            return nil
        case MBEDTLS_ERR_SSL_WANT_WRITE:
            wantsWrite = true
            return nil
        default:
            throw dataError(rc)
        }
    }

    /// mbedtls_ssl_write of at most one record. Returns the bytes accepted;
    /// 0 when it would block before taking any. Bytes taken into a record
    /// that could not be sent yet count as accepted: `flush()` sends them.
    func write(_ bytes: UnsafeRawBufferPointer) throws(PlatformError) -> Int {
        guard try flush(), let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
        let limit = Int(mbedtls_ssl_get_max_out_record_payload(ssl))
        let count = limit > 0 ? min(bytes.count, limit) : min(bytes.count, 16384)
        let rc = nd_ssl_write(ssl, base, count)
        if rc > 0 {
            wantsWrite = false
            return Int(rc)
        }
        switch rc {
        case MBEDTLS_ERR_SSL_WANT_WRITE:
            // The bytes are in an encrypted record waiting for the socket.
            // mbedtls_ssl_write(3): "it must be called later with the *same*
            // arguments": keep a copy for flush().
            if pending == nil || pending!.count < count {
                pending?.deallocate()
                pending = .allocate(byteCount: max(count, 16384), alignment: 16)
            }
            pending!.baseAddress!.copyMemory(from: base, byteCount: count)
            pendingCount = count
            wantsWrite = true
            return count
        case MBEDTLS_ERR_SSL_WANT_READ:
            wantsWrite = false
            return 0
        default:
            throw dataError(rc)
        }
    }

    /// Output mbedTLS holds but has not sent (a record or an alert).
    var hasPendingOutput: Bool { pendingCount > 0 || nd_ssl_pending_output(ssl) > 0 }

    /// Decrypted bytes, or a whole record, that mbedTLS holds already: poll(2)
    /// cannot see them, so read again before waiting.
    var hasBufferedInput: Bool {
        mbedtls_ssl_get_bytes_avail(ssl) > 0 || mbedtls_ssl_check_pending(ssl) != 0
    }

    /// Sends what mbedTLS holds; true when nothing is left.
    func flush() throws(PlatformError) -> Bool {
        if pendingCount > 0 {
            let rc = nd_ssl_write(ssl, pending!.baseAddress, pendingCount)
            if rc == MBEDTLS_ERR_SSL_WANT_WRITE || rc == MBEDTLS_ERR_SSL_WANT_READ {
                wantsWrite = rc == MBEDTLS_ERR_SSL_WANT_WRITE
                return false
            }
            guard rc >= 0 else { throw dataError(rc) }
            pendingCount = 0
        }
        if nd_ssl_pending_output(ssl) > 0 {
            let rc = mbedtls_ssl_flush_output(ssl)
            if rc == MBEDTLS_ERR_SSL_WANT_WRITE {
                wantsWrite = true
                return false
            }
            guard rc >= 0 else { throw dataError(rc) }
        }
        wantsWrite = false
        return true
    }

    /// Best effort: what is pending, then a close_notify alert (RFC 5246
    /// §7.2.1), each tried once without waiting.
    func closeNotify() {
        _ = try? flush()
        _ = mbedtls_ssl_close_notify(ssl)
    }

    private func dataError(_ rc: Int32) -> PlatformError {
        if rc == MBEDTLS_ERR_NET_CONN_RESET || rc == MBEDTLS_ERR_NET_SEND_FAILED || rc == MBEDTLS_ERR_NET_RECV_FAILED {
            return PlatformError(.closed, errno: lastErrno, path: peer)
        }
        return PlatformError(.closed, path: peer, detail: "TLS error: " + TLSClientConfig.describe(mbedTLSError: rc), tlsError: rc)
    }
}
