/// How `tsne` and `umap` find each point's nearest neighbours.
public enum NeighborSearch: String, CaseIterable {
  /// Exact below the sizes where the approximate search wins, approximate above.
  case auto
  /// Every distance, by blocked matrix products: the cost grows with the square of the points.
  case exact
  /// Random projection trees and NN-descent: recall about 0.996 at k 15 on the 60,000
  /// Fashion-MNIST training images, in a third of the exact time (bench/analysis).
  case approx

  /// Whether the approximate search runs for `points` points and `k` neighbours. Measured on
  /// two threads: at k 15 the two cost the same near 10,000 points and the approximate one
  /// takes a third of the time at 60,000; at k 90 (t-SNE at perplexity 30) the exact one is
  /// still faster at 60,000 (6.1 s against 7.5 s).
  public func approximates(points: Int, k: Int) -> Bool {
    switch self {
    case .exact: return false
    case .approx: return true
    case .auto: return k <= 30 ? points >= 20_000 : points >= 150_000
    }
  }
}
