"""The workspace and its client portal.

Where the flows start:
- Which workspace a request is for: workspaces.workspace_for_host; first run:
  workspaces.first_run_setup.
- Staff configure the portal (branding, sections, logo): portal_settings.update_portal_settings,
  set_logo / remove_logo; every page reads portal_settings.branding_for.
- Custom domains (Settings › Domains, Caddy's on-demand TLS question, the worker's DNS
  re-checks): domains.add_domain / verify_domain / assign_domain / make_primary /
  remove_domain, domains.allowed, domains.queue_due_checks / check_one.
- The client's home page: portal_home.home_summary; section access: portal_home.open_section.
- Staff views that span areas: staff_views.contact_record (a contact's invoices, documents,
  files and history), staff_views.dev_outbox (the dev mail outbox).
- The demo workspace: demo.seed_demo (make run).
"""
