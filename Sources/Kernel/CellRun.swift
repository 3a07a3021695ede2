import CKernel
import Foundation
import Lang
import Plot

/// One execute request: the cell's statements run in the kernel's interpreter with its
/// printed text going out as `stream`, shown values as `execute_result` and figures as
/// `display_data`. The session keeps its variables whatever happens.
final class CellRun {
  let kernel: JupyterKernel
  let parent: JSONValue
  let count: Int
  let silent: Bool
  /// The display a progress line redraws in place (`update_display_data`), until the
  /// line ends; each epoch keeps one line in the saved notebook.
  private var liveLine: String?

  init(kernel: JupyterKernel, parent: JSONValue, count: Int, silent: Bool) {
    self.kernel = kernel
    self.parent = parent
    self.count = count
    self.silent = silent
  }

  /// Runs the code; returns the `error` content when it failed or was interrupted.
  func run(_ code: String) -> JSONValue? {
    let interpreter = kernel.interpreter
    let saved = (interpreter.write, interpreter.showValue, interpreter.displayFigure)
    defer { (interpreter.write, interpreter.showValue, interpreter.displayFigure) = saved }
    interpreter.write = { text in self.stream(text) }
    interpreter.showValue = { value in self.result(value) }
    interpreter.displayFigure = { figure in try self.display(figure) }
    // An interrupt that arrived while the kernel was idle is not for this cell.
    atl_interrupt_clear()
    if let command = PromptCommand.parse(code) { return run(command) }
    return statements(SourceFile(name: "<cell \(count)>", text: code))
  }

  private func statements(_ file: SourceFile) -> JSONValue? {
    let interpreter = kernel.interpreter
    let interruptsBefore = atl_interrupt_count()
    do {
      let program = try interpreter.prepare(file)
      for item in program {
        try interpreter.runTopLevel(item.statement, showValues: true)
        // fit and tsne stop at a safe point and keep what they computed; the cell's
        // later statements do not run, as the rest of an entry at the prompt would not,
        // and the cell ends as interrupted so that the cells queued behind it stop too.
        if atl_interrupt_count() != interruptsBefore {
          let rest = item.lastLine < program.last?.lastLine ?? 0 ? "; the statements after this line did not run" : ""
          return CellRun.failure(name: "Interrupted", text: "\(file.name):\(item.lastLine): interrupted\(rest)")
        }
      }
      return nil
    } catch let error as AtelierError where error.message == "interrupted" {
      return CellRun.failure(name: "Interrupted", text: "\(error)")
    } catch {
      return CellRun.failure(name: CellRun.errorName(error), text: "\(error)")
    }
  }

  /// A cell that is one of the prompt's `:` commands.
  private func run(_ command: PromptCommand) -> JSONValue? {
    let interpreter = kernel.interpreter
    switch command {
    case .help(let name):
      stream(Help.text(for: name, interpreter: interpreter) + "\n")
    case .vars:
      stream(PromptCommand.variables(of: interpreter) + "\n")
    case .time(let statement):
      let start = Date()
      let failure = statements(SourceFile(name: "<cell \(count)>", text: statement))
      stream(String(format: "time: %.3f s\n", Date().timeIntervalSince(start)))
      return failure
    case .load(let path):
      guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        return CellRun.failure(name: "AtelierError", text: "error: \(path): no such readable notebook")
      }
      return statements(SourceFile(name: path, text: text))
    case .cache:
      return CellRun.failure(
        name: "AtelierError", text: "error: :cache belongs to the prompt and atelier run",
        hint: "a kernel keeps its variables between cells; nothing is replayed")
    case .save:
      return CellRun.failure(
        name: "AtelierError", text: "error: :save belongs to the prompt; in Jupyter the notebook saves itself",
        hint: "atelier convert nb.ipynb --to atl gives its code as a .atl notebook")
    case .quit:
      return CellRun.failure(
        name: "AtelierError", text: "error: :quit belongs to the prompt",
        hint: "shut the kernel down from the front end")
    case .unknown(let name):
      return CellRun.failure(
        name: "AtelierError", text: "error: unknown command \(name); the commands are \(PromptCommand.summary)")
    }
    return nil
  }

  /// The `error` content: the first line as the value, every line of the
  /// message (place, source line, caret, hint) as the traceback.
  static func failure(name: String, text: String, hint: String? = nil) -> JSONValue {
    let text = text + (hint.map { "\nhint: \($0)" } ?? "")
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { JSONValue.string(String($0)) }
    let first = text.split(separator: "\n").first.map(String.init) ?? text
    return ["ename": .string(name), "evalue": .string(first), "traceback": .array(lines)]
  }

  static func errorName(_ error: Error) -> String { String(describing: type(of: error)) }

  /// Text as `stream`; a line redrawn with a carriage return (fit's and tsne's progress)
  /// as one display updated in place.
  private func stream(_ text: String) {
    guard !silent, !text.isEmpty else { return }
    // Clearing the line is a terminal's business.
    var rest = Substring(text.replacingOccurrences(of: "\u{1B}[2K", with: ""))
    while let carriage = rest.firstIndex(of: "\r") {
      send(rest[..<carriage])
      rest = rest[rest.index(after: carriage)...]
      let end = rest.firstIndex(of: "\n")
      redraw(String(rest[..<(end ?? rest.endIndex)]), ends: end != nil)
      rest = end.map { rest[rest.index(after: $0)...] } ?? ""
    }
    send(rest)
  }

  private func send(_ text: Substring) {
    guard !text.isEmpty else { return }
    kernel.publish("stream", parent: parent, ["name": "stdout", "text": .string(String(text))])
  }

  private func redraw(_ line: String, ends: Bool) {
    // A terminal's cleared line (tsne's last redraw) would leave an empty output:
    // the last line stays, closed.
    guard !line.isEmpty else {
      liveLine = nil
      return
    }
    let id = liveLine ?? UUID().uuidString
    kernel.publish(
      liveLine == nil ? "display_data" : "update_display_data", parent: parent,
      ["data": ["text/plain": .string(line)], "metadata": [:], "transient": ["display_id": .string(id)]])
    liveLine = ends ? nil : id
  }

  private func result(_ value: Value) {
    guard !silent else { return }
    kernel.publish(
      "execute_result", parent: parent,
      [
        "execution_count": .number(Double(count)), "data": ["text/plain": .string(Printer.show(value))],
        "metadata": [:],
      ])
  }

  private func display(_ figure: Figure) throws {
    guard !silent else { return }
    var data: [String: JSONValue] = ["text/plain": .string("<figure: \(figure.title)>")]
    var metadata: [String: JSONValue] = [:]
    for format in kernel.options.figureFormats {
      switch format {
      case "svg":
        data["image/svg+xml"] = .string(String(decoding: try figure.rendered(as: "svg"), as: UTF8.self))
      default:
        let png = try figure.png()
        data["image/png"] = .string(png.base64EncodedString())
        if let size = Figure.pngSize(png) {
          metadata["image/png"] = ["width": .number(Double(size.width)), "height": .number(Double(size.height))]
        }
      }
    }
    kernel.publish(
      "display_data", parent: parent, ["data": .object(data), "metadata": .object(metadata), "transient": [:]])
  }
}
