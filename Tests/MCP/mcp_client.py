"""Drives `nimbus mcp` with the official MCP Python SDK's stdio client, as an MCP client (an agent) does.

Usage: mcp_client.py --nimbus PATH --bucket KEEP --doomed-bucket GONE

The environment (NIMBUS_HOME, the AWS variables pointing at moto) is passed on to `nimbus mcp`. Four sessions:

1. a client without elicitation: initialize; the tool list and its hints; a read (list S3 buckets, which must
   find KEEP); nimbus_ask and generate_module; a delete of KEEP, which must be refused;
2. a client whose elicitation callback declines: the delete of KEEP asks (once, naming the bucket) and is not run,
   and nimbus_ask "delete bucket GONE" asks before its plan runs and runs nothing;
3. a client whose elicitation callback approves: the delete of GONE runs (so consent really is what decides);
4. `nimbus mcp --read-only`: the delete tool is not listed, and calling it by name is refused.

Prints one JSON object on standard output: {"checks": {name: true|false}, "details": {...}}. Exit status 0 when
every check holds, 1 otherwise. What the calls did to moto is checked by the Swift test that runs this script.
"""

import argparse
import asyncio
import json
import os
import sys

import mcp_types as types
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

checks: dict[str, bool] = {}
details: dict[str, object] = {}


def check(name: str, condition: bool, detail: object = None) -> None:
    checks[name] = bool(condition)
    if not condition and detail is not None:
        details[name] = detail
    print(f"{'ok  ' if condition else 'FAIL'} {name}", file=sys.stderr)


def text_of(result: types.CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if isinstance(block, types.TextContent))


async def session(nimbus: str, arguments: list[str], body, elicitation=None) -> None:
    server = StdioServerParameters(command=nimbus, args=["mcp", *arguments], env=dict(os.environ))
    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write, read_timeout_seconds=300, elicitation_callback=elicitation) as client:
            initialized = await client.initialize()
            details.setdefault("server", initialized.server_info.name)
            await body(client)


async def without_elicitation(client: ClientSession, bucket: str) -> None:
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    details["tools"] = sorted(tools)
    listing, delete = tools.get("s3_list_buckets"), tools.get("s3_delete_bucket")
    check("lists s3_list_buckets", listing is not None, sorted(tools))
    check("lists s3_delete_bucket", delete is not None, sorted(tools))
    check("lists nimbus_ask and generate_module", {"nimbus_ask", "generate_module"} <= set(tools), sorted(tools))
    check("uploads are not listed without --working-directory", "s3_upload" not in tools, sorted(tools))
    if listing is not None:
        hints = listing.annotations
        check(
            "a read tool has readOnlyHint true",
            hints is not None and hints.read_only_hint is True and hints.open_world_hint is True,
            hints and hints.model_dump(),
        )
        check("a tool has its input schema", listing.input_schema.get("type") == "object", listing.input_schema)
    if delete is not None:
        hints = delete.annotations
        check(
            "a delete tool has destructiveHint true",
            hints is not None and hints.destructive_hint is True and hints.read_only_hint is False,
            hints and hints.model_dump(),
        )
        check("a delete tool has a title", bool(delete.title or (hints and hints.title)), delete.model_dump())

    listed = await client.call_tool("s3_list_buckets", {})
    names = [entry.get("name") for entry in (listed.structured_content or {}).get("result", {}).get("buckets", [])]
    check("s3_list_buckets succeeds", not listed.is_error, text_of(listed)[:500])
    check("s3_list_buckets finds the test's bucket", bucket in names, names[:20])

    asked = await client.call_tool("nimbus_ask", {"request": "list all S3 buckets", "offline": True})
    outcome = asked.structured_content or {}
    check("nimbus_ask answers", not asked.is_error and outcome.get("status") == "completed", text_of(asked)[:500])
    check("nimbus_ask's outcome JSON names the bucket", bucket in json.dumps(outcome), text_of(asked)[:500])

    module = await client.call_tool(
        "generate_module", {"request": "S3 bucket with versioning and KMS encryption", "offline": True}
    )
    files = (module.structured_content or {}).get("files", {})
    check("generate_module returns the module's files", not module.is_error and "main.tf" in files, text_of(module)[:500])
    blocks = [block.text for block in module.content if isinstance(block, types.TextContent)]
    check(
        "generate_module's files are text content",
        any(block.startswith("==> main.tf <==") for block in blocks),
        [block[:80] for block in blocks],
    )

    inspect = tools.get("inspect_account")
    check("lists inspect_account, read-only", inspect is not None and inspect.annotations.read_only_hint is True, sorted(tools))
    if os.environ.get("MCP_TEST_INSPECT") == "1":
        inspected = await client.call_tool(
            "inspect_account", {"question": "find security groups open to the world", "offline": True}
        )
        outcome = inspected.structured_content or {}
        check(
            "inspect_account answers with findings and their evidence",
            not inspected.is_error and outcome.get("status") == "completed" and "findings" in outcome
            and outcome.get("iterations", [{}])[0].get("script") == "ec2-open-security-groups",
            text_of(inspected)[:800],
        )

    refused = await client.call_tool("s3_delete_bucket", {"bucket": bucket})
    words = text_of(refused)
    details["refused without elicitation"] = words
    check("a delete without elicitation is a tool error", refused.is_error, words)
    check("the refusal says why (elicitation) and how to allow it", "elicitation" in words and "policy" in words, words)
    check(
        "the refusal's code is consent_unavailable",
        (refused.structured_content or {}).get("error", {}).get("code") == "nimbus_mcp.consent_unavailable",
        refused.structured_content,
    )


