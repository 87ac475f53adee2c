import CSecp256k1
import NostrCore
import NostrPlatform

/// `bench verify [--json] [--events N] [--rounds R]`: events verified per
/// second through the full path (parse the JSON, recompute the id, verify
/// the signature) against raw libsecp256k1 calls on the same signatures, in
/// the same process, as a ratio.
///
/// The raw baseline is BIP-340 `Verify(pk, m, sig)` as libsecp256k1 offers
/// it for a 32-byte key: `secp256k1_xonly_pubkey_parse` (BIP-340's
/// `lift_x`, a square root) then `secp256k1_schnorrsig_verify`. `ratio` is
/// measured against it. The rate of `secp256k1_schnorrsig_verify` alone on
/// keys lifted beforehand is reported too (`raw_verify_preparsed_per_s`,
/// `ratio_preparsed`): a resolver meets new authors all the time, so the
/// lift is part of its work, but the figure shows its cost.
enum BenchCommand {
    static func run(_ args: inout Arguments, _ globals: inout GlobalOptions) throws(CommandFailure) -> Int32 {
        try runAction(&args, &globals, usage: Usage.bench, kind: "benchmark", [("verify", verify)])
    }

    static func verify(_ args: inout Arguments, _ globals: inout GlobalOptions) throws(CommandFailure) -> Int32 {
        var json = false
        var count: Int64 = 1000
        var rounds: Int64 = 5
        let proceed = try parseOptions("bench", &args, &globals) { (arg, args) throws(UsageError) -> Bool in
            switch arg {
            case "--json": json = true
            case "--events": count = try args.integer(for: arg)
            case "--rounds": rounds = try args.integer(for: arg)
            default: return false
            }
            return true
        }
        guard proceed else { return ExitCode.success }
        guard count > 0 && count <= 1_000_000, rounds > 0 && rounds <= 1000 else {
            throw CommandFailure("--events must be in 1...1000000 and --rounds in 1...1000", exitCode: ExitCode.usage)
        }
        let ctx = try Common.context()
        let corpus = try checked { () throws(NostrError) in try Corpus(count: Int(count), context: ctx) }

        // Interleave the two measurements so that both see the same machine state.
        var eventNanos: UInt64 = 0
        var rawNanos: UInt64 = 0
        var preparsedNanos: UInt64 = 0
        var verifier = EventVerifier(context: ctx)
        for _ in 0..<rounds {
            let t0 = Clock.monotonicNanoseconds()
            let ok1 = try checked { () throws(NostrError) in try corpus.verifyEvents(&verifier) }
            let t1 = Clock.monotonicNanoseconds()
            let ok2 = corpus.verifyRaw(ctx, lifting: true)
            let t2 = Clock.monotonicNanoseconds()
            let ok3 = corpus.verifyRaw(ctx, lifting: false)
            let t3 = Clock.monotonicNanoseconds()
            guard ok1 == corpus.count && ok2 == corpus.count && ok3 == corpus.count else {
                throw CommandFailure("a benchmark signature failed to verify")
            }
            eventNanos &+= t1 &- t0
            rawNanos &+= t2 &- t1
            preparsedNanos &+= t3 &- t2
        }
        let total = UInt64(count * rounds)
        let eventsPerSecond = total * 1_000_000_000 / max(eventNanos, 1)
        let rawPerSecond = total * 1_000_000_000 / max(rawNanos, 1)
        let preparsedPerSecond = total * 1_000_000_000 / max(preparsedNanos, 1)
        let ratio = decimalRatio(eventsPerSecond, rawPerSecond)
        let ratioPreparsed = decimalRatio(eventsPerSecond, preparsedPerSecond)
        if json {
            Output.stdout(
                "{\"benchmark\":\"verify\",\"events\":" + String(count) + ",\"rounds\":" + String(rounds)
                    + ",\"events_per_s\":" + String(eventsPerSecond) + ",\"raw_verify_per_s\":" + String(rawPerSecond)
                    + ",\"ratio\":" + ratio + ",\"raw_verify_preparsed_per_s\":" + String(preparsedPerSecond)
                    + ",\"ratio_preparsed\":" + ratioPreparsed + ",\"event_bytes_avg\":" + String(corpus.averageSize) + "}\n")
        } else {
            Output.stdout(
                "events verified (JSON, id, key, signature): " + String(eventsPerSecond) + "/s\n"
                    + "raw xonly_pubkey_parse + schnorrsig_verify: " + String(rawPerSecond) + "/s\n"
                    + "ratio:                                      " + ratio + "\n"
                    + "raw schnorrsig_verify, keys parsed before:  " + String(preparsedPerSecond) + "/s\n"
                    + "ratio to that:                              " + ratioPreparsed + "\n"
                    + "(" + String(count) + " events of " + String(corpus.averageSize) + " bytes on average, "
                    + String(rounds) + " rounds)\n")
        }
        return ExitCode.success
    }

