/// The `wsn://` handshake: Noise_XK_secp256k1_ChaChaPoly_SHA256 exactly as
/// Lightning's BOLT 8 ("Authenticated Key Exchange Handshake Specification")
/// runs it, sans-IO. Three acts of fixed size:
///
///     -> e, es          act one:   0x00 || e.pub (33) || tag (16)           = 50 bytes
///     <- e, ee          act two:   0x00 || e.pub (33) || tag (16)           = 50 bytes
///     -> s, se          act three: 0x00 || encrypted s.pub (33+16) || tag   = 66 bytes
///
/// The initiator must know the responder's static key before it starts (XK);
/// the responder learns the initiator's static key in act three. Any failure
/// (version byte, key, tag) ends the handshake: BOLT 8 says to "terminate
/// the connection", and no application byte flows before act three is done.
///
/// Use: the initiator sends `start()` and feeds act two to `receive`, which
/// returns act three; the responder feeds act one to `receive`, which
/// returns act two, then act three, which returns nothing. `actLength` says
/// how many bytes the next `receive` needs; then `transport()` gives the
/// channel's ciphers.
public struct NoiseHandshake {
    public enum Role: Sendable { case initiator, responder }

    enum Step { case actOne, actTwo, actThree, done, failed }

    /// BOLT 8: "protocolName = 'Noise_XK_secp256k1_ChaChaPoly_SHA256'".
    static let protocolName: [UInt8] = Array("Noise_XK_secp256k1_ChaChaPoly_SHA256".utf8)
    /// BOLT 8: "prologue = 'lightning'". Kept for `wsn://` so that existing
    /// BOLT 8 implementations (and its test vectors) apply unchanged.
    static let prologue: [UInt8] = Array("lightning".utf8)

    public static let actOneLength = 50
    public static let actTwoLength = 50
    public static let actThreeLength = 66

    public let role: Role
    let context: Secp256k1Context
    let localStatic: SecretKey
    let localStaticPublic: CompressedPublicKey
    let ephemeral: SecretKey
    let ephemeralPublic: CompressedPublicKey
    /// The responder's static key (known to the initiator from the start;
    /// to the responder, its own). After act three, `remoteStatic` is the
    /// other side's.
    public private(set) var remoteStatic: CompressedPublicKey?
    var remoteEphemeral: CompressedPublicKey?
    var h: Bytes32
    var ck: Bytes32
    var tempK2 = Bytes32.zero
    var step = Step.actOne

    /// An initiator that expects the responder's static key `remote`.
    /// `ephemeral` must be fresh random bytes for each connection (fixed only
    /// in the BOLT 8 test vectors).
    public init(
        initiator localStatic: SecretKey, remote: CompressedPublicKey, ephemeral: SecretKey,
        context: Secp256k1Context
    ) throws(NostrError) {
        try self.init(role: .initiator, localStatic: localStatic, responderStatic: remote, ephemeral: ephemeral, context: context)
        remoteStatic = remote
    }

    /// A responder with static key `localStatic` (its public key must be
    /// the one initiators expect: for a nostr key, `evenYSecret`).
    public init(responder localStatic: SecretKey, ephemeral: SecretKey, context: Secp256k1Context) throws(NostrError) {
        let own = try context.compressedPublicKey(of: localStatic)
        try self.init(role: .responder, localStatic: localStatic, responderStatic: own, ephemeral: ephemeral, context: context)
    }

    /// BOLT 8 "Handshake State Initialization": h = SHA-256(protocolName),
    /// ck = h, h = SHA-256(h || prologue), h = SHA-256(h || rs.pub).
    init(
        role: Role, localStatic: SecretKey, responderStatic: CompressedPublicKey, ephemeral: SecretKey,
        context: Secp256k1Context
    ) throws(NostrError) {
        self.role = role
        self.context = context
        self.localStatic = localStatic
        self.ephemeral = ephemeral
        localStaticPublic = try context.compressedPublicKey(of: localStatic)
        ephemeralPublic = try context.compressedPublicKey(of: ephemeral)
        _ = try context.parse(compressed: responderStatic)
        let name = SHA256.hash(Self.protocolName)
        ck = name
        h = NoiseCrypto.mixHash(name, Self.prologue)
        h = NoiseCrypto.mixHash(h, responderStatic.bytes)
    }

