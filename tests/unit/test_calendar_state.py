"""The staff side of appointments driven as the browser would (tests/support/states.py): the
calendar's week and list views in the viewer's zone, the appointment dialog (errors beside their
field, create, edit, reschedule, cancel), Settings › Booking (hours, days off, booking types, the
cut-off), the contact record's panel and its Send booking link (access, duplicate guard). Each
with its deny path and bad input; the clock is frozen (tests/support/appointments.py)."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from tests.support.appointments import freeze, open_hours
from tests.support.states import HOST_A, HOST_B, call, run_handler

TOP, SETTINGS = "/staff/calendar", "/staff/settings/booking"


@pytest.fixture
def clock(monkeypatch):
    return freeze(monkeypatch)  # Monday 7 Dec 2026, 08:00 UTC


def _cookie(db, user_id: int) -> str:
    from portal_app.models import StaffUser
    from portal_app.services.accounts.auth import start_staff_session

    cookie = start_staff_session(db, db.get(StaffUser, user_id))
    db.commit()
    return cookie


def _appointment(db, world, day: str = "2026-12-08", start: str = "10:00", end: str = "10:30") -> str:
    from portal_app.services.appointments import appointments

    a = appointments.create_appointment(db, world.staff_a, contact=world.contact_a1.public_id,
                                        starts_at=f"{day}T{start}", ends_at=f"{day}T{end}", zone="Europe/Berlin",
                                        title="Quarterly review")
    db.commit()
    return a.public_id


def _row(db, public_id: str):
    from portal_app.models import Appointment

    db.expire_all()
    return db.exec(select(Appointment).where(Appointment.public_id == public_id)).one()


def test_week_and_list_in_the_viewers_zone(world, db, staff_cookie, clock):
    open_hours(db, world.staff_a, zone="Europe/Berlin")
    db.commit()
    appt = _appointment(db, world)
    state, _ = run_handler(_cal(), "load", (), HOST_A, staff_cookie, TOP)
    assert state._outcome == "ok" and state.zone == "Europe/Berlin" and state.week_start == "2026-12-07"
    assert [d["label"] for d in state.days][:2] == ["Mon 7 Dec", "Tue 8 Dec"] and state.days[0]["today"]
    [item] = state.days[1]["items"]
    assert (item["id"], item["time"], item["contact"], item["status"]) == (appt, "10:00\u201310:30", "Alice Client",
                                                                           "scheduled")
    assert item["top"] == f"{2 * 48}px" and item["height"] == "24px"   # 10:00 is two hours below 08:00
    call(state, "set_zone", "Asia/Kolkata")                           # +05:30
    assert state.days[1]["items"][0]["time"] == "14:30\u201315:00"
    call(state, "set_zone", "Not/AZone")                              # unknown: UTC
    assert state.zone == "UTC" and state.days[1]["items"][0]["time"] == "09:00\u201309:30"
    call(state, "go_week", 1)
    assert state.week_start == "2026-12-14" and all(not d["items"] for d in state.days)
    call(state, "this_week")
    assert state.week_start == "2026-12-07"
    call(state, "set_view", "list")
    assert [(r["id"], r["day"], r["contact"]) for r in state.rows] == [(appt, "Tue 08 Dec 2026", "Alice Client")]
    call(state, "set_who", "mine")
    assert [r["id"] for r in state.rows] == [appt]
    # a colleague's "mine" is empty; the bad view and filter fall back to the defaults
    member = _cookie(db, world.member_a.user_id)
    other, _ = run_handler(_cal(), "set_who", ("mine",), HOST_A, member, TOP)
    assert other.days and all(not d["items"] for d in other.days)
    call(other, "set_who", "everyone")
    call(other, "set_view", "month")
    assert (other.who, other.view) == ("all", "week") and other.days[1]["items"][0]["id"] == appt


def _cal():
    from portal_app.state.staff.calendar import CalendarState

    return CalendarState


FORM = {"title": "Kick-off", "date": "2026-12-09", "start": "14:00", "end": "15:00", "zone": "Europe/Berlin",
        "location": "https://meet.example/abc", "client_notes": "Agenda attached", "internal_notes": "Budget 10k",
        "staff": ""}


def test_dialog_create_edit_reschedule_cancel(world, db, staff_cookie, clock):
    from portal_app.models import Appointment

    state, _ = run_handler(_cal(), "load", (), HOST_A, staff_cookie, TOP)
    call(state, "open_new")
    assert state.dlg_open and state.dlg_id == "" and state.dlg_values["zone"] == "UTC"
    assert state.dlg_values["date"] == "2026-12-07" and state.dlg_values["start"] == "09:00"
    assert [c["name"] for c in state.colleagues] == ["Ava Owner", "Max Member"]
    # no client chosen; then each bad field answered beside itself, nothing written
    call(state, "save_appointment", FORM)
    assert state._outcome == "invalid" and "client" in state.dlg_errors["contact"]
    call(state, "find_dialog_contacts", "alice")
    call(state, "choose_dialog_contact", world.contact_a1.public_id)
    assert state.dlg_contact["name"] == "Alice Client" and state.dlg_contact_options == []
    for change, field in [({"title": ""}, "title"), ({"end": "13:00"}, "end"), ({"zone": "Mars/Base"}, "zone"),
                          ({"start": "14:03"}, "start"), ({"date": ""}, "start"),
                          ({"location": "x" * 501}, "location")]:
        call(state, "save_appointment", {**FORM, **change})
        assert state._outcome == "invalid" and list(state.dlg_errors) == [field], (change, state.dlg_errors)
        assert state.dlg_open and state.dlg_values["title"] == ({**FORM, **change})["title"]
    assert db.exec(select(Appointment)).all() == []
    call(state, "save_appointment", FORM)
    assert state._outcome == "ok" and not state.dlg_open and "created" in state.notice
    [made] = db.exec(select(Appointment)).all()
    assert made.starts_at.isoformat() == "2026-12-09T13:00:00+00:00" and made.internal_notes == "Budget 10k"
    assert [i["title"] for i in state.days[2]["items"]] == ["Kick-off"]
    # a second one at the same time with the same person: refused beside the start
    call(state, "open_new")
    call(state, "find_dialog_contacts", "bob")
    call(state, "choose_dialog_contact", world.contact_a2.public_id)
    call(state, "save_appointment", FORM)
    assert state._outcome == "invalid" and "already has an appointment" in state.dlg_errors["start"]
    # open it again: its own zone's wall times; reschedule and edit
    call(state, "set_dialog_open", False)
    call(state, "open_appointment", made.public_id)
    assert state.dlg_values | {} == {**FORM, "staff": state.dlg_values["staff"]} and state.dlg_id == made.public_id
    call(state, "save_appointment", {**FORM, "date": "2026-12-10", "start": "09:00", "end": "09:45",
                                     "zone": "America/New_York", "title": "Kick-off (moved)"})
    assert state._outcome == "ok"
    row = _row(db, made.public_id)
    assert (row.starts_at.isoformat(), row.zone, row.title, row.sequence) == (
        "2026-12-10T14:00:00+00:00", "America/New_York", "Kick-off (moved)", 1)
    # cancel: asks first on the page; the handler cancels the open one
    call(state, "open_appointment", made.public_id)
    call(state, "cancel_appointment")
    assert state._outcome == "ok" and _row(db, made.public_id).status == "cancelled"
    call(state, "open_appointment", made.public_id)
    assert not state.dlg_scheduled
    call(state, "cancel_appointment")
    assert state._outcome == "invalid" and state.dlg_error == "This appointment is already cancelled."


def test_another_workspace_finds_nothing(world, db, clock):
    appt = _appointment(db, world)
    cookie = _cookie(db, world.staff_b.user_id)
    state, _ = run_handler(_cal(), "load", (), HOST_B, cookie, f"{TOP}?new={world.contact_a1.public_id}")
    assert state._outcome == "ok" and not state.dlg_open and state.notice_tone == "red"
    assert all(not d["items"] for d in state.days)
    for handler, args in [("open_appointment", (appt,)), ("cancel_appointment", ())]:
        call(state, handler, *args)
        assert state._outcome == "denied" and state.dlg_id == ""
    call(state, "find_dialog_contacts", "alice")
    assert state.dlg_contact_options == []
    dumped = json.dumps(state._get_root_state().dict(), default=str)
    assert "Alice" not in dumped and "Quarterly" not in dumped and appt not in dumped
    assert _row(db, appt).status == "scheduled"


def test_a_client_is_sent_home(world, db, clock):
    from portal_app.services.accounts.auth import start_client_session

    appt = _appointment(db, world)
    cookie = start_client_session(db, world.account_a1)
    db.commit()
    for handler, args in [("load", ()), ("open_appointment", (appt,)), ("cancel_appointment", ())]:
        state, _ = run_handler(_cal(), handler, args, HOST_A, cookie, TOP)
        assert state._outcome == "denied"
    assert _row(db, appt).status == "scheduled"


# --- Settings › Booking ----------------------------------------------------------------------

def _settings():
    from portal_app.state.staff.booking_settings import BookingSettingsState

    return BookingSettingsState


HOURS = {"zone": "America/New_York", "d0_on": "on", "d0_s1": "09:00", "d0_e1": "12:00", "d0_s2": "13:00",
         "d0_e2": "17:30", "d1_s1": "09:00", "d1_e1": "17:00", "d4_on": "on", "d4_s1": "10:00", "d4_e1": "14:00"}


def test_days_from_form():
    from portal_app.state.staff.booking_settings import day_rows, days_from_form

    days = days_from_form(HOURS)
    assert days == {"0": [["09:00", "12:00"], ["13:00", "17:30"]], "4": [["10:00", "14:00"]]}   # Tuesday is off
    rows = day_rows(days)
    assert [r["on"] for r in rows] == [True, False, False, False, True, False, False]
    assert (rows[0]["s2"], rows[1]["s1"], rows[1]["s2"]) == ("13:00", "09:00", "")


def test_hours_days_off_and_colleagues(world, db, staff_cookie, clock):
    from portal_app.services.appointments import availability
    from tests.support.appointments import staff_public_id

    state, _ = run_handler(_settings(), "load", (), HOST_A, staff_cookie, SETTINGS)
    assert state._outcome == "ok" and state.can_configure and state.member_name == "Ava Owner"
    call(state, "add_day_off", {"day_off": "2026-12-24"})
    call(state, "add_day_off", {"day_off": "24/12/2026"})
    assert state.hours_field == "days_off" and "not a date" in state.hours_error
    call(state, "add_day_off", {"day_off": "2026-12-31"})
    call(state, "remove_day_off", "2026-12-31")
    assert state.days_off == ["2026-12-24"]
    call(state, "save_hours", {**HOURS, "d0_s2": "11:30"})   # the blocks overlap: nothing saved
    assert state._outcome == "invalid" and state.hours_field == "days" and "overlap" in state.hours_error
    assert availability.my_availability(db, world.staff_a)["days"] == {}
    call(state, "save_hours", HOURS)
    assert state._outcome == "ok" and state.hours_saved
    db.expire_all()
    mine = availability.my_availability(db, world.staff_a)
    assert (mine["zone"], mine["days"]["0"], mine["days_off"]) == ("America/New_York",
                                                                    [["09:00", "12:00"], ["13:00", "17:30"]],
                                                                    ["2026-12-24"])
    # an owner sets a colleague's hours
    member_id = staff_public_id(db, world.member_a)
    call(state, "choose_member", member_id)
    assert state.member == member_id and state.days_off == []
    call(state, "save_hours", {"zone": "Europe/Berlin", "d2_on": "on", "d2_s1": "08:00", "d2_e1": "12:00"})
    db.expire_all()
    assert availability.get_availability(db, world.staff_a, member_id)["days"] == {"2": [["08:00", "12:00"]]}
    # a member may not open the owner's hours (and sees their own)
    member = _cookie(db, world.member_a.user_id)
    other, _ = run_handler(_settings(), "load", (), HOST_A, member, SETTINGS)
    assert not other.can_configure and other.member == member_id
    call(other, "choose_member", staff_public_id(db, world.staff_a))
    assert other._outcome == "denied" and other.member == member_id
    call(other, "save_settings", {"cutoff": "1"})
    assert other._outcome == "denied"


def test_booking_types_and_settings(world, db, staff_cookie, clock):
    from portal_app.services.appointments import booking
    from portal_app.services.appointments import settings as appt_settings

    state, _ = run_handler(_settings(), "load", (), HOST_A, staff_cookie, SETTINGS)
    call(state, "open_type", "")
    assert state.type_open and state.type_values["duration_minutes"] == "30"
    form = {"name": "Kick-off, 60 min", "duration_minutes": "60", "buffer_minutes": "15", "min_notice_minutes": "240",
            "horizon_days": "30", "location": "Office", "description": "First meeting", "staff": ""}
    for change, field in [({"name": ""}, "name"), ({"duration_minutes": "61"}, "duration_minutes"),
                          ({"horizon_days": "soon"}, "horizon_days"), ({"name": "x" * 121}, "name")]:
        call(state, "save_type", {**form, **change})
        assert state._outcome == "invalid" and list(state.type_errors) == [field] and state.type_open
    assert booking.staff_booking_types(db, world.staff_a) == []
    call(state, "save_type", form)
    assert state._outcome == "ok" and not state.type_open
    [made] = state.types
    assert (made["name"], made["duration_minutes"], made["buffer_minutes"], made["staff_name"]) == (
        "Kick-off, 60 min", 60, 15, "Ava Owner")
    call(state, "open_type", made["id"])
    call(state, "save_type", {**form, "name": "Kick-off"})
    call(state, "deactivate_type", made["id"])
    assert [(t["name"], t["active"]) for t in state.types] == [("Kick-off", False)]
    call(state, "activate_type", made["id"])
    assert state.types[0]["active"]
    # B's owner: none of A's types
    b, _ = run_handler(_settings(), "deactivate_type", (made["id"],), HOST_B, _cookie(db, world.staff_b.user_id),
                       SETTINGS)
    assert b._outcome == "denied" and b.types == []
    # the cut-off and reminders: owners and admins
    call(state, "save_settings", {"cutoff": "9999", "reminder_24h": "on"})
    assert state._outcome == "invalid" and "between 0 and 720" in state.settings_error
    call(state, "save_settings", {"cutoff": "12", "reminder_48h": "on", "reminder_1h": "on"})
    assert state._outcome == "ok" and (state.cutoff, state.reminders) == ("12", ["48h", "1h"])
    db.expire_all()
    assert appt_settings.get_appointment_settings(db, world.staff_a) == {"cancel_cutoff_hours": 12,
                                                                         "reminders": ["48h", "1h"]}


# --- the contact record ----------------------------------------------------------------------

def _panel():
    from portal_app.state.staff.contact_appointments import ContactAppointmentsState

    return ContactAppointmentsState


def _link_mails(db) -> list[str]:
    from portal_app.models import OutboxMessage

    db.expire_all()
    return [json.loads(m.payload)["to"] for m in db.exec(select(OutboxMessage)).all()
            if "Book a time" in m.payload]


def test_contact_panel_and_booking_link(world, db, staff_cookie, clock):
    appt = _appointment(db, world)
    record = f"/staff/contacts/{world.contact_a1.public_id}"
    state, _ = run_handler(_panel(), "load_panel", (), HOST_A, staff_cookie, record)
    assert [(a["id"], a["title"], a["staff_name"]) for a in state.appointments] == [(appt, "Quarterly review",
                                                                                     "Ava Owner")]
    call(state, "send_booking_link")
    assert state._outcome == "ok" and state.link_sent == "Booking link sent to alice@client.example."
    assert _link_mails(db) == ["alice@client.example"]
    mail = _link_mails_payload(db)
    assert "https://alpha.example.test/appointments/book" in mail
    # a double click, or a colleague a minute later: refused, with when the last one went
    clock.advance(minutes=3)
    call(state, "send_booking_link")
    assert state._outcome == "invalid" and "3 minutes ago. You can send another in 7 minutes." in state.link_error
    clock.advance(minutes=8)
    call(state, "send_booking_link")
    assert state._outcome == "ok" and len(_link_mails(db)) == 2
    # another workspace's staff: no such contact, nothing sent, nothing shown
    b, _ = run_handler(_panel(), "send_booking_link", (), HOST_B, _cookie(db, world.staff_b.user_id), record)
    assert b._outcome == "denied" and len(_link_mails(db)) == 2 and b.appointments == []
    call(b, "load_panel")
    assert b._outcome == "denied" and b.appointments == []


def _link_mails_payload(db) -> str:
    from portal_app.models import OutboxMessage

    return next(m.payload for m in db.exec(select(OutboxMessage)).all() if "Book a time" in m.payload)


def test_booking_link_needs_an_address_and_portal_access(world, db, staff_cookie, clock):
    from portal_app.models import ClientAccount
    from portal_app.services.accounts.contacts import create_contact

    no_account = create_contact(db, world.staff_a, {"first_name": "Nina", "email": "nina@client.example"})
    db.commit()
    state, _ = run_handler(_panel(), "send_booking_link", (), HOST_A, staff_cookie,
                           f"/staff/contacts/{no_account.public_id}")
    assert state._outcome == "invalid" and "portal invitation first" in state.link_error
    account = db.get_one(ClientAccount, world.account_a2.id)
    account.status = "disabled"
    db.add(account)
    db.commit()
    state2, _ = run_handler(_panel(), "send_booking_link", (), HOST_A, staff_cookie,
                            f"/staff/contacts/{world.contact_a2.public_id}")
    assert state2._outcome == "invalid" and _link_mails(db) == []


def test_a_change_hints_the_calendar_after_commit(world, db, clock):
    from portal_app.adapters import hints

    got: list[str] = []
    hints.subscribe(got.append)
    try:
        _appointment(db, world)
    finally:
        hints.unsubscribe(got.append)
    assert f"calendar:{world.ws_a.id}" in got


def test_week_columns_across_the_spring_change():
    """Berlin's clocks skip 02:00-03:00 on Sunday 28 Mar 2027: a 10:00 appointment that day and a
    Monday 08:30 one sit at their wall times; one that runs past midnight ends at the day's end."""
    from datetime import date
    from zoneinfo import ZoneInfo

    from portal_app.state.staff.calendar import HOUR_PX, week_columns

    def view(start: str, end: str) -> dict:
        return {"id": start, "title": "T", "with_name": "C", "staff_name": "S", "status": "scheduled",
                "status_label": "Scheduled", "starts_at": start, "ends_at": end}

    rows = [view("2027-03-28T08:00:00+00:00", "2027-03-28T08:30:00+00:00"),    # 10:00 CEST
            view("2027-03-22T07:30:00+00:00", "2027-03-22T08:00:00+00:00"),    # Monday 08:30 CET
            view("2027-03-27T22:00:00+00:00", "2027-03-28T00:30:00+00:00")]    # Sat 23:00 → Sun 01:30
    days, first, last = week_columns(rows, date(2027, 3, 22), ZoneInfo("Europe/Berlin"), date(2027, 3, 24))
    assert (first, last) == (8, 24) and days[2]["today"]
    assert [(i["time"], i["top"]) for i in days[6]["items"]] == [("10:00\u201310:30", f"{2 * HOUR_PX}px")]
    assert [(i["time"], i["top"]) for i in days[0]["items"]] == [("08:30\u201309:00", f"{HOUR_PX // 2}px")]
    [late] = days[5]["items"]
    assert late["time"] == "23:00\u201301:30" and late["height"] == f"{59 * HOUR_PX // 60}px"


