/// `WSNGateway` in an `EventLoop` (`nostr-dns gateway`): until SIGINT or
/// SIGTERM, then every connection and the listener are closed.
extension WSNGateway {
    /// Serves until a stop signal; with `verbose`, each line of `takeLog()`
    /// goes to stderr as `gateway: LINE`. A failing poll(2) closes
    /// everything and throws.
    public func run(verbose: Bool) throws(PlatformError) {
        do throws(PlatformError) {
            try EventLoop().run(WSNGatewayLoop(self, verbose: verbose))
        } catch {
            shutdown()
            throw error
        }
    }
}

/// The gateway's side of the loop: its own `register`/`handle`/`tick`, the
/// log lines printed, and an hourly wake when nothing is due.
final class WSNGatewayLoop: EventLoopServer {
    let gateway: WSNGateway
    let verbose: Bool

    init(_ gateway: WSNGateway, verbose: Bool) {
        self.gateway = gateway
        self.verbose = verbose
    }

    func tick(now: Int64) {
        gateway.tick(now: now)
        for line in gateway.takeLog() where verbose { Output.stderr("gateway: " + line + "\n") }
    }

    func register(in poll: inout PollSet, now: Int64) -> Int64? {
        gateway.register(in: &poll)
        return gateway.nextDeadline() ?? now + 60_000
    }

    func handle(_ poll: PollSet, now: Int64) throws(PlatformError) {
        gateway.handle(poll, now: now)
    }

    func finish() { gateway.shutdown() }
}
