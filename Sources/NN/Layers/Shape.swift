import Tensor

/// Gives each sample a new shape with the same number of values; one dimension may be -1.
public final class Reshape: Layer {
  public let kind = "reshape"
  public var name = "reshape"
  public var hasExplicitName = false
  public let shape: [Int]
  private var resolved: [Int] = []

  public init(_ shape: [Int]) { self.shape = shape }
  public var details: String { describe(shape: shape) }

  public func build(inputShape: [Int], rng: RandomSource) throws -> [Int] {
    let count = inputShape.reduce(1, *)
    let known = shape.filter { $0 != -1 }.reduce(1, *)
    var out = shape
    if let free = shape.firstIndex(of: -1), known > 0, count % known == 0, shape.filter({ $0 == -1 }).count == 1 {
      out[free] = count / known
    }
    guard out.allSatisfy({ $0 > 0 }), out.reduce(1, *) == count else {
      throw LayerError(
        layer: name, "cannot reshape \(describe(shape: inputShape)) (\(count) values) to \(describe(shape: shape))")
    }
    resolved = out
    return out
  }

  public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
    try x.reshaped([x.shape.first ?? 0] + resolved)
  }
}

/// Zero padding around each image: (top, left, bottom, right).
public final class ZeroPad: Layer {
  public let kind = "pad"
  public var name = "pad"
  public var hasExplicitName = false
  public let amounts: (top: Int, left: Int, bottom: Int, right: Int)

  public init(top: Int, left: Int, bottom: Int, right: Int) throws {
    guard top >= 0, left >= 0, bottom >= 0, right >= 0 else { throw LayerError(layer: "pad", "needs padding ≥ 0") }
    amounts = (top, left, bottom, right)
  }

  public var details: String { "\(amounts.top), \(amounts.left), \(amounts.bottom), \(amounts.right)" }

  public func build(inputShape: [Int], rng: RandomSource) throws -> [Int] {
    guard inputShape.count == 3 else {
      throw LayerError(layer: name, "expects images (channels, height, width) but got \(describe(shape: inputShape))")
    }
    return [inputShape[0], inputShape[1] + amounts.top + amounts.bottom, inputShape[2] + amounts.left + amounts.right]
  }

  public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
    try zeroPad(x, top: amounts.top, left: amounts.left, bottom: amounts.bottom, right: amounts.right)
  }
}

/// Bilinear resizing of each image, e.g. 28x28 -> 32x32 or 224x224.
public final class Resize: Layer {
  public let kind = "resize"
  public var name = "resize"
  public var hasExplicitName = false
  public let height: Int
  public let width: Int

  public init(height: Int, width: Int) throws {
    guard height > 0, width > 0, height <= 4096, width <= 4096 else {
      throw LayerError(layer: "resize", "needs a size between 1 and 4096")
    }
    self.height = height
    self.width = width
  }

  public var details: String { "\(height)x\(width)" }

  public func build(inputShape: [Int], rng: RandomSource) throws -> [Int] {
    guard inputShape.count == 3 else {
      throw LayerError(layer: name, "expects images (channels, height, width) but got \(describe(shape: inputShape))")
    }
    return [inputShape[0], height, width]
  }

  public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
    try resizeBilinear(x, height: height, width: width)
  }
}
