import Tensor

/// Transposed convolution (PyTorch's ConvTranspose2d); `deconv` in the language.
public final class ConvTranspose2d: Layer {
  public let kind = "deconv"
  public var name = "deconv"
  public var hasExplicitName = false
  public let filters: Int
  public let kernel: Int
  public let stride: Int
  public let padding: Int
  public let outputPadding: Int
  public private(set) var weight: Tensor?
  public private(set) var bias: Tensor?

  public init(filters: Int, kernel: Int, stride: Int = 1, padding: Int = 0, outputPadding: Int = 0) throws {
    guard filters > 0, kernel > 0, stride > 0, padding >= 0, outputPadding >= 0,
      outputPadding < stride || outputPadding == 0
    else {
      throw LayerError(
        layer: "deconv", "needs positive filters, kernel and stride, padding ≥ 0 and output padding below the stride")
    }
    (self.filters, self.kernel, self.stride, self.padding, self.outputPadding) = (
      filters, kernel, stride, padding, outputPadding
    )
  }

  public var details: String {
    "\(filters) filters \(kernel)x\(kernel)" + (stride != 1 ? ", stride \(stride)" : "")
      + (padding != 0 ? ", pad \(padding)" : "")
      + (outputPadding != 0 ? ", output pad \(outputPadding)" : "")
  }

  public func build(inputShape: [Int], rng: RandomSource) throws -> [Int] {
    guard inputShape.count == 3 else {
      throw LayerError(layer: name, "expects images (channels, height, width) but got \(describe(shape: inputShape))")
    }
    let h = (inputShape[1] - 1) * stride - 2 * padding + kernel + outputPadding
    let w = (inputShape[2] - 1) * stride - 2 * padding + kernel + outputPadding
    guard h > 0, w > 0 else {
      throw LayerError(layer: name, "gives an empty output for \(describe(shape: inputShape))")
    }
    // PyTorch computes fan_in from weight dim 1 (out channels) for transposed convs.
    let fanIn = filters * kernel * kernel
    if weight?.shape != [inputShape[0], filters, kernel, kernel] {
      weight = try pytorchDefaultInit([inputShape[0], filters, kernel, kernel], fanIn: fanIn, rng: rng)
      bias = try pytorchDefaultInit([filters], fanIn: fanIn, rng: rng)
    }
    return [filters, h, w]
  }

  public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
    guard let weight else { throw LayerError(layer: name, "is used before it was built") }
    return try convTranspose2d(
      x, weight: weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding)
  }

  public var parameters: [NamedParameter] {
    [weight.map { NamedParameter(name: "weight", tensor: $0) }, bias.map { NamedParameter(name: "bias", tensor: $0) }]
      .compactMap { $0 }
  }
}
