import NN
import Tensor

/// A layer kind's setting as a builtin parameter: counts and options are checked when
/// the call binds (and by the resolver when written literally); the rest by the kind.
private func parameter(_ setting: LayerSetting) -> Parameter {
  var type: ValueType = .any
  var whole: ClosedRange<Int>?
  var oneOf: [String]?
  switch setting.form {
  case .whole(let range): (type, whole) = (.number, range)
  case .number: type = .number
  case .flag: type = .bool
  case .choice(let options): (type, oneOf) = (.string, options)
  case .wholeOrChoice, .wholes: type = .any
  case .numbers, .layers: type = .list
  case .model: type = .model
  }
  if let value = setting.defaultValue {
    return Parameter(setting.name, default: value.languageValue, type: type, whole: whole, oneOf: oneOf, setting.help)
  }
  if setting.optional || setting.form.isLayers {
    return Parameter(setting.name, default: .none, type: type, whole: whole, oneOf: oneOf, setting.help)
  }
  return Parameter(setting.name, type: type, whole: whole, oneOf: oneOf, setting.help)
}

extension SettingForm {
  var isLayers: Bool { if case .layers = self { true } else { false } }
}

extension SettingValue {
  var languageValue: Value {
    switch self {
    case .number(let n): return .number(n)
    case .flag(let b): return .bool(b)
    case .text(let s): return .string(s)
    case .list(let items): return .list(items.map(\.languageValue))
    case .layer(let l): return .layer(l)
    }
  }
}

/// A notebook's value as a layer setting; its form is checked by the kind.
private func settingValue(_ value: Value, _ builtin: String, _ setting: LayerSetting) throws -> SettingValue {
  switch value {
  case .number(let n): return .number(n)
  case .bool(let b): return .flag(b)
  case .string(let s): return .text(s)
  case .list(let items): return .list(try items.map { try settingValue($0, builtin, setting) })
  case .layer(let l): return .layer(l)
  default:
    throw AtelierError("\(builtin): \(setting.name) must be \(setting.form.description), not a \(value.typeName)")
  }
}

/// The builtin that makes a layer of `kind`, from its one declaration.
private func layerBuiltin(_ kind: LayerKind) -> Builtin {
  Builtin(
    kind.builtin, family: "layers", parameters: kind.settings.map(parameter), acceptsBlock: kind.holdsLayers,
    summary: kind.summary, help: kind.help
  ) { args, context in
    var given: [String: SettingValue] = [:]
    for setting in kind.settings {
      let value = setting.form.isLayers ? args.block.map(Value.list) ?? args[setting.name] : args[setting.name]
      if !value.isNone { given[setting.name] = try settingValue(value, kind.builtin, setting) }
    }
    return .layer(try kind.make(given, rng: context.session.rng))
  }
}

/// A list of whole numbers, such as a shape.
func wholeNumbers(_ value: Value, _ builtin: String, _ parameter: String) throws -> [Int] {
  let items: [Value]
  if case .list(let list) = value { items = list } else { items = [value] }
  return try items.map { item in
    guard case .number(let n) = item, n.rounded() == n, abs(n) < 1e9 else {
      throw AtelierError("\(builtin): \(parameter) must be whole numbers, such as [1, 28, 28]")
    }
    return Int(n)
  }
}

let layerBuiltins: [Builtin] =
  LayerKinds.all.map { $0.kind == "reshape" ? tensorOrLayerReshape(layerBuiltin($0)) : layerBuiltin($0) } + [
    Builtin(
      "named", family: "layers", parameters: [Parameter("layer", type: .layer), Parameter("name", type: .string)],
      summary: "The layer, named as `as` names it in a block: named(dense(10), \"fc\").",
      help:
        "For layers made in code rather than in a { … } block; the name is the layer's path in summaries, features(at:) and weight files."
    ) { args, _ in
      guard case .layer(let layer) = args["layer"] else { throw AtelierError("named: layer must be a layer") }
      let name = try args.string("name")
      guard !name.isEmpty, !name.contains("."), !name.contains(where: \.isWhitespace) else {
        throw AtelierError("named: a layer name needs at least one character and no dots or spaces, not \"\(name)\"")
      }
      layer.setExplicitName(name)
      return .layer(layer)
    }
  ]
