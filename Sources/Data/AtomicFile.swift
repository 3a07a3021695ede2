import Foundation

/// Whole-file writes that never leave half a file and never write through a link.
///
/// The bytes go to a temporary file created exclusively (`mkstemp`: a fresh random
/// name, `O_CREAT | O_EXCL`, so a link planted under a predictable name is never
/// followed) in the target's own folder, then are renamed over the target in one step.
/// Temporaries a crashed write left behind are removed on the next write.
public enum AtomicFile {
  static let marker = ".atelier-tmp-"
  /// A temporary this old belongs to no write still running.
  static let staleAfter: TimeInterval = 3600

  public static func write(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let folder = url.deletingLastPathComponent()
    do {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    } catch {
      throw DataError(path: path, problem: "cannot be written: its folder cannot be created (\(reason(error)))")
    }
    removeStaleTemporaries(in: folder.path, for: url.lastPathComponent)
    var template = Array((folder.path + "/." + url.lastPathComponent + marker + "XXXXXX").utf8CString)
    let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard descriptor >= 0 else { throw failure(path) }
    let temporary = String(cString: template)
    var written = false
    defer { if !written { unlink(temporary) } }
    let complete = data.withUnsafeBytes { raw -> Bool in
      var offset = 0
      while offset < raw.count {
        let n = Foundation.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return false }
        offset += n
      }
      return true
    }
    let synced = complete && fsync(descriptor) == 0
    let error = errno
    close(descriptor)
    guard synced else { throw failure(path, error) }
    // Readable as a normal file would be (mkstemp creates it 0600), less the user's umask.
    let mask = umask(0)
    umask(mask)
    chmod(temporary, 0o666 & ~mask)
    guard rename(temporary, path) == 0 else { throw failure(path) }
    written = true
  }

  public static func write(_ text: String, to path: String) throws {
    try write(Data(text.utf8), to: path)
  }

  static func removeStaleTemporaries(in folder: String, for name: String) {
    let prefix = "." + name + marker
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
    for candidate in names where candidate.hasPrefix(prefix) {
      let path = folder + "/" + candidate
      var info = stat()
      guard lstat(path, &info) == 0 else { continue }
      let age = Date().timeIntervalSince1970 - TimeInterval(info.st_mtim.tv_sec)
      if age > staleAfter { unlink(path) }
    }
  }

  static func failure(_ path: String, _ code: Int32 = errno) -> DataError {
    let hint = code == ENOSPC ? "the disk is full: free some space and save again" : nil
    return DataError(path: path, problem: "cannot be written (\(String(cString: strerror(code))))", hint: hint)
  }

  static func reason(_ error: Error) -> String { (error as NSError).localizedDescription }
}
