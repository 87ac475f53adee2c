import CPlatform
import NostrCore

/// Small files read whole: the config file and certificates.
public enum TextFile {
    /// The bytes of the regular file at `path`, at most `limit` bytes
    /// (`.tooLarge` beyond); errors name the file as a `file` file.
    public static func read(path: String, limit: Int, file: PlatformError.FileRole) throws(PlatformError) -> [UInt8] {
        do throws(PlatformError) {
            return try readBytes(path: path, limit: limit, file: file)
        } catch {
            throw error.concerning(file)
        }
    }

    /// Symbolic links are followed (certbot's `live/` certificates are
    /// links, and these files are read, never written); a FIFO or device is
    /// refused without blocking (`FileIO.openRegular`).
    static func readBytes(path: String, limit: Int, file: PlatformError.FileRole) throws(PlatformError) -> [UInt8] {
        let (fd, _) = try FileIO.openRegular(path, file: file, follow: true)
        defer { try? FileIO.close(fd, path: path) }
        var buffer = [UInt8](repeating: 0, count: limit + 1)
        let n = try buffer.withMutableBytes { (p) throws(PlatformError) in try FileIO.read(fd, into: p, path: path) }
        guard n <= limit else { throw FileIO.tooLarge(path, file: file, limit: limit) }
        buffer.removeSubrange(n...)
        return buffer
    }
}

/// Where the config file and the default key file live (the Design article, "The
/// config file" and "Keys").
public enum ConfigLocation {
    /// `/etc/nostr-dns` for root; else `$XDG_CONFIG_HOME/nostr-dns` if that
    /// variable is an absolute path (the XDG Base Directory specification
    /// says relative values are to be ignored); else `$HOME/.config/nostr-dns`
    /// if HOME is absolute; else nil. Never a temporary folder.
    public static func folder(env: (String) -> String? = Environment.get, isRoot: Bool = Environment.isRoot) -> String? {
        if isRoot { return "/etc/nostr-dns" }
        if let config = env("XDG_CONFIG_HOME"), KeyFile.isAbsolute(config) {
            return KeyFile.withoutTrailingSlashes(config) + "/nostr-dns"
        }
        if let home = env("HOME"), KeyFile.isAbsolute(home) {
            return KeyFile.withoutTrailingSlashes(home) + "/.config/nostr-dns"
        }
        return nil
    }

    /// The config file beside the default key file: `<folder>/config`.
    public static func defaultPath(env: (String) -> String? = Environment.get, isRoot: Bool = Environment.isRoot) -> String? {
        folder(env: env, isRoot: isRoot).map { $0 + "/config" }
    }
}

/// Where state that must survive a reboot lives: the cache files of the DNS
/// server and the mDNS responder (the Deployment article, "Cache files").
public enum StateLocation {
    /// `/var/lib/nostr-dns` for root (the FHS place, and systemd's
    /// `StateDirectory=nostr-dns`); else `$XDG_STATE_HOME/nostr-dns` if that
    /// is an absolute path; else `$HOME/.local/state/nostr-dns`; else nil.
    public static func folder(env: (String) -> String? = Environment.get, isRoot: Bool = Environment.isRoot) -> String? {
        if isRoot { return "/var/lib/nostr-dns" }
        if let state = env("XDG_STATE_HOME"), KeyFile.isAbsolute(state) {
            return KeyFile.withoutTrailingSlashes(state) + "/nostr-dns"
        }
        if let home = env("HOME"), KeyFile.isAbsolute(home) {
            return KeyFile.withoutTrailingSlashes(home) + "/.local/state/nostr-dns"
        }
        return nil
    }

    /// The DNS server's default cache file: `<folder>/dns-cache`.
    public static func dnsCachePath(env: (String) -> String? = Environment.get, isRoot: Bool = Environment.isRoot) -> String? {
        folder(env: env, isRoot: isRoot).map { $0 + "/dns-cache" }
    }

    /// The mDNS responder's default cache file: `<folder>/mdns-cache` (its
    /// own: the two servers may run at once, each saving its cache).
    public static func mdnsCachePath(env: (String) -> String? = Environment.get, isRoot: Bool = Environment.isRoot) -> String? {
        folder(env: env, isRoot: isRoot).map { $0 + "/mdns-cache" }
    }
}
