/// A problem with tensor shapes or values that a user can cause and fix.
public struct TensorError: UserError, Equatable {
  public let message: String
  public let hint: String?

  public init(_ message: String, hint: String? = nil) {
    self.message = message
    self.hint = hint
  }

  public var description: String { message }
  public var userMessage: String { message }
}

/// Formats a shape as PyTorch does: `[128, 1, 28, 28]`.
public func describe(shape: [Int]) -> String {
  "[" + shape.map(String.init).joined(separator: ", ") + "]"
}

/// Throws when a result of `shape` is not a valid shape or would not fit in the memory budget.
public func checkAllocation(_ shape: [Int], _ op: String) throws {
  try MemoryBudget.check(shape: shape, for: "\(op): a result of shape \(describe(shape: shape))")
}
