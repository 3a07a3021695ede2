import CKernel
import Foundation
import Tensor

public struct UMAPOptions {
  /// Neighbours per point, the point itself counted, as umap-learn's n_neighbors.
  public var k = 15
  public var dims = 2
  public var minDist = 0.1
  public var spread = 1.0
  public var metric = Metric.euclidean
  /// Seeds the noise on the spectral start, the random start it falls back to, and the
  /// negative samples.
  public var seed: UInt64 = 1
  /// nil: umap-learn's default, 500 epochs up to 10,000 points and 200 above.
  public var epochs: Int?
  /// Reduce to this many dimensions by PCA first, as `tsne` does.
  public var pcaDimensions = 50
  public var neighbors = NeighborSearch.auto

  public init() {}

  public enum Metric: String, CaseIterable {
    case euclidean, cosine
  }
}

/// What `transform` needs to place new points in a UMAP or t-SNE embedding: the training
/// points as the fit saw them, how they were reduced, and the fit's settings and layout.
/// A class, so that an embedding (and every interpreter value, which holds one inline)
/// carries one reference rather than all of these fields.
public final class EmbeddingMap {
  /// Which fit made the map, and so how new points are placed.
  public var method = Method.umap
  /// t-SNE's kernel (unused by UMAP).
  public var dof = 1.0

  public enum Method: String, CaseIterable {
    case umap, tsne
  }

  /// The training points after PCA, (n, r).
  public let reference: Tensor
  /// Applied to new points first; nil when the fit used its input as it was.
  public let pca: PCA?
  /// The dimensions of the points the fit was given (before PCA).
  public let inputDimensions: Int
  public let k: Int
  public let metric: UMAPOptions.Metric
  /// The curve 1 / (1 + a d^2b) the layout fits, from min_dist and spread.
  public let a: Double
  public let b: Double
  /// The epochs asked of the fit (nil: automatic); transform runs a third of them.
  public let epochs: Int?
  public let seed: UInt64
  /// The fitted layout, (n, dims).
  public let embedding: Tensor
  public let initialisation: Initialisation

  public init(
    reference: Tensor, pca: PCA?, inputDimensions: Int, k: Int, metric: UMAPOptions.Metric, a: Double, b: Double,
    epochs: Int?, seed: UInt64, embedding: Tensor, initialisation: Initialisation
  ) {
    self.reference = reference
    self.pca = pca
    self.inputDimensions = inputDimensions
    self.k = k
    self.metric = metric
    self.a = a
    self.b = b
    self.epochs = epochs
    self.seed = seed
    self.embedding = embedding
    self.initialisation = initialisation
  }

  /// Where the fit's layout started: the spectral embedding of the graph, or umap-learn's
  /// uniform random fallback when the graph is disconnected or the eigenvectors did not converge.
  public enum Initialisation: String, CaseIterable {
    case spectral
    case randomDisconnected = "random (the neighbour graph is disconnected)"
    case randomNotConverged = "random (the spectral start did not converge)"
  }
}

/// a and b of the curve 1 / (1 + a d^2b) that umap-learn fits to min_dist and spread.
public func umapCurve(minDist: Double, spread: Double) throws -> (a: Double, b: Double) {
  guard spread > 0, minDist >= 0, minDist <= spread else {
    throw TensorError("umap: min_dist must be between 0 and spread (\(spread)), got \(minDist)")
  }
  var a = 0.0, b = 0.0
  guard atl_umap_find_ab(spread, minDist, &a, &b) == 0 else {
    throw TensorError("umap: no curve fits min_dist \(minDist) and spread \(spread)")
  }
  return (a, b)
}

