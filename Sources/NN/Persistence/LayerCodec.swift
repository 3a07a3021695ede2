import Foundation
import Tensor

/// A model's architecture as JSON, so that `load` can rebuild it before the weights go in.
public enum LayerCodec {
  public static func encode(_ layer: Layer) -> [String: Any] {
    var spec: [String: Any] = ["kind": layer.kind, "name": layer.name, "explicit": layer.hasExplicitName]
    switch layer {
    case let l as Sequential:
      spec["layers"] = l.layers.map(encode)
      if let input = l.inputShape { spec["input"] = input }
    case let l as Conv2d:
      spec["filters"] = l.filters
      spec["kernel"] = l.window.kernel.0
      spec["stride"] = l.window.stride.0
      spec["pad"] = l.window.padding.0
      spec["bias"] = l.useBias
      spec["same"] = l.samePadding
      spec["l1"] = l.l1
      spec["l2"] = l.l2
      spec["init"] = l.initializer.rawValue
    case let l as ConvTranspose2d:
      spec.merge([
        "filters": l.filters, "kernel": l.kernel, "stride": l.stride, "pad": l.padding, "output_pad": l.outputPadding,
      ]) { $1 }
    case let l as Linear:
      spec.merge(["units": l.units, "bias": l.useBias, "l1": l.l1, "l2": l.l2, "init": l.initializer.rawValue]) { $1 }
    case let l as MaxPool2d:
      spec.merge(["kernel": l.window.kernel.0, "stride": l.window.stride.0, "pad": l.window.padding.0]) { $1 }
    case let l as AvgPool2d:
      spec.merge(["kernel": l.window.kernel.0, "stride": l.window.stride.0, "pad": l.window.padding.0]) { $1 }
    case let l as BatchNorm:
      spec.merge(["momentum": l.momentum, "eps": l.epsilon]) { $1 }
    case let l as Dropout:
      spec["p"] = l.probability
    case let l as Activation:
      spec["alpha"] = l.alpha
    case let l as Reshape:
      spec["shape"] = l.shape
    case let l as ZeroPad:
      spec["pad"] = [l.amounts.top, l.amounts.left, l.amounts.bottom, l.amounts.right]
    case let l as Resize:
      spec.merge(["height": l.height, "width": l.width]) { $1 }
    case let l as GreyToRGB:
      spec.merge(["mean": l.mean.map(Double.init), "std": l.std.map(Double.init)]) { $1 }
    case let l as Residual:
      spec["layers"] = l.body.layers.map(encode)
      if let activation = l.activation { spec["act"] = activation.kind }
    case let l as VAE:
      spec["encoder"] = encode(l.encoder)
      spec["decoder"] = encode(l.decoder)
      spec["latent"] = l.latent
    default: break
    }
    return spec
  }

  /// Layers nest (residual blocks, a VAE's halves) a few levels deep; a file nesting
  /// deeper is not one Atelier wrote.
  static let maxDepth = 32

