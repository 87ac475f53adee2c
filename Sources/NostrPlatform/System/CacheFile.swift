import CPlatform
import NostrCore

/// The resolver's cache file: read whole, replaced atomically.
enum CacheFile {
    /// At most this much is read (10,000 names of about 600 bytes fit 16 times over).
    static let limit = 96 * 1024 * 1024

    /// Calls `body` with each line of the file (without its newline), read
    /// in 64 KiB chunks so that memory does not grow with the file; false
    /// when the file does not exist. A line over 1 MiB is passed on cut
    /// (it then fails to parse).
    static func forEachLine(path: String, _ body: (ArraySlice<UInt8>) -> Void) throws(PlatformError) -> Bool {
        do throws(PlatformError) {
            return try readLines(path: path, body)
        } catch {
            throw error.concerning(.cache)
        }
    }

    static func readLines(path: String, _ body: (ArraySlice<UInt8>) -> Void) throws(PlatformError) -> Bool {
        let fd: Int32
        do throws(PlatformError) { fd = try FileIO.open(path, O_RDONLY) } catch {
            if error.code == .notFound { return false }
            throw error
        }
        defer { try? FileIO.close(fd, path: path) }
        guard try FileIO.status(fd, path: path).isRegular else { throw FileIO.notRegular(path, file: .cache) }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var line: [UInt8] = []
        var total = 0
        while true {
            let n = try chunk.withMutableBytes { (p) throws(PlatformError) in try FileIO.read(fd, into: p, path: path) }
            total += n
            guard total <= limit else { throw FileIO.tooLarge(path, file: .cache, limit: limit) }
            var start = 0
            for i in 0..<n where chunk[i] == 0x0A {
                if line.isEmpty {
                    body(chunk[start..<i])
                } else {
                    line.append(contentsOf: chunk[start..<i])
                    body(line[...])
                    line.removeAll(keepingCapacity: true)
                }
                start = i + 1
            }
            if line.count < 1 << 20 { line.append(contentsOf: chunk[start..<n]) }
            if n < chunk.count {
                if !line.isEmpty { body(line[...]) }
                return true
            }
        }
    }

    /// Writes `bytes` to `path.tmp` (mode 0600, created with its folder,
    /// mode 0700, if needed), fsyncs it and renames it over `path`, so a
    /// crash or power cut leaves the old file or the new one, never half of
    /// one.
    static func write(path: String, _ bytes: [UInt8]) throws(PlatformError) {
        do throws(PlatformError) {
            try writeReplacing(path: path, bytes)
        } catch {
            throw error.concerning(.cache)
        }
    }

    static func writeReplacing(path: String, _ bytes: [UInt8]) throws(PlatformError) {
        let folder = FileIO.parent(of: path)
        if let folder { try FileIO.makeFolders(folder) }
        let temporary = path + ".tmp"
        let fd = try FileIO.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NOCTTY, mode: 0o600)
        try FileIO.writeDurably(fd, bytes, path: temporary)
        let e = temporary.withCString { from in path.withCString { to in nd_rename(from, to) } }
        guard e == 0 else { throw PlatformError(errno: e, path: path) }
        if let folder { FileIO.syncFolder(folder) }
    }
}
