/// An RFC 6455 WebSocket client as a sans-IO state machine: it never touches
/// a socket, a clock or an entropy source. The I/O layer moves bytes:
///
///     var ws = WebSocketClient(hostHeader: "relay.example", path: "/", seed: random32)
///     loop:
///         write a prefix of ws.outbound to the transport; ws.consumeOutbound(written)
///         read bytes; try ws.receive(bytes)
///         while let event = try ws.nextEvent() { handle event (payload in ws.message) }
///
/// After `nextEvent()` or `receive(_:)` throws, `state` is `.closed`, and
/// `outbound` may end with a close frame carrying the matching status code
/// (§7.4.1: 1002, 1007 or 1009) that is worth one last write before the
/// transport is closed. A failed opening handshake queues nothing.

public struct WebSocketLimits: Sendable {
    /// Largest message after defragmentation (§5.4); larger ones fail with
    /// `.wsTooLarge` as soon as a frame header announces them (§10.4).
    public var maxMessageBytes: Int
    /// Largest HTTP response head of the opening handshake (§4.1).
    public var maxHandshakeBytes: Int

    public init(maxMessageBytes: Int = 1 << 20, maxHandshakeBytes: Int = 16 * 1024) {
        self.maxMessageBytes = maxMessageBytes
        self.maxHandshakeBytes = maxHandshakeBytes
    }
}

public enum WebSocketEvent: Equatable, Sendable {
    /// The upgrade was accepted: 101, Upgrade, Connection and Sec-WebSocket-Accept checked (§4.1).
    case open
    /// A complete text message is in `message`, valid UTF-8 (§5.6, §8.1).
    case text
    /// A complete binary message is in `message` (§5.6).
    case binary
    /// A pong arrived; its payload is in `message` (§5.5.3).
    case pong
    /// The peer closed, or answered our close (§5.5.1, §7.1.5): the code it
    /// sent, 1005 when it sent none; the reason bytes are in `message`.
    case closed(code: UInt16)
}

public struct WebSocketClient {
    public enum State: Equatable, Sendable {
        /// Upgrade request sent (or queued); waiting for the 101 response (§4.1).
        case connecting
        /// Open: messages flow both ways (§4.1 "_The WebSocket Connection is Established_").
        case open
        /// We sent a close frame and wait for the peer's (§7.1.2).
        case closing
        /// Closed: both close frames exchanged, the peer closed, or a failure (§7.1.4, §7.1.7).
        case closed
    }

    public let limits: WebSocketLimits
    public private(set) var state: State = .connecting
    /// Bytes to write to the transport, in order. The I/O layer writes a
    /// prefix and calls `consumeOutbound(n)`.
    public private(set) var outboundBuffer: OutputBuffer
    /// A copy of the unsent bytes of `outboundBuffer` (tests, diagnostics).
    public var outbound: [UInt8] { outboundBuffer.bytes }
    /// Payload of the last `.text`, `.binary`, `.pong` or `.closed` event;
    /// valid until the next `nextEvent()` call. Reused buffer.
    public private(set) var message: [UInt8] = []
    /// HTTP status of the upgrade response (e.g. 404, 502 when refused, 101
    /// when accepted), 0 if none yet — for error messages.
    public private(set) var handshakeStatus: Int = 0

    private var keys: WebSocketKeyStream
    private let expectedAccept: [UInt8]

    // Received bytes not yet taken: inbound[readIndex...].
    private var inbound: [UInt8] = []
    private var readIndex = 0
    /// Handshake only: how far inbound has been searched for the end of the head.
    private var headScan = 0

    // The frame being read.
    private var inFrame = false
    private var frameOpcode: WebSocketOpcode = .continuation
    private var frameFin = false
    private var frameRemaining = 0

    /// The data message being assembled from fragments (§5.4), and its opcode
    /// (`.continuation` when none is open). Swapped with `message` when complete.
    private var assembly: [UInt8] = []
    private var assemblyOpcode: WebSocketOpcode = .continuation
    /// The payload of the control frame being read (≤ 125 bytes, §5.5).
    private var control: [UInt8] = []

