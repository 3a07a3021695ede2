import Foundation
import Testing

@testable import Plot

/// Figures at the prompt: characters that carry the classes and pixels, and inline
/// pictures in the protocols terminals speak.
@Suite struct TerminalGraphicsTests {
  /// Twelve classes of five points each, in twelve columns of the plot.
  static func twelveClasses() -> Chart {
    var points: [Float] = []
    var labels: [Int32] = []
    for i in 0..<60 {
      let k = i % 12
      points += [Float(k), Float(i / 12) + Float(k % 3)]
      labels.append(Int32(k))
    }
    let classes: [String] = (0..<12).map { k in "class \(k)" }
    return Chart.scatter(points: points, labels: labels, classes: classes, xLabel: "x", yLabel: "y")
  }

  let scatter = TerminalGraphicsTests.twelveClasses()

  func stripped(_ text: String) -> String {
    text.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
  }

  @Test func aTextScatterDrawsEachClassWithItsOwnGlyphAndColour() throws {
    let text = try Figure(chart: scatter, title: "twelve classes").text(
      size: TerminalSize(columns: 160, rows: 50), colours: .palette256)
    let plain = stripped(text)
    let lines = plain.split(separator: "\n", omittingEmptySubsequences: false)
    #expect((lines.map { $0.count }.max() ?? 0) <= 160)
    // The key pairs each glyph with its class; the plot area holds every glyph.
    for (k, glyph) in "0123456789AB".enumerated() {
      #expect(plain.contains("\(glyph) class \(k)"), "key lacks \(glyph)")
    }
    // Inside the plot's frame: between the first and the last border bar of each line.
    let area = lines.compactMap { line -> Substring? in
      guard let first = line.firstIndex(of: "|"), let last = line.lastIndex(of: "|"), first < last else { return nil }
      return line[line.index(after: first)..<last]
    }.joined()
    #expect(Set("0123456789AB").isSubset(of: Set(area)))
    // 256-colour foregrounds: at least ten distinct ones for the classes.
    let colours = Set(text.components(separatedBy: "\u{1B}[38;5;").dropFirst().map { $0.prefix { $0 != "m" } })
    #expect(colours.count >= 10, "\(colours)")
  }

  @Test func imagesInTextAreHalfBlockCellsOfTheirPixels() throws {
    // Two 16×4 images: white with a black band inside, and a left-to-right ramp.
    var pixels = [Float](repeating: 1, count: 128)
    for y in 1...2 { for x in 1...14 { pixels[y * 16 + x] = 0 } }
    for y in 0..<4 { for x in 0..<16 { pixels[64 + y * 16 + x] = Float(x) / 15 } }
    let chart = Chart.images(pixels: pixels, count: 2, height: 4, width: 16, captions: ["ring", "ramp"], columns: 2)
    let text = try Figure(chart: chart, title: "two").text(
      size: TerminalSize(columns: 80, rows: 24), colours: .trueColour)
    let lines = text.split(separator: "\n").map(String.init)
    #expect(lines.count == 4)  // title, two rows of cells (4 pixels high), captions
    #expect(stripped(lines[1]) == String(repeating: "▀", count: 16) + "  " + String(repeating: "▀", count: 16))
    #expect(lines[3] == "ring              ramp")
    // Rows 0 over 1: white over white at the edge, white over black inside.
    let white = "\u{1B}[38;2;255;255;255m\u{1B}[48;2;255;255;255m▀"
    #expect(lines[1].hasPrefix(white + "\u{1B}[38;2;255;255;255m\u{1B}[48;2;0;0;0m▀"))
    #expect(lines[1].contains("\u{1B}[38;2;85;85;85m\u{1B}[48;2;85;85;85m▀"))
    let mono = try Figure(chart: chart, title: "two").text(size: TerminalSize(columns: 80, rows: 24), colours: .none)
    let row = mono.split(separator: "\n")[1]
    #expect(row.hasPrefix("@" + String(repeating: "+", count: 14) + "@  "))
    #expect(row.hasSuffix("@") && row.dropFirst(18).first == " ")
  }

