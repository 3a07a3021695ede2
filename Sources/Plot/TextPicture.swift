import Foundation

/// Images and heatmaps drawn with characters: each cell is an upper half block `▀`
/// whose foreground is one pixel and background the pixel below it, so a 28×28 image
/// takes 28 columns and 14 rows. Without colour, a ramp of characters stands in.
enum TextPicture {
  /// A grid of grey images with captions, as many per row as fit in `columns`.
  static func images(
    pixels: [Float], count: Int, height: Int, width: Int, captions: [String], title: String, columns: Int,
    colours: ColourDepth
  ) -> String {
    guard count > 0, height > 0, width > 0 else { return title + "\n" }
    // Pixels come in [0, 1], or in [-1, 1] for signed values drawn blue through white to red.
    let signed = pixels.contains { $0 < 0 }
    // Large images shrink to fit; small ones (3×3 or 5×5 kernels) grow to about 16 cells.
    let scale = max(1, (width + columns - 3) / max(columns - 2, 1))
    let grow = max(1, min(16 / max(width, 1), 16 / max(height, 1), (columns - 2) / max(width, 1)))
    let w = grow > 1 ? width * grow : (width + scale - 1) / scale
    let h = grow > 1 ? height * grow : (height + scale - 1) / scale
    func source(_ cell: Int, _ size: Int) -> Int { min(grow > 1 ? cell / grow : cell * scale, size - 1) }
    let perRow = max(1, min(count, (columns + 2) / (w + 2)))
    var out = title + "\n"
    for first in stride(from: 0, to: count, by: perRow) {
      let indices = Array(first..<min(first + perRow, count))
      for y in stride(from: 0, to: h, by: 2) {
        var line = ""
        for (n, i) in indices.enumerated() {
          if n > 0 { line += "  " }
          for x in 0..<w {
            func value(_ row: Int) -> Float? {
              guard row < h else { return nil }
              let v = pixels[(i * height + source(row, height)) * width + source(x, width)]
              return v.isFinite ? min(max(v, -1), 1) : 0
            }
            line +=
              signed
              ? signedCell(top: value(y) ?? 0, bottom: value(y + 1), colours: colours)
              : cell(top: value(y) ?? 0, bottom: value(y + 1), colours: colours)
          }
          line += reset(colours)
        }
        out += line + "\n"
      }
      out +=
        indices.map { i in pad(i < captions.count ? captions[i] : "", to: w) }.joined(separator: "  ")
        .trimmingTrailingSpaces() + "\n"
    }
    return out
  }

  /// A matrix as a table whose cells are shaded by value (blue, as the PNG heatmap).
  static func heatmap(
    values: [[Double]], rows: [String], columns: [String], integers: Bool, title: String, axes: (x: String, y: String),
    colours: ColourDepth
  ) -> String {
    let finite = values.flatMap { $0 }.filter(\.isFinite)
    let lo = finite.min() ?? 0, hi = finite.max() ?? 1
    let text = values.map { row in row.map { integers ? String(Int($0)) : String(format: "%.2f", $0) } }
    let width = max(5, text.flatMap { $0 }.map(\.count).max() ?? 1)
    let rowWidth = rows.map(\.count).max() ?? 0
    // Column names are numbered along the top and listed below when they do not fit.
    let numbered = columns.contains { $0.count > width }
    var out = title + " (\(axes.y) down, \(axes.x) across)\n" + String(repeating: " ", count: rowWidth + 1)
    for (c, name) in columns.enumerated() { out += " " + padLeft(numbered ? String(c) : name, to: width) }
    out += "\n"
    for (r, row) in text.enumerated() {
      out += pad(r < rows.count ? rows[r] : "", to: rowWidth) + " "
      for (c, cellText) in row.enumerated() {
        let t = hi > lo ? (values[r][c] - lo) / (hi - lo) : 0
        out += " " + shaded(padLeft(cellText, to: width), t.isFinite ? t : 0, colours)
      }
      out += "\n"
    }
    if numbered {
      out += columns.enumerated().map { "\($0): \($1)" }.joined(separator: "  ") + "\n"
    }
    return out
  }

