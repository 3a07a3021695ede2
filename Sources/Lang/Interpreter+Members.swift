import Data
import NN
import Tensor

extension Interpreter {
  func member(of value: Value, _ name: String, at location: SourceLocation) throws -> Value {
    let found: Value?
    do {
      found = try memberValue(of: value, name)
    } catch let error as UserError {
      throw AtelierError(error.userMessage, at: location, hint: error.hint)
    }
    if let found { return found }
    let names = memberNames(of: value)
    // PyTorch's `net.conv1.weight`: a layer's tensors are reached by their path.
    if case .layer(let layer) = value, ["weight", "bias", "running_mean", "running_var"].contains(name) {
      throw AtelierError(
        "a layer has no member '\(name)'", at: location,
        hint: "a layer's tensors are params(net)[\"\(layer.name).\(name)\"] (paths as PyTorch names them)")
    }
    throw AtelierError(
      "a \(value.typeName) has no member '\(name)'", at: location,
      hint: suggestion(for: name, among: names).map { "did you mean '\($0)'?" }
        ?? (names.isEmpty ? nil : "members: " + names.joined(separator: ", ")))
  }

  /// A member for tab completion; nil where there is none.
  public func memberForCompletion(of value: Value, _ name: String) throws -> Value? {
    try memberValue(of: value, name)
  }

  private func memberValue(of value: Value, _ name: String) throws -> Value? {
    switch value {
    case .record(let r): return r[name]
    case .dataset(let d): return datasetMember(d, name)
    case .history(let h): return historyMember(h, name)
    case .layer(let l): return layerMember(l, name)
    case .tensor(let t):
      switch name {
      case "shape": return .list(t.shape.map { .number(Double($0)) })
      case "T": return .tensor(try t.transposed())
      case "count": return .number(Double(t.count))
      default: return nil
      }
    case .list(let items):
      switch name {
      case "count": return .number(Double(items.count))
      case "first": return items.first ?? Value.none
      case "last": return items.last ?? Value.none
      default: return nil
      }
    case .string(let s): return name == "count" ? .number(Double(s.count)) : nil
    case .optimizer(let o): return name == "lr" ? .number(Double(o.learningRate)) : nil
    case .embedding(let e):
      switch name {
      case "points": return .tensor(e.points)
      case "labels": return .list(e.labels.map { .number(Double($0)) })
      case "classes": return .list(e.classes.map { .string($0) })
      case "count": return .number(Double(e.count))
      case "kl": return e.klDivergence.map { .number($0) } ?? Value.none
      case "converged": return .bool(e.stoppedEarly == nil)
      case "explained_variance_ratio":
        return e.explainedVarianceRatio.map { .list($0.map { .number($0) }) } ?? Value.none
      default: return nil
      }
    case .matrix(let m):
      switch name {
      case "values": return .list(m.values.map { .list($0.map { .number($0) }) })
      case "classes": return .list(m.classes.map { .string($0) })
      default: return nil
      }
    default: return nil
    }
  }

  /// Member names, for completion and error hints.
  public func memberNames(of value: Value) -> [String] {
    switch value {
    case .record(let r): return r.names
    case .dataset: return ["images", "labels", "classes", "count", "shape", "name"]
    case .history: return ["loss", "acc", "val_loss", "val_acc", "time", "lr", "epochs", "interrupted"]
    case .layer(let l): return ["name", "kind", "params", "layers"] + ((l as? Sequential)?.layers.map(\.name) ?? [])
    case .tensor: return ["shape", "T", "count"]
    case .list: return ["count", "first", "last"]
    case .string: return ["count"]
    case .optimizer: return ["lr"]
    case .embedding: return ["points", "labels", "classes", "count", "kl", "converged", "explained_variance_ratio"]
    case .matrix: return ["values", "classes"]
    default: return []
    }
  }

