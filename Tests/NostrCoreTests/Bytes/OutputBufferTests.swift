import Testing

@testable import NostrCore

/// The write queue of every socket: bytes come out in the order they went
/// in, whatever the sizes of the writes, and taking them is not an O(n) move.
@Suite struct OutputBufferTests {
    @Test func bytesComeOutInOrderAcrossPartialWrites() {
        var b = OutputBuffer()
        var expected: [UInt8] = []
        var got: [UInt8] = []
        var next: UInt8 = 0
        for round in 0..<200 {
            let chunk = (0..<(round % 37 + 1)).map { _ -> UInt8 in
                next &+= 1; return next
            }
            b.append(contentsOf: chunk)
            expected += chunk
            // A socket that takes a few bytes at a time.
            let take = min(b.count, round % 23)
            b.withUnsafeBytes { got += $0[0..<take] }
            b.consume(take)
            #expect(b.count == expected.count - got.count)
        }
        got += b.bytes
        b.consume(b.count)
        #expect(got == expected)
        #expect(b.isEmpty && b.count == 0)
    }

    @Test func takingEverythingKeepsTheStorage() {
        var b = OutputBuffer([UInt8](repeating: 7, count: 4096))
        let capacity = b.capacity
        b.consume(4096)
        #expect(b.isEmpty && b.capacity == capacity)
        b.append(1)
        #expect(b.bytes == [1])
    }

    @Test func takenBytesAreDroppedOnceTheyOutnumberTheRest() {
        var b = OutputBuffer([UInt8](repeating: 1, count: 1000))
        b.consume(400)
        #expect(b.start == 400 && b.count == 600)  // 400 taken < 600 left: not moved yet
        b.consume(100)
        #expect(b.start == 0 && b.count == 500)  // 500 taken ≥ 500 left: moved once
        #expect(b.bytes == [UInt8](repeating: 1, count: 500))
    }

    @Test func aSlowReaderDoesNotMakeTheStorageGrowWithoutBound() {
        // A peer that never lets the queue empty: 1 KB written per 1 KB sent.
        var b = OutputBuffer()
        let chunk = [UInt8](repeating: 9, count: 1024)
        b.append(contentsOf: chunk)
        for _ in 0..<10_000 {
            b.append(contentsOf: chunk)
            b.consume(1024)
        }
        #expect(b.count == 1024)
        #expect(b.capacity < 16 * 1024)
    }

    @Test func appendingInPlaceSeesTheOffsetOfItsBytes() {
        // An encoder that masks what it appended (as WebSocket frames are).
        var b = OutputBuffer([1, 2, 3])
        b.consume(2)
        b.appending { (storage, end) in
            storage.append(contentsOf: [4, 5])
            storage[end] ^= 0xFF
        }
        #expect(b.bytes == [3, 4 ^ 0xFF, 5])
    }

    @Test func removeAllEmptiesTheQueue() {
        var b = OutputBuffer([1, 2, 3])
        b.consume(1)
        b.removeAll(keepingCapacity: false)
        #expect(b.isEmpty && b.bytes.isEmpty)
    }
}
