public import Foundation
import GRDB

extension SQLiteStore {
    public func addAPIKey(_ key: APIKeyRecord) async throws {
        try write { db in
            let taken = try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM api_keys WHERE name = ? OR digest = ?)",
                arguments: [key.name, key.digest])
            if taken == true { throw StoreError.duplicateKey(key.name) }
            try db.execute(
                sql: """
                    INSERT INTO api_keys (name, digest, prefix, read_only, created_at, last_used_at, revoked_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    key.name, key.digest, key.prefix, key.readOnly, key.createdAt.timeIntervalSince1970,
                    key.lastUsedAt?.timeIntervalSince1970, key.revokedAt?.timeIntervalSince1970,
                ])
        }
    }

    public func apiKeys() async throws -> [APIKeyRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM api_keys ORDER BY created_at, name").map(Self.apiKey)
        }
    }

    public func apiKey(digest: String) async throws -> APIKeyRecord? {
        try readStatement { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM api_keys WHERE digest = ?"), arguments: [digest])
                .map(Self.apiKey)
        }
    }

    public func revokeAPIKey(name: String, at time: Date) async throws -> Bool {
        try write { db in
            try db.execute(
                sql: "UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                arguments: [time.timeIntervalSince1970, name])
            return db.changesCount > 0
        }
    }

    public func touchAPIKey(digest: String, at time: Date) async throws {
        try write { db in
            try db.execute(
                sql: "UPDATE api_keys SET last_used_at = ? WHERE digest = ?",
                arguments: [time.timeIntervalSince1970, digest])
        }
    }

    private static func apiKey(_ row: Row) -> APIKeyRecord {
        APIKeyRecord(
            name: row["name"], digest: row["digest"], prefix: row["prefix"], readOnly: row["read_only"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]),
            lastUsedAt: (row["last_used_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            revokedAt: (row["revoked_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }
}
