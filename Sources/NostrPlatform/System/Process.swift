import CPlatform

/// Process-level helpers: arguments, exit, standard streams.
public enum Process {
    /// The arguments as Strings (argv[0] included).
    public static func arguments(argc: Int32, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> [String] {
        var out: [String] = []
        out.reserveCapacity(Int(argc))
        for i in 0..<Int(argc) {
            guard let p = argv[i] else { break }
            out.append(String(cString: p))
        }
        return out
    }

    public static func exit(_ code: Int32) -> Never {
        CPlatform.exit(code)
    }
}

/// Unbuffered writes to the standard streams (`print` in Embedded Swift
/// takes one String and cannot target stderr).
public enum Output {
    public static func write(fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { writeAll(fd: fd, UnsafeRawBufferPointer($0)) }
    }

    /// Bytes as they are (an HTTP body need not be UTF-8).
    public static func write(fd: Int32, bytes: [UInt8]) {
        bytes.withUnsafeBytes { writeAll(fd: fd, $0) }
    }

    /// write(2) until everything is written, retrying EINTR; other errors
    /// (a closed pipe) drop the rest: there is nowhere to report them.
    private static func writeAll(fd: Int32, _ buf: UnsafeRawBufferPointer) {
        var off = 0
        while off < buf.count {
            let n = CPlatform.write(fd, buf.baseAddress! + off, buf.count - off)
            if n < 0 {
                if nd_errno() == EINTR { continue }
                return
            }
            off += n
        }
    }

    public static func stdout(_ text: String) { write(fd: 1, text) }
    public static func stderr(_ text: String) { write(fd: 2, text) }
}
