/// How many subscriptions the resolver keeps open on each relay connection
/// at most (NIP-01: a REQ stays open until CLOSE; relays cap how many one
/// connection may hold: nostr-relay 1.14 `subscription_limit` 32, strfry
/// `maxSubsPerConnection` 20). One budget for the whole pool, since the
/// pool sends every subscription to every relay: the smallest limit any
/// relay has shown. Sans-IO.
///
/// The budget is split between one-shot lookups (`LookupBatches`: a
/// quarter, at least one) and follows (`FollowSet`: the rest, at least
/// one); subscriptions the pool opens itself (`reserved`: the `wsn://`
/// locator) come off the top.
public struct SubscriptionBudget: Sendable {
    /// Never fewer than this: one lookup and one follow subscription.
    public static let floor = 2
    /// The default: well under nostr-relay's 32 and strfry's 20, and under
    /// the 10 of a relay configured tightly.
    public static let defaultLimit = 8

    public private(set) var limit: Int

    public init(limit: Int = SubscriptionBudget.defaultLimit) {
        self.limit = max(Self.floor, limit)
    }

    /// Subscriptions for lookup batches.
    public func lookupSlots(reserved: Int = 0) -> Int {
        max(1, usable(reserved) / 4)
    }

    /// Subscriptions for follows.
    public func followSlots(reserved: Int = 0) -> Int {
        max(1, usable(reserved) - lookupSlots(reserved: reserved))
    }

    func usable(_ reserved: Int) -> Int { max(Self.floor, limit - reserved) }

    /// A relay refused a subscription for a limit while `open` of ours were
    /// open (the refused one included): the budget becomes at most `open - 1`
    /// and at least one less than it was, never below `floor`. Returns
    /// whether it changed.
    @discardableResult
    public mutating func lower(open: Int) -> Bool {
        let next = max(Self.floor, min(limit - 1, open - 1))
        guard next < limit else { return false }
        limit = next
        return true
    }

    /// Whether a relay's `CLOSED` or `NOTICE` text says a limit was hit
    /// (NIP-01 machine-readable prefixes `rate-limited:`, `error:`…): the
    /// texts of nostr-relay ("rejected: too many subscriptions", NOTICE
    /// "rate-limited"), strfry ("error: too many concurrent REQs") and
    /// others ("max subscriptions", "subscription limit"), compared without
    /// case.
    public static func saysLimit(_ text: String) -> Bool {
        let t = Array(text.utf8.prefix(512)).map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        for needle in [
            "too many", "rate-limit", "rate limit", "max subscriptions", "maximum subscriptions", "subscription limit",
            "subscriptions limit",
        ] {
            if contains(t, Array(needle.utf8)) { return true }
        }
        return false
    }

    static func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= hay.count else { return false }
        for start in 0...(hay.count - needle.count) where hay[start] == needle[0] {
            var i = 1
            while i < needle.count && hay[start + i] == needle[i] { i += 1 }
            if i == needle.count { return true }
        }
        return false
    }
}
