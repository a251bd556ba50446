"""Two-factor sign-in (services/accounts/two_factor.py, the second step in services/accounts/auth.py):
codes valid, expired, replayed and wrong; recovery codes once; the throttle; enrolment, turning it
off with the password, the email; a workspace that requires it for staff. The clock is injected."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlmodel import select

from portal_app.access import Staff, StaffEnrolling, require_staff
from portal_app.errors import Forbidden, Invalid, NotSignedIn, Throttled
from portal_app.models import AuthSession, OutboxMessage, PendingSignIn, RecoveryCode, StaffUser, TwoFactor
from portal_app.services import bus, secret_box
from portal_app.services.accounts import auth, two_factor
from portal_app.services.security import hash_token
from portal_app.settings import reset_settings_cache
from tests.support.clock import Clock

T0 = datetime(2026, 12, 8, 12, 0, 5, tzinfo=UTC)  # 5 s into a time step


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock(T0)
    monkeypatch.setattr(auth, "clock", c)
    monkeypatch.setattr(two_factor, "clock", c)
    return c


def _secret(db, tf_owner_filter) -> str:
    tf = db.exec(select(TwoFactor).where(tf_owner_filter)).one()
    return secret_box.unseal(tf.secret_sealed)


def _code(secret: str, when: datetime) -> str:
    return pyotp.TOTP(secret).at(when)


def _enrol(db, actor, clock) -> tuple[str, list[str]]:
    """Turns 2FA on for `actor` at the clock's time; returns (secret, recovery codes)."""
    shown = two_factor.begin(db, actor)
    secret = shown.secret.replace(" ", "")
    codes = two_factor.confirm(db, actor, _code(secret, clock()))
    db.flush()
    return secret, codes


def _password_step(db, world, kind="staff", email="owner@alpha.example") -> str:
    with pytest.raises(auth.TwoFactorNeeded) as need:
        auth.sign_in(db, world.ws_a.id, kind, email, world.password, ip="10.0.0.7", user_agent="pytest")
    assert need.value.staff == (kind == "staff")
    return need.value.pending_token


# --- codes ---------------------------------------------------------------------------------

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # fixed: no chance collision of codes between steps


def test_codes_of_now_and_one_step_either_side_are_valid_older_ones_expired():
    step = two_factor.step_of(T0)
    for offset in (-1, 0, 1):
        code = pyotp.TOTP(SECRET).at((step + offset) * 30)
        assert two_factor.match_step(SECRET, code, T0, 0) == step + offset
    for offset in (-3, -2, 2, 3):  # expired (more than a step ago) or not yet
        code = pyotp.TOTP(SECRET).at((step + offset) * 30)
        assert two_factor.match_step(SECRET, code, T0, 0) is None


def test_wrong_and_malformed_codes_are_refused():
    secret = SECRET
    right = pyotp.TOTP(secret).at(T0)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for code in (wrong, "", "12345", "1234567", "abcdef", "１２３４５６", right + "0" * 50):
        assert two_factor.match_step(secret, code, T0, 0) is None
    assert two_factor.match_step(secret, f" {right[:3]} {right[3:]} ", T0, 0) is not None  # spaces are fine


def test_a_code_is_not_accepted_again_nor_one_of_an_earlier_step():
    secret = SECRET
    step = two_factor.step_of(T0)
    code = pyotp.TOTP(secret).at(T0)
    assert two_factor.match_step(secret, code, T0, step - 1) == step
    assert two_factor.match_step(secret, code, T0, step) is None  # replayed
    earlier = pyotp.TOTP(secret).at((step - 1) * 30)
    assert two_factor.match_step(secret, earlier, T0, step) is None


# --- enrolment -----------------------------------------------------------------------------

