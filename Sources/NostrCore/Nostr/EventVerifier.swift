/// Verifies events as they arrive from relays, without building an `Event`:
/// parse in place, re-serialize into a reused buffer, hash, check the id,
/// check the BIP-340 signature. In steady state it allocates nothing.
///
/// NIP-01: a client must not trust an event whose id is not the hash of
/// its serialization or whose signature does not verify.
public struct EventVerifier {
    public let context: Secp256k1Context
    public var reader: JSONReader
    var serialization: JSONWriter
    /// The last key parsed, kept because a resolver sees many events by one
    /// author and lifting an x-only key to a point costs a square root.
    var lastKey: (Bytes32, ParsedPublicKey)?

    public init(context: Secp256k1Context, limits: JSONLimits = JSONLimits()) {
        self.context = context
        self.reader = JSONReader(limits: limits)
        self.serialization = JSONWriter(capacity: 1024)
    }

    /// Checks the event object `value` (which may sit inside a relay
    /// message); returns its checked fields.
    public mutating func verify(_ value: JSONValue) throws(NostrError) -> EventFields {
        let fields = try EventFields(value)
        serialization.reset()
        fields.serializeForId(into: &serialization)
        let id = serialization.bytes.withUnsafeBytes { SHA256.hash($0) }
        guard id == fields.id else { throw NostrError(.idMismatch) }
        let key: ParsedPublicKey
        if let last = lastKey, last.0 == fields.pubkey {
            key = last.1
        } else {
            key = try context.parse(publicKey: fields.pubkey)
            lastKey = (fields.pubkey, key)
        }
        let ok = id.withUnsafeBytes { m in context.verify(signature: fields.sig, message: m, publicKey: key) }
        guard ok else { throw NostrError(.badSignature) }
        return fields
    }

    /// Parses and checks one event given as JSON text; returns its id.
    public mutating func verify(json input: UnsafeRawBufferPointer) throws(NostrError) -> Bytes32 {
        try reader.parse(input)
        // A second reference to the tape (no copy) so that `self` can be
        // mutated while the tape is read; it is gone before the next parse.
        let tokens = reader.tokens
        let result: Result<Bytes32, NostrError> = tokens.withUnsafeBufferPointer { t in
            Result { () throws(NostrError) -> Bytes32 in try verify(JSONValue(input: input, tokens: t, index: 0)).id }
        }
        return try result.get()
    }
}
