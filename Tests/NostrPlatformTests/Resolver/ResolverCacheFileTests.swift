import Foundation
import NostrCore
import Testing

@testable import NostrPlatform

/// The cache file against issue 16: bounded in bytes and always loadable
/// once written (item 2), the newest record's watermark kept across
/// restarts (item 3a), and a clock behind the file's save time (item 10).
@Suite struct ResolverCacheFileTests {
    static let context = CachedResolverTests.context

    static func record(
        _ ip: String, secret: SecretKey, at createdAt: Int64, label: String = "", expiration: Int64? = nil, padding: Int = 0
    ) throws -> Event {
        var template = AddressRecord(label: label, addresses: [try IPAddress(parsing: ip)], ttl: 300, expiration: expiration)
            .template(createdAt: createdAt)
        if padding > 0 { template.tags.append(["x", String(repeating: "p", count: padding)]) }
        return try Event.sign(template, secret: secret, context: context, auxRand: try Entropy.bytes32())
    }

    static func resolver() -> CachedResolver { CachedResolver(pool: RelayPool(urls: [], tls: nil), context: context) }

    @Test func rollback_after_a_restart_is_refused_the_expired_newest_is_kept_in_the_cache_file() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("dns-cache")
        let secret = try Entropy.secretKey(context: Self.context)
        let key = ResolverKey.addresses(try Self.context.publicKey(of: secret), label: "")
        let now = Clock.unixTime()
        let old = try Self.record("192.0.2.1", secret: secret, at: now - 86400)
        let newest = try Self.record("192.0.2.2", secret: secret, at: now - 100, expiration: now + 60)
        let first = Self.resolver()
        #expect(first.cache.offer(old, now: now, context: Self.context, create: true) == key)
        #expect(first.cache.offer(newest, now: now, context: Self.context, create: false) == key)
        try first.save(path: path, now: now)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix("#saved " + String(now) + "\n"))

        // Restarted after the newest expired: it is loaded as the watermark.
        let second = Self.resolver()
        let loaded = try second.load(path: path, now: now + 120)
        #expect(loaded.taken == 1 && loaded.refused == 0 && loaded.clockBehind == 0)
        guard case .stale(let entry) = second.cache.lookup(key, now: now + 120) else { Issue.record("no entry"); return }
        #expect(!entry.found && entry.addresses.isEmpty)
        #expect(second.cache.offer(old, now: now + 121, context: Self.context, create: true) == nil)
        // Saved again and loaded a third time: still there.
        try second.save(path: path, now: now + 130)
        let third = Self.resolver()
        #expect(try third.load(path: path, now: now + 140).taken == 1)
        #expect(third.cache.offer(old, now: now + 141, context: Self.context, create: true) == nil)
        #expect(third.cache.peek(key)?.found == false)
        // A file of an older version (no `#saved` line) loads as before.
        try text.replacingOccurrences(of: "#saved " + String(now) + "\n", with: "").write(toFile: path, atomically: true, encoding: .utf8)
        let older = Self.resolver()
        #expect(try older.load(path: path, now: now).taken == 1)
        #expect(older.cache.peek(key)?.addresses == [try IPAddress(parsing: "192.0.2.2")])
    }

    @Test func a_clock_behind_the_save_time_still_answers_from_the_cache_file() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("dns-cache")
        let secret = try Entropy.secretKey(context: Self.context)
        let author = try Self.context.publicKey(of: secret)
        let key = ResolverKey.addresses(author, label: "")
        let ending = ResolverKey.addresses(author, label: "ending")
        let saved = Clock.unixTime()
        let first = Self.resolver()
        #expect(
            first.cache.offer(try Self.record("192.0.2.5", secret: secret, at: saved - 60), now: saved, context: Self.context, create: true)
                == key)
        // Valid when saved; expires before the clock, behind, gets there again.
        #expect(
            first.cache.offer(
                try Self.record("192.0.2.6", secret: secret, at: saved - 60, label: "ending", expiration: saved + 3600),
                now: saved, context: Self.context, create: true) == ending)
        try first.save(path: path, now: saved + 7200)

        // Rebooted offline, no real-time clock: the clock says a month earlier.
        let behind = saved - 30 * 86400
        let second = Self.resolver()
        let loaded = try second.load(path: path, now: behind)
        #expect(loaded.taken == 2 && loaded.refused == 0)
        #expect(loaded.savedAt == saved + 7200 && loaded.clockBehind == saved + 7200 - behind)
        // Answered, stale (TTL 30) so that relays confirm it when they can.
        guard case .stale(let entry) = second.cache.lookup(key, now: behind + 1) else {
            Issue.record("the cached name is not answered with the clock behind"); return
        }
        #expect(try entry.found && entry.addresses == [IPAddress(parsing: "192.0.2.5")])
        // Expired by the save time: the clock has been past that, so no record.
        #expect(second.cache.peek(ending)?.found == false)
        guard case .stale(let gone) = second.cache.lookup(ending, now: behind + 1) else { Issue.record("no entry"); return }
        #expect(!gone.found)

        // What it used to do: the events judged at the clock's time are "from the future".
        let third = Self.resolver()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try String(text.split(separator: "\n", omittingEmptySubsequences: true).dropFirst().joined(separator: "\n") + "\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let withoutSaveTime = try third.load(path: path, now: behind)
        #expect(withoutSaveTime.taken == 0 && withoutSaveTime.refused == 2)
    }

    @Test func a_clock_behind_is_said_in_one_line() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("dns-cache")
        let secret = try Entropy.secretKey(context: Self.context)
        let saved = Clock.unixTime()
        let first = Self.resolver()
        _ = first.cache.offer(try Self.record("192.0.2.5", secret: secret, at: saved - 60), now: saved, context: Self.context, create: true)
        try first.save(path: path, now: saved)
        let second = Self.resolver()
        let lines = try captureStandardError {
            second.loadCacheFile(path, command: "dns", verbose: false, quiet: false, now: saved - 86400)
        }
        #expect(lines.filter { $0.contains("clock is 86400 s behind") }.count == 1)
        #expect(second.cache.count == 1)
    }

    @Test func a_cache_full_of_large_records_writes_a_bounded_file_that_always_loads() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("dns-cache")
        let secret = try Entropy.secretKey(context: Self.context)
        let now = Clock.unixTime()
        let first = Self.resolver()
        first.cache.byteBudget = 512 * 1024
        // JSON escapes make a line up to 6 times its bytes in memory.
        for i in 0..<150 {
            var template = AddressRecord(label: "n" + String(i), addresses: [try IPAddress(parsing: "192.0.2.1")])
                .template(createdAt: now - 10)
            template.tags.append(["x", String(repeating: "\u{1}", count: 7_500)])
            let e = try Event.sign(template, secret: secret, context: Self.context, auxRand: try Entropy.bytes32())
            _ = first.cache.offer(e, now: now, context: Self.context, create: true)
        }
        #expect(first.cache.bytes <= 512 * 1024)
        try first.save(path: path, now: now)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(size <= first.cacheFileLimit && first.cacheFileLimit == 1024 * 1024)
        #expect(size > first.cacheFileLimit / 2)
        let second = Self.resolver()
        second.cache.byteBudget = 512 * 1024
        let loaded = try second.load(path: path, now: now)
        #expect(loaded.taken > 10 && loaded.refused == 0)
        #expect(second.cache.bytes <= 512 * 1024)
    }
}

/// The lines written to standard error while `body` runs (fd 2 sent to a
/// temporary file; other tests' lines may be among them).
func captureStandardError(_ body: () -> Void) throws -> [String] {
    let folder = try TemporaryFolder()
    let path = folder.file("stderr")
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    try #require(fd >= 0)
    let saved = dup(2)
    dup2(fd, 2)
    body()
    dup2(saved, 2)
    close(saved)
    close(fd)
    return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
}
