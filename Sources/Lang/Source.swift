/// A piece of Atelier source: a notebook file or one REPL entry.
public final class SourceFile {
  public let name: String
  public let text: String
  public let lines: [Substring]
  /// The number of the text's first line: entries read one by one from a pipe are
  /// parts of one input, numbered as the input is.
  public let firstLine: Int

  public init(name: String, text: String, firstLine: Int = 1) {
    self.name = name
    self.text = text
    self.lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    self.firstLine = firstLine
  }

  public func line(_ number: Int) -> Substring? {
    let index = number - firstLine
    return index >= 0 && index < lines.count ? lines[index] : nil
  }
}

/// A 1-based line and column in a source file.
public struct SourceLocation {
  public let file: SourceFile
  public let line: Int
  public let column: Int

  public init(file: SourceFile, line: Int, column: Int) {
    self.file = file
    self.line = line
    self.column = column
  }
}
