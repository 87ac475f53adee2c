/// Help texts. The command-line contract (README, "Command line") is the
/// source of truth; these say the same in short.
enum Usage {
    static let main = """
        usage: nostr-dns [global options] [command] [options]

        A nostr public key (npub) is a domain name: publish where a host lives
        as signed nostr events, resolve <npub>.nostr, <npub>.local or a bare npub.

        commands:
          mdns            the mDNS responder for <npub>.local (the default; not in this build yet)
          keygen          create the key file if there is none; print the npub
          whoami          print npub, hex public key, <npub>.nostr and <npub>.local
          event sign      sign a NIP-01 event and print it as one line of JSON
          event verify    check the id and signature of one event JSON read from stdin
          bench verify    events verified per second against raw libsecp256k1
          help            this text

        global options:
          --relay URL     a relay to use (repeatable)
          --key PATH      the key file (default: $NOSTR_DNS_KEY, /etc/nostr-dns/nsec as root,
                          else $XDG_CONFIG_HOME/nostr-dns/nsec or ~/.config/nostr-dns/nsec)
          --config PATH   the config file
          --ca-file PATH  CA certificates for wss:// relays
          -v, --verbose   say more
          -q, --quiet     say less
          -h, --help      help (also after a command: nostr-dns keygen --help)
          --version       print the version

        exit codes: 0 success, 1 failure, 2 usage error, 3 name not found

        """

    static let keygen = """
        usage: nostr-dns [--key PATH] keygen

        Creates the key file (mode 0600, in a folder of mode 0700) from getrandom(2)
        if there is none, and prints the npub. An existing key is never overwritten.

        """

    static let whoami = """
        usage: nostr-dns [--key PATH] whoami

        Prints four lines: the npub, the public key in hex, <npub>.nostr and <npub>.local.

        """

    static let event = """
        usage: nostr-dns event sign --kind K [--content TEXT] [--tag NAME,VALUE,...]... [--created-at UNIX]
               nostr-dns event verify < event.json

        sign    signs a NIP-01 event with the key file's key and prints it as one line
                of JSON. --tag may be repeated; within it, \\, is a literal comma and
                \\\\ a literal backslash ("d," is the tag ["d",""]).
        verify  reads one event JSON on stdin; exits 0 and prints its id if the id is
                the hash of its serialization and the signature verifies, else exits 1
                with the reason on stderr.

        """

    static let bench = """
        usage: nostr-dns bench verify [--json] [--events N] [--rounds R]

        Verifies N signed events (default 1000) R times (default 5) through the
        full path (parse the JSON, recompute the id, verify the BIP-340 signature)
        and the same signatures with raw secp256k1_schnorrsig_verify calls, in
        one process, and prints both rates and their ratio. --json prints one
        JSON object with events_per_s, raw_verify_per_s and ratio.

        """

    static func text(for command: String) -> String {
        switch command {
        case "keygen": return keygen
        case "whoami": return whoami
        case "event": return event
        case "bench": return bench
        default: return main
        }
    }
}