    /// Bytes the next `receive` needs (0 when nothing is expected).
    public var actLength: Int {
        switch (step, role) {
        case (.actOne, .responder): return Self.actOneLength
        case (.actTwo, .initiator): return Self.actTwoLength
        case (.actThree, .responder): return Self.actThreeLength
        default: return 0
        }
    }

    public var isComplete: Bool { step == .done }

    /// The initiator's act one (BOLT 8 "Act One", sender actions).
    public mutating func start() throws(NostrError) -> [UInt8] {
        guard role == .initiator, step == .actOne, let rs = remoteStatic else { throw NostrError(.noiseAct) }
        let act = try writeEphemeralAct(remote: rs, ecdhSecret: ephemeral).act
        step = .actTwo
        return act
    }

    /// Takes exactly `actLength` bytes of the peer's act; returns the reply
    /// act (empty when none). Throws `.noiseAct` (length or version),
    /// `.noiseKey` (not a point) or `.noiseDecrypt` (tag); the handshake is
    /// then dead.
    public mutating func receive(_ act: UnsafeRawBufferPointer) throws(NostrError) -> [UInt8] {
        do throws(NostrError) {
            guard act.count == actLength, act.count > 0 else { throw NostrError(.noiseAct, at: act.count) }
            // BOLT 8: "If v is an unrecognized handshake version, then the
            // responder MUST abort the connection attempt."
            guard act[0] == 0 else { throw NostrError(.noiseAct, at: 0) }
            switch (step, role) {
            case (.actOne, .responder):
                try readEphemeralAct(act, ecdhSecret: localStatic)
                let reply = try writeEphemeralAct(remote: remoteEphemeral!, ecdhSecret: ephemeral)
                tempK2 = reply.key
                step = .actThree
                return reply.act
            case (.actTwo, .initiator):
                tempK2 = try readEphemeralAct(act, ecdhSecret: ephemeral)
                let reply = try writeActThree()
                step = .done
                return reply
            case (.actThree, .responder):
                try readActThree(act)
                step = .done
                return []
            default:
                throw NostrError(.noiseAct)
            }
        } catch {
            step = .failed
            throw error
        }
    }

    /// Act one or two, sender side: e, then es (act one: ECDH(e, rs)) or ee
    /// (act two: ECDH(e, re)). Returns the act and the temporary key.
    mutating func writeEphemeralAct(remote: CompressedPublicKey, ecdhSecret: SecretKey) throws(NostrError) -> (act: [UInt8], key: Bytes32) {
        h = NoiseCrypto.mixHash(h, ephemeralPublic.bytes)
        let ss = try context.ecdh(secret: ephemeral, remote: remote)
        let temp: Bytes32
        (ck, temp) = NoiseCrypto.hkdf(salt: ck, ikm: ss)
        var act = [UInt8](repeating: 0, count: Self.actOneLength)
        act[0] = 0
        let pub = ephemeralPublic.bytes
        for i in 0..<33 { act[1 + i] = pub[i] }
        let hash = h
        act.withUnsafeMutableBytes { a in
            hash.withUnsafeBytes { ad in
                NoiseCrypto.encrypt(
                    key: temp, nonce: 0, ad: ad, plaintext: UnsafeRawBufferPointer(start: nil, count: 0),
                    into: UnsafeMutableRawBufferPointer(rebasing: a[34..<50]))
            }
        }
        h = act.withUnsafeBytes { NoiseCrypto.mixHash(hash, UnsafeRawBufferPointer(rebasing: $0[34..<50])) }
        return (act, temp)
    }

    /// Act one or two, receiver side: re, then ECDH(ecdhSecret, re), and the
    /// empty payload's tag. Returns the temporary key.
    @discardableResult
    mutating func readEphemeralAct(_ act: UnsafeRawBufferPointer, ecdhSecret: SecretKey) throws(NostrError) -> Bytes32 {
        let re = try CompressedPublicKey(act[1..<34])
        let ss = try context.ecdh(secret: ecdhSecret, remote: re)
        remoteEphemeral = re
        h = NoiseCrypto.mixHash(h, re.bytes)
        let temp: Bytes32
        (ck, temp) = NoiseCrypto.hkdf(salt: ck, ikm: ss)
        let tag = UnsafeRawBufferPointer(rebasing: act[34..<50])
        var empty: UInt8 = 0
        let hash = h
        try withUnsafeMutableBytes(of: &empty) { (e) throws(NostrError) in
            try hash.withUnsafeBytes { (ad) throws(NostrError) in
                try NoiseCrypto.decrypt(
                    key: temp, nonce: 0, ad: ad, ciphertext: tag,
                    into: UnsafeMutableRawBufferPointer(rebasing: e[0..<0]))
            }
        }
        h = NoiseCrypto.mixHash(hash, tag)
        return temp
    }