  private static func cell(top: Float, bottom: Float?, colours: ColourDepth) -> String {
    switch colours {
    case .none:
      let ramp = Array(" .:-=+*#%@")
      let v = bottom.map { (top + $0) / 2 } ?? top
      return String(ramp[min(ramp.count - 1, Int(v * Float(ramp.count)))])
    case .palette256:
      return "\u{1B}[38;5;\(grey256(top))m" + (bottom.map { "\u{1B}[48;5;\(grey256($0))m" } ?? "\u{1B}[49m") + "▀"
    case .trueColour:
      let g = Int(top * 255)
      return "\u{1B}[38;2;\(g);\(g);\(g)m"
        + (bottom.map {
          let b = Int($0 * 255); return "\u{1B}[48;2;\(b);\(b);\(b)m"
        } ?? "\u{1B}[49m") + "▀"
    }
  }

  /// Blue below zero, white at zero, red above (the PNG's palette).
  static func diverging(_ v: Float) -> (Int, Int, Int) {
    let (blue, white, red) = ((33.0, 102.0, 172.0), (247.0, 247.0, 247.0), (178.0, 24.0, 43.0))
    let t = Double(abs(v)), end = v < 0 ? blue : red
    return (
      Int(white.0 + (end.0 - white.0) * t), Int(white.1 + (end.1 - white.1) * t), Int(white.2 + (end.2 - white.2) * t)
    )
  }

  private static func signedCell(top: Float, bottom: Float?, colours: ColourDepth) -> String {
    func code(_ v: Float, _ layer: Int) -> String {
      let (r, g, b) = diverging(v)
      if colours == .trueColour { return "\u{1B}[\(layer);2;\(r);\(g);\(b)m" }
      return "\u{1B}[\(layer);5;\(cube256(r, g, b))m"
    }
    switch colours {
    case .none:
      // Sign and size: - and = below zero, + and # above, a space near zero.
      let v = bottom.map { (top + $0) / 2 } ?? top
      return abs(v) < 0.15 ? " " : v < 0 ? (v < -0.5 ? "=" : "-") : (v > 0.5 ? "#" : "+")
    case .palette256, .trueColour:
      return code(top, 38) + (bottom.map { code($0, 48) } ?? "\u{1B}[49m") + "▀"
    }
  }

  /// The 256-colour palette's entry for a colour: its 6×6×6 cube, six steps a channel.
  static func cube256(_ r: Int, _ g: Int, _ b: Int) -> Int { 16 + 36 * (r * 6 / 256) + 6 * (g * 6 / 256) + b * 6 / 256 }

  /// The 256-colour palette's grey ramp (232…255), black (16) and white (231).
  static func grey256(_ v: Float) -> Int {
    if v < 0.03 { return 16 }
    if v > 0.97 { return 231 }
    return 232 + min(23, Int(v * 24))
  }

  /// Light to dark blue, with text dark on light cells and light on dark ones.
  private static func shaded(_ text: String, _ t: Double, _ colours: ColourDepth) -> String {
    let (light, dark) = ((247.0, 251.0, 255.0), (8.0, 48.0, 107.0))
    let r = Int(light.0 + (dark.0 - light.0) * t), g = Int(light.1 + (dark.1 - light.1) * t)
    let b = Int(light.2 + (dark.2 - light.2) * t)
    let ink = t > 0.5 ? "255;255;255" : "34;34;34"
    switch colours {
    case .none: return text
    case .trueColour: return "\u{1B}[48;2;\(r);\(g);\(b)m\u{1B}[38;2;\(ink)m\(text)\u{1B}[0m"
    case .palette256:
      return "\u{1B}[48;5;\(cube256(r, g, b))m\u{1B}[38;5;\(t > 0.5 ? 231 : 235)m\(text)\u{1B}[0m"
    }
  }

  private static func reset(_ colours: ColourDepth) -> String { colours == .none ? "" : "\u{1B}[0m" }

  static func pad(_ text: String, to width: Int) -> String {
    let cut = String(text.prefix(width))
    return cut + String(repeating: " ", count: max(0, width - cut.count))
  }

  private static func padLeft(_ text: String, to width: Int) -> String {
    let cut = String(text.prefix(width))
    return String(repeating: " ", count: max(0, width - cut.count)) + cut
  }
}

extension String {
  func trimmingTrailingSpaces() -> String {
    var s = self
    while s.last == " " { s.removeLast() }
    return s
  }
}
