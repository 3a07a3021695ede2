import Tensor

/// y = act(body(x) + shortcut(x)): the shortcut is the identity when shapes agree, else a
/// 1x1 convolution (with the body's stride) followed by batch norm, as in ResNet.
/// Parameter paths follow torchvision's BasicBlock (`conv1.weight`, `downsample.0.weight`)
/// so that its weights load by name.
public final class Residual: Container {
  public let kind = "residual"
  public var name = "residual"
  public var hasExplicitName = false
  public let body: Sequential
  public private(set) var projection: Sequential?
  /// Applied after the sum, as the ReLU that ends a ResNet block.
  public let activation: Activation?

  public init(_ layers: [Layer], activation: Activation? = nil) throws {
    body = try Sequential(layers)
    body.name = "body"
    self.activation = activation
  }

  public var children: [Layer] { [body] + (projection.map { [$0] } ?? []) }
  public var details: String {
    "\(body.layers.count) layers" + (projection != nil ? ", projected shortcut" : "")
      + (activation.map { ", then \($0.kind)" } ?? "")
  }

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
        let members: [Layer] = [try Conv2d(filters: out[0], kernel: 1, stride: stride, bias: false), BatchNorm()]
        for (index, layer) in members.enumerated() { layer.setExplicitName(String(index)) }
        let shortcut = try Sequential(members)
        shortcut.name = "downsample"
        projection = shortcut
      }
      _ = try projection?.build(inputShape: inputShape, rng: rng)
    }
    return out
  }

  public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
    let main = try body.forward(x, training: training)
    let skip = try projection?.forward(x, training: training) ?? x
    if activation?.function == .relu { return try addReLU(main, skip) }
    let sum = try elementwise(.add, main, skip)
    return try activation?.forward(sum, training: training) ?? sum
  }

  public var parameters: [NamedParameter] { body.parameters + underShortcut(projection?.parameters) }
  public var buffers: [NamedParameter] { body.buffers + underShortcut(projection?.buffers) }

  private func underShortcut(_ entries: [NamedParameter]?) -> [NamedParameter] {
    guard let entries, let shortcut = projection else { return [] }
    return entries.map { NamedParameter(name: "\(shortcut.name).\($0.name)", tensor: $0.tensor) }
  }
}
