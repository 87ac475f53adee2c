import CPlatform

/// Thin wrappers over the file system calls the key file needs: one per
/// call, each retrying EINTR where the call can be interrupted and turning a
/// failure into a `PlatformError` that names the path.
enum FileIO {
    /// open(2) (O_CLOEXEC is added by `nd_open`). Returns the descriptor.
    static func open(_ path: String, _ flags: Int32, mode: UInt32 = 0) throws(PlatformError) -> Int32 {
        while true {
            let fd = path.withCString { nd_open($0, flags, mode) }
            if fd >= 0 { return fd }
            let e = nd_errno()
            if e == EINTR { continue }
            throw PlatformError(errno: e, path: path)
        }
    }

    /// `.notRegularFile` for `path`, with errno EISDIR when it is a folder
    /// (so the message can say "is a folder, not a file").
    static func notRegular(_ path: String, file: PlatformError.FileRole) -> PlatformError {
        let folder = (try? isFolder(path)) ?? false
        return PlatformError(.notRegularFile, errno: folder ? EISDIR : 0, path: path, file: file)
    }

    /// `.tooLarge` for `path`, naming the limit.
    static func tooLarge(_ path: String, file: PlatformError.FileRole, limit: Int) -> PlatformError {
        PlatformError(.tooLarge, path: path, file: file, detail: "more than " + String(limit) + " bytes")
    }

    /// What fstat(2) tells the key-file checks.
    struct FileStatus {
        /// Permission bits (`st_mode & 07777`).
        var mode: UInt32
        var uid: UInt32
        var isRegular: Bool
    }

    static func status(_ fd: Int32, path: String) throws(PlatformError) -> FileStatus {
        var mode: UInt32 = 0
        var uid: UInt32 = 0
        var isRegular: Int32 = 0
        let e = nd_fstat(fd, &mode, &uid, &isRegular)
        guard e == 0 else { throw PlatformError(errno: e, path: path) }
        return FileStatus(mode: mode, uid: uid, isRegular: isRegular != 0)
    }

