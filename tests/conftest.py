"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import write_yaml


@pytest.fixture
def tmp_yaml(tmp_path):
    def make(data: dict, name: str = "scenario.yaml") -> Path:
        return write_yaml(tmp_path / name, data)

    return make

