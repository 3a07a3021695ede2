import CKernel

public func relu(_ x: Tensor) -> Tensor {
  let y = Tensor(uninitialized: x.shape)
  atl_relu_forward(x.data, y.data, Int64(x.count))
  Tape.record(output: y, inputs: [x]) { gy in
    let dx = Tensor(uninitialized: x.shape)
    atl_relu_backward(x.data, gy.data, dx.data, Int64(x.count))
    return [dx]
  }
  return y
}

/// relu(a + b) in one pass without storing the sum (a residual block's end); the values
/// and gradients of `relu(elementwise(.add, a, b))`, to which other shapes go.
public func addReLU(_ a: Tensor, _ b: Tensor) throws -> Tensor {
  guard a.shape == b.shape else { return relu(try elementwise(.add, a, b)) }
  try checkAllocation(a.shape, "add")
  let y = Tensor(uninitialized: a.shape)
  atl_add_relu_forward(a.data, b.data, y.data, Int64(y.count))
  Tape.record(output: y, inputs: [a, b]) { gy in
    let g = maskedByReLU(gy, output: y)
    return [g, g]
  }
  return y
}

/// The gradient `gy` where a ReLU's `output` is positive, zero elsewhere: the backward
/// step of a ReLU fused into the op before it.
func maskedByReLU(_ gy: Tensor, output: Tensor) -> Tensor {
  let masked = Tensor(uninitialized: gy.shape)
  atl_relu_backward(output.data, gy.data, masked.data, Int64(gy.count))
  return masked
}

/// Pointwise functions with the kernel's derivatives.
public enum Pointwise: Int32 {
  case leakyRelu = 1, elu, gelu, tanh, sigmoid, exp, log, sqrt, square, abs
}

public func pointwise(_ kind: Pointwise, _ x: Tensor, alpha: Float = 0) -> Tensor {
  let y = Tensor(uninitialized: x.shape)
  atl_activation_forward(kind.rawValue, alpha, x.data, y.data, Int64(x.count))
  Tape.record(output: y, inputs: [x]) { gy in
    let dx = Tensor(uninitialized: x.shape)
    atl_activation_backward(kind.rawValue, alpha, x.data, y.data, gy.data, dx.data, Int64(x.count))
    return [dx]
  }
  return y
}

/// Softmax over the last dimension.
public func softmax(_ x: Tensor) -> Tensor {
  let cols = x.shape.last ?? 1
  let rows = cols > 0 ? x.count / cols : 0
  let y = Tensor(uninitialized: x.shape)
  atl_softmax_rows(x.data, y.data, Int64(rows), Int64(cols))
  Tape.record(output: y, inputs: [x]) { gy in
    let dx = Tensor(uninitialized: x.shape)
    atl_softmax_rows_backward(y.data, gy.data, dx.data, Int64(rows), Int64(cols))
    return [dx]
  }
  return y
}
