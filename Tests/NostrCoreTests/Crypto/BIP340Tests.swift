import Foundation
import Testing

@testable import NostrCore

/// Every row of the BIP-340 test vectors (bitcoin/bips, bip-0340/test-vectors.csv):
/// where a secret key is given, the public key and the signature (with the
/// row's aux_rand) must come out exactly; every row is verified and must give
/// the expected result.
struct BIP340Vector: CustomTestStringConvertible, Sendable {
    var index: Int
    var secretKey: String
    var publicKey: String
    var auxRand: String
    var message: String
    var signature: String
    var valid: Bool
    var comment: String

    var testDescription: String { "vector \(index)" + (comment.isEmpty ? "" : ": \(comment)") }

    static let all: [BIP340Vector] = {
        guard let text = try? String(decoding: VectorFiles.data("bip340-test-vectors.csv"), as: UTF8.self) else { return [] }
        var rows: [BIP340Vector] = []
        // The file has CRLF line ends ("\r\n" is one Character in Swift).
        for line in text.split(whereSeparator: \.isNewline).dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 7, let index = Int(f[0]) else { continue }
            rows.append(
                BIP340Vector(
                    index: index, secretKey: f[1], publicKey: f[2], auxRand: f[3], message: f[4],
                    signature: f[5], valid: f[6] == "TRUE",
                    comment: f.count > 7 ? f[7...].joined(separator: ",") : ""))
        }
        return rows
    }()
}

@Suite struct BIP340Tests {
    let context = try! Secp256k1Context(randomSeed: .zero)

    @Test func allVectorRowsAreRead() {
        #expect(BIP340Vector.all.count == 19)
        #expect(BIP340Vector.all.filter { !$0.secretKey.isEmpty }.count == 8)  // 0–3 and the variable-length messages 15–18
    }

    @Test(arguments: BIP340Vector.all)
    func vector(_ v: BIP340Vector) throws {
        let message = try Hex.decode(v.message)
        let signature = try Bytes64(Hex.decode(v.signature))
        if !v.secretKey.isEmpty {
            let secret = SecretKey(bytes: try Hex.decode32(v.secretKey))
            let publicKey = try context.publicKey(of: secret)
            #expect(publicKey.hex == v.publicKey.lowercased())
            let signed = try message.withBytes { (m) throws(NostrError) in
                try context.sign(message: m, secret: secret, auxRand: try Hex.decode32(v.auxRand))
            }
            #expect(signed.hex == v.signature.lowercased())
        }
        let publicKey = try Hex.decode32(v.publicKey)
        let verified = message.withUnsafeBytes { m in
            context.verify(signature: signature, message: m, publicKey: publicKey)
        }
        #expect(verified == v.valid)
    }

    @Test func keyNotOnTheCurveIsRefusedWhenParsed() throws {
        // Vector 5: "public key not on the curve".
        let v = try #require(BIP340Vector.all.first { $0.index == 5 })
        #expect(throws: NostrError(.invalidPublicKey)) { try context.parse(publicKey: Hex.decode32(v.publicKey)) }
    }

    @Test func secretKeyZeroAndOrderAreInvalid() throws {
        #expect(!context.isValid(secret: SecretKey(bytes: .zero)))
        let order = try Hex.decode32("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141")
        #expect(!context.isValid(secret: SecretKey(bytes: order)))
        #expect(throws: NostrError(.invalidSecretKey)) { try context.publicKey(of: SecretKey(bytes: order)) }
    }
}
