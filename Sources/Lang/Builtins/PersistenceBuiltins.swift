import Analysis
import Data
import Foundation
import NN

let persistenceBuiltins: [Builtin] = [
  Builtin(
    "save", family: "persistence",
    parameters: [
      Parameter("value", "a model, an embedding, or for .csv any analysis value, history, tensor or table"),
      Parameter(
        "path", type: .string,
        "a .atlm file for a model, a .atle file for an embedding (with its map, for transform), or a .csv file"),
      Parameter("opt", default: .none, type: .optimizer, "default: the optimizer the model last trained with"),
      Parameter("history", default: .none, type: .history, "default: every epoch the model has trained"),
    ],
    summary:
      "Saves a model (architecture, weights, optional optimizer state and history) to .atlm, an embedding with its map to .atle, or the data of a value to .csv.",
    help:
      "An embedding saved as .atle keeps its points, labels and classes and, for a umap or tsne result, its map: load(\"u.atle\") gives an embedding that plots as before and that transform places new points in exactly as the original does. save(u, \"u.csv\") writes the points alone."
  ) { args, context in
    let path = try context.outputPath(try args.string("path"))
    let lowercased = path.lowercased()
    if lowercased.hasSuffix(".csv") {
      let text = try CSV.text(for: args["value"])
      try AtomicFile.write(text, to: path)
      return .none
    }
    if case .embedding(let e) = args["value"] {
      guard lowercased.hasSuffix(EmbeddingFile.fileExtension) else {
        throw AtelierError(
          "save: an embedding is saved to a .atle file (with its map) or a .csv file (its points)",
          hint: "save(e, \"points.atle\")")
      }
      try EmbeddingFile.write(e, to: path)
      return .none
    }
    guard case .layer(let model) = args["value"] else {
      throw AtelierError("save: a \(args["value"].typeName) is saved as CSV", hint: "give a .csv path")
    }
    guard !lowercased.hasSuffix(EmbeddingFile.fileExtension) else {
      throw AtelierError("save: a .atle file holds an embedding; a model is saved to a .atlm file")
    }
    // What the model trained with goes along unless other values are given, so that a
    // loaded model carries on where it stopped.
    let record = (model as? Sequential)?.training
    var optimizer: Optimizer? = record?.optimizer
    if case .optimizer(let o) = args["opt"] { optimizer = o }
    var history: History? = record.flatMap { $0.history.epochs.isEmpty ? nil : $0.history }
    if case .history(let h) = args["history"] { history = h }
    try Checkpoint(
      model: model, optimizer: optimizer, history: history, epoch: history?.epochs.count ?? 0, generators: []
    )
    .save(to: path)
    return .none
  },
  Builtin(
    "load", family: "persistence",
    parameters: [Parameter("path", type: .string, "a .atlm model file, or a .atle embedding file")],
    summary:
      "A model (.atlm) saved with save or by fit's checkpoints, whose fit carries on with its optimizer and epochs; or an embedding (.atle) with its map.",
    help:
      "load(\"u.atle\") reads what save(u, \"u.atle\") wrote: transform(load(\"u.atle\"), data.test) places the points where transform(u, data.test) does, bit for bit. A file someone sent is checked throughout before it is used."
  ) { args, context in
    let path = context.resolve(try args.string("path"))
    if path.lowercased().hasSuffix(EmbeddingFile.fileExtension) { return .embedding(try EmbeddingFile.read(path)) }
    let saved = try Checkpoint.load(from: path)
    warnOfNonFiniteValues(saved.nonFinite, in: path, context)
    if let model = saved.model as? Sequential {
      model.training.optimizer = saved.optimizer
      model.training.history = saved.history ?? History()
    }
    return .layer(saved.model)
  },
  Builtin(
    "checkpoint", family: "persistence", parameters: [Parameter("path", type: .string)],
    summary: "Everything in a saved model file: {model, opt, history, epoch}."
  ) { args, context in
    let path = context.resolve(try args.string("path"))
    let saved = try Checkpoint.load(from: path)
    warnOfNonFiniteValues(saved.nonFinite, in: path, context)
    return .record(
      Record([
        ("model", .layer(saved.model)), ("opt", saved.optimizer.map { .optimizer($0) } ?? .none),
        ("history", saved.history.map { .history($0) } ?? .none), ("epoch", .number(Double(saved.epoch))),
      ]))
  },
  Builtin(
    "export", family: "persistence",
    parameters: [Parameter("model", type: .layer), Parameter("path", type: .string)],
    summary: "Writes the weights as safetensors with PyTorch's names (conv1.weight, bn1.running_mean)."
  ) { args, context in
    guard case .layer(let model) = args["model"] else { return .none }
    try WeightExchange.export(model, to: try context.outputPath(try args.string("path")))
    return .none
  },
  Builtin(
    "import_weights", family: "persistence",
    parameters: [
      Parameter("model", type: .layer), Parameter("path", type: .string),
      Parameter("skip", default: .list([]), type: .list, "layers to leave as they are, e.g. a new head: [\"fc\"]"),
    ],
    summary:
      "Loads safetensors weights by name into a built model; every missing, extra or misshapen tensor is reported.",
    help:
      "Names are PyTorch's (conv1.weight, layer1.0.bn1.running_mean); F32, F16, BF16, F64 and integer tensors are read. A torchvision ResNet-18 saved with safetensors loads into resnet18(small: false): import_weights(net, \"resnet18.safetensors\", skip: [\"fc\"])."
  ) { args, context in
    guard case .layer(let model) = args["model"] else { return .none }
    let skip = try args.list("skip").map { item -> String in
      guard case .string(let name) = item else {
        throw AtelierError("import_weights: skip must be a list of layer names")
      }
      return name
    }
    let path = context.resolve(try args.string("path"))
    let nonFinite = try WeightExchange.importWeights(into: model, from: path, skipping: skip)
    warnOfNonFiniteValues(nonFinite, in: path, context)
    return .none
  },
]

/// Weights that are NaN or infinite load (a diverged run is worth inspecting), but never silently.
private func warnOfNonFiniteValues(_ names: [String], in path: String, _ context: CallContext) {
  guard !names.isEmpty else { return }
  let shown = names.prefix(4).joined(separator: ", ") + (names.count > 4 ? " and \(names.count - 4) more" : "")
  context.session.write(
    "warning: \(path) holds NaN or infinite values in \(shown): the run that saved it diverged?\n")
}
