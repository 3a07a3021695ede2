import CKernel

/// Reverse-mode autograd over coarse ops. While a tape is active, every op
/// whose inputs need gradients appends its backward function; `backward`
/// replays them newest first and leaves gradients in the leaves' `grad`.
public final class Tape {
  struct Entry {
    let output: Tensor
    let inputs: [Tensor]
    /// Maps the output's gradient to one gradient per input (nil: not needed).
    let backward: (Tensor) -> [Tensor?]
  }

  private var entries: [Entry] = []

  /// The tape recording on the current thread, if any. Each thread has its own, so
  /// concurrent work (tests, a background evaluation) never records into another's.
  public private(set) static var active: Tape? {
    get { atl_thread_tape().map { Unmanaged<Tape>.fromOpaque($0).takeUnretainedValue() } }
    set { atl_set_thread_tape(newValue.map { Unmanaged.passUnretained($0).toOpaque() }) }
  }

  public init() {}

  public var count: Int { entries.count }

  /// Runs `body` with this tape recording, restoring the previous tape after.
  public func recording<T>(_ body: () throws -> T) rethrows -> T {
    let previous = Tape.active
    Tape.active = self
    defer { Tape.active = previous }
    return try body()
  }

  /// Runs `body` with no tape recording (evaluation, `no_grad`).
  public static func withoutRecording<T>(_ body: () throws -> T) rethrows -> T {
    let previous = Tape.active
    Tape.active = nil
    defer { Tape.active = previous }
    return try body()
  }

  /// The tape an op on `inputs` records into, if any (one thread-local lookup).
  private static func recordingTape(for inputs: [Tensor]) -> Tape? {
    guard let tape = active, inputs.contains(where: { $0.requiresGrad }) else { return nil }
    return tape
  }

  /// Whether an op on `inputs` would be recorded: ops skip what only a backward pass needs.
  static func willRecord(_ inputs: [Tensor]) -> Bool { recordingTape(for: inputs) != nil }

  static func record(output: Tensor, inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]) {
    guard let tape = recordingTape(for: inputs) else { return }
    output.requiresGrad = true
    output.isLeaf = false
    tape.entries.append(Entry(output: output, inputs: inputs, backward: backward))
  }

  /// Back-propagates from a scalar `loss`, accumulating into leaf `grad`s, then clears the
  /// tape; returns the leaves that received a gradient.
  @discardableResult
  public func backward(_ loss: Tensor) throws -> [Tensor] {
    guard loss.count == 1 else {
      throw TensorError("backward needs a scalar loss, got shape \(describe(shape: loss.shape))")
    }
    return try backward(loss, seed: Tensor.full(loss.shape, 1))
  }

  /// Back-propagates `seed` as the gradient of `output` (a vector-Jacobian product).
  @discardableResult
  public func backward(_ output: Tensor, seed: Tensor) throws -> [Tensor] {
    guard seed.shape == output.shape else {
      throw TensorError(
        "the seed gradient \(describe(shape: seed.shape)) must match the output \(describe(shape: output.shape))")
    }
    var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(output): seed]
    var leaves: [ObjectIdentifier: Tensor] = [:]
    for entry in entries.reversed() {
      guard let gradOut = grads.removeValue(forKey: ObjectIdentifier(entry.output)) else { continue }
      let inputGrads = entry.backward(gradOut)
      for (input, grad) in zip(entry.inputs, inputGrads) {
        guard let grad, input.requiresGrad else { continue }
        let key = ObjectIdentifier(input)
        if input.isLeaf {
          accumulate(grad, into: &input.grad)
          leaves[key] = input
        } else if let existing = grads[key] {
          grads[key] = existing.adding(grad)
        } else {
          grads[key] = grad
        }
      }
    }
    entries.removeAll()
    return Array(leaves.values)
  }

  public func reset() { entries.removeAll() }

  private func accumulate(_ grad: Tensor, into slot: inout Tensor?) {
    if let existing = slot {
      existing.addInPlace(grad)
    } else {
      slot = grad.copy()
    }
  }
}
