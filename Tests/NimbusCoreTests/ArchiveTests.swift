import Foundation
import NimbusCore
import Testing

@Suite("Archives")
struct ArchiveTests {
    static let modified = Date(timeIntervalSince1970: 1_700_000_000)

    /// A megabyte that does not compress, so zip stores it and deflate's output runs over many chunks.
    static let random: [UInt8] = {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8]()
        bytes.reserveCapacity(1 << 20)
        for _ in 0..<(1 << 17) { withUnsafeBytes(of: generator.next() as UInt64) { bytes += $0 } }
        return bytes
    }()

    /// Text that deflate shrinks, so zip deflates it.
    static let variables = (1...60).map { "variable \"setting_\($0)\" {\n  type    = string\n  default = null\n}\n" }
        .joined(separator: "\n")

    /// A generated module's files: nested folders, a script, a private file with a non-ASCII name, an empty file.
    static let module: [ArchiveEntry] = [
        ArchiveEntry(path: "main.tf", text: "resource \"aws_s3_bucket\" \"this\" {}\n", modified: modified),
        ArchiveEntry(path: "variables.tf", text: variables, modified: modified),
        ArchiveEntry(
            path: "examples/complete/main.tf", text: "module \"bucket\" {\n  source = \"../..\"\n}\n",
            modified: modified),
        ArchiveEntry(
            path: "scripts/check.sh", text: "#!/bin/sh\nterraform validate\n", mode: 0o755, modified: modified),
        ArchiveEntry(path: "docs/naïve café.md", text: "# Café\n", mode: 0o600, modified: modified),
        ArchiveEntry(path: "empty.txt", bytes: [], modified: modified),
        ArchiveEntry(path: "random.bin", bytes: random, modified: modified),
    ]

    /// What the archive of `module` under `s3-bucket` holds, in order: each folder before what it holds.
    static let expectedNames = [
        "s3-bucket", "s3-bucket/main.tf", "s3-bucket/variables.tf", "s3-bucket/examples", "s3-bucket/examples/complete",
        "s3-bucket/examples/complete/main.tf", "s3-bucket/scripts", "s3-bucket/scripts/check.sh", "s3-bucket/docs",
        "s3-bucket/docs/naïve café.md", "s3-bucket/empty.txt", "s3-bucket/random.bin",
    ]

    // MARK: tar.gz

    @Test("a .tar.gz reads back in Python's tarfile: folders first, names, contents, modes, times, safe to unpack")
    func tarRoundTrip() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let file = try scratch.write(Archive.tarGzip(Self.module, root: "s3-bucket/"), as: "module.tar.gz")
        let unpacked = scratch.url.appendingPathComponent("unpacked")
        let members: [Member] = try await Self.python(Self.readTar, [file.path, unpacked.path])
        #expect(members.map(\.name) == Self.expectedNames)
        for member in members {
            #expect(member.mtime == 1_700_000_000, "\(member.name)")
            #expect(member.uid == 0, "\(member.name)")
            if let entry = Self.module.first(where: { "s3-bucket/" + $0.path == member.name }) {
                #expect(member.kind == "file", "\(member.name)")
                #expect(member.mode == Int(entry.mode), "\(member.name)")
                #expect(member.bytes == entry.bytes, "\(member.name)")
            } else {
                #expect(member.kind == "dir", "\(member.name)")
                #expect(member.mode == 0o755, "\(member.name)")
            }
        }
        // Python's 'data' filter refuses members that would land outside the folder; it unpacked them all.
        let randomFile = unpacked.appendingPathComponent("s3-bucket/random.bin")
        #expect(try Array(Data(contentsOf: randomFile)) == Self.random)
    }

    @Test("the tar is ustar: magic and version in every header, 512-byte blocks, two zero blocks, gzipped exactly")
    func tarLayout() throws {
        let tar = try Archive.tar(Self.module, root: "s3-bucket")
        #expect(tar.count % 512 == 0)
        #expect(tar.suffix(1024).allSatisfy { $0 == 0 })
        var offset = 0
        var headers = 0
        while offset < tar.count - 1024 {
            let header = Array(tar[offset..<(offset + 512)])
            #expect(Array(header[257..<265]) == Array("ustar\u{0}00".utf8))
            var summed = header
            summed.replaceSubrange(148..<156, with: Array("        ".utf8))
            let stored = Int(String(decoding: header[148..<154], as: UTF8.self), radix: 8)
            #expect(stored == summed.reduce(0) { $0 + Int($1) })
            let size = try #require(Int(String(decoding: header[124..<135], as: UTF8.self), radix: 8))
            offset += 512 + (size + 511) / 512 * 512
            headers += 1
        }
        #expect(headers == Self.expectedNames.count)
        let gzipped = try Archive.tarGzip(Self.module, root: "s3-bucket")
        #expect(Array(gzipped.prefix(3)) == [0x1f, 0x8b, 8])
        #expect(try Gzip.decompress(gzipped) == tar)
        // Equal files give equal bytes: the gzip header carries no time.
        #expect(try Archive.tarGzip(Self.module, root: "s3-bucket") == gzipped)
    }

    @Test(
        "gzip -t and GNU tar accept the .tar.gz, and tar unpacks the same files with their modes",
        .enabled(if: ArchiveTests.tool("tar") != nil && ArchiveTests.tool("gzip") != nil))
    func tarThroughTools() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let file = try scratch.write(Archive.tarGzip(Self.module, root: "s3-bucket"), as: "module.tar.gz")
        let test = try await ChildProcess.run(try #require(Self.tool("gzip")), ["-t", file.path])
        #expect(test.status == 0, "\(test.errorText)")
        let unpack = try await ChildProcess.run(
            try #require(Self.tool("tar")), ["-xzf", file.path, "-C", scratch.url.path])
        #expect(unpack.status == 0)
        #expect(unpack.errorText == "", "tar warned")
        for entry in Self.module {
            let url = scratch.url.appendingPathComponent("s3-bucket/" + entry.path)
            #expect(try Array(Data(contentsOf: url)) == entry.bytes, "\(entry.path)")
            let mode = try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int
            #expect(mode == Int(entry.mode), "\(entry.path)")
        }
    }

    @Test("a path over 100 bytes is split into ustar's prefix and name, folders too; one that cannot split is refused")
    func longTarPaths() async throws {
        let long =
            "modules/" + String(repeating: "a", count: 60) + "/" + String(repeating: "b", count: 60) + "/"
            + String(repeating: "c", count: 60) + ".tf"
        #expect(long.utf8.count > 100)
        let scratch = try Scratch()
        defer { scratch.remove() }
        let entry = ArchiveEntry(path: long, text: "# deep\n", modified: Self.modified)
        let file = try scratch.write(Archive.tarGzip([entry]), as: "long.tar.gz")
        let members: [Member] = try await Self.python(
            Self.readTar, [file.path, scratch.url.appendingPathComponent("x").path])
        let folder = "modules/" + String(repeating: "a", count: 60) + "/" + String(repeating: "b", count: 60)
        #expect(members.map(\.name) == ["modules", "modules/" + String(repeating: "a", count: 60), folder, long])
        #expect(members.last?.bytes == Array("# deep\n".utf8))

        // A name of more than 100 bytes has no '/' to split at; a path of 300 has no split that fits.
        for path in [
            String(repeating: "n", count: 101) + ".tf", (1...30).map { _ in "folder789" }.joined(separator: "/"),
        ] {
            let error = #expect(throws: ArchiveError.self) {
                try Archive.tarGzip([ArchiveEntry(path: path, bytes: [])])
            }
            #expect(error?.code == .pathTooLong)
            #expect(error?.errorCode.rawValue == "archive.path_too_long")
        }
        // Zip has no such limit.
        let name = String(repeating: "n", count: 101) + ".tf"
        let zipFile = try scratch.write(Archive.zip([ArchiveEntry(path: name, bytes: [1, 2])]), as: "long.zip")
        let zip: ZipListing = try await Self.python(Self.readZip, [zipFile.path])
        #expect(zip.members.map(\.name) == [name])
    }

    @Test("file modes keep only their permission bits")
    func setuidDropped() throws {
        let tar = try Archive.tar([ArchiveEntry(path: "run.sh", bytes: [], mode: 0o4755)])
        #expect(String(decoding: tar[100..<107], as: UTF8.self) == "0000755")
    }

    // MARK: zip

    @Test("a .zip reads back in Python's zipfile: CRCs pass, names in UTF-8, contents, Unix modes, DOS times")
    func zipRoundTrip() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let file = try scratch.write(Archive.zip(Self.module, root: "s3-bucket"), as: "module.zip")
        let listing: ZipListing = try await Self.python(Self.readZip, [file.path])
        #expect(listing.bad == nil)
        let files = Set(Self.module.map { "s3-bucket/" + $0.path })
        // Zip names a folder with a '/' at the end.
        #expect(listing.members.map(\.name) == Self.expectedNames.map { files.contains($0) ? $0 : $0 + "/" })
        let local = Calendar(identifier: .gregorian).dateComponents(in: .current, from: Self.modified)
        let dosTime = [local.year!, local.month!, local.day!, local.hour!, local.minute!, local.second! / 2 * 2]
        for member in listing.members {
            #expect(member.utf8 == true, "\(member.name)")
            #expect(member.dateTime == dosTime, "\(member.name)")
            if let entry = Self.module.first(where: { "s3-bucket/" + $0.path == member.name }) {
                #expect(member.mode == 0o100000 | Int(entry.mode), "\(member.name)")
                #expect(member.bytes == entry.bytes, "\(member.name)")
            } else {
                #expect(member.mode == 0o040755, "\(member.name)")
                #expect(member.bytes.isEmpty)
            }
        }
        let methods = Dictionary(uniqueKeysWithValues: listing.members.map { ($0.name, $0.method) })
        #expect(methods["s3-bucket/variables.tf"] == 8, "text is deflated")
        #expect(methods["s3-bucket/random.bin"] == 0, "what deflate cannot shrink is stored")
        #expect(methods["s3-bucket/empty.txt"] == 0)
    }

    @Test(
        "unzip -t finds no errors, and unzip restores contents, modes and exact times",
        .enabled(if: ArchiveTests.tool("unzip") != nil))
    func zipThroughUnzip() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let file = try scratch.write(Archive.zip(Self.module, root: "s3-bucket"), as: "module.zip")
        let unzip = try #require(Self.tool("unzip"))
        let test = try await ChildProcess.run(unzip, ["-t", file.path])
        #expect(test.status == 0, "\(test.outputText)")
        #expect(test.outputText.contains("No errors detected"))
        let unpack = try await ChildProcess.run(unzip, ["-q", file.path, "-d", scratch.url.path])
        #expect(unpack.status == 0, "\(unpack.outputText)\(unpack.errorText)")
        for entry in Self.module {
            let url = scratch.url.appendingPathComponent("s3-bucket/" + entry.path)
            #expect(try Array(Data(contentsOf: url)) == entry.bytes, "\(entry.path)")
            let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
            #expect(attributes[.posixPermissions] as? Int == Int(entry.mode), "\(entry.path)")
            #expect(attributes[.modificationDate] as? Date == Self.modified, "\(entry.path)")
        }
    }

    @Test("an archive of nothing is an empty zip and a tar of two zero blocks")
    func nothing() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let listing: ZipListing = try await Self.python(
            Self.readZip, [try scratch.write(Archive.zip([]), as: "e.zip").path])
        #expect(listing.bad == nil && listing.members.isEmpty)
        #expect(try Archive.tar([]) == [UInt8](repeating: 0, count: 1024))
    }

    // MARK: refusals

    @Test(
        "paths that are empty, absolute, climb out, hold NUL or could be read differently are refused",
        arguments: [
            "", "/etc/passwd", "../outside.tf", "modules/../../outside.tf", "modules/..", "..", "a\u{0}b.tf", "a//b.tf",
            "modules/", "./main.tf", "modules/./main.tf", "..\\outside.tf", "C:/Windows/main.tf", "c:main.tf",
            // A combining mark joins the '/' into one Character; unpacking tools still see '..' then '/'.
            "../\u{301}outside.tf",
        ])
    func badPaths(path: String) {
        let entries = [ArchiveEntry(path: path, text: "x")]
        let tarError = #expect(throws: ArchiveError.self) { try Archive.tarGzip(entries) }
        #expect(tarError?.code == .badPath)
        #expect(tarError?.errorCode.rawValue == "archive.bad_path")
        let zipError = #expect(throws: ArchiveError.self) { try Archive.zip(entries, root: "module") }
        #expect(zipError?.code == .badPath)
    }

    @Test("a root folder that climbs out or is absolute is refused", arguments: ["../up", "/tmp/module", "", "a/../b"])
    func badRoots(root: String) {
        let error = #expect(throws: ArchiveError.self) { try Archive.zip(Self.module, root: root) }
        #expect(error?.code == .badPath)
        #expect(error?.message.contains("root folder") == true)
        let tarError = #expect(throws: ArchiveError.self) { try Archive.tar(Self.module, root: root) }
        #expect(tarError?.code == .badPath)
    }

    @Test(
        "a path given twice, or used as both a file and a folder, is refused",
        arguments: [
            ["main.tf", "main.tf"], ["modules", "modules/main.tf"], ["modules/main.tf", "modules"],
            ["café.tf", "cafe\u{301}.tf"],
        ])
    func duplicates(paths: [String]) {
        let entries = paths.map { ArchiveEntry(path: $0, text: "x") }
        let tarError = #expect(throws: ArchiveError.self) { try Archive.tarGzip(entries) }
        #expect(tarError?.code == .duplicatePath)
        let zipError = #expect(throws: ArchiveError.self) { try Archive.zip(entries) }
        #expect(zipError?.code == .duplicatePath)
        #expect(zipError?.errorCode.rawValue == "archive.duplicate_path")
    }

    // MARK: gzip and CRC-32

    @Test("Gzip.compress round-trips at every level, and gzip -t accepts it", arguments: [0, 1, 6, 9] as [Int32])
    func gzipRoundTrip(level: Int32) async throws {
        let text = Array(Self.variables.utf8)
        for input in [[], text, Self.random] {
            #expect(try Gzip.decompress(Gzip.compress(input, level: level)) == input)
        }
        if level == 9 { #expect(Gzip.compress(text, level: 9).count < Gzip.compress(text, level: 0).count / 4) }
        guard let gzip = Self.tool("gzip") else { return }
        let scratch = try Scratch()
        defer { scratch.remove() }
        let file = try scratch.write(Gzip.compress(Self.random, level: level), as: "random.gz")
        let test = try await ChildProcess.run(gzip, ["-t", file.path])
        #expect(test.status == 0, "\(test.errorText)")
    }

    @Test("CRC-32 gives the standard check value and continues across pieces")
    func crc32() {
        #expect(Gzip.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(Gzip.crc32([]) == 0)
        let whole = Gzip.crc32(Self.random)
        #expect(Gzip.crc32(Array(Self.random[1000...]), continuing: Gzip.crc32(Array(Self.random[..<1000]))) == whole)
    }

    // MARK: helpers

    /// A member as Python's tarfile or zipfile reads it.
    struct Member: Decodable {
        let name: String
        let kind: String?
        let mode: Int
        let data: String
        let mtime: Int?
        let uid: Int?
        let utf8: Bool?
        let method: Int?
        let dateTime: [Int]?

        var bytes: [UInt8] { Array(Data(base64Encoded: data) ?? Data("not base64".utf8)) }
    }

    struct ZipListing: Decodable {
        /// The first member whose CRC or data is bad, from `testzip()`.
        let bad: String?
        let members: [Member]
    }

    static let readTar = """
        import base64, json, sys, tarfile
        members = []
        with tarfile.open(sys.argv[1], 'r:gz') as archive:
            for m in archive.getmembers():
                data = archive.extractfile(m).read() if m.isfile() else b''
                kind = 'dir' if m.isdir() else 'file' if m.isfile() else 'other'
                members.append({'name': m.name, 'kind': kind, 'mode': m.mode, 'mtime': m.mtime, 'uid': m.uid,
                                'data': base64.b64encode(data).decode()})
            archive.extractall(sys.argv[2], filter='data')
        print(json.dumps(members))
        """

    static let readZip = """
        import base64, json, sys, zipfile
        with zipfile.ZipFile(sys.argv[1]) as archive:
            bad = archive.testzip()
            members = [{'name': i.filename, 'mode': i.external_attr >> 16, 'utf8': bool(i.flag_bits & 0x800),
                        'method': i.compress_type, 'dateTime': list(i.date_time),
                        'data': base64.b64encode(b'' if i.is_dir() else archive.read(i)).decode()}
                       for i in archive.infolist()]
        print(json.dumps({'bad': bad, 'members': members}))
        """

    /// Runs a Python script with `arguments` and decodes the JSON it prints.
    static func python<Value: Decodable>(_ script: String, _ arguments: [String]) async throws -> Value {
        let result = try await ChildProcess.run(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script] + arguments)
        try #require(result.status == 0, "python3 failed: \(result.errorText)")
        return try JSONDecoder().decode(Value.self, from: result.output)
    }

    /// The program `name` on the PATH, if it is installed.
    static func tool(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// A temporary folder for one test.
    struct Scratch {
        let url: URL

        init() throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-archive-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        }

        func write(_ bytes: [UInt8], as name: String) throws -> URL {
            let file = url.appendingPathComponent(name)
            try Data(bytes).write(to: file)
            return file
        }

        func remove() { try? FileManager.default.removeItem(at: url) }
    }
}
