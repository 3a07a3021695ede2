import Analysis
import Data
import Foundation
import NN
import Tensor

/// An ordered record: `{loss: 0.4, acc: 0.85}`.
public struct Record {
  public var fields: [(name: String, value: Value)]
  public init(_ fields: [(String, Value)]) { self.fields = fields.map { (name: $0.0, value: $0.1) } }

  public subscript(name: String) -> Value? {
    get { fields.first { $0.name == name }?.value }
    set {
      if let i = fields.firstIndex(where: { $0.name == name }) {
        if let newValue { fields[i].value = newValue } else { fields.remove(at: i) }
      } else if let newValue {
        fields.append((name, newValue))
      }
    }
  }

  public var names: [String] { fields.map(\.name) }
}

/// The types of values, as the language names them; builtin parameters declare theirs.
public enum ValueType: String, CaseIterable {
  case none, bool, number, string, list, record, tensor, dataset, layer, model, optimizer, history, function
  case batches, embedding, confusion, correlation
  /// A parameter that takes several types (documented in its help).
  case any
}

/// Every value a program can hold.
public enum Value {
  case none
  case bool(Bool)
  case number(Double)
  case string(String)
  case list([Value])
  case record(Record)
  case tensor(Tensor)
  case dataset(Dataset)
  case layer(Layer)
  case optimizer(Optimizer)
  case history(History)
  case builtin(Builtin)
  case function(UserFunction)
  /// Mini-batches of a dataset, produced one at a time as a loop asks.
  case batches(Batches)
  /// Points with classes: features, PCA, t-SNE.
  case embedding(Embedding)
  /// A confusion or class-correlation matrix.
  case matrix(ClassMatrix)

  /// The type name used in error messages and `:vars`.
  public var type: ValueType {
    switch self {
    case .none: return .none
    case .bool: return .bool
    case .number: return .number
    case .string: return .string
    case .list: return .list
    case .record: return .record
    case .tensor: return .tensor
    case .dataset: return .dataset
    case .layer(let l): return l is Sequential ? .model : .layer
    case .optimizer: return .optimizer
    case .history: return .history
    case .builtin, .function: return .function
    case .batches: return .batches
    case .embedding: return .embedding
    case .matrix(let m): return m.kind == .confusion ? .confusion : .correlation
    }
  }

  public var typeName: String { type.rawValue }

  public var isNone: Bool { if case .none = self { return true } else { return false } }

  public var isCallable: Bool {
    switch self {
    case .builtin, .function: return true
    default: return false
    }
  }

  /// Structural equality for plain data; identity for models, datasets and the like.
  public func equals(_ other: Value) -> Bool {
    switch (self, other) {
    case (.none, .none): return true
    case (.bool(let a), .bool(let b)): return a == b
    case (.number(let a), .number(let b)): return a == b
    case (.string(let a), .string(let b)): return a == b
    case (.list(let a), .list(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.equals($1) }
    case (.record(let a), .record(let b)):
      return a.fields.count == b.fields.count
        && zip(a.fields, b.fields).allSatisfy { $0.name == $1.name && $0.value.equals($1.value) }
    case (.tensor(let a), .tensor(let b)): return a === b
    case (.dataset(let a), .dataset(let b)): return a === b
    case (.layer(let a), .layer(let b)): return a === b
    case (.optimizer(let a), .optimizer(let b)): return a === b
    case (.history(let a), .history(let b)): return a === b
    case (.builtin(let a), .builtin(let b)): return a === b
    case (.function(let a), .function(let b)): return a === b
    case (.batches(let a), .batches(let b)): return a.order == b.order && a.dataset === b.dataset
    default: return false
    }
  }
}
