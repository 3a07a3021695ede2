import CKernel

/// The kernel's description of a pooling window over x, or an error naming the op.
private func poolShape(_ x: Tensor, _ window: Window2D, _ op: String) throws -> atl_pool_shape {
  guard x.rank == 4 else {
    throw TensorError("\(op) expects input (N, C, H, W) but got \(describe(shape: x.shape))")
  }
  var s = atl_pool_shape(
    N: Int32(x.shape[0]), C: Int32(x.shape[1]), H: Int32(x.shape[2]), W: Int32(x.shape[3]),
    kernel_h: Int32(window.kernel.0), kernel_w: Int32(window.kernel.1),
    stride_h: Int32(window.stride.0), stride_w: Int32(window.stride.1),
    pad_h: Int32(window.padding.0), pad_w: Int32(window.padding.1), P: 0, Q: 0)
  guard window.stride.0 > 0, window.stride.1 > 0, atl_pool_output(&s) == 0 else {
    throw TensorError(
      "\(op): a \(window.kernel.0)x\(window.kernel.1) window does not fit input \(describe(shape: x.shape))")
  }
  return s
}

/// Max pooling over (N,C,H,W) with zero padding that never wins. With
/// `appliesReLUMask`, x is a ReLU's output whose backward mask was left to this op
/// (`conv2d(…, reluMaskLeftToPool: true)`): a window whose maximum is zero passes no
/// gradient, which is that mask applied on the pooled values instead of on all of x.
public func maxPool2d(_ x: Tensor, window: Window2D, appliesReLUMask: Bool = false) throws -> Tensor {
  var s = try poolShape(x, window, "maxpool")
  let y = Tensor(uninitialized: [x.shape[0], x.shape[1], Int(s.P), Int(s.Q)])
  guard Tape.willRecord([x]) else {
    guard atl_maxpool_forward(&s, x.data, y.data, nil) == 0 else { throw TensorError("maxpool: out of memory") }
    return y
  }
  // Every element is written by the kernel.
  let argmax = [Int32](unsafeUninitializedCapacity: y.count) { buffer, initialized in
    atl_maxpool_forward(&s, x.data, y.data, buffer.baseAddress)
    initialized = y.count
  }
  let shape = s
  let gate = appliesReLUMask ? y : nil
  Tape.record(output: y, inputs: [x]) { gy in
    var s = shape
    let dx = Tensor(uninitialized: x.shape)
    argmax.withUnsafeBufferPointer { atl_maxpool_backward(&s, gy.data, $0.baseAddress, gate?.data, dx.data) }
    return [dx]
  }
  return y
}

/// Average pooling over (N,C,H,W); padding counts towards the divisor, as PyTorch's default.
public func avgPool2d(_ x: Tensor, window: Window2D) throws -> Tensor {
  var s = try poolShape(x, window, "avgpool")
  let y = Tensor(uninitialized: [x.shape[0], x.shape[1], Int(s.P), Int(s.Q)])
  atl_avgpool_forward(&s, x.data, y.data)
  let shape = s
  Tape.record(output: y, inputs: [x]) { gy in
    var s = shape
    let dx = Tensor(uninitialized: x.shape)
    atl_avgpool_backward(&s, gy.data, dx.data)
    return [dx]
  }
  return y
}
