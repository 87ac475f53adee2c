import Foundation
import Testing

@testable import NostrCore

/// One block of Vectors/bolt8-transport-vectors.txt (BOLT 8 Appendix A):
/// its fields in order, so that `input`/`output` keep the order of the acts.
struct BOLT8Vector: CustomTestStringConvertible, Sendable {
    var name: String
    var fields: [(key: String, value: String)]

    var testDescription: String { name }

    func value(_ key: String) -> String? { fields.first { $0.key == key }?.value }
    func bytes(_ key: String) -> [UInt8] { (try? Hex.decode(value(key) ?? "")) ?? [] }
    var isInitiator: Bool { name.hasPrefix("transport-initiator") }

    static let all: [BOLT8Vector] = {
        guard let text = try? String(decoding: VectorFiles.data("bolt8-transport-vectors.txt"), as: UTF8.self) else { return [] }
        var blocks: [BOLT8Vector] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if key == "name" {
                blocks.append(BOLT8Vector(name: value, fields: []))
            } else if !blocks.isEmpty {
                blocks[blocks.count - 1].fields.append((key, value))
            }
        }
        return blocks
    }()

    static var handshakes: [BOLT8Vector] { all.filter { $0.name != "transport-message test" } }
}

func secret(_ hex: String) -> SecretKey { SecretKey(bytes: try! Hex.decode32(hex)) }

@Suite struct NoiseHandshakeTests {
    let context = try! Secp256k1Context(randomSeed: .zero)

    @Test func allVectorBlocksAreRead() {
        #expect(BOLT8Vector.handshakes.count == 15)
        #expect(BOLT8Vector.handshakes.filter(\.isInitiator).count == 5)
        #expect(BOLT8Vector.all.contains { $0.name == "transport-message test" })
    }

    /// Runs one BOLT 8 handshake vector: every `output` must come out byte for
    /// byte; an `error` vector must fail at its last input, with the failure
    /// BOLT 8 names; a successful one must end with the vector's sk and rk.
    @Test(arguments: BOLT8Vector.handshakes)
    func handshakeVectorGivesExactBytes(_ v: BOLT8Vector) throws {
        let localPublic = try context.compressedPublicKey(of: secret(v.value("ls.priv")!))
        #expect(localPublic.bytes == v.bytes("ls.pub"))
        #expect(try context.compressedPublicKey(of: secret(v.value("e.priv")!)).bytes == v.bytes("e.pub"))
        var hs: NoiseHandshake
        if v.isInitiator {
            hs = try NoiseHandshake(
                initiator: secret(v.value("ls.priv")!), remote: CompressedPublicKey(v.bytes("rs.pub")),
                ephemeral: secret(v.value("e.priv")!), context: context)
        } else {
            hs = try NoiseHandshake(responder: secret(v.value("ls.priv")!), ephemeral: secret(v.value("e.priv")!), context: context)
        }
        let steps = v.fields.filter { $0.key == "input" || $0.key == "output" }
        var expectedError = v.value("error")
        var pendingReply: [UInt8]? = nil
        for (index, step) in steps.enumerated() {
            let data = try Hex.decode(step.value)
            if step.key == "output" {
                let produced = try pendingReply ?? hs.start()
                #expect(produced == data, "output \(index)")
                pendingReply = nil
                continue
            }
            let isLast = index == steps.count - 1
            // The platform layer reads exactly actLength bytes; a short read
            // is a connection that ended before the act was complete.
            if data.count < hs.actLength {
                #expect(isLast && expectedError?.hasSuffix("READ_FAILED") == true)
                expectedError = nil
                break
            }
            do {
                let reply = try data.withUnsafeBytes { try hs.receive($0) }
                pendingReply = reply.isEmpty ? nil : reply
            } catch let error as NostrError {
                #expect(isLast, "failed early: \(error.reason)")
                let wanted: NostrError.Code
                switch expectedError ?? "" {
                case let e where e.hasSuffix("BAD_VERSION"): wanted = .noiseAct
                case let e where e.hasSuffix("BAD_PUBKEY"): wanted = .noiseKey
                case let e where e.hasSuffix("BAD_TAG") || e.hasSuffix("BAD_CIPHERTEXT"): wanted = .noiseDecrypt
                default: wanted = .noiseAct; Issue.record("unexpected failure \(error.reason)")
                }
                #expect(error.code == wanted, "\(expectedError ?? "") gave \(error.reason)")
                expectedError = nil
                #expect(hs.transport() == nil)
            }
        }
        if let reply = pendingReply { Issue.record("unchecked reply \(Hex.encode(reply))") }
        #expect(expectedError == nil, "the vector's error did not happen")
        if v.value("error") == nil {
            #expect(hs.isComplete)
            let t = try #require(hs.transport())
            #expect(t.sending.key.bytes == v.bytes("sk"))
            #expect(t.receiving.key.bytes == v.bytes("rk"))
            #expect(t.sending.chainingKey.bytes == (try Hex.decode("919219dbb2920afa8db80f9a51787a840bcf111ed8d588caf9ab4be716e42b01")))
            if v.isInitiator {
                #expect(hs.remoteStatic?.bytes == v.bytes("rs.pub"))
            } else {
                // The responder learned the initiator's static key from act three.
                #expect(hs.remoteStatic?.bytes == (try Hex.decode("034f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa")))
            }
        }
    }

