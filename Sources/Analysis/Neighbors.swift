import CKernel
import Foundation
import Tensor

/// The `k` nearest other points of every point, nearest first: indices (n, k) and
/// euclidean distances (n, k), both as tensors of floats.
public func nearestNeighbors(_ embedding: Embedding, k: Int, search: NeighborSearch = .auto, seed: UInt64 = 1)
  throws -> (index: Tensor, distance: Tensor)
{
  let n = embedding.count
  guard k >= 1, k < n else {
    throw TensorError("neighbors: k must be from 1 to \(n - 1) for \(n) points, got \(k)")
  }
  guard n < 1 << 30 else { throw TensorError("neighbors: at most \(1 << 30) points, got \(n)") }
  let points = embedding.points
  let d = Int64(points.shape[1])
  var index = [Int32](repeating: 0, count: n * k)
  var squared = [Float](repeating: 0, count: n * k)
  let status =
    search.approximates(points: n, k: k)
    ? atl_knn_approx(points.data, Int64(n), d, Int32(k), seed, &index, &squared)
    : atl_knn(points.data, Int64(n), points.data, Int64(n), d, Int32(k), 1, &index, &squared)
  guard status == 0 else { throw TensorError("neighbors ran out of memory for \(n) points") }
  let indices = Tensor(uninitialized: [n, k])
  let distances = Tensor(uninitialized: [n, k])
  for e in 0..<(n * k) {
    indices.data[e] = Float(index[e])
    distances.data[e] = squared[e].squareRoot()
  }
  return (indices, distances)
}
