import Foundation
import Testing

@testable import NostrCore

/// `wsn://<npub>@host:port` and `wsn://<npub>` (the Design article, "wsn:// relays"),
/// and the `wsn` address record that finds the second form.
@Suite struct WSNURLTests {
    static let npub = "npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w6"
    let context = try! Secp256k1Context(randomSeed: .zero)

    @Test(arguments: [
        ("wsn://" + npub + "@127.0.0.1:7447", "127.0.0.1", UInt16(7447)),
        ("wsn://" + npub + "@[::1]:7447", "::1", UInt16(7447)),
        ("wsn://" + npub + "@[2001:db8::5]", "2001:db8::5", UInt16(443)),
        ("wsn://" + npub + "@Relay.Example:9000/nostr", "relay.example", UInt16(9000)),
        ("WSN://" + npub.uppercased() + "@relay.example", "relay.example", UInt16(443)),
    ])
    func wsnWithAnAddressKeepsTheKeyHostAndPort(_ text: String, _ host: String, _ port: UInt16) throws {
        let url = try RelayURL(parsing: text)
        let key = try NIP19.decodeNpub(Self.npub)
        #expect(url.scheme == .wsn && url.host == host && url.port == port && !url.usesTLS)
        #expect(url.relayKey == key)
    }

    @Test func wsnNpubAloneLeavesTheAddressToItsRecord() throws {
        let url = try RelayURL(parsing: "wsn://" + Self.npub)
        let key = try NIP19.decodeNpub(Self.npub)
        #expect(url.host.isEmpty && url.port == 0 && url.relayKey == key)
    }

    @Test(arguments: [
        "wsn://relay.example:7447",  // no npub: nothing to authenticate
        "wsn://" + npub + "@",  // no host
        "wsn://" + npub + "@[::1:7447",  // unclosed bracket
        "wsn://" + npub + "@host:0",  // port 0
        "wsn://" + npub + "@host:65536",  // port too large
        "wsn://" + npub + ":7447",  // npub alone takes no port
        "wsn://nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5@host:1",  // a secret key, not an npub
        "ws://" + npub + "@host:1",  // userinfo only on wsn://
    ])
    func attackMalformedWSNURLIsRefused(_ text: String) {
        #expect(throws: NostrError.self) { try RelayURL(parsing: text) }
    }

    /// The gateway's record: an address record under the label `wsn` with
    /// a port tag, read back after signing.
    @Test func wsnAddressRecordCarriesAddressAndPort() throws {
        let secret = SecretKey(bytes: try Hex.decode32(String(repeating: "07", count: 32)))
        let addresses = [try IPAddress(parsing: "203.0.113.5"), try IPAddress(parsing: "2001:db8::5")]
        let t = WSNAddressRecord.template(addresses: addresses, port: 7447, createdAt: 1_700_000_000)
        let event = try Event.sign(t, secret: secret, context: context, auxRand: .zero)
        let endpoint = try #require(WSNAddressRecord.endpoint(of: event))
        #expect(endpoint.addresses == addresses && endpoint.port == 7447)
        #expect(try AddressRecord(event: event).label == "wsn")
    }

    @Test func wsnAddressRecordWithoutPortMeans443AndBadPortIsRefused() throws {
        let secret = SecretKey(bytes: try Hex.decode32(String(repeating: "07", count: 32)))
        var t = AddressRecord(label: "wsn", addresses: [try IPAddress(parsing: "203.0.113.5")]).template(createdAt: 1_700_000_000)
        let plain = try Event.sign(t, secret: secret, context: context, auxRand: .zero)
        #expect(WSNAddressRecord.endpoint(of: plain)?.port == 443)
        t.tags.append(["port", "70000"])
        let bad = try Event.sign(t, secret: secret, context: context, auxRand: .zero)
        #expect(WSNAddressRecord.endpoint(of: bad) == nil)
        // The host's own record (label "") is not a gateway's.
        let own = try Event.sign(
            AddressRecord(label: "", addresses: [try IPAddress(parsing: "203.0.113.5")]).template(createdAt: 1),
            secret: secret, context: context, auxRand: .zero)
        #expect(WSNAddressRecord.endpoint(of: own) == nil)
    }

    /// `WSNLocator`: the newest valid record of each relay key gives its
    /// endpoint, once per change; forged, foreign, older and other-label
    /// records move nothing.
    @Test func locatorFollowsTheNewestValidRecordOfEachRelayAndNothingElse() throws {
        let a = SecretKey(bytes: try Hex.decode32(String(repeating: "07", count: 32)))
        let b = SecretKey(bytes: try Hex.decode32(String(repeating: "08", count: 32)))
        let stranger = SecretKey(bytes: try Hex.decode32(String(repeating: "09", count: 32)))
        let keys = [try context.publicKey(of: a), try context.publicKey(of: b)]
        var locator = WSNLocator(keys: keys)
        #expect(locator.filters == [Filter(authors: keys, kinds: [30053], tagQueries: [Filter.TagQuery(letter: 0x64, values: ["wsn"])])])
        let now: Int64 = 1_700_000_100
        func record(_ key: SecretKey, _ address: String, _ port: UInt16, at t: Int64) throws -> Event {
            try Event.sign(
                WSNAddressRecord.template(addresses: [try IPAddress(parsing: address)], port: port, createdAt: t),
                secret: key, context: context, auxRand: .zero)
        }
        let first = try record(b, "192.0.2.1", 7447, at: now - 50)
        #expect(locator.offer(first, now: now, context: context)! == (1, WSNLocator.Endpoint(host: "192.0.2.1", port: 7447)))
        // The same record from a second relay, an older one, the same endpoint signed again: no change.
        #expect(locator.offer(first, now: now, context: context) == nil)
        #expect(locator.offer(try record(b, "192.0.2.9", 1, at: now - 60), now: now, context: context) == nil)
        #expect(locator.offer(try record(b, "192.0.2.1", 7447, at: now - 40), now: now, context: context) == nil)
        // Moved: a newer record with another port.
        #expect(
            locator.offer(try record(b, "192.0.2.1", 7448, at: now - 30), now: now, context: context)! == (
                1, WSNLocator.Endpoint(host: "192.0.2.1", port: 7448)
            ))
        // A stranger's record, a forged one (b's record re-signed by the stranger under b's pubkey),
        // the relay's own host record (label ""), one from the future: nothing.
        #expect(locator.offer(try record(stranger, "192.0.2.66", 1, at: now), now: now, context: context) == nil)
        var forged = try record(stranger, "192.0.2.66", 1, at: now)
        forged.pubkey = keys[1]
        #expect(locator.offer(forged, now: now, context: context) == nil)
        let own = try Event.sign(
            AddressRecord(label: "", addresses: [try IPAddress(parsing: "192.0.2.67")]).template(createdAt: now),
            secret: b, context: context, auxRand: .zero)
        #expect(locator.offer(own, now: now, context: context) == nil)
        #expect(locator.offer(try record(b, "192.0.2.68", 1, at: now + 3600), now: now, context: context) == nil)
        // The first key, IPv6.
        #expect(
            locator.offer(try record(a, "2001:db8::7", 443, at: now), now: now, context: context)! == (
                0, WSNLocator.Endpoint(host: "2001:db8::7", port: 443)
            ))
        #expect(locator.selections[1].best?.createdAt == now - 30)
    }
}
