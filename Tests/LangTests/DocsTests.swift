import Foundation
import Testing

@testable import Lang

@Suite struct DocsTests {
  @Test func languageDocsAreUpToDateWithTheRegistry() throws {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("docs/LANGUAGE.md").path
    let committed = try String(contentsOfFile: path, encoding: .utf8)
    #expect(committed == LanguageDocs.markdown(), "docs/LANGUAGE.md is stale: run `make docs`")
  }

  @Test func everyBuiltinHasASummaryAndAFamily() {
    for builtin in Registry.all {
      #expect(!builtin.summary.isEmpty, "\(builtin.name)")
      #expect(Registry.families.contains(builtin.family), "\(builtin.name)")
    }
    #expect(Registry.byName.count == Registry.all.count, "builtin names are unique")
  }

  @Test func helpAndCompletionComeFromTheRegistry() {
    let interpreter = Interpreter()
    interpreter.define("data", .record(Record([("train", .number(1)), ("test", .number(2))])))
    #expect(Completion.candidates(for: "data.tr", interpreter: interpreter) == ["data.train"])
    #expect(Completion.candidates(for: "evalu", interpreter: interpreter) == ["evaluate"])
    #expect(Completion.candidates(for: "dat", interpreter: interpreter).contains("data"))
    #expect(
      Help.text(for: "conv", interpreter: interpreter).contains(
        "conv(filters, kernel, stride: 1, pad: 0, bias: true, l1: 0, l2: 0, init: \"pytorch\")"))
    #expect(Help.text(for: "evalute", interpreter: interpreter).contains("did you mean 'evaluate'"))
  }
}
