import Data
import Foundation
import NN
import Tensor

/// A tree-walking interpreter. Its variables live as long as it does, so the
/// REPL keeps every variable after an error.
public final class Interpreter {
  public private(set) var globals: [String: Value] = [:]
  /// Where `print`, shown values and progress go.
  public var write: (String) -> Void
  /// Whether output is an interactive terminal (live progress bars).
  public var isTerminal: Bool
  /// Seeds parameter initialisation; `seed n` resets it.
  public var rng = RandomSource(seed: 42)

  public init(write: @escaping (String) -> Void = { print($0, terminator: "") }, isTerminal: Bool = false) {
    self.write = write
    self.isTerminal = isTerminal
  }

  public func variable(_ name: String) -> Value? { globals[name] }
  public func define(_ name: String, _ value: Value) { globals[name] = value }

  /// Parses and runs a whole source; with `showValues`, each expression
  /// statement's value (other than none) is written, as at a prompt.
  public func run(_ file: SourceFile, showValues: Bool = true) throws {
    let program = try Parser.parse(file)
    for statement in program { try execute(statement, showValues: showValues) }
  }

  public func execute(_ statement: Stmt, showValues: Bool) throws {
    switch statement {
    case .expression(let expr, let hidden):
      let value = try evaluate(expr)
      if showValues, !hidden, !value.isNone { write(Printer.show(value) + "\n") }
    case .assign(let names, let expr, let location):
      let value = try evaluate(expr)
      if names.count == 1 {
        globals[names[0]] = value
        return
      }
      guard case .list(let items) = value, items.count == names.count else {
        throw AtelierError(
          "cannot unpack \(value.typeName) into \(names.count) names", at: location,
          hint: "the right side must give exactly \(names.count) values")
      }
      for (name, item) in zip(names, items) { globals[name] = item }
    }
  }

  // MARK: expressions

  public func evaluate(_ expr: Expr) throws -> Value {
    switch expr.kind {
    case .number(let n): return .number(n)
    case .string(let s): return .string(s)
    case .bool(let b): return .bool(b)
    case .none: return .none
    case .identifier(let name): return try lookup(name, at: expr.location)
    case .list(let items): return .list(try items.map(evaluate))
    case .member(let base, let name): return try member(of: try evaluate(base), name, at: expr.location)
    case .index(let base, let index):
      return try subscriptValue(try evaluate(base), try evaluate(index), at: expr.location)
    case .unary(let op, let operand): return try unary(op, try evaluate(operand), at: expr.location)
    case .binary(let op, let lhs, let rhs):
      if op == "and" || op == "or" {
        let left = try truth(try evaluate(lhs), at: lhs.location)
        if op == "and" ? !left : left { return .bool(left) }
        return .bool(try truth(try evaluate(rhs), at: rhs.location))
      }
      return try binary(op, try evaluate(lhs), try evaluate(rhs), at: expr.location)
    case .call(let callee, let args):
      return try call(callee, args, block: nil, at: expr.location)
    case .block(let callee, let args, let items):
      let values = try items.map(blockItem)
      return try call(callee, args, block: values, at: expr.location)
    }
  }

  private func lookup(_ name: String, at location: SourceLocation) throws -> Value {
    if let value = globals[name] { return value }
    if let builtin = Registry.byName[name] { return .builtin(builtin) }
    let known = Array(globals.keys) + Registry.all.map(\.name)
    throw AtelierError(
      "'\(name)' is not defined", at: location,
      hint: suggestion(for: name, among: known).map { "did you mean '\($0)'?" })
  }

  /// A block item is a layer; a bare builtin such as `relu` is called with no arguments.
  private func blockItem(_ item: BlockItem) throws -> Value {
    var value = try evaluate(item.expr)
    if case .builtin(let b) = value { value = try invoke(b, positional: [], named: [], block: nil, at: item.location) }
    guard case .layer(let layer) = value else {
      throw AtelierError("a model block holds layers, but this is a \(value.typeName)", at: item.location)
    }
    if let alias = item.alias {
      layer.name = alias
      layer.hasExplicitName = true
    }
    return value
  }

  private func call(_ calleeExpr: Expr, _ args: [Argument], block: [Value]?, at location: SourceLocation) throws
    -> Value
  {
    let callee = try evaluate(calleeExpr)
    var positional: [Value] = []
    var named: [(String, Value)] = []
    for arg in args {
      let value = try evaluate(arg.value)
      if let label = arg.label {
        named.append((label, value))
      } else {
        guard named.isEmpty else {
          throw AtelierError("a positional argument cannot follow a named one", at: arg.location)
        }
        positional.append(value)
      }
    }
    guard case .builtin(let builtin) = callee else {
      throw AtelierError("a \(callee.typeName) cannot be called", at: calleeExpr.location)
    }
    return try invoke(builtin, positional: positional, named: named, block: block, at: location)
  }

