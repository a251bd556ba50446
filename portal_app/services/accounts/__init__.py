"""Accounts: who gets in, and the people a workspace works with.

Where the flows start:
- Sign-in and sessions: auth.sign_in → start_staff_session / start_client_session;
  auth.resolve_actor (via sessions.context_for) turns a session token into an Actor;
  auth.sign_out, revoke_*_sessions.
- The Security page (one's own sign-in): my_sessions.list_sessions / end_session /
  end_other_sessions; credentials.change_password (the current password first, as for
  profile.request_email_change); a sign-in from a new device (devices.note_device, from
  auth._start_session) and a password change raise events emailed by security_mail.py.
- Forgotten password: passwords.request_reset → check_reset → reset_password.
- A client's own details: profile.update_profile, request_email_change → confirm_email_change.
- Staff manage their contacts: contacts.create_contact / update_contact / list_contacts, and
  invite a contact to the portal: invites.send_invite → (client) check_invite → accept_invite.
- Staff manage the team: team.invite_staff → accept_staff_invite, set_role, set_disabled.
- Every one-time link checks a new password and is used once through links.py.
"""
