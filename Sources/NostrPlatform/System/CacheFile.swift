import CPlatform
import NostrCore

/// The resolver's cache file: read whole, replaced atomically. The file
/// and its folder are treated as something a local attacker may have
/// planted (the Security article, "A local user"): a symbolic link is never
/// followed, a FIFO or device is refused without blocking, and the new
/// file is written to a temporary file only we can have created.
enum CacheFile {
    /// The size limit of the cache file of a cache of `byteBudget` bytes
    /// (`ResolverCache.byteBudget`): twice the budget. `save` never writes
    /// more (lines that would pass it are left out), and `load` refuses a
    /// larger file before reading it, so a file we wrote always loads.
    /// Twice: a line (`<time> <event JSON>`, hex id, key and signature) is
    /// about the size its entry costs in memory for an honest record, and
    /// JSON escapes can make a hostile one up to 6 times larger.
    static func limit(byteBudget: Int) -> Int { 2 * byteBudget }

    /// The limit for the default cache (10,000 names, 8 MiB): 16 MiB.
    static let limit = limit(byteBudget: ResolverCache.defaultByteBudget(names: 10_000))

    /// Calls `body` with each line of the file (without its newline), read
    /// in 64 KiB chunks so that memory does not grow with the file; false
    /// when the file does not exist. A line over 1 MiB is passed on cut
    /// (it then fails to parse). Refused before any line is passed on: a
    /// symbolic link (`.symlink`), anything but a regular file
    /// (`.notRegularFile`), a file over `limit` bytes (`.tooLarge`).
    static func forEachLine(
        path: String, limit: Int = CacheFile.limit, _ body: (ArraySlice<UInt8>) -> Void
    ) throws(PlatformError) -> Bool {
        do throws(PlatformError) {
            return try readLines(path: path, limit: limit, body)
        } catch {
            throw error.concerning(.cache)
        }
    }

    static func readLines(path: String, limit: Int, _ body: (ArraySlice<UInt8>) -> Void) throws(PlatformError) -> Bool {
        let fd: Int32
        do throws(PlatformError) {
            let (opened, status) = try FileIO.openRegular(path, file: .cache)
            fd = opened
            if status.size > Int64(limit) {
                _ = CPlatform.close(fd)
                throw FileIO.tooLarge(path, file: .cache, limit: limit)
            }
        } catch {
            if error.code == .notFound { return false }
            throw error
        }
        defer { try? FileIO.close(fd, path: path) }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var line: [UInt8] = []
        var total = 0
        while true {
            let n = try chunk.withMutableBytes { (p) throws(PlatformError) in try FileIO.read(fd, into: p, path: path) }
            total += n
            // It grew while read: the caller drops what it took.
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

    /// Writes `bytes` to a new temporary file beside `path`, fsyncs it and
    /// renames it over `path`, so a crash or power cut leaves the old file
    /// or the new one, never half of one.
    ///
    /// The folder is created with mode 0700 if missing, and refused
    /// (`.unsafeFolder`) when group or others may write in it without the
    /// sticky bit. The temporary file has a random name (`path.tmp-` and 16
    /// hex digits) and is created with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600:
    /// nothing planted in advance (a link to /etc/shadow, a FIFO) is ever
    /// opened, followed or written through. rename(2) replaces the entry at
    /// `path` itself, whatever it is (a planted symbolic link is replaced,
    /// never followed). A failed write removes the temporary file.
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
        try FileIO.checkFolderForWriting(folder ?? ".", file: .cache)
        let (fd, temporary) = try createTemporary(beside: path)
        do throws(PlatformError) {
            try FileIO.fchmod(fd, 0o600, path: temporary)
        } catch {
            _ = CPlatform.close(fd)
            _ = temporary.withCString { unlink($0) }
            throw error
        }
        do throws(PlatformError) {
            try FileIO.writeDurably(fd, bytes, path: temporary)
            let e = temporary.withCString { from in path.withCString { to in nd_rename(from, to) } }
            guard e == 0 else { throw PlatformError(errno: e, path: path) }
        } catch {
            _ = temporary.withCString { unlink($0) }
            throw error
        }
        if let folder { FileIO.syncFolder(folder) }
    }

    /// A new file `path.tmp-<16 random hex digits>`, created exclusively
    /// with mode 0600; a name already taken (a planted file, or a leftover
    /// of a crash) is never opened: another name is drawn, up to 8 times.
    static func createTemporary(beside path: String) throws(PlatformError) -> (fd: Int32, path: String) {
        var attempt = 0
        while true {
            let random: Bytes32
            do throws(NostrError) { random = try Entropy.bytes32() } catch {
                throw PlatformError(.io, errno: EIO, path: path, detail: "no randomness for a temporary file name")
            }
            let temporary = path + ".tmp-" + Hex.encode(random.bytes[0..<8])
            do throws(PlatformError) {
                let fd = try FileIO.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY, mode: 0o600)
                return (fd, temporary)
            } catch {
                attempt += 1
                guard error.code == .exists, attempt < 8 else { throw error }
            }
        }
    }

    /// What `setAside` did with a cache file that could not be loaded.
    enum SetAside: Equatable {
        /// A regular file, renamed to this path (`path.bad`).
        case renamed(String)
        /// Anything else (a symbolic link, FIFO, device, folder, or a file
        /// that could not be renamed): left where it is. The next save
        /// replaces it (rename(2) replaces the entry, never follows it),
        /// except a folder, which rename cannot replace.
        case leftInPlace
    }

    /// Moves a cache file that could not be loaded out of the way, so that
    /// the next start does not fail on it again and it can still be
    /// examined: a regular file is renamed to `path.bad` (replacing an
    /// older one); anything else is left alone (lstat(2): a symbolic link is
    /// judged as itself, not by what it points to).
    static func setAside(path: String) -> SetAside {
        guard let status = try? FileIO.lstatus(path), status.isRegular else { return .leftInPlace }
        let bad = path + ".bad"
        let e = path.withCString { from in bad.withCString { to in nd_rename(from, to) } }
        return e == 0 ? .renamed(bad) : .leftInPlace
    }
}
