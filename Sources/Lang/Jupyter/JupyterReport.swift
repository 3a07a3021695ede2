import Foundation
import Plot

/// A replayed notebook as an executed Jupyter notebook: each code cell with what its
/// statements printed, the figures they wrote (embedded PNGs) and the error that stopped
/// the replay, so that it reads with its outputs on the web.
public enum JupyterReport {
  public static func notebook(source text: String, records: [StatementRecord], failure: String?) -> JupyterNotebook {
    var notebook = NotebookConversion.ipynb(fromAtl: text)
    let cells = NotebookCells.split(text)
    var count = 0
    var failureShown = false
    for (index, cell) in cells.enumerated() where cell.kind == .code && !cell.source.isEmpty {
      let lastLine = cell.firstLine + cell.source.split(separator: "\n", omittingEmptySubsequences: false).count - 1
      let mine = records.filter { $0.firstLine >= cell.firstLine && $0.firstLine <= lastLine }
      guard !mine.isEmpty else { continue }
      count += 1
      var outputs: [JupyterNotebook.Output] = []
      for record in mine {
        // A plot's value is the path of its figure; the figure itself shows below.
        let text = record.output.split(separator: "\n", omittingEmptySubsequences: false)
          .filter { !record.files.contains(String($0)) }.joined(separator: "\n")
        if !text.trimmingCharacters(in: .newlines).isEmpty { outputs.append(.stream(text)) }
        for file in record.files {
          guard let data = FileManager.default.contents(atPath: file), let size = Figure.pngSize(data) else { continue }
          outputs.append(.png(data, width: size.width, height: size.height))
        }
        if let error = record.error {
          outputs.append(.error(error))
          failureShown = true
        }
      }
      notebook.cells[index].execution_count = count
      notebook.cells[index].outputs = outputs
    }
    // An error before any statement ran (a parse error) goes on the first code cell.
    if let failure, !failureShown, let first = notebook.cells.firstIndex(where: { $0.cell_type == "code" }) {
      notebook.cells[first].outputs = [.error(failure)]
    }
    return notebook
  }

}
