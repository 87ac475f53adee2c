import Foundation
import Glibc
import NostrCore
import Testing

@testable import NostrPlatform

/// A fresh folder from mkdtemp(3) for one test, removed with its content
/// when the test ends.
final class TemporaryFolder {
    let path: String

    init() throws {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((base + "/nostr-dns-KeyFileTests.XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        path = String(cString: made)
    }

    deinit {
        // Modes set by the tests never stop root (or the owner) from removing them.
        try? FileManager.default.removeItem(atPath: path)
    }

    func file(_ name: String) -> String { path + "/" + name }
}

/// Permission bits of `path` itself (lstat: a symbolic link is not followed).
func permissionBits(_ path: String) -> UInt32? {
    var st = stat()
    guard lstat(path, &st) == 0 else { return nil }
    return UInt32(st.st_mode) & 0o7777
}

func isSymbolicLink(_ path: String) -> Bool {
    var st = stat()
    return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
}

func contents(_ path: String) -> [UInt8]? {
    FileManager.default.contents(atPath: path).map { Array($0) }
}

/// Writes `bytes` to a new file with permission bits `mode` (set with chmod,
/// so the umask does not change them).
func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o600) {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
    precondition(fd >= 0, "open \(path): errno \(errno)")
    bytes.withUnsafeBytes { p in precondition(write(fd, p.baseAddress, p.count) == p.count) }
    close(fd)
    precondition(chmod(path, mode) == 0)
}

func writeFile(_ path: String, _ text: String, mode: mode_t = 0o600) {
    writeFile(path, Array(text.utf8), mode: mode)
}

/// Runs `body` and returns the PlatformError it throws (nil if none).
func platformError<R>(_ body: () throws(PlatformError) -> R) -> PlatformError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

/// A valid secp256k1 scalar: bytes 0x01...0x20.
let testSecret = SecretKey(bytes: try! Bytes32((1...32).map { UInt8($0) }))
let otherSecret = SecretKey(bytes: try! Bytes32((1...32).map { UInt8(64 + $0) }))

@Suite struct KeyFileTests {
    // MARK: - create

    @Test func createMakesFolders0700AndFile0600() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("config/nostr-dns/nsec")
        try KeyFile.create(path: path, secret: testSecret)

        #expect(permissionBits(path) == 0o600)
        #expect(permissionBits(tmp.file("config")) == 0o700)
        #expect(permissionBits(tmp.file("config/nostr-dns")) == 0o700)
        #expect(contents(path) == Array((NIP19.nsec(testSecret) + "\n").utf8))
    }

    @Test func createLeavesExistingFoldersAlone() throws {
        let tmp = try TemporaryFolder()
        try #require(mkdir(tmp.file("shared"), 0o755) == 0)
        try #require(chmod(tmp.file("shared"), 0o755) == 0)
        try KeyFile.create(path: tmp.file("shared/new/nsec"), secret: testSecret)

        #expect(permissionBits(tmp.file("shared")) == 0o755)
        #expect(permissionBits(tmp.file("shared/new")) == 0o700)
        #expect(permissionBits(tmp.file("shared/new/nsec")) == 0o600)
    }

