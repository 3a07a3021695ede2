import CKernel
import Data
import Foundation
import Tensor

/// A saved model (`.atlm`): a safetensors file whose tensors are the weights and
/// buffers (`model.conv1.weight`, `model.bn1.running_mean`) and the optimizer's state
/// (`optimizer.conv1.weight.m`), and whose metadata holds the architecture, the
/// optimizer's settings, the history, the epoch and the random generators' states.
public struct Checkpoint {
  public var model: Layer
  public var optimizer: Optimizer?
  public var history: History?
  public var epoch: Int
  /// The batch shuffler's state, then each stochastic layer's, in layer order.
  public var generators: [[UInt64]]
  /// Weights and buffers that hold NaN or infinite values as read (a run that diverged).
  public var nonFinite: [String] = []

  public init(model: Layer, optimizer: Optimizer?, history: History?, epoch: Int, generators: [[UInt64]]) {
    self.model = model
    self.optimizer = optimizer
    self.history = history
    self.epoch = epoch
    self.generators = generators
  }

  public static let format = "atelier-checkpoint-1"

  public func save(to path: String) throws {
    var tensors: [(String, Tensor)] = []
    let state = Checkpoint.namedState(of: model)
    for (name, tensor) in state { tensors.append(("model.\(name)", tensor)) }
    if let optimizer {
      for (name, tensor) in state where tensor.requiresGrad {
        for (key, value) in optimizer.state(of: tensor).sorted(by: { $0.key < $1.key }) {
          tensors.append(("optimizer.\(name).\(key)", value))
        }
      }
    }
    var metadata = [
      "format": Checkpoint.format,
      "atelier_version": AtelierVersion.number,
      "architecture": try LayerCodec.encode(model),
      "epoch": String(epoch),
      "generators": try Checkpoint.json(generators.map { $0.map(String.init) }),
    ]
    if let optimizer { metadata["optimizer"] = try Checkpoint.json(OptimizerCodec.encode(optimizer)) }
    if let history { metadata["history"] = try Checkpoint.json(HistoryCodec.encode(history)) }
    try SafeTensors.write(tensors.map { (name: $0.0, tensor: $0.1) }, metadata: metadata, to: path)
  }

  public static func load(from path: String) throws -> Checkpoint {
    let file = try SafeTensors.read(path)
    guard file.metadata["format"] == format, let architecture = file.metadata["architecture"] else {
      throw DataError(
        path: path, problem: "is not an Atelier model file (no architecture in its metadata)",
        hint: "for weights exported from PyTorch use import_weights(net, \"file.safetensors\")")
    }
    let model = try LayerCodec.decode(architecture)
    let nonFinite = try assign(file.tensors, prefix: "model.", to: model, path: path)
    var optimizer: Optimizer?
    if let text = file.metadata["optimizer"], let spec = try object(text, path) as? [String: Any] {
      let restored = try OptimizerCodec.decode(spec)
      for (name, tensor) in namedState(of: model) where tensor.requiresGrad {
        let prefix = "optimizer.\(name)."
        var parts: [String: Tensor] = [:]
        for (key, value) in file.tensors where key.hasPrefix(prefix) {
          parts[String(key.dropFirst(prefix.count))] = value
        }
        if !parts.isEmpty { try restored.restore(parts, of: tensor) }
      }
      optimizer = restored
    }
    let history = try file.metadata["history"].map {
      try HistoryCodec.decode(try object($0, path) as? [String: Any] ?? [:])
    }
    let generators = ((try file.metadata["generators"].map { try object($0, path) }) as? [[String]] ?? []).map {
      $0.compactMap { UInt64($0) }
    }
    var checkpoint = Checkpoint(
      model: model, optimizer: optimizer, history: history, epoch: Int(file.metadata["epoch"] ?? "0") ?? 0,
      generators: generators)
    checkpoint.nonFinite = nonFinite
    return checkpoint
  }

  /// Every parameter and buffer of a model with its PyTorch-style path.
  public static func namedState(of layer: Layer) -> [(String, Tensor)] {
    if let model = layer as? Sequential { return model.namedState }
    return (layer.parameters + layer.buffers).map { ($0.name, $0.tensor) }
  }

  /// Copies tensors named `prefix + path` into a model's parameters and buffers,
  /// reporting every missing, extra or wrongly shaped tensor at once.
  /// Layers named in `skipping` (a new classifier head, say) keep their weights.
  /// Returns the names of the tensors copied in that hold NaN or infinite values.
  @discardableResult
  public static func assign(
    _ tensors: [String: Tensor], prefix: String, to model: Layer, path: String, skipping: [String] = []
  ) throws -> [String] {
    func skipped(_ name: String) -> Bool { skipping.contains { name.hasPrefix($0 + ".") } }
    let state = namedState(of: model).filter { !skipped($0.0) }
    var missing: [String] = [], misshapen: [String] = []
    var copies: [(source: Tensor, target: Tensor)] = []
    for (name, target) in state {
      guard let source = tensors[prefix + name] else {
        missing.append("\(name) \(describe(shape: target.shape))")
        continue
      }
      guard source.shape == target.shape || (source.count == target.count && target.rank == 0) else {
        misshapen.append(
          "\(name) is \(describe(shape: source.shape)) in the file but \(describe(shape: target.shape)) in the model")
        continue
      }
      copies.append((source, target))
    }
    // PyTorch's batch norm also saves a counter that Atelier does not keep.
    let known = Set(state.map { prefix + $0.0 })
    let extra = tensors.keys.filter {
      $0.hasPrefix(prefix) && !known.contains($0) && !$0.hasSuffix("num_batches_tracked")
        && !skipped(String($0.dropFirst(prefix.count)))
    }
    let unexpected = extra.sorted().map { String($0.dropFirst(prefix.count)) }
    // A whole different architecture would list hundreds of tensors: each kind shows its first few.
    func listed(_ items: [String], _ label: String) -> String? {
      guard !items.isEmpty else { return nil }
      let shown = items.prefix(6).joined(separator: "; ")
      return "\(items.count) \(label): \(shown)" + (items.count > 6 ? "; and \(items.count - 6) more" : "")
    }
    let problems = [
      listed(missing, "missing"), listed(misshapen, "misshapen"), listed(unexpected, "unexpected"),
    ].compactMap { $0 }
    if !problems.isEmpty {
      throw DataError(
        path: path, problem: "does not match the model — " + problems.joined(separator: " — "),
        hint: "names follow the model's layer names (summary shows them), e.g. conv1.weight")
    }
    // Only a file that matches throughout is copied in, so a failed import leaves the model as it was.
    for (source, target) in copies { target.data.update(from: source.data, count: target.count) }
    return state.filter { _, t in atl_all_finite(t.data, Int64(t.count)) == 0 }.map(\.0)
  }

