/// Typed-throws versions of the standard library's `rethrows` buffer
/// accessors, which lose the error type (they throw `any Error`, which
/// Embedded Swift cannot carry).

extension Array where Element == UInt8 {
    @inline(__always)
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws(NostrError) -> R) throws(NostrError) -> R {
        let result: Result<R, NostrError> = withUnsafeBytes { p in Result { () throws(NostrError) -> R in try body(p) } }
        return try result.get()
    }

    @inline(__always)
    public mutating func withMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws(NostrError) -> R) throws(NostrError) -> R {
        let result: Result<R, NostrError> = withUnsafeMutableBytes { p in Result { () throws(NostrError) -> R in try body(p) } }
        return try result.get()
    }
}
