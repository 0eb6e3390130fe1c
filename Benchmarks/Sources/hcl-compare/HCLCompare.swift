import Foundation
import NimbusHCL

/// Times NimbusHCL's parser on a list of files (one path per line on standard input, or the file named by
/// --files) and prints one JSON line: bytes, seconds and MB/s for the whole set, parsed --runs times.
@main
struct HCLCompare {
    static func main() throws {
        var runs = 20
        var listPath: String?
        var arguments = CommandLine.arguments.dropFirst().makeIterator()
        while let argument = arguments.next() {
            switch argument {
            case "--runs": runs = Int(arguments.next() ?? "") ?? runs
            case "--files": listPath = arguments.next()
            default:
                FileHandle.standardError.write(Data("unknown argument \(argument)\n".utf8))
                exit(2)
            }
        }
        let list = try listPath.map { try String(contentsOfFile: $0, encoding: .utf8) } ?? ""
        let paths = list.split(separator: "\n").map(String.init)
        let files = try paths.map { try [UInt8](Data(contentsOf: URL(fileURLWithPath: $0))) }
        let bytes = files.reduce(0) { $0 + $1.count }
        var errors = 0
        // One untimed pass: warms caches and checks every file parses.
        for file in files where HCLParser.parse(file).diagnostics.hasErrors { errors += 1 }
        let clock = ContinuousClock()
        var nodes = 0
        let cpuStart = cpuSeconds()
        let elapsed = clock.measure {
            for _ in 0..<runs {
                for file in files { nodes &+= HCLParser.parse(file).file.body.items.count }
            }
        }
        let cpu = cpuSeconds() - cpuStart
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let megabytes = Double(bytes * runs) / 1_000_000
        print(
            "{\"files\": \(files.count), \"bytes\": \(bytes), \"runs\": \(runs), \"seconds\": \(seconds), "
                + "\"cpu_seconds\": \(cpu), \"mb_per_s\": \(megabytes / seconds), \"cpu_mb_per_s\": \(megabytes / cpu), "
                + "\"errors\": \(errors), \"items\": \(nodes)}")
    }

    /// CPU time of this process: on a shared machine it measures the parser, not the neighbours.
    static func cpuSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
