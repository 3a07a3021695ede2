import Analysis
import Data
import Foundation
import NN
import Plot
import Tensor

/// The image of one item of a dataset (`{image, label}`) as a batch of one; nil for other records.
func itemImage(_ r: Record) throws -> Tensor? {
  guard case .tensor(let image)? = r["image"] else { return nil }
  return try image.reshaped([1] + image.shape)
}

/// Turns a value into a chart; the dispatch of `plot`.
enum Charts {
  static func chart(for value: Value, labels: [String]?, scale: ImageScale = .auto) throws -> (Chart, String) {
    switch value {
    case .history(let h): return (historyChart([h], names: ["train"]), "Training")
    case .list(let items)
    where !items.isEmpty && items.allSatisfy({ if case .history = $0 { return true } else { return false } }):
      let histories = items.compactMap { if case .history(let h) = $0 { return h } else { return nil } }
      let names = labels ?? histories.indices.map { "run \($0 + 1)" }
      return (historyChart(histories, names: names), "Comparison")
    case .embedding(let e):
      guard e.dimensions == 2 else {
        throw AtelierError(
          "plot: this embedding has \(e.dimensions) dimensions and plot draws 2",
          hint: "reduce it to 2: pca(x, 2), tsne(x) or umap(x); save(e, \"points.csv\") keeps every dimension")
      }
      let isPCA = e.source.hasSuffix("PCA")
      let isUMAP = e.source.hasSuffix("UMAP") || e.source.hasSuffix("UMAP transform")
      let axes =
        isPCA ? ratioLabels(e.explainedVarianceRatio) : isUMAP ? ("UMAP 1", "UMAP 2") : ("t-SNE 1", "t-SNE 2")
      let title = e.klDivergence.map { String(format: "\(e.source) (KL %.3f)", $0) } ?? e.source
      return (
        .scatter(points: e.points.toArray(), labels: e.labels, classes: e.classes, xLabel: axes.0, yLabel: axes.1),
        title
      )
    case .matrix(let m):
      let confusion = m.kind == .confusion
      return (
        .heatmap(
          values: m.values, rows: m.classes, columns: m.classes, integers: confusion && !m.normalized,
          xLabel: confusion ? "predicted" : "class", yLabel: confusion ? "true" : "class"), m.title
      )
    case .dataset(let d):
      let count = min(d.count, 64)
      let captions = labels ?? d.captions ?? d.labels.prefix(count).map { d.classes[Int($0)] }
      return (try imageChart(d.rows(0, count), count: count, captions: captions, scale: scale), "\(d.name) images")
    case .record(let r):
      guard let image = try itemImage(r) else {
        throw AtelierError("plot cannot draw a record", hint: "plot one image: plot(data.test[3]) or plot(x.image)")
      }
      let caption = labels?.first ?? r["label"].map { "label \(Printer.inline($0))" } ?? ""
      return (try imageChart(image, count: 1, captions: [caption], scale: scale), "Image")
    case .tensor(let t) where t.rank >= 2 && t.rank <= 4:
      // [H, W] is one image, [N, H, W] and [N, 1, H, W] a batch; [N, C, H, W] shows every channel.
      let images = try t.reshaped([-1] + t.shape.suffix(2))
      let count = min(images.shape[0], 64)
      let channels = t.rank == 4 ? t.shape[1] : 1
      let names = (0..<count).map { channels > 1 ? "\($0 / channels):\($0 % channels)" : String($0) }
      return (try imageChart(images, count: count, captions: labels ?? names, scale: scale), "Images")
    case .list(let items)
    where !items.isEmpty && items.allSatisfy({ if case .record = $0 { return true } else { return false } }):
      return try tableChart(items.compactMap { if case .record(let r) = $0 { return r } else { return nil } })
    case .list(let items):
      let values = try numbers(value, "plot")
      guard !values.isEmpty else { throw AtelierError("plot: nothing to draw in an empty list") }
      _ = items
      return (.curves(panels: [Chart.Panel(title: "", yLabel: "value", series: [("values", values)])]), "Values")
    default:
      throw AtelierError(
        "plot cannot draw a \(value.typeName)",
        hint:
          "plot draws histories, embeddings, confusion and correlation matrices, images, lists of numbers and tables of results"
      )
    }
  }

