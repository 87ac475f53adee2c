import NostrCore

/// One client of the demo: TLS handshake, one request, one answer, close.
final class HTTPSDemoConnection {
    let stream: StreamConnection
    let deadline: Int64
    var slot = -1
    var inbound: [UInt8] = []
    var outbound = OutputBuffer()
    var answered = false

    init(_ stream: StreamConnection, deadline: Int64) {
        self.stream = stream
        self.deadline = deadline
    }

    var interest: PollInterest {
        var i = stream.interest
        if !outbound.isEmpty { i.insert(.write) }
        return i
    }

    /// Advances the connection; false when it is finished (and closed).
    func drive(ready: Bool, now: Int64, site: HTTPSDemoSite, buffer: inout [UInt8], verbose: Bool) -> Bool {
        if now >= deadline {
            stream.close()
            return false
        }
        guard ready || stream.hasBufferedInput else { return true }
        do throws(PlatformError) {
            guard try stream.advance() else { return true }
            var eof = false
            while !answered {
                let result: Result<Int?, PlatformError> = buffer.withUnsafeMutableBytes { p in
                    Result { () throws(PlatformError) -> Int? in try stream.read(into: p) }
                }
                guard let n = try result.get() else { break }
                if n == 0 { eof = true; break }
                inbound.append(contentsOf: buffer[0..<n])
                answer(site: site, verbose: verbose)
            }
            if !answered && eof {
                stream.close()
                return false
            }
            _ = try stream.drain(&outbound)
            if answered && outbound.isEmpty && !stream.interest.contains(.write) {
                stream.close()
                return false
            }
            return true
        } catch {
            if verbose { Output.stderr("nostr-dns https-demo: " + error.message + "\n") }
            stream.close()
            return false
        }
    }

    /// Once the request head is in: the answer (RFC 9112), and nothing more is read.
    func answer(site: HTTPSDemoSite, verbose: Bool) {
        let response: [UInt8]
        do throws(NostrError) {
            guard let (head, _) = try HTTPRequestHead.parse(inbound) else { return }
            response = site.respond(to: head)
            if verbose {
                Output.stderr(
                    "nostr-dns https-demo: " + stream.peerDescription + " " + String(decoding: head.method, as: UTF8.self)
                        + " " + String(decoding: head.target, as: UTF8.self) + "\n")
            }
        } catch {
            response =
                error.code == .httpTooLarge
                ? HTTPSDemoSite.plain(431, "Request Header Fields Too Large", "request head too large\n", head: false)
                : HTTPSDemoSite.plain(400, "Bad Request", "malformed request: " + error.reason + "\n", head: false)
        }
        outbound = OutputBuffer(response)
        answered = true
    }
}
