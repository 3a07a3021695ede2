import Analysis
import Foundation
import NN
import Tensor

/// Values as CSV, so that data survive without gnuplot and open anywhere.
public enum CSV {
  static func field(_ text: String) -> String {
    text.contains(where: { ",\"\n".contains($0) })
      ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
  }

  static func number(_ x: Double) -> String { x.isNaN ? "" : String(x) }

  public static func text(for value: Value) throws -> String {
    var rows: [[String]] = []
    switch value {
    case .embedding(let e):
      rows.append((0..<e.dimensions).map { "x\($0 + 1)" } + ["label", "class"])
      let d = e.dimensions
      let points = e.points.toArray()
      for i in 0..<e.count {
        rows.append((0..<d).map { String(points[i * d + $0]) } + [String(e.labels[i]), e.classes[Int(e.labels[i])]])
      }
    case .matrix(let m):
      rows.append([""] + m.classes)
      for (i, row) in m.values.enumerated() { rows.append([m.classes[i]] + row.map(number)) }
    case .history(let h):
      rows.append(["epoch", "loss", "acc", "val_loss", "val_acc", "lr", "seconds"])
      for e in h.epochs {
        rows.append([
          String(e.epoch), number(e.trainLoss), number(e.trainAccuracy), e.validationLoss.map(number) ?? "",
          e.validationAccuracy.map(number) ?? "",
          number(e.learningRate), number(e.seconds),
        ])
      }
    case .tensor(let t):
      // A tensor with no columns (shape [n, 0]) has no values and so no rows.
      let cols = max(t.rank >= 2 ? t.shape.dropFirst().reduce(1, *) : t.count, 1)
      let values = t.toArray()
      for r in 0..<(values.count / cols) { rows.append((0..<cols).map { String(values[r * cols + $0]) }) }
    case .list(let items):
      if case .record(let first)? = items.first {
        rows.append(first.names)
        for case .record(let r) in items {
          rows.append(first.names.map { name in r[name].map { Printer.show($0) } ?? "" })
        }
      } else {
        rows = items.map { [Printer.show($0)] }
      }
    case .record(let r):
      rows = r.fields.map { [$0.name, Printer.inline($0.value)] }
    default:
      throw AtelierError("save: a \(value.typeName) cannot be written as CSV")
    }
    return rows.map { $0.map(field).joined(separator: ",") }.joined(separator: "\n") + "\n"
  }
}
