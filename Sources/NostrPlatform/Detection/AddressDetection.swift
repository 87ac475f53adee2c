import NostrCore

/// Finding this host's public addresses for `publish-ip --detect`.
public enum AddressDetection {
    /// The global unicast addresses (IPAddress.isGlobalUnicast) of every
    /// up, non-loopback interface, IPv4 first, without duplicates.
    public static func interfaceAddresses() throws(PlatformError) -> [IPAddress] {
        var v4: [IPAddress] = []
        var v6: [IPAddress] = []
        for entry in try InterfaceAddress.all() where entry.isUp && !entry.isLoopback {
            guard let address = entry.address.withUnsafeBytes({ try? IPAddress(bytes: $0) }), address.isGlobalUnicast else { continue }
            if address.isIPv4 {
                if !v4.contains(address) { v4.append(address) }
            } else if !v6.contains(address) {
                v6.append(address)
            }
        }
        return v4 + v6
    }

    /// The address a STUN server sees this host's packets come from: a
    /// `STUNProbe` (RFC 5389 Binding, retransmitted as §7.2.1 says) in a
    /// poll loop of its own, which blocks until an answer or
    /// `timeoutMilliseconds` pass. For one-shot commands; a long-lived loop
    /// drives the probe itself.
    public static func stun(host: String, port: UInt16, timeoutMilliseconds: Int64) throws(PlatformError) -> IPAddress {
        let probe = STUNProbe(host: host, port: port, timeoutMilliseconds: timeoutMilliseconds, now: Clock.monotonicMilliseconds())
        var poll = PollSet()
        while true {
            switch probe.outcome {
            case .address(let address): return address
            case .failed(let error): throw error
            case .none: break
            }
            poll.removeAll()
            probe.register(in: &poll)
            _ = try poll.wait(timeoutMilliseconds: Clock.pollTimeout(until: probe.deadline ?? 0))
            probe.handle(poll, now: Clock.monotonicMilliseconds())
        }
    }
}
