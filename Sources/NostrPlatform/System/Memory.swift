import CPlatform

/// Process memory housekeeping.
public enum Memory {
    /// Returns freed heap pages to the kernel (malloc_trim(3)): after a
    /// burst of temporary allocations, such as reading the DNS cache file,
    /// so resident memory reflects what is kept.
    public static func releaseFreePages() { nd_malloc_trim() }
}
