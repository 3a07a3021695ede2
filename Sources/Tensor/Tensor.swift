import CKernel

/// A dense float32 tensor: a shape over contiguous, reference-counted storage.
/// Reshapes share storage; every op that computes allocates a fresh result.
public final class Tensor {
  public let shape: [Int]
  public let count: Int
  public let storage: Storage
  /// Parameters set this; op results inherit it while a tape records.
  public var requiresGrad = false
  /// The accumulated gradient of a leaf after `Tape.backward`.
  public var grad: Tensor?
  /// False for tensors computed by a recorded op.
  public internal(set) var isLeaf = true

  public var data: UnsafeMutablePointer<Float> { storage.pointer }
  public var rank: Int { shape.count }

  /// A zero-filled tensor.
  public init(zeros shape: [Int]) {
    self.shape = shape
    self.count = shape.reduce(1, *)
    self.storage = Storage(count: count)
  }

  /// A tensor whose contents are undefined until an op writes every element.
  public init(uninitialized shape: [Int]) {
    self.shape = shape
    self.count = shape.reduce(1, *)
    self.storage = Storage(count: count, zeroed: false)
  }

  init(shape: [Int], sharing storage: Storage) {
    self.shape = shape
    self.count = shape.reduce(1, *)
    self.storage = storage
  }

  public convenience init(_ values: [Float], shape: [Int]) throws {
    let expected = shape.reduce(1, *)
    guard shape.allSatisfy({ $0 >= 0 }), expected == values.count else {
      throw TensorError("\(values.count) values cannot fill shape \(describe(shape: shape))")
    }
    self.init(zeros: shape)
    values.withUnsafeBufferPointer { buffer in
      if let base = buffer.baseAddress { data.update(from: base, count: count) }
    }
  }

  public static func scalar(_ value: Float) -> Tensor {
    let t = Tensor(zeros: [])
    t.data[0] = value
    return t
  }

  public static func full(_ shape: [Int], _ value: Float) -> Tensor {
    let t = Tensor(zeros: shape)
    atl_fill(t.data, value, Int64(t.count))
    return t
  }

  public static func uniform(_ shape: [Int], low: Float, high: Float, rng: RandomSource) -> Tensor {
    let t = Tensor(zeros: shape)
    rng.fillUniform(t, low: low, high: high)
    return t
  }

  public static func normal(_ shape: [Int], mean: Float = 0, std: Float = 1, rng: RandomSource)
    -> Tensor
  {
    let t = Tensor(zeros: shape)
    rng.fillNormal(t, mean: mean, std: std)
    return t
  }

  public subscript(flat index: Int) -> Float {
    get { data[index] }
    set { data[index] = newValue }
  }

  public var scalarValue: Float { data[0] }

  public func toArray() -> [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

  /// A new tensor with the same values and no autograd history.
  public func copy() -> Tensor {
    let t = Tensor(uninitialized: shape)
    t.data.update(from: data, count: count)
    return t
  }

  /// The same storage under another shape; one dimension may be -1.
  public func reshaped(_ newShape: [Int]) throws -> Tensor {
    var resolved = newShape
    let known = newShape.filter { $0 != -1 }.reduce(1, *)
    if let free = newShape.firstIndex(of: -1) {
      guard newShape.filter({ $0 == -1 }).count == 1, known > 0, count % known == 0 else {
        throw TensorError(
          "cannot reshape \(describe(shape: shape)) to \(describe(shape: newShape))")
      }
      resolved[free] = count / known
    }
    guard resolved.reduce(1, *) == count, resolved.allSatisfy({ $0 >= 0 }) else {
      throw TensorError(
        "cannot reshape \(describe(shape: shape)) (\(count) values) to \(describe(shape: newShape))"
      )
    }
    let view = Tensor(shape: resolved, sharing: storage)
    let source = self
    Tape.record(output: view, inputs: [self]) { gradOut in
      [Tensor(shape: source.shape, sharing: gradOut.storage)]
    }
    return view
  }
}
