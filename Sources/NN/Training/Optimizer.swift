import CKernel
import Tensor

/// Updates parameters from their gradients; state is kept per parameter.
public protocol Optimizer: AnyObject {
  var learningRate: Float { get set }
  var summary: String { get }
  func step(_ parameters: [Tensor])
  /// Per-parameter state tensors by name (`m`, `v`, `velocity`) and the step count, for checkpoints.
  func state(of parameter: Tensor) -> [String: Tensor]
  func restore(_ state: [String: Tensor], of parameter: Tensor)
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

  public func state(of parameter: Tensor) -> [String: Tensor] {
    velocity[ObjectIdentifier(parameter)].map { ["velocity": $0] } ?? [:]
  }

  public func restore(_ state: [String: Tensor], of parameter: Tensor) {
    if let v = state["velocity"] { velocity[ObjectIdentifier(parameter)] = v }
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

/// Adam (Kingma & Ba) with PyTorch's bias correction and L2 weight decay; with
/// `decoupled`, AdamW (decay applied to the weights directly).
public final class Adam: Optimizer {
  public var learningRate: Float
  public let beta1: Float
  public let beta2: Float
  public let epsilon: Float
  public let weightDecay: Float
  public let decoupled: Bool
  private var moments: [ObjectIdentifier: (m: Tensor, v: Tensor, t: Int64)] = [:]

  public init(
    learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0,
    decoupled: Bool = false
  ) {
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    self.decoupled = decoupled
  }

  public var summary: String {
    (decoupled ? "adamw" : "adam") + "(lr: \(learningRate)" + (weightDecay != 0 ? ", weight_decay: \(weightDecay)" : "")
      + ")"
  }

  public func state(of parameter: Tensor) -> [String: Tensor] {
    guard let s = moments[ObjectIdentifier(parameter)] else { return [:] }
    return ["m": s.m, "v": s.v, "t": Tensor.scalar(Float(s.t))]
  }

  public func restore(_ state: [String: Tensor], of parameter: Tensor) {
    guard let m = state["m"], let v = state["v"], let t = state["t"] else { return }
    moments[ObjectIdentifier(parameter)] = (m, v, Int64(t.scalarValue))
  }

  public func step(_ parameters: [Tensor]) {
    for p in parameters {
      guard let g = p.grad else { continue }
      let key = ObjectIdentifier(p)
      var state = moments[key] ?? (Tensor(zeros: p.shape), Tensor(zeros: p.shape), 0)
      state.t += 1
      moments[key] = state
      let update = decoupled ? atl_adamw_update : atl_adam_update
      update(
        p.data, g.data, state.m.data, state.v.data, Int64(p.count), learningRate, beta1, beta2, epsilon, weightDecay,
        state.t)
    }
  }
}

/// RMSprop as PyTorch defines it (alpha 0.99, no momentum, not centered).
public final class RMSprop: Optimizer {
  public var learningRate: Float
  public let alpha: Float
  public let epsilon: Float
  public let weightDecay: Float
  private var squares: [ObjectIdentifier: Tensor] = [:]

  public init(learningRate: Float = 1e-2, alpha: Float = 0.99, epsilon: Float = 1e-8, weightDecay: Float = 0) {
    self.learningRate = learningRate
    self.alpha = alpha
    self.epsilon = epsilon
    self.weightDecay = weightDecay
  }

  public var summary: String { "rmsprop(lr: \(learningRate))" }

  public func state(of parameter: Tensor) -> [String: Tensor] {
    squares[ObjectIdentifier(parameter)].map { ["square_avg": $0] } ?? [:]
  }

  public func restore(_ state: [String: Tensor], of parameter: Tensor) {
    if let v = state["square_avg"] { squares[ObjectIdentifier(parameter)] = v }
  }

  public func step(_ parameters: [Tensor]) {
    for p in parameters {
      guard let g = p.grad else { continue }
      let v = squares[ObjectIdentifier(p)] ?? Tensor(zeros: p.shape)
      squares[ObjectIdentifier(p)] = v
      atl_rmsprop_update(p.data, g.data, v.data, Int64(p.count), learningRate, alpha, epsilon, weightDecay)
    }
  }
}

/// Scales all gradients down together when their global L2 norm exceeds `maxNorm`;
/// returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ parameters: [Tensor], maxNorm: Float) -> Float {
  let total = parameters.compactMap(\.grad).reduce(0.0) { $0 + atl_sum_squares($1.data, Int64($1.count)) }
  let norm = Float(total.squareRoot())
  if norm > maxNorm, norm > 0 {
    let factor = maxNorm / norm
    for g in parameters.compactMap(\.grad) { atl_scale(g.data, factor, g.data, Int64(g.count)) }
  }
  return norm
}

/// Adds the l1/l2 penalties' gradients to the weights' gradients and returns the penalty.
func applyRegularization(_ layers: [Regularized]) -> Double {
  var penalty = 0.0
  for layer in layers where layer.l1 != 0 || layer.l2 != 0 {
    guard let w = layer.weight else { continue }
    if w.grad == nil { w.grad = Tensor(zeros: w.shape) }
    guard let g = w.grad else { continue }
    penalty += atl_regularize(w.data, g.data, Int64(w.count), layer.l1, layer.l2)
  }
  return penalty
}
