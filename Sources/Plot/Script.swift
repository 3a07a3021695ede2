import Data
import Foundation
import Tensor

/// gnuplot scripts for each kind of chart. Data go to binary float32 files
/// (`stem.dat`, `stem-1.dat`, …) that the script reads with `binary format=…`.
public enum Script {
  /// Text inside a single-quoted gnuplot string. gnuplot ends a command at a line
  /// break even inside quotes, so a title with a newline could run the rest as a
  /// command (`system(...)`): control characters become spaces, quotes are doubled.
  static func escape(_ text: String) -> String {
    String(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) })
      .replacingOccurrences(of: "'", with: "''")
  }

  /// A file name as a gnuplot string.
  public static func quoted(_ name: String) -> String { "'" + escape(name) + "'" }

  /// A string for enhanced-text terminals: `_`, `^`, `@`, `&`, braces print as themselves.
  static func label(_ text: String) -> String {
    var out = ""
    for c in text {
      // In a single-quoted string one backslash escapes the character for enhanced text.
      if "_^@&{}".contains(c) { out += "\\" }
      out.append(c)
    }
    return quoted(out)
  }

  /// Refuses a path gnuplot could not be given safely.
  static func checkPath(_ path: String) throws {
    if path.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
      throw PlotError(
        "plot: the file name \(String(reflecting: path)) holds a line break or control character",
        hint: "choose a name of printable characters")
    }
  }

  static func writeFloats(_ values: [Float], to path: String) throws {
    let data = values.withUnsafeBufferPointer { Data(buffer: $0) }
    try AtomicFile.write(data, to: path)
  }

  static let palette = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
  ]

  static func colour(_ i: Int) -> String { palette[i % palette.count] }

  static let common = """
    set encoding utf8
    set border lw 1 lc rgb '#444444'
    set grid lw 0.5 lc rgb '#dddddd'
    set key noautotitle

    """

  /// The character a class is drawn with in text: its digit for the first ten, then letters.
  static func glyph(_ k: Int) -> String {
    let glyphs = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    return k < glyphs.count ? String(glyphs[k]) : "*"
  }

  /// The script for a figure; data files are written beside `dataStem`. `forText` is for
  /// gnuplot's dumb terminal: classes as glyphs, axis names where tick labels leave room.
  static func write(_ figure: Figure, dataStem: String, forText: Bool = false) throws -> String {
    let name = URL(fileURLWithPath: dataStem).lastPathComponent
    var s = common
    switch figure.chart {
    case .curves(let panels):
      if panels.count > 1 { s += "set multiplot layout 1,\(panels.count) title \(label(figure.title)) font ',13'\n" }
      for (p, panel) in panels.enumerated() {
        let file = "\(name)-\(p + 1).dat"
        let epochs = panel.series.map(\.values.count).max() ?? 0
        // Records: epoch, then one value per series (NaN where a series is shorter).
        var records: [Float] = []
        for e in 0..<epochs {
          records.append(Float(e + 1))
          for series in panel.series { records.append(e < series.values.count ? Float(series.values[e]) : .nan) }
        }
        try writeFloats(
          records, to: URL(fileURLWithPath: dataStem).deletingLastPathComponent().appendingPathComponent(file).path)
        let format = String(repeating: "%float32", count: panel.series.count + 1)
        let panelTitle = panels.count > 1 ? panel.title : figure.title
        // Loss falls and accuracy rises: keep the key in the corner the curves leave free.
        let corner = panel.yLabel.contains("acc") ? "bottom right" : "top right"
        if forText {
          // In characters a y label lands on the tick labels: it joins the title instead.
          let named = panelTitle.lowercased().contains(panel.yLabel.lowercased())
          s +=
            "set title \(label(named ? panelTitle : "\(panelTitle) (\(panel.yLabel))"))\nset xlabel 'epoch'\nunset ylabel\n"
          s += "set key \(corner)\nunset grid\n"
        } else {
          s += "set title \(label(panelTitle)) font ',12'\n"
          s += "set xlabel 'epoch'\nset ylabel \(label(panel.yLabel))\nset key \(corner) box opaque\n"
        }
        s += epochs <= 12 ? "set xtics 1\n" : "set xtics autofreq\n"
        let plots = panel.series.enumerated().map { i, series in
          // Characters have no round markers: lines alone read best.
          let style = forText ? "lines" : "linespoints lw 2 pt 7 ps 0.6"
          return
            "\(quoted(file)) binary format='\(format)' using 1:\(i + 2) with \(style) lc rgb '\(colour(i))' title \(label(series.name))"
        }
        s += "plot " + plots.joined(separator: ", \\\n     ") + "\n"
      }
      if panels.count > 1 { s += "unset multiplot\n" }
    case .scatter(let points, let labels, let classes, let xLabel, let yLabel):
      let file = "\(name).dat"
      var records: [Float] = []
      records.reserveCapacity(labels.count * 3)
      for (i, l) in labels.enumerated() { records += [points[2 * i], points[2 * i + 1], Float(l)] }
      try writeFloats(records, to: dataStem + ".dat")
      if forText {
        s += "set title \(label("\(figure.title) (\(xLabel) across, \(yLabel) up)"))\nunset grid\n"
        // Margins inside the frame, so that no point is hidden under the border.
        s += "set key outside right top title 'class'\nset offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05\n"
        // One glyph and colour per class; the key shows the same glyph.
        let plots = classes.enumerated().map { k, cls in
          "\(quoted(file)) binary format='%float32%float32%float32' using ($3==\(k) ? $1 : NaN):2 with points pt '\(glyph(k))' lc rgb '\(colour(k))' title \(label(glyph(k) + " " + cls))"
        }
        return s + "plot " + plots.joined(separator: ", \\\n     ") + "\n"
      }
      s += "set title \(label(figure.title)) font ',13'\nset xlabel \(label(xLabel))\nset ylabel \(label(yLabel))\n"
      s += "set key outside right top box opaque spacing 1.2 title 'class'\nset size ratio -1\n"
      // Small points for the data; the key gets larger samples of the same colours.
      let plots = classes.enumerated().map { k, cls in
        "\(quoted(file)) binary format='%float32%float32%float32' using ($3==\(k) ? $1 : NaN):2 with points pt 7 ps 0.45 lc rgb '\(colour(k))' notitle, "
          + "NaN with points pt 7 ps 1.6 lc rgb '\(colour(k))' title \(label(cls))"
      }
      s += "plot " + plots.joined(separator: ", \\\n     ") + "\n"
    case .heatmap(let values, let rows, let columns, let integers, let xLabel, let yLabel):
      let file = "\(name).dat"
      var records: [Float] = []
      let finite = values.flatMap { $0 }.filter { $0.isFinite }
      let (lo, hi) = (finite.min() ?? 0, finite.max() ?? 1)
      for (r, row) in values.enumerated() {
        for (c, v) in row.enumerated() { records += [Float(c), Float(r), Float(v)] }
      }
      try writeFloats(records, to: dataStem + ".dat")
      let tics = { (names: [String]) in names.enumerated().map { "\(label($1)) \($0)" }.joined(separator: ", ") }
      s +=
        "set title \(label(figure.title)) font ',13'\nset xlabel \(label(xLabel))\nset ylabel \(label(yLabel))\nunset grid\n"
      s += "set xtics (\(tics(columns))) rotate by 35 right\nset ytics (\(tics(rows)))\n"
      s += "set xrange [-0.5:\(Double(columns.count) - 0.5)]\nset yrange [\(Double(rows.count) - 0.5):-0.5]\n"
      s +=
        "set size ratio -1\nset palette defined (0 '#f7fbff', 0.5 '#6baed6', 1 '#08306b')\nset cbrange [\(lo):\(hi)]\n"
      let format = integers ? "%d" : "%.2f"
      let textColour = "($3 > \((lo + hi) / 2) ? 0xffffff : 0x222222)"
      s += "plot \(quoted(file)) binary format='%float32%float32%float32' using 1:2:3 with image, \\\n"
      s +=
        "     '' binary format='%float32%float32%float32' using 1:2:(sprintf('\(format)', $3)):\(textColour) with labels font ',9' tc rgb variable\n"
    case .images(let pixels, let count, let height, let width, let captions, let columns):
      // One matrix holding every image with a small gap, drawn as one image.
      let layout = ImageGridLayout(count: count, height: height, width: width, captions: captions, columns: columns)
      let (rows, gap, band) = (layout.rows, layout.gap, layout.band)
      let (gridW, gridH) = (layout.gridWidth, layout.gridHeight)
      // The grid, then three floats per cell for gnuplot.
      try MemoryBudget.check(shape: [4, gridW, gridH], for: "plot: an image grid of \(gridW) × \(gridH) pixels")
      var grid = [Float](repeating: 0, count: gridW * gridH)
      for i in 0..<count {
        let (r, c) = (i / columns, i % columns)
        for y in 0..<height {
          for x in 0..<width {
            grid[(r * (height + band) + y) * gridW + c * (width + gap) + x] = pixels[(i * height + y) * width + x]
          }
        }
      }
      var records: [Float] = []
      records.reserveCapacity(grid.count * 3)
      for y in 0..<gridH { for x in 0..<gridW { records += [Float(x), Float(y), grid[y * gridW + x]] } }
      try writeFloats(records, to: dataStem + ".dat")
      s += "set title \(label(figure.title)) font ',13'\nunset grid\nunset border\nunset tics\nunset colorbox\n"
      s += "set xrange [-0.5:\(Double(gridW) - 0.5)]\nset yrange [\(Double(gridH) - 0.5):-0.5]\nset size ratio -1\n"
      // Signed values (weights, gradients) on a palette centred on zero; others grey.
      if pixels.contains(where: { $0 < 0 }) {
        s += "set palette defined (-1 '#2166ac', 0 '#f7f7f7', 1 '#b2182b')\nset cbrange [-1:1]\n"
      } else {
        s += "set palette gray negative\nset cbrange [0:1]\n"
      }
      var labelNumber = 0
      for (i, caption) in captions.prefix(count).enumerated() {
        let (r, c) = (i / columns, i % columns)
        let x = Double(c * (width + gap)) + Double(width) / 2,
          y = Double(r * (height + band) + height) + Double(band) / 2
        // Long captions break into lines, centred on the band (offsets are in characters).
        let lines = ImageGridLayout.wrapped(caption)
        for (j, line) in lines.enumerated() {
          labelNumber += 1
          let offset = Double(lines.count - 1) / 2 - Double(j)
          s += "set label \(labelNumber) \(label(line)) at \(x),\(y) center offset 0,\(offset) front font ',9'\n"
        }
      }
      _ = rows
      s += "plot \(quoted(name + ".dat")) binary format='%float32%float32%float32' using 1:2:3 with image\n"
    }
    return s
  }
}

