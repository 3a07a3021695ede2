import Tensor

/// 2-D convolution over (N, C, H, W) with `filters` kernels of `kernel`×`kernel`.
public final class Conv2d: Layer {
  public let kind = "conv"
  public var name = "conv"
  public var hasExplicitName = false
  public let filters: Int
  public let window: Window2D
  public let useBias: Bool
  public private(set) var weight: Tensor?
  public private(set) var bias: Tensor?

  public init(filters: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true) throws {
    guard filters > 0, kernel > 0, stride > 0, padding >= 0 else {
      throw LayerError(
        layer: "conv",
        "needs positive filters, kernel and stride and padding ≥ 0 (got \(filters), \(kernel), stride \(stride), pad \(padding))"
      )
    }
    self.filters = filters
    self.window = Window2D(kernel: (kernel, kernel), stride: (stride, stride), padding: (padding, padding))
    self.useBias = bias
  }

  public var details: String {
    var text = "\(filters) filters \(window.kernel.0)x\(window.kernel.1)"
    if window.stride.0 != 1 { text += ", stride \(window.stride.0)" }
    if window.padding.0 != 0 { text += ", pad \(window.padding.0)" }
    return text
  }

  public func build(inputShape: [Int], rng: RandomSource) throws -> [Int] {
    guard inputShape.count == 3 else {
      throw LayerError(
        layer: name, "expects images (channels, height, width) but got \(describe(shape: inputShape))",
        hint: inputShape.count == 1 ? "a conv cannot follow flatten or dense; add reshape first" : nil)
    }
    guard let (p, q) = window.output(height: inputShape[1], width: inputShape[2]), p > 0, q > 0 else {
      throw LayerError(
        layer: name,
        "a \(window.kernel.0)x\(window.kernel.1) kernel does not fit a \(inputShape[1])x\(inputShape[2]) input",
        hint: "pad the input or use a smaller kernel")
    }
    let channels = inputShape[0]
    let fanIn = channels * window.kernel.0 * window.kernel.1
    if weight?.shape != [filters, channels, window.kernel.0, window.kernel.1] {
      weight = try pytorchDefaultInit([filters, channels, window.kernel.0, window.kernel.1], fanIn: fanIn, rng: rng)
      bias = useBias ? try pytorchDefaultInit([filters], fanIn: fanIn, rng: rng) : nil
    }
    return [filters, p, q]
  }

  public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
    guard let weight else { throw LayerError(layer: name, "is used before it was built") }
    return try conv2d(x, weight: weight, bias: bias, stride: window.stride, padding: window.padding)
  }

  public var parameters: [NamedParameter] {
    [weight.map { NamedParameter(name: "weight", tensor: $0) }, bias.map { NamedParameter(name: "bias", tensor: $0) }]
      .compactMap { $0 }
  }
}
