import Analysis
import Crypto
import Data
import Foundation
import NN
import Tensor

/// A value as the replay cache keeps it. Models carry their optimizer state and
/// history (the `.atlm` bytes), so that a fit after a restored fit goes on as it would;
/// embeddings their map (the `.atle` bytes), so that a restored map places new points as
/// the fit's did.
indirect enum CachedValue: Codable {
  case none
  case bool(Bool)
  case number(Double)
  case string(String)
  case list([CachedValue])
  case record(names: [String], values: [CachedValue])
  case tensor(shape: [Int], floats: Data)
  case model(Data)
  case history(Data)
  case embedding(Data)

  /// The value kept, or nil for a value the cache cannot keep (datasets, optimizers,
  /// functions): a statement that writes one is not cached.
  init?(_ value: Value) throws {
    switch value {
    case .none: self = .none
    case .bool(let b): self = .bool(b)
    case .number(let n): self = .number(n)
    case .string(let s): self = .string(s)
    case .list(let items):
      var kept: [CachedValue] = []
      for item in items {
        guard let k = try CachedValue(item) else { return nil }
        kept.append(k)
      }
      self = .list(kept)
    case .record(let r):
      var kept: [CachedValue] = []
      for field in r.fields {
        guard let k = try CachedValue(field.value) else { return nil }
        kept.append(k)
      }
      self = .record(names: r.names, values: kept)
    case .tensor(let t): self = .tensor(shape: t.shape, floats: CachedValue.bytes(t))
    case .layer(let layer) where layer is Sequential: self = .model(try ModelArchive.data(of: layer))
    case .history(let h): self = .history(try h.archived())
    case .embedding(let e): self = .embedding(try EmbeddingFile.data(of: e, naming: "a cached embedding"))
    default: return nil
    }
  }

  var value: Value {
    get throws {
      switch self {
      case .none: return .none
      case .bool(let b): return .bool(b)
      case .number(let n): return .number(n)
      case .string(let s): return .string(s)
      case .list(let items): return .list(try items.map { try $0.value })
      case .record(let names, let values): return .record(Record(Array(zip(names, try values.map { try $0.value }))))
      case .tensor(let shape, let floats): return .tensor(try CachedValue.tensor(shape, floats))
      case .model(let data): return .layer(try ModelArchive.model(from: data))
      case .history(let data): return .history(try History.restored(data))
      case .embedding(let data):
        return .embedding(try EmbeddingFile.embedding(from: data, naming: "a cached embedding"))
      }
    }
  }

  static func bytes(_ t: Tensor) -> Data { t.toArray().withUnsafeBytes { Data($0) } }

  static func tensor(_ shape: [Int], _ floats: Data) throws -> Tensor {
    let count = floats.count / MemoryLayout<Float>.size
    guard shape.reduce(1, *) == count else { throw AtelierError("a cached tensor does not match its shape") }
    let values = floats.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    return try Tensor(values, shape: shape)
  }
}

/// The content of the values a statement reads, for its cache key. Datasets are hashed
/// once per object (they do not change); a value that cannot be hashed makes the
/// statement run every time.
final class ValueDigests {
  private var datasets: [ObjectIdentifier: (Dataset, String)] = [:]
  /// Values put back from the cache keep the digest they had when they were stored, so
  /// the statements after a restored one find the keys an uncached replay made.
  private var remembered: [ObjectIdentifier: (object: AnyObject, digest: String)] = [:]

  /// A statement that ran may have changed what it wrote (or, when it cannot say, anything).
  func forget(_ objects: [AnyObject]?) {
    guard let objects else { return remembered.removeAll() }
    for object in objects { remembered[ObjectIdentifier(object)] = nil }
  }

  func remember(_ value: Value, as digest: String) {
    guard let object = ValueDigests.identity(value) else { return }
    remembered[ObjectIdentifier(object)] = (object, digest)
  }

  static func identity(_ value: Value) -> AnyObject? {
    switch value {
    case .layer(let layer): return layer
    case .history(let history): return history
    case .embedding(let e): return e.points
    case .tensor(let t): return t
    default: return nil
    }
  }

  func digest(_ value: Value) throws -> String? {
    var hasher = SHA256()
    guard try add(value, to: &hasher) else { return nil }
    return hasher.finalize().hex
  }

