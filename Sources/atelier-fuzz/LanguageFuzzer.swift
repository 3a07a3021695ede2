import Foundation
import Lang

/// Programs that are random, mutated from real notebooks, extreme in their numbers,
/// long in their chains, deep in their nesting, or calls of every builtin with random
/// arguments. Each batch of programs shares one session, as at the prompt: nothing may
/// crash, hang or fail other than with a language error, and the session must survive.
struct LanguageFuzzer {
  let repository: String
  let watchdog: Watchdog
  static let programsPerSession = 200

  static let vocabulary: [String] = [
    "x", "y", "f", "net", "data", "print", "summary", "conv", "dense", "relu", "flatten", "maxpool", "model", "range",
    "len", "map", "sorted", "tensor", "zeros", "randn", "str", "sum", "mean", "lenet5", "mlp", "last", "assert",
    "def", "return", "if", "elif", "else", "for", "in", "while", "break", "continue", "use", "as", "and", "or", "not",
    "true", "false", "none", "0", "1", "3", "-1", "2.5", "1e-3", "1e308", "1e999", "99999999999999999999", "0.0",
    "\"s\"", "\"{x}\"", "\"{\"", "\"a\\qb\"", "\"", "(", ")", "[", "]", "{", "}", ",", ":", ";", ".", "=", "==", "|",
    "+", "-", "*", "/", "%", "**", "<", ">=", "..", "=>", "\n", "\n", " ", "#", "@",
  ]

  /// Numbers at the edges: zero, signs, the limits of whole numbers and of doubles.
  static let extremes = [
    "0", "-0", "1", "-1", "2", "3", "0.5", "-7", "255", "256", "65536", "2147483647", "2147483648", "-2147483649",
    "4294967296", "3e9", "1e15", "9007199254740993", "9223372036854775807", "9223372036854775808", "1e19", "1e20",
    "1e300", "1e308", "-1e308", "1e999", "1e-320", "123456789012345678901234567890",
  ]

  /// Values a random argument may be: names defined by the session's prelude, literals, extremes.
  static let argumentPool: [String] =
    [
      "t", "m", "v", "small", "d", "d.test", "net", "mlp_net", "opt", "h", "e", "c", "none", "true", "false", "[]",
      "[1, 2, 3]", "[0, 1, 0, 1]", "[[1, 2], [3, 4]]", "[-1]", "[3e9]", "[1e308, 1]", "{a: 1}", "\"\"", "\"a.png\"",
      "\"b.csv\"", "\"m.atlm\"", "\"w.safetensors\"", "\"relu1\"", "\"fc2\"", "\"conv1\"", "\"val_loss\"",
      "\"cosine\"", "\"nope\"", "\"x\\ny\"", "\"it's\"", "(a) => a", "(a, b) => a + b", "print", "range(5)",
      "randn([2, 3])", "zeros([1])",
    ] + extremes

