"""Regulatory reporting as data: read the rules file, check it, and say which regimes an incident falls under.

The rules file (``improvement/data/reporting_rules.yaml``, or the file the setting
``AIMS_REPORTING_RULES`` names) lists regimes such as the EU AI Act's serious-incident
report (Article 73) or the GDPR's breach notification (Article 33): when an incident falls
under each, to whom it is reported, and the deadline counted from the moment the
organisation became aware of it (the incident's ``detected_at``). Its header comment
describes the format. A file that does not follow it is refused as a whole with a
``RulesFileError`` naming the file, the regime and what is wrong; ``manage.py check``
reports the same (``check_rules_file``), so a bad edit is seen before any incident is saved.

``obligations_due(incident, ai_systems)`` is a pure computation: the services turn its
answer into ``ReportingObligation`` rows.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from improvement.models import Incident
from registers.models import AISystem, AISystemRole

RULES_FILE = Path(__file__).resolve().parent.parent / "data" / "reporting_rules.yaml"
AI_SYSTEM_PREFIX = "ai_system."
INCIDENT_KEYS = ("incident_type", "severity", "channel", "possibly_serious", *Incident.harm_flags)
AI_SYSTEM_KEYS = ("eu_ai_act_risk_class", "ai_role", "lifecycle_stage", "in_scope")
REGIME_KEYS = {"key", "title", "legal_reference", "authority", "summary", "when", "within", "shorter_when"}
REQUIRED_KEYS = ("key", "title", "legal_reference", "when", "within")


class RulesFileError(ImproperlyConfigured):
    """The reporting rules file cannot be read or does not follow its format: nothing of it is used."""


# --- the rules as objects ------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What the conditions may ask about one incident: its own fields and its AI systems' fields."""

    incident: Mapping[str, Any]
    ai_systems: tuple[Mapping[str, Any], ...] = ()

    @classmethod
    def of(cls, incident: Incident, ai_systems: Iterable[AISystem]) -> Facts:
        return cls(
            incident={name: getattr(incident, name) for name in INCIDENT_KEYS},
            ai_systems=tuple(_system_facts(system) for system in ai_systems),
        )


def _system_facts(system: AISystem) -> dict[str, Any]:
    # An AI system holds a set of roles: ``ai_role`` is that set, and a condition holds when one of them matches.
    return {name: system.role_codes if name == "ai_role" else getattr(system, name) for name in AI_SYSTEM_KEYS}


@dataclass(frozen=True)
class Condition:
    """One field has one of the values: the incident's own, or at least one of its AI systems'."""

    name: str
    values: tuple[Any, ...]

    def holds(self, facts: Facts) -> bool:
        if self.name.startswith(AI_SYSTEM_PREFIX):
            key = self.name.removeprefix(AI_SYSTEM_PREFIX)
            return any(_matches(system.get(key), self.values) for system in facts.ai_systems)
        return facts.incident.get(self.name) in self.values


def _matches(value: Any, values: tuple[Any, ...]) -> bool:
    if isinstance(value, frozenset):
        return not value.isdisjoint(values)
    return value in values


@dataclass(frozen=True)
class Conditions:
    """Every condition holds, and at least one group of ``any`` (when there are groups)."""

    every: tuple[Condition, ...] = ()
    any_of: tuple[Conditions, ...] = ()

    def holds(self, facts: Facts) -> bool:
        if not all(condition.holds(facts) for condition in self.every):
            return False
        return not self.any_of or any(group.holds(facts) for group in self.any_of)


@dataclass(frozen=True, order=True)
class Span:
    """A time allowed for reporting, and how the rules file words it ("72 hours", "15 days")."""

    delta: timedelta
    text: str = field(compare=False)


@dataclass(frozen=True)
class StricterDeadline:
    label: str
    when: Conditions
    within: Span


