import Foundation
import Tensor

/// Models and histories as bytes, for the replay cache: a model with what it trained
/// with (optimizer state, history) in the `.atlm` format, a history as JSON.
public enum ModelArchive {
  public static func data(of model: Layer) throws -> Data {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent(
      "atelier-archive-\(UUID().uuidString).atlm")
    defer { try? FileManager.default.removeItem(at: file) }
    let record = (model as? Sequential)?.training
    let history = record.flatMap { $0.history.epochs.isEmpty ? nil : $0.history }
    // Dropout's generators go along (after an empty shuffler slot, as fit's checkpoints
    // order them), so that training goes on drawing the masks it would have drawn.
    let stochastic = model.allLayers.compactMap { $0 as? Stochastic }
    try Checkpoint(
      model: model, optimizer: record?.optimizer, history: history, epoch: history?.epochs.count ?? 0,
      generators: [[]] + stochastic.map(\.rng.words)
    ).save(to: file.path)
    return try Data(contentsOf: file)
  }

  public static func model(from data: Data) throws -> Layer {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent(
      "atelier-archive-\(UUID().uuidString).atlm")
    defer { try? FileManager.default.removeItem(at: file) }
    try data.write(to: file)
    let saved = try Checkpoint.load(from: file.path)
    if let model = saved.model as? Sequential {
      model.training.optimizer = saved.optimizer
      model.training.history = saved.history ?? History()
    }
    let stochastic = saved.model.allLayers.compactMap { $0 as? Stochastic }
    for (layer, words) in zip(stochastic, saved.generators.dropFirst()) { layer.rng.words = words }
    return saved.model
  }
}

extension History {
  /// Keys sorted: equal histories give equal bytes, in any process.
  public func archived() throws -> Data {
    try JSONSerialization.data(withJSONObject: HistoryCodec.encode(self), options: [.sortedKeys])
  }

  public static func restored(_ data: Data) throws -> History {
    guard let spec = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw TensorError("not an archived history")
    }
    return try HistoryCodec.decode(spec)
  }
}
