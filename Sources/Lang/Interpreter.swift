import CKernel
import Data
import Foundation
import NN
import Plot
import Tensor

/// A tree-walking interpreter. Its globals live as long as it does, so the REPL
/// keeps every variable after an error.
public final class Interpreter {
  let globalScope = Environment(parent: nil)
  /// Where `print`, shown values and progress go.
  public var write: (String) -> Void
  /// Whether output is an interactive terminal (live progress bars).
  public var isTerminal: Bool
  /// Seeds parameter initialisation; `seed n` resets it.
  public var rng = RandomSource(seed: 42)
  /// Where figures and other files of a replayed notebook go.
  public var outputDirectory: String?
  /// Whether figures keep their gnuplot script and data beside them.
  public var keepScripts = false
  /// Where `result(…)` writes a sweep run's metrics; nil outside a sweep.
  public var resultPath: String?
  /// Shows each plot in a front end (a Jupyter notebook) rather than on the terminal.
  public var displayFigure: ((Figure) throws -> Void)?
  /// Shows a top-level expression's value; by default its text goes to `write`.
  public var showValue: ((Value) -> Void)?
  /// Values given on the command line (`--set quick=true`), read with `setting`.
  public var settings: [String: Value] = [:]
  /// Files (figures) written since the last `takeProducedFiles()`, for reports.
  var producedFiles: [String] = []
  /// Extra folders searched by `use`, after the notebook's own folder.
  public var libraryPaths: [String] = []
  /// When set, each statement and loop turn spends one step; at zero the program stops (fuzzing).
  public var stepBudget: Int?
  /// Builtins a sandboxed interpreter refuses (fuzzing excludes data loading and training).
  public var refusedFamilies: Set<String> = []
  private var callDepth = 0
  /// Records what statements compute, so that `step(opt, loss)` can back-propagate
  /// through a custom training loop; cleared around every top-level statement.
  let tape = Tape()
  /// Models switched to training mode by `train_mode` (dropout on, batch statistics).
  var trainingModels = IdentityMap<AnyObject, Bool>()
  static let maxCallDepth = 200
  private var loadedFiles: Set<String> = []

  public init(write: @escaping (String) -> Void = { print($0, terminator: "") }, isTerminal: Bool = false) {
    self.write = write
    self.isTerminal = isTerminal
  }

  public var globals: [String: Value] { globalScope.values }
  public func variable(_ name: String) -> Value? { globalScope.lookup(name) }
  public func define(_ name: String, _ value: Value) { globalScope.define(name, value) }

  var figureCount = 0

  /// `<output folder>/<n>-<title>.png` for a figure drawn without `to:`.
  func nextFigurePath(_ title: String) -> String {
    figureCount += 1
    let slug = title.lowercased().map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()
      .split(separator: "-").joined(separator: "-")
    return "\(outputDirectory ?? "out")/\(String(format: "%02d", figureCount))-\(slug.prefix(40)).png"
  }

  public func takeProducedFiles() -> [String] {
    defer { producedFiles = [] }
    return producedFiles
  }

  /// Parses, checks and runs a whole source. With `showValues`, each top-level
  /// expression statement's value (other than none) is written, as at a prompt.
  public func run(_ file: SourceFile, showValues: Bool = true) throws {
    for item in try prepare(file) { try runTopLevel(item.statement, showValues: showValues) }
  }

  /// The one way into running a source (`run`, `-e`, the prompt, replays): parse it,
  /// run the files it `use`s so that the check knows the names they define, and check
  /// every statement before the first one runs.
  public func prepare(_ file: SourceFile) throws -> [TopLevelStatement] {
    let program = try Parser.parseTopLevel(file)
    for case .use(let path, let location) in program.map(\.statement) { try use(path, at: location) }
    try check(program.map(\.statement))
    return program
  }

  /// Reports undefined names and bad builtin calls before anything runs.
  public func check(_ statements: [Stmt]) throws {
    var resolver = Resolver(known: Set(globalScope.visibleNames))
    try resolver.check(statements)
  }

