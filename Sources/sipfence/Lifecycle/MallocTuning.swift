#if canImport(CMalloc)
import CMalloc
#endif
import Foundation

/// glibc malloc settings for a process whose policy snapshots are large arrays, each
/// replaced whole by a new one built beside it.
enum MallocTuning {
    /// Limits glibc to one malloc arena per core (at least two), instead of its default of
    /// eight per core.
    ///
    /// Each policy update allocates the new snapshot's arrays (tens of MiB at a million
    /// prefixes) on whichever thread runs it, and the old snapshot's are freed by whichever
    /// thread drops it last. With many arenas, each keeps the large blocks freed into it
    /// and the next update, in another arena, cannot reuse them: measured with
    /// `Benchmarks/policy-latency/measure.py` at a million prefixes, 200 API writes raised
    /// the daemon's RSS from 105 MiB to 178 MiB with the default and to 129 MiB with two
    /// arenas, at the same update time (p99 34 and 25 ms). Serving large blocks by `mmap`
    /// instead (a fixed `M_MMAP_THRESHOLD`) held RSS at 127 MiB but nearly doubled the
    /// update time, which then went to page faults on fresh memory.
    static func limitArenas() {
        #if canImport(CMalloc)
        _ = mallopt(M_ARENA_MAX, Int32(max(2, min(ProcessInfo.processInfo.activeProcessorCount, 64))))
        #endif
    }
}
