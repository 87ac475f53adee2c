import CPlatform
import NostrCore

/// The one error type of the platform layer: what went wrong (a small code),
/// the `errno` of the failing system call (0 when no call failed, e.g. a
/// key file whose mode is too open), the path it concerns (for network
/// errors: the peer, "host:port") and, for files, which file it is (`file`:
/// the key, config, cache, certificate… file), so that the message names
/// it. Thrown with typed throws so the same code compiles as Embedded Swift.
///
/// Modelled on swift-system's `Errno`: the raw C value is kept, the common
/// cases get names. `message` is the line to print on stderr.
public struct PlatformError: Error, Equatable, Sendable {
    public enum Code: UInt8, Sendable {
        /// ENOENT: the file (or a folder on its path) does not exist.
        case notFound
        /// EEXIST, or a create that refuses to overwrite an existing file.
        case exists
        /// EACCES, EPERM: the OS refused access.
        case accessDenied
        /// The key file is readable, writable or executable by group or
        /// others (`mode & 0o077 != 0`); refused as ssh refuses such keys.
        case permissions
        /// ELOOP under O_NOFOLLOW: the key path is a symbolic link.
        case symlink
        /// A key file owned by another user (neither the effective uid nor
        /// root); refused as ssh refuses such files. `detail` is its uid.
        case owner
        /// A folder to write a file into that group or others may write in
        /// without the sticky bit; `mode` is its permission bits.
        case unsafeFolder
        /// The path names a directory, FIFO, device or socket.
        case notRegularFile
        /// ENOTDIR, or a component of a folder path that is not a folder.
        case notDirectory
        /// The key file is larger than any key file can be.
        case tooLarge
        /// The key file's content is not a valid NIP-19 `nsec`.
        case badKey
        /// Neither $NOSTR_DNS_KEY, $XDG_CONFIG_HOME nor $HOME gives a key path.
        case noHome
        /// Any other failing system call (the errno says which).
        case io
        /// getaddrinfo(3) failed for `path` (the host); `detail` is the
        /// gai_strerror(3) text.
        case resolve
        /// No address of `path` ("host:port") accepted a connection; `errno`
        /// is the last connect(2) error, `detail` lists the addresses tried.
        case connect
        /// The TLS handshake with `path` failed; `tlsError` is the mbedTLS
        /// code, `verifyFlags` the X.509 verification flags (when the
        /// certificate was refused), `detail` the explanation.
        case tls
        /// CA certificates could not be loaded from `path`; `detail` says why.
        case certificates
        /// The caller's deadline passed; `detail` names what was under way.
        case timeout
        /// The connection to `path` is closed (reset by the peer, or used
        /// after close()); `errno` is set when a system call reported it.
        case closed
        /// `path` is not a relay URL (ws://, wss:// or wsn://); `keyError`
        /// is the core's reason.
        case relayURL
        /// The config file at `path` has a line that is not `key = value`
        /// with a known key; `detail` is the core's reason (with the line).
        case configSyntax
        /// The `wsn://` channel with `path` failed (BOLT 8 handshake or
        /// message authentication); `keyError` is the core's Noise code,
        /// `detail` the explanation.
        case noise
    }

    /// Which file a path is, for messages ("config file /etc/nostr-dns/config
    /// is too large …").
    public enum FileRole: UInt8, Sendable {
        /// The nostr secret key (`KeyFile`).
        case key
        /// A TLS server's private key (`TLSPrivateKey`, `SecretFile`).
        case tlsKey
        /// The config file (`--config`, `ConfigLocation`).
        case config
        /// A resolver cache file (`--cache`, `StateLocation`).
        case cache
        /// A PEM certificate to publish or serve.
        case certificate
        /// CA certificates for `wss://` (`--ca-file`).
        case caCertificates
        /// A system file read for host lookups (/etc/hosts, /etc/resolv.conf).
        case system

