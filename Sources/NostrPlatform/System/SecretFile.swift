import CPlatform
import NostrCore

/// Files that hold secrets other than the nostr key (the TLS server's
/// private key), under the key file's rules (the Design article, "Keys"): mode 0600,
/// never a symbolic link, a FIFO or a device, owned by this user or root,
/// refused when group or others have any access.
public enum SecretFile {
    /// The bytes of the file at `path` (at most `limit`): `.symlink`,
    /// `.notRegularFile`, `.owner`, `.permissions` or `.tooLarge` as `KeyFile.load`.
    public static func read(path: String, limit: Int, file: PlatformError.FileRole = .tlsKey) throws(PlatformError) -> [UInt8] {
        do throws(PlatformError) {
            return try readSecret(path: path, limit: limit, file: file)
        } catch {
            throw error.concerning(file)
        }
    }

    static func readSecret(path: String, limit: Int, file: PlatformError.FileRole) throws(PlatformError) -> [UInt8] {
        let (fd, status) = try FileIO.openRegular(path, file: file)
        defer { _ = CPlatform.close(fd) }
        try FileIO.checkOwner(status, path: path, file: file)
        guard status.mode & 0o077 == 0 else { throw PlatformError(.permissions, path: path, file: file, mode: status.mode) }
        var buffer = [UInt8](repeating: 0, count: limit + 1)
        let result: Result<Int, PlatformError> = buffer.withUnsafeMutableBytes { p in
            Result { () throws(PlatformError) -> Int in try FileIO.read(fd, into: p, path: path) }
        }
        let n: Int
        do throws(PlatformError) { n = try result.get() } catch {
            for i in buffer.indices { buffer[i] = 0 }
            throw error
        }
        guard n <= limit else {
            for i in buffer.indices { buffer[i] = 0 }
            throw FileIO.tooLarge(path, file: file, limit: limit)
        }
        buffer.removeSubrange(n...)
        return buffer
    }

    /// Creates `path` with `bytes`: O_EXCL and O_NOFOLLOW (an existing file
    /// or link is never overwritten or followed: `.exists`), mode 0600 set
    /// explicitly whatever the umask, fsync'ed; missing folders are made
    /// with mode 0700. A partial file is removed on failure.
    public static func create(path: String, bytes: [UInt8], file: PlatformError.FileRole = .tlsKey) throws(PlatformError) {
        do throws(PlatformError) {
            try createExclusive(path: path, bytes: bytes)
        } catch {
            throw error.concerning(file)
        }
    }

    static func createExclusive(path: String, bytes: [UInt8]) throws(PlatformError) {
        let folder = FileIO.parent(of: path)
        if let folder { try FileIO.makeFolders(folder) }
        let fd = try FileIO.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY, mode: 0o600)
        do throws(PlatformError) {
            do throws(PlatformError) { try FileIO.fchmod(fd, 0o600, path: path) } catch {
                _ = CPlatform.close(fd)
                throw error
            }
            try FileIO.writeDurably(fd, bytes, path: path)
        } catch {
            _ = path.withCString { unlink($0) }
            throw error
        }
        FileIO.syncFolder(folder ?? ".")
    }
}
