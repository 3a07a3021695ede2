import Tensor

/// 2-D convolution over (N, C, H, W) with `filters` kernels of `kernel`×`kernel`.
public final class Conv2d: Layer, Regularized, FusesReLU, LeavesReLUMaskToPool {
  public let kind = "conv"
  public var name = "conv"
  public var hasExplicitName = false
  public let filters: Int
  public let window: Window2D
  public let useBias: Bool
  public private(set) var weight: Tensor?
  public private(set) var bias: Tensor?
  public var weightSettings = WeightSettings()
  /// Keras' "same": outputs as large as the input (stride 1); an even kernel pads one
  /// more row and column at the bottom and right.
  public let samePadding: Bool
  private var extraPadding: (before: Int, after: Int)?

  public init(filters: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true, same: Bool = false)
    throws
  {
    self.samePadding = same
    if same, stride != 1 {
      throw LayerError(layer: "conv", "pad: \"same\" needs stride 1")
    }
    guard filters > 0, kernel > 0, stride > 0, padding >= 0 else {
      throw LayerError(
        layer: "conv",
        "needs positive filters, kernel and stride and padding ≥ 0 (got \(filters), \(kernel), stride \(stride), pad \(padding))"
      )
    }
    self.filters = filters
    let symmetric = same ? (kernel - 1) / 2 : padding
    self.window = Window2D(kernel: (kernel, kernel), stride: (stride, stride), padding: (symmetric, symmetric))
    if same, (kernel - 1) % 2 == 1 { extraPadding = ((kernel - 1) / 2, kernel / 2) }
    self.useBias = bias
  }

  public var details: String {
    var text = "\(filters) filters \(window.kernel.0)x\(window.kernel.1)"
    if window.stride.0 != 1 { text += ", stride \(window.stride.0)" }
    if samePadding {
      text += ", same"
    } else if window.padding.0 != 0 {
      text += ", pad \(window.padding.0)"
    }
    text += weightSettings.details
    return text
  }

  public func build(inputShape: [Int], rng: RandomSource) throws -> [Int] {
    guard inputShape.count == 3 else {
      throw LayerError(
        layer: name, "expects images (channels, height, width) but got \(describe(shape: inputShape))",
        hint: inputShape.count == 1 ? "a conv cannot follow flatten or dense; add reshape first" : nil)
    }
    if samePadding { return try buildSame(inputShape, rng: rng) }
    guard let (p, q) = window.output(height: inputShape[1], width: inputShape[2]), p > 0, q > 0 else {
      throw LayerError(
        layer: name,
        "a \(window.kernel.0)x\(window.kernel.1) kernel does not fit a \(inputShape[1])x\(inputShape[2]) input",
        hint: "pad the input or use a smaller kernel")
    }
    try createParameters(channels: inputShape[0], rng: rng)
    return [filters, p, q]
  }

  private func buildSame(_ inputShape: [Int], rng: RandomSource) throws -> [Int] {
    try createParameters(channels: inputShape[0], rng: rng)
    return [filters, inputShape[1], inputShape[2]]
  }

  private func createParameters(channels: Int, rng: RandomSource) throws {
    let fanIn = channels * window.kernel.0 * window.kernel.1
    if weight?.shape != [filters, channels, window.kernel.0, window.kernel.1] {
      (weight, bias) = try initialParameters(
        initializer, weightShape: [filters, channels, window.kernel.0, window.kernel.1],
        biasCount: useBias ? filters : nil,
        fanIn: fanIn, fanOut: filters * window.kernel.0 * window.kernel.1, rng: rng)
    }
  }

  public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
    try forward(x, training: training, relu: false)
  }

  public func forward(_ x: Tensor, training: Bool, relu: Bool) throws -> Tensor {
    try forward(x, relu: relu, reluMaskLeftToPool: false)
  }

  public func forwardLeavingReLUMaskToPool(_ x: Tensor, training: Bool) throws -> Tensor {
    try forward(x, relu: true, reluMaskLeftToPool: true)
  }

  private func forward(_ x: Tensor, relu: Bool, reluMaskLeftToPool: Bool) throws -> Tensor {
    guard let weight else { throw LayerError(layer: name, "is used before it was built") }
    var input = x, padding = window.padding
    if let extra = extraPadding {
      input = try zeroPad(x, top: extra.before, left: extra.before, bottom: extra.after, right: extra.after)
      padding = (0, 0)
    }
    return try conv2d(
      input, weight: weight, bias: bias, stride: window.stride, padding: padding, relu: relu,
      reluMaskLeftToPool: reluMaskLeftToPool)
  }

  public var parameters: [NamedParameter] {
    [weight.map { NamedParameter(name: "weight", tensor: $0) }, bias.map { NamedParameter(name: "bias", tensor: $0) }]
      .compactMap { $0 }
  }
}
