import CKernel

/// Mean cross-entropy of softmax(logits) against integer class labels, fused.
/// logits (B, C), labels B values in 0..<C -> scalar
public func softmaxCrossEntropy(_ logits: Tensor, labels: [Int32], smoothing: Float = 0) throws -> Tensor {
  guard logits.rank == 2, logits.shape[0] == labels.count else {
    throw TensorError(
      "cross-entropy expects logits (batch, classes) for \(labels.count) labels but got \(describe(shape: logits.shape))"
    )
  }
  let (batch, classes) = (logits.shape[0], logits.shape[1])
  if let bad = labels.first(where: { $0 < 0 || Int($0) >= classes }) {
    throw TensorError(
      "label \(bad) is outside the \(classes) classes the model predicts",
      hint: "the last dense layer needs as many units as there are classes")
  }
  let probs = Tensor(uninitialized: logits.shape)
  let loss = labels.withUnsafeBufferPointer {
    atl_softmax_xent_forward(logits.data, $0.baseAddress, probs.data, Int64(batch), Int64(classes), smoothing)
  }
  let out = Tensor.scalar(Float(loss))
  Tape.record(output: out, inputs: [logits]) { g in
    let dlogits = Tensor(uninitialized: logits.shape)
    labels.withUnsafeBufferPointer {
      atl_softmax_xent_backward(
        probs.data, $0.baseAddress, dlogits.data, Int64(batch), Int64(classes),
        g.scalarValue / Float(batch), smoothing)
    }
    return [dlogits]
  }
  return out
}

/// How a loss over many values is reduced to one.
public enum Reduction: String, CaseIterable {
  case mean, sum
}

private func reduced(_ total: Double, count: Int, _ reduction: Reduction) -> (value: Float, scale: Float) {
  let scale: Float = reduction == .mean ? 1 / Float(max(count, 1)) : 1
  return (Float(total) * scale, scale)
}

/// Binary cross-entropy of probabilities (or logits) against targets in [0, 1].
public func binaryCrossEntropy(_ p: Tensor, _ t: Tensor, fromLogits: Bool = false, reduction: Reduction = .mean) throws
  -> Tensor
{
  guard p.count == t.count else {
    throw TensorError(
      "bce: predictions \(describe(shape: p.shape)) and targets \(describe(shape: t.shape)) differ in size")
  }
  let (value, scale) = reduced(
    atl_bce_forward(p.data, t.data, Int64(p.count), fromLogits ? 1 : 0), count: p.count, reduction)
  let out = Tensor.scalar(value)
  Tape.record(output: out, inputs: [p]) { g in
    let dp = Tensor(uninitialized: p.shape)
    atl_bce_backward(p.data, t.data, dp.data, Int64(p.count), fromLogits ? 1 : 0, scale * g.scalarValue)
    return [dp]
  }
  return out
}

/// Mean (or summed) squared error.
public func meanSquaredError(_ a: Tensor, _ b: Tensor, reduction: Reduction = .mean) throws -> Tensor {
  guard a.count == b.count else {
    throw TensorError("mse: \(describe(shape: a.shape)) and \(describe(shape: b.shape)) differ in size")
  }
  let (value, scale) = reduced(atl_mse_forward(a.data, b.data, Int64(a.count)), count: a.count, reduction)
  let out = Tensor.scalar(value)
  Tape.record(output: out, inputs: [a, b]) { g in
    let da = Tensor(uninitialized: a.shape)
    atl_mse_backward(a.data, b.data, da.data, Int64(a.count), scale * g.scalarValue)
    return [da, b.requiresGrad ? da.scaled(by: -1) : nil]
  }
  return out
}

/// KL divergence of N(mu, exp(logvar)) from N(0, I): summed over latent
/// dimensions and averaged over the batch (the first dimension) by default.
public func gaussianKL(mu: Tensor, logvar: Tensor, reduction: Reduction = .mean) throws -> Tensor {
  guard mu.shape == logvar.shape else {
    throw TensorError("kl: mu \(describe(shape: mu.shape)) and logvar \(describe(shape: logvar.shape)) differ")
  }
  let batch = mu.shape.first ?? 1
  let scale: Float = reduction == .mean ? 1 / Float(max(batch, 1)) : 1
  let out = Tensor.scalar(Float(atl_gaussian_kl_forward(mu.data, logvar.data, Int64(mu.count))) * scale)
  Tape.record(output: out, inputs: [mu, logvar]) { g in
    let dmu = Tensor(uninitialized: mu.shape), dlogvar = Tensor(uninitialized: logvar.shape)
    atl_gaussian_kl_backward(mu.data, logvar.data, dmu.data, dlogvar.data, Int64(mu.count), scale * g.scalarValue)
    return [dmu, dlogvar]
  }
  return out
}
