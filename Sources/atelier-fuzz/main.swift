// Fuzzers run against the release build, as people run Atelier:
//   atelier-fuzz language [count]  generated and mutated programs, every builtin with random arguments
//   atelier-fuzz files [count]     mutated IDX, safetensors, .atlm and .atle files, read and then used
//   atelier-fuzz pool [count]      parallel loops of every piece count, checked element by element
//   atelier-fuzz messages [count]  mutated Jupyter messages, parsed, checked and answered
// Any crash, hang or memory overrun ends the process; the input it was working on is
// in `.fuzz-last-input` (written before each case) so that it can be replayed.
import Foundation

let arguments = CommandLine.arguments.dropFirst()
guard let mode = arguments.first else {
  FileHandle.standardError.write(Data("usage: atelier-fuzz language|files|pool|messages [count]\n".utf8))
  exit(2)
}
let count = arguments.dropFirst().first.flatMap { Int($0) }
let repository = FileManager.default.currentDirectoryPath
let watchdog = Watchdog(lastInputPath: repository + "/.fuzz-last-input", limit: 10)

let started = Date()
let failures: [String]
switch mode {
case "language": failures = LanguageFuzzer(repository: repository, watchdog: watchdog).run(count: count ?? 10_000)
case "files": failures = FileFuzzer(repository: repository, watchdog: watchdog).run(count: count ?? 3_000)
case "pool": failures = PoolStress.run(jobs: count ?? 100_000)
case "messages": failures = MessageFuzzer(watchdog: watchdog).run(count: count ?? 20_000)
default:
  FileHandle.standardError.write(Data("atelier-fuzz: unknown mode \(mode)\n".utf8))
  exit(2)
}
let seconds = Date().timeIntervalSince(started)
let peak = Watchdog.peakResidentBytes()
print(
  String(
    format: "atelier-fuzz %@: %.1f s, slowest case %.2f s, peak memory %@", mode, seconds, watchdog.slowest,
    formatBytes(peak)))
// Budget overruns: the fuzzers run under ATELIER_MEMORY_LIMIT, and what they hold besides
// the largest allocation allowed is small.
var problems = failures
if let limit = ProcessInfo.processInfo.environment["ATELIER_MEMORY_LIMIT"].flatMap(parseBytes),
  peak > limit + (512 << 20)
{
  problems.append("peak memory \(formatBytes(peak)) is over the limit of \(formatBytes(limit)) and 512 MB")
}
if !problems.isEmpty {
  for problem in problems.prefix(20) { print("FAIL: \(problem)") }
  print("\(problems.count) problems")
  exit(1)
}
try? FileManager.default.removeItem(atPath: watchdog.lastInputPath)
