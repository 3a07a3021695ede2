/// A pass over a program before it runs (as in jlox): names that are never
/// defined and calls that cannot bind to a builtin's parameters are reported
/// with their place, so a notebook fails at once instead of after an hour of training.
struct Resolver {
  /// Innermost last; the first holds the globals.
  private var scopes: [Set<String>]
  /// Functions defined by `def` at the top of this program, for arity checks.
  private var functions: [String: FunctionDecl] = [:]
  private var loopDepth = 0
  private var functionDepth = 0

  init(known: Set<String>) { scopes = [known] }

  mutating func check(_ program: [Stmt]) throws {
    scopes[0].formUnion(Resolver.definedNames(in: program))
    for case .function(let decl) in program { functions[decl.name] = decl }
    try statements(program)
  }

  /// Names a body binds anywhere outside nested functions: assignments, defs, loop variables.
  static func definedNames(in body: [Stmt]) -> Set<String> {
    var names: Set<String> = []
    for statement in body {
      switch statement {
      case .assign(let targets, _, _): names.formUnion(targets)
      case .function(let decl): names.insert(decl.name)
      case .forLoop(let loopNames, _, let inner, _):
        names.formUnion(loopNames)
        names.formUnion(definedNames(in: inner))
      case .whileLoop(_, let inner, _), .noGrad(let inner, _): names.formUnion(definedNames(in: inner))
      case .ifChain(let branches, let otherwise, _):
        for branch in branches { names.formUnion(definedNames(in: branch.body)) }
        names.formUnion(definedNames(in: otherwise ?? []))
      default: break
      }
    }
    return names
  }

  private mutating func statements(_ body: [Stmt]) throws {
    for statement in body { try self.statement(statement) }
  }

  private mutating func statement(_ statement: Stmt) throws {
    switch statement {
    case .expression(let e, _): try expression(e)
    case .assign(_, let value, _): try expression(value)
    case .assignInto(let target, let value, _):
      try expression(target)
      try expression(value)
    case .function(let decl): try function(decl)
    case .returnValue(let value, let location):
      if functionDepth == 0 { throw AtelierError("return belongs inside a function", at: location) }
      try value.map { try expression($0) }
    case .ifChain(let branches, let otherwise, _):
      for branch in branches {
        try expression(branch.condition)
        try statements(branch.body)
      }
      try statements(otherwise ?? [])
    case .forLoop(_, let sequence, let body, _):
      try expression(sequence)
      try loop(body)
    case .whileLoop(let condition, let body, _):
      try expression(condition)
      try loop(body)
    case .breakLoop(let location), .continueLoop(let location):
      if loopDepth == 0 { throw AtelierError("break and continue belong inside a loop", at: location) }
    case .use: break
    case .noGrad(let body, _): try statements(body)
    }
  }

  private mutating func loop(_ body: [Stmt]) throws {
    loopDepth += 1
    defer { loopDepth -= 1 }
    try statements(body)
  }

  /// A function body: its parameters (defaults may use earlier ones) and locals form a scope.
  private mutating func function(_ decl: FunctionDecl) throws {
    scopes.append(Set(decl.parameters.map(\.name)).union(Resolver.definedNames(in: decl.body)))
    let outerLoops = loopDepth
    loopDepth = 0
    functionDepth += 1
    defer {
      scopes.removeLast()
      loopDepth = outerLoops
      functionDepth -= 1
    }
    for parameter in decl.parameters { try parameter.defaultValue.map { try expression($0) } }
    try statements(decl.body)
  }

  private func isDefined(_ name: String) -> Bool { scopes.contains { $0.contains(name) } }

