import Foundation
import Testing

@testable import Tensor

/// Training-mode batch norm against the textbook formulas in double precision, on
/// shapes that split the kernel's channel blocks: many channels of tiny planes, and
/// planes too large for more than one channel per block.
@Suite struct BatchNormReferenceTests {
  struct Reference {
    var y: [Double], dx: [Double], dgamma: [Double], dbeta: [Double]
  }

  func reference(x: [Float], gamma: [Float], beta: [Float], seed: [Float], shape: [Int], relu: Bool) -> Reference {
    let (n, c) = (shape[0], shape[1])
    let s = x.count / (n * c)
    var out = Reference(
      y: [Double](repeating: 0, count: x.count), dx: [Double](repeating: 0, count: x.count),
      dgamma: [Double](repeating: 0, count: c), dbeta: [Double](repeating: 0, count: c))
    let m = Double(n * s)
    for ch in 0..<c {
      let indices = (0..<n).flatMap { b in (0..<s).map { (b * c + ch) * s + $0 } }
      let mean = indices.map { Double(x[$0]) }.reduce(0, +) / m
      let variance = indices.map { (Double(x[$0]) - mean) * (Double(x[$0]) - mean) }.reduce(0, +) / m
      let inv = 1 / (variance + 1e-5).squareRoot()
      var gy = [Double](repeating: 0, count: x.count)
      for i in indices {
        let xhat = (Double(x[i]) - mean) * inv
        let pre = Double(gamma[ch]) * xhat + Double(beta[ch])
        out.y[i] = relu ? max(pre, 0) : pre
        gy[i] = relu && pre <= 0 ? 0 : Double(seed[i])
        out.dbeta[ch] += gy[i]
        out.dgamma[ch] += gy[i] * xhat
      }
      for i in indices {
        let xhat = (Double(x[i]) - mean) * inv
        out.dx[i] = Double(gamma[ch]) * inv / m * (m * gy[i] - out.dbeta[ch] - xhat * out.dgamma[ch])
      }
    }
    return out
  }

  func worstError(_ got: [Float], _ want: [Double]) -> Double {
    let scale = max(want.map(abs).max() ?? 0, 1e-3)
    return zip(got, want).map { abs(Double($0) - $1) }.max()! / scale
  }

  @Test(arguments: [[3, 140, 1, 2], [2, 3, 110, 110], [5, 70, 3, 3], [3, 130, 4, 5]], [false, true])
  func matchesTheFormulas(shape: [Int], relu: Bool) throws {
    let rng = RandomSource(seed: 7)
    let x = Tensor.uniform(shape, low: -2, high: 3, rng: rng)
    let gamma = Tensor.uniform([shape[1]], low: 0.5, high: 1.5, rng: rng)
    let beta = Tensor.uniform([shape[1]], low: -0.5, high: 0.5, rng: rng)
    for t in [x, gamma, beta] { t.requiresGrad = true }
    let seed = Tensor.uniform(shape, low: -1, high: 1, rng: rng)
    let tape = Tape()
    let y = try tape.recording {
      try batchNorm(
        x, gamma: gamma, beta: beta, running: RunningStatistics(channels: shape[1]), training: true, relu: relu)
    }
    try tape.backward(y, seed: seed)
    let want = reference(
      x: x.toArray(), gamma: gamma.toArray(), beta: beta.toArray(), seed: seed.toArray(), shape: shape, relu: relu)
    #expect(worstError(y.toArray(), want.y) < 1e-5)
    #expect(worstError(try #require(x.grad).toArray(), want.dx) < 1e-4)
    #expect(worstError(try #require(gamma.grad).toArray(), want.dgamma) < 1e-4)
    #expect(worstError(try #require(beta.grad).toArray(), want.dbeta) < 1e-4)
  }
}