  func run(count: Int) -> [String] {
    let fixtures = repository + "/Tests/Fixtures"
    setenv("ATELIER_DATA", fixtures, 1)
    // The programs run in a scratch folder: the library is found from the repository.
    setenv("ATELIER_STDLIB", repository + "/stdlib", 1)
    let corpus = Self.corpus(repository)
    let workspace = FileManager.default.temporaryDirectory.appendingPathComponent("atelier-fuzz-\(getpid())")
    try? FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: workspace) }
    // Files the programs write land in the workspace.
    guard FileManager.default.changeCurrentDirectoryPath(workspace.path) else {
      return ["cannot work in \(workspace.path)"]
    }
    defer { _ = FileManager.default.changeCurrentDirectoryPath(repository) }
    let builtins = Registry.all
    var g = Generator(state: 2026)
    var failures: [String] = []
    var interpreter: Interpreter?
    for n in 0..<count {
      if n % Self.programsPerSession == 0 {
        do {
          interpreter = try session(fixtures: fixtures)
        } catch {
          return ["the fuzzing session's prelude failed: \(error)"]
        }
      }
      guard let interpreter else { break }
      let source = program(n, &g, corpus: corpus, builtins: builtins)
      watchdog.run("program \(n)", input: Data(source.utf8)) {
        do {
          try interpreter.run(SourceFile(name: "fuzz\(n).atl", text: source))
        } catch is AtelierError {
          // a proper error: fine
        } catch {
          failures.append("program \(n) threw a non-language error \(error): \(source.prefix(200))")
        }
        // Ctrl-C must never stay pending from one statement to the next.
        interpreter.stepBudget = 20_000
      }
      // The session keeps its variables after any error.
      if case .none = interpreter.variable("t") ?? .none {
        failures.append("program \(n) lost the session's variables: \(source.prefix(200))")
      }
    }
    print("language: \(count) programs")
    return failures
  }

  func session(fixtures: String) throws -> Interpreter {
    let interpreter = Interpreter(write: { _ in })
    try StandardLibrary.prepare(interpreter)
    interpreter.outputDirectory = "out"
    let prelude = """
      d = idx("\(fixtures)", classes: ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"])
      small = d.test[0:24]
      t = randn([4, 1, 28, 28])
      m = randn([6, 3])
      v = [3, 1, 2]
      net = lenet5()
      mlp_net = mlp([16])
      opt = adam(lr: 0.001)
      h = fit(net, small, epochs: 1, batch: 8, opt: opt)
      e = pca(small, k: 2)
      c = confusion(net, small)
      """
    try interpreter.run(SourceFile(name: "prelude.atl", text: prelude), showValues: false)
    interpreter.stepBudget = 20_000
    return interpreter
  }

  static func corpus(_ repository: String) -> [String] {
    let folders = [repository + "/Tests/LangTests/golden", repository + "/notebooks"]
    return folders.flatMap { folder in
      ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".atl") }.sorted()
        .compactMap { try? String(contentsOfFile: folder + "/" + $0, encoding: .utf8) }
    }
  }

  func program(_ n: Int, _ g: inout Generator, corpus: [String], builtins: [Builtin]) -> String {
    switch n % 8 {
    case 0:  // random tokens
      return (0..<g.below(40)).map { _ in g.pick(Self.vocabulary) }.joined(separator: g.chance(3) ? "" : " ")
    case 1:  // a truncated notebook, its training made short
      let text = g.pick(corpus)
      return String(text.prefix(g.below(min(text.count, 400) + 1)))
    case 2:  // a mutated notebook line
      var chars = Array(g.pick(corpus).split(separator: "\n").prefix(12).joined(separator: "\n"))
      for _ in 0..<(1 + g.below(6)) where !chars.isEmpty {
        let at = g.below(chars.count)
        switch g.below(3) {
        case 0: chars.remove(at: at)
        case 1: chars.insert(g.pick(Self.vocabulary).first ?? "x", at: at)
        default: chars.swapAt(at, g.below(chars.count))
        }
      }
      return String(chars)
    case 3:  // deep nesting
      let depth = 50 + g.below(3000)
      let (open, close) = g.pick([
        ("(", ")"), ("[", "]"), ("{a: ", "}"), ("-", ""), ("not ", ""), ("if true { ", " }"), ("f(", ")"),
        ("(a) => ", ""),
      ])
      return "x = " + String(repeating: open, count: depth) + "1"
        + String(repeating: close, count: g.chance(2) ? depth : depth / 2)
    case 4:  // long left-deep chains
      let length = 100 + g.below(6_000)
      let (head, link) = g.pick([
        ("1", " + 1"), ("v", "[0]"), ("{a: {a: 1}}", ".a"), ("v", " | sorted"), ("true", " and true"),
        ("1", " * 1 - 1"), ("\"a\"", " + \"b\""), ("t", " + t"),
      ])
      return "x = " + head + String(repeating: link, count: length)
    case 5:  // numbers at the edges where numbers are taken
      let number = g.pick(Self.extremes)
      return g.pick([
        "x = range(\(number))", "x = zeros([\(number), \(number)])", "x = conv(\(number), \(number))",
        "x = 1..\(number)", "x = \(number)..\(number)", "x = [1, 2][\(number)]", "x = round(\(number), \(number))",
        "x = \"{\(number):.\(g.below(500))f}\"", "x = \"{1:>\(number)}\"", "x = v[\(number):\(number)]",
        "net2 = model(input: [1, \(number), 3]) { conv 2, 3 }", "x = randn([3], seed: \(number))",
        "for i in \(number) { }", "x = small[\(number)]", "x = t[\(number)]", "x = \(number) ** \(number)",
        "x = str(\(number))", "x = tensor([\(number)]) * \(number)",
      ])
    case 6:  // a loop building a deep value
      return "x = 0\nfor i in range(\(g.pick([100, 2_000, 6_000]))) { x = [x] }\ny = str(x)"
    default:  // a builtin with random arguments
      let builtin = g.pick(builtins)
      var parts: [String] = []
      for _ in 0..<g.below(builtin.parameters.count + 2) { parts.append(g.pick(Self.argumentPool)) }
      for _ in 0..<g.below(3) where !builtin.parameters.isEmpty {
        let name = g.pick(builtin.parameters).name
        if !parts.contains(where: { $0.hasPrefix(name + ":") }) {
          parts.append("\(name): \(g.pick(Self.argumentPool))")
        }
      }
      return "r = \(builtin.name)(\(parts.joined(separator: ", ")))\nprint r"
    }
  }
}
