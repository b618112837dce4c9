"""A real multi-node Ray cluster on this machine, started the way docs/cluster.md says.

`ray start --head` makes the head node and `ray start --address …` each further node: separate
raylets, object stores and worker pools, exactly as on several machines, only all on the
loopback address 127.0.0.2 (Ray rewrites 127.0.0.1 to the machine's network address; the rest
of 127/8 it leaves alone, so nothing listens beyond this machine). Every port is chosen free
and the temp dir is our own, so the cluster never meets another one on a shared machine.

Stopping never uses `ray stop`, which kills *every* Ray process of the user on the machine:
we kill exactly the processes we started (their process groups and descendants, found in
/proc) and remove our temp dir.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

HOST = "127.0.0.2"
# No usage stats, no token authentication (only this machine can reach 127.0.0.2).
CLUSTER_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}


def ray_cli() -> str:
    """The `ray` script next to the running Python (where pip put it), else the one on PATH."""
    beside = Path(sys.executable).with_name("ray")
    return str(beside) if beside.exists() else shutil.which("ray") or "ray"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoopbackCluster:
    """A head node plus `nodes - 1` worker nodes, each with `cpus` CPUs."""

    def __init__(
        self,
        nodes: int = 2,
        cpus: int = 1,
        object_store_bytes: int = 150 * 2**20,
        env: dict[str, str] | None = None,
    ) -> None:
        self.nodes, self.cpus, self.object_store_bytes = nodes, cpus, object_store_bytes
        # Short path: Ray's unix sockets live under it and must stay under ~100 characters.
        self.temp_dir = tempfile.mkdtemp(prefix="obray", dir="/tmp")
        self.env = {**os.environ, **CLUSTER_ENV, **(env or {})}
        self._taken: set[int] = set()  # ports handed out so far: each goes to one component
        self.port = self._port()
        self.address = f"{HOST}:{self.port}"
        self._groups: list[int] = []  # process group of each `ray start` (one per node)

    def start(self, timeout: float = 60.0) -> str:
        self._ray_start(["--head", f"--port={self.port}", *self._head_ports()], timeout)
        for _ in range(self.nodes - 1):
            self._ray_start([f"--address={self.address}"], timeout)
        self.wait_for_nodes(timeout)
        return self.address

    def _port(self) -> int:
        """A free port not given to another component yet: a port freed by free_port() may
        come back from the next call (Ray refuses to start when two components share one)."""
        port = free_port()
        while port in self._taken:
            port = free_port()
        self._taken.add(port)
        return port

    def _head_ports(self) -> list[str]:
        return [
            "--include-dashboard=false",
            f"--dashboard-port={self._port()}",
            f"--ray-client-server-port={self._port()}",
        ]

    def _ray_start(self, args: Sequence[str], timeout: float) -> None:
        command = [
            ray_cli(),
            "start",
            *args,
            f"--node-ip-address={HOST}",
            f"--num-cpus={self.cpus}",
            "--num-gpus=0",
            f"--object-store-memory={self.object_store_bytes}",
            f"--temp-dir={self.temp_dir}",
            "--disable-usage-stats",
            f"--dashboard-agent-listen-port={self._port()}",
            f"--dashboard-agent-grpc-port={self._port()}",
            f"--metrics-export-port={self._port()}",
            f"--runtime-env-agent-port={self._port()}",
        ]
        log = open(Path(self.temp_dir) / f"node{len(self._groups)}.log", "w")  # noqa: SIM115
        # A session of its own: the node's daemons keep this process group after `ray start`
        # returns, which is how stop() finds exactly them.
        process = subprocess.Popen(
            command, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._groups.append(process.pid)
        if process.wait(timeout=timeout) != 0:
            text = Path(log.name).read_text()
            self.stop()
            raise RuntimeError(f"`{' '.join(command)}` failed:\n{text}")

    def wait_for_nodes(self, timeout: float) -> None:
        """Until every node has registered with the head (checked from a throwaway driver)."""
        import ray

        ray.init(address=self.address, log_to_driver=False, logging_level="WARNING")
        try:
            deadline = time.monotonic() + timeout
            while sum(n["Alive"] for n in ray.nodes()) < self.nodes:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"only {ray.nodes()} of {self.nodes} nodes came up")
                time.sleep(0.2)
        finally:
            ray.shutdown()

    def processes(self) -> set[int]:
        """Every live process of this cluster: our process groups, what mentions our temp
        dir, and their descendants (Ray's workers put themselves in groups of their own)."""
        table = _process_table()
        ours = {pid for pid, (_, pgid, _) in table.items() if pgid in self._groups}
        return ours | processes_using(self.temp_dir, table)

    def stop(self, timeout: float = 30.0) -> None:
        for _ in range(3):  # processes can appear while we kill (a raylet starting a worker)
            for pid in self.processes():
                _kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + timeout
            while self.processes() and time.monotonic() < deadline:
                time.sleep(0.1)
        left = self.processes()
        shutil.rmtree(self.temp_dir, ignore_errors=True)
        if left:
            raise RuntimeError(f"Ray processes left behind: {sorted(left)}")


def processes_using(
    temp_dir: str, table: dict[int, tuple[int, int, str]] | None = None
) -> set[int]:
    """Live processes whose command line mentions `temp_dir` (a Ray runtime started with it:
    GCS, raylet, agents) and all their descendants (its workers)."""
    table = _process_table() if table is None else table
    roots = {pid for pid, (_, _, cmd) in table.items() if temp_dir in cmd}
    return (roots | _descendants(roots, table)) - _ancestors(os.getpid(), table)


def _kill(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _process_table() -> dict[int, tuple[int, int, str]]:
    """pid → (parent pid, process group, command line), read from /proc; zombies left out."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "(name)": state, ppid, pgrp, …
        if fields[0] != "Z":
            table[int(entry)] = (int(fields[1]), int(fields[2]), cmd)
    return table


def _ancestors(pid: int, table: dict[int, tuple[int, int, str]]) -> set[int]:
    """This process and its parents: never ours to kill, whatever their command line says."""
    found = set()
    while pid in table and pid not in found:
        found.add(pid)
        pid = table[pid][0]
    return found | {os.getpid()}


def _descendants(roots: Iterable[int], table: dict[int, tuple[int, int, str]]) -> set[int]:
    found: set[int] = set()
    frontier = set(roots)
    while frontier:
        frontier = {p for p, (ppid, _, _) in table.items() if ppid in frontier} - found
        found |= frontier
    return found
