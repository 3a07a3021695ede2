import CKernel
import Foundation
import Tensor

public struct TSNEOptions {
  public var perplexity = 30.0
  public var iterations = 1000
  public var exaggerationIterations = 250
  public var exaggeration = 12.0
  /// nil: openTSNE's "auto", max(200, n / 12)
  public var learningRate: Double?
  /// Seeds the random initialisation (`.random`); PCA's is the same for every seed.
  public var seed: UInt64 = 1
  public var initialization = Initialization.pca
  /// Reduce to this many dimensions by PCA first (openTSNE and the studies use 50).
  public var pcaDimensions = 50
  public var theta = 0.5
  /// How the repulsion is summed; `.auto` picks FFT interpolation from `fftFromPoints` points.
  public var method = Method.auto
  /// Degrees of freedom of the kernel (1 + d²/dof)^-dof: 1 is the Cauchy kernel, below 1 the
  /// tails are heavier and clusters come apart further (openTSNE's `dof`).
  public var dof = 1.0
  public var neighbors = NeighborSearch.auto

  /// Where FFT interpolation overtakes Barnes-Hut on two threads: at 1,000 training images
  /// Barnes-Hut took 1.23 s against 1.41 s, at 2,000 FFT 2.47 s against 2.72 s, at 5,000
  /// 4.26 s against 8.33 s (`atelier run bench/tsne.atl --set method=…`).
  public static let fftFromPoints = 2_500

  public init() {}

  public enum Method: String, CaseIterable {
    case auto, bh, fft
  }

  /// Where points start: the first two principal components, or openTSNE's random
  /// normal start; both scaled to a standard deviation of 1e-4 on the first axis.
  public enum Initialization: String, CaseIterable {
    case pca, random
  }
}

/// t-SNE to two dimensions with openTSNE's defaults: PCA initialisation scaled to a
/// standard deviation of 1e-4, learning rate max(200, n/12), 250 exaggerated iterations.
public func tsne(
  _ embedding: Embedding, options: TSNEOptions = TSNEOptions(),
  progress: @escaping (Int, Double) -> Bool = { _, _ in false }
) throws -> Embedding {
  let n = embedding.count
  guard n >= 4 else { throw TensorError("tsne needs at least 4 points, got \(n)") }
  guard options.perplexity > 0, 3 * options.perplexity < Double(n) else {
    throw TensorError(
      "tsne: perplexity \(options.perplexity) needs more than \(Int(3 * options.perplexity)) points, got \(n)",
      hint: "lower the perplexity or give more points")
  }
  var input = embedding.points
  var reduction: PCA?
  if embedding.dimensions > options.pcaDimensions {
    reduction = try PCA(fitting: input, components: options.pcaDimensions)
    input = try reduction?.transform(input) ?? input
  }
  var y: Tensor
  switch options.initialization {
  case .pca:
    y = try PCA(fitting: input, components: min(2, input.shape[1])).transform(input)
    if y.shape[1] < 2 { y = try elementwise(.add, Tensor(zeros: [n, 2]), y) }
  case .random:
    y = Tensor.normal([n, 2], rng: RandomSource(seed: options.seed))
  }
  // PCA initialisation rescaled so that the first axis has standard deviation 1e-4.
  let first = (0..<n).map { Double(y[flat: 2 * $0]) }
  let mean = first.reduce(0, +) / Double(n)
  let std = max((first.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)).squareRoot(), 1e-12)
  y = y.scaled(by: Float(1e-4 / std))
  var o = atl_tsne_options(
    perplexity: options.perplexity, iterations: Int32(options.iterations),
    exaggeration_iterations: Int32(min(options.exaggerationIterations, options.iterations)),
    exaggeration: options.exaggeration,
    learning_rate: options.learningRate ?? max(200, Double(n) / 12), theta: options.theta,
    method: options.resolvedMethod(points: n) == .fft ? ATL_TSNE_FFT : ATL_TSNE_BARNES_HUT, dof: options.dof,
    approximate_neighbors: options.neighbors.approximates(points: n, k: min(Int(3 * options.perplexity), n - 1))
      ? 1 : 0,
    seed: options.seed)
  let sink = ProgressSink(progress)
  let status = withExtendedLifetime(sink) {
    atl_tsne(
      input.data, Int64(n), Int64(input.shape[1]), y.data, &o,
      ProgressSink.callback, Unmanaged.passUnretained(sink).toOpaque())
  }
  guard status == 0 else { throw TensorError("tsne ran out of memory for \(n) points") }
  var out = try Embedding(
    points: y, labels: embedding.labels, classes: embedding.classes, source: "\(embedding.source), t-SNE")
  out.klDivergence = sink.kl
  out.stoppedEarly = sink.stoppedAt.map { ($0, options.iterations) }
  let map = EmbeddingMap(
    reference: input, pca: reduction, inputDimensions: embedding.dimensions, k: 15, metric: .euclidean, a: 0, b: 0,
    epochs: nil, seed: options.seed, embedding: y, initialisation: .spectral)
  map.method = .tsne
  map.dof = options.dof
  out.map = map
  return out
}

/// openTSNE's transform: new points placed into a t-SNE map at perplexity 5, started at the
/// median of their 25 nearest reference points, 250 iterations moving only them.
func tsneTransform(
  _ map: EmbeddingMap, _ data: Embedding, query: Tensor, progress: @escaping (Int, Int) -> Bool
) throws -> Embedding {
  let n = data.count
  let iterations = 250
  var o = atl_tsne_transform_options(
    perplexity: 5, iterations: Int32(iterations), learning_rate: 0.1, exaggeration: 1.5, momentum: 0.8,
    max_grad_norm: 0.25, dof: map.dof)
  let y = Tensor(uninitialized: [n, 2])
  let sink = ProgressSink { iteration, _ in progress(iteration, iterations) }
  let status = withExtendedLifetime(sink) {
    atl_tsne_transform(
      map.reference.data, Int64(map.reference.shape[0]), map.embedding.data, query.data, Int64(n),
      Int64(query.shape[1]), &o, y.data,
      ProgressSink.callback, Unmanaged.passUnretained(sink).toOpaque())
  }
  guard status == 0 else { throw TensorError("transform ran out of memory for \(n) points") }
  var out = try Embedding(
    points: y, labels: data.labels, classes: data.classes, source: "\(data.source), t-SNE transform")
  out.stoppedEarly = sink.stoppedAt.map { ($0, iterations) }
  return out
}

extension TSNEOptions {
  /// The method that runs for `points` points: `.bh` or `.fft`.
  public func resolvedMethod(points: Int) -> Method {
    method == .auto ? (points >= Self.fftFromPoints ? .fft : .bh) : method
  }
}

/// Carries the progress callback and the last KL divergence through the C kernel.
private final class ProgressSink {
  var kl = Double.nan
  var stoppedAt: Int?
  let report: (Int, Double) -> Bool
  init(_ report: @escaping (Int, Double) -> Bool) { self.report = report }

  static let callback: atl_tsne_progress = { context, iteration, kl in
    guard let context else { return 0 }
    let sink = Unmanaged<ProgressSink>.fromOpaque(context).takeUnretainedValue()
    sink.kl = kl
    guard sink.report(Int(iteration), kl) else { return 0 }
    sink.stoppedAt = Int(iteration)
    return 1
  }
}