/// UMAP as umap-learn 0.5 computes it: the fuzzy simplicial set of the k nearest
/// neighbours, a spectral start, and an SGD layout; seeded runs repeat bit for bit. The
/// result keeps a map (`Embedding.map`) that `transform` places new points with.
public func umap(
  _ embedding: Embedding, options: UMAPOptions = UMAPOptions(),
  progress: @escaping (Int, Int) -> Bool = { _, _ in false }
) throws -> Embedding {
  let n = embedding.count
  guard options.k >= 2 else { throw TensorError("umap: k must be at least 2, got \(options.k)") }
  guard options.dims >= 1 else { throw TensorError("umap: dims must be at least 1, got \(options.dims)") }
  guard n > options.k, n >= options.dims + 2 else {
    throw TensorError(
      "umap: k \(options.k) in \(options.dims) dimensions needs more than \(max(options.k, options.dims + 1)) points, got \(n)",
      hint: "lower k or give more points")
  }
  if let epochs = options.epochs, epochs < 1 {
    throw TensorError("umap: epochs must be at least 1, got \(epochs)")
  }
  let (a, b) = try umapCurve(minDist: options.minDist, spread: options.spread)
  var input = embedding.points
  var reduction: PCA?
  if embedding.dimensions > options.pcaDimensions {
    let model = try PCA(fitting: input, components: options.pcaDimensions)
    input = try model.transform(input)
    reduction = model
  }
  let epochs = options.epochs ?? (n <= 10_000 ? 500 : 200)
  var o = atl_umap_options(
    k: Int32(options.k), cosine: options.metric == .cosine ? 1 : 0, dims: Int32(options.dims), a: a, b: b,
    epochs: Int32(epochs), learning_rate: 1, negative_samples: 5, seed: options.seed,
    approximate_neighbors: options.neighbors.approximates(points: n, k: options.k - 1) ? 1 : 0)
  let y = Tensor(uninitialized: [n, options.dims])
  var start: Int32 = 0
  let sink = EpochSink(progress)
  let status = withExtendedLifetime(sink) {
    atl_umap(
      input.data, Int64(n), Int64(input.shape[1]), &o, y.data, &start, EpochSink.callback,
      Unmanaged.passUnretained(sink).toOpaque())
  }
  guard status == 0 else { throw TensorError("umap ran out of memory for \(n) points") }
  let initialisation: EmbeddingMap.Initialisation =
    switch start {
    case 0: .spectral
    case ATL_UMAP_DISCONNECTED: .randomDisconnected
    default: .randomNotConverged
    }
  var out = try Embedding(
    points: y, labels: embedding.labels, classes: embedding.classes, source: "\(embedding.source), UMAP")
  out.stoppedEarly = sink.stoppedAt.map { ($0, epochs) }
  out.map = EmbeddingMap(
    reference: input, pca: reduction, inputDimensions: embedding.dimensions, k: options.k, metric: options.metric,
    a: a, b: b, epochs: options.epochs, seed: options.seed, embedding: y, initialisation: initialisation)
  return out
}

/// New points placed in a fitted map, which stays as it is: umap-learn's transform for a
/// UMAP, openTSNE's for a t-SNE.
public func transform(
  _ map: EmbeddingMap, _ data: Embedding, progress: @escaping (Int, Int) -> Bool = { _, _ in false }
) throws -> Embedding {
  guard data.dimensions == map.inputDimensions else {
    throw TensorError(
      "transform: the map was fitted to points of \(map.inputDimensions) dimensions, these have \(data.dimensions)")
  }
  let n = data.count
  guard n >= 1 else { throw TensorError("transform: no points to place") }
  let query = try map.pca?.transform(data.points) ?? data.points
  guard hasBoundedRows(query) else {
    throw TensorError(
      "transform: some new points are NaN or infinite\(map.pca == nil ? "" : " after the map's PCA"), or too large to measure",
      hint: "a model that diverged gives such features; check them with sum(x)")
  }
  if map.method == .tsne { return try tsneTransform(map, data, query: query, progress: progress) }
  // umap-learn: a third of the epochs asked of the fit, else 100 up to 10,000 new points and 30 above.
  let epochs = map.epochs.map { max($0 / 3, 1) } ?? (n <= 10_000 ? 100 : 30)
  let dims = map.embedding.shape[1]
  try checkAllocation([n, dims], "transform")
  // Each new point's neighbour list: an index, a distance and a weight per neighbour.
  try MemoryBudget.check(shape: [n, map.k, 3], for: "transform: the neighbour lists of \(n) new points")
  var o = atl_umap_options(
    k: Int32(map.k), cosine: map.metric == .cosine ? 1 : 0, dims: Int32(dims), a: map.a, b: map.b,
    epochs: Int32(epochs), learning_rate: 1, negative_samples: 5, seed: map.seed, approximate_neighbors: 0)
  let y = Tensor(uninitialized: [n, dims])
  let sink = EpochSink(progress)
  let status = withExtendedLifetime(sink) {
    atl_umap_transform(
      map.reference.data, Int64(map.reference.shape[0]), map.embedding.data, query.data, Int64(n),
      Int64(query.shape[1]), &o, y.data, EpochSink.callback, Unmanaged.passUnretained(sink).toOpaque())
  }
  guard status == 0 else { throw TensorError("transform ran out of memory for \(n) points") }
  var out = try Embedding(
    points: y, labels: data.labels, classes: data.classes, source: "\(data.source), UMAP transform")
  out.stoppedEarly = sink.stoppedAt.map { ($0, epochs) }
  return out
}

/// Carries the progress callback through the C kernel and notes where it asked to stop.
private final class EpochSink {
  var stoppedAt: Int?
  let report: (Int, Int) -> Bool
  init(_ report: @escaping (Int, Int) -> Bool) { self.report = report }

  static let callback: atl_umap_progress = { context, epoch, epochs in
    guard let context else { return 0 }
    let sink = Unmanaged<EpochSink>.fromOpaque(context).takeUnretainedValue()
    guard sink.report(Int(epoch), Int(epochs)) else { return 0 }
    sink.stoppedAt = Int(epoch)
    return 1
  }
}
