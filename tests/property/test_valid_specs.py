"""Properties of the generator over random valid specs (issue 5, item 2).

Every valid spec, however hostile its names and texts, generates a package that
1. compiles and imports, and whose CLI answers `--help`;
2. passes `mypy --strict`;
3. is byte-identical across runs, the content cache and `PYTHONHASHSEED` values;
4. has docs naming every operation and parameter, and one schema model per operation;
5. carries spec text as data only: exactly into `NODE`, never as code;
6. passes every parameter value through its typed model to the operation.

The checks live in checks.py, the strategies in specs.py. Properties 1, 4, 5 and 6 look at the
same generated package, so one test draws the spec and runs the four (a package costs ~1 s to
generate: black and datamodel-code-generator).
Bugs found this way stay as regression tests, one minimal spec each, in test_regressions.py.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.property import checks
from tests.property.specs import STYLES, operations, specs


def budget(examples: int) -> settings:
    """Shrinking a failure costs minutes at ~1 s an example, so CI reports the failing spec as
    drawn; set NODEGEN_PROPERTY_SHRINK=1 to get a minimal one. NODEGEN_PROPERTY_SCALE=10 runs
    ten times the examples (a longer hunt than the suite's ~1 minute)."""
    examples = max(1, round(examples * float(os.environ.get("NODEGEN_PROPERTY_SCALE", "1"))))
    phases = list(Phase)
    if os.environ.get("CI") and not os.environ.get("NODEGEN_PROPERTY_SHRINK"):
        phases.remove(Phase.shrink)
    return settings(
        max_examples=examples,
        deadline=None,
        phases=phases,
        # The suite runs a fixed sample, the same on every run (a failure is always reproducible
        # and CI cannot turn red by chance); NODEGEN_PROPERTY_RANDOM=1 hunts with fresh examples.
        derandomize=not os.environ.get("NODEGEN_PROPERTY_RANDOM"),
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )


@pytest.fixture
def workdir() -> Iterator[Path]:
    """Scratch space for the examples of one test (each check starts from a fresh subfolder)."""
    with tempfile.TemporaryDirectory(prefix="nodegen-property-") as tmp:
        yield Path(tmp)


@pytest.fixture(scope="module")
def mypy_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One project for every mypy example, so that mypy's cache keeps the unchanging runtime."""
    return tmp_path_factory.mktemp("mypy")


@budget(15)
@given(doc=specs(), style=STYLES, data=st.data())
def test_every_valid_spec_generates_a_working_documented_package_that_keeps_text_as_data(
    workdir: Path, doc: dict[str, Any], style: str, data: st.DataObject
) -> None:
    op_index = data.draw(st.integers(0, len(operations(doc)) - 1), label="operation whose --help is run")
    package = checks.build(workdir / "package", doc, style, op_index)
    checks.check_imports_and_help(package)  # 1
    checks.check_docs_and_schema(package)  # 4
    checks.check_text_is_data(package)  # 5
    checks.check_parameters_reach_operation(package)  # 6


@budget(6)
@given(doc=specs(), style=STYLES)
def test_every_valid_spec_passes_mypy_strict(mypy_root: Path, doc: dict[str, Any], style: str) -> None:
    checks.check_mypy_strict(mypy_root, doc, style)  # 2


@budget(4)
@given(doc=specs(), style=STYLES)
def test_generation_is_byte_identical_across_runs_caches_and_hash_seeds(
    workdir: Path, doc: dict[str, Any], style: str
) -> None:
    checks.check_byte_identical(workdir, doc, style)  # 3


# One large example whatever NODEGEN_PROPERTY_SCALE says: most draws of a spec this large run
# out of hypothesis's data buffer and are discarded, so more examples mostly cost filtering.
@settings(
    budget(1),
    max_examples=1,
    suppress_health_check=[*budget(1).suppress_health_check, HealthCheck.filter_too_much, HealthCheck.large_base_example],
)
@given(doc=specs(resources=(12, 12), operations=(8, 8)))
def test_a_spec_with_many_resources_and_operations_generates_a_working_package(
    workdir: Path, mypy_root: Path, doc: dict[str, Any]
) -> None:
    assert len(operations(doc)) == 96
    package = checks.build(workdir / "package", doc)
    checks.check_imports_and_help(package)
    checks.check_docs_and_schema(package)
    checks.check_parameters_reach_operation(package)
    checks.check_mypy_strict(mypy_root, doc)
