/// A notebook as cells: code, or Markdown written in `.atl` as a block of `# ` comments.
/// Cells come from `# %%` markers when a file has them (as Jupytext and VS Code write
/// them), otherwise from blocks separated by blank lines. A cell remembers its marker
/// and the blank lines after it, so that `.atl → cells → .atl` gives back the same text.
public struct NotebookCell: Equatable {
  public enum Kind: String { case code, markdown }
  public var kind: Kind
  /// The cell's text: code as written, Markdown without its `# `.
  public var source: String
  /// The `# %%` line that opened the cell, if any.
  public var marker: String?
  /// Blank lines that followed the cell; -1 when the file ended without a line break.
  public var blankLinesAfter: Int
  /// The `.atl` line the cell's text starts on (1 for the first).
  public var firstLine: Int

  public init(kind: Kind, source: String, marker: String? = nil, blankLinesAfter: Int = 1, firstLine: Int = 1) {
    self.kind = kind
    self.source = source
    self.marker = marker
    self.blankLinesAfter = blankLinesAfter
    self.firstLine = firstLine
  }
}

public enum NotebookCells {
  static let marker = "# %%"

  public static func split(_ text: String) -> [NotebookCell] {
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    // A final line break ends the last line; it is not an empty line after it.
    let endsWithBreak = lines.last == ""
    if endsWithBreak { lines.removeLast() }
    var cells = lines.contains { $0.hasPrefix(marker) } ? atMarkers(lines) : atBlankLines(lines)
    if !endsWithBreak, var last = cells.popLast() {
      if last.blankLinesAfter == 0 { last.blankLinesAfter = -1 }
      cells.append(last)
    }
    return cells
  }

  /// Blocks separated by empty lines; a block of `# ` comments is Markdown.
  private static func atBlankLines(_ lines: [String]) -> [NotebookCell] {
    var cells: [NotebookCell] = []
    var i = 0
    while i < lines.count {
      if lines[i].isEmpty {
        if cells.isEmpty {
          // Empty lines before the first block: an empty cell stands for them.
          cells.append(NotebookCell(kind: .code, source: "", blankLinesAfter: 0, firstLine: 1))
        } else {
          cells[cells.count - 1].blankLinesAfter += 1
        }
        i += 1
        continue
      }
      let start = i
      while i < lines.count, !lines[i].isEmpty { i += 1 }
      // Comments heading a block of code are its Markdown cell, directly above it.
      let block = Array(lines[start..<i])
      let heading = block.prefix(while: isMarkdownLine).count
      if heading > 0, heading < block.count {
        cells.append(cell(Array(block[..<heading]), marker: nil, firstLine: start + 1, markdownAllowed: true))
        cells.append(
          cell(Array(block[heading...]), marker: nil, firstLine: start + heading + 1, markdownAllowed: false))
      } else {
        cells.append(cell(block, marker: nil, firstLine: start + 1, markdownAllowed: true))
      }
    }
    return cells
  }

  /// Cells opened by `# %%` lines; `# %% [markdown]` cells of `# ` comments are Markdown.
  private static func atMarkers(_ lines: [String]) -> [NotebookCell] {
    var cells: [NotebookCell] = []
    var opening: String?
    var block: [String] = []
    var start = 1
    func close() {
      guard opening != nil || !block.isEmpty else { return }
      cells.append(
        cell(block, marker: opening, firstLine: start, markdownAllowed: opening?.contains("[markdown]") == true))
    }
    for (i, line) in lines.enumerated() {
      guard line.hasPrefix(marker) else {
        block.append(line)
        continue
      }
      close()
      (opening, block, start) = (line, [], i + 2)
    }
    close()
    return cells
  }

  private static func cell(_ lines: [String], marker: String?, firstLine: Int, markdownAllowed: Bool) -> NotebookCell {
    var body = lines
    var blanks = 0
    while body.last == "" {
      body.removeLast()
      blanks += 1
    }
    let markdown = markdownAllowed && !body.isEmpty && body.allSatisfy(isMarkdownLine)
    return NotebookCell(
      kind: markdown ? .markdown : .code,
      source: markdown ? body.map(uncommented).joined(separator: "\n") : body.joined(separator: "\n"),
      marker: marker, blankLinesAfter: blanks, firstLine: firstLine)
  }

  /// The `.atl` text of cells: Markdown as `# ` comments, each cell after its marker and
  /// followed by its blank lines.
  public static func join(_ cells: [NotebookCell]) -> String {
    var out = ""
    for cell in cells {
      if let marker = cell.marker { out += marker + "\n" }
      let lines = cell.source.split(separator: "\n", omittingEmptySubsequences: false)
      let body =
        cell.kind == .markdown ? lines.map { $0.isEmpty ? "#" : "# " + $0 }.joined(separator: "\n") : cell.source
      // A marker with nothing under it is a line of its own; an empty cell without one
      // stands for empty lines at the start of the file.
      let hasLine = !(cell.source.isEmpty && cell.kind == .code)
      if hasLine { out += body }
      if hasLine || cell.marker == nil, cell.blankLinesAfter >= 0 { out += "\n" }
      out += String(repeating: "\n", count: max(cell.blankLinesAfter, 0))
    }
    return out
  }

  private static func isMarkdownLine(_ line: String) -> Bool { line == "#" || line.hasPrefix("# ") }

  private static func uncommented(_ line: String) -> String {
    line == "#" ? "" : line.hasPrefix("# ") ? String(line.dropFirst(2)) : line
  }
}
