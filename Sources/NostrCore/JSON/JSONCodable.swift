/// A value with a JSON form: read from a parsed `JSONValue`, written to a
/// `JSONWriter`. Used through generics only (no existentials), so it costs
/// nothing in Embedded Swift.
public protocol JSONCodable {
    init(json value: JSONValue) throws(NostrError)
    func write(into out: inout JSONWriter)
}

extension JSONCodable {
    /// The JSON text, compact.
    public var json: [UInt8] {
        var w = JSONWriter()
        write(into: &w)
        return w.bytes
    }

    /// Parses JSON text with `reader` (whose buffers are reused).
    public init(json bytes: [UInt8], reader: inout JSONReader) throws(NostrError) {
        try reader.parse(bytes)
        self = try bytes.withBytes { (input) throws(NostrError) -> Self in
            try reader.withRoot(input) { (root) throws(NostrError) -> Self in try Self(json: root) }
        }
    }
}
