"""Every page builds: a wrong prop (a list where Radix wants breakpoints, a Var of the wrong
type) raises only when Reflex evaluates the page, which is at `reflex run` or export time.
This finds it in a second instead of at the start of an end-to-end run."""
from __future__ import annotations

import pytest


def _routes():
    import portal_app.portal_app as module

    return sorted(module.app._unevaluated_pages)


@pytest.mark.parametrize("route", _routes())
def test_the_page_builds(route):
    import portal_app.portal_app as module

    page = module.app._unevaluated_pages[route]
    component = page.component() if callable(page.component) else page.component
    assert component.render()  # the whole tree renders to its JSX description


def test_a_misspelled_view_field_fails_the_build():
    """View-model vars are TypedDicts (docs/design.md §4): a page reading a key its view does not
    have fails when the page is built, in a row of a list as in a single object."""
    import reflex as rx
    from reflex.utils.exceptions import VarAttributeError

    from portal_app.state.staff.document_detail import StaffDocumentState as S

    assert str(S.doc["title"])  # a key the view has
    with pytest.raises(VarAttributeError):
        S.doc["titel"]
    with pytest.raises(VarAttributeError):
        rx.foreach(S.signers, lambda s: rx.text(s["emial"]))
