import Tensor

/// A named parameter of a layer, as PyTorch names it (`weight`, `bias`).
public struct NamedParameter {
  public let name: String
  public let tensor: Tensor
}

/// A building block of a model. A layer knows its output shape for an input
/// shape (per sample, without the batch dimension), creates its parameters
/// when built, and computes its forward pass; the tape knows the backward pass.
public protocol Layer: AnyObject {
  /// The family used for automatic names: `conv` gives conv1, conv2, …
  var kind: String { get }
  /// `conv1`, or the name given with `as NAME`.
  var name: String { get set }
  /// Whether `name` was given by the user and must not be renumbered.
  var hasExplicitName: Bool { get set }
  /// Hyperparameters in a few words, for summaries: `6 filters 5x5, pad 2`.
  var details: String { get }
  /// Creates parameters for inputs of `inputShape` and returns the output shape.
  func build(inputShape: [Int], rng: RandomSource) throws -> [Int]
  func forward(_ x: Tensor, training: Bool) throws -> Tensor
  var parameters: [NamedParameter] { get }
  /// State saved with the weights but not trained (batch norm's running statistics).
  var buffers: [NamedParameter] { get }
}

extension Layer {
  /// Names the layer as `as NAME` does: the name is kept when a model numbers its layers.
  public func setExplicitName(_ name: String) {
    self.name = name
    hasExplicitName = true
  }

  public var parameters: [NamedParameter] { [] }
  public var buffers: [NamedParameter] { [] }
  public var parameterCount: Int { parameters.reduce(0) { $0 + $1.tensor.count } }
}

/// How a conv or dense layer's weights start, and the penalty on them added to the
/// loss (Keras' kernel_regularizer).
public struct WeightSettings {
  public var l1: Float = 0
  public var l2: Float = 0
  public var initializer = Initializer.pytorch

  public init() {}

  /// `, l2 0.01` for a summary; empty without penalties.
  var details: String { (l2 != 0 ? ", l2 \(l2)" : "") + (l1 != 0 ? ", l1 \(l1)" : "") }
}

/// A layer with a weight matrix and its `WeightSettings`.
public protocol Regularized: AnyObject {
  var weightSettings: WeightSettings { get set }
  var weight: Tensor? { get }
}

extension Regularized {
  public var l1: Float {
    get { weightSettings.l1 }
    set { weightSettings.l1 = newValue }
  }
  public var l2: Float {
    get { weightSettings.l2 }
    set { weightSettings.l2 = newValue }
  }
  public var initializer: Initializer {
    get { weightSettings.initializer }
    set { weightSettings.initializer = newValue }
  }
}

/// Layers that hold other layers (models, residual blocks, VAEs).
public protocol Container: Layer {
  var children: [Layer] { get }
}

extension Layer {
  /// This layer and every layer inside it, depth first.
  public var allLayers: [Layer] {
    [self] + ((self as? Container)?.children.flatMap(\.allLayers) ?? [])
  }
}

/// A shape problem found while building a model, naming the layer.
public struct LayerError: UserError {
  public let layer: String
  public let message: String
  public let hint: String?

  public init(layer: String, _ message: String, hint: String? = nil) {
    self.layer = layer
    self.message = message
    self.hint = hint
  }

  public var description: String { "\(layer): \(message)" }
  public var userMessage: String { description }
}

/// How a conv or dense layer's weights start: PyTorch's default, or Keras' glorot_uniform
/// (weights ~ U(±√(6 / (fan_in + fan_out))), biases zero).
public enum Initializer: String, CaseIterable {
  case pytorch, glorot
}

/// Weights and bias of a conv or dense layer under `initializer`.
func initialParameters(
  _ initializer: Initializer, weightShape: [Int], biasCount: Int?, fanIn: Int, fanOut: Int, rng: RandomSource
) throws -> (weight: Tensor, bias: Tensor?) {
  switch initializer {
  case .pytorch:
    let weight = try pytorchDefaultInit(weightShape, fanIn: fanIn, rng: rng)
    return (weight, try biasCount.map { try pytorchDefaultInit([$0], fanIn: fanIn, rng: rng) })
  case .glorot:
    let weight = try uniformParameter(weightShape, bound: (6 / Float(max(fanIn + fanOut, 1))).squareRoot(), rng: rng)
    let bias = biasCount.map { Tensor(zeros: [$0]) }
    bias?.requiresGrad = true
    return (weight, bias)
  }
}

/// The most values one parameter tensor may hold (400 MB of float32).
public let maxParameterCount = 100_000_000

/// PyTorch's default initialisation for conv and linear layers
/// (kaiming_uniform with a = √5): weights and biases ~ U(-1/√fan_in, 1/√fan_in).
func pytorchDefaultInit(_ shape: [Int], fanIn: Int, rng: RandomSource) throws -> Tensor {
  try uniformParameter(shape, bound: fanIn > 0 ? 1 / Float(fanIn).squareRoot() : 0, rng: rng)
}

/// A trainable leaf ~ U(-bound, bound). It is drawn directly, never computed by an op,
/// so that no tape can record it and make it a non-leaf that never receives gradients.
func uniformParameter(_ shape: [Int], bound: Float, rng: RandomSource) throws -> Tensor {
  let count = shape.reduce(1.0) { $0 * Double($1) }
  guard count <= Double(maxParameterCount) else {
    throw LayerError(
      layer: "init", "a parameter of shape \(describe(shape: shape)) is too large (over \(maxParameterCount) values)")
  }
  let t = Tensor.uniform(shape, low: -bound, high: bound, rng: rng)
  t.requiresGrad = true
  return t
}

/// Layers that draw random numbers while training (dropout, a VAE's sampling);
/// checkpoints keep their generators' state.
public protocol Stochastic: AnyObject {
  var rng: RandomSource { get }
}

/// A layer that can apply a following ReLU itself, in the same pass over its output.
public protocol FusesReLU: Layer {
  func forward(_ x: Tensor, training: Bool, relu: Bool) throws -> Tensor
}

/// A layer whose fused ReLU can leave its backward mask to a max pool right after it:
/// the pool then passes gradient only from positive maxima, which is the same mask
/// applied on a quarter or less of the values, and the full-size pass is saved.
public protocol LeavesReLUMaskToPool: FusesReLU {
  func forwardLeavingReLUMaskToPool(_ x: Tensor, training: Bool) throws -> Tensor
}