    /// a/b with three decimals, in integer arithmetic (Embedded Swift
    /// prints no floating point).
    static func decimalRatio(_ a: UInt64, _ b: UInt64) -> String {
        let milli = a * 1000 / max(b, 1)
        let frac = milli % 1000
        return String(milli / 1000) + "." + (frac < 10 ? "00" : (frac < 100 ? "0" : "")) + String(frac)
    }

    /// Signed address records (kind 30053, as `publish-ip` writes them),
    /// each by its own key, as JSON text; plus, for the raw loop, the same
    /// signatures, ids and already parsed keys.
    struct Corpus {
        var texts: [[UInt8]] = []
        var ids: [Bytes32] = []
        var sigs: [Bytes64] = []
        var pubkeys: [Bytes32] = []
        var keys: [secp256k1_xonly_pubkey] = []
        var count: Int { texts.count }
        var averageSize: Int { texts.reduce(0) { $0 + $1.count } / max(texts.count, 1) }

        init(count: Int, context: Secp256k1Context) throws(NostrError) {
            for i in 0..<count {
                // Deterministic secret keys 1...count: distinct authors.
                var secretBytes = Bytes32.zero
                secretBytes.withUnsafeMutableBytes { p in
                    p[31] = UInt8(truncatingIfNeeded: i + 1)
                    p[30] = UInt8(truncatingIfNeeded: (i + 1) >> 8)
                    p[29] = UInt8(truncatingIfNeeded: (i + 1) >> 16)
                }
                let secret = SecretKey(bytes: secretBytes)
                let octet = String(i % 250 + 1)
                let template = EventTemplate(
                    createdAt: 1_700_000_000 + Int64(i), kind: 30053,
                    tags: [
                        ["d", ""], ["ip4", "192.0.2." + octet], ["ip6", "2001:db8::" + octet], ["ttl", "300"], ["alt", "DNS records"],
                    ],
                    content: "")
                let event = try Event.sign(template, secret: secret, context: context, auxRand: secretBytes)
                texts.append(event.json)
                ids.append(event.id)
                sigs.append(event.sig)
                pubkeys.append(event.pubkey)
                keys.append(try context.parse(publicKey: event.pubkey).key)
            }
        }

        func verifyEvents(_ verifier: inout EventVerifier) throws(NostrError) -> Int {
            var ok = 0
            for text in texts {
                _ = try text.withBytes { (p) throws(NostrError) in try verifier.verify(json: p) }
                ok += 1
            }
            return ok
        }

        /// BIP-340 Verify with raw libsecp256k1 calls: lift the key
        /// (`secp256k1_xonly_pubkey_parse`) unless `lifting` is false, then
        /// `secp256k1_schnorrsig_verify`.
        func verifyRaw(_ context: Secp256k1Context, lifting: Bool) -> Int {
            var ok = 0
            for i in 0..<ids.count {
                var key = keys[i]
                if lifting {
                    let parsed = pubkeys[i].withUnsafeBytes { p in
                        secp256k1_xonly_pubkey_parse(context.ctx, &key, p.baseAddress!.assumingMemoryBound(to: UInt8.self))
                    }
                    guard parsed == 1 else { continue }
                }
                var id = ids[i]
                let sig = sigs[i]
                let r = sig.withUnsafeBytes { s in
                    id.withUnsafeMutableBytes { m in
                        secp256k1_schnorrsig_verify(
                            context.ctx, s.baseAddress!.assumingMemoryBound(to: UInt8.self),
                            m.baseAddress!.assumingMemoryBound(to: UInt8.self), 32, &key)
                    }
                }
                if r == 1 { ok += 1 }
            }
            return ok
        }
    }
}

extension Usage {
    static let bench = """
        usage: nostr-dns bench verify [--json] [--events N] [--rounds R]

        Verifies N signed events (default 1000) R times (default 5) through the
        full path (parse the JSON, recompute the id, verify the BIP-340 signature)
        and the same signatures with raw secp256k1_schnorrsig_verify calls, in
        one process, and prints both rates and their ratio. --json prints one
        JSON object with events_per_s, raw_verify_per_s and ratio.

        """
}
