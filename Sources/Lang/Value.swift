import Data
import NN
import Tensor

/// An ordered record: `{loss: 0.4, acc: 0.85}`.
public struct Record {
  public var fields: [(name: String, value: Value)]
  public init(_ fields: [(String, Value)]) { self.fields = fields.map { (name: $0.0, value: $0.1) } }
  public subscript(name: String) -> Value? { fields.first { $0.name == name }?.value }
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

  /// The type name used in error messages and `:vars`.
  public var typeName: String {
    switch self {
    case .none: return "none"
    case .bool: return "bool"
    case .number: return "number"
    case .string: return "string"
    case .list: return "list"
    case .record: return "record"
    case .tensor: return "tensor"
    case .dataset: return "dataset"
    case .layer(let l): return l is Sequential ? "model" : "layer"
    case .optimizer: return "optimizer"
    case .history: return "history"
    case .builtin: return "function"
    }
  }

  public var isNone: Bool { if case .none = self { return true } else { return false } }
}
