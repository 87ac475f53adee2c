import CPlatform

/// What to wait for on a descriptor, and what poll(2) reported. `error` and
/// `hangup` are only ever reported (POLLERR, POLLHUP, POLLNVAL); asking for
/// them is not needed, poll always reports them.
public struct PollInterest: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// POLLIN: data (or EOF) to read.
    public static let read = PollInterest(rawValue: 1)
    /// POLLOUT: room to write, or a non-blocking connect(2) finished.
    public static let write = PollInterest(rawValue: 2)
    /// POLLERR or POLLNVAL (the descriptor is not open).
    public static let error = PollInterest(rawValue: 4)
    /// POLLHUP: the peer closed (reads return what is left, then EOF).
    public static let hangup = PollInterest(rawValue: 8)
}

/// One poll(2) call per turn of the caller's event loop (poll(2) man page).
/// Each turn: `removeAll()`, `add` every descriptor with what it wants now,
/// `wait`, then ask `ready(slot)`. The array is kept between turns, so a
/// steady loop does not allocate.
public struct PollSet {
    private var fds: [pollfd] = []
    /// Whether `wait` watches (and drains) the stop signals' self-pipe:
    /// true for the command-line tool's loops; false for a loop with a
    /// stop of its own (a server or lookup run in-process by the Swift API),
    /// which must neither end on the embedding program's signals nor take
    /// their wake-up from the loop that should see it.
    public var watchesStopSignal = true

    public init() {}

    public var count: Int { fds.count }

    /// Forgets the descriptors but keeps the storage.
    public mutating func removeAll() { fds.removeAll(keepingCapacity: true) }

    /// Adds `fd` and returns its slot for `ready(_:)`. A negative fd is
    /// allowed and ignored by poll(2) (its slot never fires).
    @discardableResult
    public mutating func add(fd: Int32, interest: PollInterest) -> Int {
        var events: Int16 = 0
        if interest.contains(.read) { events |= Int16(POLLIN) }
        if interest.contains(.write) { events |= Int16(POLLOUT) }
        fds.append(pollfd(fd: fd, events: events, revents: 0))
        return fds.count - 1
    }

    /// Waits until a descriptor is ready or `timeoutMilliseconds` pass (-1:
    /// no timeout; 0: just look). Returns how many slots fired; 0 on timeout
    /// and when a signal interrupted the wait (EINTR).
    /// Once `StopSignal.install()` ran, the stop signals' self-pipe is
    /// watched too (in a last slot that `wait` removes again), so a SIGINT
    /// or SIGTERM that came just before the call ends the wait at once (unless `watchesStopSignal` is false).
    public mutating func wait(timeoutMilliseconds: Int32) throws(PlatformError) -> Int {
        let wake = watchesStopSignal ? StopSignal.wakeDescriptor : -1
        if wake >= 0 { fds.append(pollfd(fd: wake, events: Int16(POLLIN), revents: 0)) }
        var n = fds.withUnsafeMutableBufferPointer { p in
            poll(p.baseAddress, nfds_t(p.count), timeoutMilliseconds)
        }
        if wake >= 0, let last = fds.popLast(), n > 0, last.revents != 0 {
            StopSignal.drain()
            n -= 1
        }
        if n >= 0 { return Int(n) }
        let e = nd_errno()
        if e == EINTR {
            for i in fds.indices { fds[i].revents = 0 }
            return 0
        }
        throw PlatformError(.io, errno: e, path: "poll")
    }

    /// What fired for `slot` in the last `wait`.
    public func ready(_ slot: Int) -> PollInterest {
        PollSet.interest(revents: fds[slot].revents)
    }

    static func interest(revents: Int16) -> PollInterest {
        var out: PollInterest = []
        if revents & Int16(POLLIN) != 0 { out.insert(.read) }
        if revents & Int16(POLLOUT) != 0 { out.insert(.write) }
        if revents & Int16(POLLERR | POLLNVAL) != 0 { out.insert(.error) }
        if revents & Int16(POLLHUP) != 0 { out.insert(.hangup) }
        return out
    }

    /// poll(2) on one descriptor without waiting: what is ready now. Used
    /// to tell a finished non-blocking connect from one still under way.
    static func readyNow(fd: Int32, interest: PollInterest) -> PollInterest {
        var events: Int16 = 0
        if interest.contains(.read) { events |= Int16(POLLIN) }
        if interest.contains(.write) { events |= Int16(POLLOUT) }
        var one = pollfd(fd: fd, events: events, revents: 0)
        guard poll(&one, 1, 0) > 0 else { return [] }
        return PollSet.interest(revents: one.revents)
    }
}