    /// hostHeader: the Host header value ("relay.example:8080", or "[::1]:7777";
    /// the caller omits the default port, §4.1 item 4 of the request).
    /// path: request target, "/" if empty (may include a query string).
    /// seed: 32 random bytes from the caller (getrandom); the Sec-WebSocket-Key
    /// and every frame's masking key are derived from it (§5.3, §10.3; see
    /// `WebSocketKeyStream`).
    public init(hostHeader: String, path: String, seed: Bytes32, limits: WebSocketLimits = WebSocketLimits()) {
        self.limits = limits
        keys = WebSocketKeyStream(seed: seed)
        let key = Base64.encode(keys.handshakeNonce())
        expectedAccept = WebSocketHandshake.accept(forKey: key)
        outboundBuffer = OutputBuffer(WebSocketHandshake.request(hostHeader: hostHeader, path: path, key: key))
        control.reserveCapacity(WebSocketFrameHeader.maxControlPayload)
    }

    /// Bytes of memory the client's buffers hold (their capacity, used or
    /// not): what dropping it gives back.
    public var bufferCapacity: Int {
        inbound.capacity + outboundBuffer.capacity + message.capacity + assembly.capacity + control.capacity
    }

    /// Drops the first `n` bytes of `outbound`, once written. Keeps the buffer.
    public mutating func consumeOutbound(_ n: Int) {
        precondition(n >= 0 && n <= outboundBuffer.count, "consumeOutbound: more than outbound holds")
        outboundBuffer.consume(n)
    }

    /// Feed bytes read from the transport, split anywhere. Nothing is parsed
    /// until `nextEvent()`. Throws `.wsClosed` once the state is `.closed`
    /// (the peer must send nothing after its close frame, §5.5.1).
    public mutating func receive(_ bytes: UnsafeRawBufferPointer) throws(NostrError) {
        guard state != .closed else { throw NostrError(.wsClosed) }
        if readIndex > 0 {
            // Drop what was taken; normally at most a partial frame header remains.
            if readIndex >= inbound.count {
                inbound.removeAll(keepingCapacity: true)
            } else {
                inbound.removeSubrange(0..<readIndex)
            }
            readIndex = 0
        }
        inbound.append(contentsOf: bytes)
    }

    public mutating func receive(_ bytes: [UInt8]) throws(NostrError) {
        try bytes.withBytes { (p) throws(NostrError) in try receive(p) }
    }

    /// The next complete event, or nil when more bytes are needed (or the
    /// state is `.closed`). Throws on protocol violations; see the type's notes.
    public mutating func nextEvent() throws(NostrError) -> WebSocketEvent? {
        switch state {
        case .closed:
            return nil
        case .connecting:
            do throws(NostrError) {
                return try readHandshake()
            } catch {
                state = .closed
                outboundBuffer.removeAll(keepingCapacity: false)
                throw error
            }
        case .open, .closing:
            do throws(NostrError) {
                return try readFrames()
            } catch {
                fail(error)
                throw error
            }
        }
    }

    /// Sends `payload` as one masked text frame with FIN (§5.6). Throws
    /// `.wsClosed` unless open, `.wsBadUTF8` if it is not valid UTF-8 (the
    /// peer would have to fail the connection, §8.1).
    public mutating func sendText(_ payload: UnsafeRawBufferPointer) throws(NostrError) {
        guard state == .open else { throw NostrError(.wsClosed) }
        if let bad = UTF8Validation.firstInvalidOffset(payload) { throw NostrError(.wsBadUTF8, at: bad) }
        queueFrame(.text, payload)
    }

    /// Sends `payload` as one masked binary frame with FIN (§5.6). Throws `.wsClosed` unless open.
    public mutating func sendBinary(_ payload: UnsafeRawBufferPointer) throws(NostrError) {
        guard state == .open else { throw NostrError(.wsClosed) }
        queueFrame(.binary, payload)
    }

