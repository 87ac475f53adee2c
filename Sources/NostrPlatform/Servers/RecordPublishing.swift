import NostrCore

/// What a daemon that keeps records published (`HTTPSDemoServer`,
/// `AddressWatcher`) needs from its caller: signing with the caller's key
/// (the command-line tool reads its key file again each time) and saying
/// what the relays answered, as the caller prints it. Class-constrained
/// and taken generically: the daemons specialize on it.
public protocol RecordPublishing: AnyObject {
    /// Signs `templates` and queues them on `pool` (sent until each relay
    /// answers); returns the events whose OKs `report` shows.
    func queue(_ templates: [EventTemplate], on pool: RelayPool) throws(PublishingFailure) -> [Event]
    /// What the relays of `pool` did this turn (`RelayPool.takeEvents`),
    /// the OKs for `pending` among them.
    func report(_ events: [RelayPoolEvent], pending: [Event], pool: RelayPool)
}

/// Why records could not be signed or gathered: a message for the log.
public struct PublishingFailure: Error {
    public var message: String
    public init(_ message: String) { self.message = message }
}
