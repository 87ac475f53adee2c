/// Help texts. The command-line contract (README, "Command line") is the
/// source of truth; these say the same in short. Each command's own text is
/// in its file (`extension Usage` in Commands/); the main text lists the
/// commands of `CommandTable`.
enum Usage {
    /// `nostr-dns --help`, `nostr-dns help`, and after a usage error outside
    /// any command.
    static let main = header + commandList() + footer

    static let header = """
        usage: nostr-dns [global options] [command] [options]

        A nostr public key (npub) is a domain name: publish where a host lives
        as signed nostr events, resolve <npub>.nostr, <npub>.local or a bare npub.

        commands:

        """

    static let footer = """

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

    /// The relay options, at the end of the texts of the commands that use relays.
    static let relays = """
        relays: --relay URL (repeatable), else $NOSTR_DNS_RELAYS (comma-separated),
        else the config file's `relay` lines, else built-in public relays.
        URLs: ws://HOST[:PORT][/PATH], wss://HOST[:PORT][/PATH].

        """

    /// One line per entry of the command table: what to type, in a column
    /// of 16, then what it does.
    static func commandList() -> String {
        var text = ""
        for command in CommandTable.all {
            for line in command.listing {
                text += "  " + line.shown
                var width = line.shown.utf8.count
                repeat {
                    text += " "
                    width += 1
                } while width < 16
                text += line.summary + "\n"
            }
        }
        return text
    }

    /// `nostr-dns COMMAND --help`, also printed after a usage error of that
    /// command; the main text for `help` or an unknown name.
    static func text(for command: String) -> String {
        CommandTable.named(command)?.usage ?? main
    }
}
