"""Pipeline settings: ``config/icr.yaml`` merged with a user's file and options, validated.

The settings are layers of YAML merged in order — the shipped ``config/icr.yaml`` (which
holds every default), then ``--config FILE`` (or ``$ICR_CONFIG``), then any further layers
(a profile, options from the command line) — and the result is validated against the
pydantic models below: a key that is unknown or misspelled (``review_treshold``), or a value
of the wrong type (``timeout: soon``), is a :class:`~icr.errors.ConfigError` (exit code 3)
naming the file that set it and the key. The section of a stage implemented by a plugin
(``stages.recognizer: package.module:function``) may carry the plugin's own keys.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from icr.errors import ConfigError


def config_dir() -> Path:
    """The folder holding ``icr.yaml``, ``templates/`` and ``dictionaries/``.

    ``ICR_CONFIG_DIR`` wins; then the repository's ``config/`` (a checkout or an
    editable install); then the copy bundled in the wheel as ``icr/_config``.
    """
    env = os.environ.get("ICR_CONFIG_DIR")
    if env:
        return Path(env)
    return _installed_config_dir()


@functools.cache
def _installed_config_dir() -> Path:
    # asked for by every date and amount parsed (the locale packs' folder): resolved once
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


class _Section(BaseModel):
    """A config section: unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")


class StagesConfig(_Section):
    image_corrector: str
    """opencv | none | package.module:function"""
    recognizer: str
    """auto | tesserocr | pytesseract | system | rapidocr | hybrid | fusion | fake | package.module:function"""
    text_corrector: str
    """default | fake | package.module:function"""


def _fraction() -> Any:
    return Field(default=None, ge=0, le=1)


class ImageCorrectorConfig(_Section):
    """The corrector's steps and their knobs (see ``config/icr.yaml`` and ``icr/imaging/steps``).

    A knob left out keeps its step's built-in value."""

    steps: list[str]
    crop_gate: float | None = _fraction()
    min_area: float | None = _fraction()
    max_area: float | None = _fraction()
    min_contrast: float | None = None
    crop_saturation_weight: float | None = None
    crop_paper_share: float | None = Field(default=None, gt=0, le=1)
    crop_square_tolerance: float | None = _fraction()
    crop_ring: float | None = _fraction()
    crop_margin: int | None = Field(default=None, ge=0)
    max_frame_contact: float | None = _fraction()
    border_gate: float | None = _fraction()
    border_solid_only: bool | None = None
    solid_min_px: int | None = Field(default=None, ge=1)
    solid_letters: float | None = None
    band_dark_fraction: float | None = _fraction()
    max_band: float | None = _fraction()
    edge_span: float | None = _fraction()
    edge_area_letters: float | None = None
    min_solid_share: float | None = _fraction()
    border_strip: float | None = _fraction()
    border_side: int | None = Field(default=None, ge=100)
    orientation_method: Literal["ocr", "osd", "geometry"] | None = None
    upright_score: float | None = None
    orientation_straighten: bool | None = None
    orientation_defer: bool | None = None
    orientation_by_reading: bool | None = None
    page_upright_letters: int | None = Field(default=None, ge=0)
    page_upright_share: float | None = _fraction()
    page_upright_confidence: float | None = Field(default=None, ge=0, le=100)
    probe_text_height: float | None = Field(default=None, gt=0)
    probe_side: int | None = Field(default=None, ge=100)
    osd_timeout: float | None = Field(default=None, gt=0)
    min_osd_confidence: float | None = None
    min_score: float | None = None
    min_ratio: float | None = None
    min_letters: int | None = Field(default=None, ge=0)
    min_share: float | None = _fraction()
    min_dots: int | None = Field(default=None, ge=0)
    min_votes: int | None = Field(default=None, ge=0)
    orientation_side: int | None = Field(default=None, ge=100)
    straighten_min_skew: float | None = Field(default=None, ge=0)
    max_skew: float | None = Field(default=None, ge=0, le=45)
    min_skew: float | None = Field(default=None, ge=0)
    background_gate: float | None = _fraction()
    background_side: int | None = Field(default=None, ge=50)
    flatten: bool | None = None
    contrast_gate: float | None = Field(default=None, ge=0, le=255)
    contrast_target: float | None = Field(default=None, gt=0, le=255)
    contrast_max_gain: float | None = Field(default=None, ge=1)
    contrast_ink_margin: float | None = Field(default=None, gt=0, le=255)
    denoise: Literal["none", "median", "nlmeans"] | None = None
    binarize: Literal["none", "otsu", "sauvola", "adaptive"] | None = None
    binarize_window: int | None = Field(default=None, ge=0)
    sauvola_k: float | None = None
    min_line_letters: float | None = Field(default=None, ge=0)
    min_line_fraction: float | None = _fraction()
    lines_fill: Literal["inpaint", "white"] | None = None
    min_rule_contrast: float | None = Field(default=None, ge=0)
    max_thickness_letters: float | None = Field(default=None, gt=0)
    lines_side: int | None = Field(default=None, ge=100)
    lines_need_grid: bool | None = None
    smooth_sigma: float | None = Field(default=None, ge=0)
    target_text_height: float | None = Field(default=None, gt=0)
    max_side: int | None = Field(default=None, ge=100)
    max_upscale: float | None = Field(default=None, ge=1)
    downscale_above: float | None = Field(default=None, ge=1)
    rescale_side: int | None = Field(default=None, ge=100)
    reduce_min_side: int | None = Field(default=None, ge=100)
    reduce_above: float | None = Field(default=None, ge=1)


