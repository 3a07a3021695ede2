import CKernel
import Tensor

/// Updates parameters from their gradients; state is kept per parameter.
public protocol Optimizer: AnyObject {
  var learningRate: Float { get set }
  var summary: String { get }
  func step(_ parameters: [Tensor])
  /// Per-parameter state tensors by name (`m`, `v`, `velocity`) and the step count, for checkpoints.
  func state(of parameter: Tensor) -> [String: Tensor]
  /// Throws when a saved state does not fit the parameter (a file from another model, or tampered).
  func restore(_ state: [String: Tensor], of parameter: Tensor) throws
}

extension Optimizer {
  public func zeroGrad(_ parameters: [Tensor]) {
    for p in parameters { p.grad = nil }
  }
}

/// The saved state tensor `name` of a parameter, refused unless it has the parameter's shape
/// and finite values: an update writes as many values as the parameter has.
func savedState(_ state: [String: Tensor], _ name: String, of parameter: Tensor) throws -> Tensor? {
  guard let saved = state[name] else { return nil }
  guard saved.shape == parameter.shape else {
    throw TrainingError(
      message: "saved optimizer state '\(name)' is \(describe(shape: saved.shape)) but its parameter is "
        + describe(shape: parameter.shape),
      hint: "the file was saved from another model, or it was altered")
  }
  guard atl_all_finite(saved.data, Int64(saved.count)) != 0 else {
    throw TrainingError(message: "saved optimizer state '\(name)' holds NaN or infinite values", hint: nil)
  }
  return saved.copy()
}

/// Stochastic gradient descent with momentum, Nesterov and weight decay (PyTorch's semantics).
public final class SGD: Optimizer {
  public var learningRate: Float
  public let momentum: Float
  public let weightDecay: Float
  public let nesterov: Bool
  private var velocity = IdentityMap<Tensor, Tensor>()

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
    velocity[parameter].map { ["velocity": $0] } ?? [:]
  }

  public func restore(_ state: [String: Tensor], of parameter: Tensor) throws {
    if let v = try savedState(state, "velocity", of: parameter) { velocity[parameter] = v }
  }

  public func step(_ parameters: [Tensor]) {
    for p in parameters {
      guard let g = p.grad else { continue }
      let first = velocity[p] == nil
      let v = velocity[p] ?? Tensor(zeros: p.shape)
      velocity[p] = v
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
  private var moments = IdentityMap<Tensor, (m: Tensor, v: Tensor, t: Int64)>()

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
    guard let s = moments[parameter] else { return [:] }
    return ["m": s.m, "v": s.v, "t": Tensor.scalar(Float(s.t))]
  }

  public func restore(_ state: [String: Tensor], of parameter: Tensor) throws {
    guard let m = try savedState(state, "m", of: parameter), let v = try savedState(state, "v", of: parameter),
      let t = state["t"]
    else { return }
    // Float holds whole numbers exactly up to 2^24 steps; beyond that the count is not one Adam wrote.
    guard t.count == 1, t.scalarValue >= 0, t.scalarValue <= 16_777_216 else {
      throw TrainingError(message: "saved Adam step count must be a whole number from 0 to 2^24", hint: nil)
    }
    moments[parameter] = (m, v, Int64(t.scalarValue))
  }

  public func step(_ parameters: [Tensor]) {
    for p in parameters {
      guard let g = p.grad else { continue }
      var state = moments[p] ?? (Tensor(zeros: p.shape), Tensor(zeros: p.shape), 0)
      state.t += 1
      moments[p] = state
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
  private var squares = IdentityMap<Tensor, Tensor>()

  public init(learningRate: Float = 1e-2, alpha: Float = 0.99, epsilon: Float = 1e-8, weightDecay: Float = 0) {
    self.learningRate = learningRate
    self.alpha = alpha
    self.epsilon = epsilon
    self.weightDecay = weightDecay
  }

  public var summary: String { "rmsprop(lr: \(learningRate))" }

  public func state(of parameter: Tensor) -> [String: Tensor] {
    squares[parameter].map { ["square_avg": $0] } ?? [:]
  }

  public func restore(_ state: [String: Tensor], of parameter: Tensor) throws {
    if let v = try savedState(state, "square_avg", of: parameter) { squares[parameter] = v }
  }

  public func step(_ parameters: [Tensor]) {
    for p in parameters {
      guard let g = p.grad else { continue }
      let v = squares[p] ?? Tensor(zeros: p.shape)
      squares[p] = v
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
