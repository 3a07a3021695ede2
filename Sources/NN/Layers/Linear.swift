import Tensor

/// A fully connected layer over flat features; `dense N` in the language.
public final class Linear: Layer, Regularized, FusesReLU {
  public let kind = "dense"
  public var name = "dense"
  public var hasExplicitName = false
  public let units: Int
  public let useBias: Bool
  public private(set) var weight: Tensor?
  public private(set) var bias: Tensor?
  public var weightSettings = WeightSettings()

  public init(units: Int, bias: Bool = true) throws {
    guard units > 0 else { throw LayerError(layer: "dense", "needs a positive number of units (got \(units))") }
    self.units = units
    self.useBias = bias
  }

  public var details: String {
    "\(units) units" + weightSettings.details
  }

  public func build(inputShape: [Int], rng: RandomSource) throws -> [Int] {
    guard inputShape.count == 1 else {
      let flat = inputShape.reduce(1, *)
      throw LayerError(
        layer: name, "expects flat features but got \(describe(shape: inputShape))",
        hint: "add flatten before \(name) (it would see \(flat) inputs)")
    }
    let inputs = inputShape[0]
    if weight?.shape != [units, inputs] {
      (weight, bias) = try initialParameters(
        initializer, weightShape: [units, inputs], biasCount: useBias ? units : nil, fanIn: inputs, fanOut: units,
        rng: rng)
    }
    return [units]
  }

  public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
    try forward(x, training: training, relu: false)
  }

  public func forward(_ x: Tensor, training: Bool, relu: Bool) throws -> Tensor {
    guard let weight else { throw LayerError(layer: name, "is used before it was built") }
    guard x.rank == 2, x.shape[1] == weight.shape[1] else {
      throw LayerError(
        layer: name,
        "expects \(weight.shape[1]) inputs but got \(describe(shape: Array(x.shape.dropFirst())))",
        hint: x.rank > 2 ? "add flatten?" : nil)
    }
    return try linear(x, weight: weight, bias: bias, relu: relu)
  }

  public var parameters: [NamedParameter] {
    [weight.map { NamedParameter(name: "weight", tensor: $0) }, bias.map { NamedParameter(name: "bias", tensor: $0) }]
      .compactMap { $0 }
  }
}
