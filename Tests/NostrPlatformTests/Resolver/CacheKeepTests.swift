import Foundation
import Glibc
import NostrCore
import Testing

@testable import NostrPlatform

/// The kept copy of the cache (`--cache-keep`, issue 17 item 7): loaded
/// after a reboot (working file gone), not after a respawn; written by the
/// server's loop from memory at its own interval and at a clean stop, with
/// the cache file's rules.
@Suite(.serialized) struct CacheKeepTests {
    static let context = CachedResolverTests.context

    static func resolver() -> CachedResolver { CachedResolver(pool: RelayPool(urls: [], tls: nil), context: context) }

    /// A resolver holding one signed address record `ip`.
    static func resolver(holding ip: String) throws -> (CachedResolver, ResolverKey) {
        let secret = try Entropy.secretKey(context: context)
        let event = try CachedResolverTests.signedAddress(ip, secret: secret)
        let r = resolver()
        let offered = r.cache.offer(event, now: Clock.unixTime(), context: context, create: true)
        let key = try #require(offered)
        r.changed = true
        return (r, key)
    }

    static func inode(_ path: String) -> UInt64? {
        var st = stat()
        return lstat(path, &st) == 0 ? UInt64(st.st_ino) : nil
    }

    @Test func a_respawn_loads_the_working_file_and_a_reboot_the_kept_copy() throws {
        let folder = try TemporaryFolder()
        let working = folder.file("tmp/dns-cache")
        let kept = folder.file("flash/dns-cache")
        let (a, keyA) = try Self.resolver(holding: "192.0.2.1")
        let (b, keyB) = try Self.resolver(holding: "192.0.2.2")
        try a.save(path: working)
        try b.save(path: kept)

        // A respawn (/tmp survived): the working file, not the copy.
        let respawn = Self.resolver()
        #expect(respawn.loadCacheFiles(working, keep: kept, command: "dns", verbose: false, quiet: true) == .working)
        #expect(respawn.cache.peek(keyA) != nil && respawn.cache.peek(keyB) == nil)

        // A reboot (/tmp is empty): the kept copy.
        try FileManager.default.removeItem(atPath: working)
        let reboot = Self.resolver()
        #expect(reboot.loadCacheFiles(working, keep: kept, command: "dns", verbose: false, quiet: true) == .kept)
        #expect(reboot.cache.peek(keyB) != nil && reboot.cache.peek(keyA) == nil)

        // First boot: neither.
        try FileManager.default.removeItem(atPath: kept)
        #expect(Self.resolver().loadCacheFiles(working, keep: kept, command: "dns", verbose: false, quiet: true) == CacheFileSource.none)
    }

    @Test func an_unloadable_working_file_is_set_aside_and_the_kept_copy_loaded() throws {
        let folder = try TemporaryFolder()
        let working = folder.file("dns-cache")
        let kept = folder.file("kept")
        let (b, keyB) = try Self.resolver(holding: "192.0.2.3")
        try b.save(path: kept)
        // A planted symbolic link as the working file: never followed.
        try #require(symlink(kept, working) == 0)
        let r = Self.resolver()
        var source = CacheFileSource.none
        let lines = try captureStandardError {
            source = r.loadCacheFiles(working, keep: kept, command: "dns", verbose: false, quiet: true)
        }
        #expect(source == .kept && r.cache.peek(keyB) != nil)
        #expect(lines.contains { $0.hasPrefix("nostr-dns dns: ") && $0.contains(working) })
    }

    @Test func a_planted_link_or_garbage_as_the_kept_copy_never_stops_a_start() throws {
        let folder = try TemporaryFolder()
        let working = folder.file("dns-cache")
        let kept = folder.file("kept")
        let secret = folder.file("secret")
        try "do not read\n".write(toFile: secret, atomically: false, encoding: .utf8)
        try #require(symlink(secret, kept) == 0)
        let r = Self.resolver()
        var source = CacheFileSource.working
        _ = try captureStandardError {
            source = r.loadCacheFiles(working, keep: kept, command: "dns", verbose: false, quiet: true)
        }
        #expect(source == CacheFileSource.none && r.cache.keys.isEmpty)
        // The copy written later replaces the link itself, never its target.
        let (full, _) = try Self.resolver(holding: "192.0.2.4")
        #expect(full.writeKeptCopy(kept) == nil)
        #expect(!isSymbolicLink(kept) && permissionBits(kept) == 0o600)
        #expect(try String(contentsOfFile: secret, encoding: .utf8) == "do not read\n")
        // Garbage over the size limit: set aside as .bad, the start goes on.
        let big = [UInt8](repeating: 0x41, count: Self.resolver().cacheFileLimit + 1)
        try Data(big).write(to: URL(fileURLWithPath: kept))
        _ = try captureStandardError {
            source = Self.resolver().loadCacheFiles(working, keep: kept, command: "dns", verbose: false, quiet: true)
        }
        #expect(source == CacheFileSource.none && FileManager.default.fileExists(atPath: kept + ".bad"))
    }

