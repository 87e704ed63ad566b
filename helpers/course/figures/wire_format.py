"""Chapter 15's picture of one message's value as confluent-kafka's Avro serializer frames it,
drawn from the real bytes: a magic byte (0), the schema id (4 bytes, big-endian), then the Avro
binary of the record, which holds no field names: the reader needs the writer's schema, and the
id says where to get it.

    wire_format(msg.value(), [("title", "string"), ("pages", "int"), ("year", "int")])
"""
from __future__ import annotations

from ..demos.contracts import decode_fields, schema_id_of
from .svg import Diagram

BYTE = 38


def wire_format(framed: bytes, fields: list[tuple[str, str]]) -> Diagram:
    magic, schema_id = schema_id_of(framed)
    parts = decode_fields(framed[5:], fields)
    width = max(820, 80 + BYTE * len(framed))
    d = Diagram(width, 250, "The wire format of one Avro message")
    d.text(20, 20, f"One message's value: {len(framed)} bytes", bold=True, size=14)
    x, y = 40, 70
    groups = [("magic byte", framed[:1], f"{magic}", "marker"),
              ("schema id", framed[1:5], f"{schema_id} (big-endian)", "broker")]
    groups += [(name, raw, repr(value), "producer") for name, raw, value in parts]
    for n, (name, raw, value, color) in enumerate(groups):
        left = x
        for byte in raw:
            d.box(x, y, BYTE, 34, f"{byte:02x}", color=color if color != "producer" else "#c6dbef", rounded=False,
                  size=12)
            x += BYTE
        low = y + 50 + 36 * (n % 2)  # alternate the labels' rows, so that short fields do not collide
        d.line(left + 2, y + 40, x - 2, y + 40, color=color, width=3)
        d.line((left + x) / 2, y + 40, (left + x) / 2, low - 8, color="muted")
        d.text((left + x) / 2, low, name, size=11, anchor="middle", bold=True)
        d.text((left + x) / 2, low + 14, value, size=11, anchor="middle")
    d.text(40, 54, "header: 5 bytes", color="marker", size=11, bold=True)
    d.text(40 + 5 * BYTE + 4, 54, "Avro binary: the values only, in the schema's field order, no names", size=11,
           color="producer", bold=True)
    d.text(20, 205, "int and long: zig-zag varints (0, -1, 1, -2 ... as 0, 1, 2, 3 ...; 7 bits a byte, a set high "
                    "bit means more follow)", size=11)
    d.text(20, 225, "string: a zig-zag length, then the UTF-8 bytes. The reader needs the writer's schema: the id "
                    "says which one.", size=11)
    return d
