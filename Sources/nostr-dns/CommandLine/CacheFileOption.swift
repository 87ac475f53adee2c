import NostrPlatform

/// Loads the cache file of the server `command` (`--cache PATH`); a file
/// that cannot be read fails the command (the message names the cache file).
func loadCacheFile(_ resolver: CachedResolver, _ path: String, command: String, _ globals: GlobalOptions) throws(CommandFailure) {
    do throws(PlatformError) {
        try resolver.loadCacheFile(path, command: command, verbose: globals.verbose, quiet: globals.quiet)
    } catch {
        throw CommandFailure(error.message)
    }
}
