import Foundation
import Testing

@testable import Tensor

/// Finite-difference checks of the ops added for the full toolkit.
@Suite struct MoreGradientChecks {
  let base = GradientCheckTests()

  func leaf(_ shape: [Int], low: Float = -1, high: Float = 1) -> Tensor {
    let t = Tensor.uniform(shape, low: low, high: high, rng: base.rng)
    t.requiresGrad = true
    return t
  }

  @Test func batchNormTraining() throws {
    let x = leaf([4, 3, 2, 2]), gamma = leaf([3]), beta = leaf([3])
    let running = RunningStatistics(channels: 3)
    #expect(
      try base.check([x, gamma, beta], epsilon: 1e-2) {
        try batchNorm(x, gamma: gamma, beta: beta, running: running, training: true)
      } < 2e-2)
  }

  @Test func batchNormEvaluation() throws {
    let x = leaf([3, 2, 2, 2]), gamma = leaf([2]), beta = leaf([2])
    let running = RunningStatistics(channels: 2)
    running.mean[flat: 0] = 0.3
    running.variance[flat: 1] = 2
    #expect(
      try base.check([x, gamma, beta]) {
        try batchNorm(x, gamma: gamma, beta: beta, running: running, training: false)
      } < 1e-2)
  }

  @Test func averagePoolingWithPadding() throws {
    let x = leaf([2, 2, 7, 7])
    #expect(
      try base.check([x]) { try avgPool2d(x, window: Window2D(kernel: (4, 4), stride: (2, 2), padding: (2, 2))) } < 1e-2
    )
  }

  @Test func transposedConvolution() throws {
    let x = leaf([2, 3, 4, 4]), w = leaf([3, 2, 3, 3]), b = leaf([2])
    #expect(
      try base.check([x, w, b]) {
        try convTranspose2d(x, weight: w, bias: b, stride: 2, padding: 1, outputPadding: 1)
      } < 1e-2)
  }

  @Test func bilinearResizeAndPadding() throws {
    let x = leaf([1, 2, 5, 5])
    #expect(try base.check([x]) { try resizeBilinear(x, height: 8, width: 7) } < 1e-2)
    #expect(try base.check([x]) { try zeroPad(x, top: 1, left: 2, bottom: 0, right: 3) } < 1e-2)
  }

  @Test(arguments: [Pointwise.leakyRelu, .elu, .gelu, .tanh, .sigmoid, .exp, .square, .abs])
  func pointwiseFunctions(_ kind: Pointwise) throws {
    let x = leaf([3, 5])
    #expect(try base.check([x], epsilon: 1e-3) { pointwise(kind, x, alpha: 0.2) } < 2e-2)
  }

  @Test func logAndSqrtOnPositiveInputs() throws {
    let x = leaf([4, 4], low: 0.5, high: 2)
    #expect(try base.check([x], epsilon: 1e-3) { pointwise(.log, x) } < 2e-2)
    #expect(try base.check([x], epsilon: 1e-3) { pointwise(.sqrt, x) } < 2e-2)
  }

  @Test func softmaxRows() throws {
    let x = leaf([3, 4])
    #expect(try base.check([x]) { softmax(x) } < 1e-2)
  }

  @Test func lossesWithGradients() throws {
    let p = leaf([6], low: 0.05, high: 0.95), t = Tensor.uniform([6], low: 0, high: 1, rng: base.rng)
    #expect(try base.check([p], epsilon: 1e-3) { try binaryCrossEntropy(p, t) } < 2e-2)
    let z = leaf([6], low: -3, high: 3)
    #expect(
      try base.check([z], epsilon: 1e-3) { try binaryCrossEntropy(z, t, fromLogits: true, reduction: .sum) } < 2e-2)
    let a = leaf([2, 3]), b = leaf([2, 3])
    #expect(try base.check([a, b]) { try meanSquaredError(a, b) } < 1e-2)
    let mu = leaf([3, 2]), logvar = leaf([3, 2])
    #expect(try base.check([mu, logvar], epsilon: 1e-3) { try gaussianKL(mu: mu, logvar: logvar) } < 2e-2)
    let logits = leaf([4, 5])
    #expect(try base.check([logits]) { try softmaxCrossEntropy(logits, labels: [0, 4, 2, 2], smoothing: 0.1) } < 1e-2)
  }

  @Test func broadcastArithmeticRowsAndTranspose() throws {
    let a = leaf([3, 4]), b = leaf([4]), c = leaf([3, 1], low: 1, high: 2)
    #expect(try base.check([a, b, c]) { try elementwise(.divide, try elementwise(.multiply, a, b), c) } < 1e-2)
    #expect(try base.check([a, b]) { try elementwise(.subtract, a, b) } < 1e-2)
    #expect(try base.check([a]) { try a.rows(1, 3).transposed() } < 1e-2)
  }
}

/// Forward values of the new ops against definitions written out by hand.
@Suite struct ToolkitReferenceTests {
  @Test func batchNormNormalisesEachChannel() throws {
    let x = Tensor.uniform([8, 2, 3, 3], low: -2, high: 5, rng: RandomSource(seed: 1))
    let running = RunningStatistics(channels: 2)
    let y = try batchNorm(x, gamma: Tensor.full([2], 1), beta: Tensor.full([2], 0), running: running, training: true)
    for c in 0..<2 {
      var values: [Double] = []
      for n in 0..<8 { for s in 0..<9 { values.append(Double(y[flat: (n * 2 + c) * 9 + s])) } }
      let mean = values.reduce(0, +) / Double(values.count)
      let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
      #expect(abs(mean) < 1e-5 && abs(variance - 1) < 1e-3)
    }
    // PyTorch: running = 0.9 * running + 0.1 * batch statistic (unbiased variance).
    var xs: [Double] = []
    for n in 0..<8 { for s in 0..<9 { xs.append(Double(x[flat: n * 18 + s])) } }
    let m = xs.reduce(0, +) / 72
    let unbiased = xs.map { ($0 - m) * ($0 - m) }.reduce(0, +) / 71
    #expect(abs(Double(running.mean[flat: 0]) - 0.1 * m) < 1e-5)
    #expect(abs(Double(running.variance[flat: 0]) - (0.9 + 0.1 * unbiased)) < 1e-4)
  }

