import Foundation
import Testing

@testable import Tensor

/// Finite-difference checks: for L(inputs) = Σ op(inputs) ⊙ G with a fixed random G,
/// the tape's gradients must match central differences of L.
@Suite struct GradientCheckTests {
  let rng = RandomSource(seed: 7)

  func leaf(_ shape: [Int]) -> Tensor {
    let t = Tensor.uniform(shape, low: -1, high: 1, rng: rng)
    t.requiresGrad = true
    return t
  }

  /// Compares analytic and numerical gradients of every input; returns the worst relative error.
  func check(_ inputs: [Tensor], epsilon: Float = 1e-2, _ op: @escaping () throws -> Tensor) throws -> Float {
    for input in inputs { input.grad = nil }
    let output = try Tape.withoutRecording(op)
    let seed = Tensor.uniform(output.shape, low: -1, high: 1, rng: rng)
    let objective = { () throws -> Double in
      let out = try Tape.withoutRecording(op)
      return zip(out.toArray(), seed.toArray()).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
    let tape = Tape()
    let recorded = try tape.recording(op)
    try tape.backward(recorded, seed: seed)
    var worst: Float = 0
    for input in inputs {
      let analytic = try #require(input.grad).toArray()
      var numeric = [Float](repeating: 0, count: input.count)
      for i in 0..<input.count {
        let saved = input[flat: i]
        input[flat: i] = saved + epsilon
        let up = try objective()
        input[flat: i] = saved - epsilon
        let down = try objective()
        input[flat: i] = saved
        numeric[i] = Float((up - down) / Double(2 * epsilon))
      }
      let scale = max(numeric.map(abs).max() ?? 0, 1e-3)
      worst = max(worst, zip(analytic, numeric).map { abs($0 - $1) }.max()! / scale)
    }
    return worst
  }

  @Test func conv2dWithStrideAndPadding() throws {
    let x = leaf([2, 3, 7, 6]), w = leaf([4, 3, 3, 3]), b = leaf([4])
    #expect(try check([x, w, b]) { try conv2d(x, weight: w, bias: b, stride: (2, 1), padding: (1, 1)) } < 1e-2)
  }

  @Test func linearLayer() throws {
    let x = leaf([3, 5]), w = leaf([4, 5]), b = leaf([4])
    #expect(try check([x, w, b]) { try linear(x, weight: w, bias: b) } < 1e-2)
  }

  @Test func maxPoolWithPadding() throws {
    let x = leaf([2, 2, 6, 6])
    #expect(
      try check([x], epsilon: 1e-3) {
        try maxPool2d(x, window: Window2D(kernel: (3, 3), stride: (2, 2), padding: (1, 1)))
      } < 1e-2)
  }

  @Test func reluAndReshape() throws {
    let x = leaf([4, 3, 2])
    #expect(try check([x], epsilon: 1e-3) { try relu(x).reshaped([4, -1]) } < 1e-2)
  }

  @Test func softmaxCrossEntropyLoss() throws {
    let z = leaf([5, 4])
    #expect(try check([z], epsilon: 1e-2) { try softmaxCrossEntropy(z, labels: [0, 3, 1, 1, 2]) } < 1e-2)
  }

  @Test func sumMeanAddScale() throws {
    let a = leaf([3, 4]), b = leaf([3, 4])
    #expect(try check([a, b]) { a.adding(b).scaled(by: 3).sum().adding(a.mean()) } < 1e-2)
  }

  @Test func gradientsAccumulateWhereATensorIsUsedTwice() throws {
    let x = leaf([2, 3])
    let tape = Tape()
    let loss = tape.recording { x.adding(x).sum() }
    try tape.backward(loss)
    #expect(x.grad?.toArray() == [Float](repeating: 2, count: 6))
  }
}
