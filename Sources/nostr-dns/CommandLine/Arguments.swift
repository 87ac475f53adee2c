/// A cursor over the command line. The grammar is small and fixed by the
/// command-line contract (README, "Command line"), so it is parsed by
/// hand: no reflection, which Embedded Swift lacks.
struct Arguments {
    private var items: [String]
    private var position = 0

    init(_ items: [String]) { self.items = items }

    var isEmpty: Bool { position >= items.count }

    mutating func next() -> String? {
        guard position < items.count else { return nil }
        defer { position += 1 }
        return items[position]
    }

    /// The value after an option such as `--kind`; a usage error if missing.
    mutating func value(for option: String) throws(UsageError) -> String {
        guard let v = next() else { throw UsageError("option " + option + " needs a value") }
        return v
    }

    mutating func integer(for option: String) throws(UsageError) -> Int64 {
        let text = try value(for: option)
        guard let v = parseInteger(text) else { throw UsageError("option " + option + " needs an integer, not '" + text + "'") }
        return v
    }
}

/// A decimal integer with an optional minus sign, or nil.
func parseInteger(_ text: String) -> Int64? {
    var v: Int64 = 0
    var negative = false
    var digits = 0
    for (i, c) in text.utf8.enumerated() {
        if i == 0 && c == 0x2D { negative = true; continue }
        guard c >= 0x30 && c <= 0x39 else { return nil }
        let (m, o1) = v.multipliedReportingOverflow(by: 10)
        let (s, o2) = m.addingReportingOverflow(Int64(c - 0x30))
        guard !o1 && !o2 else { return nil }
        v = s
        digits += 1
    }
    guard digits > 0 else { return nil }
    return negative ? -v : v
}

/// A bad command line: printed with the usage, exit code 2; with `brief`,
/// the message alone (one line that says all there is to say).
struct UsageError: Error {
    var message: String
    var brief: Bool
    init(_ message: String, brief: Bool = false) {
        self.message = message
        self.brief = brief
    }
}

/// The options every subcommand takes (README, "Command line").
struct GlobalOptions {
    var relays: [String] = []
    var keyPath: String?
    var configPath: String?
    var caFile: String?
    var verbose = false
    var quiet = false
    var help = false

    /// Consumes `arg` (and its value) if it is a global option.
    mutating func consume(_ arg: String, _ args: inout Arguments) throws(UsageError) -> Bool {
        switch arg {
        case "--relay": relays.append(try args.value(for: arg))
        case "--key": keyPath = try args.value(for: arg)
        case "--config": configPath = try args.value(for: arg)
        case "--ca-file": caFile = try args.value(for: arg)
        case "-v", "--verbose": verbose = true
        case "-q", "--quiet": quiet = true
        case "-h", "--help": help = true
        default: return false
        }
        return true
    }
}
