/// The version printed by `nostr-dns --version`.
public enum NostrDNSVersion {
    public static let string = "0.1.0"
}