  /// A table of settings and results (what `grid` and `sweep` return): the first result
  /// (val_acc when there is one) over the first two settings, averaged over the others.
  static func tableChart(_ rows: [Record]) throws -> (Chart, String) {
    let names = rows[0].names
    let isResult = { (name: String) in Printer.metric(name, .number(0)) != nil || ["folds", "out"].contains(name) }
    let settings = Array(names.prefix { !isResult($0) }.prefix(2))
    guard
      let metric = names.first(where: { $0 == "val_acc" })
        ?? names.first(where: { isResult($0) && !$0.hasSuffix("_std") }),
      !settings.isEmpty
    else {
      throw AtelierError(
        "plot: this list of records has no settings followed by results",
        hint: "plot draws the tables grid and sweep return: settings first, then val_acc, val_loss, …")
    }
    let key = { (r: Record, name: String) in r[name].map(Printer.inline) ?? "" }
    let distinct = { (name: String) -> [String] in
      var seen: [String] = []
      for row in rows where !seen.contains(key(row, name)) { seen.append(key(row, name)) }
      return seen.sorted { (Double($0) ?? .infinity, $0) < (Double($1) ?? .infinity, $1) }
    }
    let rowNames = settings.count == 2 ? distinct(settings[0]) : [metric]
    let columnNames = distinct(settings.count == 2 ? settings[1] : settings[0])
    let values = rowNames.map { rowName in
      columnNames.map { columnName -> Double in
        let matching = rows.filter {
          (settings.count == 1 || key($0, settings[0]) == rowName) && key($0, settings.last ?? "") == columnName
        }
        let numbers = matching.compactMap { row -> Double? in
          if case .number(let n)? = row[metric] { return n }
          return nil
        }
        return numbers.isEmpty ? .nan : numbers.reduce(0, +) / Double(numbers.count)
      }
    }
    return (
      .heatmap(
        values: values, rows: rowNames, columns: columnNames, integers: false, xLabel: settings.last ?? "",
        yLabel: settings.count == 2 ? settings[0] : ""), "\(metric) by \(settings.joined(separator: " and "))"
    )
  }

  static func ratioLabels(_ ratios: [Double]?) -> (String, String) {
    guard let r = ratios, r.count >= 2 else { return ("PC 1", "PC 2") }
    return (
      String(format: "PC 1 (%.1f%% of variance)", r[0] * 100), String(format: "PC 2 (%.1f%% of variance)", r[1] * 100)
    )
  }

  static func historyChart(_ histories: [History], names: [String]) -> Chart {
    // Values sit at their epoch's place, so that a run that carried on plots after the first.
    let last = histories.compactMap { $0.epochs.last?.epoch }.max() ?? 0
    func series(_ h: History, _ value: (EpochRecord) -> Double?) -> [Double] {
      var values = [Double](repeating: .nan, count: last)
      for record in h.epochs where record.epoch >= 1 && record.epoch <= last {
        values[record.epoch - 1] = value(record) ?? .nan
      }
      return values
    }
    var loss: [(String, [Double])] = [], accuracy: [(String, [Double])] = []
    let single = histories.count == 1
    for (h, name) in zip(histories, names) {
      let prefix = single ? "" : "\(name) "
      loss.append((prefix + "train", series(h) { $0.trainLoss }))
      accuracy.append((prefix + "train", series(h) { $0.trainAccuracy }))
      if h.epochs.contains(where: { $0.validationLoss != nil }) {
        loss.append((prefix + "validation", series(h) { $0.validationLoss }))
        accuracy.append((prefix + "validation", series(h) { $0.validationAccuracy }))
      }
    }
    return .curves(panels: [
      Chart.Panel(title: "Loss", yLabel: "loss", series: loss),
      Chart.Panel(title: "Accuracy", yLabel: "accuracy", series: accuracy),
    ])
  }

  static func imageChart(_ t: Tensor, count: Int, captions: [String], scale: ImageScale) throws -> Chart {
    let (h, w) = (t.shape[t.rank - 2], t.shape[t.rank - 1])
    let channels = t.rank == 4 ? t.shape[1] : 1
    guard channels == 1 else { throw AtelierError("plot: images must have one channel, these have \(channels)") }
    let pixels = scale.apply(Array(try t.rows(0, count).toArray()), imageSize: h * w)
    let columns = count <= 16 ? Int(Double(count).squareRoot().rounded(.up)) : 8
    return .images(pixels: pixels, count: count, height: h, width: w, captions: captions, columns: max(columns, 1))
  }
}

private func plotError(_ error: Error) -> Error {
  if let e = error as? PlotError { return AtelierError(e.message, hint: e.hint) }
  return error
}

/// How image values become shades: unsigned values to grey from 0 to 1, signed ones
/// (weights, gradients) to a palette centred on zero, from -1 to 1.
enum ImageScale {
  /// [0, 1] as it is; otherwise like `all`.
  case auto
  /// One range for every image.
  case all
  /// Each image stretched over its own range.
  case each
  /// Values clamped to [lo, hi].
  case fixed(Float, Float)