        /// How a message names it: "key file", "config file", ….
        public var words: String {
            switch self {
            case .key: return "key file"
            case .tlsKey: return "TLS private key file"
            case .config: return "config file"
            case .cache: return "cache file"
            case .certificate: return "certificate file"
            case .caCertificates: return "CA certificate file"
            case .system: return "system file"
            }
        }
    }

    public var code: Code
    /// Which file `path` is, when it is a file the program reads or writes
    /// (nil: a network peer, a socket, or a file of no particular role).
    public var file: FileRole?
    /// The C `errno` of the failing call, or 0.
    public var errno: Int32
    /// The file or folder concerned ("" when none).
    public var path: String
    /// For `.permissions`: the file's permission bits (e.g. 0o644); else 0.
    public var mode: UInt32
    /// For `.badKey`: why the content was rejected, never the content itself.
    public var keyError: NostrError.Code?
    /// For the network codes: the resolver's, mbedTLS's or our own
    /// explanation ("" when none).
    public var detail: String
    /// For `.tls`: the mbedTLS error code (negative), else 0.
    public var tlsError: Int32
    /// For `.tls`: MBEDTLS_X509_BADCERT_* flags of a refused certificate, else 0.
    public var verifyFlags: UInt32

    public init(
        _ code: Code, errno: Int32 = 0, path: String = "", file: FileRole? = nil, mode: UInt32 = 0,
        keyError: NostrError.Code? = nil, detail: String = "", tlsError: Int32 = 0, verifyFlags: UInt32 = 0
    ) {
        self.code = code
        self.file = file
        self.errno = errno
        self.path = path
        self.mode = mode
        self.keyError = keyError
        self.detail = detail
        self.tlsError = tlsError
        self.verifyFlags = verifyFlags
    }

    /// An error from a failing system call, named after its errno.
    public init(errno: Int32, path: String, file: FileRole? = nil) {
        let code: Code
        switch errno {
        case ENOENT: code = .notFound
        case EEXIST: code = .exists
        case EACCES, EPERM: code = .accessDenied
        case ELOOP: code = .symlink
        case ENOTDIR: code = .notDirectory
        case EISDIR: code = .notRegularFile
        default: code = .io
        }
        self.init(code, errno: errno, path: path, file: file)
    }

    /// The same error, said of a file of role `role` (unless it already has one).
    public func concerning(_ role: FileRole) -> PlatformError {
        var copy = self
        if copy.file == nil && !copy.path.isEmpty { copy.file = role }
        return copy
    }

    /// Paths compare as bytes, as the kernel compares them; this also keeps
    /// String's Unicode comparison (and its tables) out of Embedded builds.
    public static func == (a: PlatformError, b: PlatformError) -> Bool {
        a.code == b.code && a.file == b.file && a.errno == b.errno && a.mode == b.mode && a.keyError == b.keyError
            && a.tlsError == b.tlsError && a.verifyFlags == b.verifyFlags
            && a.path.utf8.elementsEqual(b.path.utf8) && a.detail.utf8.elementsEqual(b.detail.utf8)
    }

