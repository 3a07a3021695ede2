import Foundation
import Tensor

/// The language reference as a manual page (`man 7 atelier-language`), made from the
/// same Markdown `atelier docs` writes: headings, paragraphs, lists and code blocks.
public enum ManualPage {
  public static func roff(fromMarkdown markdown: String, name: String, section: Int, date: String) -> String {
    var out = [".TH \(name.uppercased()) \(section) \"\(date)\" \"Atelier \(AtelierVersion.number)\" \"Atelier\""]
    var inCode = false
    // Between the title and the first section the Markdown speaks of its own file.
    var inPreamble = false
    for raw in markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
      if raw.hasPrefix("## ") { inPreamble = false }
      if inPreamble { continue }
      if raw.hasPrefix("```") {
        out.append(inCode ? ".fi\n.RE" : ".RS 4\n.nf")
        inCode.toggle()
        continue
      }
      if inCode {
        out.append(escaped(raw, keepCode: false))
        continue
      }
      if raw.hasPrefix("# ") {
        out.append(".SH NAME\n\(name) \\- \(escaped(String(raw.dropFirst(2)), keepCode: true))")
        inPreamble = true
      } else if raw.hasPrefix("## ") {
        out.append(".SH " + escaped(String(raw.dropFirst(3)).uppercased(), keepCode: false))
      } else if raw.hasPrefix("### ") {
        out.append(".TP\n" + escaped(String(raw.dropFirst(4)), keepCode: true))
      } else if raw.hasPrefix("- ") {
        out.append(".IP \\(bu 2\n" + escaped(String(raw.dropFirst(2)), keepCode: true))
      } else if raw.trimmingCharacters(in: .whitespaces).isEmpty {
        out.append(".PP")
      } else {
        out.append(escaped(raw.trimmingCharacters(in: .whitespaces), keepCode: true))
      }
    }
    // Consecutive paragraph breaks collapse; a list item's continuation lines stay in it.
    var lines: [String] = []
    for line in out where !(line == ".PP" && lines.last == ".PP") { lines.append(line) }
    return lines.joined(separator: "\n") + "\n"
  }

  /// Backslashes doubled, a leading dot or quote guarded, `code` in bold.
  static func escaped(_ text: String, keepCode: Bool) -> String {
    var line = text.replacingOccurrences(of: "\\", with: "\\e")
    if line.hasPrefix(".") || line.hasPrefix("'") { line = "\\&" + line }
    guard keepCode else { return line }
    var result = ""
    var bold = false
    for character in line {
      if character == "`" {
        result += bold ? "\\fR" : "\\fB"
        bold.toggle()
      } else {
        result.append(character)
      }
    }
    return result + (bold ? "\\fR" : "")
  }
}