    @Test func writing_the_kept_copy_leaves_the_working_file_to_be_saved() throws {
        let folder = try TemporaryFolder()
        let (r, _) = try Self.resolver(holding: "192.0.2.5")
        #expect(r.writeKeptCopy(folder.file("kept")) == nil)
        #expect(r.changed)
        #expect(r.saveCacheFileIfChanged(folder.file("working")) == nil)
        #expect(!r.changed && FileManager.default.fileExists(atPath: folder.file("working")))
    }

    /// A DNS server on loopback whose relay is unreachable, with a working
    /// file saved every `save` ms and a kept copy at most every `keep` ms.
    static func server(_ resolver: CachedResolver, folder: TemporaryFolder, save: Int64, keep: Int64) throws -> DNSServer {
        var settings = DNSServer.Settings()
        settings.listen = [SocketAddress(address: [127, 0, 0, 1], port: 0)!]
        settings.quiet = true
        settings.cachePath = folder.file("tmp/dns-cache")
        settings.saveIntervalMilliseconds = save
        settings.keep = CacheKeep(path: folder.file("flash/dns-cache"), intervalMilliseconds: keep)
        return try DNSServer(settings: settings, resolver: resolver)
    }

    /// Runs `server` on a thread until `body` returns, then stops it and
    /// waits for the loop to end.
    static func running(_ server: DNSServer, _ body: () throws -> Void) throws {
        let stop = try LoopStop()
        let done = DispatchSemaphore(value: 0)
        let box = UncheckedBox(server)
        Thread {
            try? box.value.run(stop: stop)
            done.signal()
        }.start()
        defer {
            stop.request()
            done.wait()
        }
        try body()
    }

    static func waitFor(_ what: () -> Bool, seconds: Double = 20) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if what() { return true }
            usleep(10_000)
        }
        return what()
    }

    @Test func the_loop_keeps_a_changed_cache_at_its_interval_not_at_each_working_save() throws {
        let folder = try TemporaryFolder()
        let (resolver, key) = try Self.resolver(holding: "192.0.2.6")
        let server = try Self.server(resolver, folder: folder, save: 50, keep: 2_000)
        let working = folder.file("tmp/dns-cache")
        let kept = folder.file("flash/dns-cache")
        let started = Date()
        var keptAfter = 0.0
        var keptInode: UInt64? = nil
        try Self.running(server) {
            // The working file comes first, every 50 ms when changed.
            #expect(Self.waitFor { FileManager.default.fileExists(atPath: working) })
            // The copy: not before its interval (2 s) since the start.
            #expect(Self.waitFor { FileManager.default.fileExists(atPath: kept) })
            keptAfter = Date().timeIntervalSince(started)
            keptInode = Self.inode(kept)
            // Nothing changes any more: the copy is not written again.
            usleep(2_500_000)
            #expect(Self.inode(kept) == keptInode)
        }
        #expect(keptAfter >= 2.0)
        // The stop: nothing changed since the copy, so it is left alone.
        #expect(keptInode != nil && Self.inode(kept) == keptInode)
        let reboot = Self.resolver()
        #expect(reboot.loadCacheFiles(folder.file("gone"), keep: kept, command: "dns", verbose: false, quiet: true) == .kept)
        #expect(reboot.cache.peek(key) != nil)
    }

    @Test func a_clean_stop_keeps_the_cache_on_flash() throws {
        let folder = try TemporaryFolder()
        let (resolver, key) = try Self.resolver(holding: "192.0.2.7")
        // A 6-hour interval: only the stop can write the copy.
        let server = try Self.server(resolver, folder: folder, save: 50, keep: 6 * 3_600_000)
        let kept = folder.file("flash/dns-cache")
        try Self.running(server) {
            #expect(Self.waitFor { FileManager.default.fileExists(atPath: folder.file("tmp/dns-cache")) })
            #expect(!FileManager.default.fileExists(atPath: kept))
        }
        #expect(permissionBits(kept) == 0o600 && !isSymbolicLink(kept))
        let reboot = Self.resolver()
        #expect(reboot.loadCacheFiles(folder.file("gone"), keep: kept, command: "dns", verbose: false, quiet: true) == .kept)
        #expect(reboot.cache.peek(key) != nil)
    }
}

/// Hands a non-Sendable server to the thread that runs its loop (only that
/// thread touches it until the loop ends).
final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
