// The libFuzzer entry points (https://llvm.org/docs/LibFuzzer.html): one
// binary, many targets; NOSTR_DNS_FUZZ_TARGET names the one to run.
// Every target feeds bytes from outside to a parser exactly as the servers
// and clients do, and checks what must hold whatever the input (our own
// output always parses, round trips are exact). A Swift trap (bounds,
// overflow, precondition) or an AddressSanitizer report is a crash.
import NostrCore

#if canImport(Glibc)
import Glibc
#endif

/// A fuzz target: takes the input, returns nothing; traps on a bug.
typealias FuzzTarget = (UnsafeRawBufferPointer) -> Void

/// Every target, by the name run.sh and the corpora use.
let targets: [(name: String, run: FuzzTarget)] = [
    ("dns", FuzzDNS.query),
    ("dns-message", FuzzDNS.message),
    ("mdns", FuzzDNS.mdns),
    ("json", FuzzNostr.json),
    ("event", FuzzNostr.event),
    ("relay-message", FuzzNostr.relayMessage),
    ("signed-record", FuzzNostr.signedRecord),
    ("bech32", FuzzNostr.bech32),
    ("names", FuzzNostr.names),
    ("config", FuzzNostr.config),
    ("websocket-upgrade", FuzzTransport.websocketUpgrade),
    ("websocket-frames", FuzzTransport.websocketFrames),
    ("http-response", FuzzTransport.httpResponse),
    ("http-request", FuzzTransport.httpRequest),
    ("noise-acts", FuzzTransport.noiseActs),
    ("noise-transport", FuzzTransport.noiseTransport),
    ("stun", FuzzTransport.stun),
    ("certificate", FuzzTransport.certificate),
]

var selected: FuzzTarget? = nil

/// Fails the run: a broken invariant is a bug like a trap.
func check(_ condition: Bool, _ what: StaticString, file: StaticString = #file, line: UInt = #line) {
    if !condition { fatalError("invariant: \(what)", file: file, line: line) }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    let name = getenv("NOSTR_DNS_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let target = targets.first(where: { $0.name == name }) else {
        var list = ""
        for t in targets { list += " " + t.name }
        fputs("nostr-dns-fuzz: set NOSTR_DNS_FUZZ_TARGET to one of:\(list)\n", stderr)
        exit(2)
    }
    selected = target.run
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selected!(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

// SwiftPM links an executable's entry point as `<module>_main` (so that
// tests can import executables); with -parse-as-library there is none, so
// it is this one, which hands over to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("nostr_dns_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var count = argc
    var vector: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return withUnsafeMutablePointer(to: &vector) { v in
        runDriver(&count, v) { data, size in fuzzerTestOneInput(data, size) }
    }
}
