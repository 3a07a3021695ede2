import Tensor

/// y = body(x) + shortcut(x): the shortcut is the identity when shapes agree, else a
/// 1x1 convolution (with the body's stride) followed by batch norm, as in ResNet.
public final class Residual: Container {
  public let kind = "residual"
  public var name = "residual"
  public var hasExplicitName = false
  public let body: Sequential
  public private(set) var projection: Sequential?

  public init(_ layers: [Layer]) throws {
    body = try Sequential(layers)
    body.name = "body"
  }

  public var children: [Layer] { [body] + (projection.map { [$0] } ?? []) }
  public var details: String { "\(body.layers.count) layers" + (projection != nil ? ", projected shortcut" : "") }

  public func build(inputShape: [Int], rng: RandomSource) throws -> [Int] {
    let out = try body.build(inputShape: inputShape, rng: rng)
    if out != inputShape {
      guard inputShape.count == 3, out.count == 3, inputShape[1] % out[1] == 0,
        inputShape[1] / out[1] == inputShape[2] / out[2]
      else {
        throw LayerError(
          layer: name, "cannot add a shortcut from \(describe(shape: inputShape)) to \(describe(shape: out))")
      }
      let stride = inputShape[1] / out[1]
      if projection == nil {
        let shortcut = try Sequential([
          try Conv2d(filters: out[0], kernel: 1, stride: stride, bias: false), BatchNorm(),
        ])
        shortcut.name = "shortcut"
        projection = shortcut
      }
      _ = try projection?.build(inputShape: inputShape, rng: rng)
    }
    return out
  }

  public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
    let main = try body.forward(x, training: training)
    let skip = try projection?.forward(x, training: training) ?? x
    return try elementwise(.add, main, skip)
  }

  public var parameters: [NamedParameter] {
    children.flatMap { c in c.parameters.map { NamedParameter(name: "\(c.name).\($0.name)", tensor: $0.tensor) } }
  }
  public var buffers: [NamedParameter] {
    children.flatMap { c in c.buffers.map { NamedParameter(name: "\(c.name).\($0.name)", tensor: $0.tensor) } }
  }
}
