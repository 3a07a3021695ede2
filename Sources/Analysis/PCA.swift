import CKernel
import Tensor

/// Principal components from the sample covariance (OpenBLAS) and its
/// eigen-decomposition (LAPACK dsyevd), as scikit-learn's PCA defines them.
public struct PCA {
  public let mean: [Double]
  /// (k, d), one component per row, largest variance first, signs as scikit-learn's svd_flip
  public let components: Tensor
  public let explainedVariance: [Double]
  public let explainedVarianceRatio: [Double]

  public init(fitting x: Tensor, components k: Int) throws {
    guard x.rank == 2, x.shape[0] > 1 else {
      throw TensorError("pca needs points (n, d) with n > 1, got \(describe(shape: x.shape))")
    }
    let (n, d) = (x.shape[0], x.shape[1])
    guard k >= 1, k <= d else { throw TensorError("pca: k must be between 1 and \(d), got \(k)") }
    // The covariance is d × d doubles, and each thread sums into a block as large.
    try MemoryBudget.check(
      shape: [Int(atl_threads()) + 1, d, d], bytesPerElement: 8, for: "pca: the \(d) × \(d) covariance")
    var mean = [Double](repeating: 0, count: d), values = [Double](repeating: 0, count: k)
    var vectors = [Double](repeating: 0, count: d * k), total = 0.0
    let status = atl_pca(x.data, Int64(n), Int64(d), Int64(k), &mean, &total, &values, &vectors)
    if status == ATL_INTERRUPTED {
      atl_interrupt_clear()
      throw TensorError("pca interrupted")
    }
    guard status == 0 else { throw TensorError("pca: the eigen-decomposition failed (LAPACK status \(status))") }
    // Eigenvalues come ascending: the largest variance is the last column.
    let order = Array((0..<k).reversed())
    let components = Tensor(uninitialized: [k, d])
    for (row, column) in order.enumerated() {
      // svd_flip: the entry of largest magnitude in each component is positive.
      var largest = 0.0
      for i in 0..<d where abs(vectors[i * k + column]) > abs(largest) { largest = vectors[i * k + column] }
      let sign: Double = largest < 0 ? -1 : 1
      for i in 0..<d { components[flat: row * d + i] = Float(sign * vectors[i * k + column]) }
    }
    self.mean = mean
    self.components = components
    explainedVariance = order.map { max(values[$0], 0) }
    explainedVarianceRatio = explainedVariance.map { total > 0 ? $0 / total : 0 }
  }

  /// A PCA fitted before, put back as it was (the replay cache keeps UMAP maps).
  public init(mean: [Double], components: Tensor, explainedVariance: [Double], explainedVarianceRatio: [Double]) throws
  {
    guard components.rank == 2, components.shape[1] == mean.count, explainedVariance.count == components.shape[0],
      explainedVarianceRatio.count == components.shape[0]
    else { throw TensorError("pca: a kept PCA does not fit together") }
    self.mean = mean
    self.components = components
    self.explainedVariance = explainedVariance
    self.explainedVarianceRatio = explainedVarianceRatio
  }

  /// (x - mean) · componentsᵀ, divided by each component's standard deviation when whitening.
  public func transform(_ x: Tensor, whiten: Bool = false) throws -> Tensor {
    let (n, d, k) = (x.shape[0], x.shape[1], components.shape[0])
    let centred = try elementwise(.subtract, x, try Tensor(mean.map(Float.init), shape: [d]))
    let out = Tensor(uninitialized: [n, k])
    atl_sgemm(
      0, 1, Int64(n), Int64(k), Int64(d), 1, centred.data, Int64(d), components.data, Int64(d), 0, out.data, Int64(k))
    if whiten {
      let scale = try Tensor(explainedVariance.map { Float(1 / max($0, 1e-12).squareRoot()) }, shape: [k])
      return try elementwise(.multiply, out, scale)
    }
    return out
  }
}

public func pca(_ embedding: Embedding, components k: Int, whiten: Bool = false) throws -> Embedding {
  let model = try PCA(fitting: embedding.points, components: k)
  var out = try Embedding(
    points: try model.transform(embedding.points, whiten: whiten), labels: embedding.labels, classes: embedding.classes,
    source: "\(embedding.source), PCA")
  out.explainedVarianceRatio = model.explainedVarianceRatio
  return out
}
