import CKernel
import Foundation
import Tensor

/// Times each case. After `interruptAfter` seconds it presses Ctrl-C (raises the
/// interrupt flag, again every quarter second), as a person waiting would: every long
/// loop must notice and stop. A case still running at `limit` is a hang, and ends the
/// process after saying which input it was. Every input is written down before it
/// runs, for replay after a crash.
final class Watchdog: @unchecked Sendable {
  let lastInputPath: String
  let limit: TimeInterval
  private let lock = NSLock()
  private var caseStart: Date?
  private var caseLabel = ""
  private(set) var slowest = 0.0
  let interruptAfter: TimeInterval = 2

  init(lastInputPath: String, limit: TimeInterval) {
    self.lastInputPath = lastInputPath
    self.limit = limit
    let thread = Thread { [unowned self] in self.watch() }
    thread.start()
  }

  /// Runs one case; `input` is what to replay it from.
  func run<T>(_ label: String, input: Data, _ body: () throws -> T) rethrows -> T {
    try? input.write(to: URL(fileURLWithPath: lastInputPath))
    atl_interrupt_clear()
    lock.withLock {
      caseStart = Date()
      caseLabel = label
    }
    defer {
      lock.withLock {
        if let start = caseStart { slowest = max(slowest, Date().timeIntervalSince(start)) }
        caseStart = nil
      }
    }
    return try body()
  }

  private func watch() {
    while true {
      Thread.sleep(forTimeInterval: 0.25)
      let (start, label) = lock.withLock { (caseStart, caseLabel) }
      guard let start else { continue }
      let elapsed = Date().timeIntervalSince(start)
      if elapsed > interruptAfter { atl_interrupt_raise() }
      if elapsed > limit {
        FileHandle.standardError.write(
          Data("HANG: \(label) ran over \(Int(limit)) s; its input is in \(lastInputPath)\n".utf8))
        _exit(3)
      }
    }
  }

  static func peakResidentBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024
  }
}

func formatBytes(_ bytes: Int) -> String { MemoryBudget.format(bytes: Double(bytes)) }
func parseBytes(_ text: String) -> Int? { MemoryBudget.parse(text) }

/// A small deterministic generator, so that a failure can be replayed.
struct Generator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
  mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
  mutating func chance(_ oneIn: Int) -> Bool { below(oneIn) == 0 }
}