/// Where images and their captions sit in a grid: the caption band is as tall as the
/// captions' lines need at the size the cells are drawn, so small kernels fill their cells.
struct ImageGridLayout {
  let rows, gap, band, gridWidth, gridHeight: Int
  /// Drawn size of one cell's width, in screen pixels (as `Figure.defaultSize` sizes it).
  static let cellPixels = 150.0
  /// Characters per caption line at that width.
  static let lineLength = 20

  init(count: Int, height: Int, width: Int, captions: [String], columns: Int) {
    rows = (count + columns - 1) / max(columns, 1)
    gap = max(1, width / 14)
    let lines = captions.prefix(count).map { ImageGridLayout.wrapped($0).count }.max() ?? 1
    // One line of 9-point text is about 15 screen pixels; a pixel of the image is drawn this large.
    let scale = ImageGridLayout.cellPixels / Double(width + gap)
    band = Int((Double(max(lines, 1)) * 15 / scale).rounded(.up)) + 1
    gridWidth = columns * (width + gap)
    gridHeight = rows * (height + band)
  }

  /// A caption broken at spaces into lines of at most `lineLength` characters.
  static func wrapped(_ caption: String) -> [String] {
    var lines: [String] = []
    var line = ""
    for word in caption.split(separator: " ") {
      if !line.isEmpty, line.count + 1 + word.count > lineLength {
        lines.append(line)
        line = ""
      }
      line += (line.isEmpty ? "" : " ") + word
    }
    return lines + (line.isEmpty && !lines.isEmpty ? [] : [line])
  }
}
