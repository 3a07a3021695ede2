import Data
import Foundation
import NN
import Tensor

extension Interpreter {
  public func evaluate(_ expr: Expr) throws -> Value { try evaluate(expr, in: globalScope) }

  func evaluate(_ expr: Expr, in scope: Environment) throws -> Value {
    try StackGuard.check(at: expr.location)
    switch expr.kind {
    case .number(let n): return .number(n)
    case .string(let s): return .string(s)
    case .template(let segments): return .string(try interpolate(segments, in: scope))
    case .bool(let b): return .bool(b)
    case .none: return .none
    case .identifier(let name): return try lookup(name, in: scope, at: expr.location)
    case .list(let items): return .list(try items.map { try evaluate($0, in: scope) })
    case .record(let fields): return .record(Record(try fields.map { ($0.name, try evaluate($0.value, in: scope)) }))
    case .member(let base, let name): return try member(of: try evaluate(base, in: scope), name, at: expr.location)
    case .index(let base, let index):
      return try subscriptValue(try evaluate(base, in: scope), try evaluate(index, in: scope), at: expr.location)
    case .slice(let base, let lower, let upper):
      return try slice(
        try evaluate(base, in: scope), try lower.map { try evaluate($0, in: scope) },
        try upper.map { try evaluate($0, in: scope) },
        at: expr.location)
    case .unary(let op, let operand): return try unary(op, try evaluate(operand, in: scope), at: expr.location)
    case .binary(let op, let lhs, let rhs):
      if op == .and || op == .or {
        let left = try truth(try evaluate(lhs, in: scope), at: lhs.location)
        if op == .and ? !left : left { return .bool(left) }
        return .bool(try truth(try evaluate(rhs, in: scope), at: rhs.location))
      }
      return try Operators.binary(op, try evaluate(lhs, in: scope), try evaluate(rhs, in: scope), at: expr.location)
    case .lambda(let decl):
      return .function(UserFunction(declaration: decl, closure: scope))
    case .call(let callee, let args):
      return try call(callee, args, block: nil, in: scope, at: expr.location)
    case .block(let callee, let args, let items):
      let values = try items.map { try blockItem($0, in: scope) }
      return try call(callee, args, block: values, in: scope, at: expr.location)
    }
  }

  private func lookup(_ name: String, in scope: Environment, at location: SourceLocation) throws -> Value {
    if let value = scope.lookup(name) { return value }
    if let builtin = Registry.byName[name] { return .builtin(builtin) }
    let known = scope.visibleNames + Registry.all.map(\.name)
    throw AtelierError(
      "'\(name)' is not defined", at: location,
      hint: suggestion(for: name, among: known).map { "did you mean '\($0)'?" })
  }

  /// A block item is a layer; a bare builtin such as `relu` is called with no arguments.
  private func blockItem(_ item: BlockItem, in scope: Environment) throws -> Value {
    var value = try evaluate(item.expr, in: scope)
    if value.isCallable { value = try callFunction(value, positional: [], named: [], at: item.location) }
    guard case .layer(let layer) = value else {
      throw AtelierError("a { … } block holds layers, but this is a \(value.typeName)", at: item.location)
    }
    if let alias = item.alias { layer.setExplicitName(alias) }
    return value
  }

  private func call(
    _ calleeExpr: Expr, _ args: [Argument], block: [Value]?, in scope: Environment, at location: SourceLocation
  )
    throws -> Value
  {
    let callee = try evaluate(calleeExpr, in: scope)
    var positional: [Value] = []
    var named: [(String, Value)] = []
    for arg in args {
      let value = try evaluate(arg.value, in: scope)
      if let label = arg.label {
        named.append((label, value))
      } else {
        guard named.isEmpty else {
          throw AtelierError("a positional argument cannot follow a named one", at: arg.location)
        }
        positional.append(value)
      }
    }
    return try callFunction(callee, positional: positional, named: named, block: block, at: location)
  }

  func truth(_ value: Value, at location: SourceLocation) throws -> Bool {
    switch value {
    case .bool(let b): return b
    case .none: return false
    case .number(let n): return n != 0
    case .string(let s): return !s.isEmpty
    case .list(let items): return !items.isEmpty
    default: throw AtelierError("a \(value.typeName) is neither true nor false", at: location)
    }
  }

  private func unary(_ op: UnaryOperator, _ value: Value, at location: SourceLocation) throws -> Value {
    switch (op, value) {
    case (.negate, .number(let n)): return .number(-n)
    case (.negate, .tensor(let t)): return .tensor(t.scaled(by: -1))
    case (.not, _): return .bool(!(try truth(value, at: location)))
    default: throw AtelierError("'\(op.rawValue)' does not apply to a \(value.typeName)", at: location)
    }
  }

  /// The items a `for` loop visits, made one at a time for batches.
  func items(of value: Value, at location: SourceLocation) throws -> AnySequence<Value> {
    if case .batches(let batches) = value {
      return AnySequence(
        batches.lazy.map { batch in
          .record(
            Record([("images", .tensor(batch.images)), ("labels", .list(batch.labels.map { .number(Double($0)) }))]))
        })
    }
    return AnySequence(try iterate(value, at: location))
  }

  /// The items of a list-like value.
  func iterate(_ value: Value, at location: SourceLocation) throws -> [Value] {
    switch value {
    case .list(let items): return items
    case .string(let s): return s.map { .string(String($0)) }
    case .record(let r): return r.fields.map { .list([.string($0.name), $0.value]) }
    case .number(let n) where n >= 0 && n.rounded() == n && n <= 10_000_000:
      return (0..<Int(n)).map { .number(Double($0)) }
    default:
      throw AtelierError(
        "cannot loop over a \(value.typeName)", at: location,
        hint: "loop over a list, a range such as 1..10, or a record")
    }
  }

  // MARK: strings

  private func interpolate(_ segments: [TemplateSegment], in scope: Environment) throws -> String {
    var out = ""
    for segment in segments {
      switch segment {
      case .text(let text): out += text
      case .value(let expr, let format):
        let value = try evaluate(expr, in: scope)
        if let format {
          out += try Printer.format(value, spec: format, at: expr.location)
        } else {
          out += Printer.show(value)
        }
      }
    }
    return out
  }

  // MARK: assignment into lists and records

  /// `xs[i] = v` and `r.name = v` rebuild the value and store it back under its root name.
  func assign(into target: Expr, _ value: Value, in scope: Environment, at location: SourceLocation) throws {
    switch target.kind {
    case .index(let baseExpr, let indexExpr):
      let base = try evaluate(baseExpr, in: scope)
      let index = try evaluate(indexExpr, in: scope)
      let updated: Value
      switch (base, index) {
      case (.list(var items), .number):
        let i = try Indexing.position(index, count: items.count, at: location)
        items[i] = value
        updated = .list(items)
      case (.record(var record), .string(let name)):
        record[name] = value
        updated = .record(record)
      default:
        throw AtelierError("cannot assign into a \(base.typeName) with a \(index.typeName) index", at: location)
      }
      try assign(into: baseExpr, updated, in: scope, at: location)
    case .member(let baseExpr, let name):
      let base = try evaluate(baseExpr, in: scope)
      guard case .record(var record) = base else {
        throw AtelierError("only a record's fields can be assigned; this is a \(base.typeName)", at: location)
      }
      record[name] = value
      try assign(into: baseExpr, .record(record), in: scope, at: location)
    case .identifier(let name):
      scope.define(name, value)
    default:
      throw AtelierError("cannot assign here", at: location)
    }
  }
}
