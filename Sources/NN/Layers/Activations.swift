import Tensor

/// A pointwise activation as a layer: relu, leakyrelu, elu, gelu, tanh, sigmoid, softmax, identity.
public final class Activation: Layer {
  public enum Function: String, CaseIterable {
    case relu, leakyrelu, elu, gelu, tanh, sigmoid, softmax, identity
  }

  public let function: Function
  public let alpha: Float
  public var kind: String { function.rawValue }
  public var name: String
  public var hasExplicitName = false

  public init(_ function: Function, alpha: Float? = nil) {
    self.function = function
    self.alpha = alpha ?? (function == .elu ? 1 : 0.01)
    self.name = function.rawValue
  }

  public var details: String {
    function == .leakyrelu || function == .elu ? "alpha \(alpha)" : ""
  }

  public func build(inputShape: [Int], rng: RandomSource) throws -> [Int] { inputShape }

  public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
    switch function {
    case .relu: return relu(x)
    case .leakyrelu: return pointwise(.leakyRelu, x, alpha: alpha)
    case .elu: return pointwise(.elu, x, alpha: alpha)
    case .gelu: return pointwise(.gelu, x)
    case .tanh: return pointwise(.tanh, x)
    case .sigmoid: return pointwise(.sigmoid, x)
    case .softmax: return softmax(x)
    case .identity: return x
    }
  }
}

/// Inverted dropout: zeroes a fraction p of values while training and scales the rest by 1/(1-p).
public final class Dropout: Layer, Stochastic {
  public let kind = "dropout"
  public var name = "dropout"
  public var hasExplicitName = false
  public let probability: Float
  /// Seeded from the model's generator so that a run repeats.
  public private(set) var rng = RandomSource(seed: 0)

  public init(_ probability: Float) throws {
    guard probability >= 0, probability < 1 else {
      throw LayerError(layer: "dropout", "needs a probability in [0, 1), got \(probability)")
    }
    self.probability = probability
  }

  public var details: String { "p \(probability)" }

  public func build(inputShape: [Int], rng: RandomSource) throws -> [Int] {
    self.rng = RandomSource(seed: rng.nextSeed())
    return inputShape
  }

  public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
    guard training, probability > 0 else { return x }
    return try elementwise(.multiply, x, dropoutMask(shape: x.shape, probability: probability, rng: rng))
  }
}
