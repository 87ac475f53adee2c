import NostrCore
import NostrPlatform

/// `nostr-dns [global options] <command> [options]`: reads the command line,
/// runs one subcommand, and returns the exit code of the contract
/// (0 success, 1 failure, 2 usage error, 3 name not found).
enum CommandLineTool {
    static func run(arguments: [String]) -> Int32 {
        if let refusal = SecretRefusal.find(arguments: Array(arguments.dropFirst())) {
            Output.stderr("nostr-dns: " + refusal + "\n")
            return ExitCode.usage
        }
        var args = Arguments(Array(arguments.dropFirst()))
        var globals = GlobalOptions()
        do throws(UsageError) {
            while let arg = args.next() {
                if arg == "--version" {
                    Output.stdout("nostr-dns " + NostrDNSVersion.string + "\n")
                    return ExitCode.success
                }
                if try globals.consume(arg, &args) { continue }
                if arg.utf8.first == 0x2D { throw UsageError("unknown option " + arg) }
                return try runCommand(arg, &args, &globals)
            }
            if globals.help {
                Output.stdout(Usage.main)
                return ExitCode.success
            }
            // `nostr-dns` with no subcommand is `nostr-dns mdns`.
            return try runCommand("mdns", &args, &globals)
        } catch {
            Output.stderr("nostr-dns: " + error.message + "\n\n" + Usage.main)
            return ExitCode.usage
        }
    }

    static func runCommand(_ name: String, _ args: inout Arguments, _ globals: inout GlobalOptions) throws(UsageError) -> Int32 {
        guard let command = CommandTable.named(name) else { throw UsageError("unknown command '" + name + "'") }
        do throws(CommandFailure) {
            return try command.run(&args, &globals)
        } catch let f {
            if f.exitCode == ExitCode.usage && f.brief {
                Output.stderr("nostr-dns " + name + ": " + f.message + "\n")
            } else if f.exitCode == ExitCode.usage {
                Output.stderr("nostr-dns " + name + ": " + f.message + "\n\n" + Usage.text(for: name))
            } else if !f.message.isEmpty {
                Output.stderr("nostr-dns " + name + ": " + f.message + "\n")
            }
            return f.exitCode
        }
    }
}

/// A subcommand (or an action of one): reads its options from the cursor.
typealias Command = (inout Arguments, inout GlobalOptions) throws(CommandFailure) -> Int32

/// Runs the action that the next argument names (`event sign`, `bench verify`).
func runAction(
    _ args: inout Arguments, _ globals: inout GlobalOptions, usage: String, kind: String,
    _ actions: [(String, Command)]
) throws(CommandFailure) -> Int32 {
    var names = ""
    for (i, a) in actions.enumerated() { names += (i == 0 ? "" : " or ") + a.0 }
    guard let name = args.next() else {
        if globals.help { Output.stdout(usage); return ExitCode.success }
        throw CommandFailure("missing " + kind + ": " + names, exitCode: ExitCode.usage)
    }
    if name == "-h" || name == "--help" {
        Output.stdout(usage)
        return ExitCode.success
    }
    for (actionName, action) in actions where actionName == name {
        return try action(&args, &globals)
    }
    throw CommandFailure("unknown " + kind + " '" + name + "' (expected " + names + ")", exitCode: ExitCode.usage)
}

/// Why a command stopped, with its exit code.
struct CommandFailure: Error {
    var message: String
    var exitCode: Int32
    /// A usage error printed without the usage text (`UsageError.brief`).
    var brief = false

    init(_ message: String, exitCode: Int32 = ExitCode.failure) {
        self.message = message
        self.exitCode = exitCode
    }

    init(_ usage: UsageError) {
        self.init(usage.message, exitCode: ExitCode.usage)
        brief = usage.brief
    }
    init(_ error: PlatformError) { self.init(error.message) }
    init(_ error: NostrError) { self.init(error.reason) }
}

/// Converts the modules' errors into a `CommandFailure` (exit code 1, or 2
/// for a usage error).
func checked<T>(_ body: () throws(NostrError) -> T) throws(CommandFailure) -> T {
    do throws(NostrError) { return try body() } catch { throw CommandFailure(error) }
}

func checked<T>(_ body: () throws(PlatformError) -> T) throws(CommandFailure) -> T {
    do throws(PlatformError) { return try body() } catch { throw CommandFailure(error) }
}

func checked<T>(_ body: () throws(UsageError) -> T) throws(CommandFailure) -> T {
    do throws(UsageError) { return try body() } catch { throw CommandFailure(error) }
}

/// Reads the subcommand's own options with `handle`; global options may
/// appear among them. Returns false when `--help` was given (the
/// subcommand's usage has then been printed).
func parseOptions(
    _ command: String, _ args: inout Arguments, _ globals: inout GlobalOptions,
    _ handle: (String, inout Arguments) throws(UsageError) -> Bool = { (_, _) throws(UsageError) in false }
) throws(CommandFailure) -> Bool {
    try checked { () throws(UsageError) -> Bool in
        while let arg = args.next() {
            if try handle(arg, &args) { continue }
            if try globals.consume(arg, &args) { continue }
            throw UsageError("unexpected argument '" + arg + "'")
        }
        if globals.help {
            Output.stdout(Usage.text(for: command))
            return false
        }
        return true
    }
}

/// Shared steps of the commands.
enum Common {
    /// How a NAME or URL argument that did not parse is shown in an error:
    /// quoted, unless it is an nsec pasted by mistake (in any case, as
    /// bech32 allows), which is never echoed back.
    static func shown(_ text: String) -> String {
        Array(text.utf8.prefix(5)).map { $0 | 0x20 } == Array("nsec1".utf8) ? "an nsec (a secret key!)" : "'" + text + "'"
    }

    static func context() throws(CommandFailure) -> Secp256k1Context {
        try checked { () throws(NostrError) in try Secp256k1Context(randomSeed: try Entropy.bytes32()) }
    }

    /// `--key`, else `$NOSTR_DNS_KEY`, else the config file's `key`, else
    /// the default path (the same order as for relays).
    static func keyPath(_ globals: GlobalOptions) throws(CommandFailure) -> String {
        var option = globals.keyPath
        if option == nil && (Environment.get("NOSTR_DNS_KEY") ?? "").isEmpty {
            option = try RelaySetup.loadConfig(globals)?.value("key")
        }
        return try checked { () throws(PlatformError) in try KeyFile.path(option: option) }
    }

    /// The secret key of this host, from the key file.
    static func loadKey(_ globals: GlobalOptions) throws(CommandFailure) -> SecretKey {
        let path = try keyPath(globals)
        do throws(PlatformError) {
            return try KeyFile.load(path: path)
        } catch {
            if error.code == .notFound {
                throw CommandFailure("no key file at " + path + "; run `nostr-dns keygen` first")
            }
            throw CommandFailure(error)
        }
    }
}