  static func json(_ value: Any) throws -> String {
    String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
  }

  static func object(_ text: String, _ path: String) throws -> Any {
    guard let value = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else {
      throw DataError(path: path, problem: "has metadata that is not valid JSON")
    }
    return value
  }
}

/// Weight exchange with PyTorch: plain safetensors with PyTorch's parameter names.
public enum WeightExchange {
  public static func export(_ model: Layer, to path: String) throws {
    try SafeTensors.write(Checkpoint.namedState(of: model).map { (name: $0.0, tensor: $0.1) }, to: path)
  }

  /// Returns the names of the imported tensors that hold NaN or infinite values.
  @discardableResult
  public static func importWeights(into model: Layer, from path: String, skipping: [String] = []) throws -> [String] {
    let file = try SafeTensors.read(path)
    return try Checkpoint.assign(file.tensors, prefix: "", to: model, path: path, skipping: skipping)
  }
}

enum OptimizerCodec {
  static func encode(_ optimizer: Optimizer) -> [String: Any] {
    switch optimizer {
    case let o as SGD:
      return [
        "kind": "sgd", "lr": o.learningRate, "momentum": o.momentum, "weight_decay": o.weightDecay,
        "nesterov": o.nesterov,
      ]
    case let o as Adam:
      return [
        "kind": o.decoupled ? "adamw" : "adam", "lr": o.learningRate, "beta1": o.beta1, "beta2": o.beta2,
        "eps": o.epsilon, "weight_decay": o.weightDecay,
      ]
    case let o as RMSprop:
      return [
        "kind": "rmsprop", "lr": o.learningRate, "alpha": o.alpha, "eps": o.epsilon, "weight_decay": o.weightDecay,
      ]
    default: return ["kind": "unknown"]
    }
  }

  static func decode(_ spec: [String: Any]) throws -> Optimizer {
    func f(_ key: String, _ fallback: Float) -> Float { (spec[key] as? Double).map(Float.init) ?? fallback }
    switch spec["kind"] as? String {
    case "sgd":
      return SGD(
        learningRate: f("lr", 0.01), momentum: f("momentum", 0), weightDecay: f("weight_decay", 0),
        nesterov: spec["nesterov"] as? Bool ?? false)
    case "adam", "adamw":
      return Adam(
        learningRate: f("lr", 1e-3), beta1: f("beta1", 0.9), beta2: f("beta2", 0.999), epsilon: f("eps", 1e-8),
        weightDecay: f("weight_decay", 0), decoupled: spec["kind"] as? String == "adamw")
    case "rmsprop":
      return RMSprop(
        learningRate: f("lr", 0.01), alpha: f("alpha", 0.99), epsilon: f("eps", 1e-8), weightDecay: f("weight_decay", 0)
      )
    default: throw LayerError(layer: "load", "unknown optimizer in the checkpoint")
    }
  }
}

enum HistoryCodec {
  static func encode(_ history: History) -> [String: Any] {
    [
      "interrupted": history.interrupted,
      "epochs": history.epochs.map { e -> [String: Any] in
        var row: [String: Any] = [
          "epoch": e.epoch, "loss": e.trainLoss, "acc": e.trainAccuracy, "lr": e.learningRate, "seconds": e.seconds,
          "batches": e.batches,
        ]
        if let v = e.validationLoss { row["val_loss"] = v }
        if let v = e.validationAccuracy { row["val_acc"] = v }
        return row
      },
    ]
  }

  static func decode(_ spec: [String: Any]) throws -> History {
    let history = History()
    for row in (spec["epochs"] as? [[String: Any]]) ?? [] {
      history.append(
        EpochRecord(
          epoch: row["epoch"] as? Int ?? 0, trainLoss: row["loss"] as? Double ?? .nan,
          trainAccuracy: row["acc"] as? Double ?? .nan,
          validationLoss: row["val_loss"] as? Double, validationAccuracy: row["val_acc"] as? Double,
          learningRate: row["lr"] as? Double ?? 0, seconds: row["seconds"] as? Double ?? 0,
          batches: row["batches"] as? Int ?? 0))
    }
    history.interrupted = spec["interrupted"] as? Bool ?? false
    return history
  }
}