    /// BOLT 8 "Act Three", sender: c = encryptWithAD(temp_k2, 1, h, s.pub),
    /// h = SHA-256(h || c), se = ECDH(s.priv, re), ck, temp_k3 = HKDF(ck, se),
    /// t = encryptWithAD(temp_k3, 0, h, zero).
    mutating func writeActThree() throws(NostrError) -> [UInt8] {
        var act = [UInt8](repeating: 0, count: Self.actThreeLength)
        let pub = localStaticPublic.bytes
        let hash = h
        let k2 = tempK2
        act.withUnsafeMutableBytes { a in
            hash.withUnsafeBytes { ad in
                pub.withUnsafeBytes { p in
                    NoiseCrypto.encrypt(
                        key: k2, nonce: 1, ad: ad, plaintext: p,
                        into: UnsafeMutableRawBufferPointer(rebasing: a[1..<50]))
                }
            }
        }
        h = act.withUnsafeBytes { NoiseCrypto.mixHash(hash, UnsafeRawBufferPointer(rebasing: $0[1..<50])) }
        let se = try context.ecdh(secret: localStatic, remote: remoteEphemeral!)
        let k3: Bytes32
        (ck, k3) = NoiseCrypto.hkdf(salt: ck, ikm: se)
        let hash2 = h
        act.withUnsafeMutableBytes { a in
            hash2.withUnsafeBytes { ad in
                NoiseCrypto.encrypt(
                    key: k3, nonce: 0, ad: ad, plaintext: UnsafeRawBufferPointer(start: nil, count: 0),
                    into: UnsafeMutableRawBufferPointer(rebasing: a[50..<66]))
            }
        }
        return act
    }

    /// BOLT 8 "Act Three", receiver: rs = decryptWithAD(temp_k2, 1, h, c),
    /// h = SHA-256(h || c), se = ECDH(e.priv, rs), ck, temp_k3 = HKDF(ck, se),
    /// then the tag t under temp_k3.
    mutating func readActThree(_ act: UnsafeRawBufferPointer) throws(NostrError) {
        let c = UnsafeRawBufferPointer(rebasing: act[1..<50])
        var rs = [UInt8](repeating: 0, count: 33)
        let hash = h
        let k2 = tempK2
        try rs.withMutableBytes { (out) throws(NostrError) in
            try hash.withUnsafeBytes { (ad) throws(NostrError) in
                try NoiseCrypto.decrypt(key: k2, nonce: 1, ad: ad, ciphertext: c, into: out)
            }
        }
        let remote = try CompressedPublicKey(rs)
        h = NoiseCrypto.mixHash(hash, c)
        let se = try context.ecdh(secret: ephemeral, remote: remote)
        let k3: Bytes32
        (ck, k3) = NoiseCrypto.hkdf(salt: ck, ikm: se)
        var empty: UInt8 = 0
        let hash2 = h
        try withUnsafeMutableBytes(of: &empty) { (e) throws(NostrError) in
            try hash2.withUnsafeBytes { (ad) throws(NostrError) in
                try NoiseCrypto.decrypt(
                    key: k3, nonce: 0, ad: ad, ciphertext: UnsafeRawBufferPointer(rebasing: act[50..<66]),
                    into: UnsafeMutableRawBufferPointer(rebasing: e[0..<0]))
            }
        }
        remoteStatic = remote
    }

    /// The channel once the handshake is complete (BOLT 8: "sk, rk =
    /// HKDF(ck, zero)" for the initiator, "rk, sk" for the responder, both
    /// nonces 0, both chaining keys ck). nil before.
    public func transport() -> NoiseTransport? {
        guard step == .done else { return nil }
        let (first, second) = NoiseCrypto.hkdf(salt: ck, ikm: UnsafeRawBufferPointer(start: nil, count: 0))
        let (send, receive) = role == .initiator ? (first, second) : (second, first)
        return NoiseTransport(
            sending: NoiseCipherState(key: send, chainingKey: ck),
            receiving: NoiseCipherState(key: receive, chainingKey: ck))
    }
}
