import Analysis
import Data
import NN
import Tensor

/// An embedding from an embedding, a dataset (raw pixels) or a tensor (n, d).
func requireEmbedding(_ value: Value, _ builtin: String) throws -> Embedding {
  switch value {
  case .embedding(let e): return e
  case .dataset(let d):
    return try Embedding(
      points: try d.images.reshaped([d.count, -1]), labels: d.labels, classes: d.classes, source: "\(d.name) pixels")
  case .tensor(let t):
    let points = t.rank == 2 ? t : try t.reshaped([t.shape.first ?? 1, -1])
    return try Embedding(
      points: points, labels: [Int32](repeating: 0, count: points.shape[0]), classes: ["points"], source: "tensor")
  default: throw AtelierError("\(builtin): expected an embedding, a dataset or a tensor, not a \(value.typeName)")
  }
}

/// The progress line of a long analysis step ("umap epoch 10/200") at a terminal; Ctrl-C
/// asks the step to stop.
private func progressLine(_ session: Session, _ label: String) -> (Int, Int) -> Bool {
  { step, steps in
    if session.isTerminal { session.write("\r\u{1B}[2K\(label) \(step)/\(steps)") }
    return takePendingInterrupt()
  }
}

/// Clears the progress line and says where an interrupted step stopped: a half-optimised
/// map looks like a finished one.
private func endProgress(_ session: Session, _ name: String, step: String, _ result: Embedding) {
  if session.isTerminal { session.write("\r\u{1B}[2K") }
  if let (at, total) = result.stoppedEarly {
    session.write("\(name) interrupted at \(step) \(at) of \(total); result kept, not converged\n")
  }
}

/// umap's epochs: "auto" (nil, umap-learn's default for the size) or a whole number.
private func epochCount(_ value: Value) throws -> Int? {
  switch value {
  case .string("auto"): return nil
  case .number(let n) where n.rounded() == n && n >= 1 && n <= 100_000: return Int(n)
  default:
    throw AtelierError("umap: epochs must be \"auto\" or a whole number from 1 to 100000, not \(Printer.inline(value))")
  }
}

/// The most classes a confusion matrix or report is drawn for: ImageNet's 1,000, a
/// million-cell table that is counted, printed and plotted in well under a second.
let maxClasses = 1_000

/// Labels as class indices: whole numbers from 0 to `limit` - 1.
func classIndices(_ value: Value, _ builtin: String, below limit: Int) throws -> [Int32] {
  try numbers(value, builtin).map { n in
    guard n.rounded() == n, n >= 0, n < Double(limit) else {
      throw AtelierError(
        "\(builtin): labels are class indices, whole numbers from 0 to \(limit - 1), not \(Printer.show(.number(n)))")
    }
    return Int32(n)
  }
}

/// Predicted labels and true labels from (model, dataset) or (predictions, labels).
private func predictionsAndTruth(_ args: Arguments, _ builtin: String) throws -> (
  predicted: [Int32], truth: [Int32], classes: [String]
) {
  switch (args["a"], args["b"]) {
  case (.layer(let model), .dataset(let data)):
    return (try predict(model, on: data).labels, data.labels, data.classes)
  case (.list, .list):
    // Labels size the table: each must be a class index a table of that many rows can hold.
    let predicted = try classIndices(args["a"], builtin, below: maxClasses)
    let truth = try classIndices(args["b"], builtin, below: maxClasses)
    let count = Int(max(predicted.max() ?? 0, truth.max() ?? 0)) + 1
    let classes = args.has("classes") ? try args.list("classes").map(Printer.show) : (0..<count).map(String.init)
    guard classes.count <= maxClasses else { throw AtelierError("\(builtin): at most \(maxClasses) classes") }
    return (predicted, truth, classes)
  default:
    throw AtelierError("\(builtin): give a model and a dataset, or a list of predictions and a list of labels")
  }
}

