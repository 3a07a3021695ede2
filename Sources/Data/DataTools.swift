import CKernel
import Tensor

/// Splits, folds, subsets and transforms of datasets, all seeded.
extension Dataset {
  /// Indices of each class, in order.
  func indicesByClass() -> [Int32: [Int]] {
    var groups: [Int32: [Int]] = [:]
    for (i, label) in labels.enumerated() { groups[label, default: []].append(i) }
    return groups
  }

  /// Two parts: `held` images (a count, or a fraction when below 1) and the rest.
  /// Stratified splits keep each class's share in both parts.
  public func split(held: Double, stratify: Bool, seed: UInt64) throws -> (rest: Dataset, held: Dataset) {
    let count = held < 1 ? Int((held * Double(self.count)).rounded()) : Int(held)
    guard held > 0, count > 0, count < self.count else {
      throw TensorError(
        "split: cannot hold out \(held) of \(self.count) images",
        hint: "give a fraction in (0, 1) or a count below the size")
    }
    let rng = RandomSource(seed: seed)
    var heldIndices: [Int] = []
    if stratify {
      let groups = indicesByClass().sorted { $0.key < $1.key }
      // Largest-remainder allocation so that the shares add up to exactly `count`.
      let exact = groups.map { Double($0.value.count) * Double(count) / Double(self.count) }
      var quotas = exact.map { Int($0.rounded(.down)) }
      let order = exact.indices.sorted { exact[$0] - Double(quotas[$0]) > exact[$1] - Double(quotas[$1]) }
      for i in order.prefix(count - quotas.reduce(0, +)) { quotas[i] += 1 }
      for (group, quota) in zip(groups, quotas) {
        let shuffled = rng.permutation(group.value.count).map { group.value[$0] }
        heldIndices += shuffled.prefix(quota)
      }
      heldIndices.sort()
    } else {
      heldIndices = Array(rng.permutation(self.count).prefix(count)).sorted()
    }
    let heldSet = Set(heldIndices)
    let rest = (0..<self.count).filter { !heldSet.contains($0) }
    return (try subset(rest, name: name), try subset(heldIndices, name: "\(name) (held out)"))
  }

  /// `k` folds as (train, validation) pairs; stratified folds deal each class round-robin.
  public func folds(_ k: Int, stratify: Bool, seed: UInt64) throws -> [(train: Dataset, validation: Dataset)] {
    guard k >= 2, k <= count else { throw TensorError("kfold: needs 2 ≤ k ≤ \(count), got \(k)") }
    let rng = RandomSource(seed: seed)
    var assignment = [Int](repeating: 0, count: count)
    if stratify {
      var next = 0
      for (_, group) in indicesByClass().sorted(by: { $0.key < $1.key }) {
        for i in rng.permutation(group.count).map({ group[$0] }) {
          assignment[i] = next % k
          next += 1
        }
      }
    } else {
      for (position, i) in rng.permutation(count).enumerated() { assignment[i] = position % k }
    }
    return try (0..<k).map { fold in
      let validation = (0..<count).filter { assignment[$0] == fold }
      let train = (0..<count).filter { assignment[$0] != fold }
      return (
        try subset(train, name: "\(name) (fold \(fold + 1) train)"),
        try subset(validation, name: "\(name) (fold \(fold + 1))")
      )
    }
  }

  public static func concatenate(_ parts: [Dataset]) throws -> Dataset {
    guard let first = parts.first else { throw TensorError("concat needs at least one dataset") }
    guard parts.allSatisfy({ $0.sampleShape == first.sampleShape }) else {
      throw TensorError("concat: datasets hold images of different shapes")
    }
    if let (bytes, scale) = concatenatedBytes(parts) {
      return try Dataset(
        bytes: bytes, sampleShape: first.sampleShape, scale: scale, labels: parts.flatMap(\.labels),
        classes: first.classes, name: first.name)
    }
    return try Dataset(
      images: try Tensor.concatenate(parts.map(\.images)), labels: parts.flatMap(\.labels), classes: first.classes,
      name: first.name)
  }

  /// Per-channel mean and standard deviation over all images.
  public func channelStatistics() -> (mean: [Float], std: [Float]) {
    let channels = sampleShape[0], plane = sampleShape.dropFirst().reduce(1, *)
    let mean = Tensor(uninitialized: [channels]), variance = Tensor(uninitialized: [channels])
    atl_batchnorm_stats(images.data, Int64(count), Int64(channels), Int64(plane), mean.data, variance.data)
    return (mean.toArray(), variance.toArray().map { $0.squareRoot() })
  }

  /// (x - mean) / std per channel.
  public func normalized(mean: [Float], std: [Float]) throws -> Dataset {
    let channels = sampleShape[0], plane = sampleShape.dropFirst().reduce(1, *)
    guard mean.count == channels, std.count == channels, std.allSatisfy({ $0 > 0 }) else {
      throw TensorError("normalize: needs \(channels) means and \(channels) positive standard deviations")
    }
    let out = Tensor(uninitialized: images.shape)
    let m = try Tensor(mean, shape: [channels]), inv = try Tensor(std.map { 1 / $0 }, shape: [channels])
    atl_batchnorm_apply(
      images.data, m.data, inv.data, nil, nil, Int64(count), Int64(channels), Int64(plane), out.data, 0)
    return try Dataset(images: out, labels: labels, classes: classes, name: name)
  }

  /// A copy with random horizontal flips and random crops from a `pad`-pixel zero border.
  public func augmented(flip: Bool, pad: Int, seed: UInt64) throws -> Dataset {
    guard sampleShape.count == 3, pad >= 0 else { throw TensorError("augment needs images and crop ≥ 0") }
    let rng = RandomSource(seed: seed)
    var flips = [Int32](), dys = [Int32](), dxs = [Int32]()
    for _ in 0..<count {
      flips.append(flip && rng.nextInt(below: 2) == 1 ? 1 : 0)
      dys.append(Int32(rng.nextInt(below: 2 * pad + 1) - pad))
      dxs.append(Int32(rng.nextInt(below: 2 * pad + 1) - pad))
    }
    let out = Tensor(uninitialized: images.shape)
    atl_augment_images(
      images.data, out.data, Int64(count), Int32(sampleShape[0]), Int32(sampleShape[1]), Int32(sampleShape[2]), flips,
      dys, dxs)
    return try Dataset(images: out, labels: labels, classes: classes, name: name)
  }
}
