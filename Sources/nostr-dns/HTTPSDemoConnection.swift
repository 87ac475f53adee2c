import NostrCore
import NostrPlatform

/// One client of the demo: TLS handshake, one request, one answer, close.
final class DemoConnection {
    let stream: StreamConnection
    let deadline: Int64
    var slot = -1
    var inbound: [UInt8] = []
    var outbound: [UInt8] = []
    var sent = 0
    var answered = false

    init(_ stream: StreamConnection, deadline: Int64) {
        self.stream = stream
        self.deadline = deadline
    }

    var interest: PollInterest {
        var i = stream.interest
        if sent < outbound.count { i.insert(.write) }
        return i
    }

    /// Advances the connection; false when it is finished (and closed).
    func drive(ready: Bool, now: Int64, site: DemoSite, buffer: inout [UInt8], verbose: Bool) -> Bool {
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
            while sent < outbound.count {
                let start = sent
                let result: Result<Int, PlatformError> = outbound.withUnsafeBytes { p in
                    Result { () throws(PlatformError) -> Int in try stream.write(UnsafeRawBufferPointer(rebasing: p[start...])) }
                }
                let n = try result.get()
                if n == 0 { break }
                sent += n
            }
            if answered && sent == outbound.count && !stream.interest.contains(.write) {
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
    func answer(site: DemoSite, verbose: Bool) {
        let response: [UInt8]
        do throws(NostrError) {
            guard let (head, _) = try HTTPRequestHead.parse(inbound) else { return }
            response = site.respond(to: head)
            if verbose {
                Output.stderr("nostr-dns https-demo: " + stream.peerDescription + " " + String(decoding: head.method, as: UTF8.self)
                              + " " + String(decoding: head.target, as: UTF8.self) + "\n")
            }
        } catch {
            response = error.code == .httpTooLarge
                ? DemoSite.plain(431, "Request Header Fields Too Large", "request head too large\n", head: false)
                : DemoSite.plain(400, "Bad Request", "malformed request: " + error.reason + "\n", head: false)
        }
        outbound = response
        answered = true
    }
}
