import Data
import Foundation

/// What a figure shows, independent of where it goes.
public enum Chart {
  /// Curves over epochs, in one or more panels side by side.
  case curves(panels: [Panel])
  /// 2-D points coloured by class, with a legend of class names.
  case scatter(points: [Float], labels: [Int32], classes: [String], xLabel: String, yLabel: String)
  /// A matrix with row and column names, each cell annotated.
  case heatmap(values: [[Double]], rows: [String], columns: [String], integers: Bool, xLabel: String, yLabel: String)
  /// Grey images in a grid, a caption under each.
  case images(pixels: [Float], count: Int, height: Int, width: Int, captions: [String], columns: Int)

  public struct Panel {
    public var title: String
    public var yLabel: String
    public var series: [(name: String, values: [Double])]
    public init(title: String, yLabel: String, series: [(name: String, values: [Double])]) {
      self.title = title
      self.yLabel = yLabel
      self.series = series
    }
  }
}

/// A chart bound for a file (png, svg, pdf by extension) or for the terminal.
public struct Figure {
  public var chart: Chart
  public var title: String
  /// Pixels (png, the terminal's characters for dumb).
  public var size: (width: Int, height: Int)

  public init(chart: Chart, title: String, size: (Int, Int)? = nil) {
    self.chart = chart
    self.title = title
    self.size = size ?? Figure.defaultSize(chart)
  }

  static func defaultSize(_ chart: Chart) -> (Int, Int) {
    switch chart {
    case .curves(let panels): return (panels.count > 1 ? 1100 : 700, 450)
    case .scatter: return (900, 700)
    case .heatmap(let values, _, _, _, _, _): return values.count > 12 ? (1000, 900) : (820, 720)
    case .images(_, let count, _, _, _, let columns):
      let rows = (count + columns - 1) / max(columns, 1)
      return (columns * 150 + 40, rows * 185 + 60)
    }
  }

  /// Writes `path` (png, svg or pdf) with a `.gp` script and `.dat` data beside it,
  /// so that `gnuplot path.gp` draws it again.
  public func save(to path: String, gnuplot: String? = nil) throws {
    let url = URL(fileURLWithPath: path)
    let ext = url.pathExtension.lowercased()
    guard let terminal = Figure.fileTerminal(ext, size) else {
      throw PlotError("plot: cannot write .\(ext) files", hint: "use a .png, .svg or .pdf name")
    }
    try Script.checkPath(url.path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    let stem = url.deletingPathExtension().path
    let script = try Script.write(self, dataStem: stem)
    let full =
      "set terminal \(terminal)\nset output \(Script.quoted(url.lastPathComponent))\n" + script + "unset output\n"
    let gp = stem + ".gp"
    try AtomicFile.write(full, to: gp)
    // gnuplot runs in the figure's folder so that the script's relative names resolve.
    try Gnuplot.run(
      script:
        "cd \(Script.quoted(url.deletingLastPathComponent().path))\nload \(Script.quoted(URL(fileURLWithPath: gp).lastPathComponent))\n",
      executable: gnuplot)
  }

  /// The figure as text for a terminal without graphics (gnuplot's dumb terminal).
  public func text(columns: Int = 100, rows: Int = 32) throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("atelier-plot-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let script = try Script.write(self, dataStem: folder.appendingPathComponent("figure").path)
    let output = try Gnuplot.run(
      script: "cd \(Script.quoted(folder.path))\nset terminal dumb size \(columns),\(rows)\n" + script)
    return output.stdout
  }

  /// Where a figure goes at the prompt: gnuplot's `$GNUTERM`, else a window when a
  /// display and a window terminal exist, else sixel graphics when `$ATELIER_SIXEL` says
  /// the terminal shows them, else text. Returns the text to print (empty for a window).
  public func show() throws -> String {
    let env = ProcessInfo.processInfo.environment
    let terminals = Gnuplot.terminals
    let window = ["qt", "wxt", "x11"].first { terminals.contains($0) }
    let choice: String?
    if let chosen = env["GNUTERM"], !chosen.isEmpty {
      choice = chosen
    } else if env["DISPLAY"] != nil, let window {
      choice = window
    } else if env["ATELIER_SIXEL"] != nil, terminals.contains("sixelgd") {
      choice = "sixelgd size \(size.width),\(size.height) truecolor"
    } else {
      choice = nil
    }
    guard let terminal = choice else { return try text() }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("atelier-plot-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let isWindow = ["qt", "wxt", "x11"].contains { terminal.hasPrefix($0) }
    // A window that stays open may read its data again (zoom, replot); other terminals are done with it.
    defer { if !isWindow { try? FileManager.default.removeItem(at: folder) } }
    let script = try Script.write(self, dataStem: folder.appendingPathComponent("figure").path)
    let persist = isWindow ? " persist" : ""
    let output = try Gnuplot.run(
      script: "cd \(Script.quoted(folder.path))\nset terminal \(terminal)\(persist)\n" + script)
    return output.stdout
  }

  static func fileTerminal(_ ext: String, _ size: (width: Int, height: Int)) -> String? {
    switch ext {
    case "png": return "pngcairo size \(size.width),\(size.height) enhanced font 'DejaVu Sans,10'"
    case "svg": return "svg size \(size.width),\(size.height) dynamic enhanced font 'DejaVu Sans,10'"
    case "pdf":
      return String(
        format: "pdfcairo size %.2fin,%.2fin enhanced font 'DejaVu Sans,9'", Double(size.width) / 100,
        Double(size.height) / 100)
    default: return nil
    }
  }
}
