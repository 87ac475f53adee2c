/// Help texts. The command-line contract (README, "Command line") is the
/// source of truth; these say the same in short.
enum Usage {
    static let main = """
        usage: nostr-dns [global options] [command] [options]

        A nostr public key (npub) is a domain name: publish where a host lives
        as signed nostr events, resolve <npub>.nostr, <npub>.local or a bare npub.

        commands:
          mdns            the mDNS responder for <npub>.local (the default command)
          keygen          create the key file if there is none; print the npub
          publish-ip      publish this host's addresses (kind 30053); --watch keeps them current
          publish-cert    publish the TLS key record of a certificate (kind 30059)
          resolve NAME    look up an npub, <npub>.nostr, <label>.<npub>.nostr or <npub>.local
          dns             the DNS server for <npub>.nostr (UDP and TCP; beside dnsmasq)
          https-demo      an HTTPS server whose TLS key the npub vouches for (--alt: keyed by the npub)
          fetch URL       get https://<npub>.nostr[:port]/path, trusting only the key the npub signed
          pin NAME        curl --resolve/--pinnedpubkey arguments and TLSA records for a name
          whoami          print npub, hex public key, <npub>.nostr and <npub>.local
          event sign      sign a NIP-01 event and print it as one line of JSON
          event verify    check the id and signature of one event JSON read from stdin
          bench verify    events verified per second against raw libsecp256k1
          gateway         a wsn:// front door for a relay, authenticated by this host's npub
          help            this text

        global options:
          --relay URL     a relay to use (repeatable)
          --key PATH      the key file (default: $NOSTR_DNS_KEY, /etc/nostr-dns/nsec as root,
                          else $XDG_CONFIG_HOME/nostr-dns/nsec or ~/.config/nostr-dns/nsec)
          --config PATH   the config file (default /etc/nostr-dns/config as root,
                          else ~/.config/nostr-dns/config): `relay = URL`, `ca-file = PATH`
          --ca-file PATH  CA certificates for wss:// relays (default: the system bundle)
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

    static let relays = """
        relays: --relay URL (repeatable), else $NOSTR_DNS_RELAYS (comma-separated),
        else the config file's `relay` lines, else built-in public relays.
        URLs: ws://HOST[:PORT][/PATH], wss://HOST[:PORT][/PATH].

        """

    static let publishIP = """
        usage: nostr-dns publish-ip [--ip ADDR]... [--detect auto|iface|stun[:HOST:PORT]]
                                    [--name LABEL] [--ttl S] [--legacy] [--timeout S]
                                    [--watch [--interval S]]

        Publishes the address record (kind 30053) of <npub>.nostr, or of
        <LABEL>.<npub>.nostr with --name: the --ip addresses, plus those found by
        --detect (iface: the global addresses of this host's interfaces; stun: the
        address a STUN server sees; auto, the default without --ip: iface, and STUN
        when no global IPv4 is found). --legacy also writes the proof of concept's
        kind 30000 record. Prints `published kind K id HEX`, then per relay
        `accepted URL`, `rejected URL: MESSAGE` or `failed URL: ERROR`; exits 0 when
        every record was accepted by at least one relay.
        --watch keeps running: checks every --interval (default 60 s), republishes
        when the addresses change and every 12 hours; records expire 36 hours after
        the last publish. SIGINT/SIGTERM stop it.
        --timeout: connecting and waiting for relays (default 10 s).

        """ + relays

    static let publishCert = """
        usage: nostr-dns publish-cert --cert PEM [--service NAME] [--port N] [--expires S]
                                      [--legacy] [--timeout S]

        Publishes the TLS key record (kind 30059) for service NAME (default https):
        the SHA-256 of the certificate's SubjectPublicKeyInfo (the TLSA 3 1 1 data),
        the URL https://<npub>.nostr:N (default port 443), an expiry (now + S, else
        the certificate's notAfter) and the PEM. --legacy also writes the proof of
        concept's kind 30001 record. Output and exit code as publish-ip.

        """ + relays

    static let resolve = """
        usage: nostr-dns resolve NAME [--type A|AAAA|TLSA|ANY] [--service NAME] [--json]
                                      [--timeout S] [--follow]

        NAME is an npub, <npub>.nostr, <label>.<npub>.nostr or <npub>.local. Asks the
        relays, verifies every event, takes the newest valid record and prints its
        addresses one per line (IPv4 first), like dig +short. --type TLSA prints
        "3 1 1 HEX" from the TLS key record of --service (default https); ANY prints
        both. --json prints one JSON object. Exit 3 when there is no such record,
        1 when no relay answered within --timeout (default 10 s).
        --follow keeps the subscription open (reconnecting to lost relays) and
        prints the answer on one line (one JSON object per line with --json)
        whenever a newer record arrives, until SIGINT/SIGTERM.

        """ + relays

    static func text(for command: String) -> String {
        switch command {
        case "publish-ip": return publishIP
        case "publish-cert": return publishCert
        case "resolve": return resolve
        case "keygen": return keygen
        case "whoami": return whoami
        case "event": return event
        case "bench": return bench
        case "gateway": return gateway
        case "mdns": return mdns
        case "dns": return dns
        case "https-demo": return httpsDemo
        case "fetch": return fetch
        case "pin": return pin
        default: return main
        }
    }
}
