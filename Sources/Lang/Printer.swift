import Data
import Foundation
import NN
import Tensor

/// How values look when shown at the prompt, printed or written to a report.
public enum Printer {
  /// Compact one-line form, used inside lists and records.
  public static func inline(_ value: Value) -> String {
    switch value {
    case .string(let s): return "\"\(s)\""
    default: return show(value)
    }
  }

  public static func number(_ n: Double) -> String {
    if n.isNaN { return "nan" }
    if n.isInfinite { return n > 0 ? "inf" : "-inf" }
    if n.rounded() == n, abs(n) < 1e15 { return String(Int(n)) }
    return String(format: "%.6g", n)
  }

  /// 61706 -> "61,706"
  public static func grouped(_ n: Int) -> String {
    let digits = String(abs(n))
    var out = ""
    for (i, c) in digits.enumerated() {
      if i > 0, (digits.count - i) % 3 == 0 { out += "," }
      out.append(c)
    }
    return (n < 0 ? "-" : "") + out
  }

  /// The full form: what the REPL shows for an expression and what `print` writes.
  public static func show(_ value: Value) -> String {
    switch value {
    case .none: return "none"
    case .bool(let b): return b ? "true" : "false"
    case .number(let n): return number(n)
    case .string(let s): return s
    case .list(let items):
      let shown = items.prefix(20).map(inline)
      return "[" + shown.joined(separator: ", ") + (items.count > 20 ? ", … (\(items.count) items)" : "") + "]"
    case .record(let r):
      return "{" + r.fields.map { "\($0.name): \(inline($0.value))" }.joined(separator: ", ") + "}"
    case .tensor(let t): return tensor(t)
    case .dataset(let d):
      return
        "dataset \(d.name): \(grouped(d.count)) images \(describe(shape: d.sampleShape)), \(d.classes.count) classes"
    case .layer(let l):
      if let model = l as? Sequential { return summary(model) }
      return "\(l.name): \(l.kind)" + (l.details.isEmpty ? "" : " \(l.details)")
    case .optimizer(let o): return o.summary
    case .history(let h): return history(h)
    case .builtin(let b): return "\(b.signature)\n  \(b.summary)"
    }
  }

  static func tensor(_ t: Tensor) -> String {
    let values = t.toArray()
    let shown = values.prefix(8).map { String(format: "%.4f", $0) }.joined(separator: ", ")
    return "tensor([\(shown)\(values.count > 8 ? ", …" : "")], shape: \(describe(shape: t.shape)))"
  }

  /// A layer table: name, kind, output shape, parameters, details.
  public static func summary(_ model: Sequential) -> String {
    var rows: [[String]] = [["layer", "kind", "output", "params", ""]]
    for (i, layer) in model.layers.enumerated() {
      let output = model.isBuilt ? describe(shape: model.outputShapes[i]) : "?"
      let params = model.isBuilt ? grouped(layer.parameterCount) : "?"
      rows.append([layer.name, layer.kind, output, params, layer.details])
    }
    var text = table(rows, rightAligned: [3])
    if let input = model.inputShape {
      let total = model.layers.reduce(0) { $0 + $1.parameterCount }
      text += "\ninput \(describe(shape: input)) · \(grouped(total)) parameters"
    } else {
      text +=
        "\nnot built yet: shapes and parameters appear once it sees data (fit) or with model(input: [1, 28, 28]) { … }"
    }
    return text
  }

  static func history(_ h: History) -> String {
    let hasValidation = h.epochs.contains { $0.validationLoss != nil }
    var rows: [[String]] = [["epoch", "loss", "acc"] + (hasValidation ? ["val_loss", "val_acc"] : []) + ["time"]]
    for e in h.epochs {
      var row = [String(e.epoch), String(format: "%.4f", e.trainLoss), String(format: "%.4f", e.trainAccuracy)]
      if hasValidation {
        row += [
          e.validationLoss.map { String(format: "%.4f", $0) } ?? "-",
          e.validationAccuracy.map { String(format: "%.4f", $0) } ?? "-",
        ]
      }
      rows.append(row + [String(format: "%.1fs", e.seconds)])
    }
    return table(rows, rightAligned: Set(1..<rows[0].count)) + (h.interrupted ? "\n(interrupted)" : "")
  }

  /// Columns padded to their widest cell; the first row is the header.
  public static func table(_ rows: [[String]], rightAligned: Set<Int> = []) -> String {
    let columns = rows.map(\.count).max() ?? 0
    var widths = [Int](repeating: 0, count: columns)
    for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
    return rows.map { row in
      row.enumerated().map { i, cell in
        let pad = String(repeating: " ", count: widths[i] - cell.count)
        return rightAligned.contains(i) ? pad + cell : cell + pad
      }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }.joined(separator: "\n")
  }
}