Language = Field(pattern=r"^[A-Za-z_]{3,}(\+[A-Za-z_]{3,})*$")


class FusionConfig(_Section):
    valid_tokens: list[str]
    """Patterns of a well-formed amount or date (the whole token)."""
    max_edits: int = Field(ge=0)


class RereadConfig(_Section):
    suspects: list[str]
    """Patterns of a token misread in a way a second look at its line can put right (the whole token)."""
    pad: float = Field(ge=0)
    """The margin, in line heights, the line's crop is read again with."""


class SpacingConfig(_Section):
    gap: float = Field(gt=0)
    """A blank run across a line at least this many ink heights wide is a space ..."""
    relative: float = Field(ge=0)
    """... and at least this share of the median gap at the spaces read in the line."""
    digits: float = Field(default=0.0, ge=0)
    """Between two digits: where their centres step this many of the line's digit pitches (0: never)."""


class OtherScriptsConfig(_Section):
    share: float = Field(ge=0, le=1)
    """A page where this share of the detected lines read as nothing or unsurely is looked at again ..."""
    unsure: float = Field(ge=0, le=1)
    """... a line read under this score being unsure, ..."""
    under: float = Field(ge=0)
    """... or read as fewer characters than this many per line height of its crop;"""
    probes: int = Field(ge=1)
    """its widest unsure lines, this many, are read with every character the model knows;"""
    agree: int = Field(ge=1)
    """when this many of them (and of the page's unsure lines) ..."""
    sure: float = Field(ge=0, le=1)
    """... read at least this surely ..."""
    letters: int = Field(ge=1)
    """... with this many letters outside the alphabet, the page is read again so;"""
    keep: float = Field(default=0.7, ge=0, le=1)
    """a line of it whose reading holds such letters takes that reading when it is at least this sure."""


