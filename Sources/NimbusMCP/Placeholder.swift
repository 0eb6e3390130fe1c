import MCP

/// Placeholder while the MCP server is written.
enum NimbusMCPPlaceholder {}
