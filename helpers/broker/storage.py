"""A node's storage: the cluster id, and formatting a node's data folder on first start
(Kafka's StorageTool), with the SCRAM user of a secured profile written into the bootstrap metadata."""
from __future__ import annotations

import base64
import os
import subprocess
import tempfile
import uuid
from pathlib import Path

from ..client.errors import BrokerError
from .jars import classpath
from .layout import Layout

RESET_FIX = ("`codealong broker reset` wipes this cluster's data (its topics and messages) "
             "and the next start formats it afresh.")
FORMAT_TIMEOUT_S = 120


def new_cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64 without padding (as StorageTool).
    Like Kafka's own generator, never one starting with "-", which tools would read as an option."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


def scram_login(sasl: bool, admin: tuple[str, str] | None) -> tuple[str, str] | None:
    """The SCRAM user the format creates: the workshop's super user, or the SASL profile's user
    from $CODEALONG_SASL_USERNAME and $CODEALONG_SASL_PASSWORD; None for a plain cluster."""
    if admin:
        return admin
    if not sasl:
        return None
    user, password = os.environ.get("CODEALONG_SASL_USERNAME"), os.environ.get("CODEALONG_SASL_PASSWORD")
    if not user or not password:
        raise BrokerError("The SASL profile needs a user, but CODEALONG_SASL_USERNAME and "
                          "CODEALONG_SASL_PASSWORD are not both set.",
                          "Export both (any values you choose) before starting the SASL broker.")
    return user, password


def _argfile_quoted(arg: str) -> str:
    """One argument as a Java @argfile writes it: in double quotes, with backslash escapes."""
    for raw, escaped in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        arg = arg.replace(raw, escaped)
    return f'"{arg}"'


class Storage:
    def __init__(self, layout: Layout, nodes: list[int]):
        self.layout = layout
        self.nodes = nodes

    def cluster_id(self) -> str:
        """The cluster's id, made on first use; refused if nodes were formatted but the id was lost."""
        id_file = self.layout.cluster_id
        if not id_file.exists():
            if any(self.layout.data(n).joinpath("meta.properties").exists() for n in self.nodes):
                raise BrokerError(f"{self.layout.dir} has formatted data but no cluster.id file.", RESET_FIX)
            self.layout.dir.mkdir(parents=True, exist_ok=True)
            id_file.write_text(new_cluster_id())
        return id_file.read_text().strip()

    def format(self, node: int, java: str, libs: Path, cluster_id: str,
               scram: tuple[str, str] | None = None) -> None:
        """Format the node's data folder unless it is already this cluster's; refuse foreign or
        half-formatted data (deleting it is `reset`'s job, on the learner's word)."""
        data = self.layout.data(node)
        meta = data / "meta.properties"
        if meta.exists():
            if f"cluster.id={cluster_id}" not in meta.read_text():
                raise BrokerError(f"Node {node}'s data in {data} belongs to another cluster or is corrupted "
                                  f"(meta.properties does not name cluster {cluster_id}).", RESET_FIX)
            return
        if data.exists() and any(data.iterdir()):
            raise BrokerError(f"Node {node}'s data directory {data} is half-formatted "
                              "(files but no meta.properties), probably from an interrupted first start.",
                              RESET_FIX)
        # Share groups (KIP-932, chapter 14) are a feature level of the cluster's metadata;
        # named here so the embedded broker has them whatever the release's default.
        tool_args = ["kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}",
                     f"--config={self.layout.properties(node)}", "--feature", "share.version=2"]
        if scram:
            tool_args += ["--add-scram", f"SCRAM-SHA-256=[name={scram[0]},password={scram[1]}]"]
        output = self._run_tool(node, java, libs, tool_args)
        if output is not None:
            if scram:
                output = output.replace(scram[1], "***")
            raise BrokerError(f"Formatting node {node}'s storage failed: {output}", RESET_FIX)

    def _run_tool(self, node: int, java: str, libs: Path, tool_args: list[str]) -> str | None:
        """Run the tool; None on success, else the end of its output. Its main class and arguments go
        in a private @argfile, which the java launcher reads itself: a password in them never shows in
        the process's command line (/proc/<pid>/cmdline), which every local user can read."""
        handle, argfile = tempfile.mkstemp(dir=self.layout.node_dir(node), prefix=".storage-tool.", suffix=".args")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write("\n".join(map(_argfile_quoted, tool_args)) + "\n")
            cmd = [java, "-Xmx256m", "-XX:TieredStopAtLevel=1", f"-Dlog4j2.configurationFile={self.layout.log4j}",
                   "-cp", classpath(libs, self.layout.plugins), f"@{argfile}"]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=FORMAT_TIMEOUT_S)
        finally:
            Path(argfile).unlink(missing_ok=True)
        return None if proc.returncode == 0 else (proc.stdout + proc.stderr).strip()[-400:]
