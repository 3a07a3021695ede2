/// What a top-level statement reads and writes, as far as the replay cache needs it:
/// the global names it reads, the names it assigns, and the names it hands to a builtin
/// that changes its argument (`fit(net, …)` writes `net`).
struct StatementScope {
  var reads: Set<String> = []
  var writes: [String] = []
  /// The functions it calls by name (one that may draw makes the figure numbering part of the key).
  var calls: Set<String> = []
  /// Calls whose effects cannot be named (a step of a custom loop, a function written in
  /// the notebook): such a statement always runs.
  var opaque = false
  private let isLayer: (String) -> Bool

  /// Only plain assignments and expressions are cached; definitions, loops and `use`
  /// change the session in ways a snapshot of names does not capture.
  init?(
    _ statement: Stmt, isUserFunction: (String) -> Bool, isLayer: @escaping (String) -> Bool = { _ in false }
  ) {
    self.isLayer = isLayer
    switch statement {
    case .expression(let e, _):
      visit(e, isUserFunction)
    case .assign(let targets, let value, _):
      visit(value, isUserFunction)
      writes += targets
    default:
      return nil
    }
    if opaque { return nil }
  }

  private mutating func visit(_ e: Expr, _ isUserFunction: (String) -> Bool) {
    switch e.kind {
    case .number, .string, .bool, .none: break
    case .template(let segments):
      for case .value(let v, _) in segments { visit(v, isUserFunction) }
    case .identifier(let name): reads.insert(name)
    case .list(let items): for item in items { visit(item, isUserFunction) }
    case .record(let fields): for field in fields { visit(field.value, isUserFunction) }
    case .member(let base, _): visit(base, isUserFunction)
    case .index(let a, let b):
      visit(a, isUserFunction)
      visit(b, isUserFunction)
    case .slice(let a, let lo, let hi):
      visit(a, isUserFunction)
      if let lo { visit(lo, isUserFunction) }
      if let hi { visit(hi, isUserFunction) }
    case .call(let callee, let arguments):
      call(callee, arguments, isUserFunction)
    case .unary(_, let a): visit(a, isUserFunction)
    case .binary(_, let a, let b):
      visit(a, isUserFunction)
      visit(b, isUserFunction)
    case .lambda:
      // A function made here may run later, reading whatever it closes over.
      opaque = true
    case .block(let callee, let arguments, let items):
      call(callee, arguments, isUserFunction)
      for item in items { visit(item.expr, isUserFunction) }
    }
  }

  private mutating func call(_ callee: Expr, _ arguments: [Argument], _ isUserFunction: (String) -> Bool) {
    visit(callee, isUserFunction)
    for argument in arguments { visit(argument.value, isUserFunction) }
    guard case .identifier(let name) = callee.kind else {
      opaque = true
      return
    }
    calls.insert(name)
    // Calling a layer may build it from the session's generator, move batch-norm
    // statistics or draw dropout masks.
    if isLayer(name) {
      opaque = true
      return
    }
    // Files written or read along the way (checkpoints, a run resumed) are not in a snapshot.
    let touchesFiles = name == "fit" && arguments.contains { ["checkpoint", "resume"].contains($0.label ?? "") }
    if isUserFunction(name) || StatementScope.uncached.contains(name) || touchesFiles {
      opaque = true
      return
    }
    guard let builtin = Registry.byName[name], !builtin.mutates.isEmpty else { return }
    // The arguments a builtin changes, by position or by name.
    for (index, argument) in arguments.enumerated() {
      let parameter = argument.label ?? (index < builtin.parameters.count ? builtin.parameters[index].name : "")
      if builtin.mutates.contains(parameter), case .identifier(let changed) = argument.value.kind {
        writes.append(changed)
      } else if builtin.mutates.contains(parameter) {
        opaque = true
      }
    }
  }

  /// Builtins whose effects reach past their arguments (the generator, the models an
  /// optimizer steps, files read that may change) or that only make sense when run.
  static let uncached: Set<String> = [
    "step", "seed", "sweep", "gather", "result", "clock", "load", "checkpoint", "import_weights", "train_mode",
    "eval_mode", "save", "export", "idx", "fashion_mnist",
  ]
}

extension StatementScope {
  /// Whether the statement may draw a figure: `plot`, or a library function (`compare`).
  var mayDraw: Bool { calls.contains { $0 == "plot" || Registry.byName[$0] == nil } }
}
