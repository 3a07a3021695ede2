import Foundation

let collectionBuiltins: [Builtin] = [
  Builtin(
    "len", family: "collections", parameters: [Parameter("value")],
    summary: "Number of items of a list, string, record, dataset or tensor rows."
  ) {
    args, _ in
    switch args["value"] {
    case .list(let items): return .number(Double(items.count))
    case .string(let s): return .number(Double(s.count))
    case .record(let r): return .number(Double(r.fields.count))
    case .dataset(let d): return .number(Double(d.count))
    case .tensor(let t): return .number(Double(t.shape.first ?? 1))
    default: throw AtelierError("len: a \(args["value"].typeName) has no length")
    }
  },
  Builtin(
    "range", family: "collections",
    parameters: [Parameter("start"), Parameter("stop", default: .none), Parameter("step", default: .number(1))],
    summary: "Whole numbers from start up to (not including) stop: range(3) is [0, 1, 2].",
    help: "range(n) counts 0..n-1, range(a, b) counts a..b-1, range(a, b, step) skips; `a..b` includes b."
  ) { args, _ in
    var start = try args.number("start"), stop = 0.0
    if args.has("stop") { stop = try args.number("stop") } else { swap(&start, &stop) }
    let step = try args.number("step")
    guard step != 0, start.isFinite, stop.isFinite else { throw AtelierError("range: step must not be zero") }
    guard abs((stop - start) / step) <= 10_000_000 else { throw AtelierError("range: too many numbers") }
    return .list(Array(stride(from: start, to: stop, by: step)).map { .number($0) })
  },
  Builtin(
    "sorted", family: "collections", parameters: [Parameter("items"), Parameter("by", default: .none)],
    summary: "A sorted copy of a list; by: a function giving each item's key."
  ) {
    args, context in
    let items = try args.list("items")
    let keys = try items.map { args.has("by") ? try context.call(args["by"], [$0]) : $0 }
    let order = try keys.indices.sorted { i, j in try lessThan(keys[i], keys[j]) }
    return .list(order.map { items[$0] })
  },
  Builtin("reversed", family: "collections", parameters: [Parameter("items")], summary: "A list in reverse order.") {
    args, _ in
    .list(try args.list("items").reversed())
  },
  Builtin(
    "zip", family: "collections", parameters: [Parameter("a"), Parameter("b")],
    summary: "Pairs of items: zip([1, 2], [\"a\", \"b\"]) is [[1, \"a\"], [2, \"b\"]]."
  ) {
    args, _ in
    .list(zip(try args.list("a"), try args.list("b")).map { .list([$0, $1]) })
  },
  Builtin(
    "enumerate", family: "collections", parameters: [Parameter("items")],
    summary: "Pairs [index, item]: for i, x in enumerate(xs) { … }."
  ) { args, _ in
    .list(try args.list("items").enumerated().map { .list([.number(Double($0.offset)), $0.element]) })
  },
  Builtin(
    "map", family: "collections", parameters: [Parameter("items"), Parameter("f")],
    summary: "Applies f to each item: xs | map((x) => x * 2)."
  ) {
    args, context in
    .list(try args.list("items").map { try context.call(args["f"], [$0]) })
  },
  Builtin(
    "filter", family: "collections", parameters: [Parameter("items"), Parameter("keep")],
    summary: "The items for which keep(item) is true."
  ) {
    args, context in
    .list(
      try args.list("items").filter {
        try context.session.truth(try context.call(args["keep"], [$0]), at: context.location)
      })
  },
  Builtin("keys", family: "collections", parameters: [Parameter("record")], summary: "A record's field names.") {
    args, _ in
    guard case .record(let r) = args["record"] else {
      throw AtelierError("keys: expected a record, not \(args["record"].typeName)")
    }
    return .list(r.names.map { .string($0) })
  },
  Builtin("values", family: "collections", parameters: [Parameter("record")], summary: "A record's field values.") {
    args, _ in
    guard case .record(let r) = args["record"] else {
      throw AtelierError("values: expected a record, not \(args["record"].typeName)")
    }
    return .list(r.fields.map(\.value))
  },
  Builtin(
    "append", family: "collections", parameters: [Parameter("items"), Parameter("item")],
    summary: "A new list with item added at the end."
  ) { args, _ in
    .list(try args.list("items") + [args["item"]])
  },
  Builtin(
    "join", family: "collections", parameters: [Parameter("items"), Parameter("separator", default: .string(" "))],
    summary: "Items as text joined by a separator."
  ) {
    args, _ in
    .string(try args.list("items").map(Printer.show).joined(separator: try args.string("separator")))
  },
  Builtin("argmax", family: "collections", parameters: [Parameter("values")], summary: "Index of the largest number.") {
    args, _ in
    let values = try numbers(args["values"], "argmax")
    guard let best = values.indices.max(by: { values[$0] < values[$1] }) else {
      throw AtelierError("argmax of nothing")
    }
    return .number(Double(best))
  },
]

/// Ordering for `sorted`: numbers and strings, each among their own kind.
func lessThan(_ a: Value, _ b: Value) throws -> Bool {
  switch (a, b) {
  case (.number(let x), .number(let y)): return x < y
  case (.string(let x), .string(let y)): return x < y
  case (.list(let x), .list(let y)):
    for (p, q) in zip(x, y) {
      if try lessThan(p, q) { return true }
      if try lessThan(q, p) { return false }
    }
    return x.count < y.count
  default: throw AtelierError("cannot order a \(a.typeName) and a \(b.typeName)")
  }
}
