import Foundation
import Plot
import Testing

@testable import Lang

/// `.atl` notebooks as cells and as Jupyter notebooks, both ways, giving back the same text.
@Suite struct NotebookConversionTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  static var sources: [String] {
    ["notebooks", "stdlib"].flatMap { folder -> [String] in
      let dir = root.appendingPathComponent(folder).path
      let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
      return names.filter { $0.hasSuffix(".atl") }.sorted().map { "\(dir)/\($0)" }
    }
  }

  @Test func cellsGiveBackTheSameText() throws {
    #expect(NotebookConversionTests.sources.count >= 8)
    for path in NotebookConversionTests.sources {
      let text = try String(contentsOfFile: path, encoding: .utf8)
      let cells = NotebookCells.split(text)
      #expect(NotebookCells.join(cells) == text, "\(path)")
      #expect(cells.contains { $0.kind == .markdown }, "\(path) has a comment block")
    }
    for text in ["a", "a\n", "\n\na\n\n\nb", "# %%\nx = 1\n\n# %% [markdown]\n# Title\n#\n# text\n\n# %%\ny", "# %%\n"]
    {
      #expect(NotebookCells.join(NotebookCells.split(text)) == text, "\(String(reflecting: text))")
    }
  }

  @Test func blocksAndMarkersMakeCells() {
    let cells = NotebookCells.split("# Study\n# of things\n\nx = 1\ny = 2\n\n\n# a comment\nz = 3\n")
    #expect(cells.map(\.kind) == [.markdown, .code, .markdown, .code])
    #expect(cells[0].source == "Study\nof things" && cells[1].source == "x = 1\ny = 2" && cells[1].blankLinesAfter == 2)
    // A comment heading code is Markdown directly above it.
    #expect(cells[2].source == "a comment" && cells[2].blankLinesAfter == 0)
    #expect(cells[3].source == "z = 3" && cells[3].firstLine == 9)
    let marked = NotebookCells.split("# %% [markdown]\n# Title\n\n# %%\nx = 1\n\ny = 2\n")
    #expect(marked.map(\.kind) == [.markdown, .code] && marked[1].source == "x = 1\n\ny = 2")
  }

  @Test func everyNotebookRoundTripsThroughIpynb() throws {
    for path in NotebookConversionTests.sources {
      let text = try String(contentsOfFile: path, encoding: .utf8)
      let json = try NotebookConversion.encode(NotebookConversion.ipynb(fromAtl: text))
      let back = NotebookConversion.atl(fromIpynb: try NotebookConversion.decode(json, path: path))
      #expect(back == text, "\(path)")
    }
    // A notebook written in Jupyter (one string per source, no Atelier layout) reads too.
    let foreign = """
      {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# Title\\ntext"},
                 {"cell_type": "code", "metadata": {}, "execution_count": 3, "outputs": [], "source": ["x = 1\\n", "y = 2"]}],
       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
      """
    #expect(
      NotebookConversion.atl(fromIpynb: try NotebookConversion.decode(foreign, path: "f.ipynb"))
        == "# # Title\n# text\n\nx = 1\ny = 2\n\n")
    #expect(throws: AtelierError.self) { try NotebookConversion.decode("{\"cells\": 3}", path: "bad.ipynb") }
  }

  @Test func anExecutedNotebookCarriesItsOutputs() throws {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("ipynb-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: out) }
    let interpreter = try sessionInterpreter { _ in }
    interpreter.outputDirectory = out
    let text = """
      # A small run

      x = 2
      print "x is {x}"

      plot([1, 2, 3], title: "numbers")
      y = x + undefined_name_later
      """
    var records: [StatementRecord] = []
    var failure: String?
    do {
      try NotebookRunner.replay(SourceFile(name: "small.atl", text: text), in: interpreter, records: &records)
    } catch {
      failure = "\(error)"
    }
    // The check stops it before anything runs: the error lands on the first code cell.
    let checked = JupyterReport.notebook(source: text, records: records, failure: failure)
    #expect(checked.cells[1].outputs?.first?.output_type == "error")
    #expect(checked.cells[1].outputs?.first?.evalue?.contains("7:9") == true)

    records = []
    let fine = text.replacingOccurrences(of: "undefined_name_later", with: "1")
    try NotebookRunner.replay(SourceFile(name: "small.atl", text: fine), in: interpreter, records: &records)
    let executed = JupyterReport.notebook(source: fine, records: records, failure: nil)
    let json = try NotebookConversion.encode(executed)
    let read = try NotebookConversion.decode(json, path: "executed.ipynb")
    #expect(read.cells.map(\.cell_type) == ["markdown", "code", "code"])
    #expect(read.cells[1].outputs?.first?.text == ["x is 2\n"] && read.cells[1].execution_count == 1)
    let figure = try #require(read.cells[2].outputs?.first { $0.output_type == "display_data" })
    let png = try #require(Data(base64Encoded: figure.data?["image/png"] ?? ""))
    #expect(Figure.pngSize(png).map { [$0.width, $0.height] } == [700, 450])
    #expect(figure.metadata?["image/png"]?["width"] == 700)
  }
}
