"""Writes the binary ConverseStream transcripts (*.eventstream) from their *.events.json descriptions.

Independent of the Swift code under test: the framing is built here with zlib's CRC-32, following the AWS
event-stream encoding (prelude: total length, headers length, prelude CRC; headers; payload; message CRC), and each
file is checked by decoding it with botocore's own EventStreamBuffer when botocore is installed.

    python3 make_event_streams.py
"""
import json
import pathlib
import struct
import zlib


def header(name, value):
    raw = value.encode()
    return bytes([len(name)]) + name.encode() + bytes([7]) + struct.pack(">H", len(raw)) + raw


def message(headers, payload):
    block = b"".join(header(name, value) for name, value in headers)
    total = 12 + len(block) + len(payload) + 4
    prelude = struct.pack(">II", total, len(block))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + block + payload
    return body + struct.pack(">I", zlib.crc32(body))


here = pathlib.Path(__file__).parent
for source in sorted(here.glob("*.events.json")):
    frames = []
    for event in json.loads(source.read_text()):
        payload = json.dumps(event["payload"], separators=(",", ":")).encode()
        if "exception" in event:
            headers = [(":exception-type", event["exception"]), (":content-type", "application/json"),
                       (":message-type", "exception")]
        else:
            headers = [(":event-type", event["event"]), (":content-type", "application/json"),
                       (":message-type", "event")]
        frames.append(message(headers, payload))
    target = source.with_name(source.name.replace(".events.json", ".eventstream"))
    target.write_bytes(b"".join(frames))
    try:
        from botocore.eventstream import EventStreamBuffer
    except ImportError:
        print(f"wrote {target.name} (botocore not installed: not cross-checked)")
        continue
    buffer = EventStreamBuffer()
    buffer.add_data(target.read_bytes())
    decoded = [m.headers.get(":event-type") or m.headers.get(":exception-type") for m in buffer]
    print(f"wrote {target.name}: botocore decodes {decoded}")