  static func from(_ value: Value) throws -> ImageScale {
    switch value {
    case .none: return .auto
    case .string("all"): return .all
    case .string("each"): return .each
    case .list(let items):
      let bounds = try numbers(.list(items), "plot")
      guard bounds.count == 2, bounds[0] < bounds[1], bounds.allSatisfy(\.isFinite) else {
        throw AtelierError("plot: scale is \"each\", \"all\" or [lo, hi] with lo < hi")
      }
      return .fixed(Float(bounds[0]), Float(bounds[1]))
    default: throw AtelierError("plot: scale is \"each\", \"all\" or [lo, hi]", hint: "plot(w, scale: \"each\")")
    }
  }

  func apply(_ pixels: [Float], imageSize: Int) -> [Float] {
    switch self {
    case .auto:
      let finite = pixels.filter(\.isFinite)
      if finite.allSatisfy({ $0 >= 0 && $0 <= 1 }) { return pixels }
      return ImageScale.all.apply(pixels, imageSize: imageSize)
    case .all: return ImageScale.stretch(pixels[...], over: pixels[...])
    case .each:
      return stride(from: 0, to: pixels.count, by: max(imageSize, 1)).flatMap { start in
        let image = pixels[start..<min(start + imageSize, pixels.count)]
        return ImageScale.stretch(image, over: image)
      }
    case .fixed(let lo, let hi):
      let clamped = pixels.map { min(max($0, lo), hi) }
      return ImageScale.stretch(clamped[...], over: [lo, hi][...])
    }
  }

  /// Values with a negative among `range` go to [-1, 1] by the largest magnitude; others to [0, 1].
  static func stretch(_ values: ArraySlice<Float>, over range: ArraySlice<Float>) -> [Float] {
    let finite = range.filter(\.isFinite)
    let lo = finite.min() ?? 0, hi = finite.max() ?? 1
    if lo < 0 {
      let m = max(abs(lo), abs(hi), .leastNormalMagnitude)
      return values.map { $0.isFinite ? $0 / m : 0 }
    }
    let span = hi > lo ? hi - lo : 1
    return values.map { $0.isFinite ? ($0 - lo) / span : 0 }
  }
}

let plotBuiltins: [Builtin] = [
  Builtin(
    "plot", family: "plot",
    parameters: [
      Parameter(
        "value",
        "a history, list of histories, embedding, confusion, correlation, images, numbers, or a table of settings and results (grid, sweep)"
      ),
      Parameter(
        "to", default: .none, type: .string,
        "a .png, .svg or .pdf file (a .gp script and .dat data are written beside it)"),
      Parameter("title", default: .none, type: .string),
      Parameter("size", default: .none, type: .list, "[width, height] in pixels"),
      Parameter("labels", default: .none, type: .list, "names of compared runs, or captions of images"),
      Parameter(
        "keep_script", default: .bool(false),
        "also write the .gp script and .dat data beside the figure (gnuplot file.gp draws it again)"),
      Parameter(
        "scale", default: .none, type: .any,
        "images: \"all\" (one range), \"each\" (each its own) or [lo, hi]; signed values use a palette centred on 0"),
    ],
    summary: "Draws a value through gnuplot: to a file, under the notebook's output folder, or as text in the terminal."
  ) { args, context in
    let labels = args.has("labels") ? try args.list("labels").map(Printer.show) : nil
    let (chart, defaultTitle) = try Charts.chart(
      for: args["value"], labels: labels, scale: try ImageScale.from(args["scale"]))
    var size: (Int, Int)?
    if args.has("size") {
      let s = try wholeNumbers(args["size"], "plot", "size")
      guard s.count == 2, s[0] >= 100, s[1] >= 100, s[0] <= 8000, s[1] <= 8000 else {
        throw AtelierError("plot: size is [width, height], each 100 to 8000")
      }
      size = (s[0], s[1])
    }
    let figure = Figure(chart: chart, title: args.has("title") ? try args.string("title") : defaultTitle, size: size)
    let session = context.session
    do {
      if args.has("to") || session.outputDirectory != nil {
        let path =
          args.has("to") ? try context.outputPath(try args.string("to")) : session.nextFigurePath(figure.title)
        try figure.save(to: path, keepScript: try args.bool("keep_script") || session.keepScripts)
        session.recordProducedFile(path)
        try session.displayFigure?(figure)
        return .string(path)
      }
      if let display = session.displayFigure {
        try display(figure)
        return .none
      }
      session.write(try figure.show())
      return .none
    } catch {
      throw plotError(error)
    }
  }
]
