// resolve-name: prints the addresses of an npub name, one per line, the way
// `nostr-dns resolve` does, through the NostrDNS Swift API.
//
//     resolve-name --relay ws://127.0.0.1:7777 npub1….nostr
//
// Exit 0 with the addresses, 3 when the name has no address record, 1 when
// no relay answered or anything else failed, 2 for a usage error.
import Foundation
import NostrDNS

/// Says why on stderr and exits with `code`.
func fail(_ message: String, code: Int32) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(code)
}

var relays: [String] = []
var name: String?
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    if argument == "--relay", let url = arguments.popFirst() {
        relays.append(url)
    } else if name == nil && !argument.hasPrefix("-") {
        name = argument
    } else {
        name = nil
        break
    }
}
guard let name, !relays.isEmpty else {
    fail("usage: resolve-name --relay URL [--relay URL]... NAME", code: 2)
}

do {
    let resolver = try Resolver(relays: relays, timeout: .seconds(10))
    for address in try await resolver.addresses(of: name) {
        print(address.text)
    }
} catch .notFound {
    fail("resolve-name: no address record for \(name)", code: 3)
} catch {
    fail("resolve-name: \(error)", code: 1)
}
