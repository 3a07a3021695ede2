import Foundation

/// Renders training events: a live bar on a terminal, one line per epoch otherwise.
public final class ConsoleProgress {
  private let isTerminal: Bool
  private let write: (String) -> Void
  private var lastDraw = Date.distantPast

  public init(isTerminal: Bool, write: @escaping (String) -> Void) {
    self.isTerminal = isTerminal
    self.write = write
  }

  public func handle(_ event: TrainingEvent) {
    switch event {
    case .epochStarted:
      lastDraw = .distantPast
    case let .batchFinished(epoch, epochs, batch, batches, rate, loss, accuracy, elapsed):
      guard isTerminal, batch == batches || Date().timeIntervalSince(lastDraw) > 0.1 else { return }
      lastDraw = Date()
      let width = 24
      let filled = batches > 0 ? width * batch / batches : width
      let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
      let eta = batch > 0 ? elapsed / Double(batch) * Double(batches - batch) : 0
      write(
        "\r\u{1B}[2Kepoch \(epoch)/\(epochs) \(bar) \(batch)/\(batches)  \(Int(rate)) img/s  loss \(significant(loss))  acc \(fmt(accuracy, 4))  eta \(fmt(eta, 1))s"
      )
    case let .epochFinished(record, epochs):
      var line =
        "epoch \(record.epoch)/\(epochs)  loss \(significant(record.trainLoss))  acc \(fmt(record.trainAccuracy, 4))"
      if let loss = record.validationLoss, let acc = record.validationAccuracy {
        line += "  val_loss \(significant(loss))  val_acc \(fmt(acc, 4))"
      }
      line += "  \(fmt(record.seconds, 1))s"
      write((isTerminal ? "\r\u{1B}[2K" : "") + line + "\n")
    case let .stoppedEarly(epoch, bestEpoch, monitor):
      write("stopped early after epoch \(epoch): \(monitor) was best at epoch \(bestEpoch)\n")
    case let .checkpointFailed(_, reason):
      write((isTerminal ? "\r\u{1B}[2K" : "") + "warning: checkpoint not saved: \(reason); training goes on\n")
    case let .interrupted(epoch, batch):
      write(
        (isTerminal ? "\r\u{1B}[2K" : "") + "interrupted at epoch \(epoch), batch \(batch); weights and history kept\n")
    }
  }
}

func fmt(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

/// Losses to four significant digits, as every loss Atelier prints.
func significant(_ value: Double) -> String { String(format: "%.4g", value) }
