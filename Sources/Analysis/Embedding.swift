import CKernel
import Data
import Foundation
import NN
import Tensor

/// Points (n, d) with a class per point: a layer's activations, or their PCA, t-SNE or UMAP.
public struct Embedding {
  public let points: Tensor
  public let labels: [Int32]
  public let classes: [String]
  /// What the points are, for titles: "fc2", "fc2, PCA".
  public let source: String
  public var explainedVarianceRatio: [Double]?
  public var klDivergence: Double?
  /// Set when an optimisation (t-SNE's iterations, UMAP's epochs) was stopped early: the
  /// points are not converged.
  public var stoppedEarly: (iteration: Int, of: Int)?
  /// For a UMAP fit: what `transform` needs to place new points in it.
  public var map: EmbeddingMap?

  public init(points: Tensor, labels: [Int32], classes: [String], source: String) throws {
    guard points.rank == 2, points.shape[0] == labels.count else {
      throw TensorError(
        "an embedding needs points (n, d) and n labels, got \(describe(shape: points.shape)) and \(labels.count)")
    }
    self.points = points
    self.labels = labels
    self.classes = classes
    self.source = source
  }

  public var count: Int { labels.count }
  public var dimensions: Int { points.shape[1] }
}

/// The activations of the layer `at` for the first `n` images, flattened, in evaluation mode.
public func features(_ model: Sequential, _ data: Dataset, at layer: String, n: Int? = nil, batchSize: Int = 250) throws
  -> Embedding
{
  guard model.isBuilt else {
    throw TrainingError(message: "\(model.name) has not been trained or built yet", hint: "call fit first")
  }
  defer { releaseCachedMemory() }
  let count = min(n ?? data.count, data.count)
  let points = try data.mapBatches(size: batchSize, count: count) { batch in
    try model.activations(batch, at: layer).reshaped([batch.shape[0], -1])
  }
  return try Embedding(points: points, labels: Array(data.labels.prefix(count)), classes: data.classes, source: layer)
}
