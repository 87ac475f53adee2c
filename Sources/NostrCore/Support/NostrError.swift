/// The one error type of the core: a small code plus the byte offset where a
/// parser stopped (or -1 when there is no position). Thrown with typed throws
/// so the same code compiles as Embedded Swift.
public struct NostrError: Error, Equatable, Sendable {
    public enum Code: UInt8, Sendable {
        // JSON (RFC 8259)
        case jsonSyntax
        case jsonDepth
        case jsonTooLarge
        case jsonTooManyValues
        case jsonBadUTF8
        case jsonBadEscape
        case jsonTrailingBytes
        case jsonNumberRange
        // Hex and fixed-size fields
        case badHex
        case badLength
        // bech32 (BIP-173) and NIP-19
        case bech32Syntax
        case bech32Checksum
        case bech32Length
        case bech32Prefix
        case bech32Padding
        case nip19TLV
        // Keys and signatures (BIP-340)
        case invalidSecretKey
        case invalidPublicKey
        case signingFailed
        case badSignature
        // NIP-01 events and messages
        case eventShape
        case eventField
        case idMismatch
        case messageShape
        case unknownMessage
        // Entropy
        case entropy
        // WebSocket (RFC 6455)
        case wsHandshake
        case wsAcceptMismatch
        case wsProtocol
        case wsTooLarge
        case wsBadUTF8
        case wsClosed
        // Records on nostr (the Design article, "Records on nostr")
        case recordShape
        case ipAddress
        case name
        // STUN (RFC 5389)
        case stun
        // Relay URLs and the config file
        case relayURL
        case config
        case secretKey
        // X.509 certificates (RFC 5280)
        case certificate
        // DNS messages (RFC 1035, RFC 6891)
        case dnsTruncated
        case dnsPointer
        case dnsName
        case dnsLabelType
        case dnsCounts
        case dnsMessage
        case dnsNoSpace
        // The wsn:// transport: Noise_XK as BOLT 8 specifies it
        case noiseAct
        case noiseDecrypt
        case noiseKey
        case noiseLength
        // HTTPS URLs and responses (RFC 9110, RFC 9112)
        case url
        case httpResponse
        case httpTooLarge
        case httpRequest
    }

    public var code: Code
    /// Offset in the input where the problem was found, or -1. For
    /// `.config` it is the line number (1-based).
    public var offset: Int

    public init(_ code: Code, at offset: Int = -1) {
        self.code = code
        self.offset = offset
    }

    /// A short human-readable reason, for error messages on stderr.
    public var reason: String {
        let text: String
        switch code {
        case .jsonSyntax: text = "JSON syntax error"
        case .jsonDepth: text = "JSON nested too deeply"
        case .jsonTooLarge: text = "JSON document too large"
        case .jsonTooManyValues: text = "JSON document has too many values"
        case .jsonBadUTF8: text = "invalid UTF-8 in JSON"
        case .jsonBadEscape: text = "invalid escape in JSON string"
        case .jsonTrailingBytes: text = "trailing bytes after JSON value"
        case .jsonNumberRange: text = "JSON number out of range"
        case .badHex: text = "invalid hex"
        case .badLength: text = "wrong length"
        case .bech32Syntax: text = "invalid bech32 string"
        case .bech32Checksum: text = "bech32 checksum mismatch"
        case .bech32Length: text = "bech32 string too long or too short"
        case .bech32Prefix: text = "unexpected bech32 prefix"
        case .bech32Padding: text = "invalid bech32 padding"
        case .nip19TLV: text = "invalid NIP-19 TLV data"
        case .invalidSecretKey: text = "invalid secret key"
        case .invalidPublicKey: text = "invalid public key"
        case .signingFailed: text = "signing failed"
        case .badSignature: text = "signature does not verify"
        case .eventShape: text = "not a NIP-01 event object"
        case .eventField: text = "invalid event field"
        case .idMismatch: text = "event id is not the hash of its serialization"
        case .messageShape: text = "malformed relay message"
        case .unknownMessage: text = "unknown message type"
        case .entropy: text = "could not read entropy"
        case .wsHandshake: text = "WebSocket upgrade refused or malformed"
        case .wsAcceptMismatch: text = "Sec-WebSocket-Accept does not match the key sent"
        case .wsProtocol: text = "WebSocket protocol violation"
        case .wsTooLarge: text = "WebSocket frame or message too large"
        case .wsBadUTF8: text = "invalid UTF-8 in a WebSocket text message"
        case .wsClosed: text = "WebSocket connection closed"
        case .recordShape: text = "not a record of the expected shape"
        case .ipAddress: text = "invalid IP address"
        case .name: text = "not an npub name"
        case .stun: text = "malformed STUN message"
        case .relayURL: text = "not a relay URL (ws://, wss:// or wsn://)"
        case .config: text = "invalid config file line"
        case .secretKey: text = "holds an nsec (a secret key!); refused, and not shown: keep it in the key file"
        case .certificate: text = "not a PEM X.509 certificate"
        case .dnsTruncated: text = "DNS message truncated"
        case .dnsPointer: text = "bad DNS compression pointer"
        case .dnsName: text = "DNS name or label too long"
        case .dnsLabelType: text = "reserved DNS label type"
        case .dnsCounts: text = "DNS section counts exceed the message"
        case .dnsMessage: text = "malformed DNS message"
        case .dnsNoSpace: text = "DNS message does not fit the buffer"
        case .noiseAct: text = "malformed Noise handshake act"
        case .noiseDecrypt: text = "Noise message failed authentication"
        case .noiseKey: text = "invalid Noise public key"
        case .noiseLength: text = "Noise message too long"
        case .url: text = "not an https:// URL of an npub name"
        case .httpResponse: text = "malformed HTTP response"
        case .httpTooLarge: text = "HTTP message larger than allowed"
        case .httpRequest: text = "malformed HTTP request"
        }
        if offset >= 0 && (code == .config || code == .secretKey) { return text + " (line " + String(offset) + ")" }
        if offset >= 0 { return text + " at byte " + String(offset) }
        return text
    }
}
