import CKernel

/// y = x wᵀ + b with x (B, I), w (O, I), b (O): PyTorch's `linear`.
/// x (batch, in) · wᵀ + b; with `relu`, max(·, 0) of that before anyone reads it.
public func linear(_ x: Tensor, weight w: Tensor, bias b: Tensor?, relu: Bool = false) throws -> Tensor {
  guard x.rank == 2, w.rank == 2, x.shape[1] == w.shape[1] else {
    throw TensorError(
      "linear expects input (batch, \(w.shape.count == 2 ? w.shape[1] : 0)) but got \(describe(shape: x.shape))"
    )
  }
  let (batch, inputs, outputs) = (x.shape[0], w.shape[1], w.shape[0])
  try checkAllocation([batch, outputs], "linear")
  let y = Tensor(uninitialized: [batch, outputs])
  atl_dense_forward(x.data, w.data, b?.data, y.data, Int64(batch), Int64(inputs), Int64(outputs))
  if relu { atl_relu_forward(y.data, y.data, Int64(y.count)) }
  Tape.record(output: y, inputs: [x, w] + (b.map { [$0] } ?? [])) { gradient in
    let gy = relu ? maskedByReLU(gradient, output: y) : gradient
    let dx = x.requiresGrad ? Tensor(uninitialized: x.shape) : nil
    let dw = w.requiresGrad ? Tensor(uninitialized: w.shape) : nil
    let db = (b?.requiresGrad ?? false) ? Tensor(uninitialized: [outputs]) : nil
    atl_dense_backward(
      x.data, w.data, gy.data, dx?.data, dw?.data, db?.data, Int64(batch), Int64(inputs),
      Int64(outputs))
    return [dx, dw, db]
  }
  return y
}
