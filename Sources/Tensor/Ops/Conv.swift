import CKernel

/// Geometry of a 2-D convolution or pooling window.
public struct Window2D: Equatable {
  public var kernel: (Int, Int)
  public var stride: (Int, Int)
  public var padding: (Int, Int)

  public init(kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int)) {
    self.kernel = kernel
    self.stride = stride
    self.padding = padding
  }

  public static func == (a: Window2D, b: Window2D) -> Bool {
    a.kernel == b.kernel && a.stride == b.stride && a.padding == b.padding
  }

  /// Output (height, width) for an input plane, or nil when it would be empty.
  public func output(height: Int, width: Int) -> (Int, Int)? {
    let h = height + 2 * padding.0 - kernel.0, w = width + 2 * padding.1 - kernel.1
    guard h >= 0, w >= 0, stride.0 > 0, stride.1 > 0 else { return nil }
    return (h / stride.0 + 1, w / stride.1 + 1)
  }
}

/// x (N,C,H,W), w (K,C,R,S), b (K) -> (N,K,P,Q)
public func conv2d(_ x: Tensor, weight w: Tensor, bias b: Tensor?, stride: (Int, Int), padding: (Int, Int))
  throws -> Tensor
{
  guard x.rank == 4, w.rank == 4, x.shape[1] == w.shape[1] else {
    throw TensorError(
      "conv2d expects input (N, \(w.rank == 4 ? w.shape[1] : 0), H, W) but got \(describe(shape: x.shape))"
    )
  }
  var s = atl_conv_shape(
    N: Int32(x.shape[0]), C: Int32(x.shape[1]), H: Int32(x.shape[2]), W: Int32(x.shape[3]),
    K: Int32(w.shape[0]), R: Int32(w.shape[2]), S: Int32(w.shape[3]),
    stride_h: Int32(stride.0), stride_w: Int32(stride.1), pad_h: Int32(padding.0),
    pad_w: Int32(padding.1), P: 0, Q: 0)
  guard stride.0 > 0, stride.1 > 0, atl_conv_output(&s) == 0 else {
    throw TensorError(
      "conv2d: a \(w.shape[2])x\(w.shape[3]) kernel does not fit input \(describe(shape: x.shape)) with padding \(padding.0)"
    )
  }
  try checkAllocation([x.shape[0], w.shape[0], Int(s.P), Int(s.Q)], "conv2d")
  try checkAllocation([x.shape[0], x.shape[1] * w.shape[2] * w.shape[3], Int(s.P) * Int(s.Q)], "conv2d")
  let y = Tensor(uninitialized: [x.shape[0], w.shape[0], Int(s.P), Int(s.Q)])
  // While training, the unfolded input is kept so backward need not unfold it again.
  let recording = Tape.active != nil && (x.requiresGrad || w.requiresGrad)
  let colsSize = Int(atl_conv_cols_size(&s))
  let cols = recording && colsSize > 0 ? Storage(count: colsSize, zeroed: false) : nil
  atl_conv2d_forward(&s, x.data, w.data, b?.data, y.data, cols?.pointer)
  let shape = s
  Tape.record(output: y, inputs: [x, w] + (b.map { [$0] } ?? [])) { gy in
    var s = shape
    let dx = x.requiresGrad ? Tensor(uninitialized: x.shape) : nil
    let dw = Tensor(zeros: w.shape)
    let db = (b?.requiresGrad ?? false) ? Tensor(zeros: [w.shape[0]]) : nil
    atl_conv2d_backward(&s, x.data, w.data, gy.data, cols?.pointer, dx?.data, dw.data, db?.data)
    return [dx, w.requiresGrad ? dw : nil, db]
  }
  return y
}