    /// Sends a ping (§5.5.2). Throws `.wsClosed` unless open, `.wsTooLarge`
    /// above 125 bytes (§5.5).
    public mutating func sendPing(_ payload: UnsafeRawBufferPointer) throws(NostrError) {
        guard state == .open else { throw NostrError(.wsClosed) }
        guard payload.count <= WebSocketFrameHeader.maxControlPayload else { throw NostrError(.wsTooLarge) }
        queueFrame(.ping, payload)
    }

    /// Starts the closing handshake (§7.1.2): queues a close frame with `code`
    /// (with no body when `code` may not be sent, e.g. 1005, §7.4.1) and
    /// moves to `.closing`; the peer's close frame then gives `.closed`.
    /// While connecting it just gives up (state `.closed`, nothing queued);
    /// when already closing or closed it does nothing.
    public mutating func close(code: UInt16 = 1000) {
        switch state {
        case .connecting:
            state = .closed
            outboundBuffer.removeAll(keepingCapacity: false)
        case .open:
            queueClose(code)
            state = .closing
        case .closing, .closed:
            break
        }
    }

    /// Sec-WebSocket-Accept for `key` (§4.2.2); see `WebSocketHandshake.accept(forKey:)`.
    static func accept(forKey key: String) -> String {
        String(decoding: WebSocketHandshake.accept(forKey: Array(key.utf8)), as: UTF8.self)
    }

    // MARK: Reading

    private mutating func readHandshake() throws(NostrError) -> WebSocketEvent? {
        var scan = headScan
        let end = inbound.withUnsafeBytes { WebSocketHandshake.headEnd($0, scanFrom: &scan) }
        headScan = scan
        guard let end else {
            guard inbound.count <= limits.maxHandshakeBytes else { throw NostrError(.wsTooLarge, at: limits.maxHandshakeBytes) }
            return nil
        }
        guard end <= limits.maxHandshakeBytes else { throw NostrError(.wsTooLarge, at: limits.maxHandshakeBytes) }
        var status = 0
        defer { handshakeStatus = status }
        let accept = expectedAccept
        try inbound.withBytes { (p) throws(NostrError) in
            try WebSocketHandshake.checkResponse(UnsafeRawBufferPointer(rebasing: p[0..<end]), expectedAccept: accept, status: &status)
        }
        // The bytes after the head are the first frame bytes (§4.1): keep them.
        readIndex = end
        state = .open
        message.removeAll(keepingCapacity: true)
        return .open
    }

