import NostrCore
import NostrPlatform

/// Where the responder gets the addresses of npubs other than its own:
/// the shared resolver cache and its relay driver, run in the responder's
/// poll loop. (Until the cache is merged, nothing is known: every other
/// npub stays unanswered, never guessed.)
struct NameSource {
    let globals: GlobalOptions

    init(setup: RelaySetup, context: Secp256k1Context, globals: GlobalOptions) throws(CommandFailure) {
        self.globals = globals
    }

    func state(of key: Bytes32, now: Int64) -> MDNSNameState { .pending }
    mutating func lookUp(_ key: Bytes32, now: Int64) {}
    mutating func takeEvents() {}
    func nextDeadline() -> Int64? { nil }
    func register(in poll: inout PollSet) {}
    mutating func handle(_ poll: PollSet, now: Int64) {}
    func shutdown() {}
}
