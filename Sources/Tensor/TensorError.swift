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
