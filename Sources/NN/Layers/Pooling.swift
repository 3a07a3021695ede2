import Tensor

/// Average pooling with a square window; padding counts towards the divisor (PyTorch's default).
public final class AvgPool2d: Layer {
  public let kind = "avgpool"
  public var name = "avgpool"
  public var hasExplicitName = false
  public let window: Window2D

  public init(kernel: Int, stride: Int? = nil, padding: Int = 0) throws {
    let step = stride ?? kernel
    guard kernel > 0, step > 0, padding >= 0, padding * 2 <= kernel else {
      throw LayerError(layer: "avgpool", "needs a positive kernel and stride and padding at most half the kernel")
    }
    window = Window2D(kernel: (kernel, kernel), stride: (step, step), padding: (padding, padding))
  }

  public var details: String { MaxPool2d.summary(of: window) }

  public func build(inputShape: [Int], rng: RandomSource) throws -> [Int] {
    try MaxPool2d.outputShape(window, inputShape, layer: name)
  }

  public func forward(_ x: Tensor, training: Bool) throws -> Tensor { try avgPool2d(x, window: window) }
}

/// The mean of each channel: (C, H, W) -> (C).
public final class GlobalAvgPool: Layer {
  public let kind = "globalavgpool"
  public var name = "globalavgpool"
  public var hasExplicitName = false
  public init() {}
  public var details: String { "" }

  public func build(inputShape: [Int], rng: RandomSource) throws -> [Int] {
    guard inputShape.count == 3 else {
      throw LayerError(layer: name, "expects images (channels, height, width) but got \(describe(shape: inputShape))")
    }
    return [inputShape[0]]
  }

  public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
    let pooled = try avgPool2d(x, window: Window2D(kernel: (x.shape[2], x.shape[3]), stride: (1, 1), padding: (0, 0)))
    return try pooled.reshaped([x.shape[0], x.shape[1]])
  }
}