async def declining(client: ClientSession, bucket: str, doomed: str, asked: list[str]) -> None:
    declined = await client.call_tool("s3_delete_bucket", {"bucket": bucket})
    words = text_of(declined)
    details["declined"] = words
    check("the delete asked for consent once", len(asked) == 1, asked)
    check("the consent question names the bucket", bool(asked) and bucket in asked[0], asked)
    check("a declined delete is a tool error that says so", declined.is_error and "not approved" in words, words)

    answered = await client.call_tool("nimbus_ask", {"request": f"delete bucket {doomed}", "offline": True})
    outcome = answered.structured_content or {}
    check("nimbus_ask asks before its plan deletes", len(asked) == 2 and doomed in asked[-1], asked)
    check("nimbus_ask's declined plan runs nothing", outcome.get("status") == "declined", text_of(answered)[:500])


async def approving(client: ClientSession, bucket: str, asked: list[str]) -> None:
    deleted = await client.call_tool("s3_delete_bucket", {"bucket": bucket})
    check("an approved delete asked first", len(asked) == 1, asked)
    check("an approved delete runs", not deleted.is_error, text_of(deleted))


async def read_only(client: ClientSession, bucket: str) -> None:
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    check("--read-only does not list s3_delete_bucket", "s3_delete_bucket" not in tools, sorted(tools))
    check(
        "--read-only lists only tools that read",
        all(tool.annotations is not None and tool.annotations.read_only_hint is True for tool in tools.values()),
        sorted(name for name, tool in tools.items() if not (tool.annotations and tool.annotations.read_only_hint)),
    )
    check("--read-only still lists s3_list_buckets", "s3_list_buckets" in tools, sorted(tools))
    check("--read-only still lists inspect_account", "inspect_account" in tools, sorted(tools))

    refused = await client.call_tool("s3_delete_bucket", {"bucket": bucket})
    words = text_of(refused)
    check("--read-only refuses a delete called by name", refused.is_error and "read-only" in words, words)


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nimbus", required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--doomed-bucket", required=True)
    options = parser.parse_args()

    await session(options.nimbus, [], lambda client: without_elicitation(client, options.bucket))

    declined_questions: list[str] = []

    async def decline(context, params: types.ElicitRequestParams):
        declined_questions.append(params.message)
        return types.ElicitResult(action="decline")

    await session(
        options.nimbus,
        [],
        lambda client: declining(client, options.bucket, options.doomed_bucket, declined_questions),
        decline,
    )

    approved_questions: list[str] = []

    async def approve(context, params: types.ElicitRequestParams):
        approved_questions.append(params.message)
        return types.ElicitResult(action="accept", content={"approve": True})

    await session(
        options.nimbus, [], lambda client: approving(client, options.doomed_bucket, approved_questions), approve
    )

    await session(options.nimbus, ["--read-only"], lambda client: read_only(client, options.bucket))

    print(json.dumps({"checks": checks, "details": details}))
    return 0 if checks and all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
