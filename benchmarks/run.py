#!/usr/bin/env python3
"""nodegen against its peers, side by side in one run (issue 7).

    python benchmarks/run.py            # everything (about 6-8 minutes on 2 cores)
    python benchmarks/run.py --quick    # fewer repetitions (about 3-4 minutes)
    python benchmarks/run.py --only runtime,startup
    python benchmarks/run.py --ref HEAD # benchmark a committed snapshot (git archive; read-only)

Standard library only; any python3 >= 3.11 runs it. It creates benchmarks/.venv-peers (the peers,
pinned in requirements-peers.txt), uses the repo's .venv for nodegen and the generated package
(creating it with `make .venv/.installed` when missing), writes benchmarks/results.json, prints a
Markdown table and refreshes the table in benchmarks/README.md. Every process it times is a cold
process; every comparison is a ratio of medians measured in the same run, samples interleaved
(shuffled order per round) so that drift in machine load hits both sides alike.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PEERS_VENV = HERE / ".venv-peers"
PEERS_REQUIREMENTS = HERE / "requirements-peers.txt"
NODEGEN_VENV = REPO / ".venv"
WORKERS = HERE / "workers.py"
CLICK_APP = HERE / "minimal_click_app.py"
RESULTS = HERE / "results.json"
PARTIAL_RESULTS = HERE / "results-partial.json"  # --only runs: git-ignored, README untouched
README = HERE / "README.md"
DEFAULT_OPENAPI = REPO.parent / "shared" / "bench" / "customerio-openapi.yaml"
README_BEGIN, README_END = "<!-- results:begin -->", "<!-- results:end -->"
GROUPS = ("generate", "scale", "runtime", "bulk", "startup")
SNAPSHOT_IGNORE = (
    ".git",
    ".venv",
    "benchmarks",
    "__pycache__",
    ".nodegen-cache",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".hypothesis",
    "*.egg-info",
    "build",
    "dist",
)
INCREMENTAL_LINE = "description: Track a customer event\n"  # event.track's description in the spec


@dataclass(frozen=True)
class Config:
    generate_rounds: int
    scale_reps: dict[int, int]
    runtime_rounds: int
    runtime_n: int
    bulk_reps: int
    bulk_n: int
    cli_bulk_reps: int
    latency: float
    latency_n: int
    startup_reps: int
    ratecap_reps: int


FULL = Config(
    generate_rounds=10,
    scale_reps={1: 5, 10: 3, 100: 1},
    runtime_rounds=5,
    runtime_n=2000,
    bulk_reps=3,
    bulk_n=10_000,
    cli_bulk_reps=1,
    latency=0.002,
    latency_n=2000,
    startup_reps=30,
    ratecap_reps=3,
)
QUICK = Config(
    generate_rounds=4,
    scale_reps={1: 3, 10: 1, 100: 1},
    runtime_rounds=3,
    runtime_n=2000,
    bulk_reps=1,
    bulk_n=10_000,
    cli_bulk_reps=1,
    latency=0.002,
    latency_n=1000,
    startup_reps=12,
    ratecap_reps=2,
)


class BenchError(RuntimeError):
    pass


# ------------------------------------------------------------------------------------- helpers

_T0 = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - _T0:6.1f}s] {message}", file=sys.stderr, flush=True)


def summary(samples: list[float]) -> dict[str, Any]:
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "n": len(samples),
        "samples": [round(s, 6) for s in samples],
    }


@dataclass
class Timed:
    wall: float
    cpu: float  # user + sys of the process and every descendant it waited for
    stdout: str
    stderr: str
    returncode: int


def run_timed(
    cmd: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None, check: bool = True
) -> Timed:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if check and proc.returncode != 0:
        raise BenchError(
            f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        )
    return Timed(wall, cpu, proc.stdout, proc.stderr, proc.returncode)


def run_json(cmd: list[str], **kwargs: Any) -> dict[str, Any]:
    out = run_timed(cmd, **kwargs).stdout.strip().splitlines()
    return json.loads(out[-1])


def interleaved(rounds: int, tasks: dict[str, Callable[[], float]], seed: int) -> dict[str, list[float]]:
    """Each round runs every task once, in a shuffled order; returns the samples by task."""
    rng = random.Random(seed)
    samples: dict[str, list[float]] = {name: [] for name in tasks}
    for index in range(rounds):
        order = list(tasks)
        rng.shuffle(order)
        for name in order:
            samples[name].append(tasks[name]())
        log(f"  round {index + 1}/{rounds}: " + ", ".join(f"{n} {samples[n][-1]:.3f}" for n in tasks))
    return samples


def cpu_seconds_machine() -> float | None:
    """Busy CPU seconds of the whole machine so far (all processes, from /proc/stat)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def cpu_seconds_ours() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def loadavg() -> list[float]:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