  @Test func averagePoolingCountsPadding() throws {
    let x = try Tensor((1...16).map(Float.init), shape: [1, 1, 4, 4])
    let y = try avgPool2d(x, window: Window2D(kernel: (2, 2), stride: (2, 2), padding: (1, 1)))
    // Top-left window covers only x[0][0] = 1 of its 4 cells.
    #expect(y.shape == [1, 1, 3, 3])
    #expect(y[flat: 0] == 0.25)
    #expect(y[flat: 4] == Float(6 + 7 + 10 + 11) / 4)
  }

  @Test func transposedConvolutionScattersEachInput() throws {
    // One input pixel of value 2 at (0, 0) stamps 2 * w at the top-left corner.
    let x = try Tensor([2, 0, 0, 0], shape: [1, 1, 2, 2])
    let w = try Tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], shape: [1, 1, 3, 3])
    let y = try convTranspose2d(x, weight: w, bias: nil, stride: 2, padding: 0, outputPadding: 0)
    #expect(y.shape == [1, 1, 5, 5])
    #expect(Array(y.toArray()[0..<3]) == [2, 4, 6])
    #expect(Array(y.toArray()[5..<8]) == [8, 10, 12])
    #expect(y[flat: 3] == 0)
  }

  @Test func bilinearResizeOfAConstantIsConstantAndMatchesPyTorchOnARamp() throws {
    let x = Tensor.full([1, 1, 3, 3], 2)
    #expect(try resizeBilinear(x, height: 7, width: 5).toArray().allSatisfy { abs($0 - 2) < 1e-6 })
    // torch.nn.functional.interpolate(tensor([[[[0., 1.]]]]), size=(1, 4), mode="bilinear") = [0, .25, .75, 1]
    let ramp = try Tensor([0, 1], shape: [1, 1, 1, 2])
    #expect(try resizeBilinear(ramp, height: 1, width: 4).toArray() == [0, 0.25, 0.75, 1])
  }

  @Test func pointwiseValues() {
    let x = (try? Tensor([-2, -0.5, 0.5, 2], shape: [4])) ?? Tensor(zeros: [4])
    let values = x.toArray().map(Double.init)
    func close(_ kind: Pointwise, alpha: Float = 0, _ f: (Double) -> Double) -> Bool {
      zip(pointwise(kind, x, alpha: alpha).toArray(), values.map(f)).allSatisfy { abs(Double($0) - $1) < 1e-5 }
    }
    #expect(close(.leakyRelu, alpha: 0.1) { $0 > 0 ? $0 : 0.1 * $0 })
    #expect(close(.elu, alpha: 1) { $0 > 0 ? $0 : Foundation.exp($0) - 1 })
    #expect(close(.gelu) { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) })
    #expect(close(.tanh) { Foundation.tanh($0) })
    #expect(close(.sigmoid) { 1 / (1 + Foundation.exp(-$0)) })
    let p = softmax(x).toArray().map(Double.init)
    let e = values.map { Foundation.exp($0) }
    #expect(zip(p, e.map { $0 / e.reduce(0, +) }).allSatisfy { abs($0 - $1) < 1e-6 })
  }

  @Test func lossValuesAgainstClosedForms() throws {
    let p = try Tensor([0.9, 0.2], shape: [2]), t = try Tensor([1, 0], shape: [2])
    let bce = try binaryCrossEntropy(p, t).scalarValue
    #expect(abs(Double(bce) - (-(Foundation.log(0.9) + Foundation.log(0.8)) / 2)) < 1e-6)
    let z = try Tensor([2, -1], shape: [2])
    let sig = [1 / (1 + Foundation.exp(-2.0)), 1 / (1 + Foundation.exp(1.0))]
    let bceLogits = try binaryCrossEntropy(z, t, fromLogits: true).scalarValue
    #expect(abs(Double(bceLogits) - (-(Foundation.log(sig[0]) + Foundation.log(1 - sig[1])) / 2)) < 1e-6)
    #expect(try binaryCrossEntropy(try Tensor([0, 1], shape: [2]), t).scalarValue == 100)  // log clamped at -100
    #expect(abs(try meanSquaredError(p, t).scalarValue - 0.025) < 1e-7)
    let mu = try Tensor([1, 0], shape: [1, 2]), logvar = try Tensor([0, 1], shape: [1, 2])
    let kl = -0.5 * ((1 + 0 - 1 - 1) + (1 + 1 - 0 - Foundation.exp(1.0)))
    #expect(abs(Double(try gaussianKL(mu: mu, logvar: logvar).scalarValue) - kl) < 1e-6)
    // Label smoothing 0.1 over 4 classes, uniform logits: loss = log 4 whatever the label.
    let uniform = Tensor(zeros: [1, 4])
    #expect(
      abs(Double(try softmaxCrossEntropy(uniform, labels: [2], smoothing: 0.1).scalarValue) - Foundation.log(4.0))
        < 1e-6)
  }
}
