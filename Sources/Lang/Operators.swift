import Foundation
import Tensor

/// Binary operators on values.
enum Operators {
  static func binary(_ op: BinaryOperator, _ a: Value, _ b: Value, at location: SourceLocation) throws -> Value {
    switch (a, b) {
    case (.number(let x), .number(let y)):
      return try numbers(op, x, y, at: location)
    case (.string(let x), .string(let y)):
      switch op {
      case .add: return .string(x + y)
      case .less: return .bool(x < y)
      case .lessOrEqual: return .bool(x <= y)
      case .greater: return .bool(x > y)
      case .greaterOrEqual: return .bool(x >= y)
      case .contains: return .bool(y.contains(x))
      default: break
      }
    case (.list(let x), .list(let y)) where op == .add:
      return .list(x + y)
    case (.history(let x), .history(let y)) where op == .add:
      return .history(x.joined(y))
    case (_, .list(let items)) where op == .contains:
      return .bool(items.contains { $0.equals(a) })
    case (.string(let key), .record(let r)) where op == .contains:
      return .bool(r[key] != nil)
    case (.tensor, _), (_, .tensor):
      if let result = try tensors(op, a, b, at: location) { return result }
    default: break
    }
    switch op {
    case .equal: return .bool(a.equals(b))
    case .notEqual: return .bool(!a.equals(b))
    default:
      var hint: String?
      if a.isCallable, op == .subtract { hint = "to pass a negative number to a command, use parentheses: f(-1)" }
      throw AtelierError(
        "'\(op.rawValue)' does not apply to a \(a.typeName) and a \(b.typeName)", at: location, hint: hint)
    }
  }

  private static func numbers(_ op: BinaryOperator, _ x: Double, _ y: Double, at location: SourceLocation) throws
    -> Value
  {
    switch op {
    case .add: return .number(x + y)
    case .subtract: return .number(x - y)
    case .multiply: return .number(x * y)
    case .divide:
      guard y != 0 else { throw AtelierError("division by zero", at: location) }
      return .number(x / y)
    case .remainder:
      guard y != 0 else { throw AtelierError("modulo by zero", at: location) }
      let r = x.truncatingRemainder(dividingBy: y)
      return .number(r != 0 && (r < 0) != (y < 0) ? r + y : r)
    case .power: return .number(pow(x, y))
    case .equal: return .bool(x == y)
    case .notEqual: return .bool(x != y)
    case .less: return .bool(x < y)
    case .lessOrEqual: return .bool(x <= y)
    case .greater: return .bool(x > y)
    case .greaterOrEqual: return .bool(x >= y)
    case .range:
      guard x.isFinite, y.isFinite, abs(y - x) <= 10_000_000 else {
        throw AtelierError("the range \(Printer.number(x))..\(Printer.number(y)) is too long", at: location)
      }
      return .list(x <= y ? stride(from: x, through: y, by: 1).map { .number($0) } : [])
    default:
      throw AtelierError("'\(op.rawValue)' does not apply to two numbers", at: location)
    }
  }

  private static func tensors(_ op: BinaryOperator, _ a: Value, _ b: Value, at location: SourceLocation) throws
    -> Value?
  {
    let kinds: [BinaryOperator: ElementwiseOp] = [
      .add: .add, .subtract: .subtract, .multiply: .multiply, .divide: .divide,
    ]
    guard let kind = kinds[op] else { return nil }
    func tensor(_ v: Value) -> Tensor? {
      switch v {
      case .tensor(let t): return t
      case .number(let n): return Tensor.scalar(Float(n))
      default: return nil
      }
    }
    guard let x = tensor(a), let y = tensor(b) else { return nil }
    do {
      return .tensor(try elementwise(kind, x, y))
    } catch let error as UserError {
      throw AtelierError(error.userMessage, at: location, hint: error.hint)
    }
  }
}

/// Whole-number positions into sequences, negative counting from the end.
enum Indexing {
  static func position(_ index: Value, count: Int, at location: SourceLocation) throws -> Int {
    guard case .number(let n) = index, n.rounded() == n, abs(n) < 1e15 else {
      throw AtelierError("an index must be a whole number, not \(Printer.inline(index))", at: location)
    }
    let i = Int(n) < 0 ? count + Int(n) : Int(n)
    guard i >= 0, i < count else {
      throw AtelierError("index \(Int(n)) is out of range for \(count) item\(count == 1 ? "" : "s")", at: location)
    }
    return i
  }

  /// Python-style slice bounds, clamped to 0...count.
  static func bounds(_ lower: Value?, _ upper: Value?, count: Int, at location: SourceLocation) throws -> (Int, Int) {
    func bound(_ v: Value?, _ fallback: Int) throws -> Int {
      guard let v, !v.isNone else { return fallback }
      guard case .number(let n) = v, n.rounded() == n, abs(n) < 1e15 else {
        throw AtelierError("slice bounds must be whole numbers", at: location)
      }
      let i = Int(n) < 0 ? count + Int(n) : Int(n)
      return min(max(i, 0), count)
    }
    let lo = try bound(lower, 0), hi = try bound(upper, count)
    return (lo, max(lo, hi))
  }
}
