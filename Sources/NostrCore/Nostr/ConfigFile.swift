/// The config file (the Design article, "The config file"): one `key = value` setting per
/// line; `#` starts a comment line; blank lines are ignored; keys may repeat
/// where a setting is a list (`relay`). Values run to the end of the line,
/// with surrounding spaces and tabs trimmed. Parsed as bytes; any error
/// names its 1-based line number (NostrError.offset). A line that holds
/// what looks like an nsec (`SecretScan`) is refused (`.secretKey`).
public struct ConfigFile: Sendable {
    public struct Setting: Equatable, Sendable {
        public var key: String
        public var value: String
        public var line: Int
    }

    /// The settings a config file may hold. Unknown keys are refused, so a
    /// typo does not silently fall back to a default.
    public static let knownKeys: [String] = ["relay", "ca-file", "key", "trust", "private-answers", "allow-from"]

    public var settings: [Setting] = []

    /// Largest config file read.
    public static let maxBytes = 64 * 1024

    public init(parsing bytes: [UInt8]) throws(NostrError) {
        guard bytes.count <= Self.maxBytes else { throw NostrError(.config, at: 0) }
        var lineNumber = 0
        for rawLine in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine
            if line.last == 0x0D { line = line.dropLast() }
            line = Self.trimmed(line)
            // Secrets never leave (SecretScan): a line holding an nsec, a
            // comment included, is refused and its text never shown.
            if SecretScan.containsSecretKey(line) { throw NostrError(.secretKey, at: lineNumber) }
            if line.isEmpty || line.first == 0x23 { continue }
            guard let eq = line.firstIndex(of: 0x3D) else { throw NostrError(.config, at: lineNumber) }
            let key = Self.trimmed(line[line.startIndex..<eq])
            let value = Self.trimmed(line[(eq + 1)...])
            guard !key.isEmpty, !value.isEmpty, line.allSatisfy({ $0 >= 0x20 || $0 == 0x09 }) else {
                throw NostrError(.config, at: lineNumber)
            }
            let keyText = String(decoding: key, as: UTF8.self)
            guard Self.knownKeys.contains(where: { $0.utf8.elementsEqual(key) }) else { throw NostrError(.config, at: lineNumber) }
            settings.append(Setting(key: keyText, value: String(decoding: value, as: UTF8.self), line: lineNumber))
        }
    }

    /// Every value of `key`, in file order.
    public func values(_ key: String) -> [String] {
        settings.filter { $0.key.utf8.elementsEqual(key.utf8) }.map { $0.value }
    }

    /// The last value of `key`, or nil.
    public func value(_ key: String) -> String? { values(key).last }

    static func trimmed(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var s = s
        while let f = s.first, f == 0x20 || f == 0x09 { s = s.dropFirst() }
        while let l = s.last, l == 0x20 || l == 0x09 { s = s.dropLast() }
        return s
    }
}
