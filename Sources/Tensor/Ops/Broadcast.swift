import CKernel

/// Elementwise arithmetic with NumPy broadcasting.
public enum ElementwiseOp: Int32 {
  case add = 0, subtract = 1, multiply = 2, divide = 3
}

/// The broadcast shape of two shapes, or nil when they are incompatible.
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
  let rank = max(a.count, b.count)
  var out: [Int] = []
  for d in 0..<rank {
    let x = d < rank - a.count ? 1 : a[d - (rank - a.count)]
    let y = d < rank - b.count ? 1 : b[d - (rank - b.count)]
    guard x == y || x == 1 || y == 1 else { return nil }
    out.append(max(x, y))
  }
  return out
}

/// Strides that read a tensor of `shape` as if it had `target` shape (0 where broadcast).
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int64] {
  var strides = [Int64](repeating: 0, count: target.count)
  var step: Int64 = 1
  for d in stride(from: shape.count - 1, through: 0, by: -1) {
    let t = d + (target.count - shape.count)
    strides[t] = shape[d] == 1 ? 0 : step
    step *= Int64(shape[d])
  }
  return strides
}

private func elementwise(_ op: ElementwiseOp, _ a: Tensor, _ b: Tensor, shape: [Int]) -> Tensor {
  let out = Tensor(uninitialized: shape)
  let dims = shape.map(Int64.init)
  atl_broadcast_binary(
    op.rawValue, a.data, broadcastStrides(a.shape, to: shape), b.data, broadcastStrides(b.shape, to: shape), out.data,
    dims,
    Int32(shape.count))
  return out
}

/// Sums `grad` (of the broadcast shape) back to `shape`.
private func reduce(_ grad: Tensor, to shape: [Int]) -> Tensor {
  if grad.shape == shape { return grad }
  let out = Tensor(zeros: shape)
  atl_accumulate_broadcast(
    grad.data, grad.shape.map(Int64.init), Int32(grad.rank), broadcastStrides(shape, to: grad.shape), out.data)
  return out
}

public func elementwise(_ op: ElementwiseOp, _ a: Tensor, _ b: Tensor) throws -> Tensor {
  guard let shape = broadcastShape(a.shape, b.shape), shape.count <= 16 else {
    throw TensorError("shapes \(describe(shape: a.shape)) and \(describe(shape: b.shape)) cannot be broadcast together")
  }
  try checkAllocation(shape, "elementwise")
  let out = elementwise(op, a, b, shape: shape)
  Tape.record(output: out, inputs: [a, b]) { g in
    switch op {
    case .add: return [reduce(g, to: a.shape), reduce(g, to: b.shape)]
    case .subtract: return [reduce(g, to: a.shape), reduce(g.scaled(by: -1), to: b.shape)]
    case .multiply:
      return [
        reduce(elementwise(.multiply, g, b, shape: shape), to: a.shape),
        reduce(elementwise(.multiply, g, a, shape: shape), to: b.shape),
      ]
    case .divide:
      let da = elementwise(.divide, g, b, shape: shape)
      let ratio = elementwise(.divide, out, b, shape: shape)
      let db = elementwise(.multiply, g, ratio, shape: shape).scaled(by: -1)
      return [reduce(da, to: a.shape), reduce(db, to: b.shape)]
    }
  }
  return out
}

extension Tensor {
  /// (rows, cols) -> (cols, rows)
  public func transposed() throws -> Tensor {
    guard rank == 2 else { throw TensorError(".T needs a 2-D tensor, not \(describe(shape: shape))") }
    let out = Tensor(uninitialized: [shape[1], shape[0]])
    atl_transpose2d(data, Int64(shape[0]), Int64(shape[1]), out.data)
    Tape.record(output: out, inputs: [self]) { g in [try? g.transposed()] }
    return out
  }

  /// The axes reordered: output axis d is axis `axes[d]` (NumPy's transpose, PyTorch's permute).
  public func permuted(_ axes: [Int]) throws -> Tensor {
    guard axes.count == rank, Set(axes) == Set(0..<rank), rank <= 8 else {
      throw TensorError(
        "axes \(axes) must name each of the \(rank) axes of a \(describe(shape: shape)) tensor once")
    }
    let out = Tensor(uninitialized: axes.map { shape[$0] })
    let dims = shape.map(Int64.init), order = axes.map(Int32.init)
    _ = atl_permute(data, Int32(rank), dims, order, out.data)
    var inverse = [Int](repeating: 0, count: rank)
    for (d, axis) in axes.enumerated() { inverse[axis] = d }
    Tape.record(output: out, inputs: [self]) { g in [try? g.permuted(inverse)] }
    return out
  }

  /// Rows `lower..<upper` along the first dimension, copied.
  public func rows(_ lower: Int, _ upper: Int) throws -> Tensor {
    guard rank >= 1, 0 <= lower, lower <= upper, upper <= shape[0] else {
      throw TensorError("rows \(lower)..<\(upper) are outside a tensor of shape \(describe(shape: shape))")
    }
    let rowLength = shape.dropFirst().reduce(1, *)
    let out = Tensor(uninitialized: [upper - lower] + shape.dropFirst())
    out.data.update(from: data + lower * rowLength, count: out.count)
    let source = self
    Tape.record(output: out, inputs: [self]) { g in
      let full = Tensor(zeros: source.shape)
      (full.data + lower * rowLength).update(from: g.data, count: g.count)
      return [full]
    }
    return out
  }
}