    /// BOLT 8 "Message Encryption Tests": "hello" sent 1002 times; outputs
    /// 0, 1, 500, 501, 1000 and 1001 cross two key rotations. The receiver
    /// with the mirrored keys must read every message back.
    @Test func messageVectorRotatesKeysAt500And1000() throws {
        let v = try #require(BOLT8Vector.all.first { $0.name == "transport-message test" })
        let ck = try Bytes32(v.bytes("ck"))
        var sender = NoiseTransport(
            sending: NoiseCipherState(key: try Bytes32(v.bytes("sk")), chainingKey: ck),
            receiving: NoiseCipherState(key: try Bytes32(v.bytes("rk")), chainingKey: ck))
        var receiver = NoiseTransport(
            sending: NoiseCipherState(key: try Bytes32(v.bytes("rk")), chainingKey: ck),
            receiving: NoiseCipherState(key: try Bytes32(v.bytes("sk")), chainingKey: ck))
        let hello = v.bytes("message")
        var checked = 0
        for i in 0...1001 {
            var wire: [UInt8] = []
            hello.withUnsafeBytes { sender.seal($0, appendingTo: &wire) }
            if let expected = v.value("output \(i)") {
                #expect(wire == (try Hex.decode(expected)), "output \(i)")
                checked += 1
            }
            wire.withUnsafeBytes { receiver.receive($0) }
            var plain: [UInt8] = []
            #expect(try receiver.nextMessage(appendingTo: &plain))
            #expect(plain == hello, "message \(i)")
        }
        #expect(checked == 6)
    }
}

/// The channel's own behaviour beyond the vectors: a full handshake between
/// our two roles, wrong keys, and hostile input after the handshake.
@Suite struct NoiseChannelTests {
    let context = try! Secp256k1Context(randomSeed: .zero)