def test_enrolment_seals_the_secret_draws_the_qr_here_and_gives_ten_hashed_recovery_codes(db, world, clock):
    shown = two_factor.begin(db, world.staff_a)
    assert shown.qr_data_uri.startswith("data:image/svg+xml")
    secret = shown.secret.replace(" ", "")
    tf = db.exec(select(TwoFactor).where(TwoFactor.staff_user_id == world.owner_user.id)).one()
    assert tf.secret_sealed.startswith("fernet:") and secret not in tf.secret_sealed
    assert tf.enabled_at is None and not two_factor.status(db, world.staff_a).on
    with pytest.raises(Invalid):
        two_factor.confirm(db, world.staff_a, "000000" if _code(secret, T0) != "000000" else "111111")
    codes = two_factor.confirm(db, world.staff_a, _code(secret, T0))
    assert len(codes) == len(set(codes)) == 10 and all(len(c) == 19 for c in codes)
    stored = {r.code_hash for r in db.exec(select(RecoveryCode).where(RecoveryCode.two_factor_id == tf.id)).all()}
    assert len(stored) == 10 and not stored & set(codes) and not {hash_token(c) for c in codes} & stored
    st = two_factor.status(db, world.staff_a)
    assert (st.on, st.recovery_left) == (True, 10)
    with pytest.raises(Invalid):  # already on
        two_factor.begin(db, world.staff_a)


def test_enrolment_needs_a_session_and_is_each_persons_own(db, world, clock):
    from portal_app.access import Anonymous

    with pytest.raises(NotSignedIn):
        two_factor.begin(db, Anonymous(world.ws_a.id))
    _enrol(db, world.client_a1, clock)
    assert two_factor.status(db, world.client_a1).on
    assert not two_factor.status(db, world.client_a2).on  # nobody else's
    assert not two_factor.status(db, world.staff_a).on


def test_turning_it_on_and_off_emails_the_person(db, world, clock):
    _enrol(db, world.client_a1, clock)
    with pytest.raises(Invalid):
        two_factor.disable(db, world.client_a1, "not the password")
    assert two_factor.status(db, world.client_a1).on
    two_factor.disable(db, world.client_a1, world.password)
    assert not two_factor.status(db, world.client_a1).on
    assert db.exec(select(RecoveryCode)).all() == []
    db.flush()
    rows = db.exec(select(OutboxMessage).where(OutboxMessage.kind == "account.two_factor_changed")).all()
    assert [json.loads(r.payload)["enabled"] for r in rows] == [True, False]
    for r in rows:
        bus.dispatch(db, r.workspace_id, r.kind, json.loads(r.payload))
    mails = [json.loads(m.payload) for m in db.exec(select(OutboxMessage).where(OutboxMessage.kind == "email")).all()]
    subjects = [(m["to"], m["subject"]) for m in mails]
    assert ("alice@client.example", "Two-factor sign-in was turned on") in subjects
    assert ("alice@client.example", "Two-factor sign-in was turned off") in subjects
    assert all("https://alpha.example.test/security/two-factor" in m["text"] for m in mails)


# --- the second step of signing in -----------------------------------------------------------

def test_sign_in_with_password_and_code_and_the_code_only_once(db, world, clock):
    secret, _ = _enrol(db, world.staff_a, clock)
    pending = _password_step(db, world)
    assert db.exec(select(AuthSession)).all() == []  # no session before the code
    clock.advance(seconds=30)  # the code of the enrolment's step is spent: the next one
    code = _code(secret, clock())
    token = auth.complete_two_factor(db, world.ws_a.id, pending, code, ip="10.0.0.7")
    assert isinstance(auth.resolve_actor(db, token, world.ws_a.id), Staff)
    assert db.exec(select(AuthSession)).one().user_agent == "pytest"
    with pytest.raises(auth.SignInExpired):  # the pending sign-in is used
        auth.complete_two_factor(db, world.ws_a.id, pending, code)
    again = _password_step(db, world)
    with pytest.raises(Invalid):  # the same code, replayed within its window
        auth.complete_two_factor(db, world.ws_a.id, again, code)
    clock.advance(seconds=30)
    assert auth.complete_two_factor(db, world.ws_a.id, again, _code(secret, clock()))


