/// Variables of one scope: the globals, or one call of a function. Closures keep
/// the environment they were made in.
public final class Environment {
  private(set) var values: [String: Value] = [:]
  let parent: Environment?

  init(parent: Environment?) { self.parent = parent }

  func lookup(_ name: String) -> Value? {
    var scope: Environment? = self
    while let s = scope {
      if let v = s.values[name] { return v }
      scope = s.parent
    }
    return nil
  }

  /// Defines or rebinds `name` in this scope.
  func define(_ name: String, _ value: Value) { values[name] = value }

  /// Every name visible from here, innermost first.
  var visibleNames: [String] {
    var names: [String] = []
    var scope: Environment? = self
    while let s = scope {
      names += s.values.keys
      scope = s.parent
    }
    return names
  }
}

/// A function written in the language together with the scope it closes over.
public final class UserFunction {
  public let declaration: FunctionDecl
  let closure: Environment

  init(declaration: FunctionDecl, closure: Environment) {
    self.declaration = declaration
    self.closure = closure
  }

  public var signature: String {
    let params = declaration.parameters.map { p in p.defaultValue == nil ? p.name : "\(p.name): …" }
    return "\(declaration.name)(\(params.joined(separator: ", ")))"
  }
}