@dataclass(frozen=True)
class Regime:
    """A reporting regime of the rules file."""

    key: str
    title: str
    legal_reference: str
    authority: str
    summary: str
    when: Conditions
    within: Span
    shorter_when: tuple[StricterDeadline, ...] = field(default=())

    def applies(self, facts: Facts) -> bool:
        return self.when.holds(facts)

    def deadline(self, facts: Facts, aware_at: datetime) -> tuple[datetime, str]:
        """The deadline counted from ``aware_at``, and how it was reached (the shortest that applies)."""
        within, why = self.within, ""
        for stricter in self.shorter_when:
            if stricter.within < within and stricter.when.holds(facts):
                within, why = stricter.within, stricter.label
        basis = f"{within.text} from awareness" + (f": {why}" if why else "")
        return aware_at + within.delta, f"{basis} ({self.legal_reference})"


@dataclass(frozen=True)
class Due:
    """An obligation an incident has under one regime, with its deadline."""

    regime: Regime
    deadline: datetime
    basis: str


# --- reading and checking the file ---------------------------------------------------------------


def rules_path() -> Path:
    """The rules file in use: ``AIMS_REPORTING_RULES`` if set, else the project's own."""
    return Path(getattr(settings, "AIMS_REPORTING_RULES", "") or RULES_FILE)


def regimes() -> tuple[Regime, ...]:
    """The regimes of the rules file in use (read again when the file changes)."""
    path = rules_path()
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError as exc:
        raise RulesFileError(f"{path}: the reporting rules file cannot be read ({exc.strerror}).") from exc
    return _load_cached(str(path), stamp)


@lru_cache(maxsize=4)
def _load_cached(path: str, stamp: int) -> tuple[Regime, ...]:
    return load_rules(Path(path))