  /// Rebuilds a layer from its JSON description, checking every setting against the
  /// same bounds the builtins keep, so that a tampered file is an error, not a model
  /// with negative shapes or terabytes of weights.
  public static func decode(_ spec: [String: Any], depth: Int = 0) throws -> Layer {
    guard depth <= maxDepth else {
      throw LayerError(layer: "load", "layers nest more than \(maxDepth) levels deep")
    }
    guard let kind = spec["kind"] as? String else { throw LayerError(layer: "load", "a layer without a kind") }
    func whole(_ value: Any?, _ key: String, in range: ClosedRange<Int>) throws -> Int? {
      guard let value else { return nil }
      let number: Double
      if let v = value as? Int {
        number = Double(v)
      } else if let v = value as? Double {
        number = v
      } else {
        throw LayerError(layer: "load", "layer \(kind) has '\(key)' that is not a number")
      }
      guard number.rounded() == number, number >= Double(range.lowerBound), number <= Double(range.upperBound) else {
        throw LayerError(
          layer: "load",
          "layer \(kind) has '\(key)' = \(value); it must be a whole number from \(range.lowerBound) to \(range.upperBound)"
        )
      }
      return Int(number)
    }
    func int(_ key: String, _ fallback: Int? = nil, in range: ClosedRange<Int>) throws -> Int {
      if let v = try whole(spec[key], key, in: range) { return v }
      if let fallback { return fallback }
      throw LayerError(layer: "load", "layer \(kind) lacks '\(key)'")
    }
    func ints(_ key: String, in range: ClosedRange<Int>) throws -> [Int]? {
      guard let value = spec[key] else { return nil }
      guard let items = value as? [Any], items.count <= 8 else {
        throw LayerError(layer: "load", "layer \(kind) has '\(key)' that is not a short list of numbers")
      }
      return try items.map { try whole($0, key, in: range) ?? 0 }
    }
    func float(_ key: String, _ fallback: Float) throws -> Float {
      guard let value = spec[key] else { return fallback }
      guard let v = value as? Double, v.isFinite, abs(v) < 1e6 else {
        throw LayerError(layer: "load", "layer \(kind) has '\(key)' that is not a finite number")
      }
      return Float(v)
    }
    func layers(_ key: String) throws -> [Layer] {
      try ((spec[key] as? [[String: Any]]) ?? []).map { try decode($0, depth: depth + 1) }
    }
    let layer: Layer
    switch kind {
    case "model":
      let model = try Sequential(try layers("layers"))
      if let input = try ints("input", in: LayerBounds.inputDimension) {
        try model.build(inputShape: input, rng: RandomSource(seed: 0))
      }
      layer = model
    case "conv":
      let conv = try Conv2d(
        filters: try int("filters", in: LayerBounds.channels), kernel: try int("kernel", in: LayerBounds.window),
        stride: try int("stride", 1, in: LayerBounds.stride),
        padding: try int("pad", 0, in: LayerBounds.padding),
        bias: spec["bias"] as? Bool ?? true, same: spec["same"] as? Bool ?? false)
      conv.l1 = try float("l1", 0)
      conv.l2 = try float("l2", 0)
      conv.initializer = Initializer(rawValue: spec["init"] as? String ?? "pytorch") ?? .pytorch
      layer = conv
    case "deconv":
      layer = try ConvTranspose2d(
        filters: try int("filters", in: LayerBounds.channels), kernel: try int("kernel", in: LayerBounds.window),
        stride: try int("stride", 1, in: LayerBounds.stride),
        padding: try int("pad", 0, in: LayerBounds.padding),
        outputPadding: try int("output_pad", 0, in: LayerBounds.padding))
    case "dense":
      let dense = try Linear(units: try int("units", in: LayerBounds.units), bias: spec["bias"] as? Bool ?? true)
      dense.l1 = try float("l1", 0)
      dense.l2 = try float("l2", 0)
      dense.initializer = Initializer(rawValue: spec["init"] as? String ?? "pytorch") ?? .pytorch
      layer = dense
    case "maxpool":
      layer = try MaxPool2d(
        kernel: try int("kernel", in: LayerBounds.window), stride: try int("stride", in: LayerBounds.stride),
        padding: try int("pad", 0, in: LayerBounds.padding))
    case "avgpool":
      layer = try AvgPool2d(
        kernel: try int("kernel", in: LayerBounds.window), stride: try int("stride", in: LayerBounds.stride),
        padding: try int("pad", 0, in: LayerBounds.padding))
    case "globalavgpool": layer = GlobalAvgPool()
    case "bn": layer = BatchNorm(momentum: try float("momentum", 0.1), epsilon: try float("eps", 1e-5))
    case "dropout": layer = try Dropout(try float("p", 0.5))
    case "flatten": layer = Flatten()
    case "reshape": layer = Reshape(try ints("shape", in: -1...MemoryBudget.limit) ?? [-1])
    case "pad":
      let p = try ints("pad", in: LayerBounds.padding) ?? [0, 0, 0, 0]
      guard p.count == 4 else { throw LayerError(layer: "load", "pad needs 4 amounts") }
      layer = try ZeroPad(top: p[0], left: p[1], bottom: p[2], right: p[3])
    case "resize":
      layer = try Resize(height: try int("height", in: LayerBounds.side), width: try int("width", in: LayerBounds.side))
    case "grey_to_rgb":
      func floats(_ key: String, _ fallback: [Float]) -> [Float] {
        (spec[key] as? [Double])?.map(Float.init) ?? fallback
      }
      layer = try GreyToRGB(mean: floats("mean", GreyToRGB.imagenetMean), std: floats("std", GreyToRGB.imagenetStd))
    case "residual":
      layer = try Residual(
        try layers("layers"),
        activation: (spec["act"] as? String).flatMap(Activation.Function.init).map { Activation($0) })
    case "vae":
      guard let e = spec["encoder"] as? [String: Any], let d = spec["decoder"] as? [String: Any],
        let encoder = try decode(e, depth: depth + 1) as? Sequential,
        let decoder = try decode(d, depth: depth + 1) as? Sequential
      else { throw LayerError(layer: "load", "a vae needs an encoder and a decoder model") }
      layer = try VAE(encoder: encoder, decoder: decoder, latent: try int("latent", in: LayerBounds.latent))
    default:
      guard let function = Activation.Function(rawValue: kind) else {
        throw LayerError(layer: "load", "unknown layer kind '\(kind)'")
      }
      layer = Activation(function, alpha: spec["alpha"] == nil ? nil : try float("alpha", 0))
    }
    if let name = spec["name"] as? String { layer.name = name }
    layer.hasExplicitName = spec["explicit"] as? Bool ?? false
    return layer
  }
}
