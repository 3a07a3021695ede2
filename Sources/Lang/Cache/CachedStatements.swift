import CKernel
import Crypto
import Foundation
import NN
import Tensor

/// The replay cache as a replay uses it: the key of a statement before it runs, what
/// it left behind after, and putting that back on a hit.
final class CachedStatements {
  let cache: ReplayCache
  let interpreter: Interpreter
  private let digests = ValueDigests()

  init(cache: ReplayCache, interpreter: Interpreter) {
    self.cache = cache
    self.interpreter = interpreter
  }

  struct Key {
    let key: String
    let source: String
    let writes: [String]
    let figuresBefore: Int
  }

  /// The statement's key: its text, the content of every name it reads, the settings,
  /// the generator, where its figures go, Atelier's version and the thread count. Nil
  /// when the statement is not one the cache can keep.
  func key(for statement: Stmt, source: String) -> Key? {
    let interpreter = self.interpreter
    guard
      let scope = StatementScope(
        statement,
        isUserFunction: { name in
          if case .function(let f)? = interpreter.variable(name) { return !StandardLibrary.isLibrary(f) }
          return false
        },
        isLayer: { name in
          if case .layer? = interpreter.variable(name) { return true }
          return false
        })
    else { return nil }
    var h = SHA256()
    func add(_ text: String) { h.update(data: Data((text + "\u{0}").utf8)) }
    add("atelier \(AtelierVersion.number) entries \(CacheEntry.form) threads \(atl_threads())")
    add(source.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n"))
    for (name, value) in interpreter.settings.sorted(by: { $0.key < $1.key }) {
      add("set \(name)=\((try? digests.digest(value)).flatMap { $0 } ?? Printer.inline(value))")
    }
    add("generator \(interpreter.rng.words)")
    // Where a figure goes and its number matter only to a statement that draws one.
    if scope.mayDraw {
      add("figures \(interpreter.figureCount) in \(interpreter.outputDirectory ?? "")")
    }
    for name in scope.reads.sorted() {
      guard let value = interpreter.variable(name) else {
        add("\(name) undefined")
        continue
      }
      guard let digest = try? digests.digest(value) else { return nil }
      add("\(name) \(digest)")
    }
    var writes: [String] = []
    for name in scope.writes where !writes.contains(name) { writes.append(name) }
    // A restored value is a new object: one that other names also hold would part from them.
    let changed = writes.compactMap { interpreter.variable($0).flatMap(ValueDigests.identity) }
    if !changed.isEmpty, aliased(changed, apartFrom: Set(writes)) { return nil }
    return Key(
      key: h.finalize().hex, source: source, writes: writes,
      figuresBefore: interpreter.figureCount)
  }

  /// Whether a global other than `names` holds one of the objects, or a part of one (a
  /// layer inside a model, a value inside a list or record).
  private func aliased(_ objects: [AnyObject], apartFrom names: Set<String>) -> Bool {
    var wanted = Set<ObjectIdentifier>()
    for object in objects {
      if let layer = object as? Layer { CachedStatements.collect(.layer(layer), into: &wanted) }
      wanted.insert(ObjectIdentifier(object))
    }
    var elsewhere = Set<ObjectIdentifier>()
    for (name, value) in interpreter.globals where !names.contains(name) {
      CachedStatements.collect(value, into: &elsewhere)
    }
    return !wanted.isDisjoint(with: elsewhere)
  }

  /// Every object a value holds: models and each layer in them, histories, tensors,
  /// embeddings' points, through lists and records.
  static func collect(_ value: Value, into set: inout Set<ObjectIdentifier>, depth: Int = 0) {
    guard depth < 32 else { return }
    switch value {
    case .layer(let layer): for part in layer.allLayers { set.insert(ObjectIdentifier(part)) }
    case .list(let items): for item in items { collect(item, into: &set, depth: depth + 1) }
    case .record(let r): for field in r.fields { collect(field.value, into: &set, depth: depth + 1) }
    default: if let object = ValueDigests.identity(value) { set.insert(ObjectIdentifier(object)) }
    }
  }

  /// After a statement ran: keeps what it left, unless a value cannot be kept.
  func store(_ key: Key, output: String, files: [String], seconds: Double) {
    // After the run too: a written list or record may hold what another name holds.
    var written = Set<ObjectIdentifier>()
    for name in key.writes { interpreter.variable(name).map { CachedStatements.collect($0, into: &written) } }
    var elsewhere = Set<ObjectIdentifier>()
    for (name, value) in interpreter.globals where !key.writes.contains(name) {
      CachedStatements.collect(value, into: &elsewhere)
    }
    guard written.isDisjoint(with: elsewhere) else { return }
    var values: [String: CachedValue] = [:]
    var digested: [String: String] = [:]
    for name in key.writes {
      guard let value = interpreter.variable(name), let kept = try? CachedValue(value) else { return }
      values[name] = kept
      if let digest = try? digests.objectDigest(value) { digested[name] = digest }
    }
    var contents: [String: Data] = [:]
    for file in files {
      guard let data = FileManager.default.contents(atPath: file) else { return }
      contents[file] = data
    }
    cache.write(
      CacheEntry(
        source: key.source, values: values, order: key.writes, digests: digested,
        training: key.writes.filter { name in
          if case .layer(let layer)? = interpreter.variable(name) { return interpreter.trainingModels[layer] ?? false }
          return false
        }, output: output, files: contents,
        figures: interpreter.figureCount - key.figuresBefore, generator: interpreter.rng.words, seconds: seconds),
      key: key.key)
  }

  /// The objects a statement about to run may change: those its written names hold
  /// (nil when it cannot say). Their remembered digests are dropped after it ran.
  func touched(by key: Key?) -> [AnyObject]? {
    key.map { $0.writes.compactMap { interpreter.variable($0).flatMap(ValueDigests.identity) } }
  }

  func ran(touching objects: [AnyObject]?) { digests.forget(objects) }

  /// Puts a cached statement's effects back; nil on a miss.
  func restore(_ key: String) throws -> CacheEntry? {
    guard let entry = cache.read(key) else { return nil }
    // Figures go back only where this replay writes (a shared cache is not trusted further).
    let here = [interpreter.outputDirectory, FileManager.default.currentDirectoryPath].compactMap { $0 }
      .map { URL(fileURLWithPath: $0).standardizedFileURL.path + "/" }
    for path in entry.files.keys {
      let full = URL(fileURLWithPath: path).standardizedFileURL.path
      guard !path.contains(".."), here.contains(where: { full.hasPrefix($0) }) else { return nil }
    }
    var restored: [(String, Value)] = []
    do {
      for name in entry.order {
        guard let kept = entry.values[name] else { return nil }
        restored.append((name, try kept.value))
      }
    } catch {
      cache.warn("warning: a cache entry could not be read back (\(error)); the statement runs")
      return nil
    }
    for (name, value) in restored {
      interpreter.define(name, value)
      if entry.training.contains(name), case .layer(let layer) = value { interpreter.trainingModels[layer] = true }
      if let digest = entry.digests[name] { digests.remember(value, as: digest) }
    }
    for (path, data) in entry.files.sorted(by: { $0.key < $1.key }) {
      try FileManager.default.createDirectory(
        at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
      try data.write(to: URL(fileURLWithPath: path))
      interpreter.recordProducedFile(path)
    }
    interpreter.figureCount += entry.figures
    interpreter.rng.words = entry.generator
    return entry
  }
}
