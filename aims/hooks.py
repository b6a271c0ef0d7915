"""Registries through which feature apps plug into the core, filled from ``AppConfig.ready()``.

The core (``aims``) imports no feature app. Instead each app declares here what it adds:

- ``on_management_system_created(fn)``: ``fn(management_system, user)`` runs inside the
  transaction that creates a management system (the SoA app creates its 38 rows).
- ``register_overview_panel(key, ...)``: a panel on a management system's overview page.
- ``register_demo_step(module, order=...)``: a module whose ``load(demo)`` adds the app's
  demo records; imported only by ``load_demo``, never at start-up.
- ``register_nav_menu(key, ...)``: a menu in the site's navigation (the management system's
  own records, by clause), its entries resolved for the current management system.
- ``register_member_home(url_name)``: the page a member of one management system lands on
  (``url_name`` reversed with its id; by default the overview, ``aims:ms_home``).
- ``register_reference_finder(fn, probe=...)``: ``fn(record) -> [str]`` names what refers to a
  record (evidence linked to it, for example), so a referenced record is retired, not deleted;
  ``probe(record)`` answers only whether anything does, for pages that need no more (a query
  set that is empty when nothing refers, or a bool), so that they ask in one query.

Sign-off kinds (``aims.ledger.register_signable``), pack sections
(``aims.pack_sections.register_pack_section``) and evidence links
(``evidence.register_linkable``) are registries of the same kind, next to what they serve.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models

# --- a management system is created ---------------------------------------------------------

_CREATED: list[Callable[[Any, Any], None]] = []


def on_management_system_created(fn: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    """Run ``fn(management_system, user)`` whenever a management system is created (once per function)."""
    if fn not in _CREATED:
        _CREATED.append(fn)
    return fn


def management_system_created(management_system: Any, user: Any) -> None:
    """Call every hook for a new management system (inside its creating transaction)."""
    for fn in _CREATED:
        fn(management_system, user)


# --- panels on the overview page --------------------------------------------------------------


@dataclass(frozen=True)
class OverviewPanel:
    key: str
    order: int
    template: str
    context: Callable[[Any, Any], dict[str, Any] | None]  # (request, management_system) -> context or None to hide


_PANELS: dict[str, OverviewPanel] = {}


def register_overview_panel(
    key: str, *, template: str, context: Callable[[Any, Any], dict[str, Any] | None], order: int = 100
) -> OverviewPanel:
    """Add a panel to the overview page (registering a key again replaces it)."""
    panel = OverviewPanel(key, order, template, context)
    _PANELS[key] = panel
    return panel


def overview_panels(request: Any, management_system: Any) -> list[tuple[OverviewPanel, dict[str, Any]]]:
    """The panels to show, in order, each with its context (panels answering None are left out)."""
    shown = []
    for panel in sorted(_PANELS.values(), key=lambda p: (p.order, p.key)):
        context = panel.context(request, management_system)
        if context is not None:
            shown.append((panel, context))
    return shown


# --- menus in the navigation ---------------------------------------------------------------------


@dataclass(frozen=True)
class NavMenu:
    key: str
    label: str
    order: int
    url_name: str  # the menu's index page, reversed with the management system's id
    path_prefix: str  # pages under this path (after /ms/<id>/) mark the menu as current
    entries: Callable[[int], list[dict[str, str]]]  # (management system id) -> [{"url", "title", ...}]
    index_label: str = "All, by clause"  # the link to the menu's index page ("" when an entry is that page)
    # Pages (URL names) under the prefix that do not mark the menu as current: they have a link of their own.
    not_current_on: tuple[str, ...] = ()


_MENUS: dict[str, NavMenu] = {}


def register_nav_menu(
    key: str,
    *,
    label: str,
    url_name: str,
    path_prefix: str,
    entries: Callable[[int], list[dict[str, str]]],
    order: int = 100,
    index_label: str = "All, by clause",
    not_current_on: tuple[str, ...] = (),
) -> NavMenu:
    """Add a menu to the navigation (registering a key again replaces it)."""
    menu = NavMenu(key, label, order, url_name, path_prefix, entries, index_label, not_current_on)
    _MENUS[key] = menu
    return menu


def nav_menus() -> list[NavMenu]:
    """The registered menus, in order."""
    return sorted(_MENUS.values(), key=lambda m: (m.order, m.key))


# --- the member's home -------------------------------------------------------------------------

MEMBER_HOME_DEFAULT = "aims:ms_home"
_MEMBER_HOME: dict[str, str] = {}


def register_member_home(url_name: str) -> None:
    """Make ``url_name`` (reversed with a management system's id) the page its members land on."""
    _MEMBER_HOME["url_name"] = url_name


def member_home_url_name() -> str:
    """The page a member lands on in a management system (the overview unless an app registered another)."""
    return _MEMBER_HOME.get("url_name", MEMBER_HOME_DEFAULT)


# --- demo steps ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoStep:
    module: str
    order: int


_DEMO_STEPS: dict[str, DemoStep] = {}


def register_demo_step(module: str, *, order: int) -> None:
    """Name a module whose ``load(demo)`` adds demo records; steps run by ascending order."""
    _DEMO_STEPS[module] = DemoStep(module, order)


def demo_steps() -> list[DemoStep]:
    return sorted(_DEMO_STEPS.values(), key=lambda s: (s.order, s.module))


# --- what refers to a record ---------------------------------------------------------------------

ReferenceProbe = Callable[[models.Model], "models.QuerySet | bool"]

_FINDERS: list[Callable[[models.Model], list[str]]] = []
_PROBES: dict[Callable[[models.Model], list[str]], ReferenceProbe] = {}


def register_reference_finder(
    fn: Callable[[models.Model], list[str]], *, probe: ReferenceProbe | None = None
) -> Callable[[models.Model], list[str]]:
    """Add ``fn(record) -> [description]`` to the places that may refer to a record.

    ``probe(record)``, when given, says whether ``fn`` would name anything: a query set of the
    referring rows (empty when none) or a bool. Without one, ``fn`` itself is asked.
    """
    if fn not in _FINDERS:
        _FINDERS.append(fn)
    if probe is not None:
        _PROBES[fn] = probe
    return fn


def reference_finders() -> list[Callable[[models.Model], list[str]]]:
    return list(_FINDERS)


def reference_probe(finder: Callable[[models.Model], list[str]]) -> ReferenceProbe | None:
    """The probe registered with ``finder``, if any."""
    return _PROBES.get(finder)
