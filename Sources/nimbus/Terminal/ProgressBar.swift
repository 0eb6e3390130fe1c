import Foundation
import NimbusAWS
import Synchronization

/// Transfer progress on standard error: a redrawn bar on a terminal, one plain line per finished file otherwise.
final class ProgressBar: Sendable {
    private let terminal: Bool
    private let quiet: Bool
    private let started = ContinuousClock.now
    private let drawn = Mutex(false)

    init(terminal: Bool, quiet: Bool) {
        self.terminal = terminal
        self.quiet = quiet
    }

    func update(_ progress: TransferProgress) {
        guard !quiet else { return }
        if terminal {
            let fraction = progress.bytesTotal > 0 ? Double(progress.bytesDone) / Double(progress.bytesTotal) : 1
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            let elapsed = Double((ContinuousClock.now - started).components.seconds) + 0.001
            let rate = Double(progress.bytesDone) / elapsed
            let line = String(
                format: "\r%@ %3.0f%%  %@ / %@  %d/%d files  %@/s ", bar, fraction * 100,
                ByteCount.text(progress.bytesDone), ByteCount.text(progress.bytesTotal), progress.filesDone,
                progress.filesTotal, ByteCount.text(Int(rate)))
            Console.draw(line)
            drawn.withLock { $0 = true }
        } else if let item = progress.finished {
            Console.progress(
                "\(item.kind.rawValue): \(item.source) → \(item.destination) (\(ByteCount.text(item.size))) [\(progress.filesDone)/\(progress.filesTotal)]"
            )
        }
    }

    func finish() {
        if drawn.withLock({ $0 }) { Console.draw("\n") }
    }
}