let analysisBuiltins: [Builtin] = [
  Builtin(
    "features", family: "analysis",
    parameters: [
      Parameter("model", type: .model), Parameter("data", type: .dataset),
      Parameter("at", type: .string, "a layer name, e.g. \"fc2\""),
      Parameter("n", default: .none, type: .number, whole: 1...Arguments.maxCount, "only the first n images"),
    ],
    summary: "A layer's activations for each image, as an embedding coloured by class."
  ) { args, _ in
    .embedding(
      try features(
        try requireModel(args["model"], "features"), try requireDataset(args["data"], "features", "data"),
        at: try args.string("at"),
        n: try args.optionalInt("n")))
  },
  Builtin(
    "pca", family: "analysis",
    parameters: [
      Parameter("data", type: .any, "an embedding, a dataset or a tensor"),
      Parameter("k", default: .number(2), whole: 1...100_000),
      Parameter("whiten", default: .bool(false)),
    ],
    summary: "Principal components (LAPACK on the covariance); the result keeps the explained-variance ratios."
  ) { args, _ in
    .embedding(
      try pca(
        try requireEmbedding(args["data"], "pca"), components: try args.int("k"),
        whiten: try args.bool("whiten"))
    )
  },
  Builtin(
    "neighbors", family: "analysis",
    parameters: [
      Parameter("data", type: .any, "an embedding, a dataset or a tensor (n, d)"),
      Parameter("k", default: .number(10), whole: 1...10_000),
      Parameter(
        "search", default: .string("auto"), oneOf: Parameter.options(NeighborSearch.self),
        "\"exact\", \"approx\" (trees and NN-descent), \"auto\" approx where it is faster"),
      Parameter("seed", default: .number(1), "seeds the approximate search"),
    ],
    summary: "The k nearest other points of each point, nearest first: a tensor (n, k) of row indices.",
    help:
      "neighbors(pca(data.test, 50), k: 5)[0] are the five test images nearest the first. Distances are euclidean in the given space; pass a PCA to search fewer dimensions."
  ) { args, _ in
    let found = try nearestNeighbors(
      try requireEmbedding(args["data"], "neighbors"), k: try args.int("k"),
      search: try args.choice("search", of: NeighborSearch.self),
      seed: UInt64(bitPattern: Int64(try args.int("seed", in: Arguments.seeds))))
    return .tensor(found.index)
  },
  Builtin(
    "tsne", family: "analysis",
    parameters: [
      Parameter("data", type: .any, "an embedding, a dataset or a tensor"),
      Parameter("dims", default: .number(2), whole: 1...3),
      Parameter("perplexity", default: .number(30)),
      Parameter("iters", default: .number(1000), whole: 1...1_000_000, "all iterations, the exaggerated ones included"),
      Parameter("lr", default: .string("auto"), type: .any, "\"auto\" is max(200, n/12)"),
      Parameter("exaggeration", default: .number(12)),
      Parameter(
        "init", default: .string("pca"), oneOf: Parameter.options(TSNEOptions.Initialization.self),
        "\"pca\" or \"random\""),
      Parameter("seed", default: .number(1), "seeds init: \"random\""),
      Parameter(
        "method", default: .string("auto"), oneOf: Parameter.options(TSNEOptions.Method.self),
        "the repulsion: \"bh\" Barnes-Hut, \"fft\" interpolation on a grid; \"auto\" is fft from \(TSNEOptions.fftFromPoints) points"
      ),
      Parameter(
        "dof", default: .number(1), "the kernel's degrees of freedom: below 1, heavier tails and clusters further apart"
      ),
      Parameter(
        "neighbors", default: .string("auto"), oneOf: Parameter.options(NeighborSearch.self),
        "\"exact\", \"approx\" (trees and NN-descent), \"auto\" approx where it is faster"),
    ],
    summary: "t-SNE to 2-D (openTSNE's defaults; Barnes-Hut or FFT interpolation); the result keeps its KL divergence."
  ) { args, context in
    guard try args.int("dims") == 2 else { throw AtelierError("tsne: only 2 dimensions are supported") }
    var options = TSNEOptions()
    options.initialization = try args.choice("init", of: TSNEOptions.Initialization.self)
    options.perplexity = try args.number("perplexity")
    options.iterations = try args.int("iters")
    options.exaggeration = try args.number("exaggeration")
    options.seed = UInt64(bitPattern: Int64(try args.int("seed", in: Arguments.seeds)))
    options.method = try args.choice("method", of: TSNEOptions.Method.self)
    options.dof = try args.number("dof")
    options.neighbors = try args.choice("neighbors", of: NeighborSearch.self)
    guard options.dof > 0, options.dof <= 100 else {
      throw AtelierError(
        "tsne: dof must be in (0, 100], got \(options.dof)", hint: "1 is standard t-SNE; try 0.5 for heavier tails")
    }
    if case .number(let lr) = args["lr"] { options.learningRate = lr }
    let session = context.session
    let result = try tsne(try requireEmbedding(args["data"], "tsne"), options: options) { iteration, kl in
      if session.isTerminal {
        session.write(
          "\r\u{1B}[2Ktsne iteration \(iteration)/\(options.iterations)  KL \(String(format: "%.4f", kl))")
      }
      return takePendingInterrupt()
    }
    if session.isTerminal { session.write("\r\u{1B}[2K") }
    if let (iteration, total) = result.stoppedEarly {
      // A half-optimised map looks like a finished one: say so where it was stopped.
      session.write(
        "tsne interrupted at iteration \(iteration) of \(total); result kept, not converged (KL "
          + String(format: "%.4f", result.klDivergence ?? .nan) + ")\n")
    }
    return .embedding(result)
  },
  Builtin(
    "umap", family: "analysis",
    parameters: [
      Parameter("data", type: .any, "an embedding, a dataset or a tensor"),
      Parameter("k", default: .number(15), whole: 2...1_000, "neighbours per point, itself counted (n_neighbors)"),
      Parameter("dims", default: .number(2), whole: 1...10),
      Parameter("min_dist", default: .number(0.1), "how closely neighbours pack, from 0 to spread"),
      Parameter("spread", default: .number(1), "the scale of the layout"),
      Parameter(
        "metric", default: .string("euclidean"), oneOf: Parameter.options(UMAPOptions.Metric.self),
        "\"euclidean\" or \"cosine\""),
      Parameter("seed", default: .number(1), "seeds the start's noise and the negative samples"),
      Parameter("epochs", default: .string("auto"), type: .any, "\"auto\" is 500 up to 10,000 points, else 200"),
      Parameter(
        "neighbors", default: .string("auto"), oneOf: Parameter.options(NeighborSearch.self),
        "\"exact\", \"approx\" (trees and NN-descent), \"auto\" approx where it is faster"),
    ],
    summary: "UMAP (umap-learn's algorithm, spectral start); transform(u, data) places new points.",
    help:
      "Inputs over 50 dimensions are reduced to 50 by PCA first, as for tsne. A seed gives the same map bit for bit."
  ) { args, context in
    var options = UMAPOptions()
    options.k = try args.int("k")
    options.dims = try args.int("dims")
    options.minDist = try args.number("min_dist")
    options.spread = try args.number("spread")
    options.metric = try args.choice("metric", of: UMAPOptions.Metric.self)
    options.seed = UInt64(bitPattern: Int64(try args.int("seed", in: Arguments.seeds)))
    options.epochs = try epochCount(args["epochs"])
    options.neighbors = try args.choice("neighbors", of: NeighborSearch.self)
    let session = context.session
    let result = try umap(
      try requireEmbedding(args["data"], "umap"), options: options, progress: progressLine(session, "umap epoch"))
    endProgress(session, "umap", step: "epoch", result)
    if let start = result.map?.initialisation, start != .spectral {
      session.write("umap started from \(start.rawValue)\n")
    }
    return .embedding(result)
  },
  Builtin(
    "transform", family: "analysis",
    parameters: [
      Parameter("map", type: .embedding, "a umap(...) or tsne(...) result, or one saved as .atle and loaded"),
      Parameter("data", type: .any, "new points: an embedding, a dataset or a tensor, as the map was fitted to"),
    ],
    summary:
      "New points placed in a UMAP or t-SNE map, the map kept as it is: transform(u, data.test).",
    help:
      "UMAP maps place points as umap-learn's transform, t-SNE maps as openTSNE's (perplexity 5 to the map's points, a start at the median of the 25 nearest, 250 iterations). The result holds the new points with their own labels, so plot colours them by class."
  ) { args, context in
    guard case .embedding(let fitted) = args["map"], let map = fitted.map else {
      throw AtelierError(
        "transform: this embedding (\(Printer.inline(args["map"]))) cannot place new points; umap(...) and tsne(...) maps can",
        hint: "u = umap(data.train[0:5000]), then transform(u, data.test[0:1000])")
    }
    let session = context.session
    let result = try transform(
      map, try requireEmbedding(args["data"], "transform"), progress: progressLine(session, "transform"))
    endProgress(session, "transform", step: map.method == .tsne ? "iteration" : "epoch", result)
    return .embedding(result)
  },
  Builtin(
    "confusion", family: "analysis",
    parameters: [
      Parameter("a", type: .any, "a model, or a list of predictions"),
      Parameter("b", type: .any, "a dataset, or a list of true labels"),
      Parameter("normalize", default: .bool(false), "rows as rates"),
      Parameter("classes", default: .none, type: .list),
    ],
    summary: "Confusion matrix (rows true, columns predicted) with totals and per-class recall."
  ) { args, _ in
    let (p, t, classes) = try predictionsAndTruth(args, "confusion")
    var matrix = try confusion(predicted: p, truth: t, classes: classes, normalize: try args.bool("normalize"))
    if case .dataset(let data) = args["b"] { matrix.source = (data, p) }
    return .matrix(matrix)
  },
  Builtin(
    "examples", family: "analysis",
    parameters: [
      Parameter("matrix", type: .confusion, "a confusion matrix of a model on a dataset"),
      Parameter("truth", type: .any, "the true class: its name or index (the row)"),
      Parameter("predicted", type: .any, "the predicted class: its name or index (the column)"),
    ],
    summary: "The images in one cell of a confusion matrix: examples(cm, \"Shirt\", \"T-shirt/top\").",
    help: "A dataset captioned \"true → predicted\"; plot it to see what the model confuses."
  ) { args, _ in
    guard case .matrix(let m) = args["matrix"], let (data, predicted) = m.source else {
      throw AtelierError(
        "examples: this confusion matrix was not made from a model and a dataset",
        hint: "cm = confusion(net, data.test), then examples(cm, \"Shirt\", \"T-shirt/top\")")
    }
    func classIndex(_ name: String) throws -> Int {
      switch args[name] {
      case .string(let s):
        if let k = m.classes.firstIndex(of: s) { return k }
        throw AtelierError(
          "examples: no class \"\(s)\"",
          hint: suggestion(for: s, among: m.classes).map { "did you mean \"\($0)\"?" } ?? "classes: "
            + m.classes.joined(separator: ", "))
      case .number(let n) where n.rounded() == n && n >= 0 && n < Double(m.classes.count): return Int(n)
      default: throw AtelierError("examples: \(name) must be a class name or an index below \(m.classes.count)")
      }
    }
    let (row, column) = (try classIndex("truth"), try classIndex("predicted"))
    let picked = data.labels.indices.filter { Int(data.labels[$0]) == row && Int(predicted[$0]) == column }
    let cell = try data.subset(picked, name: "\(m.classes[row]) → \(m.classes[column])")
    cell.captions = picked.map { _ in "\(m.classes[row]) → \(m.classes[column])" }
    return .dataset(cell)
  },
  Builtin(
    "report", family: "analysis",
    parameters: [
      Parameter("a", type: .any, "a model, or a list of predictions"),
      Parameter("b", type: .any, "a dataset, or a list of true labels"),
      Parameter("classes", default: .none, type: .list),
    ],
    summary:
      "Precision, recall, F1 and support per class, accuracy and averages (scikit-learn's classification_report)."
  ) { args, _ in
    let (p, t, classes) = try predictionsAndTruth(args, "report")
    let r = try ClassificationReport(predicted: p, truth: t, classes: classes)
    func row(_ x: ClassificationReport.Row) -> Value {
      .record(
        Record([
          ("class", .string(x.name)), ("precision", .number(x.precision)), ("recall", .number(x.recall)),
          ("f1", .number(x.f1)), ("support", .number(Double(x.support))),
        ]))
    }
    let accuracy = Value.record(
      Record([
        ("class", .string("accuracy")), ("precision", .none), ("recall", .none), ("f1", .number(r.accuracy)),
        ("support", .number(Double(t.count))),
      ]))
    return .list(r.rows.map(row) + [accuracy, row(r.macro), row(r.weighted)])
  },
  Builtin(
    "correlation", family: "analysis",
    parameters: [
      Parameter("model", type: .model), Parameter("data", type: .dataset), Parameter("at", type: .string),
      Parameter("per_class", default: .number(100), whole: 1...1_000_000),
    ],
    summary: "10x10 matrix: the mean correlation between activations of class i and class j images."
  ) { args, _ in
    .matrix(
      try classCorrelation(
        try requireModel(args["model"], "correlation"), try requireDataset(args["data"], "correlation", "data"),
        at: try args.string("at"),
        perClass: try args.int("per_class")))
  },
]