  public func runTopLevel(_ statement: Stmt, showValues: Bool) throws {
    tape.reset()
    defer { tape.reset() }
    let flow: Flow
    do {
      flow = try tape.recording { try execute(statement, in: globalScope, showValues: showValues) }
    } catch let error as UserError {
      // Every error a user can cause is a language error with a place; the calls and
      // members that raise them say where, and this catches any that did not.
      throw AtelierError(error.userMessage, at: statement.location, hint: error.hint)
    }
    switch flow {
    case .normal: return
    case .breakLoop, .continueLoop:
      throw AtelierError("break and continue belong inside a loop", at: statement.location)
    case .returned:
      throw AtelierError("return belongs inside a function", at: statement.location)
    }
  }

  // MARK: statements

  enum Flow {
    case normal, breakLoop, continueLoop
    case returned(Value)
  }

  private func spendStep(_ location: SourceLocation) throws {
    if let budget = stepBudget {
      guard budget > 0 else { throw AtelierError("the program ran out of steps", at: location) }
      stepBudget = budget - 1
    }
  }

  func execute(_ statement: Stmt, in scope: Environment, showValues: Bool = false) throws -> Flow {
    try spendStep(statement.location)
    switch statement {
    case .expression(let expr, let hidden):
      let value = try evaluate(expr, in: scope)
      if showValues, !hidden, !value.isNone {
        if let showValue { showValue(value) } else { write(Printer.show(value) + "\n") }
      }
    case .assign(let names, let expr, let location):
      let value = try evaluate(expr, in: scope)
      if names.count == 1 {
        scope.define(names[0], value)
      } else {
        let items = try unpack(value, into: names.count, at: location)
        for (name, item) in zip(names, items) { scope.define(name, item) }
      }
    case .assignInto(let target, let expr, let location):
      try assign(into: target, try evaluate(expr, in: scope), in: scope, at: location)
    case .function(let decl):
      scope.define(decl.name, .function(UserFunction(declaration: decl, closure: scope)))
    case .returnValue(let expr, _):
      return .returned(try expr.map { try evaluate($0, in: scope) } ?? .none)
    case .ifChain(let branches, let otherwise, _):
      for branch in branches where try truth(try evaluate(branch.condition, in: scope), at: branch.condition.location) {
        return try executeBlock(branch.body, in: scope)
      }
      if let otherwise { return try executeBlock(otherwise, in: scope) }
    case .forLoop(let names, let sequenceExpr, let body, let location):
      let sequence = try items(of: try evaluate(sequenceExpr, in: scope), at: sequenceExpr.location)
      for item in sequence {
        try checkInterrupt(at: location)
        if names.count == 1 {
          scope.define(names[0], item)
        } else {
          for (name, part) in zip(names, try unpack(item, into: names.count, at: location)) { scope.define(name, part) }
        }
        switch try executeBlock(body, in: scope) {
        case .breakLoop: return .normal
        case .returned(let v): return .returned(v)
        case .normal, .continueLoop: continue
        }
      }
    case .whileLoop(let condition, let body, let location):
      while try truth(try evaluate(condition, in: scope), at: condition.location) {
        try checkInterrupt(at: location)
        try spendStep(location)
        switch try executeBlock(body, in: scope) {
        case .breakLoop: return .normal
        case .returned(let v): return .returned(v)
        case .normal, .continueLoop: continue
        }
      }
    case .breakLoop: return .breakLoop
    case .continueLoop: return .continueLoop
    case .use(let path, let location):
      try use(path, at: location)
    case .noGrad(let body, _):
      return try Tape.withoutRecording { try executeBlock(body, in: scope) }
    }
    return .normal
  }

  func executeBlock(_ statements: [Stmt], in scope: Environment) throws -> Flow {
    for statement in statements {
      let flow = try execute(statement, in: scope)
      if case .normal = flow { continue }
      return flow
    }
    return .normal
  }

  /// Ctrl-C stops a running loop at its next turn.
  private func checkInterrupt(at location: SourceLocation) throws {
    if takePendingInterrupt() { throw AtelierError("interrupted", at: location) }
  }

  private func unpack(_ value: Value, into count: Int, at location: SourceLocation) throws -> [Value] {
    guard case .list(let items) = value, items.count == count else {
      let got = {
        if case .list(let items) = value { return "\(items.count) values" } else { return "a \(value.typeName)" }
      }()
      throw AtelierError(
        "cannot unpack \(got) into \(count) names", at: location,
        hint: "the right side must give exactly \(count) values")
    }
    return items
  }