# ---------------------------------------------------------------------------- environments


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def pinned(requirements: Path) -> dict[str, str]:
    pins = {}
    for line in requirements.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip().lower()] = version.strip()
    return pins


def installed(python: Path, names: list[str]) -> dict[str, str | None]:
    code = (
        "import json, sys\nfrom importlib import metadata\nout = {}\n"
        "for n in sys.argv[1:]:\n    try: out[n] = metadata.version(n)\n    except metadata.PackageNotFoundError: out[n] = None\n"
        "print(json.dumps(out))"
    )
    proc = subprocess.run([str(python), "-c", code, *names], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def ensure_peers() -> dict[str, str | None]:
    python = venv_python(PEERS_VENV)
    pins = pinned(PEERS_REQUIREMENTS)
    if not python.exists():
        log(f"creating {PEERS_VENV.relative_to(REPO)}")
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
    have = installed(python, list(pins))
    if any(have.get(name) != version for name, version in pins.items()):
        log("installing the peers: " + ", ".join(f"{n}=={v}" for n, v in pins.items()))
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
                str(PEERS_REQUIREMENTS),
            ],
            check=True,
        )
        have = installed(python, list(pins))
    missing = {n: v for n, v in pins.items() if have.get(n) != v}
    if missing:
        raise BenchError(f"peers venv lacks {missing} (have {have})")
    return have


def ensure_nodegen_venv() -> Path:
    python = venv_python(NODEGEN_VENV)
    if not python.exists():
        log("creating the repo's .venv (make .venv/.installed)")
        subprocess.run(["make", "-C", str(REPO), ".venv/.installed"], check=True)
    return python