def test_calendar_and_panel_queries_do_not_grow_with_appointments(world, db, staff_cookie, clock):
    from portal_app.services.appointments import appointments
    from tests.support.queries import count_queries

    _appointment(db, world)
    record = f"/staff/contacts/{world.contact_a1.public_id}"

    def counts() -> tuple[int, ...]:
        found = []
        for cls, handler, path in [(_cal(), "load", TOP), (_cal(), "set_view", TOP), (_panel(), "load_panel", record)]:
            args = ("list",) if handler == "set_view" else ()
            run_handler(cls, handler, args, HOST_A, staff_cookie, path)   # the tab's context is cached after this
            with count_queries() as counter:
                state, _ = run_handler(cls, handler, args, HOST_A, staff_cookie, path)
            assert state._outcome == "ok"
            found.append(counter["n"])
        return tuple(found)

    few = counts()
    for day in range(9, 13):
        for hour in range(9, 17):
            for contact in (world.contact_a1, world.contact_a2):
                appointments.create_appointment(db, world.staff_a if contact is world.contact_a1 else world.member_a,
                                                contact=contact.public_id, starts_at=f"2026-12-{day:02d}T{hour:02d}:00",
                                                ends_at=f"2026-12-{day:02d}T{hour:02d}:30", zone="Europe/Berlin",
                                                title="Busy")
    db.commit()
    assert counts() == few, few
