import Foundation
import Glibc
import NostrCore
import Testing

@testable import NostrPlatform

/// Platform errors name the file they are about (key, config, cache,
/// certificate, TLS key…) and say why in words a user understands, instead
/// of calling every file a key file.
@Suite struct FileErrorTests {
    @Test func oversizedConfigFileIsCalledAConfigFile() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("config")
        writeFile(path, String(repeating: "# comment\n", count: ConfigFile.maxBytes / 10 + 1))
        let error = try #require(platformError { () throws(PlatformError) in try ConfigLocation.load(explicit: path) })
        #expect(error.code == .tooLarge && error.file == .config)
        #expect(error.message == "config file " + path + " is too large to be a config file (more than 65536 bytes)")
    }

    @Test func folderGivenAsCacheFileIsCalledAFolder() throws {
        let tmp = try TemporaryFolder()
        let error = try #require(platformError { () throws(PlatformError) in try CacheFile.forEachLine(path: tmp.path) { _ in } })
        #expect(error.code == .notRegularFile && error.file == .cache)
        #expect(error.message == "cache file " + tmp.path + " is a folder, not a file")
    }

    @Test func unwritableCacheFileIsNamed() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("not-a-folder")
        writeFile(path, "x")
        let error = try #require(platformError { () throws(PlatformError) in try CacheFile.write(path: path + "/dns-cache", [0x0A]) })
        #expect(error.file == .cache)
        #expect(error.message == "cache file folder " + path + ": a component of the path is not a folder")
    }

    @Test func missingExplicitConfigFileIsNamedAndAMissingDefaultOneIsNot() throws {
        let tmp = try TemporaryFolder()
        let error = try #require(platformError { () throws(PlatformError) in try ConfigLocation.load(explicit: tmp.file("none")) })
        #expect(error.message == "no such config file: " + tmp.file("none"))
    }

    @Test func configFileLineThatIsNotASettingIsNamedWithItsLine() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("config")
        writeFile(path, "relay = ws://127.0.0.1:1\nrelays = ws://127.0.0.1:2\n")
        let error = try #require(platformError { () throws(PlatformError) in try ConfigLocation.load(explicit: path) })
        #expect(error.code == .configSyntax)
        #expect(
            error.message == "config file " + path + ": invalid config file line (line 2)"
                + " (expected `key = value` with key relay, ca-file or key)")
    }

    @Test func oversizedKeyFileStillSaysKeyFile() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("nsec")
        writeFile(path, String(repeating: "\n", count: KeyFile.maxSize + 1))
        let error = try #require(platformError { () throws(PlatformError) in try KeyFile.load(path: path) })
        #expect(error.message == "key file " + path + " is too large to be a key file (more than 1024 bytes)")
    }

    @Test func tlsPrivateKeyFileThatHoldsNoKeyIsNotCalledAnNsecFile() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("k.key")
        try SecretFile.create(path: path, bytes: Array("-----BEGIN EC PRIVATE KEY-----\nnot a key\n".utf8))
        let error = try #require(platformError { () throws(PlatformError) in _ = try TLSPrivateKey.load(path: path) })
        #expect(error.file == .tlsKey)
        #expect(error.message.hasPrefix("TLS private key file " + path + " does not hold a private key mbedTLS can read"))
        #expect(!error.message.contains("nsec"))
    }

    @Test func certificateToPublishThatIsAFolderIsNamed() throws {
        let tmp = try TemporaryFolder()
        let error = try #require(
            platformError { () throws(PlatformError) in
                try TextFile.read(path: tmp.path, limit: 1024, file: .certificate)
            })
        #expect(error.message == "certificate file " + tmp.path + " is a folder, not a file")
    }

    @Test func specialFileIsNotARegularFileAndSaysWhatItMayBe() throws {
        let error = FileIO.notRegular("/dev/null", file: .config)
        #expect(error.message == "config file /dev/null is not a regular file (but a device, FIFO or socket)")
    }

    @Test func badRelayURLNamesTheURL() {
        let error = platformError { () throws(PlatformError) in
            try RelayPoolBuilder(relays: ["ws://127.0.0.1:1", "http://relay.example"])
        }
        #expect(error?.code == .relayURL)
        #expect(error?.message == "bad relay URL 'http://relay.example': not a relay URL (ws://, wss:// or wsn://)")
    }

    @Test func relayListPrecedenceIsExplicitThenEnvironmentThenConfigThenDefaults() throws {
        let config = try ConfigFile(parsing: Array("relay = ws://127.0.0.1:3\nca-file = /ca.pem\n".utf8))
        let explicit = try RelayPoolBuilder(
            explicit: ["ws://127.0.0.1:1", "ws://127.0.0.1:1"], environment: "ws://127.0.0.1:2",
            config: config, caFile: nil)
        #expect(explicit.urls.map { $0.text } == ["ws://127.0.0.1:1"] && explicit.caFile == "/ca.pem")
        let environment = try RelayPoolBuilder(
            explicit: [], environment: "ws://127.0.0.1:2, ws://127.0.0.1:4", config: config,
            caFile: "/other.pem")
        #expect(environment.urls.map { $0.text } == ["ws://127.0.0.1:2", "ws://127.0.0.1:4"] && environment.caFile == "/other.pem")
        let fromConfig = try RelayPoolBuilder(explicit: [], environment: nil, config: config, caFile: nil)
        #expect(fromConfig.urls.map { $0.text } == ["ws://127.0.0.1:3"])
        let defaults = try RelayPoolBuilder(explicit: [], environment: "", config: nil, caFile: nil)
        #expect(defaults.urls.map { $0.text } == RelayPoolBuilder.defaultRelays)
    }
}

@Suite struct TypedThrowsTests {
    @Test func bufferHelpersKeepEachModulesErrorType() {
        let bytes: [UInt8] = [1, 2, 3]
        let platform = platformError { () throws(PlatformError) in
            try bytes.withBytes { (p) throws(PlatformError) -> Int in
                if p.count == 3 { throw PlatformError(.tooLarge, path: "/x", file: .config) }
                return p.count
            }
        }
        #expect(platform == PlatformError(.tooLarge, path: "/x", file: .config))
        var copy = bytes
        let core: NostrError? = {
            do throws(NostrError) {
                try copy.withMutableBytes { (p) throws(NostrError) in
                    p[0] = 9; throw NostrError(.badHex)
                }
                return nil
            } catch {
                return error
            }
        }()
        #expect(core == NostrError(.badHex) && copy[0] == 9)
    }
}