    /// Reads until end of file or until `buffer` is full; returns the count.
    /// A caller that wants a size limit passes a buffer one byte larger than
    /// the limit: a full buffer means the file is too large.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws(PlatformError) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var count = 0
        while count < buffer.count {
            let n = CPlatform.read(fd, base + count, buffer.count - count)
            if n == 0 { break }
            if n < 0 {
                let e = nd_errno()
                if e == EINTR { continue }
                throw PlatformError(errno: e, path: path)
            }
            count += n
        }
        return count
    }

    /// write(2) until every byte is written.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(PlatformError) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let n = CPlatform.write(fd, base + offset, bytes.count - offset)
            if n < 0 {
                let e = nd_errno()
                if e == EINTR { continue }
                throw PlatformError(errno: e, path: path)
            }
            offset += n
        }
    }

    /// Writes all of `bytes` to a file just opened for writing, fsyncs and
    /// closes it: on return the data is on disk. On failure `fd` is closed
    /// too (the caller removes or keeps the partial file).
    static func writeDurably(_ fd: Int32, _ bytes: [UInt8], path: String) throws(PlatformError) {
        do throws(PlatformError) {
            let result: Result<Void, PlatformError> = bytes.withUnsafeBytes { p in
                Result { () throws(PlatformError) in try writeAll(fd, p, path: path) }
            }
            try result.get()
            try fsync(fd, path: path)
        } catch {
            _ = CPlatform.close(fd)
            throw error
        }
        try close(fd, path: path)
    }

    static func fsync(_ fd: Int32, path: String) throws(PlatformError) {
        while CPlatform.fsync(fd) != 0 {
            let e = nd_errno()
            if e == EINTR { continue }
            throw PlatformError(errno: e, path: path)
        }
    }

    static func fchmod(_ fd: Int32, _ mode: UInt32, path: String) throws(PlatformError) {
        guard CPlatform.fchmod(fd, mode) == 0 else { throw PlatformError(errno: nd_errno(), path: path) }
    }

    /// close(2). On Linux the descriptor is released even when close fails,
    /// so it is never retried; the error still matters after a write (it can
    /// report a deferred write failure, e.g. on NFS).
    static func close(_ fd: Int32, path: String) throws(PlatformError) {
        guard CPlatform.close(fd) == 0 else {
            let e = nd_errno()
            if e == EINTR { return }
            throw PlatformError(errno: e, path: path)
        }
    }

    /// The folder part of `path` ("/a/b" for "/a/b/c", "/" for "/c"), or nil
    /// for a bare file name.
    static func parent(of path: String) -> String? {
        var bytes = Array(path.utf8)
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return nil }
        // Drop the file name and any run of slashes before it ("a//b" -> "a").
        var end = slash
        while end > 0 && bytes[end - 1] == UInt8(ascii: "/") { end -= 1 }
        if end == 0 { return "/" }
        bytes.removeSubrange(end...)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `mkdir -p folder`: creates each missing folder on the path with mode
    /// 0700, chmod'ed explicitly so an odd umask cannot loosen or break it.
    /// Folders that already exist are left as they are (they may be
    /// symbolic links to folders, as `mkdir -p` allows).
    static func makeFolders(_ folder: String) throws(PlatformError) {
        let bytes = Array(folder.utf8)
        var end = 1  // a leading "/" is never created
        while end <= bytes.count {
            let atBoundary = end == bytes.count || bytes[end] == UInt8(ascii: "/")
            if atBoundary && bytes[end - 1] != UInt8(ascii: "/") {
                let prefix = String(decoding: bytes[0..<end], as: UTF8.self)
                try makeFolder(prefix)
            }
            end += 1
        }
    }

    /// One step of `makeFolders`: nothing when `path` is already a folder.
    static func makeFolder(_ path: String) throws(PlatformError) {
        if try isFolder(path) { return }
        let made = path.withCString { mkdir($0, 0o700) }
        if made != 0 {
            let e = nd_errno()
            // Lost a race with another creator: fine if it made a folder.
            if e == EEXIST, try isFolder(path) { return }
            throw PlatformError(errno: e, path: path)
        }
        guard path.withCString({ chmod($0, 0o700) }) == 0 else {
            throw PlatformError(errno: nd_errno(), path: path)
        }
    }

    /// True when `path` is a folder (after symbolic links), false when it
    /// does not exist; `.notDirectory` when it is something else.
    static func isFolder(_ path: String) throws(PlatformError) -> Bool {
        var mode: UInt32 = 0
        var uid: UInt32 = 0
        var isDir: Int32 = 0
        let e = path.withCString { nd_stat($0, &mode, &uid, &isDir) }
        if e == ENOENT { return false }
        guard e == 0 else { throw PlatformError(errno: e, path: path) }
        guard isDir != 0 else { throw PlatformError(.notDirectory, errno: ENOTDIR, path: path) }
        return true
    }

    /// fsync(2) on a folder, so that a file just created in it survives a
    /// crash. Best effort: some file systems refuse fsync on folders.
    static func syncFolder(_ path: String) {
        guard let fd = try? open(path, O_RDONLY | O_DIRECTORY) else { return }
        _ = CPlatform.fsync(fd)
        _ = CPlatform.close(fd)
    }
}

extension String {
    /// `withUTF8` with a typed error: the standard library's version is
    /// `rethrows`, which loses the error type (see NostrCore/TypedThrows.swift).
    mutating func withUTF8Bytes<R>(_ body: (UnsafeRawBufferPointer) throws(PlatformError) -> R) throws(PlatformError) -> R {
        let result: Result<R, PlatformError> = withUTF8 { p in
            Result { () throws(PlatformError) -> R in try body(UnsafeRawBufferPointer(p)) }
        }
        return try result.get()
    }
}
