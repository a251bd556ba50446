"""Every status a person sees, once: its label and its color, per kind of thing.

One table for the client pages, the staff pages and the invoice PDF, so the same status
reads and looks the same wherever it shows. It lives beside the models whose status
values it describes (a test checks that it covers every one of them) and is plain Python,
no Reflex: the services read it to fill `status_label` in their view models, the PDF
adapter reads it to print the status, and the one badge (components/status.py) builds its
colors from it. Every layer may import models/, so all of them can share this table.

`color` is a Radix color scheme name (the badge's `color_scheme`); the PDF maps it to RGB.
A kind's statuses are listed in the order filters offer them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StatusStyle:
    label: str
    color: str                 # Radix color scheme: gray, blue, cyan, amber, green, red
    variant: str = "soft"      # soft | outline (void: gray like a draft, but drawn as an outline)


STATUS_STYLES: dict[str, dict[str, StatusStyle]] = {
    # models/billing.py: INVOICE_STATUSES, and "overdue" (shown, never stored)
    "invoice": {
        "draft": StatusStyle("Draft", "gray"),
        "sent": StatusStyle("Sent", "blue"),
        "partially_paid": StatusStyle("Partially paid", "amber"),
        "paid": StatusStyle("Paid", "green"),
        "overdue": StatusStyle("Overdue", "red"),
        "void": StatusStyle("Void", "gray", "outline"),
    },
    # models/documents.py: DOCUMENT_STATUSES
    "document": {
        "draft": StatusStyle("Draft", "gray"),
        "sent": StatusStyle("Sent", "blue"),
        "viewed": StatusStyle("Viewed", "cyan"),
        "partially_signed": StatusStyle("Partially signed", "amber"),
        "sealing": StatusStyle("Sealing", "amber"),
        "completed": StatusStyle("Completed", "green"),
        "declined": StatusStyle("Declined", "red"),
        "expired": StatusStyle("Expired", "gray"),
        "voided": StatusStyle("Voided", "gray"),
    },
    # models/billing.py: LEDGER_KINDS (a row of an invoice's payment history)
    "payment": {
        "payment": StatusStyle("Payment", "green"),
        "refund": StatusStyle("Refund", "gray"),
        "dispute": StatusStyle("Dispute", "red"),
        "dispute_won": StatusStyle("Dispute won", "green"),
    },
    # a contact's portal access: models/accounts.py ClientStatus, or "none" (never invited)
    "contact": {
        "active": StatusStyle("Active", "green"),
        "invited": StatusStyle("Invited", "amber"),
        "disabled": StatusStyle("Disabled", "red"),
        "none": StatusStyle("Not invited", "gray"),
    },
    # models/automations.py: RUN_STATUSES (an automation's run) and STEP_STATUSES (one of its steps)
    # a custom domain's DNS verification (models/workspace.py Domain.status), and "stopped"
    # (shown, never stored: unverified for 7 days, no more automatic checks, Domain.shown_status)
    "domain": {
        "pending": StatusStyle("Waiting for DNS", "amber"),
        "verified": StatusStyle("Verified", "green"),
        "failed": StatusStyle("Not verified", "red"),
        "stopped": StatusStyle("Checks stopped", "gray"),
    },
    "automation_run": {
        "running": StatusStyle("Running", "blue"),
        "waiting": StatusStyle("Waiting", "cyan"),
        "done": StatusStyle("Done", "green"),
        "failed": StatusStyle("Failed", "red"),
        "cancelled": StatusStyle("Cancelled", "gray", "outline"),
        "skipped": StatusStyle("Skipped", "gray"),
    },
    "automation_step": {
        "pending": StatusStyle("Pending", "gray"),
        "scheduled": StatusStyle("Scheduled", "cyan"),
        "running": StatusStyle("Running", "blue"),
        "done": StatusStyle("Done", "green"),
        "failed": StatusStyle("Failed", "red"),
        "skipped": StatusStyle("Skipped", "gray"),
        "cancelled": StatusStyle("Cancelled", "gray", "outline"),
    },
    # a Test run's outcome of one step (services/automations/dry_run.py): nothing was done
    "automation_test": {
        "ok": StatusStyle("Would run", "green"),
        "failed": StatusStyle("Would fail", "red"),
        "skipped": StatusStyle("Skipped", "gray"),
    },
    # models/appointments.py: APPOINTMENT_STATUSES
    "appointment": {
        "scheduled": StatusStyle("Scheduled", "blue"),
        "cancelled": StatusStyle("Cancelled", "gray", "outline"),
    },
    # a member of the staff team (services/accounts/team.py): active, invited or disabled
    "staff": {
        "active": StatusStyle("Active", "green"),
        "invited": StatusStyle("Invited", "amber"),
        "disabled": StatusStyle("Disabled", "red"),
    },
}


def status_style(kind: str, status: str) -> StatusStyle:
    """The style of a status; an unknown one shows as itself, in gray."""
    return STATUS_STYLES[kind].get(status) or StatusStyle(status, "gray")


def status_label(kind: str, status: str) -> str:
    return status_style(kind, status).label


def status_labels(kind: str) -> dict[str, str]:
    """{status: label} of one kind, in the table's order (what a filter offers)."""
    return {key: style.label for key, style in STATUS_STYLES[kind].items()}
