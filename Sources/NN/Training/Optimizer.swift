import CKernel
import Tensor

/// Updates parameters from their gradients; state is kept per parameter.
public protocol Optimizer: AnyObject {
  var learningRate: Float { get set }
  var summary: String { get }
  func step(_ parameters: [Tensor])
}

extension Optimizer {
  public func zeroGrad(_ parameters: [Tensor]) {
    for p in parameters { p.grad = nil }
  }
}

/// Stochastic gradient descent with momentum, Nesterov and weight decay (PyTorch's semantics).
public final class SGD: Optimizer {
  public var learningRate: Float
  public let momentum: Float
  public let weightDecay: Float
  public let nesterov: Bool
  private var velocity: [ObjectIdentifier: Tensor] = [:]

  public init(learningRate: Float, momentum: Float = 0, weightDecay: Float = 0, nesterov: Bool = false) {
    self.learningRate = learningRate
    self.momentum = momentum
    self.weightDecay = weightDecay
    self.nesterov = nesterov
  }

  public var summary: String {
    "sgd(lr: \(learningRate)" + (momentum != 0 ? ", momentum: \(momentum)" : "")
      + (weightDecay != 0 ? ", weight_decay: \(weightDecay)" : "") + (nesterov ? ", nesterov: true" : "") + ")"
  }

  public func step(_ parameters: [Tensor]) {
    for p in parameters {
      guard let g = p.grad else { continue }
      let key = ObjectIdentifier(p)
      let first = velocity[key] == nil
      let v = velocity[key] ?? Tensor(zeros: p.shape)
      velocity[key] = v
      atl_sgd_update(
        p.data, g.data, v.data, Int64(p.count), learningRate, momentum, weightDecay, nesterov ? 1 : 0,
        first ? 1 : 0)
    }
  }
}

/// Adam (Kingma & Ba) with PyTorch's bias correction and L2 weight decay.
public final class Adam: Optimizer {
  public var learningRate: Float
  public let beta1: Float
  public let beta2: Float
  public let epsilon: Float
  public let weightDecay: Float
  private var moments: [ObjectIdentifier: (m: Tensor, v: Tensor, t: Int64)] = [:]

  public init(
    learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0
  ) {
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
  }

  public var summary: String {
    "adam(lr: \(learningRate)" + (weightDecay != 0 ? ", weight_decay: \(weightDecay)" : "") + ")"
  }

  public func step(_ parameters: [Tensor]) {
    for p in parameters {
      guard let g = p.grad else { continue }
      let key = ObjectIdentifier(p)
      var state = moments[key] ?? (Tensor(zeros: p.shape), Tensor(zeros: p.shape), 0)
      state.t += 1
      moments[key] = state
      atl_adam_update(
        p.data, g.data, state.m.data, state.v.data, Int64(p.count), learningRate, beta1, beta2, epsilon,
        weightDecay, state.t)
    }
  }
}
