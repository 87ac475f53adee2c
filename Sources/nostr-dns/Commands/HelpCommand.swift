import NostrPlatform

/// `help`: the main help text, with the list of commands.
enum HelpCommand {
    static func run(_ args: inout Arguments, _ globals: inout GlobalOptions) throws(CommandFailure) -> Int32 {
        Output.stdout(Usage.main)
        return ExitCode.success
    }
}
