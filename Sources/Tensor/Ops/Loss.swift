import CKernel

/// Mean cross-entropy of softmax(logits) against integer class labels, fused.
/// logits (B, C), labels B values in 0..<C -> scalar
public func softmaxCrossEntropy(_ logits: Tensor, labels: [Int32]) throws -> Tensor {
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
    atl_softmax_xent_forward(logits.data, $0.baseAddress, probs.data, Int64(batch), Int64(classes))
  }
  let out = Tensor.scalar(Float(loss))
  Tape.record(output: out, inputs: [logits]) { g in
    let dlogits = Tensor(uninitialized: logits.shape)
    labels.withUnsafeBufferPointer {
      atl_softmax_xent_backward(
        probs.data, $0.baseAddress, dlogits.data, Int64(batch), Int64(classes),
        g.scalarValue / Float(batch))
    }
    return [dlogits]
  }
  return out
}