@contextmanager
def source_tree(ref: str | None) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The tree under test: the work tree, or a read-only export of a commit."""
    folder = Path(tempfile.mkdtemp(prefix="nodegen-bench-src-"))
    try:
        if ref is None:
            # A copy taken once at the start: others may edit the work tree while this runs, and a
            # half-edited generator must not change what is measured halfway through.
            head = subprocess.run(
                ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
            ).stdout.strip()
            dirty = subprocess.run(
                ["git", "-C", str(REPO), "status", "--porcelain", "--", "generator", "generated", "templates", "spec"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
            shutil.copytree(REPO, folder, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*SNAPSHOT_IGNORE))
            yield folder, {"tree": "copy of the work tree", "head": head, "uncommitted_changes": bool(dirty)}
            return
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", ref], capture_output=True, text=True, check=True
        ).stdout.strip()
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", "--format=tar", commit, "--", ".", ":(exclude)benchmarks"],
            capture_output=True,
            check=True,
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        yield folder, {"tree": f"git archive {ref}", "commit": commit}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class Env:
    """Interpreters, commands and environment variables of one benchmark run."""

    def __init__(self, src: Path, nodegen_python: Path, openapi: Path, scratch: Path) -> None:
        self.src = src
        self.py = str(nodegen_python)
        self.peers_py = str(venv_python(PEERS_VENV))
        self.peers_bin = str(PEERS_VENV / "bin")
        self.openapi = openapi
        self.scratch = scratch
        base = {
            k: v
            for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "NODEGEN_NO_CACHE", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")
        }
        base.pop("PYTHONHOME", None)
        self.env = {**base, "PYTHONPATH": str(src)}
        # openapi-python-client runs `ruff check --fix` and `ruff format` on its output when ruff
        # is on PATH (its default config); without it the peer would skip formatting.
        self.peer_env = {**base, "PATH": self.peers_bin + os.pathsep + base.get("PATH", "")}
        script = NODEGEN_VENV / "bin" / "nodegen"  # the console script users run
        self.nodegen = [str(script)] if script.exists() else [self.py, "-m", "generator"]

    def nodegen_run(self, root: Path, *args: str) -> Timed:
        return run_timed([*self.nodegen, "--root", str(root), *args], cwd=root, env=self.env)


# ------------------------------------------------------------------------------ projects


def spec_text(src: Path) -> str:
    return (src / "spec" / "customerio.yaml").read_text(encoding="utf-8")


def renamed_spec(text: str, index: int) -> str:
    """A copy of the Customer.io spec with a distinct node name and environment prefix."""
    text, names = re.subn(r"(?m)^  name: customerio$", f"  name: customerio_{index}", text, count=1)
    text, prefixes = re.subn(r"(?m)^  env_prefix: CUSTOMERIO$", f"  env_prefix: CUSTOMERIO_{index}", text, count=1)
    if names != 1 or prefixes != 1:
        raise BenchError("cannot rename the node in spec/customerio.yaml (name/env_prefix lines changed?)")
    return text


def make_project(folder: Path, specs: dict[str, str]) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "spec").mkdir(parents=True)
    for name, text in specs.items():
        (folder / "spec" / name).write_text(text, encoding="utf-8")
    return folder


def clear(folder: Path, *names: str) -> None:
    for name in names:
        shutil.rmtree(folder / name, ignore_errors=True)


# -------------------------------------------------------------------------------- groups


def group_generate(env: Env, cfg: Config, out: dict[str, Any]) -> None:
    text = spec_text(env.src)
    if text.count(INCREMENTAL_LINE) != 1:
        raise BenchError(f"spec/customerio.yaml must contain {INCREMENTAL_LINE.strip()!r} exactly once")
    work = env.scratch / "generate"
    cold = make_project(work / "cold", {"customerio.yaml": text})
    warm = make_project(work / "warm", {"customerio.yaml": text})
    check = make_project(work / "check", {"customerio.yaml": text})
    inc = make_project(work / "incremental", {"customerio.yaml": text})
    peer_out = work / "peer"
    peer_out.mkdir(parents=True)
    for project in (warm, check, inc):
        env.nodegen_run(project, "generate")
    files = sum(1 for p in (check / "generated").rglob("*") if p.is_file())

    cpu: dict[str, list[float]] = {}

    def peer() -> float:
        folder = Path(tempfile.mkdtemp(dir=peer_out))
        result = run_timed(
            [str(PEERS_VENV / "bin" / "openapi-python-client"), "generate", "--path", str(env.openapi)],
            cwd=folder,
            env=env.peer_env,
        )
        made = list(folder.iterdir())
        if len(made) != 1 or "ruff is not in PATH" in result.stdout + result.stderr:
            raise BenchError(
                f"openapi-python-client did not generate a formatted client: {result.stdout}{result.stderr}"
            )
        peer.files = sum(1 for p in made[0].rglob("*") if p.is_file())  # type: ignore[attr-defined]
        shutil.rmtree(folder)
        cpu.setdefault("peer_generate", []).append(result.cpu)
        return result.wall

    def nodegen_cold() -> float:
        clear(cold, "generated", ".nodegen-cache")
        result = env.nodegen_run(cold, "generate")
        cpu.setdefault("nodegen_generate_cold_cache", []).append(result.cpu)
        return result.wall

    def nodegen_warm() -> float:
        clear(warm, "generated")
        result = env.nodegen_run(warm, "generate")
        cpu.setdefault("nodegen_generate_warm_cache", []).append(result.cpu)
        return result.wall

    def nodegen_check() -> float:
        result = env.nodegen_run(check, "check")
        if "in sync" not in result.stdout:
            raise BenchError(f"check: {result.stdout}{result.stderr}")
        cpu.setdefault("nodegen_check_in_sync", []).append(result.cpu)
        return result.wall

    revision = [0]
    changed: list[str] = []

    def nodegen_incremental() -> float:
        revision[0] += 1
        edited = text.replace(INCREMENTAL_LINE, f"description: Track a customer event (revision {revision[0]})\n")
        (inc / "spec" / "customerio.yaml").write_text(edited, encoding="utf-8")
        result = env.nodegen_run(inc, "generate")
        changed.append(result.stdout.strip())
        cpu.setdefault("nodegen_incremental_warm_cache", []).append(result.cpu)
        return result.wall

    tasks = {
        "peer_generate": peer,
        "nodegen_generate_cold_cache": nodegen_cold,
        "nodegen_generate_warm_cache": nodegen_warm,
        "nodegen_check_in_sync": nodegen_check,
        "nodegen_incremental_warm_cache": nodegen_incremental,
    }
    log("generate: warm-up round (not timed)")
    for task in tasks.values():
        task()
    samples = interleaved(cfg.generate_rounds, tasks, seed=1)
    out.update({name: summary(values) for name, values in samples.items()})
    out["cpu"] = {name: summary(values[1:]) for name, values in cpu.items()}  # without the warm-up
    out["nodegen_files"] = files
    out["peer_files"] = getattr(peer, "files", None)
    out["incremental_output"] = changed[-1] if changed else None

    # Does the in-sync check stay clear of the heavy imports? (-X importtime lists every import.)
    probe = run_timed(
        [env.py, "-X", "importtime", "-m", "generator", "--root", str(check), "check"], cwd=check, env=env.env
    )
    modules = {
        line.split("|")[-1].strip().split(".")[0]
        for line in probe.stderr.splitlines()
        if line.startswith("import time:")
    }
    heavy = sorted(modules & {"black", "datamodel_code_generator", "jinja2", "yaml", "pydantic", "jsonschema"})
    out["check_heavy_imports"] = heavy


def group_scale(env: Env, cfg: Config, out: dict[str, Any]) -> None:
    text = spec_text(env.src)
    warm = make_project(env.scratch / "scale" / "warm-up", {"customerio_1.yaml": renamed_spec(text, 1)})
    env.nodegen_run(warm, "--no-cache", "generate")  # bytecode caches of the snapshot, not timed
    shutil.rmtree(warm)
    for count, reps in cfg.scale_reps.items():
        project = make_project(
            env.scratch / "scale" / str(count),
            {f"customerio_{i}.yaml": renamed_spec(text, i) for i in range(1, count + 1)},
        )
        walls, cpus, others = [], [], []
        for rep in range(reps):
            clear(project, "generated")
            machine0 = cpu_seconds_machine()
            result = env.nodegen_run(project, "--no-cache", "generate")
            machine1 = cpu_seconds_machine()
            walls.append(result.wall)
            cpus.append(result.cpu)
            if machine0 is not None and machine1 is not None:
                others.append(max(0.0, machine1 - machine0 - result.cpu) / result.wall)
            log(
                f"  scale {count} spec(s) #{rep + 1}: {result.wall:.2f} s wall, {result.cpu:.2f} s cpu"
                + (f"; other processes used {others[-1]:.2f} cores" if others else "")
            )
        made = sum(1 for p in (project / "generated").rglob("*") if p.is_file())
        shutil.rmtree(project)
        median_wall = statistics.median(walls)
        out[str(count)] = {
            "wall": summary(walls),
            "cpu": summary(cpus),
            "per_spec": summary([w / count for w in walls]),
            "cpu_per_spec": summary([c / count for c in cpus]),
            "cores_used": statistics.median(c / w for c, w in zip(cpus, walls)),
            "other_processes_cores": statistics.median(others) if others else None,
            "files": made,
            "median_wall": median_wall,
        }
    out["cores"] = os.cpu_count()


@contextmanager
def fake_server(env: Env, latency: float = 0.0) -> Iterator[str]:
    """The fake Customer.io server in its own process (no shared GIL with the client)."""
    cmd = [env.py, str(WORKERS), "server"] + (["--latency", str(latency)] if latency else [])
    proc = subprocess.Popen(cmd, cwd=env.src, env=env.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line:
            raise BenchError(f"fake server did not start: {proc.stderr.read() if proc.stderr else ''}")
        yield json.loads(line)["track_url"]
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def group_runtime(env: Env, cfg: Config, out: dict[str, Any]) -> None:
    pythons = {"nodegen": env.py, "httpx": env.py, "customerio": env.peers_py}
    # Parity: each client's request as the server saw it (one in-process fake per client).
    parity = {
        kind: run_json([py, str(WORKERS), "capture", "--kind", kind], cwd=env.src, env=env.env)
        for kind, py in pythons.items()
    }
    fields = ("method", "path", "status", "body_keys", "name", "data", "id_length", "authorization", "content_type")
    reference = {f: parity["httpx"][f] for f in fields}
    out["parity"] = {kind: {f: c[f] for f in fields} for kind, c in parity.items()}
    out["same_requests"] = all({f: c[f] for f in fields} == reference for c in parity.values())

    cpu: dict[str, list[float]] = {kind: [] for kind in pythons}

    def client(kind: str) -> Callable[[], float]:
        def run() -> float:
            with fake_server(env) as url:
                cmd = [pythons[kind], str(WORKERS), "runtime", "--kind", kind, "--url", url, "-n", str(cfg.runtime_n)]
                result = run_json(cmd, cwd=env.src, env=env.env)
            cpu[kind].append(float(result["cpu_us_per_request"]))
            return float(result["rps"])

        return run

    samples = interleaved(cfg.runtime_rounds, {k: client(k) for k in pythons}, seed=5)
    out.update({kind: summary(values) for kind, values in samples.items()})
    out["client_cpu_us_per_request"] = {kind: summary(values) for kind, values in cpu.items()}
    out["n"] = cfg.runtime_n


def group_bulk(env: Env, cfg: Config, out: dict[str, Any]) -> None:
    def execute(concurrency: int, n: int, latency: float = 0.0) -> Callable[[], float]:
        def run() -> float:
            with fake_server(env, latency) as url:
                cmd = [env.py, str(WORKERS), "bulk", "--url", url, "-n", str(n), "--concurrency", str(concurrency)]
                result = run_json(cmd, cwd=env.src, env=env.env)
            if not result["in_order"]:
                raise BenchError(f"execute(concurrency={concurrency}): outputs not in input order")
            return float(result["rps"])

        return run

    log(f"bulk: execute() over {cfg.bulk_n} items")
    samples = interleaved(
        cfg.bulk_reps, {"execute_c1": execute(1, cfg.bulk_n), "execute_c8": execute(8, cfg.bulk_n)}, seed=7
    )
    out.update({name: summary(values) for name, values in samples.items()})
    out["n"] = cfg.bulk_n
    out["in_order"] = True  # every sample above was checked

    items = env.scratch / "items.jsonl"
    items.write_text("".join(json.dumps({"id": f"u{i}"}) + "\n" for i in range(cfg.bulk_n)), encoding="utf-8")
    cli_env = {**env.env, "CUSTOMERIO_TRACKING_SITE_ID": "site_123", "CUSTOMERIO_TRACKING_API_KEY": "trk_key"}

    def cli(concurrency: int) -> Callable[[], float]:
        def run() -> float:
            with fake_server(env) as url:
                cmd = [
                    env.py, "-m", "generated.customerio", "event", "track",
                    "--items", str(items), "--customer-id", "={{ $json.id }}", "--event-name", "signup",
                    "--concurrency", str(concurrency), "--base-url", f"tracking={url}", "--compact", "--no-progress",
                ]  # fmt: skip
                result = run_timed(cmd, cwd=env.src, env=cli_env)
            paired = [json.loads(line)["pairedItem"]["item"] for line in result.stdout.splitlines()]
            if paired != list(range(cfg.bulk_n)):
                raise BenchError(f"CLI --concurrency {concurrency}: outputs not in input order")
            return cfg.bulk_n / result.wall

        return run

    log(f"bulk: the CLI over {cfg.bulk_n} items (whole process, start-up included)")
    samples = interleaved(cfg.cli_bulk_reps, {"cli_c1": cli(1), "cli_c8": cli(8)}, seed=8)
    out.update({name: summary(values) for name, values in samples.items()})

    log(f"bulk: execute() over {cfg.latency_n} items with {cfg.latency * 1000:.0f} ms server latency")
    samples = interleaved(
        1,
        {
            "latency_c1": execute(1, cfg.latency_n, cfg.latency),
            "latency_c8": execute(8, cfg.latency_n, cfg.latency),
        },
        seed=9,
    )
    out.update({name: summary(values) for name, values in samples.items()})
    out["latency_seconds"] = cfg.latency
    out["latency_n"] = cfg.latency_n

    log(f"bulk: rate=10 over 50 items, {cfg.ratecap_reps} run(s) (in-process fake, journal checked)")
    runs = [
        run_json(
            [env.py, str(WORKERS), "ratecap", "--rate", "10", "-n", "50", "--concurrency", "8"],
            cwd=env.src,
            env=env.env,
        )
        for _ in range(cfg.ratecap_reps)
    ]
    for run in runs:
        log(
            f"  max {run['max_in_any_1s_window']} in a 1 s window; min span of 11 requests {run['min_span_of_rate_plus_1_requests']:.3f} s"
        )
    worst = max(runs, key=lambda run: (run["max_in_any_1s_window"], -run["min_span_of_rate_plus_1_requests"]))
    out["ratecap"] = {**worst, "runs": runs}


def group_startup(env: Env, cfg: Config, out: dict[str, Any]) -> None:
    commands = {
        "generated_help": [env.py, "-m", "generated.customerio", "--help"],
        "click_help": [env.py, str(CLICK_APP), "--help"],
        "generated_import": [env.py, "-c", "import generated.customerio"],
        "generated_import_client": [env.py, "-c", "from generated.customerio import Client"],
        "httpx_pydantic_import": [env.py, "-c", "import httpx, pydantic"],
        "python_bare": [env.py, "-c", "pass"],
    }

    def timed(cmd: list[str]) -> Callable[[], float]:
        return lambda: run_timed(cmd, cwd=env.src, env=env.env).wall

    tasks = {name: timed(cmd) for name, cmd in commands.items()}
    for task in tasks.values():  # bytecode caches, page cache
        task()
    samples = interleaved(cfg.startup_reps, tasks, seed=11)
    out.update({name: summary(values) for name, values in samples.items()})


# --------------------------------------------------------------------------------- report


def _fmt_time(s: dict[str, Any]) -> str:
    def f(x: float) -> str:
        return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"

    return f"{f(s['median'])} ({f(s['min'])}–{f(s['max'])})"


def _fmt_rate(s: dict[str, Any]) -> str:
    return f"{s['median']:,.0f}/s ({s['min']:,.0f}–{s['max']:,.0f})"


def build_rows(m: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(
        num: str, what: str, ours: str, base: str, ratio: float | None, target: str, met: bool | None, note: str = ""
    ) -> None:
        rows.append(
            {
                "#": num,
                "measurement": what,
                "nodegen": ours,
                "baseline": base,
                "ratio": ratio,
                "target": target,
                "met": met,
                "note": note,
            }
        )

    def lower(
        num: str, what: str, ours: dict[str, Any], base_name: str, base: dict[str, Any], goal: float, note: str = ""
    ) -> None:
        ratio = ours["median"] / base["median"]
        add(num, what, _fmt_time(ours), f"{base_name}: {_fmt_time(base)}", ratio, f"≤ {goal}×", ratio <= goal, note)

    def higher(
        num: str, what: str, ours: dict[str, Any], base_name: str, base: dict[str, Any], goal: float, note: str = ""
    ) -> None:
        ratio = ours["median"] / base["median"]
        add(num, what, _fmt_rate(ours), f"{base_name}: {_fmt_rate(base)}", ratio, f"≥ {goal}×", ratio >= goal, note)

    g = m.get("generate")
    if g and "peer_generate" in g:
        peer = g["peer_generate"]
        gcpu = g.get("cpu", {})

        def cpu_note(ours: str, theirs: str = "peer_generate") -> str:
            if ours not in gcpu or theirs not in gcpu:
                return ""
            a, b = gcpu[ours]["median"], gcpu[theirs]["median"]
            return f"CPU {a:.2f} s vs {b:.2f} s ({a / b:.2f}×)"

        lower(
            "1",
            "generate, cold process, empty cache",
            g["nodegen_generate_cold_cache"],
            "openapi-python-client generate",
            peer,
            0.5,
            cpu_note("nodegen_generate_cold_cache"),
        )
        lower(
            "1",
            "generate, cold process, warm cache",
            g["nodegen_generate_warm_cache"],
            "openapi-python-client generate",
            peer,
            0.5,
            cpu_note("nodegen_generate_warm_cache"),
        )
        heavy = g.get("check_heavy_imports")
        lower(
            "2", "check, in-sync tree", g["nodegen_check_in_sync"], "openapi-python-client generate", peer, 0.1,
            ("imports none of black/datamodel-codegen/jinja2/yaml/pydantic" if not heavy else f"imports {', '.join(heavy)}")
            + "; " + cpu_note("nodegen_check_in_sync"),
        )  # fmt: skip
        lower(
            "3", "incremental: one description edited, warm cache", g["nodegen_incremental_warm_cache"],
            "full generate, empty cache", g["nodegen_generate_cold_cache"], 0.5,
            (g.get("incremental_output") or "") + "; " + cpu_note("nodegen_incremental_warm_cache", "nodegen_generate_cold_cache"),
        )  # fmt: skip
    s = m.get("scale")
    if s and "1" in s:
        one = s["1"]["per_spec"]
        cores = s.get("cores") or 1
        for count in sorted((k for k in s if k.isdigit()), key=int):
            per = s[count]["per_spec"]
            ratio = per["median"] / one["median"]
            used = s[count]["cores_used"]
            cpu = s[count]["cpu_per_spec"]["median"]
            add(
                "4", f"scale: {count} spec(s) in one command, time per spec", _fmt_time(per),
                f"per spec at 1 spec: {_fmt_time(one)}", ratio, "≤ 1.0× (linear or better)", ratio <= 1.05,
                f"CPU {cpu:.2f} s/spec; {used:.2f} of {cores} cores busy",
            )  # fmt: skip
        biggest = max((k for k in s if k.isdigit()), key=int)
        used = s[biggest]["cores_used"]
        others = s[biggest].get("other_processes_cores")
        free = max(0.1, cores - others) if others is not None else cores
        busy = used / min(cores, free)
        add(
            "4", f"scale: {biggest} specs use all cores", f"{used:.2f} cores busy",
            f"{cores} cores; {free:.2f} left free by other processes" if others is not None else f"{cores} cores",
            busy, "≥ 0.8× of the free cores", busy >= 0.8,
            f"of all {cores} cores: {used / cores:.2f}×" + (f"; other processes used {others:.2f} cores meanwhile" if others is not None else ""),
        )  # fmt: skip
    r = m.get("runtime")
    if r and "nodegen" in r:
        same = (
            "identical requests (path, body keys, auth)"
            if r.get("same_requests")
            else "REQUESTS DIFFER: see results.json parity"
        )
        cpu = r.get("client_cpu_us_per_request", {})

        def cpu_note(other: str) -> str:
            if "nodegen" not in cpu or other not in cpu:
                return ""
            ours, theirs = cpu["nodegen"]["median"], cpu[other]["median"]
            return f"client CPU per request: {ours:.0f} µs vs {theirs:.0f} µs ({ours / theirs:.2f}×)"

        higher(
            "5",
            f"runtime: {r['n']} sequential track events, sync Client",
            r["nodegen"],
            "bare httpx.Client",
            r["httpx"],
            0.9,
            f"{same}; {cpu_note('httpx')}",
        )
        higher(
            "5",
            f"runtime: {r['n']} sequential track events, sync Client",
            r["nodegen"],
            "customerio.CustomerIO",
            r["customerio"],
            1.5,
            cpu_note("customerio"),
        )
    b = m.get("bulk")
    if b and "execute_c1" in b:
        higher(
            "6",
            f"bulk: execute() over {b['n']} items, concurrency 8",
            b["execute_c8"],
            "concurrency 1",
            b["execute_c1"],
            3.0,
            "outputs in input order: yes",
        )
        if "cli_c1" in b:
            higher(
                "6",
                f"bulk: CLI --items ({b['n']}), --concurrency 8, whole process",
                b["cli_c8"],
                "--concurrency 1",
                b["cli_c1"],
                3.0,
                "outputs in input order: yes",
            )
        if "latency_c1" in b:
            ms = b["latency_seconds"] * 1000
            higher(
                "6",
                f"bulk (extra): execute() over {b['latency_n']} items, {ms:.0f} ms server latency, concurrency 8",
                b["latency_c8"],
                "concurrency 1",
                b["latency_c1"],
                3.0,
            )
        cap = b.get("ratecap")
        if cap:
            worst = cap["max_in_any_1s_window"]
            runs = cap.get("runs", [cap])
            add(
                "6", f"bulk: rate={cap['rate']:g} over {cap['n']} items (concurrency {cap['concurrency']}), worst of {len(runs)} run(s)",
                f"max {worst} requests in any 1 s window ({', '.join(str(x['max_in_any_1s_window']) for x in runs)}); {cap['seconds']:.2f} s",
                f"cap {cap['rate']:g}/s", None,
                f"≤ {cap['rate']:g} per 1 s window", worst <= cap["rate"] and cap["requests_seen"] == cap["n"],
                f"min span of requests k..k+{int(cap['rate'])}: {cap['min_span_of_rate_plus_1_requests']:.3f} s",
            )  # fmt: skip
    st = m.get("startup")
    if st and "generated_help" in st:
        bare = f"python -c pass: {_fmt_time(st['python_bare'])}"
        lower(
            "7",
            "start-up: python -m generated.customerio --help",
            st["generated_help"],
            "minimal click app --help",
            st["click_help"],
            1.5,
            bare,
        )
        lower(
            "7",
            "start-up: import generated.customerio",
            st["generated_import"],
            "import httpx, pydantic",
            st["httpx_pydantic_import"],
            1.0,
            "the package loads httpx/pydantic lazily",
        )
        if "generated_import_client" in st:
            lower(
                "7", "start-up (extra): from generated.customerio import Client", st["generated_import_client"],
                "import httpx, pydantic", st["httpx_pydantic_import"], 1.0, "what a caller actually pays before the first call",
            )  # fmt: skip
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| # | measurement | nodegen, median (min–max) | baseline, median (min–max) | ratio | target | met | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        ratio = "" if row["ratio"] is None else f"{row['ratio']:.2f}×"
        met = {True: "**yes**", False: "**no**", None: ""}[row["met"]]
        cells = [row["#"], row["measurement"], row["nodegen"], row["baseline"], ratio, row["target"], met, row["note"]]
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def machine_info(nodegen_python: str) -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    version = subprocess.run(
        [nodegen_python, "-c", "import sys; print(sys.version.split()[0])"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {"cores": os.cpu_count(), "cpu": model, "python": version, "platform": platform.platform()}


def header(results: dict[str, Any]) -> str:
    m, v = results["machine"], results["versions"]
    ours = ", ".join(f"{k} {val}" for k, val in v["nodegen_venv"].items() if val)
    theirs = ", ".join(f"{k} {val}" for k, val in v["peers_venv"].items() if val)
    return (
        f"Run {results['started']} ({'quick' if results['quick'] else 'full'}, {results['seconds']:.0f} s; "
        f"source: {results['source']['tree']} at {str(results['source'].get('head') or results['source'].get('commit'))[:10]}"
        f"{' + uncommitted changes' if results['source'].get('uncommitted_changes') else ''}). "
        f"Machine: {m['cores']} cores, {m['cpu']}, Python {m['python']}, load average at start {results['load_start']}, "
        f"at end {results['load_end']}.\nnodegen venv: {ours}. Peers venv: {theirs}.\n"
        + "Other processes' CPU use during each group (cores, of "
        + f"{m['cores']}): "
        + ", ".join(
            f"{g} {o['other_processes_cores']:.2f}"
            for g, o in results["measurements"].items()
            if "other_processes_cores" in o
        )
        + "."
    )


def update_readme(text: str) -> None:
    if not README.exists():
        return
    content = README.read_text(encoding="utf-8")
    if README_BEGIN not in content or README_END not in content:
        return
    before, rest = content.split(README_BEGIN, 1)
    _, after = rest.split(README_END, 1)
    README.write_text(f"{before}{README_BEGIN}\n{text}\n{README_END}{after}", encoding="utf-8")


# ----------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--only", help=f"comma-separated groups ({', '.join(GROUPS)})")
    parser.add_argument("--ref", help="benchmark this commit (git archive, read-only) instead of the work tree")
    parser.add_argument("--openapi", type=Path, default=DEFAULT_OPENAPI, help="the peer's OpenAPI spec")
    parser.add_argument("--no-readme", action="store_true", help="do not refresh the table in benchmarks/README.md")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args(argv)
    groups = [g.strip() for g in args.only.split(",")] if args.only else list(GROUPS)
    unknown = set(groups) - set(GROUPS)
    if unknown:
        parser.error(f"unknown group(s): {', '.join(sorted(unknown))}")
    if not args.openapi.is_file():
        parser.error(f"OpenAPI spec not found: {args.openapi}")
    cfg = QUICK if args.quick else FULL

    nodegen_python = ensure_nodegen_venv()
    peers = ensure_peers()
    nodegen_versions = installed(
        nodegen_python, ["httpx", "pydantic", "click", "black", "datamodel-code-generator", "jinja2", "pyyaml"]
    )
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "quick": args.quick,
        "config": cfg.__dict__ | {"scale_reps": {str(k): v for k, v in cfg.scale_reps.items()}},
        "machine": machine_info(str(nodegen_python)),
        "load_start": loadavg(),
        "measurements": {},
        "errors": {},
    }
    scratch = Path(tempfile.mkdtemp(prefix="nodegen-bench-"))
    try:
        with source_tree(args.ref) as (src, source):
            results["source"] = source
            probe = "import generator; print(generator.__version__, generator.__file__)"
            version, where = run_timed(
                [str(nodegen_python), "-c", probe], cwd=src, env={**os.environ, "PYTHONPATH": str(src)}
            ).stdout.split()
            if not Path(where).resolve().is_relative_to(src.resolve()):
                raise BenchError(f"`import generator` resolves to {where}, not to the tree under test {src}")
            nodegen_versions = {"nodegen": version, **nodegen_versions}
            results["versions"] = {"nodegen_venv": nodegen_versions, "peers_venv": peers}
            env = Env(src, nodegen_python, args.openapi, scratch)
            for group in groups:
                log(f"== {group}")
                out: dict[str, Any] = {"load_before": loadavg()}
                machine0, ours0, wall0 = cpu_seconds_machine(), cpu_seconds_ours(), time.perf_counter()
                try:
                    globals()[f"group_{group}"](env, cfg, out)
                except BenchError as exc:
                    log(f"{group} failed: {exc}")
                    results["errors"][group] = str(exc)
                machine1, ours1, wall1 = cpu_seconds_machine(), cpu_seconds_ours(), time.perf_counter()
                out["load_after"] = loadavg()
                out["seconds"] = wall1 - wall0
                if machine0 is not None and machine1 is not None:
                    # CPU that other processes on the machine used meanwhile, in cores.
                    out["other_processes_cores"] = max(0.0, (machine1 - machine0) - (ours1 - ours0)) / (wall1 - wall0)
                    log(
                        f"{group}: {out['seconds']:.0f} s; other processes used {out['other_processes_cores']:.2f} cores on average"
                    )
                results["measurements"][group] = out
    finally:
        if args.keep:
            log(f"scratch kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    results["load_end"] = loadavg()
    results["seconds"] = time.perf_counter() - _T0
    rows = build_rows(results["measurements"])
    results["rows"] = rows
    table = markdown(rows)
    (PARTIAL_RESULTS if args.only else RESULTS).write_text(
        json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    text = header(results) + "\n\n" + table
    if results["errors"]:
        text += "\n\nErrors: " + "; ".join(f"{g}: {e.splitlines()[0]}" for g, e in results["errors"].items())
    if not args.no_readme and not args.only:
        update_readme(text)
    print(text)
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