  @Test func smallKernelsGrowToFillTheirCells() throws {
    let chart = Chart.images(
      pixels: (0..<50).map { Float($0 % 25) / 12 - 1 }, count: 2, height: 5, width: 5, captions: ["0", "1"], columns: 2)
    let text = try Figure(chart: chart, title: "kernels").text(
      size: TerminalSize(columns: 80, rows: 24), colours: .palette256)
    let lines = text.split(separator: "\n").map { stripped(String($0)) }
    // 5×5 grows threefold: 15 columns and 15 pixel rows (8 lines of cells) each.
    #expect(
      lines.count == 10 && lines[1] == String(repeating: "▀", count: 15) + "  " + String(repeating: "▀", count: 15))
  }

  @Test func aHeatmapInTextKeepsItsNumbersShaded() throws {
    let chart = Chart.heatmap(
      values: [[5, 1], [0, 7]], rows: ["T-shirt/top", "Trouser"], columns: ["T-shirt/top", "Trouser"], integers: true,
      xLabel: "predicted", yLabel: "true")
    let text = try Figure(chart: chart, title: "Confusion").text(
      size: TerminalSize(columns: 80, rows: 24), colours: .trueColour)
    let plain = stripped(text).split(separator: "\n").map(String.init)
    #expect(plain[1].hasSuffix("    0     1"))
    #expect(plain[2].hasPrefix("T-shirt/top      5     1"))
    #expect(plain.last == "0: T-shirt/top  1: Trouser")
    // The largest count is the darkest cell, with light ink.
    #expect(text.contains("\u{1B}[48;2;8;48;107m\u{1B}[38;2;255;255;255m    7"))
  }

  func payload(_ text: String, between start: String, and end: String) -> [String] {
    text.components(separatedBy: start).dropFirst().compactMap { $0.components(separatedBy: end).first }
  }

  @Test func kittyAndITermCarryTheFiguresPNG() throws {
    let figure = Figure(chart: scatter, title: "inline", size: (320, 240))
    let png = try figure.png()
    #expect(png.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))

    let kitty = try figure.show(mode: .kitty)
    let chunks = payload(kitty, between: "\u{1B}_G", and: "\u{1B}\\")
    #expect(chunks.count > 1 && chunks[0].hasPrefix("a=T,f=100,m=1;") && chunks.last!.hasPrefix("m=0;"))
    let base64 = chunks.map { String($0.drop { $0 != ";" }.dropFirst()) }.joined()
    #expect(chunks.dropLast().allSatisfy { $0.drop { $0 != ";" }.count - 1 == 4096 })
    #expect(Data(base64Encoded: base64) == png)

    let iterm = try figure.show(mode: .iterm)
    let body = try #require(payload(iterm, between: "\u{1B}]1337;File=", and: "\u{07}").first)
    #expect(body.hasPrefix("inline=1;size=\(png.count);"))
    #expect(Data(base64Encoded: String(body.drop { $0 != ":" }.dropFirst())) == png)
  }

  @Test func sixelIsAnImageOfTheAskedSize() throws {
    let sixel = try Figure(chart: scatter, title: "sixel", size: (320, 240)).show(mode: .sixel)
    // DCS … q, raster attributes "Pan;Pad;width;height, then sixel data, ended by ST.
    let start = try #require(sixel.range(of: "\u{1B}P"))
    let body = sixel[start.upperBound...]
    let q = try #require(body.firstIndex(of: "q"))
    let raster = body[body.index(after: q)...].prefix { $0 != "#" }
    let numbers = raster.dropFirst().split(separator: ";").compactMap {
      Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    #expect(raster.first == "\"" && numbers.count == 4 && numbers[2] == 320 && numbers[3] == 240, "\(raster)")
    #expect(sixel.contains("\u{1B}\\"))
  }

  @Test func theModeComesFromTheSettingThenTheTerminal() {
    let none: Set<String> = []
    #expect(GraphicsMode.detect(["ATELIER_GRAPHICS": "kitty", "TERM": "xterm"], terminals: none) == .kitty)
    #expect(GraphicsMode.detect(["ATELIER_GRAPHICS": "text", "TERM": "xterm-kitty"], terminals: none) == .text)
    #expect(GraphicsMode.detect(["TERM": "xterm-kitty"], terminals: none) == .kitty)
    #expect(GraphicsMode.detect(["TERM_PROGRAM": "iTerm.app"], terminals: none) == .iterm)
    #expect(GraphicsMode.detect(["TERM": "foot"], terminals: none) == .sixel)
    #expect(GraphicsMode.detect(["TERM": "xterm-256color"], terminals: none) == .text)
    #expect(GraphicsMode.detect(["GNUTERM": "dumb"], terminals: none) == .gnuplot("dumb"))
    #expect(GraphicsMode.detect(["DISPLAY": ":0"], terminals: ["qt"]) == .window("qt"))
    #expect(ColourDepth.detect(["TERM": "xterm-256color", "COLORTERM": "truecolor"]) == .trueColour)
    #expect(ColourDepth.detect(["TERM": "xterm-256color", "NO_COLOR": "1"]) == .none)
    #expect(ColourDepth.detect(["TERM": "screen"]) == .palette256)
  }

  @Test func aTerminalThatListsSixelInItsAttributesGetsSixel() {
    #expect(GraphicsMode.answerListsSixel("\u{1B}[?62;4;22c"))
    #expect(GraphicsMode.answerListsSixel("\u{1B}[?63;1;2;4c"))
    #expect(!GraphicsMode.answerListsSixel("\u{1B}[?1;2c"))
    #expect(!GraphicsMode.answerListsSixel("\u{1B}[?64;14c"))
    let saved = GraphicsMode.terminalAnswer
    defer { GraphicsMode.terminalAnswer = saved }
    GraphicsMode.terminalAnswer = "\u{1B}[?62;4;22c"
    #expect(GraphicsMode.detect(["TERM": "xterm-256color"], terminals: ["sixelgd"]) == .sixel)
    #expect(GraphicsMode.detect(["TERM": "xterm-256color"], terminals: []) == .text)
    GraphicsMode.terminalAnswer = "\u{1B}[?1;2c"
    #expect(GraphicsMode.detect(["TERM": "xterm-256color"], terminals: ["sixelgd"]) == .text)
  }

  @Test func withoutAWindowTheSizeComesFromTheEnvironment() {
    #expect(
      TerminalSize.detect(["COLUMNS": "160", "LINES": "50"], askWindow: false) == TerminalSize(columns: 160, rows: 50))
    #expect(TerminalSize.detect([:], askWindow: false) == TerminalSize(columns: 100, rows: 32))
    #expect(
      TerminalSize.detect(["COLUMNS": "5", "LINES": "x"], askWindow: false) == TerminalSize(columns: 40, rows: 32))
  }
}
