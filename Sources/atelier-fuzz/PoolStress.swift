import CKernel

/// The parallel loop under stress: every job's pieces must cover each index exactly
/// once and be finished when the call returns. Piece counts cycle through 1 to twice
/// the team size, so every hand-off between caller and workers is exercised; run with
/// more threads than cores (`ATELIER_THREADS=8` on 2 cores) the workers are preempted
/// in every place they can be.
enum PoolStress {
  static func run(jobs: Int) -> [String] {
    let threads = Int(atl_threads())
    let largest = 2 * threads
    let counters = UnsafeMutablePointer<Int64>.allocate(capacity: largest)
    defer { counters.deallocate() }
    counters.initialize(repeating: 0, count: largest)
    var failures: [String] = []
    for job in 0..<jobs {
      let n = job % largest + 1
      atl_parallel_for(
        Int64(n), 1,
        { context, begin, end, _ in
          let counters = context!.assumingMemoryBound(to: Int64.self)
          for i in Int(begin)..<Int(end) { counters[i] += 1 }
        }, counters)
      for i in 0..<largest where counters[i] != (i < n ? 1 : 0) {
        failures.append("job \(job) of \(n) pieces on \(threads) threads: index \(i) ran \(counters[i]) times")
      }
      if failures.count > 20 { break }
      counters.update(repeating: 0, count: largest)
    }
    print("pool: \(jobs) jobs on \(threads) threads")
    return failures
  }
}
