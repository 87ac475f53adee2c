import NostrCore
import NostrPlatform

/// `publish-ip --watch [--interval S]`: NostrPlatform's `AddressWatcher`
/// with this command's address detection and records.
enum WatchLoop {
    static func run(_ o: PublishIPCommand.Options, _ globals: GlobalOptions) throws(CommandFailure) -> Int32 {
        let setup = try RelaySetup(globals)
        let pool = try setup.pool(reconnect: true, timeoutMilliseconds: o.timeout)
        let ctx = try Common.context()
        _ = try Common.loadKey(globals)  // fail now, not at the first change
        StopSignal.install()
        let watcher = AddressWatcher(
            source: PublishIPWatchSource(o, globals: globals, context: ctx), pool: pool,
            intervalMilliseconds: o.interval, timeoutMilliseconds: o.timeout)
        try checked { () throws(PlatformError) in try watcher.run() }
        return ExitCode.success
    }
}

/// The addresses and records of `publish-ip` (`PublishIPCommand.gatherLocal`,
/// `gatherFinish`, `templates`), signed and reported as its daemon does.
final class PublishIPWatchSource: AddressSource {
    let o: PublishIPCommand.Options
    let publisher: DaemonPublisher

    init(_ o: PublishIPCommand.Options, globals: GlobalOptions, context: Secp256k1Context) {
        self.o = o
        publisher = DaemonPublisher(command: "publish-ip", globals: globals, context: context)
    }

    func gatherLocal() throws(PublishingFailure) -> (local: PublishIPCommand.LocalAddresses, stun: (host: String, port: UInt16)?) {
        do throws(CommandFailure) {
            let local = try PublishIPCommand.gatherLocal(o)
            return (local, local.stun)
        } catch {
            throw PublishingFailure(error.message)
        }
    }

    func gatherFinish(
        _ local: PublishIPCommand.LocalAddresses, stun: Result<IPAddress, PlatformError>?
    ) throws(PublishingFailure)
        -> [IPAddress]
    {
        do throws(CommandFailure) { return try PublishIPCommand.gatherFinish(local, stun: stun) } catch {
            throw PublishingFailure(error.message)
        }
    }

    func templates(_ addresses: [IPAddress], now: Int64, expiration: Int64) -> [EventTemplate] {
        PublishIPCommand.templates(o, addresses, now: now, expiration: expiration)
    }

    func queue(_ templates: [EventTemplate], on pool: RelayPool) throws(PublishingFailure) -> [Event] {
        try publisher.queue(templates, on: pool)
    }

    func report(_ events: [RelayPoolEvent], pending: [Event], pool: RelayPool) {
        publisher.report(events, pending: pending, pool: pool)
    }
}
