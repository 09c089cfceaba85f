"""Find the functions of a firebase-functions source folder and their manifest.

We use the SDK's own manifest code (``firebase_functions.private.serving``), the same one the
Firebase CLI reads through ``/__/functions.yaml``, so what we serve is what would deploy.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Endpoint:
    name: str
    function: Callable[..., Any]
    spec: dict[str, Any] = field(repr=False)

    @property
    def kind(self) -> str:
        for key in ("httpsTrigger", "scheduleTrigger", "eventTrigger", "taskQueueTrigger", "callableTrigger"):
            if key in self.spec:
                return key
        return "unknown"

    @property
    def region(self) -> str:
        regions = self.spec.get("region") or ["us-central1"]
        return str(regions[0])


@dataclass(frozen=True)
class FunctionsBundle:
    endpoints: dict[str, Endpoint]
    manifest_yaml: str


def load_bundle(source_dir: Path) -> FunctionsBundle:
    from firebase_functions.private import serving

    main_path = source_dir / "main.py"
    if not main_path.is_file():
        raise FileNotFoundError(f"no main.py in {source_dir}")
    # The deployed runtime puts the source folder first on sys.path; so do we.
    sys.path.insert(0, str(source_dir))
    spec = importlib.util.spec_from_file_location("main", main_path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {main_path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["main"] = module
    spec.loader.exec_module(module)
    functions = {
        value.__firebase_endpoint__.entryPoint: value
        for value in vars(module).values()
        if callable(value) and hasattr(value, "__firebase_endpoint__")
    }
    manifest_yaml = serving.functions_as_yaml(functions)
    manifest = yaml.safe_load(manifest_yaml)
    endpoints = {
        name: Endpoint(name=name, function=functions[name], spec=spec_)
        for name, spec_ in manifest.get("endpoints", {}).items()
    }
    return FunctionsBundle(endpoints=endpoints, manifest_yaml=manifest_yaml)
