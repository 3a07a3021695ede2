import CKernel
import Foundation
import Testing

/// The two ways of summing t-SNE's repulsion against the O(n^2) sums they approximate.
@Suite struct TSNEGradientTests {
  /// Three clusters and a scatter, some 40 units across, like a map midway through a fit.
  static func embedding(_ n: Int) -> [Float] {
    var rng = atl_rng()
    atl_rng_seed(&rng, 7)
    var y = [Float](repeating: 0, count: 2 * n)
    atl_rng_normal(&rng, &y, Int64(2 * n), 0, 3)
    let centres: [(Float, Float)] = [(-15, 5), (12, 10), (0, -14), (0, 0)]
    for i in 0..<n {
      let (cx, cy) = centres[i % 4]
      let spread: Float = i % 4 == 3 ? 4 : 1
      y[2 * i] = cx + spread * y[2 * i]
      y[2 * i + 1] = cy + spread * y[2 * i + 1]
    }
    return y
  }

  static func exact(_ y: [Float], dof: Double) -> (force: [Double], z: Double) {
    let n = y.count / 2
    var force = [Double](repeating: 0, count: 2 * n)
    var z = 0.0
    for i in 0..<n {
      for j in 0..<n where j != i {
        let dx = Double(y[2 * i] - y[2 * j]), dy = Double(y[2 * i + 1] - y[2 * j + 1])
        let w = 1 / (1 + (dx * dx + dy * dy) / dof)
        let k = pow(w, dof)
        z += k
        force[2 * i] += k * w * dx
        force[2 * i + 1] += k * w * dy
      }
    }
    return (force, z)
  }

  static func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    let difference = zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
    return (difference / b.map { $0 * $0 }.reduce(0, +)).squareRoot()
  }

  static func repulsion(_ y: [Float], method: Int32, theta: Double, dof: Double) -> (force: [Double], z: Double) {
    var force = [Double](repeating: 0, count: y.count)
    var z = 0.0
    #expect(atl_tsne_repulsion(y, Int64(y.count / 2), method, theta, dof, &force, &z) == 0)
    return (force, z)
  }

  @Test(arguments: [1.0, 0.5, 3.0])
  func fftInterpolationMatchesTheExactSums(dof: Double) {
    let y = Self.embedding(1_500)
    let reference = Self.exact(y, dof: dof)
    let fft = Self.repulsion(y, method: ATL_TSNE_FFT, theta: 0, dof: dof)
    // Three nodes per box of one unit: a few percent, as openTSNE's defaults.
    #expect(Self.relativeError(fft.force, reference.force) < 0.05)
    #expect(abs(fft.z - reference.z) / reference.z < 0.01)
  }

  @Test func barnesHutIsExactAtThetaZeroAndCloseAtOneHalf() {
    let y = Self.embedding(1_000)
    let reference = Self.exact(y, dof: 1)
    let exact = Self.repulsion(y, method: ATL_TSNE_BARNES_HUT, theta: 0, dof: 1)
    #expect(Self.relativeError(exact.force, reference.force) < 1e-7)
    #expect(abs(exact.z - reference.z) / reference.z < 1e-9)
    let half = Self.repulsion(y, method: ATL_TSNE_BARNES_HUT, theta: 0.5, dof: 1)
    #expect(Self.relativeError(half.force, reference.force) < 0.03)
    #expect(abs(half.z - reference.z) / reference.z < 0.01)
    let heavy = Self.repulsion(y, method: ATL_TSNE_BARNES_HUT, theta: 0, dof: 0.5)
    #expect(Self.relativeError(heavy.force, Self.exact(y, dof: 0.5).force) < 1e-7)
  }

  /// Every point at the same place, and two points: no division by a zero extent.
  @Test func degenerateEmbeddingsGiveFiniteSums() {
    for y in [[Float](repeating: 3, count: 200), [0, 0, 1, 1]] {
      for method in [ATL_TSNE_FFT, ATL_TSNE_BARNES_HUT] {
        let r = Self.repulsion(y, method: method, theta: 0.5, dof: 1)
        #expect(r.force.allSatisfy(\.isFinite) && r.z.isFinite)
      }
    }
  }
}
