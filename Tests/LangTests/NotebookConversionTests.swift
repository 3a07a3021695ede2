import Foundation
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
}
