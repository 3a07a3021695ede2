import Analysis
import Data
import Foundation
import NN
import Tensor

/// How values look when shown at the prompt, printed or written to a report.
public enum Printer {
  /// Compact one-line form, used inside lists and records.
  public static func inline(_ value: Value) -> String {
    // A list nested deeper than the stack allows is shown cut off rather than not at all.
    if StackGuard.isLow { return "…" }
    switch value {
    case .string(let s): return "\"\(s)\""
    case .list(let items): return list(items)
    case .record(let r): return "{" + r.fields.map { "\($0.name): \(inline($0.value))" }.joined(separator: ", ") + "}"
    case .layer(let l): return "<\(l is Sequential ? "model" : "layer") \(l.name)>"
    case .history(let h): return "<history, \(counted(h.epochs.count, "epoch"))>"
    case .builtin(let b): return "<function \(b.name)>"
    case .function(let f): return "<function \(f.declaration.name)>"
    case .tensor(let t): return "<tensor \(describe(shape: t.shape))>"
    default: return show(value)
    }
  }

  public static func number(_ n: Double) -> String {
    if n.isNaN { return "nan" }
    if n.isInfinite { return n > 0 ? "inf" : "-inf" }
    if n.rounded() == n, abs(n) < 1e15 { return String(Int(n)) }
    return String(format: "%.6g", n)
  }

  /// One short line about a value, for `:vars`: what it is and its size.
  public static func brief(_ value: Value) -> String {
    switch value {
    case .layer(let l as Sequential):
      let size = l.isBuilt ? ", " + counted(l.parameterCount, "param") : ", not built"
      return "\(l.name), \(counted(l.layers.count, "layer"))" + size
    case .layer(let l): return "\(l.kind) layer \(l.name)" + (l.details.isEmpty ? "" : ", \(l.details)")
    case .dataset(let d): return "\(d.name), \(counted(d.count, "image")) \(describe(shape: d.sampleShape))"
    case .embedding(let e): return "\(e.source), \(counted(e.count, "point")) × \(e.dimensions)"
    case .history(let h):
      let last =
        h.epochs.last.map { String(format: ", last loss %.4g, acc %.4f", $0.trainLoss, $0.trainAccuracy) } ?? ""
      return counted(h.epochs.count, "epoch") + last
    case .matrix(let m): return "\(m.title.lowercased()), \(counted(m.classes.count, "class", plural: "classes"))"
    case .optimizer(let o): return o.summary
    default:
      // One line, whatever the value holds: line breaks show as \n.
      let line = inline(value).replacingOccurrences(of: "\n", with: "\\n")
      return line.count > 60 ? String(line.prefix(59)) + "…" : line
    }
  }

  /// "1 epoch", "3 epochs", "61,706 parameters": a count with its noun.
  public static func counted(_ n: Int, _ noun: String, plural: String? = nil) -> String {
    "\(grouped(n)) \(n == 1 ? noun : plural ?? noun + "s")"
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
    if StackGuard.isLow { return "…" }
    switch value {
    case .none: return "none"
    case .bool(let b): return b ? "true" : "false"
    case .number(let n): return number(n)
    case .string(let s): return s
    case .list(let items):
      if let table = recordTable(items) { return table }
      return list(items)
    case .record(let r): return record(r)
    case .tensor(let t): return tensor(t)
    case .dataset(let d):
      return
        "dataset \(d.name): \(counted(d.count, "image")) \(describe(shape: d.sampleShape)), \(counted(d.classes.count, "class", plural: "classes"))"
    case .layer(let l):
      if let model = l as? Sequential { return summary(model) }
      return "\(l.name): \(l.kind)" + (l.details.isEmpty ? "" : " \(l.details)")
    case .optimizer(let o): return o.summary
    case .history(let h): return history(h)
    case .builtin(let b): return "\(b.signature)\n  \(b.summary)"
    case .function(let f): return "function \(f.signature)" + (f.declaration.doc.map { "\n  \($0)" } ?? "")
    case .batches(let b): return "\(counted(b.count, "batch", plural: "batches")) of \(b.size) from \(b.dataset.name)"
    case .embedding(let e): return embedding(e)
    case .matrix(let m): return matrix(m)
    }
  }

  static func list(_ items: [Value]) -> String {
    let shown = items.prefix(20).map(inline)
    return "[" + shown.joined(separator: ", ") + (items.count > 20 ? ", … (\(items.count) items)" : "") + "]"
  }

  /// Metrics print one way by kind, named as evaluate, fit and report name them:
  /// accuracies and rates to 4 decimals, losses to 4 significant digits; nil for others.
  static func metric(_ name: String, _ value: Value) -> String? {
    guard case .number(let n) = value, n.isFinite else { return nil }
    var key = name.lowercased()
    // A spread over folds (val_acc_std) is shown as the metric it spreads.
    if key.hasSuffix("_std") { key.removeLast(4) }
    if key.contains("loss") { return String(format: "%.4g", n) }
    let rates = ["acc", "accuracy", "precision", "recall", "f1", "per_class"]
    if rates.contains(key) || key.hasSuffix("_acc") { return String(format: "%.4f", n) }
    return nil
  }

