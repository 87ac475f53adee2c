import NostrCore
import NostrPlatform

// The process entry point. Embedded Swift has no `CommandLine`, so both
// builds go through the C argc/argv; only this edge differs between them.
#if hasFeature(Embedded)
@_cdecl("main")
func cMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    return CommandLineTool.run(arguments: Process.arguments(argc: argc, argv: argv))
}
#else
@main
struct NostrDNSMain {
    static func main() {
        let code = CommandLineTool.run(arguments: Process.arguments(argc: CommandLine.argc, argv: CommandLine.unsafeArgv))
        Process.exit(code)
    }
}
#endif