def test_a_wrong_or_expired_code_is_refused(db, world, clock):
    secret, _ = _enrol(db, world.client_a1, clock)
    pending = _password_step(db, world, "client", "alice@client.example")
    clock.advance(seconds=30)
    right = _code(secret, clock())
    with pytest.raises(Invalid):
        auth.complete_two_factor(db, world.ws_a.id, pending, f"{(int(right) + 1) % 1_000_000:06d}")
    old = _code(secret, clock() - timedelta(seconds=75))  # of two steps ago: expired
    assert old != right  # 1 in a million: the random secret made them equal
    with pytest.raises(Invalid):
        auth.complete_two_factor(db, world.ws_a.id, pending, old)
    assert auth.complete_two_factor(db, world.ws_a.id, pending, right)


def test_the_pending_sign_in_expires_and_belongs_to_its_workspace(db, world, clock):
    secret, _ = _enrol(db, world.staff_a, clock)
    pending = _password_step(db, world)
    clock.advance(seconds=30)
    with pytest.raises(auth.SignInExpired):
        auth.complete_two_factor(db, world.ws_b.id, pending, _code(secret, clock()))
    with pytest.raises(auth.SignInExpired):
        auth.complete_two_factor(db, world.ws_a.id, "forged", _code(secret, clock()))
    with pytest.raises(auth.SignInExpired):
        auth.complete_two_factor(db, world.ws_a.id, None, _code(secret, clock()))
    clock.advance(minutes=auth.PENDING_MINUTES)
    with pytest.raises(auth.SignInExpired):
        auth.complete_two_factor(db, world.ws_a.id, pending, _code(secret, clock()))
    row = db.exec(select(PendingSignIn)).one()
    assert row.token_hash == hash_token(pending) and row.used_at is None  # only the hash is kept


def test_a_recovery_code_works_in_place_of_a_code_once(db, world, clock):
    _, codes = _enrol(db, world.staff_a, clock)
    pending = _password_step(db, world)
    assert auth.complete_two_factor(db, world.ws_a.id, pending, codes[3].upper().replace("-", " "))
    assert two_factor.status(db, world.staff_a).recovery_left == 9
    again = _password_step(db, world)
    with pytest.raises(Invalid):
        auth.complete_two_factor(db, world.ws_a.id, again, codes[3])
    assert auth.complete_two_factor(db, world.ws_a.id, again, codes[4])


def test_the_second_step_is_throttled_like_passwords(db, world, clock, monkeypatch):
    monkeypatch.setenv("PORTAL_LOGIN_MAX_FAILURES", "3")
    reset_settings_cache()
    secret, _ = _enrol(db, world.staff_a, clock)
    pending = _password_step(db, world)
    for _ in range(3):
        auth.record_failed_second_step(db, world.ws_a.id, pending, "10.0.0.7")
    clock.advance(seconds=30)
    with pytest.raises(Throttled):  # even the right code
        auth.complete_two_factor(db, world.ws_a.id, pending, _code(secret, clock()), ip="10.0.0.8")
    clock.advance(minutes=16)  # the window passed (and the pending sign-in with it: start again)
    fresh = _password_step(db, world)
    assert auth.complete_two_factor(db, world.ws_a.id, fresh, _code(secret, clock()), ip="10.0.0.8")


# --- a workspace that requires it for staff ---------------------------------------------------

def test_only_owners_require_it_and_staff_without_it_can_only_enrol(db, world, clock):
    with pytest.raises(Forbidden):
        two_factor.set_required_for_staff(db, world.member_a, True)
    with pytest.raises(Forbidden):
        two_factor.set_required_for_staff(db, world.client_a1, True)
    two_factor.set_required_for_staff(db, world.staff_a, True)
    db.flush()
    member = db.get(StaffUser, world.member_a.user_id)
    token = auth.start_staff_session(db, member)
    actor = auth.resolve_actor(db, token, world.ws_a.id)
    assert isinstance(actor, StaffEnrolling)
    with pytest.raises(Forbidden):  # every staff rule refuses them
        require_staff(actor)
    assert two_factor.status(db, actor).required
    _enrol(db, actor, clock)
    assert isinstance(auth.resolve_actor(db, token, world.ws_a.id), Staff)
    two_factor.set_required_for_staff(db, world.staff_a, False)
    owner_token = auth.start_staff_session(db, db.get(StaffUser, world.owner_user.id))
    assert isinstance(auth.resolve_actor(db, owner_token, world.ws_a.id), Staff)