class RecognizerConfig(_Section):
    language: str = Field(pattern=r"^[A-Za-z_]{3,}(\+[A-Za-z_]{3,})*$")
    psm: int = Field(ge=0, le=13)
    timeout: float = Field(ge=0)
    """Seconds per document; 0: no limit."""
    force_language: str | None = Field(default=None, pattern=r"^[A-Za-z_]{3,}(\+[A-Za-z_]{3,})*$")
    """Set by ``--lang``: every document is read in this language, whatever its template says."""
    fake_lines: list[str] | None = None
    """The fake recognizer's text (tests)."""
    text_score: float | None = Field(default=None, ge=0, le=1)
    """rapidocr: lines read with a lower score are left out."""
    det_side: int | None = Field(default=None, ge=320)
    """rapidocr: the page's longer side for its detector, in pixels."""
    det_model: Literal["float", "int8"] | None = None
    """rapidocr: the detector's weights, the wheel's float ones or icr's 8-bit copy."""
    rec_width: int | None = Field(default=None, ge=16)
    """rapidocr: the narrowest a line is padded to for recognition, in pixels."""
    tile_aspect: float | None = Field(default=None, ge=0)
    """rapidocr: a page taller than this many widths is read in overlapping pieces of that shape (0: whole)."""
    small_text: float | None = Field(default=None, ge=0)
    """rapidocr: a page smaller than det_side with letters shorter than this (px) is read enlarged."""
    zoom: float | None = Field(default=None, ge=0)
    """rapidocr: a page whose text its detector would see this many times larger alone is read again
    cut to its text (0: never)."""
    retry_side: int | None = Field(default=None, ge=0)
    """rapidocr: a page larger than det_side that reads under retry_below characters is read again
    with its detector at this size (0: never)."""
    retry_below: float | None = Field(default=None, ge=0)
    """rapidocr: see retry_side (characters, each weighed by its line's confidence)."""
    column_gap: float | None = Field(default=None, ge=0)
    """rapidocr: a page whose text stands in columns parted by this many line heights is read column by
    column when its detector would see each at least column_zoom times larger alone (0: never)."""
    column_zoom: float | None = Field(default=None, ge=1)
    """rapidocr: see column_gap."""
    block_growth: int | None = Field(default=None, ge=0)
    """rapidocr: how many times a text block whose reading reaches its edge is widened and read again
    (0: never)."""
    alphabet: list[str] | None = None
    """rapidocr: the characters it may read, as hex code points or ranges ("0020-024F"); none: all."""
    reread: RereadConfig | None = None
    """rapidocr: lines holding a suspect token read again with a wider margin."""
    letter_slips: dict[str, str] | None = None
    """rapidocr: digit -> letter, put back inside words of letters."""
    spacing: SpacingConfig | None = None
    """rapidocr: spaces it left out put back where the line shows a gap."""
    other_scripts: OtherScriptsConfig | None = None
    """rapidocr: a page in a script the alphabet leaves out is told and read with every character."""
    line_gap: float | None = Field(default=None, gt=0)
    """hybrid: Tesseract's lines are cut where words stand this many line heights apart."""
    fusion: FusionConfig | None = None


class SecondReadConfig(_Section):
    enabled: bool
    steps: list[str]
    recognizer: str


class DateCheckConfig(_Section):
    enabled: bool


class ScriptFallbackConfig(_Section):
    enabled: bool
    unread: float = Field(ge=0, le=1)
    """A page whose recognizer read this share of its detected lines as nothing or unsurely ..."""
    min_lines: int = Field(ge=1)
    """... and at least this many of them, is read in each listed language;"""
    letters: int = Field(default=3, ge=1)
    """a page the recognizer read this many letters of a listed script on is in that script;"""
    languages: dict[str, str]
    """Unicode script -> the Tesseract language that reads it (another script: never read again);"""
    min_confidence: float = Field(default=0.5, ge=0, le=1)
    """the surest reading is taken this sure ..."""
    margin: float = Field(default=0.1, ge=0, le=1)
    """... and, the script unseen, this much surer than with_language's alone;"""
    with_language: str = Field(default="eng", pattern=r"^([A-Za-z_]{3,}(\+[A-Za-z_]{3,})*)?$")
    """read with this language too (rus+eng);"""
    psm: int = Field(default=6, ge=0, le=13)
    keep_numbers: float = Field(default=0.9, ge=0)
    """a number the recognizer read this surely keeps its reading (above 1: never);"""
    join_gap: float = Field(default=0.5, ge=0)
    """Hangul or Han characters nearer than this many heights are one word."""


class ConsolidateConfig(_Section):
    enabled: bool
    fields: list[Literal["company", "address"]]
    similarity: float = Field(ge=0, le=100)
    support: int = Field(ge=1)
    agree: float = Field(ge=0, le=100)


FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


class DuplicatesConfig(_Section):
    enabled: bool
    similarity: float = Field(ge=0, le=100)
    identify_by: list[FieldName]
    distinct_by: list[FieldName]


Digit = Annotated[str, StringConstraints(pattern=r"^[0-9]$")]
SmallLetters = Annotated[str, StringConstraints(pattern=r"^[a-z]+$")]


