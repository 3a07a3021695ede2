import Tensor

/// A variational autoencoder: the encoder's flat features feed two dense heads
/// (mean and log-variance of the latent code); z = mu + exp(logvar / 2) · eps
/// (the reparameterisation trick) feeds the decoder, which must give back the
/// input's shape.
public final class VAE: Container, Stochastic {
  public let kind = "vae"
  public var name = "vae"
  public var hasExplicitName = false
  public let encoder: Sequential
  public let decoder: Sequential
  public let latent: Int
  public let mean: Linear
  public let logVariance: Linear
  public private(set) var rng = RandomSource(seed: 0)

  public init(encoder: Sequential, decoder: Sequential, latent: Int) throws {
    guard latent > 0 else { throw LayerError(layer: "vae", "needs a positive latent size") }
    self.encoder = encoder
    self.decoder = decoder
    self.latent = latent
    mean = try Linear(units: latent)
    logVariance = try Linear(units: latent)
    encoder.name = "encoder"
    decoder.name = "decoder"
    mean.name = "mu"
    logVariance.name = "logvar"
  }

  public var children: [Layer] { [encoder, mean, logVariance, decoder] }
  public var details: String { "latent \(latent)" }

  public func build(inputShape: [Int], rng: RandomSource) throws -> [Int] {
    let features = try encoder.build(inputShape: inputShape, rng: rng)
    guard features.count == 1 else {
      throw LayerError(
        layer: name, "the encoder must end with flat features, but gives \(describe(shape: features))",
        hint: "end it with flatten or dense")
    }
    _ = try mean.build(inputShape: features, rng: rng)
    _ = try logVariance.build(inputShape: features, rng: rng)
    let out = try decoder.build(inputShape: [latent], rng: rng)
    guard out == inputShape else {
      throw LayerError(
        layer: name,
        "the decoder gives \(describe(shape: out)) but must give back the input's \(describe(shape: inputShape))")
    }
    self.rng = RandomSource(seed: rng.nextSeed())
    return out
  }

  public func encode(_ x: Tensor, training: Bool) throws -> (mu: Tensor, logvar: Tensor) {
    let h = try encoder.forward(x, training: training)
    return (try mean.forward(h, training: training), try logVariance.forward(h, training: training))
  }

  /// z = mu + exp(logvar / 2) · eps, eps ~ N(0, I)
  public func sample(mu: Tensor, logvar: Tensor) throws -> Tensor {
    let eps = Tensor.normal(mu.shape, rng: rng)
    let std = pointwise(.exp, logvar.scaled(by: 0.5))
    return try elementwise(.add, mu, try elementwise(.multiply, std, eps))
  }

  public func decode(_ z: Tensor, training: Bool) throws -> Tensor { try decoder.forward(z, training: training) }

  /// The reconstruction, mu and logvar; while training z is sampled, otherwise z = mu.
  public func run(_ x: Tensor, training: Bool) throws -> (reconstruction: Tensor, mu: Tensor, logvar: Tensor) {
    let (mu, logvar) = try encode(x, training: training)
    let z = training ? try sample(mu: mu, logvar: logvar) : mu
    return (try decode(z, training: training), mu, logvar)
  }

  public func forward(_ x: Tensor, training: Bool) throws -> Tensor { try run(x, training: training).reconstruction }

  public var parameters: [NamedParameter] {
    children.flatMap { c in c.parameters.map { NamedParameter(name: "\(c.name).\($0.name)", tensor: $0.tensor) } }
  }
  public var buffers: [NamedParameter] {
    children.flatMap { c in c.buffers.map { NamedParameter(name: "\(c.name).\($0.name)", tensor: $0.tensor) } }
  }
}
