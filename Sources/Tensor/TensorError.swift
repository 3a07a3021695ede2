/// A problem with tensor shapes or values that a user can cause and fix.
public struct TensorError: Error, CustomStringConvertible, Equatable {
  public let message: String
  public let hint: String?

  public init(_ message: String, hint: String? = nil) {
    self.message = message
    self.hint = hint
  }

  public var description: String { message }
}

/// Formats a shape as PyTorch does: `[128, 1, 28, 28]`.
public func describe(shape: [Int]) -> String {
  "[" + shape.map(String.init).joined(separator: ", ") + "]"
}

/// The largest result an op may allocate (2 GB of float32): beyond it the op
/// throws instead of exhausting memory.
public let maxTensorElements = 500_000_000

/// Throws when a result of `shape` would exceed `maxTensorElements`.
public func checkAllocation(_ shape: [Int], _ op: String) throws {
  let count = shape.reduce(1.0) { $0 * Double($1) }
  guard count <= Double(maxTensorElements) else {
    throw TensorError("\(op): a result of shape \(describe(shape: shape)) is too large to allocate")
  }
}
