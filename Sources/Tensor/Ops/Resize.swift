import CKernel

/// Bilinear resize of (N, C, H, W) to (N, C, height, width), as PyTorch's
/// `interpolate(mode="bilinear", align_corners=False)`.
public func resizeBilinear(_ x: Tensor, height: Int, width: Int) throws -> Tensor {
  guard x.rank == 4, height > 0, width > 0 else {
    throw TensorError("resize expects (N, C, H, W) and a positive size, got \(describe(shape: x.shape))")
  }
  try checkAllocation([x.shape[0], x.shape[1], height, width], "resize")
  let planes = Int64(x.shape[0] * x.shape[1])
  let (h, w) = (Int32(x.shape[2]), Int32(x.shape[3]))
  let y = Tensor(uninitialized: [x.shape[0], x.shape[1], height, width])
  atl_resize_bilinear(x.data, planes, h, w, y.data, Int32(height), Int32(width))
  Tape.record(output: y, inputs: [x]) { gy in
    let dx = Tensor(uninitialized: x.shape)
    atl_resize_bilinear_backward(gy.data, planes, h, w, dx.data, Int32(height), Int32(width))
    return [dx]
  }
  return y
}

/// Zero padding of the last two dimensions: (top, left, bottom, right).
public func zeroPad(_ x: Tensor, top: Int, left: Int, bottom: Int, right: Int) throws -> Tensor {
  guard x.rank == 4, top >= 0, left >= 0, bottom >= 0, right >= 0 else {
    throw TensorError("pad expects (N, C, H, W) and padding ≥ 0, got \(describe(shape: x.shape))")
  }
  let planes = Int64(x.shape[0] * x.shape[1])
  let (h, w) = (x.shape[2], x.shape[3])
  let shape = [x.shape[0], x.shape[1], h + top + bottom, w + left + right]
  try checkAllocation(shape, "pad")
  let y = Tensor(uninitialized: shape)
  atl_pad_planes(x.data, planes, Int32(h), Int32(w), Int32(top), Int32(left), Int32(bottom), Int32(right), y.data)
  Tape.record(output: y, inputs: [x]) { gy in
    let dx = Tensor(uninitialized: x.shape)
    atl_pad_planes_backward(
      gy.data, planes, Int32(h), Int32(w), Int32(top), Int32(left), Int32(bottom), Int32(right), dx.data)
    return [dx]
  }
  return y
}