class TextCorrectorConfig(_Section):
    spelling: bool
    english_words: int = Field(ge=0)
    review_threshold: float = Field(ge=0, le=1)
    name_spelling: bool | None = None
    variant_similarity: float = Field(ge=0, le=100)
    branch_similarity: float = Field(ge=0, le=100)
    lookalike_digits: dict[Digit, SmallLetters] | None = None
    """Digits a recognizer reads for letters and the small letters each may stand for ("1": "il")."""
    home_locale: str | None = None
    """The locale pack of the user's own country: a document whose cues name no country surely is read
    with its date order and currency (a guess), not day first with no currency."""
    scoring: str | None = None
    """A file of the points each kind of evidence counts for a field (default: ``scoring.yaml`` in the
    config folder)."""

    @field_validator("home_locale")
    @classmethod
    def _a_country_pack(cls, tag: str | None) -> str | None:
        from icr.text.locales import BASE, load_packs

        countries = sorted(t for t in load_packs() if t != BASE)
        if tag is not None and tag not in countries:
            raise ValueError(f"{tag!r} is no country's locale pack (known: {', '.join(countries)})")
        return tag


class IngestConfig(_Section):
    jobs: int = Field(ge=0)
    batch_size: int = Field(ge=1)
    prefetch: int | None = Field(default=None, ge=1)
    max_pages: int | None = Field(default=None, ge=1)
    """Pages of a PDF or TIFF at most."""
    max_document_mb: float | None = Field(default=None, gt=0)
    """A document's pages, decoded, at most this many MiB."""
    worker_memory_mb: int | None = Field(default=None, ge=0)
    """A worker process's data limit (RLIMIT_DATA); 0: no cap."""
    split: Literal["none", "pages", "auto"] | None = None
    """How a multi-page file becomes documents (:func:`icr.pipeline.split_step`)."""
    side_by_side_gap: float | None = Field(default=None, ge=0)
    """Receipts side by side on a page are cut apart at gutters this many word heights wide (0: never)."""
    stacked_gap: float | None = Field(default=None, ge=0)
    """Receipts one above another on a page are cut apart at blank bands this many word heights tall (0: never)."""
    stacked_apart: bool | None = None
    """Bands of a like size that did not read as receipts one above another are read again apart."""
    side_by_side_apart: float | None = Field(default=None, ge=0, le=1)
    """Columns holding at least this share of the largest one's words are read again apart when they
    did not read as receipts side by side (0: never)."""


class DaskConfig(_Section):
    scheduler: str | None = None
    workers: int | None = Field(default=None, ge=0)
    batch_size: int | None = Field(default=None, ge=1)
    window: int | None = Field(default=None, ge=0)
    inline_bytes: int | None = Field(default=None, ge=0)
    connect_timeout: float | None = Field(default=None, gt=0)


class StoreConfig(_Section):
    path: str
    """auto (next to a SQLite file) | off | a folder: where originals and pages as read are kept."""
    keep_pages: bool | None = None
    """Set by ingest when there is a store: workers send the pages as read back."""


class ReviewConfig(_Section):
    field_types: dict[str, str] = Field(default_factory=dict)
    """What a corrected value must be, by field name (amount, date, time, percent, ...)."""


class CalibrationConfig(_Section):
    enabled: bool
    file: str | None = None
    """The calibration parameters (default: ``calibration.yaml`` in the config folder)."""


class ImageCorrectorOverrides(ImageCorrectorConfig):
    """Image-corrector knobs changed for one kind of document (``forms.image_corrector``)."""

    steps: list[str] | None = None  # type: ignore[assignment]


class FormsHandwritingConfig(_Section):
    """Handwritten lines of a form read again by the handwriting recognizer (``forms.handwriting``)."""

    below: float = Field(ge=0, le=1)
    min_confidence: float = Field(ge=0, le=1)
    lead: float = Field(ge=-1, le=1)
    pad: float = Field(ge=0, le=2)


