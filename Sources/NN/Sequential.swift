import Tensor

/// Layers applied in order. Layers are named when the model is made
/// (`conv1`, `dense2`, … per kind, unless named with `as`) and built, with
/// shape inference, once the input shape is known.
public final class Sequential: Container {
  public let kind = "model"
  public var name = "model"
  public var hasExplicitName = false
  public let layers: [Layer]
  public private(set) var inputShape: [Int]?
  /// Per-layer output shapes once built.
  public private(set) var outputShapes: [[Int]] = []
  /// The optimizer and epochs of its training so far.
  public let training = TrainingRecord()

  public init(_ layers: [Layer]) throws {
    self.layers = layers
    var counts: [String: Int] = [:]
    var seen: Set<String> = []
    for layer in layers {
      // Numbering counts named layers too, so `dense 84 as fc2` leaves dense1, fc2, dense3.
      let position = counts[layer.kind, default: 0] + 1
      counts[layer.kind] = position
      if !layer.hasExplicitName { layer.name = "\(layer.kind)\(position)" }
      guard seen.insert(layer.name).inserted else {
        throw LayerError(
          layer: layer.name, "is named twice in one model", hint: "give each layer its own name with `as`")
      }
    }
  }

  public var isBuilt: Bool { inputShape != nil }
  public var children: [Layer] { layers }
  public var details: String { "\(layers.count) layers" }
  public var outputShape: [Int]? { outputShapes.last ?? inputShape }

  @discardableResult
  public func build(inputShape: [Int], rng: RandomSource) throws -> [Int] {
    if let built = self.inputShape {
      guard built == inputShape else {
        throw LayerError(
          layer: name,
          "was built for inputs \(describe(shape: built)) but got \(describe(shape: inputShape))")
      }
      return outputShapes.last ?? built
    }
    guard !inputShape.isEmpty, inputShape.allSatisfy({ $0 > 0 }),
      inputShape.reduce(1.0, { $0 * Double($1) }) <= Double(maxParameterCount)
    else {
      throw LayerError(layer: name, "cannot take inputs of shape \(describe(shape: inputShape))")
    }
    var shape = inputShape
    var shapes: [[Int]] = []
    var parameterBytes = 0
    for layer in layers {
      shape = try layer.build(inputShape: shape, rng: rng)
      shapes.append(shape)
      // Each parameter is bounded when made; the model as a whole must fit in memory too.
      parameterBytes += layer.parameterCount * 4
      try MemoryBudget.check(bytes: parameterBytes, for: "\(name)'s parameters (up to \(layer.name))")
      try MemoryBudget.check(shape: shape, for: "\(layer.name)'s output of one sample")
    }
    self.inputShape = inputShape
    self.outputShapes = shapes
    return shape
  }

  public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
    guard let built = inputShape else { throw LayerError(layer: name, "is used before it was built") }
    let sample = Array(x.shape.dropFirst())
    guard sample == built else {
      throw LayerError(
        layer: name, "was built for inputs \(describe(shape: built)) but got \(describe(shape: sample))")
    }
    var h = x
    var index = 0
    while index < layers.count {
      // A ReLU right after a conv or a batch norm runs inside it: one pass over the activations fewer.
      if let fusing = layers[index] as? FusesReLU, index + 1 < layers.count,
        let next = layers[index + 1] as? Activation, next.function == .relu
      {
        // A max pool after that ReLU applies its backward mask on the pooled values.
        if let leaving = fusing as? LeavesReLUMaskToPool, index + 2 < layers.count,
          let pool = layers[index + 2] as? MaxPool2d
        {
          h = try pool.forwardApplyingReLUMask(leaving.forwardLeavingReLUMaskToPool(h, training: training))
          index += 3
          continue
        }
        h = try fusing.forward(h, training: training, relu: true)
        index += 2
      } else {
        h = try layers[index].forward(h, training: training)
        index += 1
      }
    }
    return h
  }

  /// Every parameter with its PyTorch-style path, e.g. `conv1.weight`.
  public var namedParameters: [(path: String, tensor: Tensor)] {
    layers.flatMap { layer in layer.parameters.map { ("\(layer.name).\($0.name)", $0.tensor) } }
  }

  public var parameters: [NamedParameter] {
    namedParameters.map { NamedParameter(name: $0.path, tensor: $0.tensor) }
  }

  /// Parameters and buffers (running statistics) with their paths: the state a checkpoint keeps.
  public var namedState: [(path: String, tensor: Tensor)] {
    layers.flatMap { layer in
      (layer.parameters + layer.buffers).map { ("\(layer.name).\($0.name)", $0.tensor) }
    }
  }

  public var buffers: [NamedParameter] {
    layers.flatMap { layer in layer.buffers.map { NamedParameter(name: "\(layer.name).\($0.name)", tensor: $0.tensor) }
    }
  }

  public func layer(named target: String) -> Layer? { layers.first { $0.name == target } }

  /// The output of the layer named `target` (evaluation unless `training`).
  public func activations(_ x: Tensor, at target: String, training: Bool = false) throws -> Tensor {
    guard layers.contains(where: { $0.name == target }) else {
      throw LayerError(
        layer: name, "has no layer named '\(target)'", hint: "its layers: " + layers.map(\.name).joined(separator: ", ")
      )
    }
    var h = x
    for layer in layers {
      h = try layer.forward(h, training: training)
      if layer.name == target { break }
    }
    return h
  }
}
