import CKernel

/// Running statistics of a batch norm, updated in training as PyTorch does
/// (momentum 0.1, unbiased variance in the running estimate).
public final class RunningStatistics {
  public let mean: Tensor
  public let variance: Tensor
  public var batches = 0

  public init(channels: Int) {
    mean = Tensor(zeros: [channels])
    variance = Tensor.full([channels], 1)
  }
}

/// Batch normalisation of x (N, C, …) per channel C.
public func batchNorm(
  _ x: Tensor, gamma: Tensor, beta: Tensor, running: RunningStatistics, training: Bool, momentum: Float = 0.1,
  epsilon: Float = 1e-5, relu: Bool = false
) throws -> Tensor {
  guard x.rank >= 2, x.shape[1] == gamma.count else {
    throw TensorError("batchnorm expects (N, \(gamma.count), …) but got \(describe(shape: x.shape))")
  }
  let (n, c) = (x.shape[0], x.shape[1])
  let s = x.count / max(n * c, 1)
  let mean = Tensor(uninitialized: [c]), variance = Tensor(uninitialized: [c])
  if training {
    guard n * s > 1 else {
      throw TensorError("batchnorm needs more than one value per channel to train (got \(describe(shape: x.shape)))")
    }
    atl_batchnorm_stats(x.data, Int64(n), Int64(c), Int64(s), mean.data, variance.data)
    let unbias = Float(n * s) / Float(n * s - 1)
    for i in 0..<c {
      running.mean[flat: i] = (1 - momentum) * running.mean[flat: i] + momentum * mean[flat: i]
      running.variance[flat: i] = (1 - momentum) * running.variance[flat: i] + momentum * variance[flat: i] * unbias
    }
    running.batches += 1
  } else {
    mean.data.update(from: running.mean.data, count: c)
    variance.data.update(from: running.variance.data, count: c)
  }
  let invStd = Tensor(uninitialized: [c])
  for i in 0..<c { invStd[flat: i] = 1 / (variance[flat: i] + epsilon).squareRoot() }
  let y = Tensor(uninitialized: x.shape)
  atl_batchnorm_apply(
    x.data, mean.data, invStd.data, gamma.data, beta.data, Int64(n), Int64(c), Int64(s), y.data, relu ? 1 : 0)
  // With a fused ReLU, y's zeros are where the gradient stops.
  let reluOut = relu ? y.data : nil
  Tape.record(output: y, inputs: [x, gamma, beta]) { gy in
    let dx = x.requiresGrad ? Tensor(uninitialized: x.shape) : nil
    let dgamma = Tensor(zeros: [c]), dbeta = Tensor(zeros: [c])
    if training {
      atl_batchnorm_backward(
        gy.data, x.data, mean.data, invStd.data, gamma.data, Int64(n), Int64(c), Int64(s), dx?.data, dgamma.data,
        dbeta.data,
        reluOut)
    } else {
      // In evaluation the statistics are constants: dx = gy * gamma * inv_std.
      atl_batchnorm_backward(
        gy.data, x.data, mean.data, invStd.data, gamma.data, Int64(n), Int64(c), Int64(s), nil, dgamma.data, dbeta.data,
        reluOut)
      if let dx {
        let scale = Tensor(uninitialized: [c])
        for i in 0..<c { scale[flat: i] = gamma[flat: i] * invStd[flat: i] }
        let zero = Tensor(zeros: [c])
        let passed = relu ? maskedByReLU(gy, output: y) : gy
        atl_batchnorm_apply(
          passed.data, zero.data, scale.data, nil, nil, Int64(n), Int64(c), Int64(s), dx.data, 0)
      }
    }
    return [dx, dgamma, dbeta]
  }
  return y
}