  private func datasetMember(_ d: Dataset, _ name: String) -> Value? {
    switch name {
    case "images": return .tensor(d.images)
    case "labels": return .list(d.labels.map { .number(Double($0)) })
    case "classes": return .list(d.classes.map { .string($0) })
    case "count": return .number(Double(d.count))
    case "shape": return .list(d.sampleShape.map { .number(Double($0)) })
    case "name": return .string(d.name)
    default: return nil
    }
  }

  private func historyMember(_ h: History, _ name: String) -> Value? {
    let numbers: ([Double]) -> Value = { .list($0.map { .number($0) }) }
    switch name {
    case "loss": return numbers(h.trainLoss)
    case "acc": return numbers(h.trainAccuracy)
    case "val_loss": return numbers(h.validationLoss)
    case "val_acc": return numbers(h.validationAccuracy)
    case "time": return numbers(h.epochs.map(\.seconds))
    case "lr": return numbers(h.epochs.map(\.learningRate))
    case "epochs": return .number(Double(h.epochs.count))
    case "interrupted": return .bool(h.interrupted)
    default: return nil
    }
  }

  private func layerMember(_ l: Layer, _ name: String) -> Value? {
    let model = l as? Sequential
    switch name {
    case "name": return .string(l.name)
    case "kind": return .string(l.kind)
    case "params": return .number(Double(model?.layers.reduce(0) { $0 + $1.parameterCount } ?? l.parameterCount))
    case "layers": return model.map { .list($0.layers.map { .layer($0) }) }
    default: return model?.layer(named: name).map { .layer($0) }
    }
  }

  func subscriptValue(_ base: Value, _ index: Value, at location: SourceLocation) throws -> Value {
    switch (base, index) {
    case (.list(let items), _):
      return items[try Indexing.position(index, count: items.count, at: location)]
    case (.string(let s), _):
      let characters = Array(s)
      return .string(String(characters[try Indexing.position(index, count: characters.count, at: location)]))
    case (.record(let r), .string(let name)):
      guard let value = r[name] else {
        throw AtelierError(
          "the record has no field '\(name)'", at: location, hint: "fields: " + r.names.joined(separator: ", "))
      }
      return value
    case (.tensor(let t), _):
      guard t.rank >= 1 else { throw AtelierError("a scalar tensor cannot be indexed", at: location) }
      let i = try Indexing.position(index, count: t.shape[0], at: location)
      let row = try t.rows(i, i + 1)
      let inner = Array(t.shape.dropFirst())
      return inner.isEmpty ? .number(Double(row.scalarValue)) : .tensor(try row.reshaped(inner))
    case (.dataset(let d), _):
      let i = try Indexing.position(index, count: d.count, at: location)
      let picked = d.gather([i])
      return .record(
        Record([
          ("image", .tensor(try picked.images.reshaped(d.sampleShape))), ("label", .number(Double(picked.labels[0]))),
        ]))
    default:
      throw AtelierError("a \(base.typeName) cannot be indexed by a \(index.typeName)", at: location)
    }
  }

  func slice(_ base: Value, _ lower: Value?, _ upper: Value?, at location: SourceLocation) throws -> Value {
    switch base {
    case .list(let items):
      let (lo, hi) = try Indexing.bounds(lower, upper, count: items.count, at: location)
      return .list(Array(items[lo..<hi]))
    case .string(let s):
      let characters = Array(s)
      let (lo, hi) = try Indexing.bounds(lower, upper, count: characters.count, at: location)
      return .string(String(characters[lo..<hi]))
    case .tensor(let t):
      guard t.rank >= 1 else { throw AtelierError("a scalar tensor cannot be sliced", at: location) }
      let (lo, hi) = try Indexing.bounds(lower, upper, count: t.shape[0], at: location)
      return .tensor(try t.rows(lo, hi))
    case .dataset(let d):
      let (lo, hi) = try Indexing.bounds(lower, upper, count: d.count, at: location)
      return .dataset(try d.subset(Array(lo..<hi)))
    default:
      throw AtelierError("a \(base.typeName) cannot be sliced", at: location)
    }
  }
}
