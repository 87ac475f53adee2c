/// Fixed-size byte strings kept inline (no heap): event ids, x-only public
/// keys, secret keys (32 bytes) and BIP-340 signatures (64 bytes).

/// 32 bytes stored inline.
public struct Bytes32: Hashable, Sendable {
    public var storage: (UInt64, UInt64, UInt64, UInt64)

    public static var zero: Bytes32 { Bytes32(storage: (0, 0, 0, 0)) }

    public init(storage: (UInt64, UInt64, UInt64, UInt64)) { self.storage = storage }

    /// Copies exactly 32 bytes; throws `.badLength` otherwise.
    public init(_ bytes: some Collection<UInt8>) throws(NostrError) {
        self = .zero
        try withUnsafeMutableBytes { (dst) throws(NostrError) in try copyExactly(bytes, into: dst) }
    }

    @inline(__always)
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        var copy = storage
        return try Swift.withUnsafeBytes(of: &copy) { (p) throws(E) -> R in try body(p) }
    }

    @inline(__always)
    public mutating func withUnsafeMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try Swift.withUnsafeMutableBytes(of: &storage) { (p) throws(E) -> R in try body(p) }
    }

    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    public static func == (a: Bytes32, b: Bytes32) -> Bool {
        a.storage.0 == b.storage.0 && a.storage.1 == b.storage.1
            && a.storage.2 == b.storage.2 && a.storage.3 == b.storage.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.0); hasher.combine(storage.1)
        hasher.combine(storage.2); hasher.combine(storage.3)
    }

    /// Lexicographic byte order (the NIP-01 tie-break "lowest id").
    public static func < (a: Bytes32, b: Bytes32) -> Bool {
        a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in
                for i in 0..<32 where pa[i] != pb[i] { return pa[i] < pb[i] }
                return false
            }
        }
    }
}

/// 64 bytes stored inline.
public struct Bytes64: Equatable, Sendable {
    public var low: Bytes32
    public var high: Bytes32

    public static var zero: Bytes64 { Bytes64(low: .zero, high: .zero) }

    public init(low: Bytes32, high: Bytes32) { self.low = low; self.high = high }

    public init(_ bytes: some Collection<UInt8>) throws(NostrError) {
        self = .zero
        try withUnsafeMutableBytes { (dst) throws(NostrError) in try copyExactly(bytes, into: dst) }
    }

    @inline(__always)
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        var copy = self
        return try copy.withUnsafeMutableBytes { (p) throws(E) -> R in try body(UnsafeRawBufferPointer(p)) }
    }

    @inline(__always)
    public mutating func withUnsafeMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try Swift.withUnsafeMutableBytes(of: &self) { (p) throws(E) -> R in try body(p) }
    }

    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }
}

/// Copies `bytes` into `dst`, which they must fill exactly.
@inline(__always)
func copyExactly(_ bytes: some Collection<UInt8>, into dst: UnsafeMutableRawBufferPointer) throws(NostrError) {
    guard bytes.count == dst.count else { throw NostrError(.badLength) }
    var i = 0
    for b in bytes { dst[i] = b; i += 1 }
}
