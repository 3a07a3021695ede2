import CKernel

/// A seeded generator (xoshiro256**): the same seed gives the same numbers everywhere.
public final class RandomSource {
  var state = atl_rng()

  public init(seed: UInt64) { atl_rng_seed(&state, seed) }

  /// The generator's whole state, to save and restore a run exactly.
  public var words: [UInt64] {
    get { [state.s.0, state.s.1, state.s.2, state.s.3] }
    set {
      guard newValue.count == 4 else { return }
      state.s = (newValue[0], newValue[1], newValue[2], newValue[3])
    }
  }

  public func nextDouble() -> Double { atl_rng_double(&state) }

  /// A seed for a generator of its own (a dropout layer's, an epoch's augmentation).
  public func nextSeed() -> UInt64 { UInt64(nextInt(below: Int(Int32.max))) }

  /// A uniformly chosen integer in 0..<bound.
  public func nextInt(below bound: Int) -> Int {
    precondition(bound > 0)
    return Int(atl_rng_next(&state) % UInt64(bound))
  }

  public func fillUniform(_ tensor: Tensor, low: Float, high: Float) {
    atl_rng_uniform(&state, tensor.data, Int64(tensor.count), low, high)
  }

  public func fillNormal(_ tensor: Tensor, mean: Float, std: Float) {
    atl_rng_normal(&state, tensor.data, Int64(tensor.count), mean, std)
  }

  /// Fisher–Yates shuffle of 0..<count.
  public func permutation(_ count: Int) -> [Int] {
    var order = Array(0..<count)
    if count < 2 { return order }
    for i in stride(from: count - 1, to: 0, by: -1) {
      order.swapAt(i, nextInt(below: i + 1))
    }
    return order
  }
}
