import Crypto
import Data
import Foundation

/// What a cached statement did: the values it left in its names, what it printed, the
/// figures it wrote and the generator after it.
struct CacheEntry: Codable {
  /// Part of every key, raised when the form of a kept value changes (2: embeddings as
  /// `.atle` bytes): entries of an older form are never looked up, so never misread, and
  /// age out.
  static let form = 2

  /// The statement, for `:cache`.
  var source: String
  var values: [String: CachedValue]
  var order: [String]
  /// Each value's digest when it was stored.
  var digests: [String: String]
  /// The models among the values that were in training mode (`train_mode`).
  var training: [String]
  var output: String
  /// Figures by the path the statement wrote them to, with their bytes.
  var files: [String: Data]
  /// Figures numbered by the statement (`plot` without `to:`), so later ones keep their numbers.
  var figures: Int
  var generator: [UInt64]
  var seconds: Double
}

/// The replay cache: one file per entry, named by the statement's key, holding the
/// entry and its SHA-256. Writes are atomic (a temporary file renamed), so two replays
/// at once never see half an entry; a damaged entry is reported, removed and computed
/// again; past the size limit the least recently used entries go.
public final class ReplayCache {
  public let folder: String
  public let sizeLimit: Int
  /// Statements that take less than this run every time.
  public let threshold: Double
  /// Whether hits are ignored (`--refresh`): everything runs and is stored again.
  public let refresh: Bool
  var warn: (String) -> Void = { StandardLibrary.warnOnStandardError($0) }
  private var writeFailed = false

  public init(folder: String, sizeLimit: Int = 2 << 30, threshold: Double = 2, refresh: Bool = false) {
    self.folder = folder
    self.sizeLimit = sizeLimit
    self.threshold = threshold
    self.refresh = refresh
  }

  /// `$ATELIER_CACHE`, else `.atelier-cache/` beside the notebook.
  public static func defaultFolder(
    for notebook: String, environment: [String: String] = ProcessInfo.processInfo.environment
  )
    -> String
  {
    environment["ATELIER_CACHE"]
      ?? URL(fileURLWithPath: notebook).standardizedFileURL.deletingLastPathComponent().appendingPathComponent(
        ".atelier-cache"
      ).path
  }

  func path(_ key: String) -> String { folder + "/" + key + ".entry" }

  func read(_ key: String) -> CacheEntry? {
    guard !refresh, let data = FileManager.default.contents(atPath: path(key)) else { return nil }
    // The first 64 bytes are the hex SHA-256 of the rest.
    let body = data.dropFirst(64)
    let digest = SHA256.hash(data: body).hex
    guard data.count > 64, String(decoding: data.prefix(64), as: UTF8.self) == digest,
      let entry = try? PropertyListDecoder().decode(CacheEntry.self, from: Data(body))
    else {
      warn("warning: the cache entry \(path(key)) is damaged; it is removed and the statement runs")
      try? FileManager.default.removeItem(atPath: path(key))
      return nil
    }
    // Used now: the last to be evicted.
    try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: path(key))
    return entry
  }

  func write(_ entry: CacheEntry, key: String) {
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      ignoreInGit()
      let encoder = PropertyListEncoder()
      encoder.outputFormat = .binary
      let body = try encoder.encode(entry)
      let digest = SHA256.hash(data: body).hex
      try AtomicFile.write(Data(digest.utf8) + body, to: path(key))
      evict()
    } catch {
      // Said once: a folder that cannot be written (an installed notebook's) fails every time.
      guard !writeFailed else { return }
      writeFailed = true
      warn(
        "warning: the replay cache in \(folder) cannot be written (\(error.localizedDescription)); the replay goes on"
          + " without it (ATELIER_CACHE chooses another folder)")
    }
  }

  /// A cache folder inside a repository ignores itself.
  private func ignoreInGit() {
    let ignore = folder + "/.gitignore"
    if !FileManager.default.fileExists(atPath: ignore) { try? AtomicFile.write("*\n", to: ignore) }
  }

  public struct Listing {
    public var entries: Int
    public var bytes: Int
    /// Each entry's statement (its first line), size and the seconds it saves, most recently used first.
    public var statements: [(source: String, bytes: Int, seconds: Double)]
  }

  public func listing() -> Listing {
    let entries = files().sorted { $0.used > $1.used }
    let statements = entries.map { file -> (String, Int, Double) in
      let entry = FileManager.default.contents(atPath: file.path).flatMap {
        try? PropertyListDecoder().decode(CacheEntry.self, from: Data($0.dropFirst(64)))
      }
      let first = entry?.source.split(separator: "\n").first.map(String.init) ?? "(unreadable)"
      return (first, file.size, entry?.seconds ?? 0)
    }
    return Listing(entries: entries.count, bytes: entries.reduce(0) { $0 + $1.size }, statements: statements)
  }

  public func clear() {
    for entry in files() { try? FileManager.default.removeItem(atPath: entry.path) }
  }

  private func files() -> [(path: String, size: Int, used: Date)] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    return names.filter { $0.hasSuffix(".entry") }.compactMap { name in
      let path = folder + "/" + name
      guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
      return (path, (attributes[.size] as? Int) ?? 0, (attributes[.modificationDate] as? Date) ?? .distantPast)
    }
  }

  private func evict() {
    var entries = files().sorted { $0.used < $1.used }
    var total = entries.reduce(0) { $0 + $1.size }
    while total > sizeLimit, !entries.isEmpty {
      let oldest = entries.removeFirst()
      try? FileManager.default.removeItem(atPath: oldest.path)
      total -= oldest.size
    }
  }
}
