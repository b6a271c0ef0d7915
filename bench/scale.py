"""Benchmark: every page and endpoint at the size of a large organisation, against the small demo.

Builds, in its own database (default ``postgres://postgres@127.0.0.1:5432/aims_scale``; created
when missing, ``--rebuild`` drops and builds it again; a database already built at the same
``--factor`` is reused), the demo (``load_demo``: Acme Health, Northwind) and one large
management system, "Scale Org", at ``--factor`` times the size of issue 15:

- 1,000 AI systems (with 100 model records, 100 datasets, 50 suppliers linked), 5,000 risks
  (each linked to AI systems and Annex A controls, two versions each, accepted at both),
  2,500 evidence files (stored files, linked to AI systems and risks), 100 impact
  assessments (with rows, approved, each raising a risk), the 38 SoA rows linked to AI
  systems and approved 50 times: about 10,500 sign-offs in one chain;
- one AI system and one risk with ``--versions`` (500) versions, written by the services.

Small registers go through the services. The large ones use bulk paths that write what the
services write: the rows, one history row per version (user, reason, date, version number),
their versioned links, and sign-offs appended to the chain with the ledger's own canonical
payload, digest and signature, so ``verify_ledger`` passes.

Then it requests every page and endpoint (resolved by URL name; one that fails shows its
status) ``--requests`` times (30) as the compliance officer with the Django test client, on
the large management system and on the demo's Acme Health, and prints p50 and p95 of the
server time, the queries of one request, the size, and the large/demo ratios; ``!`` marks a
figure over the goals of issue 15 (p95 > 50 ms, size > 500 KB, queries growing with rows).
Last it prints the rate of ``aims.ledger.verify``.

Run: ``.venv/bin/python bench/scale.py [--factor 1] [--requests 30] [--rebuild] [--only risk]``
(``--factor 0.1`` builds in well under a minute).
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import re
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_DATABASE_URL, median, percentile, setup  # noqa: E402

SCALE_ORGANISATION = "Scale Org"
GOAL_P95_MS = 50.0
GOAL_SIZE = 500 * 1024
BUDGET_SECONDS = 60.0  # per URL: a page slower than this gets fewer than --requests samples (--budget)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    parser.add_argument("--factor", type=float, default=1.0, help="size relative to issue 15 (1.0: 5,000 risks)")
    parser.add_argument("--versions", type=int, default=500, help="versions of the most edited AI system and risk")
    parser.add_argument("--requests", type=int, default=30, help="requests per URL")
    parser.add_argument("--budget", type=float, default=BUDGET_SECONDS, help="seconds at most per URL")
    parser.add_argument("--rebuild", action="store_true", help="drop the database and build it again")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--only", default="", help="measure only the URLs whose label matches this regex")
    parser.add_argument("--skip-verify", action="store_true", help="do not time the ledger verification")
    return parser.parse_args()


def sizes(factor: float, versions: int) -> dict[str, int]:
    def n(value: int, least: int = 2) -> int:
        return max(least, round(value * factor))

    return {
        "ai_systems": n(1000, 5),
        "model_records": n(100),
        "dataset_records": n(100),
        "suppliers": n(50),
        "risks": n(5000, 10),
        "evidence": n(2500, 5),
        "impact_assessments": n(100),
        "soa_approvals": n(50),
        "versions": versions,
    }


# --- building ------------------------------------------------------------------------------


def log(message: str, started: float = 0.0) -> None:
    suffix = f" ({time.perf_counter() - started:.1f}s)" if started else ""
    print(f"  {message}{suffix}", flush=True)


def references(model: Any, management_system: Any, count: int) -> list[str]:
    """The next ``count`` references of a register, continuing after every reference ever used."""
    from aims.services import next_reference

    first = int(next_reference(model, management_system).rsplit("-", 1)[1])
    return [f"{model.reference_prefix}-{number:03d}" for number in range(first, first + count)]


def bulk_versions(model: Any, objs: list[Any], *, user: Any, reason: str, update: bool = False) -> list[Any]:
    """One history row per object, as ``aims.history.record_version`` writes it, links included.

    The objects are saved (created or updated) already, with their many-to-many links; each
    history row copies the tracked fields (the version number among them) and each versioned
    link, with the acting user, the reason and the time.
    """
    from django.utils import timezone

    when = timezone.now()
    for obj in objs:
        obj._history_user, obj._change_reason, obj._history_date = user, reason, when
    rows = model.history.bulk_history_create(objs, update=update, batch_size=2000)
    by_object = {row.id: row for row in rows}
    for name in getattr(model, "_history_m2m_fields", []):
        field = model._meta.get_field(name)
        through = field.remote_field.through
        history_through = model.history.model._meta.get_field(f"{model.history.model._meta.model_name}_{name}")
        history_through = history_through.related_model
        source = field.m2m_field_name()
        attnames = [f.attname for f in through._meta.fields]
        links = through.objects.filter(**{f"{source}__in": [obj.pk for obj in objs]}).values_list(*attnames)
        history_through.objects.bulk_create(
            [
                history_through(history_id=by_object[values[attnames.index(f"{source}_id")]].history_id,
                                **dict(zip(attnames, values, strict=True)))
                for values in links.iterator(chunk_size=5000)
            ],
            batch_size=5000,
        )  # fmt: skip
    return rows


def bulk_create(model: Any, management_system: Any, objs: list[Any], *, user: Any, reason: str,
                links: dict[str, list[list[Any]]] | None = None) -> list[Any]:  # fmt: skip
    """Create register rows with the next references, their links and their first version."""
    for obj, reference in zip(objs, references(model, management_system, len(objs)), strict=True):
        obj.management_system, obj.reference = management_system, reference
    created = model.objects.bulk_create(objs, batch_size=2000)
    for name, per_object in (links or {}).items():
        field = model._meta.get_field(name)
        through = field.remote_field.through
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        through.objects.bulk_create(
            [
                through(**{f"{source}_id": obj.pk, f"{target}_id": other.pk})
                for obj, others in zip(created, per_object, strict=True)
                for other in {o.pk: o for o in others}.values()
            ],
            batch_size=5000,
        )
    bulk_versions(model, created, user=user, reason=reason)
    return created


def append_signoffs(management_system: Any, items: list[dict[str, Any]], *, batch: int = 1000) -> int:
    """Append sign-offs to the management system's chain exactly as ``aims.ledger.append_signoff`` does, in batches.

    Each item: kind, subject, keys (the signed history rows), signer, signer_role,
    signer_title, statement, verification. Link, digest (over the versions read back from
    the history tables) and signature come from the ledger's own functions.
    """
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.utils import timezone

    from aims import ledger, signing
    from aims.models import ManagementSystem, SignOff

    for start in range(0, len(items), batch):
        chunk = items[start : start + batch]
        with transaction.atomic():
            ManagementSystem.objects.select_for_update().filter(pk=management_system.pk).exists()
            previous = SignOff.objects.filter(management_system=management_system).order_by("-sequence").first()
            sequence, link = (previous.sequence, previous.digest) if previous else (0, ledger.GENESIS_DIGEST)
            loaded = ledger.load_versions(key for item in chunk for key in item["keys"])
            signoffs = []
            for item in chunk:
                sequence += 1
                signoff = SignOff(
                    management_system=management_system,
                    sequence=sequence,
                    previous_digest=link,
                    kind=item["kind"],
                    subject_type=ContentType.objects.get_for_model(item["subject"]),
                    subject_id=item["subject"].pk,
                    versions=[list(key) for key in item["keys"]],
                    signer=item["signer"],
                    signer_role=item["signer_role"],
                    signer_title=item["signer_title"],
                    statement=item["statement"],
                    signed_at=timezone.now(),
                    canonical_format=ledger.CANONICAL_FORMAT,
                    verification=item["verification"],
                    override_reason="",
                )
                signoff.digest = ledger.digest_of(ledger.signed_payload(signoff, [loaded[k] for k in item["keys"]]))
                signoff.signature = signing.sign_digest(signoff.digest)
                link = signoff.digest
                signoffs.append(signoff)
            SignOff.objects.bulk_create(signoffs)
    return len(items)


def build(counts: dict[str, int], factor: float) -> None:
    """The demo, then the large management system (see the module's docstring)."""
    from django.core.files.base import ContentFile
    from django.db import transaction
    from django.utils import timezone

    from aims import demo as aims_demo
    from aims import mfa
    from aims import services as aims_services
    from aims.models import Membership, Role
    from assessments import services as risk_services
    from assessments import signoffs
    from assessments.demo import ASSESSMENTS, RISKS, _assessment
    from assessments.models import Risk
    from controls import services as soa_services
    from controls.models import Applicability, Control
    from evidence.models import Evidence, EvidenceLink
    from evidence.services import _file_fields
    from registers import services as register_services
    from registers.models import AISystem, AISystemRole, DatasetRecord, ModelRecord, Supplier

    started = time.perf_counter()
    aims_demo.load()
    log("demo loaded (load_demo)", started)
    users = {m.user.username: m.user for m in Membership.objects.select_related("user").filter(
        management_system__name=aims_demo.ACME["name"])}  # fmt: skip
    owner, officer, leader = users["owner"], users["officer"], users["leader"]
    today = timezone.localdate()

    step = time.perf_counter()
    with transaction.atomic():
        ms = aims_services.management_system_create(
            user=owner, owner=owner, organisation=SCALE_ORGANISATION, name=f"Scale AIMS x{factor:g}",
            scope_statement="Every AI system of a large organisation (bench/scale.py).",
        )  # fmt: skip
        for username, role in (("officer", Role.OFFICER), ("leader", Role.LEADERSHIP),
                               ("contributor", Role.CONTRIBUTOR), ("auditor", Role.AUDITOR)):  # fmt: skip
            expires = timezone.now() + timedelta(days=365) if role == Role.AUDITOR else None
            aims_services.membership_add(management_system=ms, actor=owner, user=users[username], role=role,
                                         expires_at=expires)  # fmt: skip
        aims_demo._record_job_titles(ms, users)
        criteria = risk_services.risk_criteria_create(
            management_system=ms, user=officer, reason="Risk criteria agreed", consequence_basis="per_party",
            intolerable_level="critical", rationale="5 x 5 scales; medium residual risk is acceptable.",
        )  # fmt: skip
        ledger_sign(signoffs.CRITERIA_APPROVAL, criteria, leader, "Approved as the risk criteria.")
        impact_criteria = risk_services.impact_criteria_ensure_default(management_system=ms, user=officer)
        ledger_sign(signoffs.IMPACT_CRITERIA_APPROVAL, impact_criteria, leader, "Approved: impact criteria.")
    log("management system, members, criteria", step)

    step = time.perf_counter()
    with transaction.atomic():
        records = {}
        for model, count, make in (
            (ModelRecord, counts["model_records"], lambda i: ModelRecord(
                name=f"Model {i}", model_version=f"{i % 7}.{i % 3}", provider="In-house",
                model_type=ModelRecord.ModelType.CLASSIFIER, intended_use="Scoring.")),
            (DatasetRecord, counts["dataset_records"], lambda i: DatasetRecord(
                name=f"Dataset {i}", source="Data warehouse", provenance="Exported nightly.", quality="Checked.")),
            (Supplier, counts["suppliers"], lambda i: Supplier(
                name=f"Supplier {i}", services="AI services", due_diligence_status=Supplier.DueDiligence.APPROVED)),
        ):  # fmt: skip
            records[model] = bulk_create(model, ms, [make(i) for i in range(1, count + 1)], user=officer,
                                         reason="Imported from the inventory")  # fmt: skip
        stages = list(AISystem.LifecycleStage.values)
        classes = list(AISystem.RiskClass.values)
        n = counts["ai_systems"]
        systems = bulk_create(
            AISystem, ms,
            [AISystem(name=f"AI system {i:04d}", purpose=f"Supports process {i} of the organisation.",
                      intended_use="Decision support, reviewed by staff.", owner=officer,
                      lifecycle_stage=stages[i % (len(stages) - 1)], eu_ai_act_risk_class=classes[i % len(classes)],
                      notes="Imported from the inventory spreadsheet.") for i in range(1, n + 1)],
            user=officer, reason="Imported from the inventory",
            links={
                "model_records": [[records[ModelRecord][i % len(records[ModelRecord])]] for i in range(n)],
                "dataset_records": [[records[DatasetRecord][i % len(records[DatasetRecord])]] for i in range(n)],
                "suppliers": [[records[Supplier][i % len(records[Supplier])]] for i in range(n)],
            },
        )  # fmt: skip
        roles = AISystemRole.objects.bulk_create(
            [AISystemRole(ai_system=s, scheme=AISystemRole.Scheme.EU_AI_ACT, role="deployer",
                          basis="The organisation uses the system under its authority.") for s in systems]
        )  # fmt: skip
        bulk_versions(AISystemRole, roles, user=officer, reason="Imported from the inventory")
    log(f"{len(systems)} AI systems, {sum(len(r) for r in records.values())} model/dataset/supplier records", step)

    step = time.perf_counter()
    with transaction.atomic():
        for i in range(counts["impact_assessments"]):
            spec = dict(ASSESSMENTS[i % len(ASSESSMENTS)])
            spec["title"] = f"{spec['title']} ({i + 1})"
            _assessment(ms, users, spec, systems[i % len(systems)], today)
    log(f"{counts['impact_assessments']} impact assessments (services: rows, a raised risk, approval)", step)

    step = time.perf_counter()
    controls = list(Control.objects.order_by("position"))
    sources = [spec["source"] for spec in RISKS]
    risks = []
    for i in range(counts["risks"]):
        spec = RISKS[i % len(RISKS)]
        fields = {
            "title": f"{spec['title']} ({i + 1})", "source": sources[i % len(sources)],
            "description": spec["description"], "consequence_individuals": spec["description"],
            "likelihood": 1 + i % 5, "consequence_individuals_rating": 1 + (i // 5) % 5,
            "consequence_organisation_rating": 1 + (i // 25) % 5, "treatment_option": Risk.Treatment.MODIFY,
            "treatment_plan": spec["plan"], "residual_likelihood": 1 + i % 2, "residual_consequence": 1 + i % 3,
            "owner": officer, "next_review": today + timedelta(days=30 + i % 300),
            "acceptance_review_by": today + timedelta(days=365),
        }  # fmt: skip
        risks.append(Risk(criteria=criteria, **risk_services._scored(criteria, None, fields)))
    with transaction.atomic():
        risks = bulk_create(
            Risk, ms, risks, user=officer, reason="Risk workshop",
            links={"ai_systems": [[systems[i % len(systems)], systems[(i * 7 + 3) % len(systems)]]
                                  for i in range(len(risks))],
                   "controls": [[controls[i % len(controls)], controls[(i * 5 + 1) % len(controls)]]
                                for i in range(len(risks))]},
        )  # fmt: skip
    log(f"{len(risks)} risks (version 1)", step)

    step = time.perf_counter()
    signed = 0
    for version, statement in ((1, "Residual risk accepted at the risk workshop."),
                               (2, "Residual risk accepted again at the annual review.")):  # fmt: skip
        if version == 2:
            with transaction.atomic():
                for risk in risks:
                    risk.version = 2
                    risk.next_review = risk.next_review + timedelta(days=365)
                    risk.effectiveness_check = "Annual review: the treatment works as planned."
                    risk.updated_at = timezone.now()
                Risk.objects.bulk_update(risks, ["version", "next_review", "effectiveness_check", "updated_at"],
                                         batch_size=2000)  # fmt: skip
                bulk_versions(Risk, risks, user=officer, reason="Annual review", update=True)
        latest = dict(Risk.history.filter(id__in=[r.pk for r in risks], version=version)
                      .values_list("id", "history_id"))  # fmt: skip
        signed += append_signoffs(ms, [
            {"kind": signoffs.ACCEPTANCE, "subject": risk, "keys": [("assessments.risk", latest[risk.pk])],
             "signer": officer, "signer_role": Role.OFFICER, "signer_title": "AI compliance officer",
             "statement": statement, "verification": mfa.DEMO} for risk in risks
        ])  # fmt: skip
    log(f"two versions of every risk, {signed} acceptances appended to the chain", step)

    step = time.perf_counter()
    with transaction.atomic():
        items = []
        for i in range(counts["evidence"]):
            upload = ContentFile(f"Evidence {i + 1} of Scale Org: test report.\n".encode(), name=f"report-{i + 1}.txt")
            item = Evidence(
                title=f"Test report {i + 1}",
                description="Monthly test report.",
                evidence_date=today - timedelta(days=i % 700),
                uploaded_by=officer,
                **_file_fields(upload),
            )
            item.management_system = ms
            items.append(item)
        items = bulk_create(Evidence, ms, items, user=officer, reason="Evidence added")
        from django.contrib.contenttypes.models import ContentType

        system_type, risk_type = ContentType.objects.get_for_model(AISystem), ContentType.objects.get_for_model(Risk)
        EvidenceLink.objects.bulk_create(
            [EvidenceLink(evidence=e, target_type=system_type, target_id=systems[i % len(systems)].pk)
             for i, e in enumerate(items)]
            + [EvidenceLink(evidence=e, target_type=risk_type, target_id=risks[i % len(risks)].pk)
               for i, e in enumerate(items)], batch_size=5000,
        )  # fmt: skip
    log(f"{len(items)} evidence files (stored, linked)", step)

    step = time.perf_counter()
    rows = list(Applicability.objects.filter(management_system=ms).select_related("control"))
    for i, row in enumerate(rows):
        soa_services.applicability_update(
            row, user=officer, expected_version=row.version, reason="Applicability decided",
            applicable=Applicability.Decision.INCLUDED, justification=f"Needed for the risks treated by {row.control}.",
            implementation_status=Applicability.ImplementationStatus.IMPLEMENTED, owner=officer,
            ai_systems=systems[i * 13 % len(systems):][: max(1, len(systems) // 4)],
        )  # fmt: skip
    for i in range(counts["soa_approvals"]):
        soa_services.soa_approve(management_system=ms, user=leader, confirmed=True, verification=mfa.DEMO,
                                 statement=f"Statement of Applicability approved (review {i + 1}).")  # fmt: skip
    log(f"{len(rows)} SoA rows linked, {counts['soa_approvals']} SoA approvals", step)

    step = time.perf_counter()
    system, risk = systems[0], risks[0]
    for i in range(1, counts["versions"]):
        system = register_services.ai_system_update(
            system, user=officer, expected_version=system.version, reason=f"Review {i}",
            notes=f"Reviewed {i} times.", lifecycle_stage=stages[i % 5],
        )  # fmt: skip
        risk = risk_services.risk_update(
            risk, user=officer, expected_version=risk.version, reason=f"Review {i}",
            likelihood=1 + i % 5, treatment_plan=f"Plan, revision {i}.",
        )  # fmt: skip
    log(f"{system.reference} and {risk.reference} edited to {counts['versions']}+ versions (services)", step)
    log("built", started)


def ledger_sign(kind: str, subject: Any, user: Any, statement: str) -> None:
    from aims import ledger, mfa

    ledger.sign_off(kind=kind, subject=subject, user=user, statement=statement, verification=mfa.DEMO)


def scale_management_system(factor: float) -> Any:
    from aims.models import ManagementSystem

    return ManagementSystem.objects.filter(organisation=SCALE_ORGANISATION).first()


# --- measuring ------------------------------------------------------------------------------


def targets(ms: Any) -> dict[str, list[Any]]:
    """For one management system, the records that detail and history URLs are measured on."""
    from django.db.models import Count

    from assessments.models import ImpactAssessment, Risk
    from controls.models import Applicability
    from evidence.models import Evidence
    from registers.models import AISystem, ModelRecord

    def most_versions(model: Any) -> Any:
        row = (model.history.filter(management_system_id=ms.pk).values("id").annotate(n=Count("history_id"))
               .order_by("-n", "id").first())  # fmt: skip
        return row["id"] if row else None

    return {
        "ai_system": most_versions(AISystem),
        "risk": most_versions(Risk),
        "impact": ImpactAssessment.objects.filter(management_system=ms).order_by("pk").values_list("pk", flat=True).first(),
        "soa_row": most_versions(Applicability),
        "evidence": Evidence.objects.filter(management_system=ms).order_by("pk").values_list("pk", flat=True).first(),
        "model_record": ModelRecord.objects.filter(management_system=ms).order_by("pk").values_list("pk", flat=True).first(),
    }  # fmt: skip


# Pages and endpoints also measured as the auditor (whose access is read-only and may end).
AUDITOR_LABELS = {
    "registers:ai_system_list", "assessments:risk_list", "controls:soa", "ledger:verify", "evidence:list",
    "api ai-system-list", "api risk-list", "api soa-list", "registers:ai_system_history",
}  # fmt: skip
SKIP_NAMES = re.compile(
    r"(create|new|edit|delete|approve|accept|export|download|reassess|retire|withdraw|return|supersede|raise|freeze|"
    r"import|upload|invite|sign|remove|leave|decline|revoke|enrol|confirm|request|verify_bundle|tool)",
)


def page_urls(ms_id: int, found: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, path): every page of the management system that takes no other argument, then details and histories."""
    from django.urls import NoReverseMatch, reverse

    labels: list[tuple[str, str]] = []
    seen: set[str] = set()
    for name in sorted(_ms_names()):
        if SKIP_NAMES.search(name.split(":")[-1]):
            continue
        try:
            path = reverse(name, kwargs={"ms_id": ms_id})
        except NoReverseMatch:
            continue
        if path not in seen:
            seen.add(path)
            labels.append((name, path))
    for kind in ("model-records", "dataset-records", "suppliers"):
        labels.append((f"registers:record_list {kind}", reverse("registers:record_list", args=[ms_id, kind])))
    pk_pages = (
        ("registers:ai_system_detail", "ai_system"), ("registers:ai_system_history", "ai_system"),
        ("assessments:risk_detail", "risk"), ("assessments:risk_history", "risk"),
        ("assessments:impact_detail", "impact"), ("assessments:impact_history", "impact"),
        ("controls:soa_row_history", "soa_row"), ("evidence:detail", "evidence"),
    )  # fmt: skip
    for name, key in pk_pages:
        if found.get(key):
            labels.append((name, reverse(name, args=[ms_id, found[key]])))
    if found.get("model_record"):
        path = reverse("registers:record_detail", args=[ms_id, "model-records", found["model_record"]])
        labels.append(("registers:record_detail model-records", path))
    return labels


def _ms_names() -> set[str]:
    """Names (with namespace) of every URL pattern whose only argument is ``ms_id``."""
    from django.urls import URLPattern, URLResolver, get_resolver

    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str, route: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, ns, route + str(pattern.pattern))
            elif isinstance(pattern, URLPattern) and pattern.name:
                full = route + str(pattern.pattern)
                args = set(re.findall(r"<(?:\w+:)?(\w+)>", full)) | set(re.findall(r"\(\?P<(\w+)>", full))
                if args == {"ms_id"} and full.startswith("ms/"):
                    names.add(namespace + pattern.name)

    walk(get_resolver().url_patterns, "", "")
    return names


def api_urls(ms_id: int, found: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, path): the list endpoint of every API viewset (filtered to the management system), and histories."""
    from django.urls import NoReverseMatch, reverse

    from aims.api_urls import router

    labels = []
    for _prefix, _viewset, basename in router.registry:
        try:
            path = reverse(f"{basename}-list")
        except NoReverseMatch:
            continue
        labels.append((f"api {basename}-list", f"{path}?management_system={ms_id}"))
    for basename, key in (("ai-system", "ai_system"), ("risk", "risk")):
        if found.get(key):
            labels.append((f"api {basename}-detail", reverse(f"{basename}-detail", args=[found[key]])))
            labels.append((f"api {basename}-history", reverse(f"{basename}-history", args=[found[key]])))
    try:
        labels.append(("api heatmap", reverse("management-system-heatmap", args=[ms_id])))
    except NoReverseMatch:
        pass
    return labels


def measure(client: Any, path: str, repeat: int) -> dict[str, Any]:
    """Time ``repeat`` GETs of path; count the queries of one; the response's status and size."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    result = {"status": response.status_code, "queries": len(captured), "size": len(body), "times": []}
    if response.status_code != 200:
        return result
    deadline = time.monotonic() + BUDGET_SECONDS
    for _ in range(repeat):
        if result["times"] and time.monotonic() > deadline:
            break  # a very slow URL: fewer samples (the table shows how many)
        gc.collect()
        started = time.perf_counter()
        response = client.get(path)
        if response.streaming:
            b"".join(response.streaming_content)
        result["times"].append((time.perf_counter() - started) * 1000)
    return result


def safe_measure(client: Any, path: str, repeat: int) -> dict[str, Any]:
    try:
        return measure(client, path, repeat)
    except Exception as error:  # a crashing view is a figure too
        return {"status": type(error).__name__, "queries": 0, "size": 0, "times": []}


def fmt_size(size: int) -> str:
    return f"{size / 1024:,.0f} KB" if size >= 10 * 1024 else f"{size:,} B"


def report(rows: list[tuple[str, dict, dict | None]]) -> None:
    header = f"{'URL':<46} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'size':>9} {'x p95':>6} {'x q':>5} {'n':>3}  demo p95/q/size"
    print(header)
    print("-" * len(header))
    over = 0
    for label, big, small in rows:
        if big["status"] != 200:
            print(f"{label[:46]:<46} {'HTTP ' + str(big['status']):>17} {big['queries']:>8} {fmt_size(big['size']):>9}")
            continue
        p50, p95 = median(big["times"]), percentile(big["times"], 95)
        flags = ""
        if p95 > GOAL_P95_MS:
            flags += "!t"
        if big["size"] > GOAL_SIZE:
            flags += "!s"
        ratio_t = ratio_q = "-"
        demo = "-"
        if small and small["status"] == 200:
            s95 = percentile(small["times"], 95)
            ratio_t = f"{p95 / s95:.1f}" if s95 else "-"
            ratio_q = f"{big['queries'] / small['queries']:.1f}" if small["queries"] else "-"
            if big["queries"] > small["queries"]:
                flags += "!q"
            demo = f"{s95:.0f} ms/{small['queries']}/{fmt_size(small['size'])}"
        elif small:
            demo = f"HTTP {small['status']}"
        over += bool(flags)
        print(
            f"{label[:46]:<46} {p50:>8.1f} {p95:>8.1f} {big['queries']:>8} {fmt_size(big['size']):>9} "
            f"{ratio_t:>6} {ratio_q:>5} {len(big['times']):>3}  {demo} {flags}"
        )
    print(
        f"\n{over} of {len(rows)} URLs over a goal (!t p95 > {GOAL_P95_MS:.0f} ms, !s > 500 KB, "
        "!q more queries than on the demo); n: requests timed"
    )


def main() -> None:
    global BUDGET_SECONDS
    args = parse_args()
    BUDGET_SECONDS = args.budget
    setup(args.database_url, rebuild=args.rebuild)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from aims import demo as aims_demo
    from aims import ledger
    from aims.models import ManagementSystem, SignOff
    from assessments.models import Risk
    from registers.models import AISystem

    call_command("migrate", verbosity=0)
    counts = sizes(args.factor, args.versions)
    ms = scale_management_system(args.factor)
    if ms is not None and ms.name != f"Scale AIMS x{args.factor:g}":
        raise SystemExit(
            f"{args.database_url} holds {ms.name}: run with --rebuild to build it at --factor {args.factor}"
        )
    if ms is None:
        print(f"building at factor {args.factor:g} on {connection.vendor} ({args.database_url}):")
        build(counts, args.factor)
        ms = scale_management_system(args.factor)
    else:
        print(f"reusing {ms.name} in {args.database_url} (--rebuild to build it again)")
    acme = ManagementSystem.objects.get(name=aims_demo.ACME["name"])
    print(
        f"{ms.name}: {AISystem.objects.filter(management_system=ms).count():,} AI systems, "
        f"{Risk.objects.filter(management_system=ms).count():,} risks, "
        f"{SignOff.objects.filter(management_system=ms).count():,} sign-offs; database {connection.vendor}"
    )
    if connection.vendor == "postgresql":
        # Fresh statistics, as autovacuum keeps them on a running server (it may be off, or not yet
        # have run after a bulk build): without them the planner takes 5,000 risks for 10.
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        log("statistics refreshed (VACUUM ANALYZE)", started)
    if args.build_only:
        return

    officer = get_user_model().objects.get(username="officer")
    client = Client()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.kit import log_in

    logging.getLogger("django.request").setLevel(logging.CRITICAL)  # 403/404/405 are shown in the table
    log_in(client, officer)
    auditor_user = get_user_model().objects.get(username="auditor")
    auditor = log_in(Client(), auditor_user)
    found_big, found_demo = targets(ms), targets(acme)
    big_urls = page_urls(ms.pk, found_big) + api_urls(ms.pk, found_big)
    demo_urls = dict(page_urls(acme.pk, found_demo) + api_urls(acme.pk, found_demo))
    runs = []
    for label, path in big_urls:
        runs.append((label, path, (client, officer)))
        if label in AUDITOR_LABELS:
            runs.append((f"{label} (auditor)", path, (auditor, auditor_user)))
    only = re.compile(args.only) if args.only else None
    rows, post_only = [], []
    print(f"\nmeasuring {len(runs)} URLs, {args.requests} requests each (officer, some as auditor; Django test client)")
    for label, path, (who, user) in runs:
        if only and not only.search(label):
            continue
        log_in(who, user)  # afresh for each URL: a long run outlasts the session's idle timeout
        big = safe_measure(who, path, args.requests)
        if big["status"] == 405:
            post_only.append(label)
            continue
        demo_path = demo_urls.get(label.removesuffix(" (auditor)"))
        small = safe_measure(who, demo_path, args.requests) if demo_path else None
        rows.append((label, big, small))
        print(f"  {label}: {path} -> {big['status']}", file=sys.stderr, flush=True)
    print()
    report(rows)
    if post_only:
        print(f"not measured (no GET: actions that only take POST): {', '.join(post_only)}")

    if not args.skip_verify:
        print()
        for which, target in (("Scale Org", ms), ("every management system", None)):
            started = time.perf_counter()
            result = ledger.verify(target)
            took = time.perf_counter() - started
            print(f"verify_ledger ({which}): {result['checked']:,} sign-offs in {took:.2f}s = "
                  f"{result['checked'] / took:,.0f} sign-offs/s, ok={result['ok']}")  # fmt: skip


if __name__ == "__main__":
    main()
