import Tensor

/// (N, d1, d2, …) -> (N, d1·d2·…)
public final class Flatten: Layer {
  public let kind = "flatten"
  public var name = "flatten"
  public var hasExplicitName = false
  public init() {}
  public var details: String { "" }
  public func build(inputShape: [Int], rng: RandomSource) throws -> [Int] { [inputShape.reduce(1, *)] }
  public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
    try x.reshaped([x.shape.first ?? 0, -1])
  }
}
