import Testing

@testable import Tensor

/// A ReLU fused into the conv or batch norm before it gives the values and the
/// gradients of the two ops run one after the other.
@Suite struct FusedReLUTests {
  let base = GradientCheckTests()
  var rng: RandomSource { base.rng }

  func leaf(_ shape: [Int]) -> Tensor { base.leaf(shape) }

  /// Output and the gradients of `inputs` for the loss sum(output * weights).
  func run(_ inputs: [Tensor], weights: Tensor, _ body: () throws -> Tensor) throws -> (Tensor, [Tensor]) {
    for input in inputs { input.grad = nil }
    let tape = Tape()
    let (output, loss) = try tape.recording { () throws -> (Tensor, Tensor) in
      let y = try body()
      return (y, try elementwise(.multiply, y, weights).sum())
    }
    try tape.backward(loss)
    return (output.copy(), inputs.map { $0.grad?.copy() ?? Tensor(zeros: $0.shape) })
  }

  func expectSame(_ a: (Tensor, [Tensor]), _ b: (Tensor, [Tensor])) {
    #expect(maxDifference(a.0, b.0) < 1e-6)
    for (ga, gb) in zip(a.1, b.1) { #expect(maxDifference(ga, gb) < 1e-5) }
  }

  func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
    zip(a.toArray(), b.toArray()).map { abs($0 - $1) }.max() ?? 0
  }

  // Odd sizes, a channel count that is not a block of 8 or 16, and a Winograd-sized one.
  @Test(arguments: [[3, 5, 9, 7, 6], [2, 16, 8, 8, 32]])
  func convolutionWithReLU(_ sizes: [Int]) throws {
    let (n, c, h, w, k) = (sizes[0], sizes[1], sizes[2], sizes[3], sizes[4])
    let x = leaf([n, c, h, w]), weight = leaf([k, c, 3, 3]), bias = leaf([k])
    let weights = Tensor.uniform([n, k, h, w], low: -1, high: 1, rng: rng)
    let fused = try run([x, weight, bias], weights: weights) {
      try conv2d(x, weight: weight, bias: bias, stride: (1, 1), padding: (1, 1), relu: true)
    }
    let separate = try run([x, weight, bias], weights: weights) {
      relu(try conv2d(x, weight: weight, bias: bias, stride: (1, 1), padding: (1, 1)))
    }
    #expect(fused.0.toArray().contains(0) && fused.0.toArray().contains { $0 > 0 })
    expectSame(fused, separate)
  }

  /// The ReLU's mask left to the max pool after it gives the same values bit for bit:
  /// 2x2 windows, overlapping 3x3 ones of stride 2 with odd sizes, a 4x4 one with padding.
  @Test(arguments: [[2, 5, 9, 8, 2, 2, 0], [3, 4, 11, 9, 3, 2, 0], [1, 3, 10, 10, 4, 4, 1]])
  func convolutionWithReLUMaskLeftToPool(_ sizes: [Int]) throws {
    let (n, c, h, w, k) = (sizes[0], sizes[1], sizes[2], sizes[3], 6)
    let window = Window2D(kernel: (sizes[4], sizes[4]), stride: (sizes[5], sizes[5]), padding: (sizes[6], sizes[6]))
    let x = leaf([n, c, h, w]), weight = leaf([k, c, 3, 3]), bias = leaf([k])
    bias[flat: 0] = -20  // a channel that the ReLU zeroes everywhere
    let pooled = try maxPool2d(Tensor(zeros: [n, k, h, w]), window: window).shape
    let weights = Tensor.uniform(pooled, low: -1, high: 1, rng: rng)
    let left = try run([x, weight, bias], weights: weights) {
      let y = try conv2d(
        x, weight: weight, bias: bias, stride: (1, 1), padding: (1, 1), relu: true, reluMaskLeftToPool: true)
      return try maxPool2d(y, window: window, appliesReLUMask: true)
    }
    let separate = try run([x, weight, bias], weights: weights) {
      try maxPool2d(relu(try conv2d(x, weight: weight, bias: bias, stride: (1, 1), padding: (1, 1))), window: window)
    }
    // Some windows are all zero after the ReLU, so the mask has work to do.
    #expect(left.0.toArray().contains(0) && left.0.toArray().contains { $0 > 0 })
    #expect(left.0.toArray() == separate.0.toArray())
    for (a, b) in zip(left.1, separate.1) { #expect(a.toArray() == b.toArray()) }
  }

  @Test func linearWithReLU() throws {
    let x = leaf([5, 7]), weight = leaf([9, 7]), bias = leaf([9])
    let weights = Tensor.uniform([5, 9], low: -1, high: 1, rng: rng)
    let fused = try run([x, weight, bias], weights: weights) { try linear(x, weight: weight, bias: bias, relu: true) }
    let separate = try run([x, weight, bias], weights: weights) { relu(try linear(x, weight: weight, bias: bias)) }
    expectSame(fused, separate)
  }

  @Test(arguments: [true, false]) func batchNormWithReLU(_ training: Bool) throws {
    let x = leaf([4, 3, 5, 5]), gamma = leaf([3]), beta = leaf([3])
    let weights = Tensor.uniform([4, 3, 5, 5], low: -1, high: 1, rng: rng)
    let fused = try run([x, gamma, beta], weights: weights) {
      try batchNorm(
        x, gamma: gamma, beta: beta, running: RunningStatistics(channels: 3), training: training, relu: true)
    }
    let separate = try run([x, gamma, beta], weights: weights) {
      relu(try batchNorm(x, gamma: gamma, beta: beta, running: RunningStatistics(channels: 3), training: training))
    }
    expectSame(fused, separate)
  }

  /// Without a ReLU, a NaN stays a NaN (the divergence guard looks for it).
  @Test func batchNormWithoutReLUKeepsNaN() throws {
    let x = try Tensor([1, .nan, 3, 4], shape: [1, 1, 2, 2])
    let y = try batchNorm(
      x, gamma: Tensor.full([1], 1), beta: Tensor(zeros: [1]), running: RunningStatistics(channels: 1),
      training: false)
    #expect(y[flat: 1].isNaN)
    #expect(y[flat: 0] == 1 / (1 + 1e-5 as Float).squareRoot())
  }

  /// A residual block's add and ReLU in one pass: the same values and gradients as the
  /// two ops, bit for bit, NaNs and exact zeros included; broadcast shapes fall back to
  /// the two ops (the second case checks that fallback runs and gives their result).
  @Test(arguments: [[3, 4, 5, 5], [1, 2, 1, 7]]) func addWithReLU(_ bShape: [Int]) throws {
    let aShape = bShape == [3, 4, 5, 5] ? bShape : [3, 2, 4, 7]
    let a = leaf(aShape), b = leaf(bShape)
    a[flat: 3] = .nan
    a[flat: 5] = -b[flat: 5]  // a sum of exactly zero
    let weights = Tensor.uniform(aShape, low: -1, high: 1, rng: rng)
    let fused = try run([a, b], weights: weights) { try addReLU(a, b) }
    let separate = try run([a, b], weights: weights) { relu(try elementwise(.add, a, b)) }
    #expect(fused.0.toArray().map(\.bitPattern) == separate.0.toArray().map(\.bitPattern))
    for (f, s) in zip(fused.1, separate.1) {
      #expect(f.toArray().map(\.bitPattern) == s.toArray().map(\.bitPattern))
    }
  }
}