class FormsConfig(_Section):
    """The forms step (``icr/forms``); its sub-sections' keys are checked by the step itself."""

    enabled: bool
    kind: dict[str, float] | None = None
    read_steps: list[str] | None = None
    psm: int | None = Field(default=None, ge=0, le=13)
    image_corrector: ImageCorrectorOverrides | None = None
    segments: dict[str, float | list[str]] | None = None
    """Segmentation geometry and ``continue_words`` (words a line that goes on ends in)."""
    links: dict[str, float | list[str] | dict[str, str] | dict[str, float]] | None = None
    """Link geometry and confidence, ``digit_slips`` (letters OCR reads for digits),
    ``rule_confidence`` (each rule's weight) and ``sure_answers`` (rules whose answers ask nothing)."""
    model: str | None = None
    """A linker fitted by ``icr forms train`` (a JSON file); unset: the rules link."""
    checkboxes: dict[str, float] | None = None
    handwriting: FormsHandwritingConfig | None = None


class IcrConfig(_Section):
    """The whole of ``config/icr.yaml``. A new setting is a field here (with its type and
    range) and a line in the YAML (with its default); a section a feature may leave out of the
    YAML is optional."""

    stages: StagesConfig
    image_corrector: ImageCorrectorConfig
    recognizer: RecognizerConfig
    second_read: SecondReadConfig
    date_check: DateCheckConfig
    script_fallback: ScriptFallbackConfig | None = None
    consolidate: ConsolidateConfig
    duplicates: DuplicatesConfig | None = None
    text_corrector: TextCorrectorConfig
    ingest: IngestConfig
    store: StoreConfig
    review: ReviewConfig | None = None
    calibration: CalibrationConfig | None = None
    forms: FormsConfig | None = None
    dask: DaskConfig | None = None
    profile: str | None = None
    """Set by :func:`load_settings`: the profile (``config/profiles/<name>.yaml``) merged in."""


PLUGGABLE = ("image_corrector", "recognizer", "text_corrector")
"""Sections named after a stage: a plugin implementing the stage may add its own keys there."""

Layer = tuple[str, Mapping[str, Any]]
"""Where a layer of settings came from (a file's path, or a description) and its data."""


def _has_key(data: Mapping[str, Any], loc: Sequence[str | int]) -> bool:
    node: Any = data
    for part in loc:
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def _origin(loc: Sequence[str | int], layers: Sequence[Layer]) -> str:
    """The last layer that sets the key at ``loc`` (the one to fix)."""
    for where, data in reversed(layers):
        if _has_key(data, loc):
            return where
    for where, data in reversed(layers):
        if loc and _has_key(data, loc[:1]):
            return where
    return layers[-1][0] if layers else "settings"


def _model_keys(section: str) -> set[str]:
    return set(getattr(IcrConfig.model_fields[section].annotation, "model_fields", {}))


def plugin_keys(raw: Mapping[str, Any]) -> dict[str, set[str]]:
    """The keys of each stage's section that are not the model's own (a plugin's)."""
    out: dict[str, set[str]] = {}
    for name in PLUGGABLE:
        section = raw.get(name)
        if isinstance(section, Mapping):
            out[name] = set(section) - _model_keys(name)
    return out


