import CPlatform
import NostrCore

/// The resolver's cache file: read whole, replaced atomically.
enum CacheFile {
    /// At most this much is read (10,000 names of about 600 bytes fit 16 times over).
    static let limit = 96 * 1024 * 1024

    /// The file's bytes, or nil when it does not exist.
    static func read(path: String) throws(PlatformError) -> [UInt8]? {
        do throws(PlatformError) {
            return try TextFile.read(path: path, limit: limit)
        } catch {
            if error.code == .notFound { return nil }
            throw error
        }
    }

    /// Writes `bytes` to `path.tmp` (mode 0600, created with its folder,
    /// mode 0700, if needed), fsyncs it and renames it over `path`, so a
    /// crash or power cut leaves the old file or the new one, never half of
    /// one.
    static func write(path: String, _ bytes: [UInt8]) throws(PlatformError) {
        let folder = FileIO.parent(of: path)
        if let folder { try FileIO.makeFolders(folder) }
        let temporary = path + ".tmp"
        let fd = try FileIO.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NOCTTY, mode: 0o600)
        do throws(PlatformError) {
            let result: Result<Void, PlatformError> = bytes.withUnsafeBytes { p in
                Result { () throws(PlatformError) in try FileIO.writeAll(fd, p, path: temporary) }
            }
            try result.get()
            try FileIO.fsync(fd, path: temporary)
            try FileIO.close(fd, path: temporary)
        } catch {
            _ = CPlatform.close(fd)
            throw error
        }
        let e = temporary.withCString { from in path.withCString { to in nd_rename(from, to) } }
        guard e == 0 else { throw PlatformError(errno: e, path: path) }
        if let folder { FileIO.syncFolder(folder) }
    }
}
