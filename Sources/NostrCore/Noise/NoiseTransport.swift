/// An established `wsn://` channel: BOLT 8 "Lightning Message
/// Specification" framing over the two cipher states the handshake gave.
///
/// Each message on the wire is `encryptWithAD(sk, sn, ∅, len as 2 bytes
/// big-endian)` (18 bytes) then `encryptWithAD(sk, sn+1, ∅, message)`
/// (message + 16 bytes). A message holds at most 65535 bytes (BOLT 8:
/// "the maximum size of any Lightning message MUST NOT exceed 65535 bytes").
/// The receive side is incremental: `receive` takes whatever the socket
/// gave, `nextMessage` decrypts one complete message at a time.
public struct NoiseTransport: Sendable {
    public static let lengthHeaderSize = 2 + NoiseCrypto.tagLength
    public static let maxMessageLength = 65535
    /// Ciphertext bytes a message adds to its plaintext.
    public static let overhead = lengthHeaderSize + NoiseCrypto.tagLength

    public private(set) var sending: NoiseCipherState
    public private(set) var receiving: NoiseCipherState
    /// Longest message accepted from the peer (at most 65535); a longer
    /// announced length is refused with `.noiseLength`.
    public var maxReceiveLength = NoiseTransport.maxMessageLength

    /// Ciphertext received and not yet decrypted.
    var inbound: [UInt8] = []
    var inboundStart = 0
    /// The decrypted length of the message whose body is awaited, or -1.
    var pendingLength = -1
    var failed = false

    public init(sending: NoiseCipherState, receiving: NoiseCipherState) {
        self.sending = sending
        self.receiving = receiving
    }

    /// Encrypts `message` (1…65535 bytes; longer input is the caller's
    /// bug) and appends its wire form to `out`.
    public mutating func seal(_ message: UnsafeRawBufferPointer, appendingTo out: inout [UInt8]) {
        precondition(message.count <= Self.maxMessageLength, "NoiseTransport.seal: message too long")
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: Self.overhead + message.count))
        var length = UInt16(message.count).bigEndian
        out.withUnsafeMutableBytes { o in
            withUnsafeBytes(of: &length) { l in
                sending.seal(l, into: UnsafeMutableRawBufferPointer(rebasing: o[start..<(start + Self.lengthHeaderSize)]))
            }
            let body = start + Self.lengthHeaderSize
            sending.seal(message, into: UnsafeMutableRawBufferPointer(rebasing: o[body..<(body + message.count + NoiseCrypto.tagLength)]))
        }
    }

    /// Encrypts `bytes` of any length as messages of at most
    /// `chunk` (≤ 65535) bytes each.
    public mutating func sealChunked(
        _ bytes: UnsafeRawBufferPointer, chunk: Int = NoiseTransport.maxMessageLength,
        appendingTo out: inout [UInt8]
    ) {
        var offset = 0
        let size = max(1, min(chunk, Self.maxMessageLength))
        while offset < bytes.count {
            let end = min(bytes.count, offset + size)
            seal(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]), appendingTo: &out)
            offset = end
        }
    }

    /// Takes ciphertext as it arrived. At most one whole message plus a
    /// header is ever kept undecrypted, if the caller drains `nextMessage`.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer) {
        if inboundStart == inbound.count {
            inbound.removeAll(keepingCapacity: true)
            inboundStart = 0
        } else if inboundStart >= 16 * 1024 {
            // A stream that always ends mid-message never empties the
            // buffer: drop the consumed prefix so it stays bounded.
            inbound.removeSubrange(0..<inboundStart)
            inboundStart = 0
        }
        inbound.append(contentsOf: bytes)
    }

    /// Ciphertext bytes held (for buffer caps).
    public var bufferedBytes: Int { inbound.count - inboundStart }

    /// Decrypts the next complete message and appends its plaintext to
    /// `out`; returns false when more ciphertext is needed. Throws
    /// `.noiseDecrypt` (a tag failed: tampering, or the wrong key) or
    /// `.noiseLength` (announced length above `maxReceiveLength`); the
    /// channel is then unusable.
    public mutating func nextMessage(appendingTo out: inout [UInt8]) throws(NostrError) -> Bool {
        guard !failed else { throw NostrError(.noiseDecrypt) }
        do throws(NostrError) {
            if pendingLength < 0 {
                guard bufferedBytes >= Self.lengthHeaderSize else { return false }
                var length: UInt16 = 0
                let start = inboundStart
                try inbound.withBytes { (i) throws(NostrError) in
                    try withUnsafeMutableBytes(of: &length) { (l) throws(NostrError) in
                        try receiving.open(UnsafeRawBufferPointer(rebasing: i[start..<(start + Self.lengthHeaderSize)]), into: l)
                    }
                }
                inboundStart += Self.lengthHeaderSize
                let n = Int(UInt16(bigEndian: length))
                guard n <= maxReceiveLength else { throw NostrError(.noiseLength, at: n) }
                pendingLength = n
            }
            let bodyLength = pendingLength + NoiseCrypto.tagLength
            guard bufferedBytes >= bodyLength else { return false }
            let start = inboundStart
            let outStart = out.count
            out.append(contentsOf: repeatElement(0, count: pendingLength))
            let n = pendingLength
            do throws(NostrError) {
                try inbound.withBytes { (i) throws(NostrError) in
                    try out.withMutableBytes { (o) throws(NostrError) in
                        try receiving.open(
                            UnsafeRawBufferPointer(rebasing: i[start..<(start + bodyLength)]),
                            into: UnsafeMutableRawBufferPointer(rebasing: o[outStart..<(outStart + n)]))
                    }
                }
            } catch {
                out.removeSubrange(outStart...)  // nothing unauthenticated is handed on
                throw error
            }
            inboundStart += bodyLength
            pendingLength = -1
            if inboundStart == inbound.count {
                inbound.removeAll(keepingCapacity: true)
                inboundStart = 0
            }
            return true
        } catch {
            failed = true
            throw error
        }
    }
}