def _plugin_extras(
    raw: dict[str, Any], accepted: Mapping[str, set[str]]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Split off the keys a plugin stage's section carries beyond the model's own (and those
    ``accepted`` before: a stage switched by an override keeps the plugin's keys)."""
    stages = raw.get("stages")
    extras: dict[str, dict[str, Any]] = {}
    if not isinstance(stages, Mapping):
        return raw, extras
    out = dict(raw)
    for name in PLUGGABLE:
        section = out.get(name)
        if not isinstance(section, Mapping):
            continue
        own = _model_keys(name)
        plugin = ":" in str(stages.get(name, ""))
        extra = {k: v for k, v in section.items() if k not in own and (plugin or k in accepted.get(name, ()))}
        if extra:
            extras[name] = extra
            out[name] = {k: v for k, v in section.items() if k not in extra}
    return out, extras


def validate_settings(
    raw: Mapping[str, Any], layers: Sequence[Layer] = (), accepted: Mapping[str, set[str]] | None = None
) -> tuple[IcrConfig, dict[str, Any]]:
    """Check merged settings; returns the model and the settings as plain data.

    Raises :class:`ConfigError` naming the layer (file) that set the first bad key."""
    checked, extras = _plugin_extras(dict(raw), accepted or {})
    try:
        model = IcrConfig.model_validate(checked)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        key = ".".join(str(part) for part in loc) or "<top>"
        if first["type"] == "extra_forbidden":
            problem = "unknown key"
            section = IcrConfig if len(loc) == 1 else IcrConfig.model_fields[str(loc[0])].annotation
            allowed = sorted(getattr(section, "model_fields", {}))
            if allowed:
                problem += f" (allowed here: {', '.join(allowed)})"
        elif first["type"] == "missing":
            problem = "missing"
        else:
            problem = f"{first['msg']} (got {first.get('input')!r})"
        where = _origin(loc, [*layers] or [("settings", raw)])
        raise ConfigError(f"{where}: key '{key}': {problem}") from None
    data = model.model_dump(exclude_unset=True)
    for name, keys in extras.items():
        data[name] = {**data.get(name, {}), **keys}
    return model, data


@dataclass
class Settings:
    """All pipeline settings, validated, as plain data (picklable, sent to workers)."""

    raw: dict[str, Any]
    template_dirs: list[Path] = field(default_factory=list)
    """Extra template folders; earlier ones take precedence over later ones and the shipped ones."""

    @classmethod
    def from_layers(cls, layers: Sequence[Layer]) -> Settings:
        """Merge ``layers`` in order (later ones win, key by key) and validate the result."""
        raw: dict[str, Any] = {}
        for _where, data in layers:
            raw = _merge(raw, data)
        _model, data = validate_settings(raw, layers)
        return cls(data)

    @cached_property
    def config(self) -> IcrConfig:
        """The settings as typed models."""
        return validate_settings(self.raw, accepted=plugin_keys(self.raw))[0]

    def section(self, name: str) -> dict[str, Any]:
        value = self.raw.get(name, {})
        if not isinstance(value, dict):
            raise ConfigError(f"config section '{name}' must be a mapping")
        return value

    def stage(self, name: str) -> str:
        return str(self.section("stages").get(name, "default"))

    def get(self, section: str, key: str, default: Any = None) -> Any:
        return self.section(section).get(key, default)

    def with_overrides(self, overrides: Mapping[str, Any], origin: str = "overrides") -> Settings:
        """These settings with ``overrides`` merged over them, validated."""
        merged = _merge(self.raw, overrides)
        layers = [("settings", self.raw), (origin, overrides)]
        _model, data = validate_settings(merged, layers, accepted=plugin_keys(self.raw))
        return Settings(data, list(self.template_dirs))

    def __getstate__(self) -> dict[str, Any]:
        return {"raw": self.raw, "template_dirs": self.template_dirs}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.raw = state["raw"]
        self.template_dirs = state["template_dirs"]


DEFAULT_PROFILE = "accurate"


def default_profile() -> str:
    """The profile used when none is named: ``$ICR_PROFILE``, else ``accurate``."""
    return os.environ.get("ICR_PROFILE") or DEFAULT_PROFILE


def profiles() -> list[str]:
    """The shipped profiles (``config/profiles/<name>.yaml``)."""
    return sorted(p.stem for p in (config_dir() / "profiles").glob("*.yaml"))


def settings_layers(
    path: Path | str | None = None, overrides: Mapping[str, Any] | None = None, profile: str | None = None
) -> list[Layer]:
    """The layers :func:`load_settings` merges: shipped defaults, the profile, the user's file, overrides."""
    shipped = config_dir() / "icr.yaml"
    layers: list[Layer] = [(str(shipped), load_yaml(shipped))]
    if profile:
        if profile not in profiles():
            raise ConfigError(f"unknown profile '{profile}' (known: {', '.join(profiles())})")
        chosen = config_dir() / "profiles" / f"{profile}.yaml"
        layers.append((str(chosen), {**load_yaml(chosen), "profile": profile}))
    user = path or os.environ.get("ICR_CONFIG")
    if user:
        layers.append((str(user), load_yaml(Path(user))))
    if overrides:
        layers.append(("overrides", overrides))
    return layers


def load_settings(
    path: Path | str | None = None, overrides: Mapping[str, Any] | None = None, profile: str | None = None
) -> Settings:
    """Shipped defaults, then the ``profile`` (``config/profiles/<profile>.yaml``), then ``path`` (or
    ``$ICR_CONFIG``), then ``overrides``; validated."""
    return Settings.from_layers(settings_layers(path, overrides, profile))
