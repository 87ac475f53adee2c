import CPlatform
import NostrCore

/// Small files read whole: the config file and certificates.
public enum TextFile {
    /// The bytes of the regular file at `path`, at most `limit` bytes
    /// (`.tooLarge` beyond).
    public static func read(path: String, limit: Int) throws(PlatformError) -> [UInt8] {
        let fd = try FileIO.open(path, O_RDONLY)
        defer { try? FileIO.close(fd, path: path) }
        let status = try FileIO.status(fd, path: path)
        guard status.isRegular else { throw PlatformError(.notRegularFile, path: path) }
        var buffer = [UInt8](repeating: 0, count: limit + 1)
        let result: Result<Int, PlatformError> = buffer.withUnsafeMutableBytes { p in
            Result { () throws(PlatformError) -> Int in try FileIO.read(fd, into: p, path: path) }
        }
        let n = try result.get()
        guard n <= limit else { throw PlatformError(.tooLarge, path: path) }
        buffer.removeSubrange(n...)
        return buffer
    }
}

/// Where the config file lives (README, "Config file").
public enum ConfigLocation {
    /// `/etc/nostr-dns/config` for root, else `$XDG_CONFIG_HOME/nostr-dns/config`
    /// or `~/.config/nostr-dns/config`: beside the default key file.
    public static func defaultPath(env: (String) -> String? = Environment.get, isRoot: Bool = Environment.isRoot) -> String? {
        if isRoot { return "/etc/nostr-dns/config" }
        if let config = env("XDG_CONFIG_HOME"), config.utf8.first == 0x2F { return config + "/nostr-dns/config" }
        if let home = env("HOME"), home.utf8.first == 0x2F { return home + "/.config/nostr-dns/config" }
        return nil
    }
}
