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
