import Data
import Foundation
import Testing

@testable import NN
@testable import Tensor

/// Fixtures written by bench/crosscheck_torch.py from PyTorch: the same networks,
/// weights and batch must give the same logits, loss, gradients and updates.
@Suite struct CrossCheckTests {
  static func smallNet() throws -> Sequential {
    try Sequential([
      try Conv2d(filters: 8, kernel: 3, padding: 1), BatchNorm(), Activation(.relu), try AvgPool2d(kernel: 2),
      try Residual([
        try Conv2d(filters: 8, kernel: 3, padding: 1), BatchNorm(), Activation(.relu),
        try Conv2d(filters: 8, kernel: 3, padding: 1),
        BatchNorm(),
      ]),
      try Residual([
        try Conv2d(filters: 16, kernel: 3, stride: 2, padding: 1), BatchNorm(), Activation(.relu),
        try Conv2d(filters: 16, kernel: 3, padding: 1), BatchNorm(),
      ]),
      GlobalAvgPool(), try Linear(units: 10),
    ])
  }

  /// Largest difference relative to the reference's largest value.
  static func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
    let scale = max(b.toArray().map(abs).max() ?? 0, 1e-12)
    return zip(a.toArray(), b.toArray()).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
  }

  static func absoluteError(_ a: Tensor, _ b: Tensor) -> Float {
    zip(a.toArray(), b.toArray()).map { abs($0 - $1) }.max() ?? 0
  }

  @Test(arguments: ["lenet", "small"]) func matchesPyTorch(_ name: String) throws {
    let file = try SafeTensors.read("\(fixtures)/crosscheck_\(name).safetensors")
    let t = file.tensors
    let net = name == "lenet" ? try lenet5() : try CrossCheckTests.smallNet()
    try net.build(inputShape: [1, 28, 28], rng: RandomSource(seed: 1))
    try Checkpoint.assign(t, prefix: "w.", to: net, path: "fixture")
    let x = try #require(t["x"]), labels = try #require(t["y"]).toArray().map { Int32($0) }

    let tape = Tape()
    let (logits, loss) = try tape.recording { () throws -> (Tensor, Tensor) in
      let logits = try net.forward(x, training: true)
      return (logits, try softmaxCrossEntropy(logits, labels: labels))
    }
    #expect(CrossCheckTests.relativeError(logits, try #require(t["logits"])) < 1e-4)
    #expect(abs(loss.scalarValue - (try #require(t["loss"])).scalarValue) / loss.scalarValue < 1e-4)
    try tape.backward(loss)
    let parameters = net.namedParameters
    #expect(parameters.count == t.keys.filter { $0.hasPrefix("g.") }.count)
    // A conv bias followed by batch norm has a gradient that is zero but for float32
    // rounding (~1e-6 in PyTorch, ~1e-7 here); such tensors are compared absolutely.
    for (path, p) in parameters {
      let reference = try #require(t["g.\(path)"], "PyTorch has no gradient named \(path)")
      let grad = try #require(p.grad)
      let noiseOnly = (reference.toArray().map(abs).max() ?? 0) < 1e-5
      let close =
        noiseOnly
        ? CrossCheckTests.absoluteError(grad, reference) < 1e-5 : CrossCheckTests.relativeError(grad, reference) < 1e-3
      #expect(close, "gradient of \(path)")
    }
    for (path, buffer) in net.namedState where path.contains("running") {
      #expect(CrossCheckTests.relativeError(buffer, try #require(t["running.\(path)"])) < 1e-4, "\(path)")
    }

    // One optimizer step from the same weights and gradients.
    let grads = parameters.map { $0.tensor.grad?.copy() }
    let initial = parameters.map { $0.tensor.copy() }
    for (label, optimizer) in [
      ("sgd", SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 1e-3) as Optimizer),
      ("adam", Adam(learningRate: 1e-3)),
    ] {
      for ((_, p), (start, g)) in zip(parameters, zip(initial, grads)) {
        p.data.update(from: start.data, count: p.count)
        p.grad = g?.copy()
      }
      optimizer.step(parameters.map(\.tensor))
      for (path, p) in parameters {
        // Adam normalises a rounding-noise gradient (see above) into a full-size step whose sign
        // is noise in either framework, so such parameters are compared for SGD only.
        let noiseOnly = (t["g.\(path)"]?.toArray().map(abs).max() ?? 0) < 1e-5
        if label == "adam", noiseOnly { continue }
        #expect(
          CrossCheckTests.absoluteError(p, try #require(t["\(label).\(path)"])) < 1e-5, "\(label) update of \(path)")
      }
    }
  }
}
