"""Flattening an uploaded document's form (AcroForm) so nothing in the completed PDF stays
fillable: each visible widget's appearance is drawn into its page's content, then the
widget annotations and the /AcroForm dictionary (fields, XFA, NeedAppearances) are removed.

Where the appearance comes from: the widget's normal appearance (/AP /N, the state named
by /AS for checkboxes and radio buttons). Text and choice fields whose appearance is missing,
or stale because the form asks viewers to regenerate it (/NeedAppearances true), get a fresh
one from pypdf first, so a value typed in another tool prints as the viewer showed it.

Placement follows the PDF specification (ISO 32000-1, 12.5.5, "Algorithm: appearance
streams"): the form's /BBox transformed by its /Matrix gives a box, which is scaled and
moved onto the annotation's /Rect. Hidden widgets (flag bit 2) are dropped without drawing.
Other annotations (links, comments) are left as they are.
"""

from __future__ import annotations

import logging

from pypdf.generic import ArrayObject, ContentStream, DictionaryObject, FloatObject, NameObject, StreamObject

from portal_app.adapters.pdf_records import DocumentError

HIDDEN = 2
log = logging.getLogger("portal.pdf")


def _number_box(value, default) -> tuple[float, float, float, float]:
    try:
        a, b, c, d = (float(v) for v in value)
    except (TypeError, ValueError):
        return default
    return min(a, c), min(b, d), max(a, c), max(b, d)


def _matrix(value) -> tuple[float, ...]:
    try:
        m = tuple(float(v) for v in value)
        return m if len(m) == 6 else (1, 0, 0, 1, 0, 0)
    except (TypeError, ValueError):
        return (1, 0, 0, 1, 0, 0)


def _inherited(annot: DictionaryObject, key: str):
    node: DictionaryObject | None = annot
    seen = 0
    while node is not None and seen < 32:
        if key in node:
            return node[key]
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
        seen += 1
    return None


def _appearance(annot: DictionaryObject) -> StreamObject | None:
    ap = annot.get("/AP")
    normal = ap.get_object().get("/N") if ap is not None else None
    normal = normal.get_object() if normal is not None else None
    if isinstance(normal, StreamObject):
        return normal
    if isinstance(normal, DictionaryObject):
        state = annot.get("/AS")
        chosen = normal.get(state) if state is not None else None
        if chosen is None and len(normal) == 1:
            chosen = next(iter(normal.values()))
        chosen = chosen.get_object() if chosen is not None else None
        if isinstance(chosen, StreamObject):
            return chosen
    return None


def _placement(form: StreamObject, rect) -> tuple[float, ...] | None:
    rx0, ry0, rx1, ry1 = _number_box(rect, (0, 0, 0, 0))
    if rx1 - rx0 <= 0 or ry1 - ry0 <= 0:
        return None
    bx0, by0, bx1, by1 = _number_box(form.get("/BBox"), (0, 0, rx1 - rx0, ry1 - ry0))
    a, b, c, d, e, f = _matrix(form.get("/Matrix", (1, 0, 0, 1, 0, 0)))
    corners = [(a * x + c * y + e, b * x + d * y + f) for x in (bx0, bx1) for y in (by0, by1)]
    tx0, tx1 = min(p[0] for p in corners), max(p[0] for p in corners)
    ty0, ty1 = min(p[1] for p in corners), max(p[1] for p in corners)
    if tx1 - tx0 <= 0 or ty1 - ty0 <= 0:
        return None
    sx, sy = (rx1 - rx0) / (tx1 - tx0), (ry1 - ry0) / (ty1 - ty0)
    return sx, 0, 0, sy, rx0 - tx0 * sx, ry0 - ty0 * sy


def _regenerate_text_appearances(writer) -> None:
    """Fresh appearances for text/choice widgets that need them (see the module docstring)."""
    form = writer._root_object.get("/AcroForm")
    form = form.get_object() if form is not None else None
    if not isinstance(form, DictionaryObject) or "/Fields" not in form:
        return
    need_all = bool(form.get("/NeedAppearances", False))
    for page in writer.pages:
        annots = page.get("/Annots")
        annots = annots.get_object() if annots is not None else None
        if not isinstance(annots, ArrayObject):
            continue
        values = {}
        for ref in annots:
            annot = ref.get_object()
            if not isinstance(annot, DictionaryObject) or annot.get("/Subtype") != "/Widget":
                continue
            if _inherited(annot, "/FT") not in ("/Tx", "/Ch"):
                continue
            value = _inherited(annot, "/V")
            name = _inherited(annot, "/T")
            if value is None or name is None or isinstance(value, ArrayObject):
                continue
            if need_all or _appearance(annot) is None:
                values[str(name)] = str(value)
        if values:
            try:
                writer.update_page_form_field_values(page, values, auto_regenerate=None)
            except Exception:
                log.warning("could not regenerate form field appearances on a page", exc_info=True)


def flatten_forms(writer) -> int:
    """Flatten every widget on every page; returns how many were drawn."""
    _regenerate_text_appearances(writer)
    drawn = 0
    for page in writer.pages:
        annots = page.get("/Annots")
        annots = annots.get_object() if annots is not None else None
        if not isinstance(annots, ArrayObject):
            continue
        keep, commands, xobjects = ArrayObject(), [], DictionaryObject()
        for ref in annots:
            annot = ref.get_object() if ref is not None else None
            if not isinstance(annot, DictionaryObject) or annot.get("/Subtype") != "/Widget":
                keep.append(ref)
                continue
            try:
                flags = int(annot.get("/F", 0))
            except (TypeError, ValueError):
                flags = 0
            form = _appearance(annot)
            if form is None or flags & HIDDEN:
                continue
            placement = _placement(form, annot.get("/Rect"))
            if placement is None:
                continue
            form[NameObject("/Type")] = NameObject("/XObject")
            form[NameObject("/Subtype")] = NameObject("/Form")
            if "/BBox" not in form:
                continue
            name = f"/CPFlat{len(xobjects)}"
            xobjects[NameObject(name)] = form.indirect_reference or writer._add_object(form)
            nums = " ".join(f"{v:.6f}".rstrip("0").rstrip(".") or "0" for v in placement)
            commands.append(f"q {nums} cm {name} Do Q")
            drawn += 1
        if commands:
            _draw_on(writer, page, "\n".join(commands).encode("ascii"), xobjects)
        if keep:
            page[NameObject("/Annots")] = keep
        elif "/Annots" in page:
            del page["/Annots"]
    root = writer._root_object
    for key in ("/AcroForm", "/Perms"):
        if key in root:
            del root[key]
    return drawn


def _draw_on(writer, page, commands: bytes, xobjects: DictionaryObject) -> None:
    """Draw `commands` over the page, in the page's own user space, via a blank page merged
    on top (pypdf keeps the page's content in its own q/Q and renames clashing resources)."""
    from pypdf import PageObject

    box = page.mediabox
    blank = PageObject.create_blank_page(writer, width=float(box.width), height=float(box.height))
    blank[NameObject("/MediaBox")] = ArrayObject(FloatObject(float(v)) for v in box)
    blank[NameObject("/Resources")] = DictionaryObject({NameObject("/XObject"): xobjects})
    stream = ContentStream(None, None)
    stream.set_data(commands)
    blank.replace_contents(stream)
    try:
        page.merge_page(blank, over=True)
    except Exception:
        raise DocumentError("The document's form fields could not be flattened.") from None
