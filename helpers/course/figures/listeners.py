"""Chapter 8's figure: bootstrap vs advertised listener, the two hops of a client's first contact.

A client first asks the address it was given (bootstrap.servers) for metadata; the answer names
each broker by the address advertised for the listener the request came in on
(advertised.listeners); all real work (produce, fetch) then goes to those addresses. A listener
that advertises a name only a Docker network resolves works for the first hop and fails the second.
"""
from __future__ import annotations

from .svg import Diagram


def _panel(d: Diagram, top: int, listener: str, bound: str, advertised: str, works: bool) -> None:
    d.box(20, top + 20, 130, 110, "client\n(this machine)", color="producer", text_color="white")
    d.box(540, top + 20, 200, 110, "", color="broker")
    d.text(640, top + 45, f"listener {listener}", anchor="middle", size=12, bold=True)
    d.text(640, top + 70, f"bound to {bound}", anchor="middle", size=12)
    d.text(640, top + 95, f"advertises {advertised}", anchor="middle", size=12, bold=True)
    d.arrow(150, top + 40, 538, top + 40, f"1  bootstrap.servers = {bound}: metadata?", size=12)
    d.arrow(538, top + 80, 150, top + 80, f"2  answer: broker 1 is at {advertised}", size=12, color="note")
    if works:
        d.arrow(150, top + 120, 538, top + 120, f"3  produce / fetch at {advertised}: works", size=12, color="good")
    else:
        d.arrow(150, top + 120, 380, top + 120, f"3  connect to {advertised}", size=12, color="bad", dashed=True)
        d.text(155, top + 142, f"the client: Failed to resolve '{advertised}': ...", size=12, color="bad")


def listeners(outside: str = "127.0.0.1:19586", inside: str = "127.0.0.1:19592",
              inside_advertised: str = "kafka:19592", names: tuple[str, str] = ("PLAINTEXT", "INTERNAL")) -> Diagram:
    """The two listeners of one broker, as a client on this machine meets them: the first advertises
    the address it is reached at; the second a container's name, as inside Docker."""
    d = Diagram(760, 400, "Bootstrap vs advertised listener: two hops")
    d.text(20, 20, "bootstrap.servers serves hop 1 only; every later connection goes to an advertised "
                   "address,", size=12)
    d.text(20, 38, "which must resolve and be reachable from where the client runs.", size=12)
    _panel(d, 55, names[0], outside, outside, works=True)
    d.line(20, 220, 740, 220, color="muted", dashed=True)
    _panel(d, 230, names[1], inside, inside_advertised, works=False)
    d.text(640, 385, "(a name this machine cannot resolve, like a container's)", anchor="middle", size=11, color="note")
    return d
