import Tensor

/// Copies a one-channel image to three channels and normalises each with its own mean and
/// standard deviation, the input that ImageNet-trained networks expect: (x - mean[c]) / std[c].
public final class GreyToRGB: Layer {
  public static let imagenetMean: [Float] = [0.485, 0.456, 0.406]
  public static let imagenetStd: [Float] = [0.229, 0.224, 0.225]

  public let kind = "grey_to_rgb"
  public var name = "grey_to_rgb"
  public var hasExplicitName = false
  public let mean: [Float]
  public let std: [Float]
  private let scale: Tensor
  private let offset: Tensor

  public init(mean: [Float] = imagenetMean, std: [Float] = imagenetStd) throws {
    guard mean.count == 3, std.count == 3, std.allSatisfy({ $0 > 0 }) else {
      throw LayerError(layer: "grey_to_rgb", "needs three means and three positive standard deviations")
    }
    self.mean = mean
    self.std = std
    // (x - m) / s as one multiply-add whose [3, 1, 1] operands broadcast a [1, H, W] image to three channels.
    scale = try Tensor(std.map { 1 / $0 }, shape: [3, 1, 1])
    offset = try Tensor(zip(mean, std).map { -$0 / $1 }, shape: [3, 1, 1])
  }

  public var details: String {
    "mean " + mean.map { "\($0)" }.joined(separator: ", ") + "; std " + std.map { "\($0)" }.joined(separator: ", ")
  }

  public func build(inputShape: [Int], rng: RandomSource) throws -> [Int] {
    guard inputShape.count == 3, inputShape[0] == 1 else {
      throw LayerError(
        layer: name, "expects one-channel images (1, height, width) but got \(describe(shape: inputShape))")
    }
    return [3, inputShape[1], inputShape[2]]
  }

  public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
    try elementwise(.add, try elementwise(.multiply, x, scale), offset)
  }
}