    func handshake(responderKey: SecretKey, expected: CompressedPublicKey) throws -> (NoiseTransport, NoiseTransport) {
        var client = try NoiseHandshake(
            initiator: secret(String(repeating: "31", count: 32)), remote: expected,
            ephemeral: secret(String(repeating: "32", count: 32)), context: context)
        var server = try NoiseHandshake(responder: responderKey, ephemeral: secret(String(repeating: "33", count: 32)), context: context)
        let one = try client.start()
        let two = try one.withUnsafeBytes { try server.receive($0) }
        let three = try two.withUnsafeBytes { try client.receive($0) }
        _ = try three.withUnsafeBytes { try server.receive($0) }
        return (try #require(client.transport()), try #require(server.transport()))
    }

    @Test func npubKeyWithOddYIsLiftedToEvenY() throws {
        // Find a secret whose point has odd y: its x-only key (the npub)
        // lifted to 0x02 must be the public key of the negated secret.
        var found = false
        for b in 1...20 {
            let s = secret(String(repeating: String(format: "%02x", b), count: 32))
            guard try context.compressedPublicKey(of: s).prefix == 0x03 else { continue }
            let xOnly = try context.publicKey(of: s)
            let even = try context.evenYSecret(s)
            #expect(try context.compressedPublicKey(of: even) == CompressedPublicKey(xOnly: xOnly))
            let (c, _) = try handshake(responderKey: even, expected: CompressedPublicKey(xOnly: xOnly))
            _ = c
            found = true
            break
        }
        #expect(found)
    }

    @Test func roundTripOfLongBytesInChunks() throws {
        let key = secret(String(repeating: "44", count: 32))
        var (client, server) = try handshake(responderKey: key, expected: try context.compressedPublicKey(of: key))
        let data = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var wire: [UInt8] = []
        data.withUnsafeBytes { client.sealChunked($0, appendingTo: &wire) }
        var plain: [UInt8] = []
        // Fed in odd-sized pieces, as a socket would give it.
        var offset = 0
        while offset < wire.count {
            let end = min(wire.count, offset + 997)
            wire[offset..<end].withUnsafeBytes { server.receive($0) }
            while try server.nextMessage(appendingTo: &plain) {}
            offset = end
        }
        #expect(plain == data)
        #expect(server.bufferedBytes == 0)
    }

    @Test func receiveBufferStaysBoundedWhenReadsAlwaysEndMidMessage() throws {
        let key = secret(String(repeating: "44", count: 32))
        var (client, server) = try handshake(responderKey: key, expected: try context.compressedPublicKey(of: key))
        var wire: [UInt8] = []
        let message = [UInt8](repeating: 0x42, count: 1000)
        for _ in 0..<500 { message.withUnsafeBytes { client.seal($0, appendingTo: &wire) } }
        var plain: [UInt8] = []
        var largest = 0
        var offset = 0
        while offset < wire.count {
            let end = min(wire.count, offset + 1033)  // never a whole number of 1034-byte messages
            wire[offset..<end].withUnsafeBytes { server.receive($0) }
            while try server.nextMessage(appendingTo: &plain) {}
            largest = max(largest, server.inbound.count)
            offset = end
        }
        #expect(plain.count == 500 * 1000)
        #expect(largest < 20 * 1024)
    }

    @Test func wrongResponderKeyFailsAtActTwo() throws {
        let real = secret(String(repeating: "44", count: 32))
        let expected = try context.compressedPublicKey(of: secret(String(repeating: "45", count: 32)))
        var client = try NoiseHandshake(
            initiator: secret(String(repeating: "31", count: 32)), remote: expected,
            ephemeral: secret(String(repeating: "32", count: 32)), context: context)
        var server = try NoiseHandshake(responder: real, ephemeral: secret(String(repeating: "33", count: 32)), context: context)
        let one = try client.start()
        // The responder cannot even read act one: it was made for another key.
        #expect(throws: NostrError(.noiseDecrypt)) { try one.withUnsafeBytes { try server.receive($0) } }
        #expect(server.transport() == nil)
        #expect(client.transport() == nil)
    }

    @Test func attackTamperedMessageIsRefusedAndChannelStaysDead() throws {
        let key = secret(String(repeating: "44", count: 32))
        var (client, server) = try handshake(responderKey: key, expected: try context.compressedPublicKey(of: key))
        var wire: [UInt8] = []
        Array("hello".utf8).withUnsafeBytes { client.seal($0, appendingTo: &wire) }
        wire[wire.count - 1] ^= 1
        wire.withUnsafeBytes { server.receive($0) }
        var plain: [UInt8] = []
        #expect(throws: NostrError(.noiseDecrypt)) { try server.nextMessage(appendingTo: &plain) }
        #expect(plain.isEmpty)
        #expect(throws: NostrError(.noiseDecrypt)) { try server.nextMessage(appendingTo: &plain) }
    }

    @Test func attackGarbageInsteadOfLengthHeaderIsRefused() throws {
        let key = secret(String(repeating: "44", count: 32))
        var (_, server) = try handshake(responderKey: key, expected: try context.compressedPublicKey(of: key))
        let garbage = [UInt8](repeating: 0xFF, count: 18)
        garbage.withUnsafeBytes { server.receive($0) }
        var plain: [UInt8] = []
        #expect(throws: NostrError(.noiseDecrypt)) { try server.nextMessage(appendingTo: &plain) }
    }

    @Test func attackOversizedLengthIsRefusedBeforeTheBodyArrives() throws {
        let key = secret(String(repeating: "44", count: 32))
        var (client, server) = try handshake(responderKey: key, expected: try context.compressedPublicKey(of: key))
        server.maxReceiveLength = 1000
        var wire: [UInt8] = []
        [UInt8](repeating: 0x41, count: 1001).withUnsafeBytes { client.seal($0, appendingTo: &wire) }
        // Only the 18-byte length header: the refusal needs no more.
        wire[0..<18].withUnsafeBytes { server.receive($0) }
        var plain: [UInt8] = []
        #expect(throws: NostrError(.noiseLength, at: 1001)) { try server.nextMessage(appendingTo: &plain) }
    }

    @Test func attackTruncatedMessageWaitsForMoreAndYieldsNothing() throws {
        let key = secret(String(repeating: "44", count: 32))
        var (client, server) = try handshake(responderKey: key, expected: try context.compressedPublicKey(of: key))
        var wire: [UInt8] = []
        Array("hello".utf8).withUnsafeBytes { client.seal($0, appendingTo: &wire) }
        wire[0..<(wire.count - 1)].withUnsafeBytes { server.receive($0) }
        var plain: [UInt8] = []
        #expect(try server.nextMessage(appendingTo: &plain) == false)
        #expect(plain.isEmpty)
    }

    @Test func attackActOfWrongLengthIsRefused() throws {
        var server = try NoiseHandshake(
            responder: secret(String(repeating: "44", count: 32)),
            ephemeral: secret(String(repeating: "33", count: 32)), context: context)
        let long = [UInt8](repeating: 0, count: 51)
        #expect(throws: NostrError(.noiseAct, at: 51)) { try long.withUnsafeBytes { try server.receive($0) } }
    }
}
