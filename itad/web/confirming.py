"""The step before a weighty action (close a batch, sell a unit, revoke a certificate): a page that says what
it will do, in words, and posts the same form again with confirmed=1."""

from __future__ import annotations

from flask import render_template, request


def confirmed() -> bool:
    """Whether the person already saw the consequence of a form and confirmed it (the confirmation page
    posts the same fields again with confirmed=1)."""
    return request.form.get("confirmed") == "1"


def confirm_page(title: str, consequences: list[str], button: str, *, cancel: str, danger: bool = True):
    """The step before a weighty action: what it will do, in words, and the same form posted again with
    confirmed=1. Works without JavaScript; nothing is done until the second post."""
    fields = [(k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", "confirmed")]
    return render_template("confirm.html", title=title, consequences=consequences, button=button, cancel=cancel,
                           fields=fields, action=request.path, danger=danger)
