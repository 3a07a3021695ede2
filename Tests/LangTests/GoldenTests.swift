import Foundation
import Testing

@testable import Lang

let goldenFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("golden")
let standardLibrary = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().appendingPathComponent("stdlib").path

/// An interpreter with the standard library, writing into a string.
func sessionInterpreter(_ sink: @escaping (String) -> Void) throws -> Interpreter {
  let interpreter = Interpreter(write: sink)
  interpreter.libraryPaths = [standardLibrary]
  let prelude = standardLibrary + "/prelude.atl"
  try interpreter.run(
    SourceFile(name: prelude, text: try String(contentsOfFile: prelude, encoding: .utf8)), showValues: false)
  return interpreter
}

/// Golden notebooks: `# expect: LINE` lists the output lines in order, and
/// `# error: LINE:COL: MESSAGE` the error the notebook must stop with.
@Suite struct GoldenTests {
  static let files: [String] = {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: goldenFolder.path)) ?? []
    return names.filter { $0.hasSuffix(".atl") }.sorted()
  }()

  @Test func thereAreEnoughGoldenNotebooks() {
    #expect(GoldenTests.files.count >= 80)
  }

  @Test(arguments: files) func golden(_ name: String) throws {
    let path = goldenFolder.appendingPathComponent(name).path
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let expected = lines.compactMap {
      $0.hasPrefix("# expect: ") ? String($0.dropFirst(10)) : ($0 == "# expect:" ? "" : nil)
    }
    let expectedError = lines.first { $0.hasPrefix("# error: ") }.map { String($0.dropFirst(9)) }

    var output = ""
    let interpreter = try sessionInterpreter { output += $0 }
    var failure: AtelierError?
    do {
      try interpreter.run(SourceFile(name: path, text: text))
    } catch let error as AtelierError {
      failure = error
    }
    let actual =
      output.isEmpty
      ? []
      : output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLast(
        output.hasSuffix("\n") ? 1 : 0)
    #expect(Array(actual) == expected, "output of \(name)")
    if let expectedError {
      // "L:C: message" against "path:L:C: error: message"
      let first = failure?.description.split(separator: "\n").first.map(String.init)
      let parts = expectedError.split(separator: " ", maxSplits: 1).map(String.init)
      #expect(first == "\(path):\(parts[0]) error: \(parts.count > 1 ? parts[1] : "")", "error of \(name)")
    } else {
      #expect(failure == nil, "\(name) failed: \(failure?.description ?? "")")
    }
  }
}