  /// Runs a builtin, turning any error it raises into one that points at the call.
  func invoke(
    _ builtin: Builtin, positional: [Value], named: [(String, Value)], block: [Value]?, at location: SourceLocation
  )
    throws -> Value
  {
    do {
      let arguments = try builtin.bind(positional: positional, named: named, block: block)
      return try builtin.run(arguments, self)
    } catch let error as AtelierError {
      throw error.location == nil ? AtelierError(error.message, at: location, hint: error.hint) : error
    } catch let error as LayerError {
      throw AtelierError(error.description, at: location, hint: error.hint)
    } catch let error as TensorError {
      throw AtelierError(error.message, at: location, hint: error.hint)
    } catch let error as DataError {
      throw AtelierError(error.description, at: location, hint: error.hint)
    } catch let error as TrainingError {
      throw AtelierError(error.message, at: location, hint: error.hint)
    } catch {
      throw AtelierError("\(error)", at: location)
    }
  }

  // MARK: operators, members, indexing

  private func truth(_ value: Value, at location: SourceLocation) throws -> Bool {
    switch value {
    case .bool(let b): return b
    case .none: return false
    case .number(let n): return n != 0
    default: throw AtelierError("a \(value.typeName) is neither true nor false", at: location)
    }
  }

  private func unary(_ op: String, _ value: Value, at location: SourceLocation) throws -> Value {
    switch (op, value) {
    case ("-", .number(let n)): return .number(-n)
    case ("not", _): return .bool(!(try truth(value, at: location)))
    default: throw AtelierError("'\(op)' does not apply to a \(value.typeName)", at: location)
    }
  }

  private func binary(_ op: String, _ a: Value, _ b: Value, at location: SourceLocation) throws -> Value {
    switch (a, b) {
    case (.number(let x), .number(let y)):
      switch op {
      case "+": return .number(x + y)
      case "-": return .number(x - y)
      case "*": return .number(x * y)
      case "/":
        guard y != 0 else { throw AtelierError("division by zero", at: location) }
        return .number(x / y)
      case "%":
        guard y != 0 else { throw AtelierError("modulo by zero", at: location) }
        return .number(x.truncatingRemainder(dividingBy: y))
      case "**": return .number(pow(x, y))
      case "==": return .bool(x == y)
      case "!=": return .bool(x != y)
      case "<": return .bool(x < y)
      case "<=": return .bool(x <= y)
      case ">": return .bool(x > y)
      case ">=": return .bool(x >= y)
      case "..":
        guard abs(y - x) <= 10_000_000 else { throw AtelierError("range \(x)..\(y) is too long", at: location) }
        return .list(x <= y ? stride(from: x, through: y, by: 1).map { .number($0) } : [])
      default: break
      }
    case (.string(let x), .string(let y)):
      switch op {
      case "+": return .string(x + y)
      case "==": return .bool(x == y)
      case "!=": return .bool(x != y)
      default: break
      }
    case (.list(let x), .list(let y)) where op == "+":
      return .list(x + y)
    case (.bool(let x), .bool(let y)) where op == "==" || op == "!=":
      return .bool((x == y) == (op == "=="))
    default: break
    }
    if op == "==" { return .bool(false) }
    if op == "!=" { return .bool(true) }
    throw AtelierError("'\(op)' does not apply to a \(a.typeName) and a \(b.typeName)", at: location)
  }

  private func member(of value: Value, _ name: String, at location: SourceLocation) throws -> Value {
    let found: Value?
    switch value {
    case .record(let r): found = r[name]
    case .dataset(let d): found = datasetMember(d, name)
    case .history(let h): found = historyMember(h, name)
    case .layer(let l): found = layerMember(l, name)
    case .tensor(let t): found = name == "shape" ? .list(t.shape.map { .number(Double($0)) }) : nil
    case .list(let items): found = name == "last" ? items.last : name == "count" ? .number(Double(items.count)) : nil
    default: found = nil
    }
    if let found { return found }
    let names = memberNames(of: value)
    throw AtelierError(
      "a \(value.typeName) has no member '\(name)'", at: location,
      hint: suggestion(for: name, among: names).map { "did you mean '\($0)'?" }
        ?? (names.isEmpty ? nil : "members: " + names.joined(separator: ", ")))
  }

  /// Member names for completion and error hints.
  public func memberNames(of value: Value) -> [String] {
    switch value {
    case .record(let r): return r.fields.map(\.name)
    case .dataset: return ["images", "labels", "classes", "count", "shape"]
    case .history: return ["loss", "acc", "val_loss", "val_acc", "time", "lr", "epochs"]
    case .layer(let l): return ["name", "params"] + ((l as? Sequential)?.layers.map(\.name) ?? [])
    case .tensor: return ["shape"]
    case .list: return ["last", "count"]
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
    default: return nil
    }
  }

  private func layerMember(_ l: Layer, _ name: String) -> Value? {
    switch name {
    case "name": return .string(l.name)
    case "params":
      return .number(Double((l as? Sequential)?.layers.reduce(0) { $0 + $1.parameterCount } ?? l.parameterCount))
    default: return (l as? Sequential)?.layer(named: name).map { .layer($0) }
    }
  }

  private func subscriptValue(_ base: Value, _ index: Value, at location: SourceLocation) throws -> Value {
    guard case .list(let items) = base else {
      throw AtelierError("a \(base.typeName) cannot be indexed", at: location)
    }
    guard case .number(let n) = index, n.rounded() == n, abs(n) < 1e15 else {
      throw AtelierError("a list index must be a whole number", at: location)
    }
    let i = Int(n) < 0 ? items.count + Int(n) : Int(n)
    guard items.indices.contains(i) else {
      throw AtelierError("index \(Int(n)) is out of range for a list of \(items.count)", at: location)
    }
    return items[i]
  }
}
