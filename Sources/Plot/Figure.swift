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
    case .images(_, let count, let height, let width, let captions, let columns):
      let layout = ImageGridLayout(count: count, height: height, width: width, captions: captions, columns: columns)
      let cell = Int(ImageGridLayout.cellPixels)
      return (columns * cell + 40, layout.gridHeight * columns * cell / max(layout.gridWidth, 1) + 70)
    }
  }

  /// Writes `path` (png, svg or pdf). With `keepScript`, a `.gp` script and `.dat` data
  /// stay beside it, so that `gnuplot path.gp` draws it again.
  public func save(to path: String, keepScript: Bool = false, gnuplot: String? = nil) throws {
    let url = URL(fileURLWithPath: path)
    let ext = url.pathExtension.lowercased()
    guard let terminal = Figure.fileTerminal(ext, size) else {
      throw PlotError("plot: cannot write .\(ext) files", hint: "use a .png, .svg or .pdf name")
    }
    try Script.checkPath(url.path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    guard keepScript else {
      // Data and script live in a scratch folder; only the figure lands beside the notebook's files.
      _ = try drawn(on: terminal, output: url.standardizedFileURL.path, executable: gnuplot)
      return
    }
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

  /// The figure as characters: half-block cells for images and heatmaps, gnuplot's
  /// dumb terminal (in 256 colours where the terminal has them) for curves and scatters.
  public func text(size: TerminalSize = .detect(), colours: ColourDepth = .detect()) throws -> String {
    let columns = min(max(size.columns - 1, 40), 240)
    switch chart {
    case .images(let pixels, let count, let height, let width, let captions, _):
      return TextPicture.images(
        pixels: pixels, count: count, height: height, width: width, captions: captions, title: title,
        columns: columns, colours: colours)
    case .heatmap(let values, let rows, let columnNames, let integers, let xLabel, let yLabel):
      return TextPicture.heatmap(
        values: values, rows: rows, columns: columnNames, integers: integers, title: title, axes: (xLabel, yLabel),
        colours: colours)
    case .curves, .scatter:
      let rows = min(max(size.rows - 4, 12), columns / 2)
      return try drawn(
        on: "dumb size \(columns),\(rows) enhanced" + (colours == .none ? " mono" : " ansi256"), forText: true)
    }
  }

  /// The figure as a PNG, as `save` draws it.
  public func png() throws -> Data { try rendered(as: "png") }

  /// The figure's bytes in a file format `save` writes (png, svg, pdf).
  public func rendered(as format: String) throws -> Data {
    guard let terminal = Figure.fileTerminal(format, size) else {
      throw PlotError("plot: cannot draw .\(format) figures", hint: "use png, svg or pdf")
    }
    let file = FileManager.default.temporaryDirectory.appendingPathComponent(
      "atelier-figure-\(UUID().uuidString).\(format)")
    defer { try? FileManager.default.removeItem(at: file) }
    _ = try drawn(on: terminal, output: file.path)
    return try Data(contentsOf: file)
  }

  /// Where a figure goes at the prompt (`GraphicsMode.detect`). Returns what to print:
  /// characters, or the escape sequences of an inline picture; empty for a window.
  public func show(
    mode: GraphicsMode = .detect(), size: TerminalSize = .detect(), colours: ColourDepth = .detect()
  ) throws -> String {
    switch mode {
    case .none: return ""
    case .text: return try text(size: size, colours: colours)
    case .kitty: return InlineImage.kitty(try png())
    case .iterm: return InlineImage.iterm(try png())
    case .sixel: return try drawn(on: "sixelgd size \(self.size.width),\(self.size.height) truecolor")
    case .gnuplot(let terminal): return try drawn(on: terminal)
    case .window(let terminal): return try drawn(on: terminal, persist: true)
    }
  }

  /// What gnuplot prints drawing the figure on `terminal`, into `output` when given. The
  /// script's data live in a scratch folder; a window that stays open may read them again
  /// (zoom, replot), so its folder stays, and other terminals are done with it.
  private func drawn(
    on terminal: String, output: String? = nil, forText: Bool = false, persist: Bool = false,
    executable: String? = nil
  ) throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("atelier-plot-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { if !persist { try? FileManager.default.removeItem(at: folder) } }
    let script = try Script.write(self, dataStem: folder.appendingPathComponent("figure").path, forText: forText)
    let into = output.map { ("set output \(Script.quoted($0))\n", "unset output\n") } ?? ("", "")
    let output = try Gnuplot.run(
      script: "cd \(Script.quoted(folder.path))\nset terminal \(terminal)\(persist ? " persist" : "")\n" + into.0
        + script
        + into.1, executable: executable)
    return output.stdout
  }

  /// Width and height from a PNG's header, or nil when the bytes are not a PNG.
  public static func pngSize(_ data: Data) -> (width: Int, height: Int)? {
    let bytes = [UInt8](data.prefix(24))
    guard bytes.count == 24, bytes.prefix(8) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
      String(decoding: bytes[12..<16], as: UTF8.self) == "IHDR"
    else { return nil }
    let number = { (o: Int) in bytes[o..<(o + 4)].reduce(0) { $0 << 8 | Int($1) } }
    return (number(16), number(20))
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
