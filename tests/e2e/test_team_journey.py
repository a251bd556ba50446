"""Settings › Team, in Chromium against the production build: the owner invites a
colleague as a member → the colleague joins by the emailed link → a member cannot open
Configure Portal nor invite anyone, nor read the dev outbox (owners only; the owner sees the
join link redacted there) → the owner disables the member, whose session ends."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.support.journey import Journey, staff_sign_in

MEMBER = ("Mia Member", "mia@team.example")
MEMBER_PASSWORD = "a-long-member-password"


def test_team_journey(server, browser, axe):
    j = Journey(server, browser, axe)
    owner_ctx, member_ctx = j.context(), j.context()
    owner, member = j.page(owner_ctx), j.page(member_ctx)

    staff_sign_in(j, owner)
    j.go(owner, "/staff/team")
    expect(owner.get_by_role("heading", name="Team")).to_be_visible()
    owner.get_by_role("button", name="Invite a colleague").click()
    dialog = owner.get_by_role("dialog")
    dialog.get_by_label("Name").fill(MEMBER[0])
    dialog.get_by_label("Email").fill("not an email")
    dialog.get_by_role("button", name="Send invitation").click()
    expect(dialog).to_be_visible()  # refused: the browser's check or ours
    dialog.get_by_label("Email").fill(MEMBER[1])
    dialog.get_by_label("Role").select_option("member")
    dialog.get_by_role("button", name="Send invitation").click()
    expect(owner.get_by_role("status").filter(has_text=f"Invitation sent to {MEMBER[1]}")).to_be_visible()
    row = owner.get_by_role("row").filter(has_text=MEMBER[1])
    expect(row.get_by_text("Invited")).to_be_visible()
    j.look(owner, "staff-team")

    link = j.invite_link(owner, MEMBER[1])
    assert link.startswith(server.url + "/staff/join?token="), link
    member.goto(link)
    expect(member.get_by_role("heading", name=re.compile("^Join "))).to_be_visible()
    j.look(member, "staff-join")
    member.get_by_label("Password", exact=True).fill(MEMBER_PASSWORD)
    member.get_by_label("Confirm password").fill(MEMBER_PASSWORD)
    member.get_by_role("button", name="Join the team").click()
    member.wait_for_url(re.compile(r"/staff/contacts"))

    # A member works with contacts but cannot brand the portal nor manage the team.
    j.go(member, "/staff/sites/portal")
    expect(member.get_by_role("alert").filter(has_text="Only an owner or admin can do this.")).to_be_visible()
    j.go(member, "/staff/team")
    expect(member.get_by_role("row").filter(has_text=MEMBER[1])).to_be_visible()
    expect(member.get_by_role("button", name="Invite a colleague")).to_have_count(0)

    # The dev outbox holds other people's links: owners only, and only while mail goes to it.
    member_nav = member.get_by_role("navigation", name="Staff navigation")
    expect(member_nav.get_by_role("link", name="Team")).to_be_visible()
    expect(member_nav.get_by_role("link", name="Dev outbox")).to_have_count(0)
    j.go(member, "/staff/outbox")
    refusal = ("Only the workspace owner can read the dev outbox." if server.mailbox is None
               else "There is no dev outbox: mail is sent by SMTP.")
    expect(member.get_by_text(refusal)).to_be_visible()
    expect(member.locator(".rt-Card")).to_have_count(0)
    owner_nav = owner.get_by_role("navigation", name="Staff navigation")
    expect(owner_nav.get_by_role("link", name="Dev outbox")).to_have_count(1 if server.mailbox is None else 0)

    # The owner disables the member: their session ends at once.
    j.go(owner, "/staff/team")
    owner.get_by_role("button", name=f"Disable {MEMBER[0]}").click()
    expect(owner.get_by_role("row").filter(has_text=MEMBER[1]).get_by_text("Disabled")).to_be_visible()
    j.go(member, "/staff/contacts")
    member.wait_for_url(re.compile(r"/staff/login"))

    for ctx in (owner_ctx, member_ctx):
        ctx.close()
    assert not j.errors, "\n".join(j.errors)
    serious = axe.serious()
    assert not serious, "\n".join(f"{page}: {v['id']} ({v['impact']}) {v['help']} at {v['nodes']}"
                                   for page, vs in serious.items() for v in vs)