    /// One line for stderr, without a trailing newline. Never contains the
    /// content of a key file.
    public var message: String {
        switch code {
        case .notFound:
            return "no such " + (file?.words ?? "file") + ": " + path
        case .exists:
            return named + " already exists; refusing to overwrite it"
        case .accessDenied:
            return "permission denied: " + named
        case .permissions:
            return secret + " " + path + " is " + PlatformError.accessWords(mode) + " by group or others (mode "
                + PlatformError.octal(mode) + "); run chmod 600 " + path
        case .symlink:
            return secret + " " + path + " is a symbolic link; refusing to follow it"
        case .owner:
            return secret + " " + path + " is owned by another user (uid " + detail + "), not by this user (uid "
                + String(geteuid()) + ") or root; refusing it, as ssh does: chown it to this user"
        case .unsafeFolder:
            return (file.map { $0.words + " folder " } ?? "folder ") + path + " is writable by group or others (mode "
                + PlatformError.octal(mode) + ") without the sticky bit; refusing to write there: run chmod 700 " + path
        case .notRegularFile:
            return (file?.words ?? "file") + " " + path
                + (errno == EISDIR ? " is a folder, not a file" : " is not a regular file (but a device, FIFO or socket)")
        case .notDirectory:
            return (file.map { $0.words + " folder " } ?? "") + path + ": a component of the path is not a folder"
        case .tooLarge:
            let role = file?.words ?? "file"
            return role + " " + path + " is too large to be a " + role + (detail.isEmpty ? "" : " (" + detail + ")")
        case .badKey:
            if file == .tlsKey {
                return "TLS private key file " + path + " does not hold a private key mbedTLS can read"
                    + (detail.isEmpty ? "" : " (" + detail + ")")
            }
            var text = secret + " " + path + " does not hold a valid nsec secret key"
            if let keyError { text += " (" + NostrError(keyError).reason + ")" }
            return text
        case .noHome:
            return "no key path: set NOSTR_DNS_KEY or HOME, or pass --key PATH"
        case .io:
            return named + ": " + PlatformError.describe(errno: errno)
        case .resolve:
            return "cannot resolve " + path + ": " + detail
        case .connect:
            var text = "cannot connect to " + path
            if !detail.isEmpty { text += " (" + detail + ")" }
            return text + ": " + PlatformError.describe(errno: errno)
        case .tls:
            return "TLS handshake with " + path + " failed: " + detail
        case .noise:
            var text = "wsn:// channel with " + path + " failed: "
            if let keyError { text += NostrError(keyError).reason }
            if !detail.isEmpty { text += (keyError == nil ? "" : " (") + detail + (keyError == nil ? "" : ")") }
            return text
        case .relayURL:
            // Secrets never leave: a relay URL holding an nsec is not shown; `path` then names where it came from.
            if keyError == .secretKey { return "relay URL " + path + " " + NostrError(.secretKey).reason }
            return "bad relay URL '" + path + "': " + NostrError(keyError ?? .relayURL).reason
        case .configSyntax:
            if keyError == .secretKey { return "config file " + path + ": " + detail }
            return "config file " + path + ": " + detail + " (expected `key = value` with key relay, ca-file or key)"
        case .certificates:
            return "cannot load CA certificates from " + path + ": " + detail
        case .timeout:
            return path + ": timed out" + (detail.isEmpty ? "" : " " + detail)
        case .closed:
            var text = "connection to " + path + " closed"
            if errno != 0 { text += ": " + PlatformError.describe(errno: errno) }
            if !detail.isEmpty { text += " (" + detail + ")" }
            return text
        }
    }

    /// The path, after the file's role when it has one ("cache file /var/lib/…").
    var named: String { file.map { $0.words + " " + path } ?? path }

    /// The role of a file only secrets are checked for (mode, symbolic
    /// link, nsec content): the key file unless said otherwise.
    var secret: String { (file ?? .key).words }

    /// strerror(3) text plus the number, e.g. "No space left on device (errno 28)".
    static func describe(errno: Int32) -> String {
        guard errno != 0 else { return "I/O error" }
        var text = ""
        if let p = strerror(errno) { text = String(cString: p) + " " }
        return text + "(errno " + String(errno) + ")"
    }

    /// "readable", "writable", "readable and writable", or "accessible".
    static func accessWords(_ mode: UInt32) -> String {
        let readable = mode & 0o044 != 0
        let writable = mode & 0o022 != 0
        switch (readable, writable) {
        case (true, true): return "readable and writable"
        case (true, false): return "readable"
        case (false, true): return "writable"
        case (false, false): return "accessible"
        }
    }

    /// Four octal digits, as chmod and ls -l users read modes: 0o644 -> "0644".
    static func octal(_ mode: UInt32) -> String {
        var digits: [UInt8] = []
        var m = mode & 0o7777
        for _ in 0..<4 {
            digits.append(UInt8(ascii: "0") + UInt8(m & 7))
            m >>= 3
        }
        digits.reverse()
        return String(decoding: digits, as: UTF8.self)
    }
}
