import Foundation

/// The most memory one allocation asked for by a notebook or a file may take.
///
/// Sizes come from places a user or a stranger controls (a shape in a notebook, a
/// header in a file someone sent); a few bytes can ask for terabytes. Every such
/// size is checked here before any work, so the answer is a clear error naming the
/// size instead of a machine that swaps or a process the kernel kills.
public enum MemoryBudget {
  /// Bytes: `ATELIER_MEMORY_LIMIT` (`512M`, `8G`, or bytes), else three quarters of physical memory.
  nonisolated(unsafe) public static var limit: Int = {
    if let text = ProcessInfo.processInfo.environment["ATELIER_MEMORY_LIMIT"], let bytes = parse(text) {
      return bytes
    }
    return Int(min(Double(ProcessInfo.processInfo.physicalMemory) * 0.75, Double(Int.max)))
  }()

  /// `"512M"`, `"8G"`, `"1.5G"`, `"4096"` as bytes; nil when it is not a size.
  public static func parse(_ text: String) -> Int? {
    let units: [Character: Double] = ["K": 0x1p10, "M": 0x1p20, "G": 0x1p30, "T": 0x1p40]
    var digits = text.trimmingCharacters(in: .whitespaces).uppercased()
    if digits.hasSuffix("B") { digits.removeLast() }
    var scale = 1.0
    if let last = digits.last, let unit = units[last] {
      scale = unit
      digits.removeLast()
    }
    guard let value = Double(digits), value.isFinite, value > 0, value * scale < 9e18 else { return nil }
    return Int(value * scale)
  }

  /// The number of elements of `shape`, or nil when a dimension is negative or the product overflows.
  public static func elementCount(_ shape: [Int]) -> Int? {
    var count = 1
    for d in shape {
      guard d >= 0 else { return nil }
      let (product, overflow) = count.multipliedReportingOverflow(by: d)
      if overflow { return nil }
      count = product
    }
    return count
  }

  /// Throws unless `bytes` fit in the budget; `what` names the thing being made.
  public static func check(bytes: Int, for what: String) throws {
    guard bytes <= limit else { throw MemoryLimitError(what: what, bytes: Double(bytes)) }
  }

  /// The element count of `shape` after checking that it is a valid shape whose
  /// `bytesPerElement`-sized elements fit in the budget.
  @discardableResult
  public static func check(shape: [Int], bytesPerElement: Int = 4, for what: String) throws -> Int {
    guard let count = elementCount(shape) else {
      if shape.contains(where: { $0 < 0 }) {
        throw TensorError("\(what): shape \(describe(shape: shape)) has a negative dimension")
      }
      throw MemoryLimitError(what: what, bytes: shape.reduce(Double(bytesPerElement)) { $0 * Double($1) })
    }
    let (bytes, overflow) = count.multipliedReportingOverflow(by: bytesPerElement)
    if overflow { throw MemoryLimitError(what: what, bytes: Double(count) * Double(bytesPerElement)) }
    try check(bytes: bytes, for: what)
    return count
  }

  /// A byte count as people read it: `512 B`, `3.2 MB`, `1.4 TB`.
  public static func format(bytes: Double) -> String {
    let units = ["B", "KB", "MB", "GB", "TB", "PB", "EB"]
    var value = bytes
    var unit = 0
    while value >= 1000, unit < units.count - 1 {
      value /= 1000
      unit += 1
    }
    if unit == units.count - 1, value >= 1000 { return String(format: "%.1e B", bytes) }
    return unit == 0 ? "\(Int(value)) B" : String(format: "%.1f %@", value, units[unit])
  }
}

/// An allocation larger than the memory budget, refused before any work.
public struct MemoryLimitError: UserError {
  public let what: String
  public let bytes: Double

  public var userMessage: String {
    "\(what) would need \(MemoryBudget.format(bytes: bytes)), over the memory limit of "
      + MemoryBudget.format(bytes: Double(MemoryBudget.limit))
  }
  public var hint: String? {
    "ATELIER_MEMORY_LIMIT raises the limit (e.g. ATELIER_MEMORY_LIMIT=32G) where the machine has the memory"
  }
  public var description: String { userMessage }
}
