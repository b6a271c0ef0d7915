"""The "Management system" menu: the management system's own records, in the order of the clauses."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class Entry:
    clause: str
    title: str
    url_name: str
    description: str


ENTRIES = (
    Entry("4.1", "Context issues", "governance:context_issue_list",
          "Internal and external issues that affect what the AI management system can achieve."),
    Entry("4.2", "Interested parties", "governance:interested_party_list",
          "Regulators, patients, customers, suppliers and staff, and what each of them requires."),
    Entry("4.2", "Legal and regulatory register", "governance:legal_register",
          "Legal, regulatory, contractual and voluntary requirements, the AI systems they apply to, how each is met."),
    Entry("4.3", "Scope", "governance:scope",
          "Units, sites, activities and AI systems in scope, exclusions with their rationale; approved by leadership."),
    Entry("5.2", "AI policy", "governance:ai_policy",
          "The AI policy approved by top management, with its checklist and who acknowledged which version."),
    Entry("5.3", "Roles and responsibilities", "governance:responsibility_matrix",
          "AIMS roles, who holds them for which AI systems, and the responsibility matrix."),
    Entry("5.3", "People", "governance:person_list",
          "Everyone with a part in the AI management system, with or without a register account."),
    Entry("6.2", "AI objectives", "governance:objective_list",
          "Objectives with their metrics, targets and six months of results at a glance."),
    Entry("7.2", "Competence", "governance:competence_gaps",
          "Competences each role requires, the records that show them, and the gaps."),
    Entry("7.4", "Communication", "governance:communication_list",
          "What is communicated, when, to whom and how, and the records of it (AI literacy included)."),
    Entry("7.5", "Documents", "governance:document_list",
          "The master list of controlled documents with their approved versions and review dates."),
)  # fmt: skip


def entries(management_system_id: int) -> list[dict[str, str]]:
    """The menu's entries with their URLs for one management system (an entry whose page is missing is left out)."""
    found = []
    for entry in ENTRIES:
        try:
            url = reverse(entry.url_name, args=[management_system_id])
        except NoReverseMatch:
            continue
        found.append({"clause": entry.clause, "title": entry.title, "url": url, "description": entry.description})
    return found
