/// The byte queue of a write path (a socket's unsent bytes): appended at
/// the end, taken from the front by moving a read index, so a partial
/// write costs O(1) instead of an O(n) `removeFirst`. The bytes already
/// taken are dropped when they are at least as many as the ones left (one
/// move of the rest, paid for by the writes that took them: amortized
/// O(1) per byte), or for free when everything was taken. The storage is
/// kept, so a steady stream of writes does not allocate.
public struct OutputBuffer: Sendable {
    /// `storage[start...]` is unsent.
    @usableFromInline var storage: [UInt8]
    @usableFromInline var start = 0

    public init() { storage = [] }

    public init(_ bytes: [UInt8]) { storage = bytes }

    /// Unsent bytes.
    @inlinable public var count: Int { storage.count - start }

    @inlinable public var isEmpty: Bool { start == storage.count }

    /// Bytes of memory held (used or not).
    public var capacity: Int { storage.capacity }

    /// A copy of the unsent bytes (tests and diagnostics; allocates).
    public var bytes: [UInt8] { Array(storage[start...]) }

    @inlinable public mutating func append(_ byte: UInt8) { storage.append(byte) }

    @inlinable public mutating func append(contentsOf bytes: UnsafeRawBufferPointer) { storage.append(contentsOf: bytes) }

    @inlinable public mutating func append(contentsOf bytes: [UInt8]) { storage.append(contentsOf: bytes) }

    @inlinable public mutating func append(contentsOf bytes: ArraySlice<UInt8>) { storage.append(contentsOf: bytes) }

    /// Lets `body` append to the end of the queue in place (an encoder that
    /// writes into an `inout [UInt8]`, or masks what it appended). `body`
    /// must not change or remove what is already there; it gets the offset
    /// where its bytes begin.
    @inlinable
    public mutating func appending<R, E: Error>(_ body: (inout [UInt8], Int) throws(E) -> R) throws(E) -> R {
        let end = storage.count
        return try body(&storage, end)
    }

    /// The unsent bytes, for a write.
    @inlinable
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let from = start
        let result: Result<R, E> = storage.withUnsafeBytes { p in
            Result { () throws(E) -> R in try body(UnsafeRawBufferPointer(rebasing: p[from...])) }
        }
        return try result.get()
    }

    /// Drops the first `n` unsent bytes (they were written).
    public mutating func consume(_ n: Int) {
        precondition(n >= 0 && n <= count, "OutputBuffer.consume: more than the buffer holds")
        start += n
        if start == storage.count {
            storage.removeAll(keepingCapacity: true)
            start = 0
        } else if start >= storage.count - start {
            storage.removeSubrange(0..<start)
            start = 0
        }
    }

    /// Empties the queue; `keepingCapacity: false` gives the memory back.
    public mutating func removeAll(keepingCapacity: Bool = true) {
        storage.removeAll(keepingCapacity: keepingCapacity)
        start = 0
    }
}
