import Tensor

public final class ReLU: Layer {
  public let kind = "relu"
  public var name = "relu"
  public var hasExplicitName = false
  public init() {}
  public var details: String { "" }
  public func build(inputShape: [Int], rng: RandomSource) throws -> [Int] { inputShape }
  public func forward(_ x: Tensor, training: Bool) throws -> Tensor { relu(x) }
}
