import Foundation
import Testing

@testable import Plot

/// Width and height of the PNG at `path`, or nil when it is not one.
func pngSize(_ path: String) -> (Int, Int)? {
  FileManager.default.contents(atPath: path).flatMap(Figure.pngSize).map { ($0.width, $0.height) }
}

func folder() -> String {
  let path = FileManager.default.temporaryDirectory.appendingPathComponent("atelier-plots-\(UUID().uuidString)").path
  try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

@Suite struct PlotTests {
  let charts: [(String, Chart)] = [
    (
      "curves",
      .curves(panels: [
        Chart.Panel(title: "Loss", yLabel: "loss", series: [("train", [1, 0.5, 0.3]), ("validation", [1.1, 0.7])])
      ])
    ),
    (
      "scatter",
      .scatter(
        points: [0, 0, 1, 1, 2, 0.5, -1, 2], labels: [0, 1, 1, 0], classes: ["T-shirt/top", "Trouser"], xLabel: "x",
        yLabel: "y")
    ),
    (
      "heatmap",
      .heatmap(
        values: [[5, 1], [0, 7]], rows: ["a_b", "c"], columns: ["a_b", "c"], integers: true, xLabel: "predicted",
        yLabel: "true")
    ),
    (
      "images",
      .images(
        pixels: (0..<(4 * 9)).map { Float($0 % 9) / 8 }, count: 4, height: 3, width: 3, captions: ["0", "1", "2", "3"],
        columns: 2)
    ),
  ]

  @Test func gnuplotWritesPNGsOfTheAskedSizeWithTheirScripts() throws {
    guard Gnuplot.executable() != nil else {
      Issue.record("gnuplot is missing; `make setup` installs gnuplot-nox")
      return
    }
    let dir = folder()
    for (name, chart) in charts {
      let path = "\(dir)/\(name).png"
      try Figure(chart: chart, title: "A \(name) figure", size: (640, 480)).save(to: path, keepScript: true)
      let size = try #require(pngSize(path), "\(name) is not a PNG")
      #expect(size == (640, 480), "\(name)")
      #expect(FileManager.default.fileExists(atPath: "\(dir)/\(name).gp"))
    }
    // Without keepScript only the figure is written.
    let alone = folder()
    try Figure(chart: charts[1].1, title: "alone").save(to: "\(alone)/it's.png")
    #expect(pngSize("\(alone)/it's.png") != nil)
    #expect(try FileManager.default.contentsOfDirectory(atPath: alone) == ["it's.png"])
    // The .gp beside the figure draws it again.
    try FileManager.default.removeItem(atPath: "\(dir)/scatter.png")
    try Gnuplot.run(script: "cd '\(dir)'\nload 'scatter.gp'\n")
    #expect(pngSize("\(dir)/scatter.png") != nil)
  }

  @Test func labelsKeepUnderscoresAndCaretsAsTheyAre() throws {
    // In single quotes one backslash keeps enhanced text from reading `_` as a subscript.
    #expect(Script.label("val_acc ^2") == "'val\\_acc \\^2'")
    let figure = Figure(
      chart: .curves(panels: [.init(title: "", yLabel: "v", series: [("a", [1, 2])])]), title: "val_acc")
    let text = try figure.text(size: TerminalSize(columns: 80, rows: 24), colours: .none)
    #expect(text.contains("val_acc") && !text.contains("\\_"))
  }

  @Test func svgAndPdfAndText() throws {
    guard Gnuplot.executable() != nil else {
      Issue.record("gnuplot is missing; `make setup` installs gnuplot-nox")
      return
    }
    let dir = folder()
    try Figure(chart: charts[0].1, title: "svg").save(to: "\(dir)/f.svg")
    #expect(try String(contentsOfFile: "\(dir)/f.svg", encoding: .utf8).contains("<svg"))
    try Figure(chart: charts[0].1, title: "pdf").save(to: "\(dir)/f.pdf")
    #expect(FileManager.default.contents(atPath: "\(dir)/f.pdf")?.prefix(4) == Data("%PDF".utf8))
    let text = try Figure(chart: charts[0].1, title: "text").text(
      size: TerminalSize(columns: 60, rows: 20), colours: .none)
    #expect(text.contains("Loss") || text.contains("train"))
    #expect(Gnuplot.terminals.contains("pngcairo") && Gnuplot.terminals.contains("dumb"))
  }

  @Test func aMissingGnuplotSaysHowToInstallIt() throws {
    let error = #expect(throws: PlotError.self) {
      try Figure(chart: charts[0].1, title: "x").save(to: "\(folder())/f.png", gnuplot: "/nonexistent/gnuplot")
    }
    #expect(error?.hint?.contains("apt-get install gnuplot-nox") == true)
    #expect(throws: PlotError.self) { try Figure(chart: charts[0].1, title: "x").save(to: "\(folder())/f.bmp") }
  }
}

/// Text a notebook controls (titles, labels, class names, file names) reaches gnuplot
/// only inside its quotes.
@Suite struct PlotInjectionTests {
  @Test func titlesAndNamesCannotRunCommands() throws {
    let dir = folder()
    let witness = dir + "/pwned"
    let evil = "x\nsystem(\"touch \(witness)\")\n#'\r\u{0}"
    let chart = Chart.scatter(
      points: [0, 0, 1, 1, 2, 0], labels: [0, 1, 1], classes: ["a\nsystem(\"touch \(witness)\")", "b'"],
      xLabel: evil, yLabel: "y")
    try Figure(chart: chart, title: evil).save(to: "\(dir)/it's.png", keepScript: true)
    #expect(pngSize("\(dir)/it's.png") != nil)
    // Drawn again from the script beside it: still nothing runs.
    try Gnuplot.run(script: "cd \(Script.quoted(dir))\nload \(Script.quoted("it's.gp"))\n")
    #expect(!FileManager.default.fileExists(atPath: witness))
    #expect(throws: PlotError.self) { try Figure(chart: chart, title: "t").save(to: "\(dir)/a\nb.png") }
  }

  @Test func terminalPlotsLeaveNoTemporaryFolders() throws {
    func plotFolders() -> Set<String> {
      Set(
        ((try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? []).filter {
          $0.hasPrefix("atelier-plot-")
        })
    }
    let before = plotFolders()
    let chart = Chart.scatter(points: [0, 0, 1, 1], labels: [0, 1], classes: ["a", "b"], xLabel: "x", yLabel: "y")
    _ = try Figure(chart: chart, title: "t").text()
    setenv("GNUTERM", "dumb", 1)
    defer { unsetenv("GNUTERM") }
    _ = try Figure(chart: chart, title: "t").show()
    #expect(plotFolders() == before)
  }
}