    private mutating func readFrames() throws(NostrError) -> WebSocketEvent? {
        while true {
            if !inFrame {
                let start = readIndex
                let decoded = try inbound.withBytes { (p) throws(NostrError) in
                    try WebSocketFrameHeader.decode(UnsafeRawBufferPointer(rebasing: p[start...]), masked: false)
                }
                guard let header = decoded else { return nil }
                try beginFrame(header)
                readIndex += header.headerLength
            }
            let n = min(frameRemaining, inbound.count - readIndex)
            if n > 0 {
                let range = readIndex..<readIndex + n
                if frameOpcode.isControl {
                    inbound.withUnsafeBytes { p in control.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[range])) }
                } else {
                    inbound.withUnsafeBytes { p in assembly.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[range])) }
                }
                readIndex += n
                frameRemaining -= n
            }
            guard frameRemaining == 0 else { return nil }
            inFrame = false
            if let event = try endFrame() { return event }
        }
    }

    /// Checks a frame header against the connection's state (§5.4, §10.4).
    private mutating func beginFrame(_ h: WebSocketFrameHeader) throws(NostrError) {
        switch h.opcode {
        case .close, .ping, .pong:
            control.removeAll(keepingCapacity: true)
        case .continuation:
            // §5.4: a continuation frame continues an open message only.
            guard assemblyOpcode != .continuation else { throw NostrError(.wsProtocol, at: readIndex) }
            try checkSize(h.length)
        case .text, .binary:
            // §5.4: fragments of one message may not be interleaved with another.
            guard assemblyOpcode == .continuation else { throw NostrError(.wsProtocol, at: readIndex) }
            try checkSize(h.length)
            assemblyOpcode = h.opcode
            assembly.removeAll(keepingCapacity: true)
        }
        inFrame = true
        frameOpcode = h.opcode
        frameFin = h.fin
        frameRemaining = Int(h.length)  // ≤ maxMessageBytes, or ≤ 125 for control frames
    }

    /// Refuses, before buffering any of it, a frame that would take the message over the limit.
    private func checkSize(_ length: UInt64) throws(NostrError) {
        guard length <= UInt64(limits.maxMessageBytes) - UInt64(assembly.count) else {
            throw NostrError(.wsTooLarge, at: readIndex)
        }
    }

    /// Acts on a frame whose payload has been read in full.
    private mutating func endFrame() throws(NostrError) -> WebSocketEvent? {
        switch frameOpcode {
        case .continuation, .text, .binary:
            guard frameFin else { return nil }
            let opcode = assemblyOpcode
            assemblyOpcode = .continuation
            if opcode == .text {
                if let bad = assembly.withUnsafeBytes({ UTF8Validation.firstInvalidOffset($0) }) {
                    throw NostrError(.wsBadUTF8, at: bad)
                }
            }
            swap(&message, &assembly)
            assembly.removeAll(keepingCapacity: true)
            return opcode == .text ? .text : .binary
        case .ping:
            // §5.5.2: answer with a pong carrying the same payload, unless we already sent close.
            if state == .open {
                let payload = control
                payload.withUnsafeBytes { queueFrame(.pong, $0) }
            }
            return nil
        case .pong:
            message.removeAll(keepingCapacity: true)
            message.append(contentsOf: control)
            return .pong
        case .close:
            // §5.5.1: an optional 2-byte code, then an optional UTF-8 reason.
            var code = WebSocketCloseCode.noStatus
            message.removeAll(keepingCapacity: true)
            if !control.isEmpty {
                guard control.count >= 2 else { throw NostrError(.wsProtocol) }
                code = UInt16(control[0]) << 8 | UInt16(control[1])
                guard WebSocketCloseCode.isValidOnWire(code) else { throw NostrError(.wsProtocol) }
                message.append(contentsOf: control[2...])
                if let bad = message.withUnsafeBytes({ UTF8Validation.firstInvalidOffset($0) }) {
                    message.removeAll(keepingCapacity: true)
                    throw NostrError(.wsBadUTF8, at: bad)
                }
            }
            // §5.5.1: answer a close with a close (echoing the code), unless we sent one first.
            if state == .open { queueClose(code) }
            state = .closed
            return .closed(code: code)
        }
    }

    /// A failure after the handshake (§7.1.7): send a close frame with the
    /// code that names the problem (§7.4.1), unless one was sent already.
    private mutating func fail(_ error: NostrError) {
        if state == .open {
            let code: UInt16
            switch error.code {
            case .wsBadUTF8: code = WebSocketCloseCode.invalidPayload
            case .wsTooLarge: code = WebSocketCloseCode.messageTooBig
            default: code = WebSocketCloseCode.protocolError
            }
            queueClose(code)
        }
        state = .closed
    }

    // MARK: Writing

    private mutating func queueClose(_ code: UInt16) {
        if WebSocketCloseCode.isValidOnWire(code) {
            var body = (UInt8(code >> 8), UInt8(code & 0xFF))
            withUnsafeBytes(of: &body) { queueFrame(.close, $0) }
        } else {
            queueFrame(.close, UnsafeRawBufferPointer(start: nil, count: 0))
        }
    }

    /// Appends one frame with FIN, the shortest length form and a fresh masking key (§5.2, §5.3).
    private mutating func queueFrame(_ opcode: WebSocketOpcode, _ payload: UnsafeRawBufferPointer) {
        let key = keys.nextMask()
        let header = WebSocketFrameHeader(
            fin: true, opcode: opcode, maskKey: key, length: UInt64(payload.count),
            headerLength: WebSocketFrameHeader.encodedLength(payload: payload.count, masked: true))
        outboundBuffer.appending { (out, _) in
            header.encode(appendingTo: &out)
            let start = out.count
            out.append(contentsOf: payload)
            out.withUnsafeMutableBytes { p in
                WebSocketMask.apply(key, to: UnsafeMutableRawBufferPointer(rebasing: p[start...]))
            }
        }
    }
}