  private mutating func expression(_ expr: Expr) throws {
    try StackGuard.check(at: expr.location)
    switch expr.kind {
    case .number, .string, .bool, .none: break
    case .template(let segments):
      for case .value(let e, _) in segments { try expression(e) }
    case .identifier(let name):
      guard isDefined(name) || Registry.byName[name] != nil else {
        let known = scopes.flatMap { $0 } + Registry.all.map(\.name)
        throw AtelierError(
          "'\(name)' is not defined", at: expr.location,
          hint: suggestion(for: name, among: known).map { "did you mean '\($0)'?" })
      }
    case .list(let items): for item in items { try expression(item) }
    case .record(let fields): for field in fields { try expression(field.value) }
    case .member(let base, _): try expression(base)
    case .index(let base, let index):
      try expression(base)
      try expression(index)
    case .slice(let base, let lower, let upper):
      try expression(base)
      try lower.map { try expression($0) }
      try upper.map { try expression($0) }
    case .unary(_, let operand): try expression(operand)
    case .binary(_, let lhs, let rhs):
      try expression(lhs)
      try expression(rhs)
    case .lambda(let decl): try function(decl)
    case .call(let callee, let args):
      try expression(callee)
      for arg in args { try expression(arg.value) }
      try checkCall(callee, args, hasBlock: false, at: expr.location)
    case .block(let callee, let args, let items):
      try expression(callee)
      for arg in args { try expression(arg.value) }
      for item in items { try expression(item.expr) }
      try checkCall(callee, args, hasBlock: true, at: expr.location)
    }
  }

  /// Binds a call to a builtin's or a top-level function's parameters without running it.
  private func checkCall(_ callee: Expr, _ args: [Argument], hasBlock: Bool, at location: SourceLocation) throws {
    guard case .identifier(let name) = callee.kind else { return }
    let positional = args.filter { $0.label == nil }.count
    let labels = args.compactMap { arg in arg.label.map { ($0, arg.location) } }
    if let builtin = Registry.byName[name], !isDefined(name) {
      let names = builtin.parameters.map(\.name)
      if positional > names.count, !builtin.variadic {
        throw AtelierError(
          "\(name) takes at most \(names.count) argument\(names.count == 1 ? "" : "s") but got \(positional)",
          at: location, hint: "usage: \(builtin.signature)")
      }
      try checkLabels(labels, names, name, builtin.signature)
      let given = Set(names.prefix(positional)).union(labels.map(\.0))
      if let missing = builtin.parameters.first(where: { $0.defaultValue == nil && !given.contains($0.name) }) {
        throw AtelierError(
          "\(name) needs a value for '\(missing.name)'", at: location, hint: "usage: \(builtin.signature)")
      }
      if hasBlock, !builtin.acceptsBlock { throw AtelierError("\(name) does not take a { … } block", at: location) }
      try checkLiteralArguments(args, builtin)
    } else if let decl = functions[name],
      scopes.count == 1 || !scopes.dropFirst().contains(where: { $0.contains(name) })
    {
      let names = decl.parameters.map(\.name)
      let signature = "\(name)(\(names.joined(separator: ", ")))"
      if positional > names.count {
        throw AtelierError(
          "\(name) takes \(names.count) argument\(names.count == 1 ? "" : "s") but got \(positional)", at: location,
          hint: "usage: \(signature)")
      }
      try checkLabels(labels, names, name, signature)
    }
  }

  /// A count or size written as a number (`conv(-1, 3)`) or an option written as a string
  /// (`init: "glorrot"`) is checked against its declaration here, so the notebook stops
  /// before its first statement, not an hour in.
  private func checkLiteralArguments(_ args: [Argument], _ builtin: Builtin) throws {
    var position = 0
    for arg in args {
      let parameter: Parameter?
      if let label = arg.label {
        parameter = builtin.parameters.first { $0.name == label }
      } else {
        parameter = position < builtin.parameters.count ? builtin.parameters[position] : nil
        position += 1
      }
      guard let parameter else { continue }
      if let n = literalNumber(arg.value), let problem = parameter.wholeNumberProblem(.number(n), builtin: builtin.name)
      {
        throw AtelierError(problem, at: arg.location, hint: "usage: \(builtin.signature)")
      }
      if case .string(let text) = arg.value.kind,
        let problem = parameter.optionProblem(.string(text), builtin: builtin.name)
      {
        throw AtelierError(problem.message, at: arg.location, hint: problem.hint ?? "usage: \(builtin.signature)")
      }
    }
  }

  private func literalNumber(_ expr: Expr) -> Double? {
    switch expr.kind {
    case .number(let n): return n
    case .unary(.negate, let inner): return literalNumber(inner).map { -$0 }
    default: return nil
    }
  }

  private func checkLabels(
    _ labels: [(String, SourceLocation)], _ names: [String], _ function: String, _ signature: String
  ) throws {
    for (label, at) in labels where !names.contains(label) {
      let close = suggestion(for: label, among: names)
      throw AtelierError(
        "\(function) has no parameter '\(label)'", at: at,
        hint: close.map { "did you mean '\($0)'?" } ?? "usage: \(signature)")
    }
  }
}