  /// A field's value: a metric in its format, anything else inline.
  static func field(_ name: String, _ value: Value) -> String { metric(name, value) ?? inline(value) }

  /// `{a: 1, b: 2}` on one line when short, one field per line otherwise.
  static func record(_ r: Record) -> String {
    let parts = r.fields.map { "\($0.name): \(field($0.name, $0.value))" }
    let oneLine = "{" + parts.joined(separator: ", ") + "}"
    let nested = r.fields.contains { if case .record = $0.value { true } else { false } }
    if oneLine.count <= 80, !oneLine.contains("\n"), !nested { return oneLine }
    let width = r.fields.map(\.name.count).max() ?? 0
    return r.fields.map { field -> String in
      let pad = String(repeating: " ", count: width - field.name.count)
      let body: String
      if case .record(let inner) = field.value,
        inner.fields.allSatisfy({ if case .number = $0.value { return true } else { return false } })
      {
        body =
          "\n"
          + inner.fields.map {
            // A record of numbers under a metric's name (per_class) holds that metric.
            let shown = metric(field.name, $0.value) ?? inline($0.value)
            return
              "  \($0.name)\(String(repeating: " ", count: max(0, (inner.fields.map(\.name.count).max() ?? 0) - $0.name.count)))  \(shown)"
          }.joined(separator: "\n")
      } else {
        body = Printer.field(field.name, field.value)
      }
      return "\(field.name)\(pad)  \(body)"
    }.joined(separator: "\n")
  }

  /// A list of records with the same fields, as a table (grid-search results).
  static func recordTable(_ items: [Value]) -> String? {
    guard items.count >= 1 else { return nil }
    var records: [Record] = []
    for item in items {
      guard case .record(let r) = item else { return nil }
      records.append(r)
    }
    let columns = records[0].names
    guard !columns.isEmpty, records.allSatisfy({ $0.names == columns }) else { return nil }
    let rows = [columns] + records.map { r in r.fields.map { metric($0.name, $0.value) ?? tableCell($0.value) } }
    // Numbers align right, also in a column with blanks (report's accuracy row).
    let numeric = Set(
      columns.indices.filter { i in
        records.allSatisfy {
          switch $0.fields[i].value {
          case .number, .none: return true
          default: return false
          }
        }
      })
    return table(rows, rightAligned: numeric)
  }

  /// A table cell: text without quotes, blanks for none, numbers to four significant digits.
  static func tableCell(_ value: Value) -> String {
    switch value {
    case .none: return ""
    case .string(let s): return s
    case .number(let n) where n.rounded() != n: return String(format: "%.4g", n)
    default: return inline(value)
    }
  }

  /// Formats a value by a spec such as `.3f`, `8.2f`, `d`, `.1%`, `e`, `>10`.
  public static func format(_ value: Value, spec: String, at location: SourceLocation) throws -> String {
    var rest = Substring(spec)
    var align: Character?
    if let first = rest.first, "<>^".contains(first) {
      align = first
      rest = rest.dropFirst()
    }
    var kind: Character?
    if let last = rest.last, "fdeg%s".contains(last) {
      kind = last
      rest = rest.dropLast()
    }
    let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
    let width = parts.first.flatMap { Int($0) } ?? 0
    let precision = parts.count > 1 ? Int(parts[1]) : nil
    // A spec is a few characters; the text it asks for must stay a line, not gigabytes.
    guard width <= 10_000, (precision ?? 0) <= 400, (precision ?? 0) >= 0 else {
      throw AtelierError(
        "the format '\(spec)' asks for too wide a field (width up to 10000, precision up to 400)", at: location)
    }
    var text: String
    switch (value, kind) {
    case (.number(let n), "f"): text = String(format: "%.\(precision ?? 6)f", n)
    case (.number(let n), "e"): text = String(format: "%.\(precision ?? 6)e", n)
    case (.number(let n), "g"): text = String(format: "%.\(precision ?? 6)g", n)
    case (.number(let n), "%"): text = String(format: "%.\(precision ?? 0)f%%", n * 100)
    case (.number(let n), "d"):
      guard n.isFinite, abs(n) < 1e18 else {
        throw AtelierError("cannot format \(number(n)) as a whole number", at: location)
      }
      text = String(Int(n.rounded()))
    case (.number(let n), nil) where precision != nil: text = String(format: "%.\(precision!)f", n)
    case (_, nil), (_, "s"): text = show(value)
    default:
      throw AtelierError("the format '\(spec)' applies to numbers, not to a \(value.typeName)", at: location)
    }
    if text.count < width {
      let pad = String(repeating: " ", count: width - text.count)
      let isText = kind == "s" || { if case .number = value { return false } else { return true } }()
      switch align ?? (isText ? "<" : ">") {
      case "<": text += pad
      case "^":
        let left = pad.count / 2
        text = String(repeating: " ", count: left) + text + String(repeating: " ", count: pad.count - left)
      default: text = pad + text
      }
    }
    return text
  }