  // MARK: use

  /// Runs another notebook's statements in this session, once per file.
  func use(_ path: String, at location: SourceLocation) throws {
    let found = try locateUsedFile(path, at: location)
    let canonical = URL(fileURLWithPath: found).standardizedFileURL.path
    guard loadedFiles.insert(canonical).inserted else { return }
    try run(try readUsedFile(found, at: location), showValues: false)
  }

  /// Parses a notebook and reports undefined names and bad builtin calls, running
  /// nothing: the files it `use`s are read for the names they define, not run.
  /// Returns the number of top-level statements.
  public func checkWithoutRunning(_ file: SourceFile) throws -> Int {
    let program = try Parser.parseTopLevel(file).map(\.statement)
    var known = Set(globalScope.visibleNames)
    var seen: Set<String> = []
    func addNames(usedBy statements: [Stmt]) throws {
      for case .use(let path, let location) in statements {
        let found = try locateUsedFile(path, at: location)
        guard seen.insert(URL(fileURLWithPath: found).standardizedFileURL.path).inserted else { continue }
        let used = try Parser.parseTopLevel(try readUsedFile(found, at: location)).map(\.statement)
        known.formUnion(Resolver.definedNames(in: used))
        try addNames(usedBy: used)
      }
    }
    try addNames(usedBy: program)
    var resolver = Resolver(known: known)
    try resolver.check(program)
    return program.count
  }

  private func readUsedFile(_ found: String, at location: SourceLocation) throws -> SourceFile {
    guard let text = try? String(contentsOfFile: found, encoding: .utf8) else {
      throw AtelierError("use: \(found) is not readable UTF-8 text", at: location)
    }
    return SourceFile(name: found, text: text)
  }

