import Tensor

/// Max pooling with a square window; the stride defaults to the kernel size.
public final class MaxPool2d: Layer {
  public let kind = "maxpool"
  public var name = "maxpool"
  public var hasExplicitName = false
  public let window: Window2D

  public init(kernel: Int, stride: Int? = nil, padding: Int = 0) throws {
    let step = stride ?? kernel
    guard kernel > 0, step > 0, padding >= 0, padding * 2 <= kernel else {
      throw LayerError(
        layer: "maxpool",
        "needs a positive kernel and stride and padding at most half the kernel (got \(kernel), stride \(step), pad \(padding))"
      )
    }
    window = Window2D(kernel: (kernel, kernel), stride: (step, step), padding: (padding, padding))
  }

  public var details: String { MaxPool2d.summary(of: window) }

  static func summary(of window: Window2D) -> String {
    var text = "\(window.kernel.0)x\(window.kernel.1)"
    if window.stride.0 != window.kernel.0 { text += ", stride \(window.stride.0)" }
    if window.padding.0 != 0 { text += ", pad \(window.padding.0)" }
    return text
  }

  /// The output shape of a pooling window over (C, H, W), shared by max and average pooling.
  static func outputShape(_ window: Window2D, _ inputShape: [Int], layer: String) throws -> [Int] {
    guard inputShape.count == 3 else {
      throw LayerError(layer: layer, "expects images (channels, height, width) but got \(describe(shape: inputShape))")
    }
    guard let (p, q) = window.output(height: inputShape[1], width: inputShape[2]), p > 0, q > 0 else {
      throw LayerError(
        layer: layer,
        "a \(window.kernel.0)x\(window.kernel.1) window does not fit a \(inputShape[1])x\(inputShape[2]) input")
    }
    return [inputShape[0], p, q]
  }

  public func build(inputShape: [Int], rng: RandomSource) throws -> [Int] {
    try MaxPool2d.outputShape(window, inputShape, layer: name)
  }

  public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
    try maxPool2d(x, window: window)
  }

  /// Pooling of a ReLU's output whose backward mask the layer before left to this one.
  public func forwardApplyingReLUMask(_ x: Tensor) throws -> Tensor {
    try maxPool2d(x, window: window, appliesReLUMask: true)
  }
}
