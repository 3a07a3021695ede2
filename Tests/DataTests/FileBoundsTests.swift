import Foundation
import Tensor
import Testing

@testable import Data

/// Sizes read from a file someone sent are checked before they are trusted.
@Suite struct FileBoundsTests {
  @Test func idxDimensionsWhoseProductOverflowsAreRefused() throws {
    // 4 × 2^31 × 2^31 wraps a 64-bit product to 0: the old reader took it for an empty array.
    let path = try temporaryFile("overflow-idx", idxHeader(rank: 3, dims: [4, 0x8000_0000, 0x8000_0000]))
    let error = #expect(throws: DataError.self) { try IDXReader.read(path: path) }
    #expect(error?.problem.contains("memory limit") == true)
  }

  @Test func aGzipBombStopsAtWhatTheHeaderDeclares() throws {
    // Three bytes declared, then 64 MB of zeros that compress to almost nothing.
    let plain = try temporaryFile("bomb", idxHeader(rank: 1, dims: [3]) + [1, 2, 3])
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: plain))
    handle.seekToEndOfFile()
    handle.write(Data(count: 64 << 20))
    try handle.close()
    let gzip = Process()
    gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
    gzip.arguments = ["-f", plain]
    try gzip.run()
    gzip.waitUntilExit()
    let error = #expect(throws: DataError.self) { try IDXReader.read(path: plain + ".gz") }
    #expect(error?.problem.contains("more than 1048576 bytes past") == true)
  }

  @Test func atomicWritesReplaceALinkInsteadOfWritingThroughIt() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let victim = folder + "/victim.txt", target = folder + "/saved.csv"
    try "keep me".write(toFile: victim, atomically: false, encoding: .utf8)
    try FileManager.default.createSymbolicLink(atPath: target, withDestinationPath: victim)
    // A temporary left behind by a crashed write an hour ago.
    let stale = folder + "/.saved.csv" + AtomicFile.marker + "abc123"
    FileManager.default.createFile(atPath: stale, contents: Data("old".utf8))
    try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: stale)
    try AtomicFile.write("a,b\n", to: target)
    #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep me")
    #expect(try String(contentsOfFile: target, encoding: .utf8) == "a,b\n")
    #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: target)) == nil)
    #expect(!FileManager.default.fileExists(atPath: stale))
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["saved.csv", "victim.txt"])
  }

  @Test func memoryBudgetParsesSizesAndRefusesOverflow() throws {
    #expect(MemoryBudget.parse("512M") == 512 << 20 && MemoryBudget.parse("1.5G") == 3 << 29)
    #expect(MemoryBudget.parse("lots") == nil && MemoryBudget.parse("-1G") == nil)
    #expect(MemoryBudget.elementCount([4, 1 << 31, 1 << 31]) == nil)
    #expect(MemoryBudget.elementCount([2, 3, 0]) == 0)
    #expect(MemoryBudget.elementCount([1 << 40, 1 << 40]) == nil)
    #expect(throws: MemoryLimitError.self) { try MemoryBudget.check(shape: [1 << 40, 1 << 40], for: "x") }
    #expect(throws: TensorError.self) { try MemoryBudget.check(shape: [3, -1], for: "x") }
  }
}
