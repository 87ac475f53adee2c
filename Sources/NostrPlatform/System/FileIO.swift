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

    /// Opens `path` for reading as a file a local attacker could have
    /// planted there: O_NOFOLLOW (a symbolic link is refused, `.symlink`,
    /// never followed to another file), O_NONBLOCK (opening a FIFO with no
    /// writer returns at once instead of blocking) and O_NOCTTY (a terminal
    /// never becomes ours), then fstat(2): anything but a regular file
    /// (folder, FIFO, device, socket) is closed and refused
    /// (`.notRegularFile`). `follow` keeps following a symbolic link, for
    /// files the user names that are links by design (certbot's `live/`
    /// certificates); the FIFO and device checks still apply. Returns the
    /// descriptor (O_NONBLOCK has no effect on regular files) and its status.
    static func openRegular(
        _ path: String, file: PlatformError.FileRole, follow: Bool = false
    ) throws(PlatformError) -> (fd: Int32, status: FileStatus) {
        let fd = try open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | (follow ? 0 : O_NOFOLLOW))
        let status: FileStatus
        do throws(PlatformError) { status = try self.status(fd, path: path) } catch {
            _ = CPlatform.close(fd)
            throw error
        }
        guard status.isRegular else {
            _ = CPlatform.close(fd)
            throw notRegular(path, file: file, folder: status.isFolder)
        }
        return (fd, status)
    }

    /// `.notRegularFile` for `path`, with errno EISDIR when it is a folder
    /// (so the message can say "is a folder, not a file"); `folder` as
    /// fstat(2) said, else asked of the path.
    static func notRegular(_ path: String, file: PlatformError.FileRole, folder: Bool? = nil) -> PlatformError {
        let isFolder = folder ?? ((try? self.isFolder(path)) ?? false)
        return PlatformError(.notRegularFile, errno: isFolder ? EISDIR : 0, path: path, file: file)
    }

    /// `.tooLarge` for `path`, naming the limit.
    static func tooLarge(_ path: String, file: PlatformError.FileRole, limit: Int) -> PlatformError {
        PlatformError(.tooLarge, path: path, file: file, detail: "more than " + String(limit) + " bytes")
    }

    /// What fstat(2) or lstat(2) tells the file checks.
    struct FileStatus {
        /// Permission bits (`st_mode & 07777`).
        var mode: UInt32
        var uid: UInt32
        var kind: Int32
        /// `st_size` (0 from `lstatus`, which does not ask).
        var size: Int64 = 0

        var isRegular: Bool { kind == ND_KIND_REGULAR }
        var isFolder: Bool { kind == ND_KIND_FOLDER }
        var isSymbolicLink: Bool { kind == ND_KIND_SYMLINK }
    }

    static func status(_ fd: Int32, path: String) throws(PlatformError) -> FileStatus {
        var mode: UInt32 = 0
        var uid: UInt32 = 0
        var kind: Int32 = 0
        var size: Int64 = 0
        let e = nd_fstat(fd, &mode, &uid, &kind, &size)
        guard e == 0 else { throw PlatformError(errno: e, path: path) }
        return FileStatus(mode: mode, uid: uid, kind: kind, size: size)
    }

    /// lstat(2) of `path` (stat(2) when `follow`); nil when it does not exist.
    static func lstatus(_ path: String, follow: Bool = false) throws(PlatformError) -> FileStatus? {
        var mode: UInt32 = 0
        var uid: UInt32 = 0
        var kind: Int32 = 0
        let e = path.withCString { nd_lstat($0, follow ? 1 : 0, &mode, &uid, &kind) }
        if e == ENOENT { return nil }
        guard e == 0 else { throw PlatformError(errno: e, path: path) }
        return FileStatus(mode: mode, uid: uid, kind: kind)
    }

    /// Refuses a file owned by another user, as ssh refuses a key or
    /// config file that is not owned by the user or root (ssh(1),
    /// "FILES"; OpenSSH's `safe_path`): such a file could have been planted
    /// by that user, who then knows the key we would sign with. The owner
    /// must be the effective uid or root (root can replace any file anyway).
    static func checkOwner(_ status: FileStatus, path: String, file: PlatformError.FileRole) throws(PlatformError) {
        let me = geteuid()
        guard status.uid == me || status.uid == 0 else {
            throw PlatformError(.owner, path: path, file: file, detail: String(status.uid))
        }
    }

    /// Refuses to write into `folder` when group or others may write there
    /// without the sticky bit (`mode & 0o022 != 0`, no `0o1000`): anyone who
    /// may write there could rename or replace what we create in it. A
    /// sticky folder such as /tmp is accepted (only an entry's owner may
    /// rename or remove it). Folders are followed when they are symbolic
    /// links, as `mkdir -p` allows.
    static func checkFolderForWriting(_ folder: String, file: PlatformError.FileRole) throws(PlatformError) {
        guard let status = try lstatus(folder, follow: true) else { throw PlatformError(errno: ENOENT, path: folder) }
        guard status.isFolder else { throw PlatformError(.notDirectory, errno: ENOTDIR, path: folder, file: file) }
        if status.mode & 0o022 != 0 && status.mode & 0o1000 == 0 {
            throw PlatformError(.unsafeFolder, path: folder, file: file, mode: status.mode)
        }
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