  private func locateUsedFile(_ path: String, at location: SourceLocation) throws -> String {
    let here = URL(fileURLWithPath: location.file.name).deletingLastPathComponent().path
    let folders = [here] + libraryPaths
    let candidates = folders.flatMap { folder in
      [path, path + ".atl"].map {
        path.hasPrefix("/") ? $0 : URL(fileURLWithPath: folder).appendingPathComponent($0).path
      }
    }
    guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
      throw AtelierError(
        "use: cannot find \"\(path)\"", at: location,
        hint: "looked in " + folders.map { $0.isEmpty ? "." : $0 }.joined(separator: ", "))
    }
    return found
  }

  // MARK: calls

  func callFunction(
    _ callee: Value, positional: [Value], named: [(String, Value)], block: [Value]? = nil, at location: SourceLocation
  ) throws -> Value {
    switch callee {
    case .builtin(let builtin):
      return try invoke(builtin, positional: positional, named: named, block: block, at: location)
    case .function(let function):
      guard block == nil else {
        throw AtelierError("\(function.declaration.name) does not take a { … } block", at: location)
      }
      return try invoke(function, positional: positional, named: named, at: location)
    case .layer(let layer):
      return try applyLayer(layer, positional, named, at: location)
    default:
      throw AtelierError("a \(callee.typeName) cannot be called", at: location)
    }
  }

  /// Binds arguments to a language function's parameters and runs its body in a new scope.
  private func invoke(
    _ function: UserFunction, positional: [Value], named: [(String, Value)], at location: SourceLocation
  )
    throws -> Value
  {
    let decl = function.declaration
    guard positional.count <= decl.parameters.count else {
      throw AtelierError(
        "\(decl.name) takes \(decl.parameters.count) argument\(decl.parameters.count == 1 ? "" : "s") but got \(positional.count)",
        at: location, hint: "usage: \(function.signature)")
    }
    callDepth += 1
    defer { callDepth -= 1 }
    guard callDepth < Interpreter.maxCallDepth else {
      throw AtelierError(
        "calls nested too deeply (more than \(Interpreter.maxCallDepth)); is \(decl.name) recursing forever?",
        at: location)
    }
    let scope = Environment(parent: function.closure)
    for (parameter, value) in zip(decl.parameters, positional) { scope.define(parameter.name, value) }
    for (label, value) in named {
      guard let index = decl.parameters.firstIndex(where: { $0.name == label }) else {
        let close = suggestion(for: label, among: decl.parameters.map(\.name))
        throw AtelierError(
          "\(decl.name) has no parameter '\(label)'", at: location,
          hint: close.map { "did you mean '\($0)'?" } ?? "usage: \(function.signature)")
      }
      guard index >= positional.count else {
        throw AtelierError("\(decl.name): '\(label)' is given twice", at: location)
      }
      scope.define(label, value)
    }
    for parameter in decl.parameters.dropFirst(positional.count) where scope.lookupLocal(parameter.name) == nil {
      guard let defaultExpr = parameter.defaultValue else {
        throw AtelierError(
          "\(decl.name) needs a value for '\(parameter.name)'", at: location, hint: "usage: \(function.signature)")
      }
      scope.define(parameter.name, try evaluate(defaultExpr, in: scope))
    }
    if case .returned(let value) = try executeBlock(decl.body, in: scope) { return value }
    return .none
  }

  /// Runs a builtin, turning any error it raises into one that points at the call.
  func invoke(
    _ builtin: Builtin, positional: [Value], named: [(String, Value)], block: [Value]?, at location: SourceLocation
  )
    throws -> Value
  {
    if refusedFamilies.contains(builtin.family) {
      throw AtelierError("\(builtin.name) is not available here", at: location)
    }
    do {
      let arguments = try builtin.bind(positional: positional, named: named, block: block)
      return try builtin.run(arguments, CallContext(session: self, location: location))
    } catch let error as AtelierError {
      throw error.location == nil ? AtelierError(error.message, at: location, hint: error.hint) : error
    } catch let error as UserError {
      throw AtelierError(error.userMessage, at: location, hint: error.hint)
    } catch {
      throw AtelierError("\(error)", at: location)
    }
  }

  /// A model or layer called as a function: `net(x)` runs its forward pass.
  private func applyLayer(
    _ layer: Layer, _ positional: [Value], _ named: [(String, Value)], at location: SourceLocation
  ) throws -> Value {
    guard positional.count == 1, named.isEmpty, case .tensor(let x) = positional[0] else {
      throw AtelierError("\(layer.name) takes one tensor: \(layer.name)(x)", at: location)
    }
    do {
      if let model = layer as? Sequential, !model.isBuilt {
        try model.build(inputShape: Array(x.shape.dropFirst()), rng: rng)
      }
      let training = trainingModels[layer] ?? false
      if let vae = layer as? VAE {
        let (reconstruction, mu, logvar) = try vae.run(x, training: training)
        return .record(Record([("recon", .tensor(reconstruction)), ("mu", .tensor(mu)), ("logvar", .tensor(logvar))]))
      }
      return .tensor(try layer.forward(x, training: training))
    } catch let error as UserError {
      throw AtelierError(error.userMessage, at: location, hint: error.hint)
    }
  }
}

/// What a builtin sees of the call: the session and where the call is.
public struct CallContext {
  let session: Session
  public let location: SourceLocation

  /// A path to read, as the user wrote it: relative paths are looked up in the replay's
  /// output folder (what the notebook wrote), beside the notebook (so that a replay works
  /// from any folder), then in the working folder.
  public func resolve(_ path: String) -> String {
    guard !path.hasPrefix("/") else { return path }
    let written = session.outputDirectory.map { URL(fileURLWithPath: $0).appendingPathComponent(path).path }
    if let written, FileManager.default.fileExists(atPath: written) { return written }
    let beside = URL(fileURLWithPath: location.file.name).deletingLastPathComponent().appendingPathComponent(path).path
    return FileManager.default.fileExists(atPath: beside) ? beside : path
  }

  /// A path to write: a replayed notebook keeps every file it writes with a relative path
  /// under its output folder, which is made as needed.
  public func outputPath(_ path: String) throws -> String {
    guard !path.hasPrefix("/"), let folder = session.outputDirectory else { return path }
    let url = URL(fileURLWithPath: folder).appendingPathComponent(path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    return url.path
  }

  /// Calls a function value (builtin or written in the language) with arguments.
  public func call(_ function: Value, _ arguments: [Value]) throws -> Value {
    try session.callFunction(function, positional: arguments, named: [], block: nil, at: location)
  }
}

extension Environment {
  func lookupLocal(_ name: String) -> Value? { values[name] }
}
