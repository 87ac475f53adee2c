import NostrPlatform

/// Loads the cache file of the server `command` (`--cache PATH`). A file
/// that cannot be read never fails the command: it is set aside with a
/// warning that names the cache file, and the server starts with an empty
/// cache (`CachedResolver.loadCacheFile`).
func loadCacheFile(_ resolver: CachedResolver, _ path: String, command: String, _ globals: GlobalOptions) {
    resolver.loadCacheFile(path, command: command, verbose: globals.verbose, quiet: globals.quiet)
}
