/// Typed-throws versions of the standard library's `rethrows` buffer
/// accessors, which lose the error type (they throw `any Error`, which
/// Embedded Swift cannot carry). Generic over the error, so they serve
/// every module's error type alike: `NostrError` here, `PlatformError` in
/// NostrPlatform, `NostrDNSError` in the Swift API, the CLI's
/// `CommandFailure`. The closure says which: `{ (p) throws(PlatformError) in … }`.

extension Array where Element == UInt8 {
    @inline(__always)
    public func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = withUnsafeBytes { p in Result { () throws(E) -> R in try body(p) } }
        return try result.get()
    }

    @inline(__always)
    public mutating func withMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = withUnsafeMutableBytes { p in Result { () throws(E) -> R in try body(p) } }
        return try result.get()
    }
}
