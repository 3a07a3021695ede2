import Foundation
import Testing

@testable import Lang

/// What the prompt gives back: history across restarts, completion of named arguments,
/// and hints for habits brought from Python.
@Suite struct PromptHelpTests {
  @Test func multiLineEntriesSurviveTheHistoryFile() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("history-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    // A file from before the escaping: plain lines read as they were.
    try "x = 1\nprint \"a\\tb\"\n".write(toFile: path, atomically: true, encoding: .utf8)
    let entry = "net = model {\n  flatten; dense 10\n}"
    HistoryFile.append(entry, to: path)
    HistoryFile.append("s = \"back\\\\slash\\n\"", to: path)
    #expect(HistoryFile.load(path) == ["x = 1", "print \"a\\tb\"", entry, "s = \"back\\\\slash\\n\""])
    #expect(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count == 4)
  }

  @Test func theHistoryFileKeepsItsLastEntries() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("history-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    for i in 0..<(HistoryFile.limit + 5) { HistoryFile.append("x = \(i)", to: path) }
    let entries = HistoryFile.load(path)
    #expect(entries.count == HistoryFile.limit && entries.first == "x = 5")
    #expect(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count == HistoryFile.limit)
  }

  @Test func tabCompletesTheNamedArgumentsOfTheCallBeingTyped() {
    let interpreter = Interpreter()
    #expect(Completion.enclosingCallName("x = tsne(f, ") == "tsne")
    #expect(Completion.enclosingCallName("fit(net, d, opt: adam(") == "adam")
    #expect(Completion.enclosingCallName("plot([h1, h2], ") == "plot")
    #expect(Completion.enclosingCallName("print(\"(\", ") == "print")
    #expect(Completion.enclosingCallName("x = [1, ") == nil)
    #expect(Completion.candidates(for: "perp", before: "e = tsne(f, ", interpreter: interpreter) == ["perplexity:"])
    let epochs = Completion.candidates(for: "ep", before: "fit(net, d, ", interpreter: interpreter)
    #expect(epochs.first == "epochs:")
    #expect(Completion.candidates(for: "evalu", before: "x = ", interpreter: interpreter) == ["evaluate"])
  }

  @Test func pythonHabitsGetAHint() throws {
    let s = try sessionInterpreter { _ in }
    let named = run("h = fit(net, d, epochs=1)", in: s).error
    #expect(named?.hint?.contains("epochs: 1") == true, "\(String(describing: named))")
    let weight = run("net = lenet5()\nw = net.conv1.weight", in: s).error
    #expect(weight?.hint?.contains("params(net)[\"conv1.weight\"]") == true, "\(String(describing: weight))")
  }
}
