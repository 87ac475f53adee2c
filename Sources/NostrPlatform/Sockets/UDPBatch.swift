import CPlatform

/// Batched UDP I/O for a server socket: up to `capacity` datagrams read
/// with one recvmmsg(2) and the answers sent with one sendmmsg(2), in
/// buffers allocated once (the answer path allocates nothing).
///
/// Per turn: `receive(from:)`, then for each datagram `i` read
/// `datagram(i)`, write an answer into `replyBuffer()` and
/// `commitReply(length:to:)` it; finally `sendReplies(on:)`.
public final class UDPBatch {
    public let capacity: Int
    /// Largest datagram read whole; longer ones are reported truncated.
    public let receiveSize: Int
    /// Room for each answer.
    public let replySize: Int
    let input: UnsafeMutableRawPointer
    let output: UnsafeMutableRawPointer
    let sources: UnsafeMutablePointer<sockaddr_storage>
    let destinations: UnsafeMutablePointer<sockaddr_storage>
    let sourceLengths: UnsafeMutablePointer<UInt32>
    let destinationLengths: UnsafeMutablePointer<UInt32>
    let inputLengths: UnsafeMutablePointer<UInt32>
    let outputLengths: UnsafeMutablePointer<UInt32>
    /// Datagrams read by the last `receive`.
    public private(set) var count = 0
    /// Answers committed since the last `sendReplies`.
    public private(set) var replies = 0

    public init(capacity: Int = 32, receiveSize: Int = 1500, replySize: Int = 1232) {
        self.capacity = min(max(capacity, 1), 64)  // ND_MMSG_MAX
        self.receiveSize = receiveSize
        self.replySize = replySize
        input = .allocate(byteCount: self.capacity * receiveSize, alignment: 16)
        output = .allocate(byteCount: self.capacity * replySize, alignment: 16)
        sources = .allocate(capacity: self.capacity)
        destinations = .allocate(capacity: self.capacity)
        sourceLengths = .allocate(capacity: self.capacity)
        destinationLengths = .allocate(capacity: self.capacity)
        inputLengths = .allocate(capacity: self.capacity)
        outputLengths = .allocate(capacity: self.capacity)
    }

    deinit {
        input.deallocate(); output.deallocate()
        sources.deallocate(); destinations.deallocate()
        sourceLengths.deallocate(); destinationLengths.deallocate()
        inputLengths.deallocate(); outputLengths.deallocate()
    }

    /// Reads what is waiting (up to `capacity` datagrams); 0 when nothing is.
    public func receive(from fd: Int32) throws(PlatformError) -> Int {
        let n = nd_recv_batch(fd, input, receiveSize, UInt32(capacity), sources, sourceLengths, inputLengths)
        if n < 0 {
            let e = -n
            count = 0
            if e == EAGAIN || e == EWOULDBLOCK { return 0 }
            throw PlatformError(.io, errno: e, path: "recvmmsg")
        }
        count = Int(n)
        return count
    }

    /// Datagram `i`, or nil if it was longer than `receiveSize`.
    public func datagram(_ i: Int) -> UnsafeRawBufferPointer? {
        let length = Int(inputLengths[i])
        guard length <= receiveSize else { return nil }
        return UnsafeRawBufferPointer(start: input + i * receiveSize, count: length)
    }

    /// Where datagram `i` came from.
    public func source(_ i: Int) -> SocketAddress {
        SocketAddress(storage: sources[i], length: sourceLengths[i])
    }

    /// The buffer for the next answer (`replySize` bytes); nil when every
    /// slot is taken (send first).
    public func replyBuffer() -> UnsafeMutableRawBufferPointer? {
        guard replies < capacity else { return nil }
        return UnsafeMutableRawBufferPointer(start: output + replies * replySize, count: replySize)
    }

    /// Commits the answer written into `replyBuffer()` for datagram `i`.
    public func commitReply(length: Int, toSourceOf i: Int) {
        precondition(replies < capacity && length <= replySize)
        destinations[replies] = sources[i]
        destinationLengths[replies] = sourceLengths[i]
        outputLengths[replies] = UInt32(length)
        replies += 1
    }

    /// Sends the committed answers; those the socket buffer has no room for
    /// are dropped (the clients retry, as over any UDP). Returns the count sent.
    @discardableResult
    public func sendReplies(on fd: Int32) throws(PlatformError) -> Int {
        defer { replies = 0 }
        guard replies > 0 else { return 0 }
        let n = nd_send_batch(fd, output, replySize, UInt32(replies), destinations, destinationLengths, outputLengths)
        if n < 0 {
            let e = -n
            if e == EAGAIN || e == EWOULDBLOCK { return 0 }
            throw PlatformError(.io, errno: e, path: "sendmmsg")
        }
        return Int(n)
    }
}

extension SocketAddress {
    init(storage: sockaddr_storage, length: UInt32) {
        self.storage = storage
        self.length = length
    }

    /// Whether two addresses are the same family, address and port.
    public func sameEndpoint(as other: SocketAddress) -> Bool {
        guard length == other.length else { return false }
        var a = storage, b = other.storage
        let n = Int(length)
        return withUnsafeBytes(of: &a) { pa in withUnsafeBytes(of: &b) { pb in memcmp(pa.baseAddress!, pb.baseAddress!, n) == 0 } }
    }
}
