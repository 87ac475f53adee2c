import NostrCore
import NostrPlatform

/// The command-line tool's `RecordPublishing` for its daemons
/// (`https-demo`, `publish-ip --watch`): signs with the key file's key
/// (`Publishing.queue`, which prints the `published` lines) and prints what
/// the relays said (`Publishing.report`) under the command's name.
final class DaemonPublisher: RecordPublishing {
    let command: String
    let globals: GlobalOptions
    let context: Secp256k1Context

    init(command: String, globals: GlobalOptions, context: Secp256k1Context) {
        self.command = command
        self.globals = globals
        self.context = context
    }

    func queue(_ templates: [EventTemplate], on pool: RelayPool) throws(PublishingFailure) -> [Event] {
        do throws(CommandFailure) {
            return try Publishing.queue(templates, on: pool, globals, context: context)
        } catch {
            throw PublishingFailure(error.message)
        }
    }

    func report(_ events: [RelayPoolEvent], pending: [Event], pool: RelayPool) {
        Publishing.report(events, pending: pending, pool: pool, command: command, globals)
    }
}
