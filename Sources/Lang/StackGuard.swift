import CKernel

/// The language recurses on what people write: nested expressions, long operator
/// chains, recursive functions, nested lists. Before going deeper it checks how much
/// of the thread's stack is left (`atl_stack_remaining`), and stops with an error
/// while there is still room, so no notebook can overflow the stack.
enum StackGuard {
  /// Room kept for what runs below the language: builtins, the kernels, printing an error.
  static let margin: Int64 = 384 << 10

  static var isLow: Bool { atl_stack_remaining() < margin }

  static func check(at location: SourceLocation?) throws {
    guard isLow else { return }
    throw AtelierError(
      "this nests too deeply to evaluate (expressions, operator chains or calls inside each other)", at: location,
      hint: "split it into steps with intermediate variables")
  }
}