def load_rules(path: Path) -> tuple[Regime, ...]:
    """Read and check a rules file; raise ``RulesFileError`` saying where it is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesFileError(f"{path}: the reporting rules file cannot be read ({exc.strerror}).") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulesFileError(f"{path}: not valid YAML: {exc}") from exc
    return parse_rules(data, source=str(path))


def parse_rules(data: Any, *, source: str = "reporting rules") -> tuple[Regime, ...]:
    """Turn the parsed file into regimes, or raise ``RulesFileError`` naming the regime and the problem."""
    if not isinstance(data, Mapping) or not isinstance(data.get("regimes"), list) or not data["regimes"]:
        raise RulesFileError(f"{source}: expected a mapping with a non-empty list under 'regimes'.")
    found: list[Regime] = []
    for index, raw in enumerate(data["regimes"], start=1):
        where = f"{source}: regime {index}"
        if isinstance(raw, Mapping) and isinstance(raw.get("key"), str):
            where += f" ({raw['key']})"
        regime = _regime(raw, where)
        if any(other.key == regime.key for other in found):
            raise RulesFileError(f"{where}: the key {regime.key!r} is used by an earlier regime.")
        found.append(regime)
    return tuple(found)


def _regime(raw: Any, where: str) -> Regime:
    if not isinstance(raw, Mapping):
        raise RulesFileError(f"{where}: expected a mapping of key, title, legal_reference, when, within.")
    unknown = sorted(set(raw) - REGIME_KEYS)
    if unknown:
        raise RulesFileError(f"{where}: unknown entries {unknown}; a regime has {sorted(REGIME_KEYS)}.")
    for name in REQUIRED_KEYS:
        if name not in raw:
            raise RulesFileError(f"{where}: '{name}' is missing.")
    for name in ("key", "title", "legal_reference", "authority", "summary"):
        if name in raw and not (isinstance(raw[name], str) and raw[name].strip()):
            raise RulesFileError(f"{where}: '{name}' must be a non-empty text.")
    return Regime(
        key=raw["key"].strip(),
        title=raw["title"].strip(),
        legal_reference=raw["legal_reference"].strip(),
        authority=str(raw.get("authority", "")).strip(),
        summary=" ".join(str(raw.get("summary", "")).split()),
        when=_conditions(raw["when"], f"{where}, when"),
        within=_within(raw["within"], f"{where}, within"),
        shorter_when=tuple(_stricter(item, f"{where}, shorter_when {n}") for n, item in _items(raw, where)),
    )


def _items(raw: Mapping[str, Any], where: str) -> list[tuple[int, Any]]:
    items = raw.get("shorter_when", [])
    if not isinstance(items, list):
        raise RulesFileError(f"{where}: 'shorter_when' must be a list.")
    return list(enumerate(items, start=1))


def _stricter(raw: Any, where: str) -> StricterDeadline:
    if not isinstance(raw, Mapping) or set(raw) != {"label", "when", "within"}:
        raise RulesFileError(f"{where}: expected exactly label, when and within.")
    if not isinstance(raw["label"], str) or not raw["label"].strip():
        raise RulesFileError(f"{where}: 'label' must be a non-empty text.")
    return StricterDeadline(
        raw["label"].strip(), _conditions(raw["when"], f"{where}, when"), _within(raw["within"], f"{where}, within")
    )


def _within(raw: Any, where: str) -> Span:
    if not isinstance(raw, Mapping) or not raw or set(raw) - {"days", "hours"}:
        raise RulesFileError(f"{where}: expected days and/or hours, for example {{days: 15}} or {{hours: 72}}.")
    for unit, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise RulesFileError(f"{where}: {unit} must be a whole number of zero or more, not {value!r}.")
    span = timedelta(days=raw.get("days", 0), hours=raw.get("hours", 0))
    if span <= timedelta(0):
        raise RulesFileError(f"{where}: the deadline must be later than the moment of awareness.")
    words = [f"{raw[unit]} {unit if raw[unit] != 1 else unit[:-1]}" for unit in ("days", "hours") if raw.get(unit)]
    return Span(span, " ".join(words))


def _conditions(raw: Any, where: str) -> Conditions:
    if not isinstance(raw, Mapping) or not raw:
        raise RulesFileError(f"{where}: expected at least one condition (field: value).")
    every, groups = [], ()
    for name, value in raw.items():
        if name == "any":
            if not isinstance(value, list) or not value:
                raise RulesFileError(f"{where}: 'any' takes a non-empty list of condition groups.")
            groups = tuple(_conditions(group, f"{where}, any {n}") for n, group in enumerate(value, start=1))
        else:
            every.append(_condition(str(name), value, where))
    return Conditions(tuple(every), groups)


def _condition(name: str, value: Any, where: str) -> Condition:
    model_field = _field(name, where)
    values = tuple(value) if isinstance(value, list) else (value,)
    if not values:
        raise RulesFileError(f"{where}: '{name}' has an empty list of values.")
    if isinstance(model_field, models.BooleanField):
        if any(not isinstance(v, bool) for v in values):
            raise RulesFileError(f"{where}: '{name}' is true or false, not {value!r}.")
        return Condition(name, values)
    allowed = [choice for choice, _label in model_field.choices]
    wrong = [v for v in values if v not in allowed]
    if wrong:
        raise RulesFileError(f"{where}: '{name}' cannot be {wrong}; it is one of {allowed}.")
    return Condition(name, values)


def _field(name: str, where: str) -> models.Field:
    if name.startswith(AI_SYSTEM_PREFIX):
        key = name.removeprefix(AI_SYSTEM_PREFIX)
        if key == "ai_role":
            return AISystemRole._meta.get_field("role")
        if key in AI_SYSTEM_KEYS:
            return AISystem._meta.get_field(key)
    elif name in INCIDENT_KEYS:
        return Incident._meta.get_field(name)
    known = [*INCIDENT_KEYS, *(AI_SYSTEM_PREFIX + key for key in AI_SYSTEM_KEYS), "any"]
    raise RulesFileError(f"{where}: unknown condition '{name}'; use one of {known}.")


# --- what an incident owes -----------------------------------------------------------------------


def obligations_due(incident: Incident, ai_systems: Iterable[AISystem]) -> list[Due]:
    """The regimes the incident falls under, each with its deadline from ``detected_at``."""
    facts = Facts.of(incident, ai_systems)
    due = []
    for regime in regimes():
        if regime.applies(facts):
            deadline, basis = regime.deadline(facts, incident.detected_at)
            due.append(Due(regime, deadline, basis))
    return due


def check_rules_file(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """System check: the reporting rules file can be read and follows its format."""
    try:
        regimes()
    except RulesFileError as exc:
        return [checks.Error(str(exc), hint="Fix the reporting rules file.", id="improvement.E001")]
    return []
