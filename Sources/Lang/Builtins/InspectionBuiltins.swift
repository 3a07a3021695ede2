import Data
import Foundation
import NN
import Tensor

/// A model's input: a tensor as it is, one item of a dataset, or its first `n` images.
private func inputs(_ value: Value, _ builtin: String, first n: Int?) throws -> Tensor {
  switch value {
  case .tensor(let t): return t
  case .dataset(let d): return d.rows(0, min(n ?? d.count, d.count))
  case .record(let r):
    if let image = try itemImage(r) { return image }
  default: break
  }
  throw AtelierError("\(builtin): x must be images (a tensor or a dataset), not a \(value.typeName)")
}

/// `reshape [64, 7, 7]` is a layer; `reshape(t, [-1, 16, 5, 5])` reshapes a tensor, as
/// PyTorch has both nn.Unflatten and torch.reshape.
func tensorOrLayerReshape(_ layer: Builtin) -> Builtin {
  Builtin(
    "reshape", family: "layers",
    parameters: [
      Parameter("shape", type: .any, "per-sample shape of the layer (one entry may be -1), or a tensor"),
      Parameter("to", default: .none, type: .list, "with a tensor first: its new shape"),
    ],
    summary: "A layer reshaping each sample (reshape [64, 7, 7]), or a tensor reshaped: reshape(t, [2, -1]).",
    help: layer.help
  ) { args, context in
    guard case .tensor(let t) = args["shape"] else {
      guard !args.has("to") else { throw AtelierError("reshape: give a tensor and its new shape: reshape(t, [2, -1])") }
      return try layer.run(args, context)
    }
    guard args.has("to") else { throw AtelierError("reshape: give the tensor's new shape: reshape(t, [2, -1])") }
    return .tensor(try t.reshaped(try wholeNumbers(args["to"], "reshape", "to")))
  }
}

/// Helpers for looking inside a model and a tensor at the prompt.
let inspectionBuiltins: [Builtin] = [
  Builtin(
    "transpose", family: "math",
    parameters: [
      Parameter("tensor", type: .tensor),
      Parameter("axes", default: .none, type: .list, "the new order of the axes; reversed when left out"),
    ],
    summary: "The tensor with its axes reordered: transpose(x, [0, 2, 3, 1]) (PyTorch's permute).",
    help: "transpose(m) of a matrix is m.T; transpose(x) reverses every axis, as NumPy does."
  ) { args, _ in
    let t = try requireTensor(args["tensor"], "transpose", "tensor")
    let axes = args.has("axes") ? try wholeNumbers(args["axes"], "transpose", "axes") : Array((0..<t.rank).reversed())
    return .tensor(try t.permuted(axes))
  },
  Builtin(
    "filters", family: "analysis",
    parameters: [
      Parameter("model", type: .model), Parameter("layer", type: .string, "a conv layer's name, e.g. \"conv1\""),
    ],
    summary: "A conv layer's kernels as images [filters × channels, height, width]: plot(filters(net, \"conv1\")).",
    help: "Signed weights plot on a palette centred on zero; plot(…, scale: \"each\") stretches each kernel."
  ) { args, _ in
    let model = try requireModel(args["model"], "filters")
    let name = try args.string("layer")
    let found = model.allLayers.first { $0.name == name }
    guard let conv = found as? Conv2d, let weight = conv.weight else {
      let convs = model.allLayers.filter { $0 is Conv2d }.map(\.name)
      throw AtelierError(
        found == nil
          ? "filters: \(model.name) has no layer named '\(name)'" : "filters: \(name) is not a built conv layer",
        hint: convs.isEmpty ? "this model has no conv layers" : "its conv layers: " + convs.joined(separator: ", "))
    }
    return .tensor(try weight.reshaped([-1] + weight.shape.suffix(2)))
  },
  Builtin(
    "activations", family: "analysis",
    parameters: [
      Parameter("model", type: .model), Parameter("x", "images: a tensor, a dataset, or one item of a dataset"),
      Parameter("at", type: .string, "a layer name, e.g. \"relu1\""),
      Parameter("n", default: .number(8), whole: 1...Arguments.maxCount, "at most this many images of a dataset"),
    ],
    summary: "A layer's output for some images, its shape kept: [N, C, H, W] after a conv, plotted as maps.",
    help: "plot(activations(net, data.test[3], at: \"relu1\")) shows each channel's map; features() flattens."
  ) { args, _ in
    let model = try requireModel(args["model"], "activations")
    guard model.isBuilt else { throw AtelierError("activations: \(model.name) is not built yet", hint: "fit it first") }
    let x = try inputs(args["x"], "activations", first: try args.int("n"))
    let at = try args.string("at")
    return .tensor(try Tape.withoutRecording { try model.activations(x, at: at) })
  },
  Builtin(
    "misclassified", family: "analysis",
    parameters: [
      Parameter("model", type: .model), Parameter("data", type: .dataset),
      Parameter("n", default: .none, type: .number, whole: 1...Arguments.maxCount, "at most this many"),
    ],
    summary: "The images the model gets wrong, captioned \"true → predicted 0.83\" (the model's confidence).",
    help: "plot(misclassified(net, data.test, n: 16)) shows them; len() counts them; they are a dataset."
  ) { args, _ in
    let model = try requireModel(args["model"], "misclassified")
    let data = try requireDataset(args["data"], "misclassified", "data")
    let (probabilities, predicted) = try predict(model, on: data)
    let classes = probabilities.shape[1]
    var wrong = (0..<data.count).filter { predicted[$0] != data.labels[$0] }
    if let n = try args.optionalInt("n") { wrong = Array(wrong.prefix(n)) }
    let picked = try data.subset(wrong, name: "misclassified \(data.name)")
    picked.captions = wrong.map { i in
      let (truth, guess) = (Int(data.labels[i]), Int(predicted[i]))
      let name = { (k: Int) in k < data.classes.count ? data.classes[k] : String(k) }
      return String(
        format: "%@ → %@ %.2f", name(truth), name(guess), probabilities[flat: i * classes + guess])
    }
    return .dataset(picked)
  },
]