  /// The digest of a model, history, embedding or tensor by itself: remembered for one
  /// put back from the cache, else of its content.
  func objectDigest(_ value: Value) throws -> String? {
    guard let object = ValueDigests.identity(value) else { return nil }
    if let known = remembered[ObjectIdentifier(object)], known.object === object { return known.digest }
    var h = SHA256()
    switch value {
    case .tensor(let t):
      h.update(data: Data("tensor \(t.shape)".utf8))
      h.update(data: CachedValue.bytes(t))
    case .layer(let layer):
      // What the model computes and how it trains on: not how long its epochs took.
      guard let model = layer as? Sequential else { return nil }
      h.update(data: Data(try LayerCodec.encode(model).utf8))
      for (name, tensor) in Checkpoint.namedState(of: model) {
        h.update(data: Data(name.utf8))
        h.update(data: CachedValue.bytes(tensor))
        for (key, state) in (model.training.optimizer?.state(of: tensor) ?? [:]).sorted(by: { $0.key < $1.key }) {
          h.update(data: Data(key.utf8))
          h.update(data: CachedValue.bytes(state))
        }
      }
      h.update(data: Data((model.training.optimizer?.summary ?? "no optimizer").utf8))
      ValueDigests.add(model.training.history, to: &h)
      for case let layer as Stochastic in model.allLayers { h.update(data: Data("\(layer.rng.words)".utf8)) }
    case .history(let history): ValueDigests.add(history, to: &h)
    case .embedding(let e):
      h.update(
        data: Data(
          "\(e.source) \(e.classes) \(e.points.shape) \(e.klDivergence ?? .nan) \(e.explainedVarianceRatio ?? [])".utf8)
      )
      h.update(data: CachedValue.bytes(e.points))
      e.labels.withUnsafeBytes { h.update(bufferPointer: $0) }
      // Only a UMAP or t-SNE result has a map: other embeddings keep the digests they had.
      if let map = e.map {
        h.update(data: Data("map \(map.k) \(map.metric) \(map.a) \(map.b) \(map.epochs ?? 0) \(map.seed)".utf8))
        if map.method == .tsne { h.update(data: Data("tsne \(map.dof)".utf8)) }
        h.update(data: CachedValue.bytes(map.reference))
        if let pca = map.pca { h.update(data: CachedValue.bytes(pca.components)) }
      }
    default: return nil
    }
    return h.finalize().hex
  }

  /// A history's figures, not its timings.
  static func add(_ history: History, to h: inout SHA256) {
    for e in history.epochs {
      let numbers = [
        e.trainLoss, e.trainAccuracy, e.validationLoss ?? .nan, e.validationAccuracy ?? .nan, e.learningRate,
      ]
      h.update(data: Data("\(e.epoch) \(e.batches) \(numbers.map(\.bitPattern))".utf8))
    }
    h.update(data: Data("interrupted \(history.interrupted)".utf8))
  }

  private func add(_ value: Value, to h: inout SHA256) throws -> Bool {
    func text(_ s: String) { h.update(data: Data((s + "\u{0}").utf8)) }
    if ValueDigests.identity(value) != nil {
      guard let own = try objectDigest(value) else { return false }
      text("object \(own)")
      return true
    }
    switch value {
    case .none: text("none")
    case .bool(let b): text("bool \(b)")
    case .number(let n): text("number \(n.bitPattern)")
    case .string(let s): text("string \(s)")
    case .list(let items):
      text("list \(items.count)")
      for item in items where try !add(item, to: &h) { return false }
    case .record(let r):
      text("record \(r.fields.count)")
      for field in r.fields {
        text(field.name)
        guard try add(field.value, to: &h) else { return false }
      }
    case .dataset(let d): text("dataset " + dataset(d))
    case .builtin(let b): text("builtin \(b.name)")
    case .function(let f) where StandardLibrary.isLibrary(f):
      text("library function \(f.declaration.name) \(f.declaration.location.file.name):\(f.declaration.location.line)")
    default: return false
    }
    return true
  }

  private func dataset(_ d: Dataset) -> String {
    if let (kept, digest) = datasets[ObjectIdentifier(d)], kept === d { return digest }
    var h = SHA256()
    h.update(data: Data("\(d.name) \(d.sampleShape) \(d.classes) \(d.captions ?? [])".utf8))
    d.labels.withUnsafeBytes { h.update(bufferPointer: $0) }
    d.withStoredPixels { h.update(bufferPointer: $0) }
    let digest = h.finalize().hex
    datasets[ObjectIdentifier(d)] = (d, digest)
    return digest
  }
}
