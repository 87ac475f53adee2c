import CPlatform

/// The process environment and identity.
public enum Environment {
    /// The value of environment variable `name`, or nil when it is unset.
    /// (getenv(3); an empty value is returned as "".)
    public static func get(_ name: String) -> String? {
        guard let value = name.withCString({ getenv($0) }) else { return nil }
        return String(cString: value)
    }

    /// True when the effective user is root (geteuid() == 0).
    public static var isRoot: Bool { geteuid() == 0 }
}
