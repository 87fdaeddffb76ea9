"""Pipeline settings: ``config/icr.yaml`` merged with a user's file and options."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from icr.errors import ConfigError


def config_dir() -> Path:
    """The folder holding ``icr.yaml``, ``templates/`` and ``dictionaries/``.

    ``ICR_CONFIG_DIR`` wins; then the repository's ``config/`` (a checkout or an
    editable install); then the copy bundled in the wheel as ``icr/_config``.
    """
    env = os.environ.get("ICR_CONFIG_DIR")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "config", here / "_config"):
        if (candidate / "icr.yaml").is_file():
            return candidate
    raise ConfigError(f"cannot find icr's config folder (looked in {here.parent / 'config'})")


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


@dataclass
class Settings:
    """All pipeline settings, as plain data (picklable, sent to workers)."""

    raw: dict[str, Any]
    template_dirs: list[Path] = field(default_factory=list)
    """Extra template folders; earlier ones take precedence over later ones and the shipped ones."""

    def section(self, name: str) -> dict[str, Any]:
        value = self.raw.get(name, {})
        if not isinstance(value, dict):
            raise ConfigError(f"config section '{name}' must be a mapping")
        return value

    def stage(self, name: str) -> str:
        return str(self.section("stages").get(name, "default"))

    def get(self, section: str, key: str, default: Any = None) -> Any:
        return self.section(section).get(key, default)

    def with_overrides(self, overrides: Mapping[str, Any]) -> Settings:
        return Settings(_merge(self.raw, overrides), list(self.template_dirs))


def load_settings(path: Path | str | None = None, overrides: Mapping[str, Any] | None = None) -> Settings:
    """Shipped defaults, then ``path`` (or ``$ICR_CONFIG``), then ``overrides``."""
    raw = load_yaml(config_dir() / "icr.yaml")
    user = path or os.environ.get("ICR_CONFIG")
    if user:
        raw = _merge(raw, load_yaml(Path(user)))
    if overrides:
        raw = _merge(raw, overrides)
    return Settings(raw)
