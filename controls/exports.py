"""The Statement of Applicability as a table: CSV and XLSX exports (live or as of a past time)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from controls.models import Applicability

HEADER = [
    "Control id",
    "Control area",
    "Control",
    "Applicable",
    "Justification",
    "Implementation status",
    "Control owner",
    "Linked AI systems",
    "Implementation notes",
    "Last reviewed",
    "Reference",
    "Version",
]
WIDTHS = [10, 28, 48, 12, 60, 20, 16, 30, 40, 14, 14, 8]


def soa_table(rows: Iterable[Applicability]) -> list[list[str]]:
    """One list of cell texts per SoA row, in HEADER order."""
    return [
        [
            row.control.key,
            f"{row.control.area.key} {row.control.area.title}",
            row.control.title,
            row.get_applicable_display(),
            row.justification,
            row.get_implementation_status_display(),
            row.owner.get_username() if row.owner else "",
            "; ".join(str(s) for s in row.linked_systems),
            row.implementation_notes,
            row.last_reviewed.isoformat() if row.last_reviewed else "",
            row.reference,
            str(row.version),
        ]
        for row in rows
    ]


def _safe(cell: str) -> str:
    """Keep spreadsheet programs from running user text as a formula."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def to_csv(table: list[list[str]], *, title: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title])
    writer.writerow(HEADER)
    writer.writerows([[_safe(cell) for cell in line] for line in table])
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(table: list[list[str]], *, title: str, generated_at: datetime) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Statement of Applicability"
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(HEADER)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for line in table:
        sheet.append([_safe(cell) for cell in line])
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[sheet.cell(row=2, column=index).column_letter].width = width
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A3"
    workbook.properties.created = generated_at.replace(tzinfo=None)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
