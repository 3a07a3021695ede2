import CKernel

extension Tensor {
  /// Elementwise sum of two tensors of one shape.
  public func adding(_ other: Tensor) -> Tensor {
    precondition(count == other.count, "adding needs equal sizes")
    let out = Tensor(uninitialized: shape)
    atl_add(data, other.data, out.data, Int64(count))
    Tape.record(output: out, inputs: [self, other]) { g in [g, g] }
    return out
  }

  public func addInPlace(_ other: Tensor) {
    atl_axpy(1, other.data, data, Int64(count))
  }

  public func scaled(by factor: Float) -> Tensor {
    let out = Tensor(uninitialized: shape)
    atl_scale(data, factor, out.data, Int64(count))
    Tape.record(output: out, inputs: [self]) { g in [g.scaled(by: factor)] }
    return out
  }

  /// The sum of all elements as a scalar tensor.
  public func sum() -> Tensor {
    let out = Tensor.scalar(Float(atl_sum(data, Int64(count))))
    let shape = self.shape
    Tape.record(output: out, inputs: [self]) { g in [Tensor.full(shape, g.scalarValue)] }
    return out
  }

  /// The mean of all elements as a scalar tensor.
  public func mean() -> Tensor {
    let out = Tensor.scalar(Float(atl_mean(data, Int64(count))))
    let shape = self.shape, n = Float(count)
    Tape.record(output: out, inputs: [self]) { g in [Tensor.full(shape, g.scalarValue / n)] }
    return out
  }

  public var allFinite: Bool { atl_all_finite(data, Int64(count)) != 0 }

  /// Index of the largest value in each row of a (rows, cols) tensor.
  public func argmaxRows() -> [Int32] {
    let cols = shape.last ?? 1
    let rows = cols > 0 ? count / cols : 0
    var out = [Int32](repeating: 0, count: rows)
    out.withUnsafeMutableBufferPointer { atl_argmax_rows(data, Int64(rows), Int64(cols), $0.baseAddress) }
    return out
  }
}
