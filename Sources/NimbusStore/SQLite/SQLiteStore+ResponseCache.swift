public import Foundation
import GRDB
public import NimbusCore

extension SQLiteStore {
    public func cachedResponse(key: String) async throws -> JSONValue? {
        let now = Date().timeIntervalSince1970
        let text = try read { db in
            try String.fetchOne(
                db, sql: "SELECT response FROM llm_response_cache WHERE key = ? AND expires_at > ?",
                arguments: [key, now])
        }
        return try SQLiteStore.json(text, table: "llm_response_cache", id: key)
    }

    public func cacheResponse(key: String, value: JSONValue, expiresAt: Date) async throws {
        let text = SecretRedactor.redact(value).jsonText
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO llm_response_cache (key, response, created_at, expires_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT(key) DO UPDATE SET response = excluded.response, created_at = excluded.created_at,
                        expires_at = excluded.expires_at
                    """,
                arguments: [key, text, Date().timeIntervalSince1970, expiresAt.timeIntervalSince1970])
        }
    }

    public func pruneResponseCache(now: Date = Date()) async throws -> Int {
        try write { db in
            try db.execute(
                sql: "DELETE FROM llm_response_cache WHERE expires_at <= ?", arguments: [now.timeIntervalSince1970])
            return db.changesCount
        }
    }
}
