"""The test world: two workspaces, each with an owner, a member and clients, built through services
(tests/conftest.py's `world` fixture), and the hosts of its two workspaces (A is the default)."""

from __future__ import annotations

from sqlmodel import Session

HOST_A, HOST_B = "alpha.example.test", "beta.example.test"


class World:
    """Two workspaces, each with an owner, a member, and clients; built through services."""

    def __init__(self, session: Session):
        from portal_app.access import Anonymous, Client, Staff
        from portal_app.models import ClientAccount, ClientStatus, StaffRole, StaffUser
        from portal_app.services.accounts.contacts import create_contact
        from portal_app.services.portal.workspaces import create_workspace, owner_actor
        from portal_app.services.security import hash_password

        self.password = "correct horse battery"
        self.ws_a, owner_a = create_workspace(
            session, name="Alpha Studio", base_url="https://alpha.example.test",
            owner_email="owner@alpha.example", owner_name="Ava Owner", owner_password=self.password,
            is_default=True)
        self.ws_b, owner_b = create_workspace(
            session, name="Beta Books", base_url="https://beta.example.test",
            owner_email="owner@beta.example", owner_name="Ben Owner", owner_password=self.password,
            is_default=False)
        self.owner_user = owner_a
        self.staff_a = owner_actor(owner_a)
        self.staff_b = owner_actor(owner_b)
        member = StaffUser(workspace_id=self.ws_a.id, email="member@alpha.example", name="Max Member",
                           role=StaffRole.member.value, password_hash=hash_password(self.password))
        session.add(member)
        session.flush()
        self.member_a = Staff(self.ws_a.id, member.id, "member", member.email, member.name)

        def client(ws, staff, first, email):
            contact = create_contact(session, staff, {"first_name": first, "last_name": "Client",
                                                      "email": email})
            account = ClientAccount(workspace_id=ws.id, contact_id=contact.id,
                                    status=ClientStatus.active.value,
                                    password_hash=hash_password(self.password))
            session.add(account)
            session.flush()
            return contact, account, Client(ws.id, contact.id, account.id, contact.email,
                                            contact.display_name)

        self.contact_a1, self.account_a1, self.client_a1 = client(self.ws_a, self.staff_a, "Alice",
                                                                  "alice@client.example")
        self.contact_a2, self.account_a2, self.client_a2 = client(self.ws_a, self.staff_a, "Bob", "bob@client.example")
        self.contact_b1, self.account_b1, self.client_b1 = client(self.ws_b, self.staff_b, "Carol",
                                                                  "carol@client.example")
        self.anon = Anonymous(self.ws_a.id)
        session.commit()
