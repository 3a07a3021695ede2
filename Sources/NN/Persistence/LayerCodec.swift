import Foundation
import Tensor

/// A model's architecture as JSON, so that `load` can rebuild it before the weights go
/// in. Each layer is its kind, its name and the settings its `LayerKind` declares, so a
/// file holds exactly what a notebook could have written, checked by the same forms.
public enum LayerCodec {
  /// Layers nest (residual blocks, a VAE's halves) a few levels deep; a file nesting
  /// deeper is not one Atelier wrote.
  static let maxDepth = 32

  public static func encode(_ layer: Layer) throws -> String {
    let data = try encoder.encode(try spec(of: layer))
    return String(decoding: data, as: UTF8.self)
  }

  /// Rebuilds a layer from its JSON description, checking every setting against its
  /// kind's declaration, so that a tampered file is an error, not a model with negative
  /// shapes or terabytes of weights.
  public static func decode(_ json: String) throws -> Layer {
    let spec: LayerSpec
    do {
      spec = try JSONDecoder().decode(LayerSpec.self, from: Data(json.utf8))
    } catch {
      throw LayerError(layer: "load", "the architecture is not a description of layers Atelier reads")
    }
    return try layer(from: spec, depth: 0)
  }

  private static let encoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return encoder
  }()

  static func spec(of layer: Layer) throws -> LayerSpec {
    guard let kind = LayerKinds.of(layer) else {
      throw LayerError(layer: layer.name, "a \(layer.kind) layer cannot be saved")
    }
    return LayerSpec(
      kind: kind.kind, name: layer.name, explicit: layer.hasExplicitName,
      settings: try kind.settings(of: layer).mapValues(fileSetting))
  }

  private static func fileSetting(_ value: SettingValue) throws -> FileSetting {
    switch value {
    case .number(let n): return .number(n)
    case .flag(let b): return .flag(b)
    case .text(let s): return .text(s)
    case .list(let items): return .list(try items.map(fileSetting))
    case .layer(let l): return .layer(try spec(of: l))
    }
  }

  private static func layer(from spec: LayerSpec, depth: Int) throws -> Layer {
    guard depth <= maxDepth else {
      throw LayerError(layer: "load", "layers nest more than \(maxDepth) levels deep")
    }
    guard let kind = LayerKinds.byKind[spec.kind] else {
      throw LayerError(layer: "load", "unknown layer kind '\(spec.kind)'")
    }
    func value(_ setting: FileSetting) throws -> SettingValue {
      switch setting {
      case .number(let n): return .number(n)
      case .flag(let b): return .flag(b)
      case .text(let s): return .text(s)
      case .list(let items):
        guard items.count <= 100_000 else { throw LayerError(layer: "load", "a list of \(items.count) settings") }
        return .list(try items.map(value))
      case .layer(let inner): return .layer(try layer(from: inner, depth: depth + 1))
      }
    }
    let made: Layer
    do {
      // Weights are assigned after the model is rebuilt, so its generator does not matter.
      made = try kind.make(try upgraded(spec).settings.mapValues(value), rng: RandomSource(seed: 0))
    } catch let error as LayerError where error.layer != "load" {
      throw LayerError(layer: "load", "layer \(spec.kind): \(error.message)")
    }
    if let name = spec.name { made.name = name }
    made.hasExplicitName = spec.explicit ?? false
    return made
  }

  /// Settings of files written before every kind had one declaration: conv kept "same"
  /// beside "pad", pad and resize used other names, and activations all kept an alpha.
  private static func upgraded(_ spec: LayerSpec) -> LayerSpec {
    var s = spec.settings
    switch spec.kind {
    case "conv":
      if case .flag(let same) = s.removeValue(forKey: "same"), same { s["pad"] = .text("same") }
    case "pad":
      if let amount = s.removeValue(forKey: "pad") { s["amount"] = amount }
    case "resize":
      if let height = s.removeValue(forKey: "height"), let width = s.removeValue(forKey: "width") {
        s["size"] = .list([height, width])
      }
    default:
      if let kind = LayerKinds.byKind[spec.kind], !kind.settings.contains(where: { $0.name == "alpha" }) {
        s.removeValue(forKey: "alpha")
      }
    }
    var upgraded = spec
    upgraded.settings = s
    return upgraded
  }
}

/// A layer as a model file holds it: kind, name and settings side by side in one object.
struct LayerSpec: Codable {
  var kind: String
  var name: String?
  var explicit: Bool?
  var settings: [String: FileSetting]

  private static let fixed: Set<String> = ["kind", "name", "explicit"]

  init(kind: String, name: String?, explicit: Bool?, settings: [String: FileSetting]) {
    self.kind = kind
    self.name = name
    self.explicit = explicit
    self.settings = settings
  }

  init(from decoder: Decoder) throws {
    let container = try decoder.container(keyedBy: SettingKey.self)
    kind = try container.decode(String.self, forKey: SettingKey("kind"))
    name = try container.decodeIfPresent(String.self, forKey: SettingKey("name"))
    explicit = try container.decodeIfPresent(Bool.self, forKey: SettingKey("explicit"))
    var settings: [String: FileSetting] = [:]
    for key in container.allKeys where !LayerSpec.fixed.contains(key.stringValue) {
      settings[key.stringValue] = try container.decode(FileSetting.self, forKey: key)
    }
    self.settings = settings
  }

  func encode(to encoder: Encoder) throws {
    var container = encoder.container(keyedBy: SettingKey.self)
    try container.encode(kind, forKey: SettingKey("kind"))
    try container.encodeIfPresent(name, forKey: SettingKey("name"))
    try container.encodeIfPresent(explicit, forKey: SettingKey("explicit"))
    for (key, value) in settings { try container.encode(value, forKey: SettingKey(key)) }
  }
}

/// A setting's value in a model file.
indirect enum FileSetting: Codable {
  case number(Double)
  case flag(Bool)
  case text(String)
  case list([FileSetting])
  case layer(LayerSpec)

  init(from decoder: Decoder) throws {
    let single = try decoder.singleValueContainer()
    if let b = try? single.decode(Bool.self) {
      self = .flag(b)
    } else if let n = try? single.decode(Double.self) {
      self = .number(n)
    } else if let s = try? single.decode(String.self) {
      self = .text(s)
    } else if let items = try? single.decode([FileSetting].self) {
      self = .list(items)
    } else {
      self = .layer(try single.decode(LayerSpec.self))
    }
  }

  func encode(to encoder: Encoder) throws {
    var single = encoder.singleValueContainer()
    switch self {
    // Whole numbers as integers, so that a file reads `"filters": 6`.
    case .number(let n) where n.rounded() == n && abs(n) < 9e15: try single.encode(Int(n))
    case .number(let n): try single.encode(n)
    case .flag(let b): try single.encode(b)
    case .text(let s): try single.encode(s)
    case .list(let items): try single.encode(items)
    case .layer(let spec): try single.encode(spec)
    }
  }
}

private struct SettingKey: CodingKey {
  let stringValue: String
  var intValue: Int? { nil }
  init(_ name: String) { stringValue = name }
  init?(stringValue: String) { self.stringValue = stringValue }
  init?(intValue: Int) { nil }
}
