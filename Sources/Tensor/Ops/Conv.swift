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

/// x (N,C,H,W), w (K,C,R,S), b (K) -> (N,K,P,Q); with `relu`, max(·, 0) of that in one pass.
/// With `reluMaskLeftToPool` as well, backward leaves the ReLU's mask to the one op that
/// reads the output, a `maxPool2d(…, appliesReLUMask: true)`, and passes its gradient on as it comes.
public func conv2d(
  _ x: Tensor, weight w: Tensor, bias b: Tensor?, stride: (Int, Int), padding: (Int, Int), relu: Bool = false,
  reluMaskLeftToPool: Bool = false
) throws -> Tensor {
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
  let hasBias: Int32 = b == nil ? 0 : 1
  let planned = atl_conv_engine_for(&s, hasBias)
  // While training, forward keeps what backward would otherwise recompute: the
  // unfolded input (im2col) or the input in oneDNN's layout.
  let recording = Tape.active != nil && (x.requiresGrad || w.requiresGrad)
  let savedSize = Int(atl_conv_saved_size(&s, hasBias, planned))
  let saved = recording && savedSize > 0 ? Storage(count: savedSize, zeroed: false) : nil
  let engine = atl_conv2d_forward(&s, planned, x.data, w.data, b?.data, y.data, saved?.pointer, relu ? 1 : 0)
  let shape = s
  let masking = relu && !reluMaskLeftToPool ? y : nil
  Tape.record(output: y, inputs: [x, w] + (b.map { [$0] } ?? [])) { gradient in
    var s = shape
    let gy = masking.map { maskedByReLU(gradient, output: $0) } ?? gradient
    let dx = x.requiresGrad ? Tensor(uninitialized: x.shape) : nil
    let dw = Tensor(uninitialized: w.shape)
    let db = (b?.requiresGrad ?? false) ? Tensor(uninitialized: [w.shape[0]]) : nil
    atl_conv2d_backward(
      &s, engine, x.data, w.data, gy.data, engine == planned ? saved?.pointer : nil, dx?.data, dw.data, db?.data,
      hasBias)
    return [dx, w.requiresGrad ? dw : nil, db]
  }
  return y
}

/// Transposed convolution: x (N, Cin, H, W), w (Cin, Cout, R, S) as PyTorch's
/// ConvTranspose2d -> (N, Cout, (H-1)·stride - 2·pad + R + outputPadding, …).
public func convTranspose2d(
  _ x: Tensor, weight w: Tensor, bias b: Tensor?, stride: Int, padding: Int, outputPadding: Int
) throws -> Tensor {
  guard x.rank == 4, w.rank == 4, x.shape[1] == w.shape[0] else {
    throw TensorError(
      "deconv expects input (N, \(w.rank == 4 ? w.shape[0] : 0), H, W) but got \(describe(shape: x.shape))")
  }
  let height = (x.shape[2] - 1) * stride - 2 * padding + w.shape[2] + outputPadding
  let width = (x.shape[3] - 1) * stride - 2 * padding + w.shape[3] + outputPadding
  guard height > 0, width > 0, outputPadding < max(stride, 1) else {
    throw TensorError("deconv: input \(describe(shape: x.shape)) gives an empty output")
  }
  try checkAllocation([x.shape[0], w.shape[1], height, width], "deconv")
  // The matching convolution maps (N, Cout, height, width) to x's shape with K = Cin filters.
  var s = atl_conv_shape(
    N: Int32(x.shape[0]), C: Int32(w.shape[1]), H: Int32(height), W: Int32(width), K: Int32(w.shape[0]),
    R: Int32(w.shape[2]), S: Int32(w.shape[3]), stride_h: Int32(stride), stride_w: Int32(stride),
    pad_h: Int32(padding), pad_w: Int32(padding), P: 0, Q: 0)
  _ = atl_conv_output(&s)
  guard Int(s.P) == x.shape[2], Int(s.Q) == x.shape[3] else {
    throw TensorError("deconv: inconsistent geometry for input \(describe(shape: x.shape))")
  }
  let y = Tensor(zeros: [x.shape[0], w.shape[1], height, width])
  atl_conv2d_transpose(&s, x.data, w.data, y.data)
  if let b {
    atl_channel_bias_add(y.data, b.data, Int64(x.shape[0]), Int64(w.shape[1]), Int64(height * width))
  }
  let shape = s
  Tape.record(output: y, inputs: [x, w] + (b.map { [$0] } ?? [])) { gy in
    var s = shape
    // dx is the convolution of gy with w; dw pairs gy (as the conv input) with x (as dout).
    let dx = Tensor(uninitialized: x.shape)
    let engine = atl_conv_engine_for(&s, 0)
    _ = atl_conv2d_forward(&s, engine, gy.data, w.data, nil, dx.data, nil, 0)
    let dw = Tensor(uninitialized: w.shape)
    let db = (b?.requiresGrad ?? false) ? Tensor(zeros: [w.shape[1]]) : nil
    atl_conv2d_backward(&s, engine, gy.data, w.data, x.data, nil, nil, dw.data, nil, 0)
    if let db {
      atl_channel_sums(gy.data, Int64(x.shape[0]), Int64(w.shape[1]), Int64(height * width), db.data)
    }
    return [x.requiresGrad ? dx : nil, w.requiresGrad ? dw : nil, db]
  }
  return y
}
