import CPlatform
import NostrCore

/// The secret key file (the Design article, "Keys"): the key's bech32 `nsec` text
/// (NIP-19) on one line, mode 0600, in a folder with mode 0700. A key file
/// that group or others can access, or that another user owns, is refused,
/// as ssh refuses such keys.
public enum KeyFile {
    /// The largest key file read. An nsec is 63 characters; 1 KiB leaves
    /// room for whitespace and refuses anything that is clearly not a key.
    public static let maxSize = 1024

    /// Where the key lives when `--key` is not given:
    /// `$NOSTR_DNS_KEY` if set and not empty; else `/etc/nostr-dns/nsec`
    /// for root; else `$XDG_CONFIG_HOME/nostr-dns/nsec` if that variable
    /// is an absolute path (the XDG Base Directory specification says
    /// relative values are to be ignored); else `$HOME/.config/nostr-dns/nsec`
    /// if HOME is absolute; else nil. Never a temporary folder.
    public static func defaultPath(env: (String) -> String? = Environment.get, isRoot: Bool = Environment.isRoot) -> String? {
        if let explicit = env("NOSTR_DNS_KEY"), !explicit.isEmpty { return explicit }
        return ConfigLocation.folder(env: env, isRoot: isRoot).map { $0 + "/nsec" }
    }

    /// `option` (the `--key PATH` value) when given, else `defaultPath`;
    /// `.noHome` when neither names a file.
    public static func path(
        option: String?, env: (String) -> String? = Environment.get, isRoot: Bool = Environment.isRoot
    ) throws(PlatformError) -> String {
        if let option, !option.isEmpty { return option }
        guard let path = defaultPath(env: env, isRoot: isRoot) else { throw PlatformError(.noHome) }
        return path
    }

    /// Reads the secret key at `path`.
    ///
    /// The file must be a regular file, not a symbolic link (O_NOFOLLOW),
    /// owned by the effective user or root (`.owner`, as ssh refuses a key
    /// file another user could have planted),
    /// with no permission bits for group or others (`mode & 0o077 == 0`),
    /// at most `maxSize` bytes, and hold one NIP-19 `nsec` with optional
    /// surrounding whitespace. The checks are the code's own, not the OS's:
    /// root can read any file whatever its mode.
    public static func load(path: String) throws(PlatformError) -> SecretKey {
        do throws(PlatformError) {
            return try read(path: path)
        } catch {
            throw error.concerning(.key)
        }
    }

    static func read(path: String) throws(PlatformError) -> SecretKey {
        // O_NOFOLLOW, O_NONBLOCK: a symbolic link is refused, and a FIFO
        // planted at the path does not block; it is then refused as not a
        // regular file.
        let (fd, status) = try FileIO.openRegular(path, file: .key)
        defer { _ = CPlatform.close(fd) }

        try FileIO.checkOwner(status, path: path, file: .key)
        guard status.mode & 0o077 == 0 else {
            throw PlatformError(.permissions, path: path, mode: status.mode)
        }

        // One byte more than the limit, so that a full buffer means "too large".
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: maxSize + 1, alignment: 1)
        defer {
            // The buffer held the secret: wipe it before giving it back.
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            buffer.deallocate()
        }
        let count = try FileIO.read(fd, into: buffer, path: path)
        guard count <= maxSize else { throw FileIO.tooLarge(path, file: .key, limit: maxSize) }

        var start = 0
        var end = count
        while start < end && isSpace(buffer[start]) { start += 1 }
        while end > start && isSpace(buffer[end - 1]) { end -= 1 }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self)
        do throws(NostrError) {
            return try NIP19.decodeNsec(text)
        } catch {
            throw PlatformError(.badKey, path: path, keyError: error.code)
        }
    }

    /// Writes `secret` as a new key file at `path`: its nsec and a newline.
    ///
    /// Missing parent folders are created with mode 0700 (`mkdir -p`; only
    /// the ones it creates). The file is created with O_EXCL and O_NOFOLLOW,
    /// so an existing file or symbolic link is never overwritten or followed
    /// (`.exists`), and given mode 0600 explicitly whatever the umask. The
    /// data is fsync'ed before returning. If writing fails, the partial file
    /// is removed.
    public static func create(path: String, secret: SecretKey) throws(PlatformError) {
        do throws(PlatformError) {
            try write(path: path, secret: secret)
        } catch {
            throw error.concerning(.key)
        }
    }

    static func write(path: String, secret: SecretKey) throws(PlatformError) {
        let folder = FileIO.parent(of: path)
        if let folder { try FileIO.makeFolders(folder) }

        let fd = try FileIO.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY, mode: 0o600)
        do throws(PlatformError) {
            try FileIO.fchmod(fd, 0o600, path: path)
            var line = NIP19.nsec(secret) + "\n"
            try line.withUTF8Bytes { (bytes) throws(PlatformError) in try FileIO.writeAll(fd, bytes, path: path) }
            try FileIO.fsync(fd, path: path)
        } catch {
            _ = CPlatform.close(fd)
            _ = path.withCString { unlink($0) }
            throw error
        }
        do throws(PlatformError) {
            try FileIO.close(fd, path: path)
        } catch {
            _ = path.withCString { unlink($0) }
            throw error
        }
        // Make the new directory entry durable too.
        FileIO.syncFolder(folder ?? ".")
    }

    /// The key at `path`, created from `makeSecret()` first if there is no
    /// file there (`keygen`). An existing file is never overwritten: if it
    /// cannot be loaded (bad mode, bad content) that error is thrown.
    /// `created` tells whether this call wrote the file.
    public static func loadOrCreate(
        path: String, makeSecret: () throws(PlatformError) -> SecretKey
    ) throws(PlatformError) -> (secret: SecretKey, created: Bool) {
        do throws(PlatformError) {
            return (secret: try load(path: path), created: false)
        } catch {
            guard error.code == .notFound else { throw error }
        }
        let secret = try makeSecret()
        do throws(PlatformError) {
            try create(path: path, secret: secret)
            return (secret: secret, created: true)
        } catch {
            // Another process created it between our load and create: use its key.
            guard error.code == .exists else { throw error }
        }
        return (secret: try load(path: path), created: false)
    }

    // MARK: - Helpers

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
            || byte == UInt8(ascii: "\r")
    }

    static func isAbsolute(_ path: String) -> Bool {
        path.utf8.first == UInt8(ascii: "/")
    }

    /// "/home/u/" -> "/home/u"; "/" -> "" (so that appending "/x" gives "/x").
    static func withoutTrailingSlashes(_ path: String) -> String {
        var bytes = Array(path.utf8)
        while bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
