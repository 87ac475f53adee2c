import Foundation
import NostrDNS
import Testing

/// The mDNS responder run in-process through the Swift API on the loopback
/// interface (as `nostr-dns mdns --interface lo` in Tests/interop/test_mdns.py,
/// here on the host's loopback: nothing leaves the host), asked
/// by a legacy unicast query (RFC 6762 §6.7) from an ephemeral port. No relay
/// is needed for the own name.
@Suite(.serialized) struct MDNSServiceTests {
    @Test func ownNameIsAnsweredOnLoopbackAndCancellingStopsItAndFreesThePort() async throws {
        let me = try Identity.generate()
        let mdns = try MDNSService(identity: me, interfaces: ["lo"], relays: ["ws://127.0.0.1:1"])
        #expect(mdns.interfaces == ["lo"])
        let server = Task { try await mdns.run() }

        // The name is probed (about 750 ms, RFC 6762 §8.1) before it is answered.
        // Asked off the test process's task threads, so the server's task gets
        // one; the deadline is loose, for a machine busy with other suites.
        var answer: DNSQuery.Answer? = nil
        let deadline = ContinuousClock.now + .seconds(30)
        while answer?.addresses.isEmpty ?? true, ContinuousClock.now < deadline {
            answer = try? await DNSQuery.askOffThePool(me.localName, type: 1, port: 5353, waitSeconds: 1)
        }
        #expect(answer?.rcode == 0)
        #expect(answer?.addresses == [[127, 0, 0, 1]])

        let clock = ContinuousClock()
        let cancelledAt = clock.now
        server.cancel()
        try await server.value
        // Stopped on cancellation (without it the loop never ends).
        #expect(clock.now - cancelledAt < .seconds(60))
        #expect(DNSQuery.canBind(port: 5353, type: SOCK_DGRAM))
    }

    @Test func anInterfaceThatDoesNotExistIsNamed() throws {
        let me = try Identity.generate()
        do {
            _ = try MDNSService(identity: me, interfaces: ["nd-none0"], relays: ["ws://127.0.0.1:1"])
            Issue.record("an interface that does not exist must be refused")
        } catch {
            #expect(error.description.contains("nd-none0"), "\(error)")
        }
    }
}
