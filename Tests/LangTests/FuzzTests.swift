import Foundation
import Testing

@testable import Lang

/// Feeds generated and mutated programs to the parser and the interpreter:
/// nothing may crash or hang, and every failure must be a proper AtelierError.
@Suite struct FuzzTests {
  static let programCount = 10_000

  /// A small deterministic generator, so a failure can be replayed.
  struct Generator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
  }

  static let vocabulary: [String] = [
    "x", "y", "f", "net", "data", "print", "summary", "conv", "dense", "relu", "flatten", "maxpool", "model", "range",
    "len", "map", "sorted", "tensor", "zeros", "randn", "str", "sum", "mean", "lenet5", "mlp", "last", "assert",
    "def", "return", "if", "elif", "else", "for", "in", "while", "break", "continue", "use", "as", "and", "or", "not",
    "true", "false", "none", "0", "1", "3", "-1", "2.5", "1e-3", "1e308", "1e999", "99999999999999999999", "0.0",
    "\"s\"", "\"{x}\"", "\"{\"", "\"a\\qb\"", "\"", "(", ")", "[", "]", "{", "}", ",", ":", ";", ".", "=", "==", "|",
    "+", "-", "*", "/", "%", "**", "<", ">=", "..", "=>", "\n", "\n", " ", "#", "@",
  ]

  static let corpus: [String] = {
    let folder = goldenFolder.path
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    let golden = names.filter { $0.hasSuffix(".atl") }.sorted().compactMap {
      try? String(contentsOfFile: folder + "/" + $0, encoding: .utf8)
    }
    return golden + [
      "net = model(input: [1, 28, 28]) {\n conv 6, 5, pad: 2; relu; maxpool 2\n flatten\n dense 10\n}\nsummary net\n"
    ]
  }()

  static func program(_ n: Int, _ g: inout Generator) -> String {
    switch n % 6 {
    case 0:  // random tokens
      return (0..<g.below(40)).map { _ in g.pick(vocabulary) }.joined(separator: g.below(3) == 0 ? "" : " ")
    case 1:  // a truncated notebook
      let text = g.pick(corpus)
      return String(text.prefix(g.below(text.count + 1)))
    case 2:  // a mutated notebook: characters deleted, inserted or swapped
      var chars = Array(g.pick(corpus))
      for _ in 0..<(1 + g.below(6)) where !chars.isEmpty {
        let at = g.below(chars.count)
        switch g.below(3) {
        case 0: chars.remove(at: at)
        case 1: chars.insert(g.pick(vocabulary).first ?? "x", at: at)
        default: chars.swapAt(at, g.below(chars.count))
        }
      }
      return String(chars)
    case 3:  // deep nesting
      let depth = 50 + g.below(2000)
      let (open, close) = g.pick([
        ("(", ")"), ("[", "]"), ("{a: ", "}"), ("-", ""), ("not ", ""), ("if true { ", " }"), ("f(", ")"),
      ])
      return "x = " + String(repeating: open, count: depth) + "1"
        + String(repeating: close, count: g.below(2) == 0 ? depth : depth / 2)
    case 4:  // huge and odd numbers in places that take numbers
      let number = g.pick([
        "1e308", "-1e308", "1e999", "0", "-0", "123456789012345678901234567890", "1e-320", "2.5", "-7",
      ])
      return g.pick([
        "x = range(\(number))", "x = zeros([\(number), \(number)])", "x = conv(\(number), \(number))",
        "x = 1..\(number)", "x = [1, 2][\(number)]", "x = round(\(number), \(number))",
        "x = \"{\(number):.\(g.below(400))f}\"",
        "net = model(input: [1, \(number), 3]) { conv 2, 3 }", "x = randn([3], seed: \(number))",
        "for i in \(number) { }",
      ])
    default:  // bad UTF-8 and control bytes
      let bytes = (0..<g.below(60)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
      return String(decoding: bytes, as: UTF8.self)
    }
  }

  @Test func parserAndInterpreterNeverCrashOrHang() throws {
    final class Findings: @unchecked Sendable {
      var failures: [String] = []
      var slowest = 0.0
    }
    let findings = Findings()
    let done = DispatchSemaphore(value: 0)
    // Deep nesting needs a deeper stack than a test thread's default.
    let worker = Thread {
      defer { done.signal() }
      var g = Generator(state: 2024)
      for n in 0..<FuzzTests.programCount {
        let source = FuzzTests.program(n, &g)
        let interpreter = Interpreter(write: { _ in })
        interpreter.stepBudget = 20_000
        interpreter.refusedFamilies = ["data", "training"]
        let start = Date()
        do {
          try interpreter.run(SourceFile(name: "fuzz\(n).atl", text: source))
        } catch is AtelierError {
          // a proper error: fine
        } catch {
          findings.failures.append("program \(n) threw a non-language error \(error): \(source.prefix(200))")
        }
        let elapsed = Date().timeIntervalSince(start)
        findings.slowest = max(findings.slowest, elapsed)
        if elapsed > 1 { findings.failures.append("program \(n) took \(elapsed) s: \(source.prefix(200))") }
      }
    }
    worker.stackSize = 64 << 20
    worker.start()
    done.wait()
    #expect(findings.failures.isEmpty, "\(findings.failures.prefix(5).joined(separator: "\n"))")
    #expect(findings.slowest < 1)
  }
}
