/// A piece of Atelier source: a notebook file or one REPL entry.
public final class SourceFile {
  public let name: String
  public let text: String
  public let lines: [Substring]

  public init(name: String, text: String) {
    self.name = name
    self.text = text
    self.lines = text.split(separator: "\n", omittingEmptySubsequences: false)
  }

  public func line(_ number: Int) -> Substring? {
    number >= 1 && number <= lines.count ? lines[number - 1] : nil
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