    @Test func createAcceptsRepeatedAndTrailingSlashesInFolders() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.path + "//a///b/nsec"
        try KeyFile.create(path: path, secret: testSecret)
        #expect(try KeyFile.load(path: tmp.file("a/b/nsec")) == testSecret)
        #expect(permissionBits(tmp.file("a")) == 0o700)
    }

    @Test func createThenLoadRoundTrips() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("nsec")
        try KeyFile.create(path: path, secret: testSecret)
        #expect(try KeyFile.load(path: path) == testSecret)
    }

    @Test func secondCreateRefusesAndLeavesFileByteIdentical() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("nsec")
        try KeyFile.create(path: path, secret: testSecret)
        let before = contents(path)

        let error = platformError { () throws(PlatformError) in try KeyFile.create(path: path, secret: otherSecret) }
        #expect(error?.code == .exists)
        #expect(error?.path == path)
        #expect(contents(path) == before)
        #expect(try KeyFile.load(path: path) == testSecret)
    }

    @Test func createRefusesAnyExistingFileEvenAnEmptyOne() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("nsec")
        writeFile(path, "", mode: 0o644)
        let error = platformError { () throws(PlatformError) in try KeyFile.create(path: path, secret: testSecret) }
        #expect(error?.code == .exists)
        #expect(contents(path) == [])
        #expect(permissionBits(path) == 0o644)
    }

    @Test func createDoesNotFollowADanglingSymlink() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("nsec")
        let target = tmp.file("elsewhere")
        try #require(symlink(target, path) == 0)

        let error = platformError { () throws(PlatformError) in try KeyFile.create(path: path, secret: testSecret) }
        #expect(error?.code == .exists)
        #expect(contents(target) == nil)
        #expect(isSymbolicLink(path))
    }

    @Test func createRefusesWhenAFolderOnThePathIsAFile() throws {
        let tmp = try TemporaryFolder()
        writeFile(tmp.file("file"), "x")
        let error = platformError { () throws(PlatformError) in
            try KeyFile.create(path: tmp.file("file/sub/nsec"), secret: testSecret)
        }
        #expect(error?.code == .notDirectory)
        #expect(error?.path == tmp.file("file"))
    }

    @Test func createRefusesADirectoryAtThePath() throws {
        let tmp = try TemporaryFolder()
        try #require(mkdir(tmp.file("nsec"), 0o700) == 0)
        let error = platformError { () throws(PlatformError) in try KeyFile.create(path: tmp.file("nsec"), secret: testSecret) }
        #expect(error?.code == .exists)
    }

    // MARK: - load

    /// The NIP-19 example key.
    @Test func loadsTheNIP19ExampleKey() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("nsec")
        writeFile(path, "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5\n")
        let secret = try KeyFile.load(path: path)
        #expect(secret.bytes.hex == "67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ffa")
    }

    @Test(arguments: [
        "%@", "%@\n", "%@\r\n", "  %@  ", "\n\n\t%@\n\n", "%@\n\n\n",
    ])
    func loadTrimsSurroundingWhitespace(layout: String) throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("nsec")
        writeFile(path, layout.replacingOccurrences(of: "%@", with: NIP19.nsec(testSecret)))
        #expect(try KeyFile.load(path: path) == testSecret)
    }

    @Test(arguments: [0o600, 0o400, 0o700] as [mode_t])
    func loadAcceptsOwnerOnlyModes(mode: mode_t) throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("nsec")
        writeFile(path, NIP19.nsec(testSecret) + "\n", mode: mode)
        #expect(try KeyFile.load(path: path) == testSecret)
    }

    /// Mode 0200 too, which only root can read.
    @Test(.enabled(if: TestRequirements.isRoot, TestRequirements.rootMissing))
    func loadAcceptsOwnerOnlyModeWriteOnly() throws { try loadAcceptsOwnerOnlyModes(mode: 0o200) }

    /// Root can read these files anyway: the refusal must come from the
    /// code's own mode check, which is what this tests.
    @Test(arguments: [0o644, 0o640, 0o604, 0o660, 0o606, 0o620, 0o602, 0o610, 0o601, 0o666, 0o777] as [mode_t])
    func loadRefusesModesOpenToGroupOrOthers(mode: mode_t) throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("nsec")
        writeFile(path, NIP19.nsec(testSecret) + "\n", mode: mode)

        let error = platformError { () throws(PlatformError) in try KeyFile.load(path: path) }
        #expect(error?.code == .permissions)
        #expect(error?.mode == UInt32(mode))
        #expect(error?.path == path)
        #expect(error?.message.contains("run chmod 600 " + path) == true)
        #expect(error?.message.contains(NIP19.nsec(testSecret)) == false)
    }

    @Test func permissionsMessageSaysWhatAndHowToFix() {
        let error = PlatformError(.permissions, path: "/x/y", mode: 0o644)
        #expect(error.message == "key file /x/y is readable by group or others (mode 0644); run chmod 600 /x/y")
        #expect(
            PlatformError(.permissions, path: "/k", mode: 0o640).message
                == "key file /k is readable by group or others (mode 0640); run chmod 600 /k")
        #expect(
            PlatformError(.permissions, path: "/k", mode: 0o620).message
                == "key file /k is writable by group or others (mode 0620); run chmod 600 /k")
        #expect(
            PlatformError(.permissions, path: "/k", mode: 0o666).message
                == "key file /k is readable and writable by group or others (mode 0666); run chmod 600 /k")
        #expect(
            PlatformError(.permissions, path: "/k", mode: 0o601).message
                == "key file /k is accessible by group or others (mode 0601); run chmod 600 /k")
    }

    @Test func loadRefusesASymlinkEvenToAGoodKey() throws {
        let tmp = try TemporaryFolder()
        let target = tmp.file("real")
        let path = tmp.file("nsec")
        writeFile(target, NIP19.nsec(testSecret) + "\n")
        try #require(symlink(target, path) == 0)

        let error = platformError { () throws(PlatformError) in try KeyFile.load(path: path) }
        #expect(error?.code == .symlink)
        #expect(error?.errno == ELOOP)
    }

    @Test func loadRefusesADirectory() throws {
        let tmp = try TemporaryFolder()
        try #require(mkdir(tmp.file("nsec"), 0o700) == 0)
        let error = platformError { () throws(PlatformError) in try KeyFile.load(path: tmp.file("nsec")) }
        #expect(error?.code == .notRegularFile)
    }

    @Test func loadRefusesAFIFOWithoutBlocking() throws {
        let tmp = try TemporaryFolder()
        try #require(mkfifo(tmp.file("nsec"), 0o600) == 0)
        let error = platformError { () throws(PlatformError) in try KeyFile.load(path: tmp.file("nsec")) }
        #expect(error?.code == .notRegularFile)
    }

    @Test func loadOfAMissingFileIsNotFound() throws {
        let tmp = try TemporaryFolder()
        let error = platformError { () throws(PlatformError) in try KeyFile.load(path: tmp.file("none/nsec")) }
        #expect(error?.code == .notFound)
        #expect(error?.errno == ENOENT)
    }

    @Test(arguments: [
        "",
        "\n",
        "hello, world",
        "npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w6",
        "not-an-nsec-at-all-but-a-long-secret-looking-string-0123456789abcdef",
        "67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ffa",
        "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe6",  // checksum broken
        "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5 nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5",
    ])
    func loadOfGarbageIsBadKeyAndDoesNotEchoIt(content: String) throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("nsec")
        writeFile(path, content)

        let error = platformError { () throws(PlatformError) in try KeyFile.load(path: path) }
        #expect(error?.code == .badKey)
        let message = error?.message ?? ""
        #expect(message.hasPrefix("key file " + path + " does not hold a valid nsec secret key"))
        let trimmed = content.trimmingCharacters(in: .whitespacesAndNewlines)
        if !trimmed.isEmpty { #expect(!message.contains(trimmed)) }
    }

    @Test func loadOfBinaryGarbageIsBadKey() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("nsec")
        writeFile(path, [0x00, 0xff, 0xfe, 0x80, 0x0a, 0x6e, 0x73, 0x65, 0x63, 0x31])
        let error = platformError { () throws(PlatformError) in try KeyFile.load(path: path) }
        #expect(error?.code == .badKey)
    }

    @Test func loadRefusesFilesLargerThanTheLimit() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("nsec")
        let nsec = NIP19.nsec(testSecret)
        // The key followed by whitespace up to one byte over the limit.
        writeFile(path, nsec + String(repeating: "\n", count: KeyFile.maxSize + 1 - nsec.utf8.count))
        let error = platformError { () throws(PlatformError) in try KeyFile.load(path: path) }
        #expect(error?.code == .tooLarge)

        // Exactly at the limit is still read.
        let exact = tmp.file("exact")
        writeFile(exact, nsec + String(repeating: "\n", count: KeyFile.maxSize - nsec.utf8.count))
        #expect(try KeyFile.load(path: exact) == testSecret)
    }

    // MARK: - loadOrCreate

    @Test func loadOrCreateCreatesOnceThenLoads() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("dir/nsec")
        var calls = 0
        let first = try KeyFile.loadOrCreate(path: path) { () throws(PlatformError) in
            calls += 1
            return testSecret
        }
        #expect(first.created)
        #expect(first.secret == testSecret)
        let bytes = contents(path)

        let second = try KeyFile.loadOrCreate(path: path) { () throws(PlatformError) in
            calls += 1
            return otherSecret
        }
        #expect(!second.created)
        #expect(second.secret == testSecret)
        #expect(calls == 1)
        #expect(contents(path) == bytes)
    }

    @Test func loadOrCreateNeverOverwritesABadFile() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("nsec")
        writeFile(path, "garbage\n")
        let error = platformError { () throws(PlatformError) in
            try KeyFile.loadOrCreate(path: path) { () throws(PlatformError) in otherSecret }
        }
        #expect(error?.code == .badKey)
        #expect(contents(path) == Array("garbage\n".utf8))

        chmod(path, 0o644)
        let open = platformError { () throws(PlatformError) in
            try KeyFile.loadOrCreate(path: path) { () throws(PlatformError) in otherSecret }
        }
        #expect(open?.code == .permissions)
        #expect(contents(path) == Array("garbage\n".utf8))
    }

    @Test func loadOrCreatePassesOnTheSecretMakersError() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("nsec")
        let error = platformError { () throws(PlatformError) in
            try KeyFile.loadOrCreate(path: path) { () throws(PlatformError) -> SecretKey in throw PlatformError(.io, errno: EIO) }
        }
        #expect(error?.code == .io)
        #expect(contents(path) == nil)
    }

    // MARK: - defaultPath

    static func env(_ values: [String: String]) -> (String) -> String? { { values[$0] } }

    @Test func defaultPathPrefersNOSTR_DNS_KEY() {
        let all = Self.env(["NOSTR_DNS_KEY": "/k/nsec", "XDG_CONFIG_HOME": "/xdg", "HOME": "/home/u"])
        #expect(KeyFile.defaultPath(env: all, isRoot: false) == "/k/nsec")
        #expect(KeyFile.defaultPath(env: all, isRoot: true) == "/k/nsec")
        #expect(KeyFile.defaultPath(env: Self.env(["NOSTR_DNS_KEY": "relative/nsec"]), isRoot: false) == "relative/nsec")
    }

    @Test func defaultPathIgnoresAnEmptyNOSTR_DNS_KEY() {
        let env = Self.env(["NOSTR_DNS_KEY": "", "HOME": "/home/u"])
        #expect(KeyFile.defaultPath(env: env, isRoot: false) == "/home/u/.config/nostr-dns/nsec")
    }

    @Test func defaultPathForRootIsEtc() {
        let env = Self.env(["XDG_CONFIG_HOME": "/xdg", "HOME": "/root"])
        #expect(KeyFile.defaultPath(env: env, isRoot: true) == "/etc/nostr-dns/nsec")
        #expect(KeyFile.defaultPath(env: Self.env([:]), isRoot: true) == "/etc/nostr-dns/nsec")
    }

    @Test func defaultPathUsesAbsoluteXDG_CONFIG_HOME() {
        #expect(
            KeyFile.defaultPath(env: Self.env(["XDG_CONFIG_HOME": "/xdg", "HOME": "/home/u"]), isRoot: false)
                == "/xdg/nostr-dns/nsec")
        #expect(
            KeyFile.defaultPath(env: Self.env(["XDG_CONFIG_HOME": "/xdg/", "HOME": "/home/u"]), isRoot: false)
                == "/xdg/nostr-dns/nsec")
    }

    @Test(arguments: ["", "relative", "./cfg", "~/.config"])
    func defaultPathIgnoresAnEmptyOrRelativeXDG_CONFIG_HOME(value: String) {
        let env = Self.env(["XDG_CONFIG_HOME": value, "HOME": "/home/u"])
        #expect(KeyFile.defaultPath(env: env, isRoot: false) == "/home/u/.config/nostr-dns/nsec")
    }

    @Test func defaultPathFallsBackToHOME() {
        #expect(KeyFile.defaultPath(env: Self.env(["HOME": "/home/u"]), isRoot: false) == "/home/u/.config/nostr-dns/nsec")
        #expect(KeyFile.defaultPath(env: Self.env(["HOME": "/home/u/"]), isRoot: false) == "/home/u/.config/nostr-dns/nsec")
        #expect(KeyFile.defaultPath(env: Self.env(["HOME": "/"]), isRoot: false) == "/.config/nostr-dns/nsec")
    }

    @Test func defaultPathIsNilWithoutAnyBase() {
        #expect(KeyFile.defaultPath(env: Self.env([:]), isRoot: false) == nil)
        #expect(KeyFile.defaultPath(env: Self.env(["HOME": ""]), isRoot: false) == nil)
        #expect(KeyFile.defaultPath(env: Self.env(["HOME": "relative"]), isRoot: false) == nil)
        let error = platformError { () throws(PlatformError) in
            try KeyFile.path(option: nil, env: Self.env([:]), isRoot: false)
        }
        #expect(error?.code == .noHome)
    }

    @Test func pathOptionWinsOverTheDefault() throws {
        let env = Self.env(["NOSTR_DNS_KEY": "/k/nsec"])
        #expect(try KeyFile.path(option: "/opt/nsec", env: env, isRoot: true) == "/opt/nsec")
        #expect(try KeyFile.path(option: nil, env: env, isRoot: true) == "/k/nsec")
        #expect(try KeyFile.path(option: "", env: env, isRoot: true) == "/k/nsec")
    }

    // MARK: - Environment and helpers

    @Test func environmentReadsTheProcessEnvironment() {
        setenv("NOSTR_DNS_KEYFILE_TEST_VARIABLE", "value", 1)
        #expect(Environment.get("NOSTR_DNS_KEYFILE_TEST_VARIABLE") == "value")
        #expect(Environment.get("NOSTR_DNS_KEYFILE_TEST_UNSET_VARIABLE") == nil)
        #expect(Environment.isRoot == (geteuid() == 0))
    }

    @Test(
        arguments: [
            ("/a/b/c", "/a/b"), ("/c", "/"), ("c", nil), ("a/c", "a"), ("/a//c", "/a"), ("//c", "/"), ("a/b/", "a/b"),
        ] as [(String, String?)])
    func parentFolder(path: String, parent: String?) {
        #expect(FileIO.parent(of: path) == parent)
    }

    @Test func errnoNamesTheCommonCases() {
        #expect(PlatformError(errno: ENOENT, path: "/p").code == .notFound)
        #expect(PlatformError(errno: EEXIST, path: "/p").code == .exists)
        #expect(PlatformError(errno: EACCES, path: "/p").code == .accessDenied)
        #expect(PlatformError(errno: ELOOP, path: "/p").code == .symlink)
        #expect(PlatformError(errno: ENOSPC, path: "/p").code == .io)
        #expect(PlatformError(errno: ENOSPC, path: "/p").message.hasPrefix("/p: "))
        #expect(PlatformError(errno: ENOSPC, path: "/p").message.hasSuffix("(errno \(ENOSPC))"))
    }
}
