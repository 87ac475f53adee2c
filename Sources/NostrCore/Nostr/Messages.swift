/// NIP-01 messages between clients and relays, each a JSON array whose
/// first element names it. NIP-42 adds AUTH in both directions.

/// Client to relay: `["EVENT", <event>]`, `["REQ", <sub id>, <filter>…]`,
/// `["CLOSE", <sub id>]`, `["AUTH", <signed event>]`.
public enum ClientMessage: JSONCodable, Equatable, Sendable {
    case event(Event)
    case req(subscriptionId: String, filters: [Filter])
    case close(subscriptionId: String)
    case auth(Event)

    public func write(into out: inout JSONWriter) {
        switch self {
        case .event(let e):
            out.raw("[\"EVENT\",")
            e.write(into: &out)
        case .req(let sub, let filters):
            out.raw("[\"REQ\",")
            out.string(sub)
            for f in filters { out.raw(0x2C); f.write(into: &out) }
        case .close(let sub):
            out.raw("[\"CLOSE\",")
            out.string(sub)
        case .auth(let e):
            out.raw("[\"AUTH\",")
            e.write(into: &out)
        }
        out.raw(0x5D)
    }

    /// Parses a client message (what a relay or a gateway reads).
    public init(json root: JSONValue) throws(NostrError) {
        let (verb, count) = try messageVerb(root)
        switch verb {
        case .event, .auth:
            guard count == 2, let body = root[1] else { throw NostrError(.messageShape) }
            let e = try Event(json: body)
            self = verb == .event ? .event(e) : .auth(e)
        case .req:
            guard count >= 3, let sub = root[1]?.string else { throw NostrError(.messageShape) }
            var filters: [Filter] = []
            var i = 0
            for element in root.elements {
                if i >= 2 { filters.append(try Filter(json: element)) }
                i += 1
            }
            self = .req(subscriptionId: sub, filters: filters)
        case .close:
            guard count == 2, let sub = root[1]?.string else { throw NostrError(.messageShape) }
            self = .close(subscriptionId: sub)
        default:
            throw NostrError(.unknownMessage)
        }
    }
}

/// Relay to client: `["EVENT", <sub id>, <event>]`, `["OK", <event id>, <true|false>, <message>]`,
/// `["EOSE", <sub id>]`, `["CLOSED", <sub id>, <message>]`, `["NOTICE", <message>]`,
/// `["AUTH", <challenge>]`.
public enum RelayMessage: JSONCodable, Equatable, Sendable {
    case event(subscriptionId: String, event: Event)
    case ok(eventId: Bytes32, accepted: Bool, message: String)
    case eose(subscriptionId: String)
    case closed(subscriptionId: String, message: String)
    case notice(String)
    case auth(challenge: String)

    public func write(into out: inout JSONWriter) {
        switch self {
        case .event(let sub, let e):
            out.raw("[\"EVENT\",")
            out.string(sub)
            out.raw(0x2C)
            e.write(into: &out)
        case .ok(let id, let accepted, let message):
            out.raw("[\"OK\",")
            out.hex(id)
            out.raw(accepted ? ",true," : ",false,")
            out.string(message)
        case .eose(let sub):
            out.raw("[\"EOSE\",")
            out.string(sub)
        case .closed(let sub, let message):
            out.raw("[\"CLOSED\",")
            out.string(sub)
            out.raw(0x2C)
            out.string(message)
        case .notice(let message):
            out.raw("[\"NOTICE\",")
            out.string(message)
        case .auth(let challenge):
            out.raw("[\"AUTH\",")
            out.string(challenge)
        }
        out.raw(0x5D)
    }

    /// Parses a relay message. The event inside EVENT is checked for shape
    /// only: the caller verifies it (relays are untrusted). The message of
    /// OK is optional, as some relays leave it out.
    public init(json root: JSONValue) throws(NostrError) {
        let (verb, count) = try messageVerb(root)
        switch verb {
        case .event:
            guard count == 3, let sub = root[1]?.string, let body = root[2] else { throw NostrError(.messageShape) }
            self = .event(subscriptionId: sub, event: try Event(json: body))
        case .ok:
            guard count == 3 || count == 4, let idValue = root[1], let flag = root[2] else { throw NostrError(.messageShape) }
            let id = try EventFields.hex32(idValue, or: .messageShape)
            guard flag.kind == .true || flag.kind == .false else { throw NostrError(.messageShape) }
            var message = ""
            if count == 4 {
                guard let m = root[3]?.string else { throw NostrError(.messageShape) }
                message = m
            }
            self = .ok(eventId: id, accepted: flag.kind == .true, message: message)
        case .eose:
            guard count == 2, let sub = root[1]?.string else { throw NostrError(.messageShape) }
            self = .eose(subscriptionId: sub)
        case .closed:
            guard count == 2 || count == 3, let sub = root[1]?.string else { throw NostrError(.messageShape) }
            self = .closed(subscriptionId: sub, message: count == 3 ? (root[2]?.string ?? "") : "")
        case .notice:
            guard count == 2, let m = root[1]?.string else { throw NostrError(.messageShape) }
            self = .notice(m)
        case .auth:
            guard count == 2, let c = root[1]?.string else { throw NostrError(.messageShape) }
            self = .auth(challenge: c)
        default:
            throw NostrError(.unknownMessage)
        }
    }
}

/// The verbs of NIP-01 and NIP-42.
enum MessageVerb { case event, req, close, auth, ok, eose, closed, notice, other }

/// Reads the verb of a message array; throws if `root` is not a non-empty
/// array starting with a string.
func messageVerb(_ root: JSONValue) throws(NostrError) -> (MessageVerb, Int) {
    guard root.kind == .array, root.count >= 1, let first = root[0], first.kind == .string else {
        throw NostrError(.messageShape)
    }
    let verbs: [(StaticString, MessageVerb)] = [
        ("EVENT", .event), ("REQ", .req), ("CLOSE", .close), ("AUTH", .auth),
        ("OK", .ok), ("EOSE", .eose), ("CLOSED", .closed), ("NOTICE", .notice),
    ]
    for (name, verb) in verbs
    where first.stringEquals(UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)) {
        return (verb, root.count)
    }
    return (.other, root.count)
}