  static func embedding(_ e: Embedding) -> String {
    var text =
      "embedding of \(e.source): \(counted(e.count, "point")) × \(e.dimensions), \(counted(e.classes.count, "class", plural: "classes"))"
    if let ratios = e.explainedVarianceRatio {
      text += "\nexplained variance: " + ratios.map { String(format: "%.4f", $0) }.joined(separator: ", ")
      text += String(format: " (%.1f%% in all)", ratios.reduce(0, +) * 100)
    }
    if let kl = e.klDivergence { text += String(format: "\nKL divergence: %.4f", kl) }
    let umapMap = e.map.flatMap { $0.method == .umap ? $0 : nil }
    if let (iteration, total) = e.stoppedEarly {
      text += "\ninterrupted at \(umapMap == nil ? "iteration" : "epoch") \(iteration) of \(total)"
    }
    if let map = e.map, map.method == .tsne {
      text += "\nt-SNE map: transform(e, data) places new points"
    } else if let map = umapMap {
      text += "\nUMAP map (k \(map.k), \(map.metric.rawValue)): transform(e, data) places new points"
      if map.initialisation != .spectral { text += "\nstarted from \(map.initialisation.rawValue)" }
    }
    return text
  }

  /// Classes shown in full; a larger matrix shows its first and last classes around an ellipsis.
  static let matrixClassesShown = 20

  /// A confusion matrix with totals and per-class recall, or a correlation matrix.
  static func matrix(_ m: ClassMatrix) -> String {
    let count = m.classes.count
    let picks: [Int?] =
      count > matrixClassesShown ? Array(0..<10) + [nil] + Array((count - 3)..<count) : Array(0..<count)
    let short = picks.map { $0.map { String(m.classes[$0].prefix(11)) } ?? "…" }
    var rows: [[String]] = [[m.kind == .confusion ? "true \\ predicted" : ""] + short]
    let cell: (Double) -> String = {
      m.kind == .confusion && !m.normalized ? String(Int($0)) : String(format: "%.2f", $0)
    }
    let counts = m.kind == .confusion && !m.normalized
    for pick in picks {
      guard let i = pick else {
        rows.append(["…"] + picks.map { _ in "…" } + (counts ? ["…", "…"] : []))
        continue
      }
      var row = [m.classes[i]] + picks.map { $0.map { cell(m.values[i][$0]) } ?? "…" }
      if counts {
        let total = m.values[i].reduce(0, +)
        row += [String(Int(total)), total > 0 ? String(format: "%.4f", m.values[i][i] / total) : "-"]
      }
      rows.append(row)
    }
    if counts {
      rows[0] += ["total", "recall"]
      let columnTotals = picks.map { pick in pick.map { c in m.values.reduce(0.0) { $0 + $1[c] } } }
      let all = m.values.reduce(0.0) { $0 + $1.reduce(0, +) }
      let correct = (0..<count).reduce(0.0) { $0 + m.values[$1][$1] }
      rows.append(
        ["total"] + columnTotals.map { $0.map { String(Int($0)) } ?? "…" } + [
          String(Int(all)), all > 0 ? String(format: "%.4f", correct / all) : "-",
        ])
    }
    let shown = count > matrixClassesShown ? "\n(\(count) classes; the first 10 and the last 3 shown)" : ""
    return m.title + "\n" + table(rows, rightAligned: Set(1..<rows[0].count)) + shown
  }

  /// PyTorch-like: nested brackets, long dimensions summarised with an ellipsis.
  static func tensor(_ t: Tensor) -> String {
    if t.rank == 0 { return "tensor(\(element(t.scalarValue)))" }
    let values = t.toArray()
    func render(_ dim: Int, _ offset: Int, _ indent: Int) -> String {
      let size = t.shape[dim]
      let stride = t.shape[(dim + 1)...].reduce(1, *)
      let picks: [Int?] = size > 6 ? [0, 1, 2, nil, size - 3, size - 2, size - 1] : Array(0..<size)
      if dim == t.rank - 1 {
        return "[" + picks.map { $0.map { element(values[offset + $0]) } ?? "…" }.joined(separator: ", ") + "]"
      }
      let inner = picks.map { $0.map { render(dim + 1, offset + $0 * stride, indent + 1) } ?? "…" }
      let separator =
        ",\n" + String(repeating: "\n", count: max(0, t.rank - dim - 2)) + String(repeating: " ", count: indent + 1)
      return "[" + inner.joined(separator: separator) + "]"
    }
    return "tensor(" + render(0, 0, 7) + ", shape: \(describe(shape: t.shape)))"
  }

  static func element(_ x: Float) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    return String(format: "%.4f", x)
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
      text += "\ninput \(describe(shape: input)) · \(counted(total, "parameter"))"
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
      var row = [String(e.epoch), String(format: "%.4g", e.trainLoss), String(format: "%.4f", e.trainAccuracy)]
      if hasValidation {
        row += [
          e.validationLoss.map { String(format: "%.4g", $0) } ?? "-",
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
      }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
    }.joined(separator: "\n")
  }
}
