import Tensor

/// Batch normalisation after a conv (per channel of C, H, W) or a dense layer (per feature).
public final class BatchNorm: Layer, FusesReLU {
  public let kind = "bn"
  public var name = "bn"
  public var hasExplicitName = false
  public let momentum: Float
  public let epsilon: Float
  public private(set) var gamma: Tensor?
  public private(set) var beta: Tensor?
  public private(set) var running: RunningStatistics?

  public init(momentum: Float = 0.1, epsilon: Float = 1e-5) {
    self.momentum = momentum
    self.epsilon = epsilon
  }

  public var details: String { "" }

  public func build(inputShape: [Int], rng: RandomSource) throws -> [Int] {
    guard inputShape.count == 1 || inputShape.count == 3 else {
      throw LayerError(layer: name, "expects features or images but got \(describe(shape: inputShape))")
    }
    let channels = inputShape[0]
    if gamma?.count != channels {
      gamma = Tensor.full([channels], 1)
      beta = Tensor(zeros: [channels])
      gamma?.requiresGrad = true
      beta?.requiresGrad = true
      running = RunningStatistics(channels: channels)
    }
    return inputShape
  }

  public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
    try forward(x, training: training, relu: false)
  }

  public func forward(_ x: Tensor, training: Bool, relu: Bool) throws -> Tensor {
    guard let gamma, let beta, let running else { throw LayerError(layer: name, "is used before it was built") }
    return try batchNorm(
      x, gamma: gamma, beta: beta, running: running, training: training, momentum: momentum, epsilon: epsilon,
      relu: relu)
  }

  public var parameters: [NamedParameter] {
    guard let gamma, let beta else { return [] }
    return [NamedParameter(name: "weight", tensor: gamma), NamedParameter(name: "bias", tensor: beta)]
  }

  public var buffers: [NamedParameter] {
    guard let running else { return [] }
    return [
      NamedParameter(name: "running_mean", tensor: running.mean),
      NamedParameter(name: "running_var", tensor: running.variance),
    ]
  }
}
