import Foundation
import Glibc
import NostrCore
import Testing

@testable import NostrPlatform

/// Files a local attacker could plant where nostr-dns keeps its state
/// (issue 16, item 9): a symbolic link at the cache or key path is refused,
/// never followed; a FIFO or device is refused without blocking; the cache's
/// temporary file is created exclusively, mode 0600, in a folder others
/// cannot write; a key file owned by another user is refused, as ssh does;
/// and a cache file that cannot be loaded never stops a server's start.
@Suite struct PlantedFileTests {
    static let context = try! Secp256k1Context(randomSeed: try! Entropy.bytes32())

    // MARK: Helpers

    /// The result of a call that may block, kept by the thread that made it.
    final class Outcome: @unchecked Sendable {
        var error: PlatformError?
        var returned = false
    }

    /// A value handed to the thread of `withinFiveSeconds` (used by one
    /// thread at a time: the test waits for it).
    final class Handed<T>: @unchecked Sendable {
        let value: T
        init(_ value: T) { self.value = value }
    }

    /// Runs `body` on a thread of its own and waits up to 5 s. When it has
    /// not returned by then, it blocked: the FIFO at `fifo` is opened for
    /// writing (and closed) to release it, and nil is returned.
    static func withinFiveSeconds(unblocking fifo: String, _ body: @escaping @Sendable () -> PlatformError?) -> Outcome? {
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            outcome.error = body()
            outcome.returned = true
            done.signal()
        }
        if done.wait(timeout: .now() + 5) == .success { return outcome }
        let writer = open(fifo, O_WRONLY | O_NONBLOCK)
        if writer >= 0 { close(writer) }
        _ = done.wait(timeout: .now() + 5)
        return nil
    }

    /// A character device node like /dev/null (major 1, minor 3) at `path`,
    /// made with mknod(2); nil where the container does not allow it.
    static func deviceNode(_ path: String) -> String? {
        mknod(path, S_IFCHR | 0o600, dev_t((1 << 8) | 3)) == 0 ? path : nil
    }

    static func names(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }

    static func kind(_ path: String) -> mode_t? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return st.st_mode & S_IFMT
    }

    static func signedAddress(_ ip: String, secret: SecretKey) throws -> Event {
        let template = AddressRecord(label: "", addresses: [try IPAddress(parsing: ip)], ttl: 300)
            .template(createdAt: Clock.unixTime() - 10)
        return try Event.sign(template, secret: secret, context: context, auxRand: try Entropy.bytes32())
    }

    /// A cache file at `path` holding one valid record.
    static func validCacheFile(_ path: String) throws {
        let resolver = CachedResolver(pool: RelayPool(urls: [], tls: nil), context: context)
        let secret = try Entropy.secretKey(context: context)
        _ = resolver.cache.offer(try signedAddress("192.0.2.7", secret: secret), now: Clock.unixTime(), context: context, create: true)
        try resolver.save(path: path)
    }

    // MARK: Reading the cache file

    @Test func symlinkAtTheCachePathToAnotherFileIsRefusedNotFollowed() throws {
        let tmp = try TemporaryFolder()
        try Self.validCacheFile(tmp.file("elsewhere"))
        let link = tmp.file("dns-cache")
        try #require(symlink(tmp.file("elsewhere"), link) == 0)
        var lines = 0
        let error = try #require(platformError { () throws(PlatformError) in try CacheFile.forEachLine(path: link) { _ in lines += 1 } })
        #expect(error.code == .symlink && error.file == .cache && error.errno == ELOOP)
        #expect(error.message == "cache file " + link + " is a symbolic link; refusing to follow it")
        #expect(lines == 0)
    }

    @Test func symlinkAtTheCachePathToDevZeroIsRefusedWithoutReading() throws {
        let tmp = try TemporaryFolder()
        let link = tmp.file("dns-cache")
        try #require(symlink("/dev/zero", link) == 0)
        let error = platformError { () throws(PlatformError) in try CacheFile.forEachLine(path: link) { _ in } }
        #expect(error?.code == .symlink)
        // The config and certificates follow links (certbot's live/ files
        // are links), but a link to a device is still not read.
        let text = platformError { () throws(PlatformError) in try TextFile.read(path: link, limit: 1 << 16, file: .config) }
        #expect(text?.code == .notRegularFile && text?.file == .config)
        #expect(text?.message == "config file " + link + " is not a regular file (but a device, FIFO or socket)")
    }

    @Test func fifoWithNoWriterAtTheCachePathIsRefusedWithoutBlocking() throws {
        let tmp = try TemporaryFolder()
        let fifo = tmp.file("dns-cache")
        try #require(mkfifo(fifo, 0o600) == 0)
        let outcome = Self.withinFiveSeconds(unblocking: fifo) {
            platformError { () throws(PlatformError) in try CacheFile.forEachLine(path: fifo) { _ in } }
        }
        let done = try #require(outcome, "reading a planted FIFO blocked the start")
        #expect(done.error?.code == .notRegularFile && done.error?.file == .cache)
        #expect(done.error?.message == "cache file " + fifo + " is not a regular file (but a device, FIFO or socket)")
    }

    @Test func fifoWithNoWriterAsConfigTLSKeyOrKeyFileIsRefusedWithoutBlocking() throws {
        let tmp = try TemporaryFolder()
        let fifo = tmp.file("planted")
        try #require(mkfifo(fifo, 0o600) == 0)
        let config = Self.withinFiveSeconds(unblocking: fifo) {
            platformError { () throws(PlatformError) in try TextFile.read(path: fifo, limit: 1 << 16, file: .config) }
        }
        #expect(config?.error?.code == .notRegularFile, "the config file read blocked on a FIFO")
        let tlsKey = Self.withinFiveSeconds(unblocking: fifo) {
            platformError { () throws(PlatformError) in try SecretFile.read(path: fifo, limit: 1 << 16) }
        }
        #expect(tlsKey?.error?.code == .notRegularFile, "the TLS key read blocked on a FIFO")
        let key = Self.withinFiveSeconds(unblocking: fifo) {
            platformError { () throws(PlatformError) in try KeyFile.load(path: fifo) }
        }
        #expect(key?.error?.code == .notRegularFile, "the key file read blocked on a FIFO")
    }

    @Test func deviceNodeAtTheCachePathIsRefused() throws {
        let tmp = try TemporaryFolder()
        let device = Self.deviceNode(tmp.file("dns-cache")) ?? "/dev/null"
        var lines = 0
        let error = platformError { () throws(PlatformError) in try CacheFile.forEachLine(path: device) { _ in lines += 1 } }
        #expect(error?.code == .notRegularFile && error?.errno == 0)
        #expect(lines == 0)
        let key = platformError { () throws(PlatformError) in try KeyFile.load(path: device) }
        #expect(key?.code == .notRegularFile && key?.file == .key)
    }

    @Test func folderAtTheCachePathIsCalledAFolder() throws {
        let tmp = try TemporaryFolder()
        let folder = tmp.file("dns-cache")
        try #require(mkdir(folder, 0o700) == 0)
        let error = platformError { () throws(PlatformError) in try CacheFile.forEachLine(path: folder) { _ in } }
        #expect(error?.code == .notRegularFile && error?.errno == EISDIR)
        #expect(error?.message == "cache file " + folder + " is a folder, not a file")
    }

    @Test func oversizedCacheFileIsRefusedBeforeAnyLineIsRead() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("dns-cache")
        try Self.validCacheFile(path)
        // Sparse: the size says more than the limit, nothing is written.
        try #require(truncate(path, off_t(CacheFile.limit + 1)) == 0)
        var lines = 0
        let error = try #require(platformError { () throws(PlatformError) in try CacheFile.forEachLine(path: path) { _ in lines += 1 } })
        #expect(error.code == .tooLarge && error.file == .cache)
        #expect(error.message == "cache file " + path + " is too large to be a cache file (more than 16777216 bytes)")
        #expect(lines == 0)
    }

    // MARK: Writing the cache file

    @Test func savingOverASymlinkReplacesTheLinkNeverWritesThroughIt() throws {
        let tmp = try TemporaryFolder()
        let victim = tmp.file("shadow")
        writeFile(victim, "root:$6$secret:19000:0:99999:7:::\n", mode: 0o640)
        let link = tmp.file("dns-cache")
        try #require(symlink(victim, link) == 0)
        try CacheFile.write(path: link, Array("1 {}\n".utf8))
        #expect(contents(victim) == Array("root:$6$secret:19000:0:99999:7:::\n".utf8))
        #expect(permissionBits(victim) == 0o640)
        #expect(!isSymbolicLink(link) && contents(link) == Array("1 {}\n".utf8))
        #expect(permissionBits(link) == 0o600)
    }

    @Test func fileOrLinkPlantedAtTheOldTemporaryNameIsNeverOpened() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("dns-cache")
        let victim = tmp.file("victim")
        writeFile(victim, "keep me\n")
        try #require(symlink(victim, path + ".tmp") == 0)
        try CacheFile.write(path: path, Array("1 {}\n".utf8))
        #expect(contents(victim) == Array("keep me\n".utf8))
        #expect(contents(path) == Array("1 {}\n".utf8))
        // A FIFO at the old fixed name blocked the old save (open for
        // writing waits for a reader) and with it the server's loop.
        try #require(unlink(path + ".tmp") == 0 && mkfifo(path + ".tmp", 0o600) == 0)
        let saved = Self.withinFiveSeconds(unblocking: path + ".tmp") {
            platformError { () throws(PlatformError) in try CacheFile.write(path: path, Array("2 {}\n".utf8)) }
        }
        let done = try #require(saved, "saving the cache blocked on a FIFO planted beside it")
        #expect(done.error == nil)
        #expect(contents(path) == Array("2 {}\n".utf8))
    }

    @Test func temporaryFileIsNewMode0600AndRandomlyNamed() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("dns-cache")
        let (fd1, first) = try CacheFile.createTemporary(beside: path)
        let (fd2, second) = try CacheFile.createTemporary(beside: path)
        close(fd1)
        close(fd2)
        #expect(first != second)
        for name in [first, second] {
            #expect(name.hasPrefix(path + ".tmp-") && name.utf8.count == path.utf8.count + 5 + 16)
            #expect(permissionBits(name) == 0o600 && Self.kind(name) == S_IFREG)
        }
        // O_EXCL: the same name is never opened twice.
        #expect(open(first, O_WRONLY | O_CREAT | O_EXCL, 0o600) == -1 && errno == EEXIST)
    }

    @Test func savedCacheFileIsMode0600AndLeavesNoTemporaryFile() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("dns-cache")
        writeFile(path, "old\n", mode: 0o666)
        try CacheFile.write(path: path, Array("1 {}\n".utf8))
        #expect(permissionBits(path) == 0o600)
        #expect(Self.names(in: tmp.path) == ["dns-cache"])
        // A save that fails (a folder is in the way) removes its temporary file.
        let blocked = tmp.file("blocked")
        try #require(mkdir(blocked, 0o700) == 0 && mkdir(blocked + "/x", 0o700) == 0)
        let error = platformError { () throws(PlatformError) in try CacheFile.write(path: blocked, Array("1 {}\n".utf8)) }
        #expect(error?.file == .cache)
        #expect(Self.names(in: tmp.path) == ["blocked", "dns-cache"])
    }

    @Test func cacheFolderIsCreated0700() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("state/nostr-dns/dns-cache")
        try CacheFile.write(path: path, Array("1 {}\n".utf8))
        #expect(permissionBits(tmp.file("state")) == 0o700 && permissionBits(tmp.file("state/nostr-dns")) == 0o700)
    }

    @Test func worldWritableFolderWithoutStickyBitIsRefusedForTheCache() throws {
        let tmp = try TemporaryFolder()
        let open = tmp.file("open")
        try #require(mkdir(open, 0o700) == 0 && chmod(open, 0o777) == 0)
        let error = try #require(
            platformError { () throws(PlatformError) in try CacheFile.write(path: open + "/dns-cache", Array("1 {}\n".utf8)) })
        #expect(error.code == .unsafeFolder && error.file == .cache && error.mode == 0o777)
        #expect(
            error.message == "cache file folder " + open
                + " is writable by group or others (mode 0777) without the sticky bit; refusing to write there: run chmod 700 " + open)
        #expect(Self.names(in: open).isEmpty)
        // Group-writable is refused too; a sticky folder (as /tmp) is not.
        try #require(chmod(open, 0o770) == 0)
        #expect(platformError { () throws(PlatformError) in try CacheFile.write(path: open + "/dns-cache", [0x0A]) }?.code == .unsafeFolder)
        try #require(chmod(open, 0o1777) == 0)
        try CacheFile.write(path: open + "/dns-cache", Array("1 {}\n".utf8))
        #expect(contents(open + "/dns-cache") == Array("1 {}\n".utf8))
    }

    // MARK: A cache file that cannot be loaded never stops a start

    @Test func oversizedCacheFileIsSetAsideAndTheServerStartsEmpty() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("dns-cache")
        try Self.validCacheFile(path)
        try #require(truncate(path, off_t(CacheFile.limit + 1)) == 0)
        let resolver = CachedResolver(pool: RelayPool(urls: [], tls: nil), context: Self.context)
        resolver.loadCacheFile(path, command: "dns", verbose: false, quiet: true)
        #expect(resolver.cache.count == 0)
        #expect(Self.kind(path) == nil && Self.kind(path + ".bad") == S_IFREG)
        // What the warning says, for the next start's file.
        try Self.validCacheFile(path)
        try #require(truncate(path, off_t(CacheFile.limit + 1)) == 0)
        let error = try #require(platformError { () throws(PlatformError) in try resolver.load(path: path) })
        #expect(
            CachedResolver.setAside(path, error)
                == "cache file " + path + " is too large to be a cache file (more than 16777216 bytes); set aside as " + path
                + ".bad, starting with an empty cache")
        #expect(resolver.cache.count == 0)
    }

    @Test func symlinkFIFOOrDeviceAtTheCachePathIsLeftAloneAndTheServerStartsEmpty() throws {
        let tmp = try TemporaryFolder()
        try Self.validCacheFile(tmp.file("elsewhere"))
        let link = tmp.file("link-cache")
        try #require(symlink(tmp.file("elsewhere"), link) == 0)
        let fifo = tmp.file("fifo-cache")
        try #require(mkfifo(fifo, 0o600) == 0)
        var planted = [(link, S_IFLNK), (fifo, S_IFIFO)]
        if let device = Self.deviceNode(tmp.file("device-cache")) { planted.append((device, S_IFCHR)) }
        for (path, kind) in planted {
            let resolver = CachedResolver(pool: RelayPool(urls: [], tls: nil), context: Self.context)
            let handed = Handed(resolver)
            let started = Self.withinFiveSeconds(unblocking: path) {
                handed.value.loadCacheFile(path, command: "dns", verbose: false, quiet: true)
                return nil
            }
            #expect(started != nil, "loading \(path) blocked the start")
            #expect(resolver.cache.count == 0)
            #expect(Self.kind(path) == kind && Self.kind(path + ".bad") == nil)
        }
        let error = try #require(platformError { () throws(PlatformError) in try CacheFile.forEachLine(path: link) { _ in } })
        #expect(
            CachedResolver.setAside(link, error)
                == "cache file " + link
                + " is a symbolic link; refusing to follow it; left in place, starting with an empty cache (the next save replaces it)")
        #expect(isSymbolicLink(link))
    }

    @Test func cacheFileThatLoadsIsNotSetAside() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("dns-cache")
        try Self.validCacheFile(path)
        let resolver = CachedResolver(pool: RelayPool(urls: [], tls: nil), context: Self.context)
        resolver.loadCacheFile(path, command: "dns", verbose: false, quiet: true)
        #expect(resolver.cache.count == 1)
        #expect(Self.names(in: tmp.path) == ["dns-cache"])
    }

    // MARK: Key files owned by another user

    @Test func keyFileOwnedByAnotherUserIsRefusedAsSshDoes() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("nsec")
        try KeyFile.create(path: path, secret: testSecret)
        try #require(try KeyFile.load(path: path) == testSecret)
        try #require(geteuid() == 0 || getuid() == 0, "chown to another user needs root")
        try #require(chown(path, 65534, 65534) == 0)
        let error = try #require(platformError { () throws(PlatformError) in try KeyFile.load(path: path) })
        #expect(error.code == .owner && error.file == .key && error.detail == "65534")
        #expect(
            error.message == "key file " + path + " is owned by another user (uid 65534), not by this user (uid "
                + String(geteuid()) + ") or root; refusing it, as ssh does: chown it to this user")
        #expect(!error.message.contains("nsec1"))
        // keygen does not replace it either.
        let again = platformError { () throws(PlatformError) in
            _ = try KeyFile.loadOrCreate(path: path) { () throws(PlatformError) in otherSecret }
        }
        #expect(again?.code == .owner)
    }

    @Test func tlsKeyFileOwnedByAnotherUserIsRefused() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("tls.key")
        writeFile(path, "-----BEGIN EC PRIVATE KEY-----\n", mode: 0o600)
        try #require(geteuid() == 0, "chown to another user needs root")
        try #require(chown(path, 65534, 65534) == 0)
        let error = platformError { () throws(PlatformError) in try SecretFile.read(path: path, limit: 1 << 16) }
        #expect(error?.code == .owner && error?.file == .tlsKey)
    }
}
