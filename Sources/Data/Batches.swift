import Tensor

/// Mini-batches over a dataset, shuffled by a seeded generator when asked.
public struct Batches: Sequence {
  public let dataset: Dataset
  public let size: Int
  public let order: [Int]

  public init(_ dataset: Dataset, size: Int, shuffle: Bool, rng: RandomSource?) {
    self.dataset = dataset
    self.size = Swift.max(1, size)
    if shuffle, let rng {
      order = rng.permutation(dataset.count)
    } else {
      order = Array(0..<dataset.count)
    }
  }

  public var count: Int { (order.count + size - 1) / size }

  public func makeIterator() -> AnyIterator<(images: Tensor, labels: [Int32])> {
    var start = 0
    return AnyIterator {
      guard start < order.count else { return nil }
      let end = Swift.min(start + size, order.count)
      defer { start = end }
      return dataset.gather(Array(order[start..<end]))
    }
  }
}
