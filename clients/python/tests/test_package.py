"""The suite tests the installed package, not the sources: both `make client-test-python` (a
non-editable install into .venv) and `make client-package-test-python` (the built wheel in a
fresh venv) import onramp_client from site-packages, with its type information."""

from __future__ import annotations

import re
from pathlib import Path

import onramp.v1
import onramp_client
import onramp_client.aio

SRC = Path(__file__).resolve().parents[1] / "src"


def test_the_installed_package_is_imported() -> None:
    for module in (onramp_client, onramp_client.aio, onramp.v1):
        assert module.__file__ is not None
        path = Path(module.__file__).resolve()
        assert SRC not in path.parents, f"{module.__name__} imported from the checkout: {path}"
        assert "site-packages" in path.parts, path


def test_it_ships_its_type_information() -> None:
    assert onramp_client.__file__ is not None and onramp.v1.__file__ is not None
    assert (Path(onramp_client.__file__).parent / "py.typed").is_file()
    generated = Path(onramp.v1.__file__).parent
    assert (generated / "py.typed").is_file()
    assert (generated / "service_key_service_pb2_grpc.pyi").is_file()


def test_its_version_is_pyproject_version() -> None:
    pyproject = (SRC.parent / "pyproject.toml").read_text()
    match = re.search(r'^version = "([^"]+)"', pyproject, re.M)
    assert match is not None
    assert onramp_client.__version__ == match.group(1)
